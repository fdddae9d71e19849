#pragma once
// Streaming statistics: running mean/variance (Welford), an exact-quantile sample store, and a quantile
// sketch with a relative-error guarantee whose memory does not grow with the number of values.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "infercost/io/bytes.hpp"

namespace infercost {

/// Count, mean, variance, min and max of a stream of values (Welford 1962).
class RunningStats {
 public:
  /// Welford's update. Inline: a completion adds to four of these.
  void add(double x) {
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
  std::uint64_t count() const { return n_; }
  double mean() const { return n_ ? mean_ : 0.0; }
  double variance() const { return n_ > 1 ? m2_ / static_cast<double>(n_ - 1) : 0.0; }
  double min() const { return min_; }
  double max() const { return max_; }
  double sum() const { return mean_ * static_cast<double>(n_); }
  /// Adds every value of `other` (pairwise update of Chan, Golub, LeVeque, Am. Stat. 37(3), 1983; merging in a
  /// fixed order gives the same bits every time).
  void merge(const RunningStats& other);
  /// Exact state as bytes and back (federated runs ship statistics between sites and ranks).
  void save(ByteWriter& out) const;
  void load(ByteReader& in);

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

/// Quantiles of a stream in bounded memory: exact (every value kept) up to `exact_limit` values, then a
/// DDSketch (Masson, Rim, Lee, VLDB 2019) with the log-linear buckets of HdrHistogram and of DDSketch's
/// BitwiseLinearlyInterpolatedMapping: a bucket holds the magnitudes whose doubles share their exponent and top m
/// significand bits, m the fewest that keep every quantile within relative error alpha of the exact nearest-rank
/// quantile. Deterministic and mergeable; docs/performance.md states the bound and its limits.
class QuantileSketch {
 public:
  static constexpr double kDefaultRelativeAccuracy = 0.005;
  static constexpr std::size_t kDefaultExactLimit = 4096;
  /// |x| below this counts as zero (absolute error below it).
  static constexpr double kMinIndexable = 1e-12;
  /// Buckets per sign; beyond, the lowest magnitudes are merged (only quantiles that far, a factor of
  /// 2^(8192 / 2^m), 2^64 at the default accuracy, below the largest magnitude, lose the bound).
  static constexpr std::size_t kMaxBuckets = 8192;

  explicit QuantileSketch(double relative_accuracy = kDefaultRelativeAccuracy,
                          std::size_t exact_limit = kDefaultExactLimit);

  /// Adds a value (NaN is ignored).
  void add(double x) {
    // The common case inline (four latency statistics per completed request): sketching, positive, and in a
    // bucket that exists.
    if (sketching_ && x > kMinIndexable && x <= std::numeric_limits<double>::max()) {
      const std::int64_t i = key_of(x) - positive_.offset;
      if (i >= 0 && i < static_cast<std::int64_t>(positive_.counts.size())) {
        min_ = std::min(min_, x);
        max_ = std::max(max_, x);
        ++count_;
        ++positive_.counts[static_cast<std::size_t>(i)];
        return;
      }
    }
    add_slow(x);
  }
  /// Adds every value of `other` (same relative accuracy required).
  void merge(const QuantileSketch& other);
  /// The bucket key of a magnitude in [1e-12, DBL_MAX]: the doubles with the key's bits above the top m
  /// significand bits, from lower_edge(k) up to (not including) lower_edge(k + 1), have key k.
  std::int64_t key(double magnitude) const { return key_of(magnitude); }
  /// The smallest magnitude of key k.
  double lower_edge(std::int64_t key) const { return std::bit_cast<double>(static_cast<std::uint64_t>(key) << shift_); }
  /// m, the significand bits that split each power of two into 2^m buckets.
  unsigned significand_bits() const { return significand_bits_; }
  std::uint64_t count() const { return count_; }
  /// The q-quantile (q in [0, 1]) by nearest rank, within relative error alpha once past the exact limit;
  /// NaN when empty.
  double quantile(double q) const;
  double relative_accuracy() const { return alpha_; }
  /// Whether values are still kept exactly.
  bool exact() const { return !sketching_; }
  /// Bytes held (vectors' capacity plus the object).
  std::size_t memory_bytes() const;
  /// Exact state as bytes and back (the relative accuracy and exact limit are saved too).
  void save(ByteWriter& out) const;
  void load(ByteReader& in);

 private:
  /// Counts for keys [offset, offset + counts.size()); key k holds magnitudes in [lower_edge(k), lower_edge(k + 1)).
  struct Store {
    std::vector<std::uint64_t> counts;
    std::int64_t offset = 0;
    void add(std::int64_t key, std::uint64_t n);
  };
  /// The key of a magnitude in [1e-12, DBL_MAX]: its bits above the top m significand bits (positive doubles
  /// order as their bits do, so keys are monotone).
  std::int64_t key_of(double magnitude) const {
    return static_cast<std::int64_t>(std::bit_cast<std::uint64_t>(magnitude) >> shift_);
  }
  void add_slow(double x);
  double value_of(std::int64_t key) const;
  void add_to_sketch(double x, std::uint64_t n);
  void start_sketching();

  double alpha_;
  unsigned significand_bits_;  ///< m: buckets per octave are 2^m
  unsigned shift_;             ///< 52 - m
  std::size_t exact_limit_;
  bool sketching_ = false;
  mutable bool sorted_ = true;
  mutable std::vector<double> exact_;
  Store positive_, negative_;
  std::uint64_t zero_count_ = 0;
  std::uint64_t count_ = 0;
  double min_ = 0.0;
  double max_ = 0.0;
};

/// A stream summary: running moments (exact) plus quantiles (QuantileSketch: exact for small samples, within
/// 0.5% relative error beyond).
struct LatencyStats {
  RunningStats moments;
  QuantileSketch sample;
  void add(double x) { moments.add(x); sample.add(x); }
};

}  // namespace infercost
