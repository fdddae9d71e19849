#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "infercost/engine/random.hpp"

using namespace infercost;

TEST_CASE("named streams are reproducible and independent of each other", "[engine][random]") {
  const StreamFactory a(42), b(42), c(43);
  auto s1 = a.stream("user", 7), s2 = b.stream("user", 7), s3 = c.stream("user", 7);
  auto s4 = a.stream("user", 8), s5 = a.stream("replica", 7);
  bool all_equal = true, any_equal_seed = false, any_equal_index = false, any_equal_name = false;
  for (int i = 0; i < 100; ++i) {
    const auto x = s1.next_u64();
    all_equal &= x == s2.next_u64();
    any_equal_seed |= x == s3.next_u64();
    any_equal_index |= x == s4.next_u64();
    any_equal_name |= x == s5.next_u64();
  }
  CHECK(all_equal);
  CHECK_FALSE(any_equal_seed);
  CHECK_FALSE(any_equal_index);
  CHECK_FALSE(any_equal_name);
}

TEST_CASE("drawing from one stream never changes another", "[engine][random]") {
  const StreamFactory f(1);
  auto alone = f.stream("user", 3);
  std::vector<double> expected;
  for (int i = 0; i < 50; ++i) expected.push_back(alone.uniform());
  auto other = f.stream("user", 2);
  auto mine = f.stream("user", 3);
  for (int i = 0; i < 50; ++i) {
    for (int k = 0; k < 3; ++k) other.uniform();
    CHECK(mine.uniform() == expected[i]);
  }
}

TEST_CASE("exponential draws pass a chi-squared test against the exact CDF", "[engine][random]") {
  // 200 equiprobable bins of Exp(rate 2) by the exact CDF: the ziggurat's rectangles, wedges and tail all have
  // to be right. Chi-squared with 199 d.o.f.: the 0.999 quantile is 267.0, so a correct generator fails this
  // about once in a thousand seeds; this seed is fixed.
  RandomStream rng(2024);
  const int n = 4'000'000, bins = 200;
  std::vector<int> counts(bins, 0);
  double sum = 0;
  for (int i = 0; i < n; ++i) {
    const double x = rng.exponential(2.0);
    sum += x;
    const double u = 1.0 - std::exp(-2.0 * x);
    counts[std::min(bins - 1, static_cast<int>(u * bins))]++;
  }
  double chi2 = 0;
  const double e = static_cast<double>(n) / bins;
  for (int c : counts) chi2 += (c - e) * (c - e) / e;
  CHECK(chi2 < 267.0);
  CHECK(std::fabs(sum / n - 0.5) < 5.0 * 0.5 / std::sqrt(n));
}

TEST_CASE("the exponential's tail beyond the ziggurat's base has the exact mass", "[engine][random]") {
  // P(X > 7.697) = 4.5e-4 and P(X > 10) = 4.5e-5 for a standard exponential.
  RandomStream rng(21);
  const int n = 8'000'000;
  int beyond_r = 0, beyond_10 = 0;
  for (int i = 0; i < n; ++i) {
    const double x = rng.standard_exponential();
    beyond_r += x > 7.69711747013104972;
    beyond_10 += x > 10.0;
  }
  const auto within = [n](int count, double p) {
    const double mean = n * p;
    return std::fabs(count - mean) < 5.0 * std::sqrt(mean);
  };
  CHECK(within(beyond_r, std::exp(-7.69711747013104972)));
  CHECK(within(beyond_10, std::exp(-10.0)));
}

TEST_CASE("uniform integers cover their range evenly", "[engine][random]") {
  RandomStream rng(7);
  std::vector<int> counts(10, 0);
  for (int i = 0; i < 100000; ++i) counts[rng.uniform_int(10)]++;
  double chi2 = 0;
  for (int c : counts) chi2 += (c - 10000.0) * (c - 10000.0) / 10000.0;
  CHECK(chi2 < 27.88);  // 0.999 quantile, 9 d.o.f.
}

namespace {
double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }
}  // namespace

TEST_CASE("normal draws pass a chi-squared test against the exact CDF", "[engine][random]") {
  // 200 equiprobable bins of N(0, 1) by the exact CDF: the ziggurat's rectangles, wedges and tail all have to
  // be right for the counts to match. Chi-squared with 199 d.o.f.: the 0.999 quantile is 267.0.
  RandomStream rng(11);
  const int n = 4'000'000, bins = 200;
  std::vector<int> counts(bins, 0);
  double sum = 0, sum2 = 0;
  for (int i = 0; i < n; ++i) {
    const double z = rng.normal();
    sum += z;
    sum2 += z * z;
    counts[std::min(bins - 1, static_cast<int>(normal_cdf(z) * bins))]++;
  }
  double chi2 = 0;
  const double e = static_cast<double>(n) / bins;
  for (int c : counts) chi2 += (c - e) * (c - e) / e;
  CHECK(chi2 < 267.0);
  CHECK(std::fabs(sum / n) < 5.0 / std::sqrt(n));
  CHECK(std::fabs(sum2 / n - 1.0) < 5.0 * std::sqrt(2.0 / n));
}

TEST_CASE("the normal's tail beyond the ziggurat's base has the exact mass", "[engine][random]") {
  // P(|Z| > 3.654...) = 2.58e-4 and P(|Z| > 4.5) = 6.8e-6: the tail draws (beyond the layers) and their shape.
  RandomStream rng(12);
  const int n = 8'000'000;
  int beyond_r = 0, beyond_45 = 0;
  for (int i = 0; i < n; ++i) {
    const double z = std::fabs(rng.normal());
    beyond_r += z > 3.6541528853610088;
    beyond_45 += z > 4.5;
  }
  const auto within = [n](int count, double p) {
    const double mean = n * p;
    return std::fabs(count - mean) < 5.0 * std::sqrt(mean);
  };
  CHECK(within(beyond_r, 2.0 * normal_cdf(-3.6541528853610088)));
  CHECK(within(beyond_45, 2.0 * normal_cdf(-4.5)));
}

TEST_CASE("lognormal draws have the median and spread asked for", "[engine][random]") {
  RandomStream rng(13);
  const int n = 200'000;
  const double mu = std::log(300.0), sigma = std::log(3.0) / 1.2815515655446004;
  int below_median = 0, below_p90 = 0;
  for (int i = 0; i < n; ++i) {
    const double x = rng.lognormal(mu, sigma);
    below_median += x < 300.0;
    below_p90 += x < 900.0;
  }
  CHECK(std::fabs(below_median - 0.5 * n) < 5.0 * std::sqrt(0.25 * n));
  CHECK(std::fabs(below_p90 - 0.9 * n) < 5.0 * std::sqrt(0.09 * n));
}
