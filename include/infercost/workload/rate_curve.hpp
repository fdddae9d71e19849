#pragma once
// Daily and weekly cycles of a user's request (or session) rate, and arrivals from them by thinning
// (Lewis & Shedler 1979). Simulated time 0 is Monday 00:00 UTC; a class sees it in its local time
// (UTC + utc_offset). docs/models-workload.md, "Diurnal and weekly cycles", has the formulas.
#include <array>
#include <cstdint>
#include <string>

#include "infercost/engine/random.hpp"
#include "infercost/engine/time.hpp"
#include "infercost/io/config.hpp"

namespace infercost {

/// A weekly-periodic rate per user, in 1/s: lambda(t) = mean_rate * d(local time of day) * w(local weekday),
/// with d and w each of mean 1, so the mean over any whole week is mean_rate.
class RateCurve {
 public:
  /// Shape of the daily factor d.
  enum class Profile : std::uint8_t {
    kFlat,      ///< d = 1
    kSinusoid,  ///< d = 1 + amplitude * cos(2 pi (hour - peak_hour) / 24)
    kHourly,    ///< d = h[hour] / mean(h): 24 piecewise-constant multipliers
  };

  /// A constant rate (a homogeneous Poisson process).
  static RateCurve constant(double rate_per_s);
  /// Reads `rate` and the curve's keys (profile, peak_hour, amplitude, hourly, weekend_factor, utc_offset) from
  /// an arrival node; `default_profile` applies when the node names no shape.
  static RateCurve read(const ConfigNode& node, Profile default_profile, const std::string& rate_key = "rate");

  /// The same shape at `factor` times the rate (the superposition of `factor` users' processes).
  RateCurve scaled(double factor) const {
    RateCurve c = *this;
    c.mean_rate_per_s_ *= factor;
    return c;
  }
  double mean_rate_per_s() const { return mean_rate_per_s_; }
  double max_rate_per_s() const { return mean_rate_per_s_ * max_factor_; }
  /// lambda(t), in 1/s.
  double rate_per_s(SimTime t) const;
  /// The expected number of arrivals in [a, b): the exact integral of lambda.
  double integral(SimTime a, SimTime b) const;
  /// True when lambda is constant in time.
  bool is_constant() const { return max_factor_ == 1.0; }
  /// The first arrival after `t` (strictly later, whole ns), or kTimeNever when none comes before `end`.
  /// Constant rate: t + Exp(rate). Otherwise thinning: candidates at the peak rate, each kept with probability
  /// lambda(candidate) / peak.
  SimTime next_arrival(SimTime t, SimTime end, RandomStream& rng) const;
  std::string describe() const;

 private:
  double daily_factor(SimTime time_of_day) const;
  /// Integral of the daily factor over [from, to) within one day, in seconds.
  double daily_integral_s(SimTime from, SimTime to) const;
  double weekly_factor(std::int64_t local_day) const;

  Profile profile_ = Profile::kFlat;
  double mean_rate_per_s_ = 0.0;
  double amplitude_ = 0.0;
  double peak_hour_ = 0.0;
  std::array<double, 24> hourly_{};    ///< normalized to mean 1
  double weekday_factor_ = 1.0;        ///< normalized so that (5 weekday + 2 weekend) / 7 = 1
  double weekend_factor_ = 1.0;
  double weekend_ratio_ = 1.0;         ///< as configured: weekend / weekday
  SimTime utc_offset_ = 0;
  double max_factor_ = 1.0;            ///< max d * max w
};

/// Day index and time of day of a local time (floor division, so negative times work).
struct LocalTime {
  std::int64_t day;       ///< days since Monday 00:00 of week 0 (day % 7 == 0 is a Monday)
  SimTime time_of_day;    ///< in [0, kDay)
  int weekday() const { return static_cast<int>(((day % 7) + 7) % 7); }  ///< 0 = Monday ... 6 = Sunday
};
LocalTime local_time(SimTime t, SimTime utc_offset);

}  // namespace infercost
