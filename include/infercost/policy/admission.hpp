#pragma once
// The policy seam: an admission policy sees every submission before routing and may reject it with a
// retry-after hint; it hears of completions to reconcile its counters.
#include <memory>
#include <span>
#include <string>

#include "infercost/core/request.hpp"
#include "infercost/engine/time.hpp"

namespace infercost {

class Replica;
class StreamFactory;
class TtftPredictor;
class FacilityPowerSignal;
struct QueueOrderConfig;

/// The verdict on one submission.
struct AdmissionDecision {
  bool admit = true;
  SimTime retry_after = 0;      ///< hint for clients: earliest time worth retrying, as a delay from now
                                ///< (kTimeNever: the request can never be admitted, e.g. larger than a bucket)
  bool permanent = false;       ///< true when retrying cannot help before a long reset (usage cap)
  const char* reason = "";      ///< static text: "rate_limit", "usage_cap", ...
};

/// What an admission policy may observe of the run it guards (pointers are null when absent).
struct AdmissionContext {
  const StreamFactory* streams = nullptr;    ///< the run's random streams (per-account anchors)
  std::span<Replica* const> replicas;        ///< the replica pool (queue lengths for load shedding)
  const TtftPredictor* ttft = nullptr;       ///< set by a serving model that predicts time to first token
  const FacilityPowerSignal* power = nullptr;  ///< set by the power model (power-aware throttling)
};

/// Decides on submissions; one instance per run.
class AdmissionPolicy {
 public:
  virtual ~AdmissionPolicy() = default;
  virtual AdmissionDecision decide(const Request& request, SimTime now) = 0;
  /// An admitted request completed: reconcile estimates, release what it held.
  virtual void on_completed(const Request& /*request*/, SimTime /*now*/) {}
  /// An admitted request ended without completing (abandoned after admission): release what it held.
  virtual void on_abandoned(const Request& /*request*/, SimTime /*now*/) {}
};

/// A validated policy configuration (a named policy set of the scenario's `policies:` section).
class PolicyConfig {
 public:
  virtual ~PolicyConfig() = default;
  virtual std::unique_ptr<AdmissionPolicy> make_policy(const AdmissionContext& context) const = 0;
  virtual std::string describe() const = 0;
  /// How the serving model should order its waiting queue under this policy (FIFO unless a set says so).
  virtual const QueueOrderConfig* queue_order() const { return nullptr; }
};

}  // namespace infercost
