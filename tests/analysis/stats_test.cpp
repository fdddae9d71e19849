#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "infercost/analysis/stats.hpp"
#include "infercost/engine/random.hpp"

using namespace infercost;

namespace {

const double kQuantiles[] = {0.0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 0.9999, 1.0};

// Every quantile of the sketch within alpha (relative) of the exact nearest-rank quantile.
void check_bound(const std::vector<double>& values, double alpha) {
  QuantileSketch sketch(alpha);
  QuantileSample exact;
  for (double v : values) {
    sketch.add(v);
    exact.add(v);
  }
  REQUIRE_FALSE(sketch.exact());
  for (double q : kQuantiles) {
    const double want = exact.quantile(q);
    const double got = sketch.quantile(q);
    INFO("q = " << q << ", exact " << want << ", sketch " << got);
    // 1e-12: rounding in log() at bucket boundaries, far below alpha.
    REQUIRE(std::abs(got - want) <= alpha * std::abs(want) * (1 + 1e-12) + QuantileSketch::kMinIndexable);
  }
}

}  // namespace

TEST_CASE("quantile sketch is within its relative accuracy on known distributions", "[stats]") {
  RandomStream rng(2024);
  const std::size_t n = 200000;
  std::vector<double> v(n);
  SECTION("uniform") {
    for (auto& x : v) x = rng.uniform(0.5, 3.0);
    check_bound(v, 0.005);
  }
  SECTION("exponential") {
    for (auto& x : v) x = rng.exponential(2.0);
    check_bound(v, 0.005);
  }
  SECTION("lognormal, heavy tail") {
    for (auto& x : v) x = rng.lognormal(0.0, 2.5);
    check_bound(v, 0.005);
  }
  SECTION("signed, with exact zeros, coarser alpha") {
    for (auto& x : v) x = rng.uniform() < 0.1 ? 0.0 : rng.normal(0.2, 1.0);
    check_bound(v, 0.02);
  }
}

TEST_CASE("quantile sketch is exact below its exact limit", "[stats]") {
  QuantileSketch sketch(0.005, 100);
  QuantileSample exact;
  RandomStream rng(1);
  for (int i = 0; i < 100; ++i) {
    const double x = rng.exponential(1.0);
    sketch.add(x);
    exact.add(x);
  }
  REQUIRE(sketch.exact());
  for (double q : kQuantiles) REQUIRE(sketch.quantile(q) == exact.quantile(q));
  sketch.add(1.0);
  REQUIRE_FALSE(sketch.exact());
  REQUIRE(std::isnan(QuantileSketch().quantile(0.5)));
}

TEST_CASE("quantile sketch memory does not grow with the number of values", "[stats]") {
  QuantileSketch sketch;
  RandomStream rng(3);
  for (int i = 0; i < 100000; ++i) sketch.add(rng.lognormal(-2.0, 1.0));
  const std::size_t at_1e5 = sketch.memory_bytes();
  for (int i = 0; i < 900000; ++i) sketch.add(rng.lognormal(-2.0, 1.0));
  REQUIRE(sketch.count() == 1000000);
  REQUIRE(sketch.memory_bytes() <= at_1e5 + 64 * sizeof(std::uint64_t));
  REQUIRE(sketch.memory_bytes() < 32 * 1024);
  // Extreme magnitudes stay bounded too (collapsing the lowest magnitudes).
  for (int e = -300; e <= 300; ++e) sketch.add(std::pow(10.0, e));
  sketch.add(INFINITY);
  REQUIRE(sketch.memory_bytes() < 2 * QuantileSketch::kMaxBuckets * sizeof(std::uint64_t) + 1024);
  REQUIRE(sketch.quantile(1.0) == INFINITY);
}

TEST_CASE("merged sketches equal the sketch of the union", "[stats]") {
  RandomStream rng(5);
  QuantileSketch a, b, all;
  QuantileSketch small_a(0.005, 10), small_b(0.005, 10);
  for (int i = 0; i < 30000; ++i) {
    const double x = rng.exponential(1.0) - 0.1;
    (i % 3 == 0 ? a : b).add(x);
    all.add(x);
  }
  a.merge(b);
  REQUIRE(a.count() == all.count());
  for (double q : kQuantiles) REQUIRE(a.quantile(q) == all.quantile(q));
  // Two exact ones that overflow the limit together.
  for (int i = 0; i < 8; ++i) {
    small_a.add(i);
    small_b.add(10 + i);
  }
  small_a.merge(small_b);
  REQUIRE_FALSE(small_a.exact());
  REQUIRE(small_a.count() == 16);
  REQUIRE(small_a.quantile(0.0) == 0.0);
  REQUIRE(small_a.quantile(1.0) == 17.0);
  REQUIRE(std::abs(small_a.quantile(0.5) - 7.0) <= 0.005 * 7.0);
}

TEST_CASE("fast_ln is within 1e-12 of std::log over the whole normal range", "[stats]") {
  RandomStream rng(5);
  double worst = 0.0;
  for (int i = 0; i < 2000000; ++i) {
    // Log-uniform over [2^-1020, 2^1020), and every mantissa pattern.
    const double x = std::ldexp(1.0 + rng.uniform(), static_cast<int>(rng.uniform_int(2040)) - 1020);
    worst = std::max(worst, std::fabs(fast_ln(x) - std::log(x)));
  }
  for (const double x : {1.0, 2.0, 0.5, 1.0078125, std::nextafter(2.0, 0.0), std::numeric_limits<double>::max(),
                         std::numeric_limits<double>::min(), 1e-12, 3.0}) {
    worst = std::max(worst, std::fabs(fast_ln(x) - std::log(x)));
  }
  CHECK(worst < 1e-12);
  CHECK(worst > 0.0);  // it is an approximation: the check above is not vacuous
}

TEST_CASE("a sketch's bucket key is ceil(std::log(x) / log(gamma)) as computed before fast_ln, at bucket edges too",
          "[stats]") {
  for (const double alpha : {0.005, 0.01, 0.0001}) {
    const QuantileSketch sketch(alpha);
    const double inv_log_gamma = 1.0 / std::log((1.0 + alpha) / (1.0 - alpha));  // as the constructor computes it
    const auto reference = [&](double x) {
      return static_cast<std::int64_t>(std::ceil(std::log(x) * inv_log_gamma));
    };
    RandomStream rng(6);
    std::uint64_t mismatches = 0, edges = 0;
    for (int i = 0; i < 300000; ++i) {
      const double x = std::exp(rng.uniform() * 700.0 - 27.0);  // 1.9e-12 to 1e292
      mismatches += sketch.key(x) != reference(x);
    }
    // Bucket edges gamma^k and their neighbours a few ulps away, where a rounding error changes the key.
    const double gamma = (1.0 + alpha) / (1.0 - alpha);
    for (int k = -2700; k <= 60000; k += 7) {
      double x = std::pow(gamma, static_cast<double>(k));
      if (!(x >= 1e-12 && x < 1e300)) continue;
      for (int step = 0; step < 4; ++step) x = std::nextafter(x, 0.0);
      for (int step = 0; step < 9; ++step, x = std::nextafter(x, 1e308)) {
        ++edges;
        mismatches += sketch.key(x) != reference(x);
      }
    }
    CHECK(edges > 10000);
    CHECK(mismatches == 0);
  }
}
