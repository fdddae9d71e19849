// Rate curves and thinning. lambda(t) = r * d(tau) * w(day), tau and day in local time (t + utc_offset).
//  - sinusoid: d(tau) = 1 + a cos(2 pi (tau_h - p) / 24), a in [0, 1]; its mean over a day is 1 and
//    integral_{tau0}^{tau1} d = (tau1 - tau0) + a * 86400 / (2 pi) * (sin theta(tau1) - sin theta(tau0)) seconds.
//  - hourly: d(tau) = h[floor(tau_h)] / mean(h).
//  - weekly: w = 1 / m on Monday..Friday and f / m on Saturday and Sunday, m = (5 + 2 f) / 7.
// Every (day, hour) pair occurs once a week, so the weekly mean of d * w is mean(d) * mean(w) = 1.
// Thinning (Lewis & Shedler 1979, Naval Research Logistics Quarterly 26(3):403-413): draw candidates of a
// homogeneous process at lambda_max = r * max d * max w and keep each with probability lambda(t) / lambda_max;
// the kept points form a Poisson process of rate lambda(t).
#include "infercost/workload/rate_curve.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

namespace infercost {
namespace {

constexpr double kTwoPi = 6.283185307179586;
constexpr double kDayS = 86400.0;

/// A rate in the largest unit that keeps it under 100 ("1.5/d", "20/h", "3/s").
std::string format_rate(double per_s) {
  if (per_s * kDayS < 100) return fmt::format("{:.4g}/d", per_s * kDayS);
  if (per_s * 3600 < 100) return fmt::format("{:.4g}/h", per_s * 3600);
  if (per_s * 60 < 100) return fmt::format("{:.4g}/min", per_s * 60);
  return fmt::format("{:.4g}/s", per_s);
}

}  // namespace

LocalTime local_time(SimTime t, SimTime utc_offset) {
  const SimTime local = t + utc_offset;
  std::int64_t day = local / kDay;
  if (local % kDay < 0) --day;
  return LocalTime{day, local - day * kDay};
}

RateCurve RateCurve::constant(double rate_per_s) {
  RateCurve c;
  c.mean_rate_per_s_ = rate_per_s;
  return c;
}

RateCurve RateCurve::read(const ConfigNode& node, Profile default_profile, const std::string& rate_key) {
  RateCurve c;
  c.mean_rate_per_s_ = node.get_quantity(rate_key, UnitKind::kRate, std::nullopt, 1e-12);
  std::string default_name = default_profile == Profile::kFlat       ? "flat"
                             : default_profile == Profile::kSinusoid ? "sinusoid"
                                                                     : "hourly";
  // Naming a shape's own keys selects that shape.
  if (node.has("hourly")) default_name = "hourly";
  else if (node.has("peak_hour") || node.has("amplitude")) default_name = "sinusoid";
  const std::string profile = node.get_choice("profile", {"flat", "sinusoid", "hourly"}, default_name);
  const auto only_for = [&](const char* key, const char* shape) {
    if (profile != shape && node.has(key)) {
      node.child(key).fail(fmt::format("applies to profile: {} only (this curve's profile is {})", shape, profile));
    }
  };
  only_for("hourly", "hourly");
  only_for("peak_hour", "sinusoid");
  only_for("amplitude", "sinusoid");
  double max_daily = 1.0;
  if (profile == "sinusoid") {
    c.profile_ = Profile::kSinusoid;
    c.peak_hour_ = node.get_double("peak_hour", 14.0, 0.0, 24.0);
    c.amplitude_ = node.get_double("amplitude", 0.5, 0.0, 1.0);
    max_daily = 1.0 + c.amplitude_;
  } else if (profile == "hourly") {
    c.profile_ = Profile::kHourly;
    const ConfigNode list = node.child("hourly");
    const auto values = list.elements();
    if (values.size() != 24) list.fail(fmt::format("expected 24 multipliers (hours 0..23), got {}", values.size()));
    double sum = 0.0;
    for (std::size_t h = 0; h < 24; ++h) {
      const double v = values[h].as_double();
      if (!(v >= 0.0) || v > 1e6) values[h].fail(fmt::format("expected a multiplier in [0, 1e6], got {}", v));
      c.hourly_[h] = v;
      sum += v;
    }
    if (!(sum > 0.0)) list.fail("expected at least one positive multiplier");
    for (double& v : c.hourly_) v *= 24.0 / sum;
    max_daily = *std::max_element(c.hourly_.begin(), c.hourly_.end());
  }
  c.weekend_ratio_ = node.get_double("weekend_factor", 1.0, 0.0, 100.0);
  const double mean_week = (5.0 + 2.0 * c.weekend_ratio_) / 7.0;
  c.weekday_factor_ = 1.0 / mean_week;
  c.weekend_factor_ = c.weekend_ratio_ / mean_week;
  c.utc_offset_ = from_seconds(node.get_quantity("utc_offset", UnitKind::kDuration, 0.0, -14 * 3600.0, 14 * 3600.0));
  c.max_factor_ = max_daily * std::max(c.weekday_factor_, c.weekend_factor_);
  return c;
}

double RateCurve::daily_factor(SimTime time_of_day) const {
  switch (profile_) {
    case Profile::kFlat: return 1.0;
    case Profile::kSinusoid:
      return 1.0 + amplitude_ * std::cos(kTwoPi * (to_seconds(time_of_day) / 3600.0 - peak_hour_) / 24.0);
    case Profile::kHourly: return hourly_[static_cast<std::size_t>(time_of_day / kHour)];
  }
  return 1.0;
}

double RateCurve::daily_integral_s(SimTime from, SimTime to) const {
  switch (profile_) {
    case Profile::kFlat: return to_seconds(to - from);
    case Profile::kSinusoid: {
      const auto theta = [&](SimTime tau) { return kTwoPi * (to_seconds(tau) / 3600.0 - peak_hour_) / 24.0; };
      return to_seconds(to - from) + amplitude_ * kDayS / kTwoPi * (std::sin(theta(to)) - std::sin(theta(from)));
    }
    case Profile::kHourly: {
      double sum = 0.0;
      for (SimTime s = from; s < to;) {
        const SimTime hour_end = (s / kHour + 1) * kHour;
        const SimTime e = std::min(hour_end, to);
        sum += hourly_[static_cast<std::size_t>(s / kHour)] * to_seconds(e - s);
        s = e;
      }
      return sum;
    }
  }
  return 0.0;
}

double RateCurve::weekly_factor(std::int64_t local_day) const {
  const LocalTime lt{local_day, 0};
  return lt.weekday() >= 5 ? weekend_factor_ : weekday_factor_;
}

double RateCurve::rate_per_s(SimTime t) const {
  if (is_constant()) return mean_rate_per_s_;
  const LocalTime lt = local_time(t, utc_offset_);
  return mean_rate_per_s_ * daily_factor(lt.time_of_day) * weekly_factor(lt.day);
}

double RateCurve::integral(SimTime a, SimTime b) const {
  if (b <= a) return 0.0;
  if (is_constant()) return mean_rate_per_s_ * to_seconds(b - a);
  double sum = 0.0;
  for (SimTime s = a; s < b;) {
    const LocalTime lt = local_time(s, utc_offset_);
    const SimTime e = std::min(b, s + (kDay - lt.time_of_day));
    sum += weekly_factor(lt.day) * daily_integral_s(lt.time_of_day, lt.time_of_day + (e - s));
    s = e;
  }
  return mean_rate_per_s_ * sum;
}

SimTime RateCurve::next_arrival(SimTime t, SimTime end, RandomStream& rng) const {
  const double peak = max_rate_per_s();
  SimTime cur = t;
  for (;;) {
    const SimTime gap = std::max<SimTime>(1, from_seconds(rng.exponential(peak)));
    if (gap >= end - cur) return kTimeNever;
    cur += gap;
    if (is_constant() || rng.uniform() * peak < rate_per_s(cur)) return cur;
  }
}

std::string RateCurve::describe() const {
  std::string shape;
  switch (profile_) {
    case Profile::kFlat: shape = "flat"; break;
    case Profile::kSinusoid: shape = fmt::format("sinusoid peak {:g}h amplitude {:g}", peak_hour_, amplitude_); break;
    case Profile::kHourly: shape = "hourly multipliers"; break;
  }
  std::string s = fmt::format("mean {}, {}", format_rate(mean_rate_per_s_), shape);
  if (weekend_ratio_ != 1.0) s += fmt::format(", weekend x{:g}", weekend_ratio_);
  if (utc_offset_ != 0) s += fmt::format(", UTC{}{:g}h", utc_offset_ < 0 ? "-" : "+", std::fabs(to_seconds(utc_offset_)) / 3600);
  return s;
}

}  // namespace infercost
