#pragma once
// The serving seam: a replica is one model instance (on one or more GPUs) that accepts requests and reports
// progress; a ServingModelConfig is its validated scenario configuration and builds replicas.
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "infercost/core/request.hpp"
#include "infercost/engine/engine.hpp"
#include "infercost/engine/random.hpp"

namespace infercost {

struct GpuSpec;
class WaitQueueConfig;

/// Receives the milestones of requests from replicas.
class RequestListener {
 public:
  virtual ~RequestListener() = default;
  virtual void on_started(Request& request, SimTime now) = 0;
  virtual void on_first_token(Request& request, SimTime now) = 0;
  virtual void on_completed(Request& request, SimTime now) = 0;
  /// A hint that a request (of `user`, in `user_class`, with the source's `source_tag`) will probably complete
  /// or get its first token soon: may start loading the records that will update; changes nothing.
  virtual void prefetch_completion(std::uint32_t /*user*/, std::uint32_t /*user_class*/,
                                   std::uint32_t /*source_tag*/) const {}
};

/// What a replica's GPUs are doing: piecewise constant between reports.
enum class GpuPhase : std::uint8_t { kIdle, kPrefill, kDecode, kMixed };

/// A replica's state from one report to the next; power and utilization models integrate it.
struct ReplicaActivity {
  GpuPhase phase = GpuPhase::kIdle;
  std::uint32_t running = 0;          ///< requests in the batch / being served
  std::uint32_t queued = 0;           ///< requests waiting at the replica
  double busy_fraction = 0.0;         ///< share of the replica's capacity in use, in [0, 1]
  double compute_fraction = 0.0;      ///< achieved / peak FLOP/s, in [0, 1]
  double memory_bw_fraction = 0.0;    ///< achieved / peak HBM bandwidth, in [0, 1]
  double kv_occupancy = 0.0;          ///< share of KV-cache blocks in use, in [0, 1]
};

/// Observes replica activity changes (power, utilization, time series).
class ActivityObserver {
 public:
  virtual ~ActivityObserver() = default;
  /// Called whenever a replica's activity changes; the new state holds from `now` until the next call.
  virtual void on_activity(std::uint32_t replica, SimTime now, const ReplicaActivity& activity) = 0;
  /// Called instead of on_activity when only `activity.queued` changed (a request arrived at a replica in the
  /// middle of a step); by default it is any change.
  virtual void on_queue_change(std::uint32_t replica, SimTime now, const ReplicaActivity& activity) {
    on_activity(replica, now, activity);
  }
  /// A hint that the replica will report soon: may start loading its records; changes nothing.
  virtual void prefetch_replica(std::uint32_t /*replica*/) const {}
};

/// A request's share of a replica's work over a span of time, relative to the other shares of the same report.
struct WorkShare {
  Request* request = nullptr;
  double share = 0.0;
};

/// Requests whose shares in every span are affine in a number each one keeps while it is a member: share =
/// base + slope * x (the decoding sequences of a continuous-batching replica, x their KV length offset). A replica
/// reports such a pool in O(1) per span and credits each member once, when it leaves (docs/attribution.md).
class WorkPool {
 public:
  virtual ~WorkPool() = default;
  /// Calls `f(request, x)` for every member (for observers that want each request's share; O(members)).
  virtual void for_each_member(const std::function<void(Request&, double)>& f) const = 0;
};

/// A pool's shares in one span: base + slope * x for each of `members` members, whose x sum to `sum_x`.
struct PooledWork {
  const WorkPool* pool = nullptr;  ///< null: no pooled shares in this span
  double base = 0.0;
  double slope = 0.0;
  std::uint32_t members = 0;
  double sum_x = 0.0;
  double total() const { return pool ? base * members + slope * sum_x : 0.0; }
};

/// What one unit of share earned in a span: joules of GPU energy and GPU-seconds.
struct WorkRates {
  double energy_j_per_share = 0.0;
  double gpu_s_per_share = 0.0;
};

/// Hears which requests a replica's GPUs worked for, span by span (cost attribution). A replica reports every
/// span in which it served requests, in time order, with shares in proportion to each request's work
/// (docs/attribution.md); spans it does not report are idle and stay unattributed.
class WorkObserver {
 public:
  virtual ~WorkObserver() = default;
  /// Credits the explicit shares at once; returns the span's rates, with which the replica accumulates what
  /// its pooled members earned.
  virtual WorkRates on_work(std::uint32_t replica, SimTime start, SimTime end, std::span<const WorkShare> shares,
                            const PooledWork& pooled) = 0;
  /// A pool member's accumulated energy and GPU time, credited when it leaves the pool or the run ends.
  virtual void on_pooled_work(const Request& request, double energy_j, double gpu_s) = 0;
};

/// What a replica asks the power model before it works (docs/models-power.md, "Integration contract").
class PowerGovernor {
 public:
  virtual ~PowerGovernor() = default;
  /// Factor (>= 1) by which `replica`'s work doing `activity` takes longer under its power cap now.
  virtual double slowdown(std::uint32_t replica, const ReplicaActivity& activity) const = 0;
  /// How long `replica` needs before it can start work (its GPUs waking from off), 0 when awake.
  virtual SimTime wake_delay(std::uint32_t replica) const = 0;
};

/// Buffers a replica fills and empties within one of its events. A simulation keeps one set for all its replicas:
/// in a fleet, a buffer per replica is a cold cache line at nearly every step, a shared one stays in cache.
struct ReplicaScratch {
  std::vector<std::pair<std::uint64_t, Request*>> completed;  ///< (batch order, request) finishing in a step
  std::vector<Request*> first_tokens;                          ///< requests whose first token a step produced
  std::vector<WorkShare> shares;                               ///< a step's work shares
  std::vector<std::uint32_t> slots;                            ///< slots of decoders finishing in a step
  bool in_use = false;                                         ///< a replica is between filling and emptying them
};

/// What a replica needs from the simulation.
struct ReplicaContext {
  Engine& engine;
  RequestListener& listener;
  ActivityObserver& activity;
  RandomStream rng;             ///< the replica's own stream
  std::uint32_t index = 0;      ///< replica index in the pool
  WorkObserver* work = nullptr; ///< where to report work spans (may be null)
  const PowerGovernor* power = nullptr;          ///< power caps and wake-ups (may be null: no cap, always awake)
  const WaitQueueConfig* queue_order = nullptr;  ///< overrides the serving model's queue order (the policy set's)
  ReplicaScratch* scratch = nullptr;  ///< shared buffers, used within one event at a time (null: the replica's own)
};

/// One model instance serving requests.
class Replica : public EventHandler {
 public:
  /// Accepts a routed request (it may queue).
  virtual void submit(Request& request) = 0;
  /// Requests queued or running here.
  virtual std::uint32_t outstanding() const = 0;
  /// Share of KV-cache in use, in [0, 1] (0 for models without a KV cache).
  virtual double kv_load() const { return 0.0; }
  /// Number of GPUs this replica occupies.
  virtual std::uint32_t gpus() const = 0;
  /// Predicted delay from `now` until `request`'s first token if it were routed here now, ns (kTimeNever when the
  /// model does not predict; see ServingModelConfig::predicts_ttft).
  virtual SimTime predicted_ttft(const Request& /*request*/, SimTime /*now*/) const { return kTimeNever; }
  /// Credits the work its pooled requests have earned so far (WorkObserver::on_pooled_work); the run calls it
  /// once at the end, before attribution closes.
  virtual void settle_work() {}
};

/// A validated `serving:` configuration; builds the replicas of a pool.
class ServingModelConfig {
 public:
  virtual ~ServingModelConfig() = default;
  virtual std::unique_ptr<Replica> make_replica(ReplicaContext context) const = 0;
  /// GPUs per replica.
  virtual std::uint32_t gpus_per_replica() const = 0;
  /// A one-line description for summaries.
  virtual std::string describe() const = 0;
  /// The GPU the replicas run on (TDP, idle power, capex for the power and cost models); nullptr when the model
  /// does not name one (the `fixed` model).
  virtual const GpuSpec* gpu_spec() const { return nullptr; }
  /// Whether replicas order their waiting queue by ReplicaContext::queue_order (a policy set's `queue:`).
  virtual bool applies_queue_order() const { return false; }
  /// Whether replicas implement Replica::predicted_ttft (load shedding on predicted TTFT).
  virtual bool predicts_ttft() const { return false; }
};

}  // namespace infercost
