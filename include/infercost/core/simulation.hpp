#pragma once
// One run of a scenario: wires the workload, admission policy, router, replicas and metrics to an engine.
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include "infercost/analysis/attribution.hpp"
#include "infercost/analysis/metrics.hpp"
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
  Attribution attribution;  ///< the bill split over users (docs/attribution.md)
};

/// A single simulation run. Not copyable; build, run once, read results.
class Simulation : public RequestSink, public RequestListener, public ActivityObserver {
 public:
  Simulation(const Scenario& scenario, std::uint64_t seed);
  ~Simulation() override;
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  /// Runs to the scenario's duration; `progress(fraction)` is called now and then when set.
  RunInfo run(const std::function<void(double)>& progress = {});

  const Metrics& metrics() const { return metrics_; }
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
  Request& create_request(std::uint32_t user, std::uint32_t input_tokens, std::uint32_t output_tokens) override;
  void submit(Request& request) override;
  void finish(Request& request, RequestOutcome outcome) override;
  Request& request_at(std::uint32_t pool_index) override { return pool_[pool_index]; }
  void user_left(std::uint32_t user) override;

  /// Requests still in flight, per global user index (conservation checks: submitted = completed + rejected +
  /// abandoned + in flight, per user).
  std::vector<std::uint64_t> in_flight_per_user() const;

  // RequestListener
  void on_started(Request& request, SimTime now) override;
  void on_first_token(Request& request, SimTime now) override;
  void on_completed(Request& request, SimTime now) override;

  // ActivityObserver: fans replica activity out to metrics and every added observer.
  void on_activity(std::uint32_t replica, SimTime now, const ReplicaActivity& activity) override;
  /// Adds an observer of replica activity (power meters, time series); it must outlive the run.
  void add_activity_observer(ActivityObserver& observer) { observers_.push_back(&observer); }

 private:
  void release(Request& request);
  TrafficSource& source_of(const Request& request) { return *sources_[request.user_class]; }

  const Scenario& scenario_;
  std::uint64_t seed_;
  Engine engine_;
  StreamFactory streams_;
  Metrics metrics_;
  std::vector<ActivityObserver*> observers_;
  std::vector<std::unique_ptr<Replica>> replicas_;
  std::vector<Replica*> replica_ptrs_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<AdmissionPolicy> policy_;
  std::unique_ptr<FacilityMeter> power_;
  std::unique_ptr<CostAttribution> attribution_;
  std::unique_ptr<WaitQueueConfig> queue_order_;  ///< the active policy set's queue order (null: the serving one)
  std::unique_ptr<TtftPredictor> ttft_;           ///< predicted TTFT for admission (null: the model has none)
  std::vector<std::unique_ptr<TrafficSource>> sources_;
  std::vector<std::uint32_t> user_class_of_;   ///< class index of each user
  std::deque<Request> pool_;                   ///< stable addresses
  std::vector<std::uint32_t> free_slots_;
  std::uint64_t next_request_id_ = 0;
  std::uint64_t live_requests_ = 0;
};

}  // namespace infercost
