#pragma once
// Per-iteration latency predictors behind one small interface: the documented roofline (`type: roofline`) and a
// least-squares fit to measured iterations (`type: measured`, serving/latency_fit.hpp). A predictor also gives, for a
// run of decode-only iterations, the closed form the continuous-batching replica uses to advance many iterations in
// one event (docs/models-serving.md, "Closed-form decode").
#include <cstdint>
#include <memory>
#include <string>

#include "infercost/core/registry.hpp"
#include "infercost/serving/iteration.hpp"

namespace infercost {

/// How long one iteration takes, and how much of it the replica's GPUs spend executing kernels.
struct IterationTime {
  double time_s = 0.0;  ///< wall time of the iteration, s
  double busy_s = 0.0;  ///< time each GPU is busy (the rest is CPU overhead and pipeline bubble), s
};

/// Sum of alpha + beta * j over integers j in [a, b) (0 when b <= a).
double affine_sum(double alpha, double beta, double a, double b);

/// The times of decode-only iterations k = 0, 1, 2, ... of a fixed batch whose context grows by one token per
/// sequence per iteration: t(k) = max(a + b k, c + d k) + fixed (the roofline's two bounds, each affine in k).
struct DecodeSeries {
  double compute_s = 0.0;        ///< a: the first bound at k = 0, s
  double compute_slope_s = 0.0;  ///< b: its growth per iteration, s
  double memory_s = 0.0;         ///< c: the second bound at k = 0, s
  double memory_slope_s = 0.0;   ///< d: its growth per iteration, s
  double fixed_s = 0.0;          ///< added to every iteration (communication, overhead), s
  double idle_s = 0.0;           ///< part of fixed_s during which the GPUs are idle, s
  double busy_share = 1.0;       ///< share of the remaining time each GPU is busy (pipeline bubbles excluded)

  /// t(k), s.
  double time_s(std::uint64_t k) const;
  /// Exact sum of t(j) over j in [0, k), s; the max is split where the binding bound changes.
  double sum_s(std::uint64_t k) const;
  /// About how many iterations fit in `seconds` (the inverse of sum_s, solved per bound; callers refine it
  /// against sum_s, so it only has to be close).
  std::uint64_t iterations_within(double seconds) const;
  /// GPU-busy seconds over iterations [0, k).
  double busy_sum_s(std::uint64_t k) const { return busy_sum_s(k, sum_s(k)); }
  /// The same from sum_s(k) already at hand (a step's end and a cut need both sums of the same k).
  double busy_sum_s(std::uint64_t k, double sum_k_s) const {
    return busy_share * (sum_k_s - static_cast<double>(k) * idle_s);
  }
  /// The real k > 0 where the two bounds cross (the binding term switches there), or infinity when they do not.
  double switch_point() const;
};

/// Predicts iteration times for one replica layout.
class IterationPredictor {
 public:
  virtual ~IterationPredictor() = default;
  /// Time of one iteration of `shape`.
  virtual IterationTime predict(const BatchShape& shape) const = 0;
  /// The closed form for decode-only iterations whose first iteration has shape `first` (no prefill tokens); each
  /// later iteration adds `first.sequences` context tokens and attention pairs. predict() of iteration k equals
  /// time_s(k) of the series.
  virtual DecodeSeries decode_series(const BatchShape& first) const = 0;
  /// The closed form for iterations whose shape changes by the same step each time: `first` is iteration 0 and
  /// `second` iteration 1 (same sequences and tokens, more context and attention pairs; a long prompt prefilled in
  /// equal chunks while the same sequences decode).
  virtual DecodeSeries run_series(const BatchShape& first, const BatchShape& second) const = 0;
  /// One line for summaries.
  virtual std::string describe() const = 0;
};

/// A validated `latency:` configuration; builds the predictor for a layout (throws ConfigError when it cannot).
class LatencyModelConfig {
 public:
  virtual ~LatencyModelConfig() = default;
  virtual std::unique_ptr<IterationPredictor> make_predictor(const ReplicaLayout& layout) const = 0;
};

/// Parameters of the roofline predictor (defaults calibrated in docs/models-serving.md, "Calibration").
struct RooflineParams {
  double compute_efficiency = 0.6;        ///< achieved / peak FLOP/s of large matmuls
  double memory_efficiency = 0.78;        ///< achieved / peak device-memory bandwidth when streaming weights
  double allreduce_latency_s = 22e-6;     ///< fixed cost of a small (low-latency protocol) all-reduce, s
  double allreduce_small_efficiency = 0.15;  ///< link efficiency of the low-latency protocol (small messages)
  double allreduce_large_latency_s = 60e-6;  ///< fixed cost of a large (bandwidth protocol) all-reduce, s
  double interconnect_efficiency = 0.8;   ///< link efficiency of the bandwidth protocol (large messages)
  double iteration_overhead_s = 1.2e-3;   ///< CPU scheduling, sampling and launch overhead per iteration, s
  double internode_bandwidth_bytes_per_s = 50e9;  ///< pipeline link per GPU (400 Gb/s NIC), bytes/s
  double p2p_latency_s = 10e-6;           ///< fixed cost of one pipeline-stage handoff, s
  std::uint32_t pipeline_microbatches = 1;///< microbatches a batch is split into across pipeline stages
};

/// The roofline predictor: per stage max(compute, memory) + all-reduces; stages in a GPipe schedule.
class RooflinePredictor final : public IterationPredictor {
 public:
  RooflinePredictor(const ReplicaLayout& layout, const RooflineParams& params);
  IterationTime predict(const BatchShape& shape) const override;
  DecodeSeries decode_series(const BatchShape& first) const override;
  DecodeSeries run_series(const BatchShape& first, const BatchShape& second) const override;
  std::string describe() const override;

  /// The two bounds and the all-reduce time of one pipeline stage for one microbatch (1/microbatches of `shape`), s.
  struct StageBounds {
    double compute_s = 0.0;
    double memory_s = 0.0;
    double comm_s = 0.0;
  };
  StageBounds stage_bounds(const BatchShape& shape, std::uint32_t microbatches) const;
  /// Microbatches used for a batch of `sequences`.
  std::uint32_t microbatches(std::uint32_t sequences) const;

 private:
  /// stage_bounds, inlined where the predictor uses it.
  StageBounds bounds_of(const BatchShape& shape, std::uint32_t microbatches) const;
  /// run_series, inlined into decode_series.
  DecodeSeries series_of(const BatchShape& first, const BatchShape& next) const;

  ReplicaLayout layout_;
  RooflineParams params_;
  IterationWorkModel work_;
  // stage_bounds' denominators, each the same product it was written as, computed once: bit for bit the same
  // bounds, without an out-of-line FLOP/s lookup and four products per call.
  double compute_rate_ = 0.0;      ///< achieved FLOP/s per GPU
  double memory_rate_ = 0.0;       ///< achieved device-memory bytes/s
  double ring_share_ = 0.0;        ///< 2 (TP-1)/TP: share of an all-reduce's buffer through each GPU's link
  double small_link_rate_ = 0.0;   ///< one-way link bytes/s of the low-latency protocol
  double large_link_rate_ = 0.0;   ///< and of the bandwidth protocol
};

/// Registers the latency models: `roofline` and `measured`.
void register_latency_models(Registry<LatencyModelConfig>& registry);

}  // namespace infercost
