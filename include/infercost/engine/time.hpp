#pragma once
// Simulated time: integer nanoseconds since the start of a run, so a simulated year accumulates no drift.
#include <cmath>
#include <cstdint>
#include <limits>

namespace infercost {

/// A point in simulated time, or a duration, in nanoseconds.
using SimTime = std::int64_t;

inline constexpr SimTime kNanosecond = 1;
inline constexpr SimTime kMicrosecond = 1'000;
inline constexpr SimTime kMillisecond = 1'000'000;
inline constexpr SimTime kSecond = 1'000'000'000;
inline constexpr SimTime kMinute = 60 * kSecond;
inline constexpr SimTime kHour = 60 * kMinute;
inline constexpr SimTime kDay = 24 * kHour;
inline constexpr SimTime kWeek = 7 * kDay;
/// An average calendar month (365.25 / 12 days), for prorating monthly prices; seconds.
inline constexpr double kMonthSeconds = 365.25 / 12.0 * 86400.0;
inline constexpr SimTime kTimeNever = std::numeric_limits<SimTime>::max();

/// std::llround (nearest, halves away from zero) without the library call, for |x| < 9.2e18. Exact:
/// x - trunc(x) is computed without rounding (Sterbenz's lemma for |x| >= 1; x itself below 1).
inline std::int64_t round_half_away(double x) {
  const auto whole = static_cast<std::int64_t>(x);
  const double frac = x - static_cast<double>(whole);
  return whole + static_cast<std::int64_t>(frac >= 0.5) - static_cast<std::int64_t>(frac <= -0.5);
}

/// Seconds (double) to nanoseconds, rounded to nearest; saturates at kTimeNever.
inline SimTime from_seconds(double seconds) {
  const double ns = seconds * 1e9;
  if (!(ns < 9.2e18)) return kTimeNever;
  if (!(ns > -9.2e18)) return -kTimeNever;
  return round_half_away(ns);
}

/// Nanoseconds to seconds.
inline constexpr double to_seconds(SimTime t) { return static_cast<double>(t) * 1e-9; }

/// Nanoseconds to seconds without loss for spans below 2^53 ns (~104 days) and exact split otherwise.
inline double to_seconds_exact(SimTime t) {
  const SimTime whole = t / kSecond;
  return static_cast<double>(whole) + static_cast<double>(t - whole * kSecond) * 1e-9;
}

}  // namespace infercost
