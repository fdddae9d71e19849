#include "infercost/analysis/report.hpp"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "infercost/analysis/users.hpp"
#include "infercost/core/federation.hpp"

namespace infercost {

CsvTable summary_table(const Scenario& scenario, const Metrics& m, const RunInfo& info) {
  CsvTable t({"scenario", "seed", "duration_s", "replicas", "gpus", "users", "requests_submitted",
              "requests_completed", "requests_rejected", "requests_abandoned", "requests_in_flight",
              "submissions_throttled", "preemptions", "throughput_rps", "input_tokens_completed",
              "output_tokens_completed", "output_tokens_per_s", "latency_mean_s", "latency_p50_s", "latency_p99_s",
              "ttft_mean_s", "ttft_p50_s", "ttft_p99_s", "tpot_mean_s", "tpot_p50_s", "tpot_p99_s",
              "queue_wait_mean_s", "utilization", "users_left",
              // power, cooling, money and emissions (sim/power)
              "energy_gpu_kwh", "energy_it_kwh", "energy_cooling_kwh", "energy_facility_kwh", "pue_mean",
              "peak_it_power_kw", "peak_facility_power_kw", "mean_facility_power_kw", "peak_demand_kw",
              "gpu_capped_share", "power_budget_exceeded_s", "gpu_wakes", "cost_energy_it_usd",
              "cost_energy_cooling_usd", "cost_capex_usd", "cost_opex_usd", "cost_rental_usd", "cost_demand_usd",
              "cost_total_usd", "emissions_kg_co2e", "energy_per_output_token_j",
              "cost_per_million_output_tokens_usd",
              // attribution to users, revenue and fairness (sim/analysis/attribution.cpp, users.cpp)
              "revenue_usd", "margin_usd", "cost_users_usd", "cost_unallocated_usd", "cost_marginal_users_usd",
              "cost_marginal_unallocated_usd", "share_users_cost_above_revenue", "jain_fairness",
              // utilization breakdown and SLO attainment
              "compute_utilization", "memory_bw_utilization", "kv_occupancy_mean", "slo_ttft_attainment",
              "slo_tpot_attainment", "slo_latency_attainment", "slo_attainment"});
  const double duration_s = to_seconds(info.end_time);
  const double measured_s = to_seconds(info.end_time - scenario.warmup);
  double busy_s = 0;
  for (const auto& r : m.replicas) busy_s += r.busy_s;
  const double utilization = m.replicas.empty() ? 0.0 : busy_s / (duration_s * static_cast<double>(m.replicas.size()));
  const auto i64 = [](auto v) { return static_cast<std::int64_t>(v); };
  const PowerSummary& p = info.power;
  const auto per_token = [&](double total) {
    return m.output_tokens_completed > 0 ? total / static_cast<double>(m.output_tokens_completed) : 0.0;
  };
  // Time averages over replicas of the activity integrals (exact, from piecewise-constant reports).
  const auto replica_mean = [&](double ReplicaUsage::*field) {
    if (m.replicas.empty() || duration_s <= 0) return 0.0;
    double sum = 0.0;
    for (const auto& r : m.replicas) sum += r.*field;
    return sum / (duration_s * static_cast<double>(m.replicas.size()));
  };
  // Share of completed requests (after warmup) meeting a target; empty when there is no target.
  const SimTime any_slo = std::min({scenario.slo.ttft, scenario.slo.tpot, scenario.slo.latency});
  const auto slo_share = [&](SimTime target, std::uint64_t met) {
    const auto n = m.latency_s.moments.count();
    if (target == kTimeNever || n == 0) return std::numeric_limits<double>::quiet_NaN();
    return static_cast<double>(met) / static_cast<double>(n);
  };
  // Revenue is each user's plan price prorated to the run; the users' costs are the fully loaded view.
  double revenue = 0.0, users_cost = 0.0, marginal_cost = 0.0;
  std::uint64_t above = 0;
  UserTally tally;
  {
    std::size_t u = 0;
    for (const auto& c : scenario.classes) {
      const double r = prorated_revenue_usd(scenario.plans[c.plan].price_usd_per_month, info.end_time);
      for (std::uint32_t k = 0; k < c.users; ++k, ++u) {
        revenue += r;
        tally.add(m.users[u]);
        if (u < info.attribution.users.size()) {
          users_cost += info.attribution.users[u].fully_loaded_usd;
          marginal_cost += info.attribution.users[u].marginal_usd;
          if (info.attribution.users[u].fully_loaded_usd > r) ++above;
        }
      }
    }
  }
  const double users_above = m.users.empty() ? 0.0 : static_cast<double>(above) / static_cast<double>(m.users.size());
  t.add_row({scenario.name, i64(info.seed), duration_s, i64(scenario.replicas),
             i64(scenario.replicas * scenario.serving->gpus_per_replica()), i64(scenario.total_users()),
             i64(m.submitted), i64(m.completed), i64(m.rejected), i64(m.abandoned), i64(info.in_flight),
             i64(m.throttled), i64(m.preemptions), static_cast<double>(m.latency_s.moments.count()) / measured_s,
             i64(m.input_tokens_completed), i64(m.output_tokens_completed),
             static_cast<double>(m.output_tokens_completed) / duration_s, m.latency_s.moments.mean(),
             m.latency_s.sample.quantile(0.5), m.latency_s.sample.quantile(0.99), m.ttft_s.moments.mean(),
             m.ttft_s.sample.quantile(0.5), m.ttft_s.sample.quantile(0.99), m.tpot_s.moments.mean(),
             m.tpot_s.sample.quantile(0.5), m.tpot_s.sample.quantile(0.99), m.queue_wait_s.mean(),
             utilization, i64(m.users_left),
             // power
             p.energy_gpu_kwh, p.energy_it_kwh, p.energy_cooling_kwh, p.energy_facility_kwh, p.pue_mean,
             p.peak_it_power_kw, p.peak_facility_power_kw, p.mean_facility_power_kw, p.peak_demand_kw,
             p.gpu_capped_share, p.budget_exceeded_s, i64(p.gpu_wakes), p.bill.energy_it_usd,
             p.bill.energy_cooling_usd, p.bill.capex_usd, p.bill.opex_usd, p.bill.rental_usd, p.bill.demand_usd,
             p.bill.total_usd(), p.emissions_kg_co2e, per_token(p.energy_facility_kwh * kJoulesPerKwh),
             per_token(p.bill.total_usd() * 1e6), revenue, revenue - p.bill.total_usd(), users_cost,
             info.attribution.fully_loaded_unallocated_usd, marginal_cost, info.attribution.marginal_unallocated_usd,
             users_above, jain_index(tally.shares), replica_mean(&ReplicaUsage::compute_s),
             replica_mean(&ReplicaUsage::memory_bw_s), replica_mean(&ReplicaUsage::kv_s),
             slo_share(scenario.slo.ttft, m.slo_ttft_met), slo_share(scenario.slo.tpot, m.slo_tpot_met),
             slo_share(scenario.slo.latency, m.slo_latency_met), slo_share(any_slo, m.slo_all_met)});
  return t;
}

CsvTable replicas_table(const Scenario& scenario, const Metrics& m, const RunInfo& info) {
  CsvTable t({"replica", "gpus", "busy_fraction", "compute_utilization", "memory_bw_utilization", "kv_occupancy_mean"});
  const double duration_s = to_seconds(info.end_time);
  const auto gpus = static_cast<std::int64_t>(scenario.serving->gpus_per_replica());
  for (std::size_t i = 0; i < m.replicas.size(); ++i) {
    const ReplicaUsage& r = m.replicas[i];
    t.add_row({static_cast<std::int64_t>(i), gpus, r.busy_s / duration_s, r.compute_s / duration_s,
               r.memory_bw_s / duration_s, r.kv_s / duration_s});
  }
  return t;
}

std::string run_json(const Scenario& scenario, const RunInfo& info) {
  const double eps = info.wall_s > 0 ? static_cast<double>(info.events) / info.wall_s : 0.0;
  // What each user class's arrival process is (a trace replay says how it assigned users).
  std::string classes;
  for (const auto& c : scenario.classes) {
    classes += fmt::format("{}\n    {{\"name\": {}, \"users\": {}, \"arrival\": {}, \"client\": {}}}",
                           classes.empty() ? "" : ",", json_quote(c.name), c.users, json_quote(c.arrival->describe()),
                           json_quote(c.client.describe()));
  }
  const double requests_per_wall_s = info.wall_s > 0 ? static_cast<double>(info.requests_submitted) / info.wall_s : 0.0;
  const double simulated_s_per_wall_s = info.wall_s > 0 ? to_seconds(info.end_time) / info.wall_s : 0.0;
  return fmt::format(
      "{{\n  \"infercost_version\": {},\n  \"scenario\": {},\n  \"scenario_file\": {},\n"
      "  \"scenario_hash\": \"{:016x}\",\n  \"seed\": {},\n  \"simulated_s\": {},\n  \"wall_s\": {},\n"
      "  \"events_processed\": {},\n  \"events_per_s\": {},\n  \"event_fingerprint\": \"{:016x}\",\n"
      "  \"requests_submitted\": {},\n  \"simulated_requests_per_wall_s\": {},\n"
      "  \"simulated_s_per_wall_s\": {},\n  \"peak_rss_bytes\": {},\n  \"huge_page_bytes\": {},\n"
      "  \"user_classes\": [{}\n  ]\n}}\n",
      json_quote(INFERCOST_VERSION), json_quote(scenario.name), json_quote(scenario.file), scenario.hash, info.seed,
      to_seconds(info.end_time), info.wall_s, info.events, eps, info.fingerprint, info.requests_submitted,
      requests_per_wall_s, simulated_s_per_wall_s, info.peak_rss_bytes, info.huge_page_bytes, classes);
}

void write_run_outputs(const std::filesystem::path& dir, const Scenario& scenario, const Simulation& sim,
                       const RunInfo& info) {
  // Everything is rendered before anything is written, so a failure leaves no partial set.
  const std::string summary = summary_table(scenario, sim.metrics(), info).to_string();
  const std::string json = run_json(scenario, info);
  std::string timeseries, sites;
  if (const FacilityMeter* power = sim.power_meter()) {
    if (scenario.power->timeseries_interval > 0) timeseries = power->timeseries_table().to_string();
    sites = power->sites_table().to_string();
  }
  const std::string users = users_csv(scenario, sim.metrics(), info, sim.attribution());
  const std::string plans = plans_table(scenario, sim.metrics(), info, sim.attribution()).to_string();
  const std::string classes = classes_table(scenario, sim.metrics(), info, sim.attribution()).to_string();
  write_file_atomic(dir / "summary.csv", summary);
  write_file_atomic(dir / "users.csv", users);
  write_file_atomic(dir / "replicas.csv", replicas_table(scenario, sim.metrics(), info).to_string());
  write_file_atomic(dir / "plans.csv", plans);
  write_file_atomic(dir / "classes.csv", classes);
  write_file_atomic(dir / "run.json", json);
  if (!timeseries.empty()) write_file_atomic(dir / "timeseries.csv", timeseries);
  if (!sites.empty()) write_file_atomic(dir / "sites.csv", sites);
}

CsvTable federation_table(const FederatedResult& result) {
  const FederationStats& s = result.stats;
  CsvTable t({"sites", "ranks", "windows", "requests_forwarded", "messages", "min_message_slack_s", "wall_s",
              "compute_wall_s", "exchange_wall_s", "exchange_wall_per_window_us", "compute_cpu_s",
              "max_rank_compute_wall_s", "max_rank_compute_cpu_s", "critical_path_cpu_s"});
  const auto i64 = [](auto v) { return static_cast<std::int64_t>(v); };
  t.add_row({i64(s.sites), i64(s.ranks), i64(s.windows), i64(s.forwarded), i64(s.messages),
             s.messages > 0 ? to_seconds(s.min_slack_ns) : std::numeric_limits<double>::quiet_NaN(),
             result.info.wall_s, s.compute_wall_s, s.exchange_wall_s,
             s.windows > 0 ? s.exchange_wall_s / static_cast<double>(s.windows) * 1e6 : 0.0, s.compute_cpu_s,
             s.max_rank_compute_wall_s, s.max_rank_compute_cpu_s, s.critical_path_cpu_s});
  return t;
}

void write_run_outputs(const std::filesystem::path& dir, const Scenario& scenario, const FederatedResult& result) {
  const Metrics& m = result.metrics;
  const RunInfo& info = result.info;
  const std::string summary = summary_table(scenario, m, info).to_string();
  const std::string json = run_json(scenario, info);
  const std::string users = users_csv(scenario, m, info, result.usage);
  const std::string plans = plans_table(scenario, m, info, result.usage).to_string();
  const std::string classes = classes_table(scenario, m, info, result.usage).to_string();
  const std::string replicas = replicas_table(scenario, m, info).to_string();
  const std::string federation = federation_table(result).to_string();
  write_file_atomic(dir / "summary.csv", summary);
  write_file_atomic(dir / "users.csv", users);
  write_file_atomic(dir / "replicas.csv", replicas);
  write_file_atomic(dir / "plans.csv", plans);
  write_file_atomic(dir / "classes.csv", classes);
  write_file_atomic(dir / "run.json", json);
  write_file_atomic(dir / "federation.csv", federation);
  if (!result.timeseries_csv.empty()) write_file_atomic(dir / "timeseries.csv", result.timeseries_csv);
  if (!result.sites_csv.empty()) write_file_atomic(dir / "sites.csv", result.sites_csv);
}

}  // namespace infercost
