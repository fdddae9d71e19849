// Token-length distributions. Lognormal by median and p90: mu = ln(median), sigma = ln(p90/median) / z90,
// z90 = 1.2815515655446004 (the standard normal's 0.9 quantile); mean = exp(mu + sigma^2 / 2).
#include "infercost/workload/lengths.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

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
  std::uint32_t sample(RandomStream& rng) const override {
    const double x = std::round(rng.lognormal(mu_, sigma_));
    return static_cast<std::uint32_t>(std::clamp(x, static_cast<double>(min_), static_cast<double>(max_)));
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
