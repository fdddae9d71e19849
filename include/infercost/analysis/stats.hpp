#pragma once
// Streaming statistics: running mean/variance (Welford) and an exact-quantile sample store.
#include <cstdint>
#include <vector>

namespace infercost {

/// Count, mean, variance, min and max of a stream of values (Welford 1962).
class RunningStats {
 public:
  void add(double x);
  std::uint64_t count() const { return n_; }
  double mean() const { return n_ ? mean_ : 0.0; }
  double variance() const { return n_ > 1 ? m2_ / static_cast<double>(n_ - 1) : 0.0; }
  double min() const { return min_; }
  double max() const { return max_; }
  double sum() const { return mean_ * static_cast<double>(n_); }

 private:
  std::uint64_t n_ = 0;
  double mean_ = 0.0;
  double m2_ = 0.0;
  double min_ = 0.0;
  double max_ = 0.0;
};

/// Keeps every value; quantiles are exact (nearest-rank on the sorted sample).
class QuantileSample {
 public:
  void add(double x) { values_.push_back(x); sorted_ = false; }
  std::size_t count() const { return values_.size(); }
  /// The q-quantile (q in [0, 1]) by nearest rank; NaN when empty.
  double quantile(double q) const;

 private:
  mutable std::vector<double> values_;
  mutable bool sorted_ = true;
};

/// A stream summary: running moments plus quantiles.
struct LatencyStats {
  RunningStats moments;
  QuantileSample sample;
  void add(double x) { moments.add(x); sample.add(x); }
};

}  // namespace infercost
