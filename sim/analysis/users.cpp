#include "infercost/analysis/users.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <span>
#include <string>

#include "infercost/power/tariff.hpp"

namespace infercost {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double ratio(double num, double den) { return den > 0 ? num / den : kNaN; }

/// Nearest-rank quantile of an already sorted sample; NaN when empty.
double sorted_quantile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return kNaN;
  std::size_t rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::max<std::size_t>(rank, 1) - 1];
}

/// Money and resources summed over a group of users.
struct GroupMoney {
  double gpu_s = 0, energy_j = 0, cost_usd = 0, revenue_usd = 0;
  std::uint64_t input_tokens = 0, output_tokens = 0, above_revenue = 0;
  std::vector<double> cost_per_user;
  UserTally tally;
};

std::vector<std::uint32_t> class_of_users(const Scenario& scenario) {
  std::vector<std::uint32_t> out;
  out.reserve(scenario.total_users());
  for (std::uint32_t c = 0; c < scenario.classes.size(); ++c) out.insert(out.end(), scenario.classes[c].users, c);
  return out;
}

/// Groups users by `key(user)` into `groups` groups.
template <class Key>
std::vector<GroupMoney> group_users(const Scenario& scenario, const Metrics& m, const RunInfo& info,
                                    const std::vector<UserUsage>& usage, std::size_t groups, Key key) {
  std::vector<GroupMoney> out(groups);
  const auto classes = class_of_users(scenario);
  for (std::size_t u = 0; u < m.users.size(); ++u) {
    GroupMoney& g = out[key(classes[u])];
    const double cost = info.attribution.users.empty() ? 0.0 : info.attribution.users[u].fully_loaded_usd;
    const double revenue =
        prorated_revenue_usd(scenario.plans[scenario.classes[classes[u]].plan].price_usd_per_month, info.end_time);
    g.tally.add(m.users[u]);
    g.gpu_s += usage[u].gpu_s;
    g.energy_j += usage[u].energy_j;
    g.cost_usd += cost;
    g.revenue_usd += revenue;
    g.input_tokens += m.users[u].input_tokens;
    g.output_tokens += m.users[u].output_tokens;
    if (cost > revenue) ++g.above_revenue;
    g.cost_per_user.push_back(cost);
  }
  for (auto& g : out) std::sort(g.cost_per_user.begin(), g.cost_per_user.end());
  return out;
}

const std::vector<std::string> kGroupColumns = {
    "users", "requests_submitted", "requests_completed", "requests_rejected", "requests_abandoned",
    "input_tokens", "output_tokens", "gpu_s", "energy_kwh", "revenue_usd", "cost_usd", "margin_usd",
    "cost_per_user_mean_usd", "cost_per_user_p50_usd", "cost_per_user_p90_usd", "cost_per_user_p99_usd",
    "cost_per_user_max_usd", "share_users_cost_above_revenue", "share_users_throttled", "served_share",
    "jain_fairness"};

std::vector<CsvCell> group_cells(const GroupMoney& g) {
  const auto i64 = [](auto v) { return static_cast<std::int64_t>(v); };
  const auto& c = g.cost_per_user;
  const double n = static_cast<double>(c.size());
  return {i64(g.tally.users), i64(g.tally.submitted), i64(g.tally.completed), i64(g.tally.rejected),
          i64(g.tally.abandoned), i64(g.input_tokens), i64(g.output_tokens), g.gpu_s, g.energy_j / kJoulesPerKwh,
          g.revenue_usd, g.cost_usd, g.revenue_usd - g.cost_usd, ratio(g.cost_usd, n), sorted_quantile(c, 0.5),
          sorted_quantile(c, 0.9), sorted_quantile(c, 0.99), c.empty() ? kNaN : c.back(),
          ratio(static_cast<double>(g.above_revenue), n), g.tally.throttled_share(), g.tally.served(),
          jain_index(g.tally.shares)};
}

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

std::optional<double> served_share(const UserCounters& u) {
  const std::uint64_t finished = std::uint64_t{u.completed} + u.rejected + u.abandoned;
  if (finished == 0) return std::nullopt;
  return static_cast<double>(u.completed) / static_cast<double>(finished);
}

double jain_index(const std::vector<double>& values) {
  double sum = 0, sum_sq = 0;
  for (double x : values) {
    sum += x;
    sum_sq += x * x;
  }
  if (values.empty() || sum_sq <= 0) return kNaN;
  return sum * sum / (static_cast<double>(values.size()) * sum_sq);
}

void UserTally::add(const UserCounters& u) {
  ++users;
  submitted += u.submitted;
  completed += u.completed;
  rejected += u.rejected;
  abandoned += u.abandoned;
  if (u.submitted > 0) ++active;
  if (u.throttled > 0) ++throttled;
  if (auto s = served_share(u)) shares.push_back(*s);
}

double UserTally::throttled_share() const { return ratio(static_cast<double>(throttled), static_cast<double>(active)); }

double UserTally::served() const {
  return ratio(static_cast<double>(completed), static_cast<double>(completed + rejected + abandoned));
}

