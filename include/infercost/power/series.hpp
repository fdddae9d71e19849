#pragma once
// Piecewise-constant exogenous series (ambient temperature, electricity price, carbon intensity): each one
// says its value at a time and when it next changes, so the energy meter can integrate exactly between
// changes (the SimGrid contract: "how long until your next change?").
#include <functional>
#include <string>
#include <vector>

#include "infercost/engine/time.hpp"

namespace infercost {

class ConfigNode;

/// A right-continuous step function of simulated time, in the unit its owner names (degC, USD/kWh, g/kWh).
class StepSeries {
 public:
  /// The constant 0.
  StepSeries() = default;
  static StepSeries constant(double value);
  /// values[i] holds from starts[i] to starts[i+1]; before starts[0] values[0] holds, after the last start
  /// the last value. With period > 0 the table repeats: local time = (t + phase) mod period, every start lies
  /// in [0, period), and before the first start of a period the last value of the previous period holds.
  static StepSeries table(std::vector<SimTime> starts, std::vector<double> values, SimTime period = 0,
                          SimTime phase = 0);
  /// A function sampled once per step: the value on [k*step, (k+1)*step) is f(k*step + step/2).
  static StepSeries sampled(SimTime step, std::function<double(SimTime)> f);

  double value_at(SimTime t) const;
  /// The first time strictly after t at which the value may change; kTimeNever if it never does.
  SimTime next_change_after(SimTime t) const;
  bool is_constant() const { return kind_ == Kind::kConstant; }

 private:
  enum class Kind { kConstant, kTable, kSampled };
  std::size_t index_at(SimTime local) const;

  Kind kind_ = Kind::kConstant;
  double constant_ = 0.0;
  std::vector<SimTime> starts_;
  std::vector<double> values_;
  SimTime period_ = 0;
  SimTime phase_ = 0;
  SimTime step_ = 0;
  std::function<double(SimTime)> f_;
};

/// Reads a CSV of (time, value) rows into a StepSeries: the first column is the time since the start of the
/// run (a duration such as 3600, 90s or 1h), `column` names the value column (empty: the second one). The
/// first row is a header. Errors name the file and line and are reported at `node` (a ConfigError).
StepSeries read_step_series_csv(const ConfigNode& node, const std::string& path, const std::string& column,
                                SimTime period);


}  // namespace infercost
