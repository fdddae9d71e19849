#pragma once
// One run of a scenario: wires the workload, admission policy, router, replicas and metrics to an engine.
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "infercost/analysis/attribution.hpp"
#include "infercost/analysis/metrics.hpp"
#include "infercost/core/request_pool.hpp"
#include "infercost/core/scenario.hpp"
#include "infercost/engine/engine.hpp"
#include "infercost/engine/random.hpp"
#include "infercost/power/facility.hpp"

namespace infercost {

class TtftPredictor;

/// What a finished run reports besides its metrics.
struct RunInfo {
  std::uint64_t seed = 0;
  SimTime end_time = 0;
  std::uint64_t events = 0;
  std::uint64_t fingerprint = 0;
  double wall_s = 0.0;
  std::uint64_t in_flight = 0;
  PowerSummary power;   ///< energy, money and emissions (zeros when the scenario has no power section)
  std::uint64_t requests_submitted = 0;  ///< requests created during the run (simulated requests)
  std::uint64_t peak_rss_bytes = 0;      ///< the process's peak resident memory at the end of the run
  std::uint64_t huge_page_bytes = 0;     ///< of it, on transparent huge pages at the end of the run
  Attribution attribution;  ///< the bill split over users (docs/attribution.md)
};

/// Where one site of a federated run sends what leaves it (sim/core/federation.cpp, docs/models-federation.md).
class SiteLink {
 public:
  virtual ~SiteLink() = default;
  /// Called for every admitted request before it is routed here: true when the link sent it to another site.
  virtual bool forward(const Request& request, std::span<Replica* const> local_replicas, SimTime now) = 0;
  /// A request served here for another site (`origin` as given to Simulation::serve_guest) produced its first
  /// token, or completed (it is released right after).
  virtual void guest_first_token(std::uint64_t origin, const Request& guest, SimTime now) = 0;
  virtual void guest_completed(std::uint64_t origin, const Request& guest, SimTime now) = 0;
};

/// A class's users homed at one site: [first, first + count) in class-local indices.
struct UserRange {
  std::uint32_t first = 0;
  std::uint32_t count = 0;
};

/// The part of a federated scenario one Simulation holds: one site's replicas and home users. The scenario it
/// is given is that site's (its replicas, its one-site power section); random streams stay keyed by global
/// replica and user indices, so a user's and a replica's draws do not depend on the partition.
struct SiteSlice {
  std::uint32_t site = 0;
  std::uint32_t first_replica = 0;  ///< global index of the site's first replica
  std::vector<UserRange> users;     ///< per user class
  SiteLink* link = nullptr;
};

/// A single simulation run. Not copyable; build, run once, read results.
class Simulation : public RequestSink, public RequestListener, public ActivityObserver {
 public:
  Simulation(const Scenario& scenario, std::uint64_t seed);
  /// One site of a federated run (`slice` must outlive the simulation; null: the whole scenario).
  Simulation(const Scenario& scenario, std::uint64_t seed, const SiteSlice* slice);
  ~Simulation() override;
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  /// Runs to the scenario's duration; `progress(fraction)` is called now and then when set.
  RunInfo run(const std::function<void(double)>& progress = {});
  /// run() in steps, for federated runs: start the sources, process every event at or before `time` (any
  /// number of times, increasing), then close the integrals at the scenario's duration. metrics() counts every
  /// completion once advance_to returns (inside a step it may lag by up to kCompletionLag).
  void begin();
  void advance_to(SimTime time) {
    engine_.run_until(time);
    settle_completions();
  }
  RunInfo end_run();

  /// Serves a request forwarded by another site: a copy of it enters this site's pool and router now. Its
  /// progress is reported to the link under `origin`; it does not count in this site's metrics.
  void serve_guest(const Request& request, std::uint64_t origin);
  /// A request of this site served elsewhere: its first token / completion reached home now.
  void forwarded_first_token(std::uint32_t pool_index, SimTime now);
  void forwarded_completed(std::uint32_t pool_index, SimTime started_at, std::uint16_t preemptions, SimTime now);
  /// replica of a request sent to another site.
  static constexpr std::uint32_t kRemoteReplica = UINT32_MAX - 1;
  const Metrics& metrics() const { return metrics_; }
  /// The replicas, in local index order.
  std::span<Replica* const> replicas() const { return replica_ptrs_; }
  const Scenario& scenario() const { return scenario_; }
  Engine& engine() { return engine_; }
  /// The power meter (null when the scenario has no power configuration).
  const FacilityMeter* power_meter() const { return power_.get(); }
  FacilityMeter* power_meter() { return power_.get(); }
  /// Who the GPUs worked for (cost attribution).
  const CostAttribution& attribution() const { return *attribution_; }
  /// Requests currently in the pool (in flight).
  std::uint64_t in_flight() const { return live_requests_; }

