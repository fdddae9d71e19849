// Policy comparison (compare.hpp): the same scenario and seed under each policy set, one row per set.
// Columns and definitions: docs/models-policy.md, "Comparison".
#include "infercost/policy/compare.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <initializer_list>

#include <fmt/format.h>

#include "infercost/analysis/report.hpp"
#include "infercost/core/parallel.hpp"
#include "infercost/io/errors.hpp"

namespace infercost {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
/// A month for prorating plan prices: a Julian year / 12 = 30.4375 days.
constexpr double kMonthS = kMonthSeconds;

/// The cell of a one-row table by column name; NaN when the column does not exist.
CsvCell column(const CsvTable& table, const std::string& name) {
  const auto& header = table.header();
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return table.data().front()[i];
  }
  return kNaN;
}

double as_double(const CsvCell& cell) {
  if (const auto* d = std::get_if<double>(&cell)) return *d;
  if (const auto* i = std::get_if<std::int64_t>(&cell)) return static_cast<double>(*i);
  return kNaN;
}

/// Nearest-rank quantile of an unsorted sample; NaN when empty.
double quantile(std::vector<double> v, double q) {
  if (v.empty()) return kNaN;
  std::sort(v.begin(), v.end());
  std::size_t rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
  return v[std::max<std::size_t>(rank, 1) - 1];
}

double mean(const std::vector<double>& v) {
  if (v.empty()) return kNaN;
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}


}  // namespace

RunCosts run_costs(const Scenario& scenario, const Simulation& sim, const RunInfo& info) {
  // Energy and cost come from summary.csv when the power and cost model writes them (facility energy, total
  // bill); without those columns they stay NaN (printed empty).
  const CsvTable summary = summary_table(scenario, sim.metrics(), info);
  const auto first_of = [&](std::initializer_list<const char*> names) {
    for (const char* name : names) {
      const double v = as_double(column(summary, name));
      if (!std::isnan(v)) return v;
    }
    return kNaN;
  };
  RunCosts c;
  c.energy_kwh = first_of({"energy_facility_kwh", "energy_kwh"});
  c.cost_usd = first_of({"cost_total_usd", "cost_usd"});
  c.cost_usd_by_user.reserve(info.attribution.users.size());
  for (const UserCost& u : info.attribution.users) c.cost_usd_by_user.push_back(u.fully_loaded_usd);
  return c;
}

std::vector<const NamedPolicyConfig*> select_policy_sets(const Scenario& scenario,
                                                         const std::vector<std::string>& names) {
  std::vector<const NamedPolicyConfig*> out;
  if (names.empty()) {
    for (const auto& set : scenario.policy_sets) out.push_back(&set);
    return out;
  }
  for (const auto& name : names) {
    const auto it = std::find_if(scenario.policy_sets.begin(), scenario.policy_sets.end(),
                                 [&](const NamedPolicyConfig& s) { return s.name == name; });
    if (it == scenario.policy_sets.end()) {
      std::string known;
      for (const auto& s : scenario.policy_sets) known += (known.empty() ? "" : ", ") + s.name;
      throw ConfigError(fmt::format("--policies: '{}' is not a policy set of {} (sets: {})", name, scenario.file, known));
    }
    if (std::find(out.begin(), out.end(), &*it) != out.end()) {
      throw ConfigError(fmt::format("--policies: '{}' is listed twice", name));
    }
    out.push_back(&*it);
  }
  return out;
}

CsvTable compare_runs_table() {
  return CsvTable({"policy", "scenario", "seed", "duration_s", "users", "requests_submitted", "requests_completed",
                   "requests_rejected", "requests_abandoned", "requests_in_flight", "submissions_throttled",
                   "users_throttled_share", "served_share", "jain_fairness", "throughput_rps",
                   "output_tokens_per_s", "ttft_p50_s", "ttft_p99_s", "tpot_p50_s", "tpot_p99_s", "latency_p50_s",
                   "latency_p99_s", "utilization", "energy_kwh", "cost_usd", "revenue_usd", "margin_usd",
                   "event_fingerprint"});
}

CsvTable compare_plans_table() {
  return CsvTable({"policy", "plan", "price_usd_per_month", "users", "requests_submitted", "requests_completed",
                   "requests_rejected", "requests_abandoned", "users_throttled_share", "served_share",
                   "jain_fairness", "revenue_usd", "cost_usd", "cost_per_user_mean_usd", "cost_per_user_p99_usd",
                   "cost_per_user_max_usd", "margin_usd"});
}

