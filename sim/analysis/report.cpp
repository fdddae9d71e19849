#include "infercost/analysis/report.hpp"

#include <fmt/format.h>

namespace infercost {

CsvTable summary_table(const Scenario& scenario, const Metrics& m, const RunInfo& info) {
  CsvTable t({"scenario", "seed", "duration_s", "replicas", "gpus", "users", "requests_submitted",
              "requests_completed", "requests_rejected", "requests_abandoned", "requests_in_flight",
              "submissions_throttled", "preemptions", "throughput_rps", "input_tokens_completed",
              "output_tokens_completed", "output_tokens_per_s", "latency_mean_s", "latency_p50_s", "latency_p99_s",
              "ttft_mean_s", "ttft_p50_s", "ttft_p99_s", "tpot_mean_s", "tpot_p50_s", "tpot_p99_s",
              "queue_wait_mean_s", "utilization"});
  const double duration_s = to_seconds(info.end_time);
  const double measured_s = to_seconds(info.end_time - scenario.warmup);
  double busy_s = 0;
  for (const auto& r : m.replicas) busy_s += r.busy_s;
  const double utilization = m.replicas.empty() ? 0.0 : busy_s / (duration_s * static_cast<double>(m.replicas.size()));
  const auto i64 = [](auto v) { return static_cast<std::int64_t>(v); };
  t.add_row({scenario.name, i64(info.seed), duration_s, i64(scenario.replicas),
             i64(scenario.replicas * scenario.serving->gpus_per_replica()), i64(scenario.total_users()),
             i64(m.submitted), i64(m.completed), i64(m.rejected), i64(m.abandoned), i64(info.in_flight),
             i64(m.throttled), i64(m.preemptions), static_cast<double>(m.latency_s.moments.count()) / measured_s,
             i64(m.input_tokens_completed), i64(m.output_tokens_completed),
             static_cast<double>(m.output_tokens_completed) / duration_s, m.latency_s.moments.mean(),
             m.latency_s.sample.quantile(0.5), m.latency_s.sample.quantile(0.99), m.ttft_s.moments.mean(),
             m.ttft_s.sample.quantile(0.5), m.ttft_s.sample.quantile(0.99), m.tpot_s.moments.mean(),
             m.tpot_s.sample.quantile(0.5), m.tpot_s.sample.quantile(0.99), m.queue_wait_s.moments.mean(),
             utilization});
  return t;
}

std::string run_json(const Scenario& scenario, const RunInfo& info) {
  const double eps = info.wall_s > 0 ? static_cast<double>(info.events) / info.wall_s : 0.0;
  const double requests_per_wall_s = info.wall_s > 0 ? static_cast<double>(info.requests_submitted) / info.wall_s : 0.0;
  const double simulated_s_per_wall_s = info.wall_s > 0 ? to_seconds(info.end_time) / info.wall_s : 0.0;
  return fmt::format(
      "{{\n  \"infercost_version\": {},\n  \"scenario\": {},\n  \"scenario_file\": {},\n"
      "  \"scenario_hash\": \"{:016x}\",\n  \"seed\": {},\n  \"simulated_s\": {},\n  \"wall_s\": {},\n"
      "  \"events_processed\": {},\n  \"events_per_s\": {},\n  \"event_fingerprint\": \"{:016x}\",\n"
      "  \"requests_submitted\": {},\n  \"simulated_requests_per_wall_s\": {},\n"
      "  \"simulated_s_per_wall_s\": {},\n  \"peak_rss_bytes\": {}\n}}\n",
      json_quote(INFERCOST_VERSION), json_quote(scenario.name), json_quote(scenario.file), scenario.hash, info.seed,
      to_seconds(info.end_time), info.wall_s, info.events, eps, info.fingerprint, info.requests_submitted,
      requests_per_wall_s, simulated_s_per_wall_s, info.peak_rss_bytes);
}

void write_run_outputs(const std::filesystem::path& dir, const Scenario& scenario, const Simulation& sim,
                       const RunInfo& info) {
  // Everything is rendered before anything is written, so a failure leaves no partial set.
  const std::string summary = summary_table(scenario, sim.metrics(), info).to_string();
  const std::string json = run_json(scenario, info);
  write_file_atomic(dir / "summary.csv", summary);
  write_file_atomic(dir / "run.json", json);
}

}  // namespace infercost