double prorated_revenue_usd(double price_usd_per_month, SimTime duration) {
  return price_usd_per_month * to_seconds(duration) / kMonthSeconds;
}

namespace {

const std::vector<std::string> kUserColumns{
    "user_id", "class", "plan", "requests_submitted", "requests_completed", "requests_rejected",
    "requests_abandoned", "input_tokens", "output_tokens", "gpu_s", "energy_kwh", "cost_usd", "cost_marginal_usd",
    "revenue_usd", "margin_usd", "times_throttled"};

/// Calls emit(row) for every user, in user order; one row's cells are reused for the next.
template <class Emit>
void user_rows(const Scenario& scenario, const Metrics& m, const RunInfo& info, const std::vector<UserUsage>& usage,
               Emit&& emit) {
  const auto classes = class_of_users(scenario);
  const auto i64 = [](auto v) { return static_cast<std::int64_t>(v); };
  std::vector<CsvCell> row(kUserColumns.size());
  for (std::size_t u = 0; u < m.users.size(); ++u) {
    const UserCounters& c = m.users[u];
    const UserClassConfig& cls = scenario.classes[classes[u]];
    const UserCost cost = info.attribution.users.empty() ? UserCost{} : info.attribution.users[u];
    const double revenue = prorated_revenue_usd(scenario.plans[cls.plan].price_usd_per_month, info.end_time);
    row[0] = i64(u);
    row[1] = cls.name;
    row[2] = scenario.plans[cls.plan].name;
    row[3] = i64(c.submitted);
    row[4] = i64(c.completed);
    row[5] = i64(c.rejected);
    row[6] = i64(c.abandoned);
    row[7] = i64(c.input_tokens);
    row[8] = i64(c.output_tokens);
    row[9] = usage[u].gpu_s;
    row[10] = usage[u].energy_j / kJoulesPerKwh;
    row[11] = cost.fully_loaded_usd;
    row[12] = cost.marginal_usd;
    row[13] = revenue;
    row[14] = revenue - cost.fully_loaded_usd;
    row[15] = i64(c.throttled);
    emit(std::span<const CsvCell>(row));
  }
}

}  // namespace

CsvTable users_table(const Scenario& scenario, const Metrics& m, const RunInfo& info, const std::vector<UserUsage>& usage) {
  CsvTable t(kUserColumns);
  user_rows(scenario, m, info, usage,
            [&](std::span<const CsvCell> row) { t.add_row(std::vector<CsvCell>(row.begin(), row.end())); });
  return t;
}

std::string users_csv(const Scenario& scenario, const Metrics& m, const RunInfo& info,
                      const std::vector<UserUsage>& usage) {
  CsvText text(kUserColumns);
  user_rows(scenario, m, info, usage, [&](std::span<const CsvCell> row) { text.add_row(row); });
  return text.take();
}

std::string users_csv(const Scenario& scenario, const Metrics& m, const RunInfo& info, const CostAttribution& usage) {
  return users_csv(scenario, m, info, usage.usage());
}

CsvTable plans_table(const Scenario& scenario, const Metrics& m, const RunInfo& info, const std::vector<UserUsage>& usage) {
  CsvTable t(concat({"plan", "price_usd_per_month"}, kGroupColumns));
  const auto groups = group_users(scenario, m, info, usage, scenario.plans.size(),
                                  [&](std::uint32_t c) { return scenario.classes[c].plan; });
  for (std::size_t p = 0; p < groups.size(); ++p) {
    std::vector<CsvCell> row{scenario.plans[p].name, scenario.plans[p].price_usd_per_month};
    const auto cells = group_cells(groups[p]);
    row.insert(row.end(), cells.begin(), cells.end());
    t.add_row(std::move(row));
  }
  return t;
}

CsvTable classes_table(const Scenario& scenario, const Metrics& m, const RunInfo& info,
                       const std::vector<UserUsage>& usage) {
  CsvTable t(concat({"class", "plan"}, kGroupColumns));
  const auto groups =
      group_users(scenario, m, info, usage, scenario.classes.size(), [](std::uint32_t c) { return c; });
  for (std::size_t c = 0; c < groups.size(); ++c) {
    std::vector<CsvCell> row{scenario.classes[c].name, scenario.plans[scenario.classes[c].plan].name};
    const auto cells = group_cells(groups[c]);
    row.insert(row.end(), cells.begin(), cells.end());
    t.add_row(std::move(row));
  }
  return t;
}

CsvTable users_table(const Scenario& scenario, const Metrics& m, const RunInfo& info, const CostAttribution& usage) {
  return users_table(scenario, m, info, usage.usage());
}

CsvTable plans_table(const Scenario& scenario, const Metrics& m, const RunInfo& info, const CostAttribution& usage) {
  return plans_table(scenario, m, info, usage.usage());
}

CsvTable classes_table(const Scenario& scenario, const Metrics& m, const RunInfo& info,
                       const CostAttribution& usage) {
  return classes_table(scenario, m, info, usage.usage());
}

}  // namespace infercost