  // RequestSink
  Request& create_request(std::uint32_t user, std::uint32_t user_class, std::uint32_t input_tokens,
                          std::uint32_t output_tokens) override;
  void submit(Request& request) override;
  void finish(Request& request, RequestOutcome outcome) override;
  Request& request_at(std::uint32_t pool_index) override { return pool_[pool_index]; }
  PrefetchHint user_record_hint(std::uint32_t first_user) const override {
    return PrefetchHint(metrics_.users.data() + first_user, sizeof(UserCounters));
  }
  void prefetch_replica(std::uint32_t replica) const override {
    __builtin_prefetch(&metrics_.replicas[replica]);
    if (power_) power_->prefetch_replica(replica);
    attribution_->prefetch_replica(replica);
  }
  void prefetch_completion(std::uint32_t user, std::uint32_t user_class, std::uint32_t source_tag) const override {
    __builtin_prefetch(&metrics_.users[user]);
    attribution_->prefetch_user(user);
    if (user_class < sources_.size()) sources_[user_class]->prefetch_completion(user, source_tag);
  }
  void user_left(std::uint32_t user) override;

  /// Requests still in flight, per global user index (conservation checks: submitted = completed + rejected +
  /// abandoned + in flight, per user).
  std::vector<std::uint64_t> in_flight_per_user() const;

  // RequestListener
  void on_started(Request& request, SimTime now) override;
  void on_first_token(Request& request, SimTime now) override;
  void on_completed(Request& request, SimTime now) override;

  // ActivityObserver: fans replica activity out to the metrics, the power meter, the attribution, then every
  // added observer.
  void on_activity(std::uint32_t replica, SimTime now, const ReplicaActivity& activity) override;
  void on_queue_change(std::uint32_t replica, SimTime now, const ReplicaActivity& activity) override;
  /// Adds an observer of replica activity, heard after the built-in ones (tests' probes); it must outlive the run.
  void add_activity_observer(ActivityObserver& observer) { observers_.push_back(&observer); }

 private:
  void release(Request& request);
  /// Records a completion's metrics and frees its slot kCompletionLag completions later (settle_completions()
  /// does the rest at the end of every run_until): the request's lines and the user's counters are cold at
  /// completion, and by then their prefetches have landed (docs/performance.md, "Fourteenth session").
  void lag_completion(Request& request);
  void record_completion(Request& request);  ///< the lagged half: the metrics record, then the slot's return
  void settle_completions();
  std::uint32_t take_slot();
  bool is_guest(std::uint32_t slot) const { return slot < guest_origin_.size() && guest_origin_[slot] != 0; }
  TrafficSource& source_of(const Request& request) { return *sources_[request.user_class]; }

  const Scenario& scenario_;
  std::uint64_t seed_;
  Engine engine_;
  StreamFactory streams_;
  Metrics metrics_;
  std::vector<ActivityObserver*> observers_;  ///< added ones only (tests' probes)
  std::vector<std::unique_ptr<Replica>> replicas_;
  std::vector<Replica*> replica_ptrs_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<AdmissionPolicy> policy_;
  std::unique_ptr<FacilityMeter> power_;
  std::unique_ptr<CostAttribution> attribution_;
  std::unique_ptr<WaitQueueConfig> queue_order_;  ///< the active policy set's queue order (null: the serving one)
  ReplicaScratch replica_scratch_;  ///< buffers the replicas share within an event
  std::unique_ptr<TtftPredictor> ttft_;           ///< predicted TTFT for admission (null: the model has none)
  std::vector<std::unique_ptr<TrafficSource>> sources_;
  RequestPool pool_;
  std::vector<std::uint32_t> free_slots_;
  static constexpr std::uint32_t kCompletionLag = 8;
  std::array<Request*, kCompletionLag> lagged_{};  ///< completions not yet in metrics_, oldest at lag_next_
  std::uint32_t lag_next_ = 0;
  std::uint64_t next_request_id_ = 0;
  std::uint64_t live_requests_ = 0;
  const SiteSlice* slice_ = nullptr;
  std::vector<std::uint64_t> guest_origin_;  ///< per pool slot: origin + 1 of a guest request, 0 for one of ours
  std::chrono::steady_clock::time_point wall_start_;
};

}  // namespace infercost
