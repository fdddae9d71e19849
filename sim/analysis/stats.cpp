#include "infercost/analysis/stats.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace infercost {

void RunningStats::merge(const RunningStats& other) {
  if (other.n_ == 0) return;
  if (n_ == 0) {
    *this = other;
    return;
  }
  const double na = static_cast<double>(n_), nb = static_cast<double>(other.n_);
  const double n = na + nb;
  const double delta = other.mean_ - mean_;
  mean_ += delta * nb / n;
  m2_ += other.m2_ + delta * delta * na * nb / n;
  n_ += other.n_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

void RunningStats::save(ByteWriter& out) const {
  out.put(n_);
  out.put(mean_);
  out.put(m2_);
  out.put(min_);
  out.put(max_);
}

void RunningStats::load(ByteReader& in) {
  n_ = in.get<std::uint64_t>();
  mean_ = in.get<double>();
  m2_ = in.get<double>();
  min_ = in.get<double>();
  max_ = in.get<double>();
}

void QuantileSketch::save(ByteWriter& out) const {
  out.put(alpha_);
  out.put<std::uint64_t>(exact_limit_);
  out.put<std::uint8_t>(sketching_ ? 1 : 0);
  out.put_vector(exact_);
  out.put_vector(positive_.counts);
  out.put(positive_.offset);
  out.put_vector(negative_.counts);
  out.put(negative_.offset);
  out.put(zero_count_);
  out.put(count_);
  out.put(min_);
  out.put(max_);
}

void QuantileSketch::load(ByteReader& in) {
  const auto alpha = in.get<double>();
  const auto exact_limit = static_cast<std::size_t>(in.get<std::uint64_t>());
  *this = QuantileSketch(alpha, exact_limit);
  sketching_ = in.get<std::uint8_t>() != 0;
  exact_ = in.get_vector<double>();
  sorted_ = exact_.empty();
  positive_.counts = in.get_vector<std::uint64_t>();
  positive_.offset = in.get<std::int64_t>();
  negative_.counts = in.get_vector<std::uint64_t>();
  negative_.offset = in.get<std::int64_t>();
  zero_count_ = in.get<std::uint64_t>();
  count_ = in.get<std::uint64_t>();
  min_ = in.get<double>();
  max_ = in.get<double>();
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

namespace {

/// The fewest significand bits m whose buckets keep the bound: a bucket [lo, lo (1 + 1/n)), n = 2^m + j for its j-th
/// of 2^m buckets in an octave, has its worst relative error 1/(2n + 1) at both ends (value_of), at most
/// 1/(2^(m+1) + 1) at j = 0.
unsigned significand_bits_for(double alpha) {
  unsigned m = 0;
  while (m < 52 && 1.0 / (std::ldexp(1.0, static_cast<int>(m) + 1) + 1.0) > alpha) ++m;
  return m;
}

}  // namespace

QuantileSketch::QuantileSketch(double relative_accuracy, std::size_t exact_limit)
    : alpha_(relative_accuracy),
      significand_bits_(significand_bits_for(relative_accuracy)),
      shift_(52 - significand_bits_),
      exact_limit_(exact_limit) {
  if (!(relative_accuracy > 0.0 && relative_accuracy < 1.0)) {
    throw std::invalid_argument("QuantileSketch: relative accuracy must be in (0, 1)");
  }
}

double QuantileSketch::value_of(std::int64_t key) const {
  // The point of [lo, lo (n + 1)/n) whose relative distance to both ends is 1/(2n + 1): lo (2n + 2)/(2n + 1).
  const std::uint64_t sub = static_cast<std::uint64_t>(key) & ((std::uint64_t{1} << significand_bits_) - 1);
  const double n = std::ldexp(1.0, static_cast<int>(significand_bits_)) + static_cast<double>(sub);
  return lower_edge(key) * ((2.0 * n + 2.0) / (2.0 * n + 1.0));
}

void QuantileSketch::Store::add(std::int64_t key, std::uint64_t n) {
  if (counts.empty()) {
    counts.assign(1, 0);
    offset = key;
  } else if (key < offset) {
    const auto grow = static_cast<std::size_t>(offset - key);
    if (counts.size() + grow > kMaxBuckets) {
      // Collapse: magnitudes this far below the top share the lowest bucket kept.
      const std::int64_t lowest_kept = offset + static_cast<std::int64_t>(counts.size()) - static_cast<std::int64_t>(kMaxBuckets);
      key = key < lowest_kept ? lowest_kept : key;
      if (key < offset) {
        counts.insert(counts.begin(), static_cast<std::size_t>(offset - key), 0);
        offset = key;
      }
    } else {
      counts.insert(counts.begin(), grow, 0);
      offset = key;
    }
  } else if (key >= offset + static_cast<std::int64_t>(counts.size())) {
    counts.resize(static_cast<std::size_t>(key - offset) + 1, 0);
    if (counts.size() > kMaxBuckets) {
      const std::size_t drop = counts.size() - kMaxBuckets;
      std::uint64_t folded = 0;
      for (std::size_t i = 0; i <= drop; ++i) folded += counts[i];
      counts.erase(counts.begin(), counts.begin() + static_cast<std::ptrdiff_t>(drop));
      counts[0] = folded;
      offset += static_cast<std::int64_t>(drop);
    }
  }
  counts[static_cast<std::size_t>(key - offset)] += n;
}

void QuantileSketch::add_to_sketch(double x, std::uint64_t n) {
  constexpr double kLargest = std::numeric_limits<double>::max();  // infinities share the top key
  if (x > kMinIndexable) positive_.add(key_of(std::min(x, kLargest)), n);
  else if (x < -kMinIndexable) negative_.add(key_of(std::min(-x, kLargest)), n);
  else zero_count_ += n;
}

void QuantileSketch::start_sketching() {
  sketching_ = true;
  for (double v : exact_) add_to_sketch(v, 1);
  std::vector<double>().swap(exact_);
  sorted_ = true;
}

void QuantileSketch::add_slow(double x) {
  if (std::isnan(x)) return;  // not a value: no rank to give it
  if (count_ == 0) {
    min_ = max_ = x;
  } else {
    min_ = std::min(min_, x);
    max_ = std::max(max_, x);
  }
  ++count_;
  if (!sketching_) {
    exact_.push_back(x);
    sorted_ = false;
    if (exact_.size() > exact_limit_) start_sketching();
    return;
  }
  add_to_sketch(x, 1);
}

void QuantileSketch::merge(const QuantileSketch& other) {
  if (other.alpha_ != alpha_) throw std::invalid_argument("QuantileSketch::merge: different relative accuracies");
  if (other.count_ == 0) return;
  if (count_ == 0) {
    min_ = other.min_;
    max_ = other.max_;
  } else {
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
  }
  count_ += other.count_;
  if (!other.sketching_ && !sketching_ && exact_.size() + other.exact_.size() <= exact_limit_) {
    exact_.insert(exact_.end(), other.exact_.begin(), other.exact_.end());
    sorted_ = false;
    return;
  }
  if (!sketching_) start_sketching();
  if (!other.sketching_) {
    for (double v : other.exact_) add_to_sketch(v, 1);
    return;
  }
  auto merge_store = [](Store& into, const Store& from) {
    for (std::size_t i = 0; i < from.counts.size(); ++i) {
      if (from.counts[i] != 0) into.add(from.offset + static_cast<std::int64_t>(i), from.counts[i]);
    }
  };
  merge_store(positive_, other.positive_);
  merge_store(negative_, other.negative_);
  zero_count_ += other.zero_count_;
}

double QuantileSketch::quantile(double q) const {
  if (count_ == 0) return std::numeric_limits<double>::quiet_NaN();
  q = std::clamp(q, 0.0, 1.0);
  // Nearest rank, as QuantileSample: the smallest value with at least q of the sample at or below it.
  std::uint64_t rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_)));
  if (rank == 0) rank = 1;
  if (!sketching_) {
    if (!sorted_) {
      std::sort(exact_.begin(), exact_.end());
      sorted_ = true;
    }
    return exact_[rank - 1];
  }
  // The extremes are known exactly (an infinite maximum among them, which no bucket's value reaches).
  if (rank == count_) return max_;
  if (rank == 1) return min_;
  // Ascending order: negatives from the largest magnitude down, zeros, positives from the smallest up.
  double estimate = max_;
  std::uint64_t seen = 0;
  bool found = false;
  for (std::size_t i = negative_.counts.size(); i-- > 0 && !found;) {
    seen += negative_.counts[i];
    if (seen >= rank) {
      estimate = -value_of(negative_.offset + static_cast<std::int64_t>(i));
      found = true;
    }
  }
  if (!found) {
    seen += zero_count_;
    if (seen >= rank) {
      estimate = 0.0;
      found = true;
    }
  }
  for (std::size_t i = 0; i < positive_.counts.size() && !found; ++i) {
    seen += positive_.counts[i];
    if (seen >= rank) {
      estimate = value_of(positive_.offset + static_cast<std::int64_t>(i));
      found = true;
    }
  }
  // The exact extremes are known, and clamping to them only brings the estimate closer.
  return std::clamp(estimate, min_, max_);
}

std::size_t QuantileSketch::memory_bytes() const {
  return sizeof(*this) + exact_.capacity() * sizeof(double) +
         (positive_.counts.capacity() + negative_.counts.capacity()) * sizeof(std::uint64_t);
}

}  // namespace infercost
