#include "infercost/analysis/metrics.hpp"

namespace infercost {

Metrics::Metrics(std::uint32_t users_count, std::uint32_t replica_count, SimTime warmup)
    : users(users_count), replicas(replica_count), warmup_(warmup) {}

void Metrics::on_created(const Request& r) {
  ++submitted;
  ++users[r.user].submitted;
}

void Metrics::on_throttled(const Request& r) {
  ++throttled;
  ++users[r.user].throttled;
}

void Metrics::on_finished(const Request& r, SimTime /*now*/) {
  UserCounters& u = users[r.user];
  preemptions += r.preemptions;
  switch (r.outcome) {
    case RequestOutcome::kCompleted: {
      ++completed;
      ++u.completed;
      u.input_tokens += r.input_tokens;
      u.output_tokens += r.output_tokens;
      input_tokens_completed += r.input_tokens;
      output_tokens_completed += r.output_tokens;
      if (r.created_at < warmup_) break;
      latency_s.add(to_seconds(r.completed_at - r.created_at));
      if (r.first_token_at != kTimeNever) ttft_s.add(to_seconds(r.first_token_at - r.created_at));
      if (r.started_at != kTimeNever) queue_wait_s.add(to_seconds(r.started_at - r.submitted_at));
      {
        const SimTime ttft = r.first_token_at == kTimeNever ? kTimeNever : r.first_token_at - r.created_at;
        const SimTime tpot = r.output_tokens > 1 && r.first_token_at != kTimeNever
                                 ? (r.completed_at - r.first_token_at) / (r.output_tokens - 1)
                                 : 0;
        const bool ttft_ok = ttft <= slo_ttft_, tpot_ok = tpot <= slo_tpot_,
                   latency_ok = r.completed_at - r.created_at <= slo_latency_;
        slo_ttft_met += ttft_ok;
        slo_tpot_met += tpot_ok;
        slo_latency_met += latency_ok;
        slo_all_met += ttft_ok && tpot_ok && latency_ok;
      }
      if (r.output_tokens > 1 && r.first_token_at != kTimeNever) {
        tpot_s.add(to_seconds(r.completed_at - r.first_token_at) / static_cast<double>(r.output_tokens - 1));
      }
      break;
    }
    case RequestOutcome::kRejected: ++rejected; ++u.rejected; break;
    case RequestOutcome::kAbandoned: ++abandoned; ++u.abandoned; break;
    case RequestOutcome::kInFlight: break;
  }
}

void Metrics::on_activity(std::uint32_t replica, SimTime now, const ReplicaActivity& activity) {
  ReplicaUsage& u = replicas[replica];
  close_interval(u, now);
  u.busy_fraction = activity.busy_fraction;
  u.compute_fraction = activity.compute_fraction;
  u.memory_bw_fraction = activity.memory_bw_fraction;
  u.kv_occupancy = activity.kv_occupancy;
}

void Metrics::close_interval(ReplicaUsage& u, SimTime now) {
  const double dt = to_seconds(now - u.last_change);
  u.busy_s += u.busy_fraction * dt;
  u.compute_s += u.compute_fraction * dt;
  u.memory_bw_s += u.memory_bw_fraction * dt;
  u.kv_s += u.kv_occupancy * dt;
  u.last_change = now;
}

void Metrics::finish(SimTime end_time) {
  for (ReplicaUsage& u : replicas) close_interval(u, end_time);
}

}  // namespace infercost
