#include "infercost/analysis/stats.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace infercost {

void RunningStats::add(double x) {
  ++n_;
  if (n_ == 1) {
    min_ = max_ = x;
  } else {
    min_ = std::min(min_, x);
    max_ = std::max(max_, x);
  }
  const double delta = x - mean_;
  mean_ += delta / static_cast<double>(n_);
  m2_ += delta * (x - mean_);
}

double QuantileSample::quantile(double q) const {
  if (values_.empty()) return std::numeric_limits<double>::quiet_NaN();
  if (!sorted_) {
    std::sort(values_.begin(), values_.end());
    sorted_ = true;
  }
  q = std::clamp(q, 0.0, 1.0);
  // Nearest rank: the smallest value with at least q of the sample at or below it.
  std::size_t rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values_.size())));
  if (rank == 0) rank = 1;
  return values_[rank - 1];
}

}  // namespace infercost
