#pragma once
// Attribution of a run's bill to its users (docs/attribution.md): GPU energy and GPU-time are split per work
// span in proportion to each request's share of the work; the rest of the bill is either left unallocated
// (the "marginal" view) or allocated in proportion to attributed GPU-time (the "fully loaded" view). In both
// views the users' costs plus the unallocated remainder equal the bill.
#include <cstdint>
#include <span>
#include <vector>

#include "infercost/power/facility.hpp"
#include "infercost/serving/replica.hpp"

namespace infercost {

/// Per-user attributed resources.
struct UserUsage {
  double gpu_s = 0.0;     ///< GPU-seconds (GPUs of the replica x span x share)
  double energy_j = 0.0;  ///< GPU energy, joules
};

/// Per-user money, in USD.
struct UserCost {
  double marginal_usd = 0.0;      ///< the user's GPU energy at the run's mean IT energy price
  double fully_loaded_usd = 0.0;  ///< marginal plus its GPU-time share of everything else
};

/// The bill split over users.
struct Attribution {
  std::vector<UserCost> users;
  double bill_usd = 0.0;                   ///< the run's total bill
  double marginal_unallocated_usd = 0.0;   ///< bill - sum of marginal costs
  double fully_loaded_unallocated_usd = 0.0;  ///< bill - sum of fully loaded costs (0 unless no work at all)
};

/// Collects work spans and replica GPU power; an ActivityObserver (registered after the power meter, whose
/// per-GPU power it reads) and a WorkObserver.
class CostAttribution final : public ActivityObserver, public WorkObserver {
 public:
  CostAttribution(std::uint32_t replicas, std::uint32_t users, std::uint32_t gpus_per_replica,
                  const FacilityMeter* power);

  void on_activity(std::uint32_t replica, SimTime now, const ReplicaActivity& activity) override;
  /// A queue change leaves the replica's power, and so its open piece, as it was.
  void on_queue_change(std::uint32_t, SimTime, const ReplicaActivity&) override {}
  WorkRates on_work(std::uint32_t replica, SimTime start, SimTime end, std::span<const WorkShare> shares,
                    const PooledWork& pooled) override;
  void on_pooled_work(const Request& request, double energy_j, double gpu_s) override;
  void prefetch_user(std::uint32_t user) const { __builtin_prefetch(&users_[user]); }
  void prefetch_replica(std::uint32_t replica) const override { __builtin_prefetch(&replicas_[replica]); }
  /// Closes every replica's energy at `end` (the rest is unattributed).
  void finish(SimTime end);

  const std::vector<UserUsage>& usage() const { return users_; }
  double attributed_gpu_s() const { return attributed_gpu_s_; }
  double attributed_energy_j() const { return attributed_energy_j_; }
  double unattributed_energy_j() const { return unattributed_energy_j_; }
  /// GPU energy seen in all (attributed + unattributed), joules: equals the power meter's GPU energy.
  double total_energy_j() const { return attributed_energy_j_ + unattributed_energy_j_; }

  /// Splits `bill_usd` given the IT energy bill and IT energy (for the mean IT price per joule).
  Attribution split(double bill_usd, double energy_it_usd, double energy_it_j) const;

 private:
  struct Piece {
    SimTime start, end;
    double power_w;  ///< all GPUs of the replica
  };
  /// Read at every activity report: one line each (48-byte records straddled two every other time).
  struct alignas(64) ReplicaState {
    SimTime since = 0;        ///< start of the open piece
    double power_w = 0.0;     ///< all GPUs of the replica, in the open piece
    std::vector<Piece> closed;  ///< pieces closed since the last work report
    std::uint64_t wakes = 0;    ///< wake-ups already counted
  };
  /// When the meter switched the replica's GPUs off by itself inside its open piece, before `now`; else kTimeNever.
  SimTime switched_off_inside(std::uint32_t replica, const ReplicaState& r, SimTime now) const;
  void close_open_piece(std::uint32_t replica, ReplicaState& r, SimTime now);
  /// Adds the part of `p` inside [start, end) to `span_j` and the rest to the unattributed energy.
  void add_piece(const Piece& p, SimTime start, SimTime end, double& span_j);
  /// Activity changes kept per replica between work reports; a span covering more than half of these
  /// would lose exactness, which no shipped model comes near (a span holds a handful of changes).
  static constexpr std::size_t kMaxPieces = 4096;

  std::vector<ReplicaState> replicas_;
  std::vector<UserUsage> users_;
  std::uint32_t gpus_per_replica_;
  const FacilityMeter* power_;
  double attributed_gpu_s_ = 0.0;
  double attributed_energy_j_ = 0.0;
  double unattributed_energy_j_ = 0.0;
};

}  // namespace infercost
