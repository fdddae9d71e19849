// Token-length distributions against their exact distributions, on seeded streams.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>

#include "infercost/engine/fast_math.hpp"
#include "infercost/workload/lengths.hpp"
#include "workload_support.hpp"

using namespace infercost;
using namespace infercost::workload_test;

namespace {

std::unique_ptr<LengthDistribution> length_from(const std::string& yaml) {
  Registry<LengthDistribution> registry;
  register_length_distributions(registry);
  const ConfigNode n = ConfigNode::load_string(yaml, repo_path("scenarios/lengths.yaml"));
  return read_length(n.child("x"), registry);
}

}  // namespace

TEST_CASE("lognormal lengths follow the rounded lognormal's exact distribution", "[workload][lengths]") {
  const auto d = length_from("x: {type: lognormal, median: 300, p90: 1200}");
  const double mu = std::log(300.0), sigma = std::log(4.0) / 1.2815515655446004;
  // P(X = k) = Phi((ln(k + 1/2) - mu) / sigma) - Phi((ln(k - 1/2) - mu) / sigma); 40 bins of about equal mass.
  const auto cdf = [&](double x) { return x <= 0 ? 0.0 : normal_cdf((std::log(x) - mu) / sigma); };
  std::vector<std::uint32_t> edges;  // bin i holds [edges[i], edges[i+1])
  edges.push_back(1);
  for (std::uint32_t k = 2; edges.size() < 40 && k < 1'000'000; ++k) {
    if (cdf(k - 0.5) - cdf(edges.back() - 0.5) >= 1.0 / 40) edges.push_back(k);
  }
  const int n = 100000;
  std::vector<double> observed(edges.size(), 0.0), expected(edges.size(), 0.0);
  for (std::size_t i = 0; i < edges.size(); ++i) {
    const double lo = i == 0 ? 0.0 : cdf(edges[i] - 0.5);
    const double hi = i + 1 < edges.size() ? cdf(edges[i + 1] - 0.5) : 1.0;
    expected[i] = n * (hi - lo);
  }
  RandomStream rng = StreamFactory(5).stream("lengths");
  for (int i = 0; i < n; ++i) {
    const std::uint32_t x = d->sample(rng);
    const auto bin = std::upper_bound(edges.begin(), edges.end(), x) - edges.begin() - 1;
    ++observed[static_cast<std::size_t>(bin)];
  }
  CHECK(chi_squared(observed, expected) < chi_squared_critical_001(edges.size() - 1));
  CHECK(d->mean() == Approx(std::exp(mu + sigma * sigma / 2)));
}

TEST_CASE("uniform lengths are uniform on [min, max]", "[workload][lengths]") {
  const auto d = length_from("x: {type: uniform, min: 10, max: 59}");
  RandomStream rng = StreamFactory(5).stream("lengths");
  std::vector<double> observed(50, 0.0);
  for (int i = 0; i < 50000; ++i) {
    const std::uint32_t x = d->sample(rng);
    REQUIRE(x >= 10);
    REQUIRE(x <= 59);
    ++observed[x - 10];
  }
  CHECK(chi_squared(observed, std::vector<double>(50, 1000.0)) < chi_squared_critical_001(49));
  CHECK(d->mean() == 34.5);
}

