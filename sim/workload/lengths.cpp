// Token-length distributions. Lognormal by median and p90: mu = ln(median), sigma = ln(p90/median) / z90,
// z90 = 1.2815515655446004 (the standard normal's 0.9 quantile); mean = exp(mu + sigma^2 / 2).
// Empirical: each draw picks one of the column's n values with probability 1/n (resampling the trace's rows).
#include "infercost/workload/lengths.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include <fmt/format.h>

#include "infercost/engine/fast_math.hpp"
#include "infercost/workload/trace.hpp"

namespace infercost {
namespace {

constexpr double kZ90 = 1.2815515655446004;

class ConstantLength final : public LengthDistribution {
 public:
  explicit ConstantLength(std::uint32_t v) : v_(v) {}
  std::uint32_t sample(RandomStream&) const override { return v_; }
  double mean() const override { return v_; }
  std::string describe() const override { return fmt::format("constant {}", v_); }

 private:
  std::uint32_t v_;
};

class UniformLength final : public LengthDistribution {
 public:
  UniformLength(std::uint32_t lo, std::uint32_t hi) : lo_(lo), hi_(hi) {}
  std::uint32_t sample(RandomStream& rng) const override {
    return lo_ + static_cast<std::uint32_t>(rng.uniform_int(std::uint64_t{hi_} - lo_ + 1));
  }
  double mean() const override { return 0.5 * (lo_ + hi_); }
  std::string describe() const override { return fmt::format("uniform [{}, {}]", lo_, hi_); }

 private:
  std::uint32_t lo_, hi_;
};

class LognormalLength final : public LengthDistribution {
 public:
  LognormalLength(double median, double p90, std::uint32_t min, std::uint32_t max)
      : mu_(std::log(median)), sigma_(std::log(p90 / median) / kZ90), min_(min), max_(max) {}
  /// Clamping to the integer bounds before rounding half up gives std::round's result; round_exp gives it for
  /// std::exp of the draw mostly without calling std::exp.
  std::uint32_t sample(RandomStream& rng) const override {
    return round_exp(rng.normal(mu_, sigma_), static_cast<double>(min_), static_cast<double>(max_));
  }
  /// Mean before rounding and clamping (clamping at the default bounds moves it by far less than a token).
  double mean() const override { return std::exp(mu_ + 0.5 * sigma_ * sigma_); }
  std::string describe() const override {
    return fmt::format("lognormal median {:g} p90 {:g}", std::exp(mu_), std::exp(mu_ + kZ90 * sigma_));
  }

 private:
  double mu_, sigma_;
  std::uint32_t min_, max_;
};

class EmpiricalLength final : public LengthDistribution {
 public:
  EmpiricalLength(std::vector<std::uint32_t> values, std::string source)
      : values_(std::move(values)), source_(std::move(source)) {
    const auto sum = std::accumulate(values_.begin(), values_.end(), std::uint64_t{0});
    mean_ = static_cast<double>(sum) / static_cast<double>(values_.size());
  }
  std::uint32_t sample(RandomStream& rng) const override { return values_[rng.uniform_int(values_.size())]; }
  double mean() const override { return mean_; }
  std::string describe() const override {
    return fmt::format("empirical {} ({} values, mean {:g})", source_, values_.size(), mean_);
  }

 private:
  std::vector<std::uint32_t> values_;
  std::string source_;
  double mean_ = 0.0;
};

constexpr std::int64_t kMaxTokens = 10'000'000;

}  // namespace

void register_length_distributions(Registry<LengthDistribution>& registry) {
  registry.add("constant", "always `value` tokens", [](const ConfigNode& n) -> std::unique_ptr<LengthDistribution> {
    return std::make_unique<ConstantLength>(static_cast<std::uint32_t>(n.get_int("value", std::nullopt, 1, kMaxTokens)));
  });
  registry.add("uniform", "uniform integer in [min, max]", [](const ConfigNode& n) -> std::unique_ptr<LengthDistribution> {
    const auto lo = n.get_int("min", std::nullopt, 1, kMaxTokens);
    const auto hi = n.get_int("max", std::nullopt, 1, kMaxTokens);
    if (hi < lo) n.child("max").fail(fmt::format("expected max >= min ({}), got {}", lo, hi));
    return std::make_unique<UniformLength>(static_cast<std::uint32_t>(lo), static_cast<std::uint32_t>(hi));
  });
  registry.add("lognormal", "lognormal by `median` and `p90`, rounded, clamped to [min, max]",
               [](const ConfigNode& n) -> std::unique_ptr<LengthDistribution> {
                 const double median = n.get_double("median", std::nullopt, 1.0, 1e7);
                 const double p90 = n.get_double("p90", std::nullopt, 1.0, 1e8);
                 if (p90 <= median) n.child("p90").fail(fmt::format("expected p90 > median ({:g}), got {:g}", median, p90));
                 const auto lo = n.get_int("min", 1, 1, kMaxTokens);
                 const auto hi = n.get_int("max", 1'000'000, 1, kMaxTokens);
                 if (hi < lo) n.child("max").fail(fmt::format("expected max >= min ({}), got {}", lo, hi));
                 return std::make_unique<LognormalLength>(median, p90, static_cast<std::uint32_t>(lo),
                                                          static_cast<std::uint32_t>(hi));
               });
  registry.add("empirical", "resample the values of column `column` of CSV file `file` (a trace)",
               [](const ConfigNode& n) -> std::unique_ptr<LengthDistribution> {
                 const ConfigNode file = n.child("file");
                 const std::string path = resolve_scenario_path(n, file.as_string());
                 const std::string column = n.get_string("column");
                 auto values = read_csv_column(path, column, file);
                 const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
                 if (*lo < 1 || *hi > kMaxTokens) {
                   file.fail(fmt::format("{}: expected token counts in [1, {}] in column '{}', found {}", path,
                                         kMaxTokens, column, *lo < 1 ? *lo : *hi));
                 }
                 return std::make_unique<EmpiricalLength>(std::move(values), fmt::format("{}:{}", path, column));
               });
}

std::unique_ptr<LengthDistribution> read_length(const ConfigNode& node, const Registry<LengthDistribution>& registry) {
  if (node.is_scalar()) {
    const auto v = node.as_int();
    if (v < 1 || v > kMaxTokens) node.fail(fmt::format("expected a token count in [1, {}], got {}", kMaxTokens, v));
    return std::make_unique<ConstantLength>(static_cast<std::uint32_t>(v));
  }
  return registry.create(node);
}

}  // namespace infercost
