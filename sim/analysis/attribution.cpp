#include "infercost/analysis/attribution.hpp"

#include <algorithm>

namespace infercost {

CostAttribution::CostAttribution(std::uint32_t replicas, std::uint32_t users, std::uint32_t gpus_per_replica,
                                 const FacilityMeter* power)
    : replicas_(replicas), users_(users), gpus_per_replica_(gpus_per_replica), power_(power) {
  if (power_) {
    for (std::uint32_t i = 0; i < replicas; ++i) replicas_[i].power_w = power_->gpu_power_w(i) * gpus_per_replica_;
  }
}

// Both inlined into the report and the span (their only callers besides finish): out of line, they were a
// call and a prologue at every step's report for a few compares (0.6% of the small fleet's instructions).
[[gnu::always_inline]] inline SimTime CostAttribution::switched_off_inside(std::uint32_t replica,
                                                                          const ReplicaState& r, SimTime now) const {
  if (power_ == nullptr) return kTimeNever;
  const SimTime off = power_->off_since(replica);
  return off != kTimeNever && off > r.since && off < now ? off : kTimeNever;
}

[[gnu::always_inline]] inline void CostAttribution::close_open_piece(std::uint32_t replica, ReplicaState& r,
                                                                    SimTime now) {
  // The meter switches idle GPUs off by itself, without a report: the piece changes power there.
  if (const SimTime off = switched_off_inside(replica, r, now); off != kTimeNever) {
    r.closed.push_back(Piece{r.since, off, r.power_w});
    r.since = off;
    r.power_w = power_->gpu_off_w() * gpus_per_replica_;
  }
  if (now > r.since) r.closed.push_back(Piece{r.since, now, r.power_w});
  r.since = now;
  // A replica that reports no work (a model without the seam, or a long idle spell) must not grow the list
  // without bound: pieces that old can no longer fall in a span, so they are idle energy.
  if (r.closed.size() > kMaxPieces) {
    const std::size_t drop = r.closed.size() / 2;
    for (std::size_t i = 0; i < drop; ++i) {
      unattributed_energy_j_ += r.closed[i].power_w * to_seconds(r.closed[i].end - r.closed[i].start);
    }
    r.closed.erase(r.closed.begin(), r.closed.begin() + static_cast<std::ptrdiff_t>(drop));
  }
}

void CostAttribution::on_activity(std::uint32_t replica, SimTime now, const ReplicaActivity&) {
  ReplicaState& r = replicas_[replica];
  if (power_ == nullptr) return;  // no power model: nothing to split but GPU-time, which spans carry
  // Most reports change the queue, not the power (every arrival is one): the open piece then goes on.
  if (power_->gpu_power_w(replica) * gpus_per_replica_ == r.power_w && power_->wakes(replica) == r.wakes &&
      switched_off_inside(replica, r, now) == kTimeNever) {
    return;
  }
  close_open_piece(replica, r, now);
  {
    r.power_w = power_->gpu_power_w(replica) * gpus_per_replica_;
    // A wake-up's energy is an impulse before any work: nobody's.
    const std::uint64_t wakes = power_->wakes(replica);
    if (wakes != r.wakes) {
      unattributed_energy_j_ += static_cast<double>(wakes - r.wakes) * power_->replica_wake_energy_j();
    }
    r.wakes = wakes;
  }
}

void CostAttribution::add_piece(const Piece& p, SimTime start, SimTime end, double& span_j) {
  const double piece_j = p.power_w * to_seconds(p.end - p.start);
  const SimTime lo = std::max(p.start, start), hi = std::min(p.end, end);
  const double inside_j = hi > lo ? p.power_w * to_seconds(hi - lo) : 0.0;
  span_j += inside_j;
  unattributed_energy_j_ += piece_j - inside_j;
}

WorkRates CostAttribution::on_work(std::uint32_t replica, SimTime start, SimTime end,
                                   std::span<const WorkShare> shares, const PooledWork& pooled) {
  ReplicaState& r = replicas_[replica];
  // Energy of the closed pieces inside [start, end) is this span's; the rest (idle before it) is nobody's.
  double span_j = 0.0;
  if (r.closed.empty() && switched_off_inside(replica, r, end) == kTimeNever) {
    // The usual span: one power level since the last report, so the open piece is the only one. Taken
    // directly, not through the list, whose buffer is one more line per step to load (the same sums).
    if (end > r.since) add_piece(Piece{r.since, end, r.power_w}, start, end, span_j);
    r.since = end;
  } else {
    close_open_piece(replica, r, end);
    for (const Piece& p : r.closed) add_piece(p, start, end, span_j);
    r.closed.clear();
  }
  const double span_gpu_s = static_cast<double>(gpus_per_replica_) * to_seconds(end - start);
  double total_share = pooled.total();
  for (const WorkShare& s : shares) total_share += s.share;
  if (total_share <= 0.0) {
    unattributed_energy_j_ += span_j;
    return {};
  }
  for (const WorkShare& s : shares) {
    const double w = s.share / total_share;
    UserUsage& u = users_[s.request->user];
    u.gpu_s += span_gpu_s * w;
    u.energy_j += span_j * w;
  }
  attributed_gpu_s_ += span_gpu_s;
  attributed_energy_j_ += span_j;
  return WorkRates{span_j / total_share, span_gpu_s / total_share};
}

void CostAttribution::on_pooled_work(const Request& request, double energy_j, double gpu_s) {
  UserUsage& u = users_[request.user];
  u.gpu_s += gpu_s;
  u.energy_j += energy_j;
}

void CostAttribution::finish(SimTime end) {
  for (std::uint32_t i = 0; i < replicas_.size(); ++i) {
    ReplicaState& r = replicas_[i];
    close_open_piece(i, r, end);
    for (const Piece& p : r.closed) unattributed_energy_j_ += p.power_w * to_seconds(p.end - p.start);
    r.closed.clear();
  }
}

Attribution CostAttribution::split(double bill_usd, double energy_it_usd, double energy_it_j) const {
  Attribution a;
  a.bill_usd = bill_usd;
  a.users.resize(users_.size());
  const double usd_per_j = energy_it_j > 0 ? energy_it_usd / energy_it_j : 0.0;
  double marginal_sum = 0.0;
  for (std::size_t i = 0; i < users_.size(); ++i) {
    a.users[i].marginal_usd = users_[i].energy_j * usd_per_j;
    marginal_sum += a.users[i].marginal_usd;
  }
  const double rest = bill_usd - marginal_sum;
  double loaded_sum = 0.0;
  for (std::size_t i = 0; i < users_.size(); ++i) {
    const double gpu_share = attributed_gpu_s_ > 0 ? users_[i].gpu_s / attributed_gpu_s_ : 0.0;
    a.users[i].fully_loaded_usd = a.users[i].marginal_usd + rest * gpu_share;
    loaded_sum += a.users[i].fully_loaded_usd;
  }
  a.marginal_unallocated_usd = rest;
  a.fully_loaded_unallocated_usd = bill_usd - loaded_sum;
  return a;
}

}  // namespace infercost