TEST_CASE("empirical lengths resample a trace column", "[workload][lengths]") {
  const auto d = length_from("x: {type: empirical, file: traces/AzureLLMInferenceTrace_conv.csv, column: GeneratedTokens}");
  CHECK(d->mean() == Approx(4088665.0 / 19366.0).epsilon(1e-15));
  // The column's own frequencies, counted here independently, binned in deciles of the values.
  std::ifstream in(repo_path("scenarios/traces/AzureLLMInferenceTrace_conv.csv"));
  std::string line;
  std::getline(in, line);
  std::vector<std::uint32_t> values;
  while (std::getline(in, line)) values.push_back(static_cast<std::uint32_t>(std::stoul(line.substr(line.rfind(',') + 1))));
  REQUIRE(values.size() == 19366);
  std::map<std::uint32_t, double> freq;
  for (auto v : values) freq[v] += 1.0 / values.size();
  std::vector<std::uint32_t> uppers;  // bin upper bounds (inclusive), about 20 bins of equal mass
  double acc = 0.0;
  for (const auto& [v, p] : freq) {
    acc += p;
    if (acc >= (uppers.size() + 1) / 20.0 - 1e-12 || v == freq.rbegin()->first) uppers.push_back(v);
  }
  const int n = 100000;
  std::vector<double> expected(uppers.size(), 0.0), observed(uppers.size(), 0.0);
  for (const auto& [v, p] : freq) expected[std::lower_bound(uppers.begin(), uppers.end(), v) - uppers.begin()] += n * p;
  RandomStream rng = StreamFactory(8).stream("lengths");
  for (int i = 0; i < n; ++i) {
    const std::uint32_t x = d->sample(rng);
    REQUIRE(freq.count(x) == 1);
    ++observed[std::lower_bound(uppers.begin(), uppers.end(), x) - uppers.begin()];
  }
  CHECK(chi_squared(observed, expected) < chi_squared_critical_001(uppers.size() - 1));
  CHECK_THROWS_WITH(length_from("x: {type: empirical, file: traces/AzureLLMInferenceTrace_conv.csv, column: Tokens}"),
                    Catch::Contains("no column 'Tokens'"));
}

TEST_CASE("fast_exp is within 1e-14 of std::exp, relative, on [-700, 700]", "[workload][lengths]") {
  RandomStream rng = StreamFactory(8).stream("exp");
  double worst = 0.0;
  for (int i = 0; i < 2000000; ++i) {
    const double z = (rng.uniform() * 2.0 - 1.0) * (i % 2 == 0 ? 700.0 : 12.0);
    worst = std::max(worst, std::fabs(fast_exp(z) / std::exp(z) - 1.0));
  }
  for (const double z : {0.0, 1e-300, -1e-300, 700.0, -700.0, 0.5 * std::log(2.0) / 128, std::log(2.0)}) {
    worst = std::max(worst, std::fabs(fast_exp(z) / std::exp(z) - 1.0));
  }
  CHECK(worst < 1e-14);
  CHECK(worst > 0.0);  // an approximation: the bound is not vacuous
}

TEST_CASE("lognormal lengths are std::exp's rounded draws, half-integers included", "[workload][lengths]") {
  // The same stream drawn by the distribution and by the formula it replaced (round half up of the clamped
  // std::exp of mu + sigma z); then values of z that put exp(z) next to k + 1/2, where a fast exponential alone
  // would round the other way.
  const auto d = length_from("x: {type: lognormal, median: 300, p90: 1200, max: 5000}");
  const double mu = std::log(300.0), sigma = std::log(1200.0 / 300.0) / 1.2815515655446004;
  const auto reference = [](double x) {
    const double c = std::clamp(x, 1.0, 5000.0);
    const auto whole = static_cast<std::uint32_t>(c);
    return c - static_cast<double>(whole) >= 0.5 ? whole + 1 : whole;
  };
  RandomStream a = StreamFactory(9).stream("lengths"), b = StreamFactory(9).stream("lengths");
  std::uint64_t mismatches = 0;
  for (int i = 0; i < 500000; ++i) mismatches += d->sample(a) != reference(std::exp(b.normal(mu, sigma)));
  CHECK(mismatches == 0);
  // round_exp falls back to std::exp within 1e-12 of a half-integer; these draws all land there.
  std::uint64_t near = 0, in_margin = 0, round_exp_differs = 0;
  for (std::uint32_t k = 1; k < 5000; ++k) {
    double x = std::log(k + 0.5);
    for (int s = 0; s < 3; ++s) x = std::nextafter(x, 0.0);
    for (int s = 0; s < 7; ++s, x = std::nextafter(x, 1.0)) {
      ++near;
      const double e = fast_exp(x);
      in_margin += std::fabs(e - static_cast<double>(k) - 0.5) <= e * 1e-12;
      round_exp_differs += round_exp(x, 1.0, 5000.0) != reference(std::exp(x));
    }
  }
  CHECK(near > 30000);
  CHECK(in_margin == near);
  CHECK(round_exp_differs == 0);
}
