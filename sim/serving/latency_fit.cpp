// Least-squares fit of measured iteration latencies (ordinary least squares solved by column-pivoting Householder QR,
// which is stable and reveals rank; Golub & Van Loan, "Matrix Computations", 4th ed., section 5.4). Feature set and
// its motivation: docs/models-serving.md, "Measured predictor".
#include "infercost/serving/latency_fit.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>

namespace infercost {
namespace {

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> cells;
  std::string cur;
  for (char c : line) {
    if (c == ',') {
      cells.push_back(cur);
      cur.clear();
    } else if (c != '\r' && c != ' ' && c != '\t') {
      cur += c;
    }
  }
  cells.push_back(cur);
  return cells;
}

class MeasuredConfig final : public LatencyModelConfig {
 public:
  MeasuredConfig(LatencyFit fit, std::string source, double floor_s)
      : fit_(std::move(fit)), source_(std::move(source)), floor_s_(floor_s) {}
  std::unique_ptr<IterationPredictor> make_predictor(const ReplicaLayout&) const override {
    return std::make_unique<MeasuredPredictor>(fit_, source_, floor_s_);
  }

 private:
  LatencyFit fit_;
  std::string source_;
  double floor_s_;
};

}  // namespace

std::array<double, kLatencyFeatures> latency_features(double batch_size, double prefill_tokens, double decode_tokens,
                                                      double context_tokens) {
  return {1.0, batch_size, prefill_tokens, decode_tokens, context_tokens, prefill_tokens * prefill_tokens};
}

const std::array<const char*, kLatencyFeatures>& latency_feature_names() {
  static const std::array<const char*, kLatencyFeatures> names = {
      "intercept", "batch_size", "prefill_tokens", "decode_tokens", "context_tokens", "prefill_tokens^2"};
  return names;
}

double LatencyFit::predict_s(double batch_size, double prefill_tokens, double decode_tokens,
                             double context_tokens) const {
  const auto f = latency_features(batch_size, prefill_tokens, decode_tokens, context_tokens);
  double t = 0.0;
  for (std::size_t i = 0; i < kLatencyFeatures; ++i) t += coefficients[i] * f[i];
  return t;
}

std::vector<LatencySample> read_latency_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError(fmt::format("{}: cannot open the latency CSV", path));
  static const std::vector<std::string> required = {"batch_size", "prefill_tokens", "decode_tokens", "context_tokens",
                                                    "latency_s"};
  std::string line;
  std::size_t line_no = 0;
  std::map<std::string, std::size_t> column;
  std::vector<LatencySample> samples;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    const auto cells = split_csv_line(line);
    if (column.empty()) {
      for (std::size_t i = 0; i < cells.size(); ++i) column[cells[i]] = i;
      for (const auto& r : required) {
        if (!column.count(r)) {
          throw ConfigError(fmt::format("{}:{}: missing column '{}'; expected a header with {}", path, line_no, r,
                                        "batch_size,prefill_tokens,decode_tokens,context_tokens,latency_s"));
        }
      }
      continue;
    }
    double v[5];
    for (std::size_t k = 0; k < required.size(); ++k) {
      const std::size_t i = column[required[k]];
      if (i >= cells.size()) throw ConfigError(fmt::format("{}:{}: missing value for '{}'", path, line_no, required[k]));
      const std::string& s = cells[i];
      auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v[k]);
      if (ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v[k]) || v[k] < 0) {
        throw ConfigError(fmt::format("{}:{}: {}: expected a non-negative number, got '{}'", path, line_no,
                                      required[k], s));
      }
    }
    if (v[4] <= 0) throw ConfigError(fmt::format("{}:{}: latency_s: expected a positive latency", path, line_no));
    samples.push_back(LatencySample{v[0], v[1], v[2], v[3], v[4]});
  }
  if (column.empty()) throw ConfigError(fmt::format("{}: empty latency CSV; expected a header and samples", path));
  return samples;
}

