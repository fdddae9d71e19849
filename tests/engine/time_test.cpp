// The library-free rounding used for nanoseconds and microwatts agrees with std::llround everywhere it is used.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "infercost/engine/random.hpp"
#include "infercost/engine/time.hpp"

using namespace infercost;

TEST_CASE("round_half_away equals std::llround on halves, their neighbours and random magnitudes", "[engine]") {
  const auto check = [](double x) {
    if (round_half_away(x) != std::llround(x)) FAIL("x = " << x);
  };
  for (long k = -2000; k <= 2000; ++k) {
    const double half = static_cast<double>(k) + 0.5;
    for (double x : {half, std::nextafter(half, 0.0), std::nextafter(half, 1e300), std::nextafter(half, -1e300),
                     static_cast<double>(k), std::nextafter(static_cast<double>(k), 1e300)}) {
      check(x);
      check(x * 1048576.0);  // halves and their neighbours at larger magnitudes
    }
  }
  for (double x : {0.0, -0.0, 0.49999999999999994, -0.49999999999999994, 4503599627370495.5, 4503599627370496.0,
                   9007199254740993.0, 9.1e18, -9.1e18, 1e-300, -1e-300}) {
    check(x);
  }
  RandomStream rng(11);
  for (int i = 0; i < 200000; ++i) {
    const double magnitude = std::ldexp(1.0, static_cast<int>(rng.uniform_int(62)));
    check((rng.uniform() * 2.0 - 1.0) * magnitude);
  }
  CHECK(from_seconds(1e300) == kTimeNever);
  CHECK(from_seconds(std::numeric_limits<double>::quiet_NaN()) == kTimeNever);
  CHECK(from_seconds(2.5e-9) == 3);
  CHECK(from_seconds(-2.5e-9) == -3);
}
