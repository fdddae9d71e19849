#include "infercost/serving/latency_fit.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "infercost/engine/random.hpp"
#include "infercost/io/errors.hpp"

using namespace infercost;

namespace {

const std::array<double, kLatencyFeatures> kTruth = {6.4e-3, 1.2e-5, 2.8e-5, 1.8e-5, 4.8e-8, 4.5e-10};

std::vector<LatencySample> samples_from(const std::array<double, kLatencyFeatures>& beta, double noise,
                                        RandomStream& rng) {
  std::vector<LatencySample> out;
  auto add = [&](double b, double p, double d, double c) {
    const auto f = latency_features(b, p, d, c);
    double t = 0;
    for (std::size_t i = 0; i < kLatencyFeatures; ++i) t += beta[i] * f[i];
    out.push_back({b, p, d, c, t * (1.0 + noise * rng.normal())});
  };
  for (double b : {1, 4, 16, 64, 256}) {
    for (double ctx : {100, 1000, 8000}) add(b, 0, b, b * ctx);
  }
  for (double p : {32, 300, 2000, 8000}) add(1, p, 0, p);
  for (double b : {8, 100}) add(b + 1, 512, b, b * 1500 + 512);
  return out;
}

}  // namespace

TEST_CASE("least squares recovers known coefficients exactly from noiseless samples", "[serving][latency]") {
  RandomStream rng(1);
  const auto samples = samples_from(kTruth, 0.0, rng);
  const LatencyFit fit = fit_latency(samples, "synthetic");
  for (std::size_t i = 0; i < kLatencyFeatures; ++i) {
    INFO(latency_feature_names()[i]);
    CHECK(fit.coefficients[i] == Approx(kTruth[i]).epsilon(1e-7));
  }
  CHECK(fit.r_squared == Approx(1.0).epsilon(1e-12));
  CHECK(fit.max_abs_residual_s < 1e-12);
  CHECK(fit.residuals_s.size() == samples.size());
  CHECK(fit.rank == kLatencyFeatures);
}

TEST_CASE("with measurement noise the fit stays close and reports it", "[serving][latency]") {
  RandomStream rng(2);
  const auto samples = samples_from(kTruth, 0.01, rng);
  const LatencyFit fit = fit_latency(samples, "noisy");
  CHECK(fit.r_squared < 1.0);
  CHECK(fit.r_squared > 0.99);
  CHECK(fit.coefficients[0] == Approx(kTruth[0]).epsilon(0.05));   // intercept
  CHECK(fit.coefficients[2] == Approx(kTruth[2]).epsilon(0.05));   // per prefill token
  CHECK(fit.rmse_s > 0.0);
  double sum = 0;
  for (double r : fit.residuals_s) sum += r;
  CHECK(std::abs(sum) < 1e-9);  // residuals of a fit with an intercept sum to zero
}

TEST_CASE("samples that cannot separate the features are refused", "[serving][latency]") {
  std::vector<LatencySample> decode_only;
  for (double b : {1, 2, 4, 8, 16, 32, 64}) decode_only.push_back({b, 0, b, b * 1000, 0.01 + b * 1e-5});
  CHECK_THROWS_AS(fit_latency(decode_only, "decode-only"), ConfigError);
}

TEST_CASE("the shipped example CSV reads, fits and drives a predictor", "[serving][latency]") {
  const auto path = std::filesystem::path(INFERCOST_SOURCE_DIR) / "scenarios/data/latency-llama8b-h100-example.csv";
  const auto samples = read_latency_csv(path.string());
  CHECK(samples.size() == 78);
  const LatencyFit fit = fit_latency(samples, path.string());
  CHECK(fit.r_squared > 0.99);
  CHECK(fit.coefficients[0] == Approx(kTruth[0]).epsilon(0.05));
  const MeasuredPredictor p(fit, "example", 1e-5);
  BatchShape first;
  for (int i = 0; i < 32; ++i) add_decode_token(first, 999);
  const DecodeSeries s = p.decode_series(first);
  BatchShape later;
  for (int i = 0; i < 32; ++i) add_decode_token(later, 999 + 40);
  CHECK(s.time_s(40) == Approx(p.predict(later).time_s).epsilon(1e-12));
}

TEST_CASE("a malformed latency CSV names the file and line", "[serving][latency]") {
  const auto path =
      std::filesystem::temp_directory_path() / ("infercost-bad-latency-" + std::to_string(::getpid()) + ".csv");
  std::ofstream(path) << "batch_size,prefill_tokens,decode_tokens,context_tokens,latency_s\n1,0,1,10,0.01\n2,x,2,20,0.02\n";
  CHECK_THROWS_WITH(read_latency_csv(path.string()), Catch::Contains(".csv:3: prefill_tokens"));
  std::ofstream(path) << "batch,prefill_tokens\n";
  CHECK_THROWS_WITH(read_latency_csv(path.string()), Catch::Contains("missing column 'batch_size'"));
  std::filesystem::remove(path);
}
