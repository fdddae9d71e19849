#pragma once
// What admission policies may observe besides requests: a predictor of time to first token (implemented by
// serving models that can predict it) and the facility's power against its budget (implemented by the power
// model). Both are optional; limiters that need one refuse to run without it.
#include "infercost/core/request.hpp"
#include "infercost/engine/time.hpp"

namespace infercost {

/// Predicts the time to first token a request would see if admitted now (load shedding on predicted TTFT).
class TtftPredictor {
 public:
  virtual ~TtftPredictor() = default;
  /// Predicted delay from `now` to the request's first token, in ns.
  virtual SimTime predicted_ttft(const Request& request, SimTime now) const = 0;
};

/// The facility's power draw and its budget (power-aware throttling); implemented by the power model.
class FacilityPowerSignal {
 public:
  virtual ~FacilityPowerSignal() = default;
  /// Facility power (IT plus cooling and losses) at `now`, in watts.
  virtual double facility_power_w(SimTime now) const = 0;
  /// The power budget at `now`, in watts.
  virtual double power_budget_w(SimTime now) const = 0;
};

}  // namespace infercost
