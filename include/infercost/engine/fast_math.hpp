#pragma once
// A table-driven exponential for hot paths that round its result to an integer: the caller uses it only where
// the rounding provably agrees with std::exp, and falls back to it near a boundary, so no result changes
// (docs/performance.md, "Thirteenth session").
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>

namespace infercost {

namespace detail {
/// 2^(j/128) for fast_exp, j in [0, 128).
struct FastMathTables {
  double exp2_j[128];
};
extern const FastMathTables kFastMath;
}  // namespace detail

/// e^z for |z| <= 700 to within 1e-14 relative: z = (128 n + j) ln2/128 + r with |r| <= ln2/256, e^z =
/// 2^n 2^(j/128) e^r, e^r by its series to r^6/720 (truncation below 1e-17). ln2/128 is split as Cody and Waite do
/// (a 31-bit high part, so k times it is exact for |k| < 2^21) and k is rounded by adding and subtracting 1.5 2^52.
inline double fast_exp(double z) {
  constexpr double kInvStep = 184.6649652337873;          // 128 / ln 2
  constexpr double kStepHi = 0.00541521234663378;         // ln2/128 to 31 bits
  constexpr double kStepLo = 1.4907929134926466e-12;      // ln2/128 - kStepHi
  constexpr double kRound = 6755399441055744.0;           // 1.5 * 2^52
  const double k = (z * kInvStep + kRound) - kRound;
  const auto ki = static_cast<std::int64_t>(k);
  const double r = (z - k * kStepHi) - k * kStepLo;
  const double series =
      1.0 + r * (1.0 + r * (0.5 + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0))))));
  const auto j = static_cast<std::uint32_t>(ki & 127);
  const std::int64_t n = (ki - static_cast<std::int64_t>(j)) / 128;
  const double scale = std::bit_cast<double>(static_cast<std::uint64_t>(n + 1023) << 52);
  return detail::kFastMath.exp2_j[j] * series * scale;
}

/// Rounds clamp(e^z, lo, hi) half up, for integer bounds 0 <= lo <= hi < 2^32: exactly what rounding std::exp(z)
/// gives. fast_exp decides unless its value lies within 1e-12 (relative) of a half-integer, the only place where
/// it and std::exp could round apart (the clamp cannot: its bounds are integers); there, std::exp does.
inline std::uint32_t round_exp(double z, double lo, double hi) {
  double x = 0.0;
  bool decided = false;
  if (z > -700.0 && z < 700.0) [[likely]] {
    x = std::clamp(fast_exp(z), lo, hi);
    const double frac = x - static_cast<double>(static_cast<std::uint32_t>(x));
    decided = std::fabs(frac - 0.5) > x * 1e-12;
  }
  if (!decided) [[unlikely]] x = std::clamp(std::exp(z), lo, hi);
  const auto whole = static_cast<std::uint32_t>(x);
  return x - static_cast<double>(whole) >= 0.5 ? whole + 1 : whole;
}

}  // namespace infercost