void add_compare_rows(CsvTable& runs, CsvTable& plans, const std::string& policy, const Scenario& scenario,
                      const Simulation& sim, const RunInfo& info) {
  const Metrics& m = sim.metrics();
  const CsvTable summary = summary_table(scenario, m, info);
  const RunCosts costs = run_costs(scenario, sim, info);
  const double months = to_seconds(info.end_time) / kMonthS;

  std::vector<std::uint32_t> plan_of_user;
  for (const auto& c : scenario.classes) plan_of_user.insert(plan_of_user.end(), c.users, c.plan);
  std::vector<UserTally> by_plan(scenario.plans.size());
  std::vector<std::vector<double>> cost_by_plan(scenario.plans.size());
  UserTally all;
  for (std::size_t u = 0; u < m.users.size(); ++u) {
    all.add(m.users[u]);
    by_plan[plan_of_user[u]].add(m.users[u]);
    if (u < costs.cost_usd_by_user.size()) cost_by_plan[plan_of_user[u]].push_back(costs.cost_usd_by_user[u]);
  }
  double revenue = 0;
  for (std::size_t p = 0; p < scenario.plans.size(); ++p) {
    revenue += static_cast<double>(by_plan[p].users) * scenario.plans[p].price_usd_per_month * months;
  }

  const auto i64 = [](auto v) { return static_cast<std::int64_t>(v); };
  runs.add_row({policy, scenario.name, i64(info.seed), to_seconds(info.end_time), i64(scenario.total_users()),
                column(summary, "requests_submitted"), column(summary, "requests_completed"),
                column(summary, "requests_rejected"), column(summary, "requests_abandoned"),
                column(summary, "requests_in_flight"), column(summary, "submissions_throttled"),
                all.throttled_share(), all.served(), jain_index(all.shares), column(summary, "throughput_rps"),
                column(summary, "output_tokens_per_s"), column(summary, "ttft_p50_s"), column(summary, "ttft_p99_s"),
                column(summary, "tpot_p50_s"), column(summary, "tpot_p99_s"), column(summary, "latency_p50_s"),
                column(summary, "latency_p99_s"), column(summary, "utilization"), costs.energy_kwh, costs.cost_usd,
                revenue, revenue - costs.cost_usd, fmt::format("{:016x}", info.fingerprint)});

  for (std::size_t p = 0; p < scenario.plans.size(); ++p) {
    const UserTally& t = by_plan[p];
    const std::vector<double>& cost = cost_by_plan[p];
    const double plan_revenue = static_cast<double>(t.users) * scenario.plans[p].price_usd_per_month * months;
    double plan_cost = kNaN;
    if (!cost.empty()) {
      plan_cost = 0;
      for (double c : cost) plan_cost += c;
    }
    plans.add_row({policy, scenario.plans[p].name, scenario.plans[p].price_usd_per_month, i64(t.users),
                   i64(t.submitted), i64(t.completed), i64(t.rejected), i64(t.abandoned), t.throttled_share(),
                   t.served(), jain_index(t.shares), plan_revenue, plan_cost, mean(cost), quantile(cost, 0.99),
                   cost.empty() ? kNaN : *std::max_element(cost.begin(), cost.end()), plan_revenue - plan_cost});
  }
}

void run_policy_set(const Scenario& scenario, const NamedPolicyConfig& set, std::uint64_t seed, CsvTable& runs,
                    CsvTable& plans) {
  if (scenario.network) {
    throw ConfigError(fmt::format("{}: network: compare and sweep run one simulation per point; a federated "
                                  "scenario runs with `infercost run` (docs/models-federation.md)",
                                  scenario.file));
  }
  Scenario s = scenario;
  s.policy = set.config;
  s.policy_name = set.name;
  Simulation sim(s, seed);
  const RunInfo info = sim.run();
  add_compare_rows(runs, plans, set.name, s, sim, info);
}

CompareResult compare_policies(const Scenario& scenario, const CompareOptions& options) {
  const std::vector<const NamedPolicyConfig*> sets = select_policy_sets(scenario, options.policies);
  const std::uint64_t seed = options.seed.value_or(scenario.seed);

  // Each run renders its own rows; rows are assembled in set order afterwards, so the thread count and the
  // order in which runs finish cannot show in the output.
  struct Slot {
    CsvTable runs = compare_runs_table();
    CsvTable plans = compare_plans_table();
    std::exception_ptr error;
  };
  std::vector<Slot> slots(sets.size());
  std::atomic<std::size_t> next{0};
  const auto worker = [&]() {
    for (std::size_t i = next++; i < sets.size(); i = next++) {
      try {
        run_policy_set(scenario, *sets[i], seed, slots[i].runs, slots[i].plans);
      } catch (...) {
        slots[i].error = std::current_exception();
      }
    }
  };
  run_workers(options.jobs, sets.size(), worker);

  CompareResult result{compare_runs_table(), compare_plans_table()};
  for (auto& slot : slots) {
    if (slot.error) std::rethrow_exception(slot.error);
    for (const auto& row : slot.runs.data()) result.runs.add_row(row);
    for (const auto& row : slot.plans.data()) result.plans.add_row(row);
  }
  return result;
}

void write_compare_outputs(const std::filesystem::path& dir, const CompareResult& result) {
  const std::string runs = result.runs.to_string();
  const std::string plans = result.plans.to_string();
  write_file_atomic(dir / "compare.csv", runs);
  write_file_atomic(dir / "compare_plans.csv", plans);
}

}  // namespace infercost
