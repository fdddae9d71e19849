#pragma once
// The measured-data latency predictor: iteration latencies measured on a real server, as a CSV of
//   batch_size,prefill_tokens,decode_tokens,context_tokens,latency_s
// are fitted by ordinary least squares (Eigen, column-pivoting QR) to the feature set
//   latency = b0 + b1 batch_size + b2 prefill_tokens + b3 decode_tokens + b4 context_tokens + b5 prefill_tokens^2
// (docs/models-serving.md, "Measured predictor"). The fit's R^2 and residuals are reported.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "infercost/core/registry.hpp"
#include "infercost/serving/latency.hpp"

namespace infercost {

/// One measured iteration.
struct LatencySample {
  double batch_size = 0.0;       ///< sequences in the batch
  double prefill_tokens = 0.0;   ///< prompt tokens computed
  double decode_tokens = 0.0;    ///< decode tokens (one per decoding sequence)
  double context_tokens = 0.0;   ///< KV tokens read (sum of context lengths)
  double latency_s = 0.0;        ///< measured iteration time, s
};

/// Number of features of the fitted model.
inline constexpr std::size_t kLatencyFeatures = 6;

/// The feature vector of a batch: 1, batch_size, prefill, decode, context, prefill^2.
std::array<double, kLatencyFeatures> latency_features(double batch_size, double prefill_tokens, double decode_tokens,
                                                      double context_tokens);
/// Names of the features, in order (for reports).
const std::array<const char*, kLatencyFeatures>& latency_feature_names();

/// A least-squares fit and its quality.
struct LatencyFit {
  std::array<double, kLatencyFeatures> coefficients{};  ///< seconds per unit of each feature
  double r_squared = 0.0;                               ///< 1 - SS_res / SS_tot
  double rmse_s = 0.0;                                  ///< root mean squared residual, s
  double max_abs_residual_s = 0.0;                      ///< largest |measured - fitted|, s
  std::vector<double> residuals_s;                      ///< measured - fitted, per sample, s
  std::uint32_t rank = 0;                               ///< numerical rank of the design matrix

  double predict_s(double batch_size, double prefill_tokens, double decode_tokens, double context_tokens) const;
};

/// Reads a latency CSV (header required, columns in any order); throws ConfigError naming file and line.
std::vector<LatencySample> read_latency_csv(const std::string& path);
/// Fits the feature set to samples; throws ConfigError when the samples do not determine every coefficient.
LatencyFit fit_latency(const std::vector<LatencySample>& samples, const std::string& source_name);

/// The predictor built from a fit; never predicts below `floor_s` per iteration.
class MeasuredPredictor final : public IterationPredictor {
 public:
  MeasuredPredictor(LatencyFit fit, std::string source, double floor_s);
  IterationTime predict(const BatchShape& shape) const override;
  DecodeSeries decode_series(const BatchShape& first) const override;
  DecodeSeries run_series(const BatchShape& first, const BatchShape& second) const override;
  std::string describe() const override;
  const LatencyFit& fit() const { return fit_; }

 private:
  LatencyFit fit_;
  std::string source_;
  double floor_s_;
};

/// Adds `measured` (key `file:` relative to the scenario) to the latency-model registry.
void add_measured_latency_model(Registry<LatencyModelConfig>& registry);

}  // namespace infercost
