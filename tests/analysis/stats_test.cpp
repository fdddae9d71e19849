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

TEST_CASE("a sketch's buckets split each power of two by the fewest significand bits that keep the bound",
          "[stats]") {
  // 1/(2^(m+1) + 1) <= alpha < 1/(2^m + 1): m = 7 at 0.5% (1/257 = 0.389%), 6 at 1%, 5 at 2%, 0 above 1/3.
  CHECK(QuantileSketch(0.005).significand_bits() == 7);
  CHECK(QuantileSketch(0.0077).significand_bits() == 7);
  CHECK(QuantileSketch(0.0078).significand_bits() == 6);
  CHECK(QuantileSketch(0.01).significand_bits() == 6);
  CHECK(QuantileSketch(0.02).significand_bits() == 5);
  CHECK(QuantileSketch(0.4).significand_bits() == 0);
  CHECK(QuantileSketch(1e-300).significand_bits() == 52);
}

TEST_CASE("a sketch's bucket holds the magnitudes from its lower edge to the next one's, and its value is within "
          "alpha of both ends", "[stats]") {
  for (const double alpha : {0.005, 0.02, 0.1}) {
    QuantileSketch sketch(alpha, 0);
    RandomStream rng(6);
    std::uint64_t outside = 0, keys_checked = 0;
    double worst = 0.0;
    for (int i = 0; i < 200000; ++i) {
      const double x = std::exp(rng.uniform() * 700.0 - 27.0);  // 1.9e-12 to 1e292
      const std::int64_t k = sketch.key(x);
      outside += !(sketch.lower_edge(k) <= x && x < sketch.lower_edge(k + 1));
    }
    // At the edges themselves and their neighbouring doubles, where a rounding error would move a key.
    for (std::int64_t k = sketch.key(1e-12) + 1; k < sketch.key(1e290); k += 13) {
      const double lo = sketch.lower_edge(k), hi = sketch.lower_edge(k + 1);
      ++keys_checked;
      outside += sketch.key(lo) != k || sketch.key(std::nextafter(lo, 0.0)) != k - 1 ||
                 sketch.key(std::nextafter(hi, 0.0)) != k || sketch.key(hi) != k + 1;
      // The bucket's value against its two ends: the bound of every quantile it reports.
      // (The rank is neither the first nor the last, which the sketch knows exactly.)
      QuantileSketch lone(alpha, 0);
      for (const double x : {lo / 2, lo, lo, 2 * hi}) lone.add(x);
      const double v = lone.quantile(0.5);
      worst = std::max({worst, (v - lo) / lo, (hi - v) / hi});
    }
    INFO("alpha " << alpha);
    CHECK(keys_checked > 500);
    CHECK(outside == 0);
    CHECK(worst <= alpha);
    CHECK(worst > alpha / 2);  // the buckets are not needlessly fine (m is the fewest bits)
  }
}
