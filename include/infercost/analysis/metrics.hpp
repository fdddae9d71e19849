#pragma once
// Collects what a run measured: request outcomes, latencies, per-user counts and replica utilization.
#include <cstdint>
#include <string>
#include <vector>

#include "infercost/analysis/stats.hpp"
#include "infercost/core/request.hpp"
#include "infercost/serving/replica.hpp"

namespace infercost {

/// Per-user counters.
struct UserCounters {
  std::uint32_t submitted = 0;
  std::uint32_t completed = 0;
  std::uint32_t rejected = 0;
  std::uint32_t abandoned = 0;
  std::uint32_t throttled = 0;     ///< submissions (attempts included) refused by a policy
  std::uint64_t input_tokens = 0;  ///< of completed requests
  std::uint64_t output_tokens = 0; ///< of completed requests
};

/// Integrates one replica's activity over time. Only the four integrated fractions of the last report are
/// kept (72 bytes, not 88 with the whole report): every report reads and writes the record.
struct ReplicaUsage {
  SimTime last_change = 0;
  double busy_fraction = 0.0, compute_fraction = 0.0, memory_bw_fraction = 0.0, kv_occupancy = 0.0;  ///< since then
  double busy_s = 0.0;        ///< integral of busy_fraction dt
  double compute_s = 0.0;     ///< integral of compute_fraction dt
  double memory_bw_s = 0.0;   ///< integral of memory_bw_fraction dt
  double kv_s = 0.0;          ///< integral of kv_occupancy dt
};

/// The run's measurements.
class Metrics : public ActivityObserver {
 public:
  Metrics(std::uint32_t users, std::uint32_t replicas, SimTime warmup);
  /// Sets latency targets (ns; kTimeNever: none) whose attainment is counted.
  void set_slo(SimTime ttft, SimTime tpot, SimTime latency) {
    slo_ttft_ = ttft;
    slo_tpot_ = tpot;
    slo_latency_ = latency;
  }

  void on_created(const Request& r);
  void on_throttled(const Request& r);
  void on_finished(const Request& r, SimTime now);
  /// A user left for the rest of the run (client `on_cap: leave`).
  void on_user_left(std::uint32_t /*user*/) { ++users_left; }
  void on_activity(std::uint32_t replica, SimTime now, const ReplicaActivity& activity) override;
  /// The replica's utilization integrals do not depend on its queue, and nothing here reads the queued count.
  void on_queue_change(std::uint32_t, SimTime, const ReplicaActivity&) override {}
  /// Closes the integrals at the end of the run.
  void finish(SimTime end_time);

  std::uint64_t submitted = 0, completed = 0, rejected = 0, abandoned = 0, throttled = 0, preemptions = 0;
  std::uint64_t input_tokens_completed = 0, output_tokens_completed = 0;
  std::uint64_t users_left = 0;  ///< users who left after an exhausted usage cap
  LatencyStats latency_s, ttft_s, tpot_s;
  /// Only its mean is reported (summary.csv's queue_wait_mean_s), so it keeps no quantile sketch: a sketch add
  /// (a logarithm and a bucket) per completed request for nothing.
  RunningStats queue_wait_s;
  /// Completed requests after warmup meeting each target, and meeting all the configured ones.
  std::uint64_t slo_ttft_met = 0, slo_tpot_met = 0, slo_latency_met = 0, slo_all_met = 0;
  std::vector<UserCounters> users;
  std::vector<ReplicaUsage> replicas;

 private:
  /// Adds the fractions' integrals up to `now`.
  static void close_interval(ReplicaUsage& u, SimTime now);
  SimTime warmup_;
  SimTime slo_ttft_ = kTimeNever, slo_tpot_ = kTimeNever, slo_latency_ = kTimeNever;
};

}  // namespace infercost