LatencyFit fit_latency(const std::vector<LatencySample>& samples, const std::string& source_name) {
  const auto n = static_cast<Eigen::Index>(samples.size());
  if (n < static_cast<Eigen::Index>(kLatencyFeatures)) {
    throw ConfigError(fmt::format("{}: {} samples cannot determine {} coefficients; measure more iterations",
                                  source_name, n, kLatencyFeatures));
  }
  // Columns are scaled to unit maximum before solving so that prefill^2 (~1e8) and the intercept (1) are
  // equally conditioned; coefficients are scaled back afterwards.
  Eigen::MatrixXd x(n, static_cast<Eigen::Index>(kLatencyFeatures));
  Eigen::VectorXd y(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto& s = samples[static_cast<std::size_t>(i)];
    const auto f = latency_features(s.batch_size, s.prefill_tokens, s.decode_tokens, s.context_tokens);
    for (std::size_t j = 0; j < kLatencyFeatures; ++j) x(i, static_cast<Eigen::Index>(j)) = f[j];
    y(i) = s.latency_s;
  }
  Eigen::VectorXd scale(static_cast<Eigen::Index>(kLatencyFeatures));
  for (Eigen::Index j = 0; j < x.cols(); ++j) {
    const double m = x.col(j).cwiseAbs().maxCoeff();
    scale(j) = m > 0 ? m : 1.0;
    x.col(j) /= scale(j);
  }
  Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(x);
  qr.setThreshold(1e-10);
  LatencyFit fit;
  fit.rank = static_cast<std::uint32_t>(qr.rank());
  if (qr.rank() < x.cols()) {
    throw ConfigError(fmt::format(
        "{}: the samples determine only {} of the {} coefficients ({}); vary batch size, prefill, decode and context "
        "tokens independently",
        source_name, qr.rank(), kLatencyFeatures, "1, batch_size, prefill_tokens, decode_tokens, context_tokens, prefill_tokens^2"));
  }
  const Eigen::VectorXd beta = qr.solve(y);
  for (std::size_t j = 0; j < kLatencyFeatures; ++j) {
    fit.coefficients[j] = beta(static_cast<Eigen::Index>(j)) / scale(static_cast<Eigen::Index>(j));
  }
  const Eigen::VectorXd residual = y - x * beta;
  const double mean = y.mean();
  const double ss_res = residual.squaredNorm();
  const double ss_tot = (y.array() - mean).square().sum();
  fit.r_squared = ss_tot > 0 ? 1.0 - ss_res / ss_tot : 1.0;
  fit.rmse_s = std::sqrt(ss_res / static_cast<double>(n));
  fit.max_abs_residual_s = residual.cwiseAbs().maxCoeff();
  fit.residuals_s.assign(residual.data(), residual.data() + residual.size());
  return fit;
}

MeasuredPredictor::MeasuredPredictor(LatencyFit fit, std::string source, double floor_s)
    : fit_(std::move(fit)), source_(std::move(source)), floor_s_(floor_s) {}

IterationTime MeasuredPredictor::predict(const BatchShape& shape) const {
  const double t = fit_.predict_s(shape.sequences, static_cast<double>(shape.prefill_tokens), shape.decode_tokens,
                                  static_cast<double>(shape.context_tokens));
  const double time = std::max(t, floor_s_);
  return IterationTime{time, time};
}

DecodeSeries MeasuredPredictor::decode_series(const BatchShape& first) const {
  DecodeSeries s;
  s.compute_s = fit_.predict_s(first.sequences, 0.0, first.decode_tokens, static_cast<double>(first.context_tokens));
  s.compute_slope_s = fit_.coefficients[4] * first.sequences;
  s.memory_s = floor_s_;  // the floor plays the second bound
  return s;
}

DecodeSeries MeasuredPredictor::run_series(const BatchShape& first, const BatchShape& second) const {
  DecodeSeries s;
  s.compute_s = fit_.predict_s(first.sequences, static_cast<double>(first.prefill_tokens), first.decode_tokens,
                               static_cast<double>(first.context_tokens));
  s.compute_slope_s =
      fit_.coefficients[4] * (static_cast<double>(second.context_tokens) - static_cast<double>(first.context_tokens));
  s.memory_s = floor_s_;
  return s;
}

std::string MeasuredPredictor::describe() const {
  return fmt::format("measured fit of {} (R^2 {:.4f}, RMSE {:.3g} ms, {} samples)", source_, fit_.r_squared,
                     fit_.rmse_s * 1e3, fit_.residuals_s.size());
}

void add_measured_latency_model(Registry<LatencyModelConfig>& registry) {
  registry.add("measured", "least-squares fit of a CSV of measured iterations (docs/models-serving.md)",
               [](const ConfigNode& n) -> std::unique_ptr<LatencyModelConfig> {
                 const ConfigNode file_node = n.child("file");
                 std::filesystem::path p(file_node.as_string());
                 const std::string& scenario = n.document().file;
                 if (p.is_relative() && std::filesystem::is_regular_file(scenario)) {
                   p = std::filesystem::path(scenario).parent_path() / p;
                 }
                 if (!std::filesystem::is_regular_file(p)) {
                   file_node.fail(fmt::format("cannot open the latency CSV '{}'", p.string()));
                 }
                 const double floor_s = to_seconds(n.get_duration("min_latency", 10 * kMicrosecond, 1));
                 LatencyFit fit = fit_latency(read_latency_csv(p.string()), p.string());
                 return std::make_unique<MeasuredConfig>(std::move(fit), p.filename().string(), floor_s);
               });
}

}  // namespace infercost
