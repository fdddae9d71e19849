// The roofline latency predictor (Williams, Waterman, Patterson, "Roofline", CACM 2009, applied to LLM inference as
// in Yuan et al., "LLM Inference Unveiled: Survey and Roofline Model Insights", 2024) and the closed-form sum of
// decode iterations. Per pipeline stage and microbatch of a batch of T tokens:
//   compute_s = FLOPs_gpu / (peak_FLOP/s * compute_efficiency)
//   memory_s  = (weight_bytes_gpu + KV_bytes_gpu) / (HBM_bytes/s * memory_efficiency)
//   comm_s    = n_allreduce * min over NCCL's protocols (low latency, bandwidth) of
//               (latency_p + 2 (TP-1)/TP * bytes / (link_bytes/s / 2 * efficiency_p))
//   stage_s   = max(compute_s, memory_s) + comm_s
// and the iteration, GPipe style with m microbatches over PP stages (Huang et al., GPipe, NeurIPS 2019):
//   time_s = (m + PP - 1) * stage_s + (PP - 1) * p2p_s + iteration_overhead
// Each GPU is busy m * stage_s of it; the rest is the pipeline bubble and the CPU overhead.
#include "infercost/serving/latency.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "infercost/serving/latency_fit.hpp"

namespace infercost {
namespace {

class RooflineConfig final : public LatencyModelConfig {
 public:
  explicit RooflineConfig(const RooflineParams& p) : p_(p) {}
  std::unique_ptr<IterationPredictor> make_predictor(const ReplicaLayout& layout) const override {
    return std::make_unique<RooflinePredictor>(layout, p_);
  }

 private:
  RooflineParams p_;
};

}  // namespace

double affine_sum(double alpha, double beta, double a, double b) {
  if (b <= a) return 0.0;
  return (b - a) * alpha + beta * (b * (b - 1.0) - a * (a - 1.0)) / 2.0;
}

double DecodeSeries::time_s(std::uint64_t k) const {
  const double x = static_cast<double>(k);
  return std::max(compute_s + compute_slope_s * x, memory_s + memory_slope_s * x) + fixed_s;
}

double DecodeSeries::switch_point() const {
  const double gap = compute_s - memory_s;        // > 0: compute binds at k = 0
  const double closing = memory_slope_s - compute_slope_s;
  if (closing == 0.0) return std::numeric_limits<double>::infinity();
  const double root = gap / closing;
  return root > 0.0 ? root : std::numeric_limits<double>::infinity();
}

double DecodeSeries::sum_s(std::uint64_t k) const {
  if (k == 0) return 0.0;
  const double n = static_cast<double>(k);
  // The bound that binds at k = 0 keeps binding until the other overtakes it at the switch point (the two are
  // equal there, so an iteration on the boundary counts the same under either).
  const bool compute_first = compute_s >= memory_s;
  const double a0 = compute_first ? compute_s : memory_s;
  const double a1 = compute_first ? compute_slope_s : memory_slope_s;
  const double b0 = compute_first ? memory_s : compute_s;
  const double b1 = compute_first ? memory_slope_s : compute_slope_s;
  double split = n;
  if (b1 > a1) {
    const double root = (a0 - b0) / (b1 - a1);  // b overtakes a for j > root
    split = std::clamp(std::ceil(root), 0.0, n);
  }
  return affine_sum(a0, a1, 0.0, split) + affine_sum(b0, b1, split, n) + n * fixed_s;
}

std::uint64_t DecodeSeries::iterations_within(double seconds) const {
  if (!(seconds > 0.0)) return 0;
  // Iterations j = 0.. of time c0 + c1 j take c0 n + c1 n (n - 1) / 2 for n of them: solve for n.
  const auto solve = [](double c0, double c1, double t) {
    if (c1 <= 0.0) return c0 > 0.0 ? t / c0 : std::numeric_limits<double>::infinity();
    const double b = c0 - c1 / 2.0;
    return (-b + std::sqrt(b * b + 2.0 * c1 * t)) / c1;
  };
  const bool compute_first = compute_s >= memory_s;
  const double a0 = compute_first ? compute_s : memory_s;
  const double a1 = compute_first ? compute_slope_s : memory_slope_s;
  const double b0 = compute_first ? memory_s : compute_s;
  const double b1 = compute_first ? memory_slope_s : compute_slope_s;
  double n = solve(a0 + fixed_s, a1, seconds);
  if (b1 > a1) {
    const double split = std::max(0.0, std::ceil((a0 - b0) / (b1 - a1)));
    if (n > split) {
      const double before = affine_sum(a0, a1, 0.0, split) + split * fixed_s;
      n = split + solve(b0 + fixed_s + b1 * split, b1, seconds - before);
    }
  }
  if (!(n < 1e18)) return std::numeric_limits<std::uint64_t>::max();
  return static_cast<std::uint64_t>(std::max(0.0, n));
}

RooflinePredictor::RooflinePredictor(const ReplicaLayout& layout, const RooflineParams& params)
    : layout_(layout), params_(params), work_(layout) {
  compute_rate_ = layout_.peak_flops_per_s() * params_.compute_efficiency;
  memory_rate_ = layout_.gpu.memory_bandwidth_bytes_per_s * params_.memory_efficiency;
  const double tp = layout_.tensor_parallel;
  ring_share_ = 2.0 * (tp - 1.0) / tp;
  const double one_way = layout_.gpu.interconnect_bandwidth_bytes_per_s / 2.0;
  small_link_rate_ = one_way * params_.allreduce_small_efficiency;
  large_link_rate_ = one_way * params_.interconnect_efficiency;
}

std::uint32_t RooflinePredictor::microbatches(std::uint32_t sequences) const {
  if (layout_.pipeline_parallel <= 1) return 1;
  return std::max<std::uint32_t>(1, std::min(params_.pipeline_microbatches, sequences));
}

// Inlined into predict and run_series (two per run): out of line it was a call per bound, and run_series' two
// evaluations could not share the work they have in common.
[[gnu::always_inline]] inline RooflinePredictor::StageBounds RooflinePredictor::bounds_of(
    const BatchShape& shape, std::uint32_t microbatches) const {
  const IterationWork w = work_(shape);
  // Dividing by one microbatch (every layout without pipeline parallelism) is exact, so it is skipped.
  const bool whole = microbatches == 1;
  const double m = microbatches;
  StageBounds b;
  b.compute_s = (whole ? w.flops_per_gpu : w.flops_per_gpu / m) / compute_rate_;
  b.memory_s = (w.weight_bytes_per_gpu + (whole ? w.kv_bytes_per_gpu : w.kv_bytes_per_gpu / m)) / memory_rate_;
  if (w.allreduces_per_stage > 0) {
    // Ring all-reduce moves 2 (TP-1)/TP of the buffer through each GPU's link, one direction at a time.
    const double moved = ring_share_ * (whole ? w.allreduce_bytes : w.allreduce_bytes / m);
    // NCCL picks its low-latency protocol for small buffers and its bandwidth protocol for large ones.
    const double small = params_.allreduce_latency_s + moved / small_link_rate_;
    const double large = params_.allreduce_large_latency_s + moved / large_link_rate_;
    b.comm_s = w.allreduces_per_stage * std::min(small, large);
  }
  return b;
}
RooflinePredictor::StageBounds RooflinePredictor::stage_bounds(const BatchShape& shape,
                                                               std::uint32_t microbatches) const {
  return bounds_of(shape, microbatches);
}

IterationTime RooflinePredictor::predict(const BatchShape& shape) const {
  const std::uint32_t m = microbatches(shape.sequences);
  const StageBounds b = bounds_of(shape, m);
  const double pp = layout_.pipeline_parallel;
  const double stage = std::max(b.compute_s, b.memory_s) + b.comm_s;
  const double p2p = (pp - 1.0) * (params_.p2p_latency_s + static_cast<double>(shape.tokens()) / m *
                                                                layout_.model.hidden_size * 2.0 /
                                                                params_.internode_bandwidth_bytes_per_s);
  IterationTime t;
  t.time_s = (m + pp - 1.0) * stage + p2p + params_.iteration_overhead_s;
  t.busy_s = m * stage;
  return t;
}

// Both series share this body, inlined: decode_series calling run_series was one more call per decode run.
[[gnu::always_inline]] inline DecodeSeries RooflinePredictor::series_of(const BatchShape& first,
                                                                        const BatchShape& next) const {
  // Both bounds are affine in the context, so two evaluations give each one's intercept and slope exactly.
  const std::uint32_t m = microbatches(first.sequences);
  const StageBounds b0 = bounds_of(first, m);
  const StageBounds b1 = bounds_of(next, m);
  const double pp = layout_.pipeline_parallel;
  const double stages = m + pp - 1.0;
  const double p2p = (pp - 1.0) * (params_.p2p_latency_s + static_cast<double>(first.tokens()) / m *
                                                                layout_.model.hidden_size * 2.0 /
                                                                params_.internode_bandwidth_bytes_per_s);
  DecodeSeries s;
  s.compute_s = stages * b0.compute_s;
  s.compute_slope_s = stages * (b1.compute_s - b0.compute_s);
  s.memory_s = stages * b0.memory_s;
  s.memory_slope_s = stages * (b1.memory_s - b0.memory_s);
  s.fixed_s = stages * b0.comm_s + p2p + params_.iteration_overhead_s;
  s.idle_s = p2p + params_.iteration_overhead_s;
  s.busy_share = m / stages;
  return s;
}

DecodeSeries RooflinePredictor::run_series(const BatchShape& first, const BatchShape& next) const {
  return series_of(first, next);
}

DecodeSeries RooflinePredictor::decode_series(const BatchShape& first) const {
  BatchShape next = first;
  next.context_tokens += first.sequences;
  next.attention_pairs += first.sequences;
  return series_of(first, next);
}

std::string RooflinePredictor::describe() const {
  return fmt::format("roofline (compute x{:g}, memory x{:g}, all-reduce {:g} us, overhead {:g} ms)",
                     params_.compute_efficiency, params_.memory_efficiency, params_.allreduce_latency_s * 1e6,
                     params_.iteration_overhead_s * 1e3);
}

void register_latency_models(Registry<LatencyModelConfig>& registry) {
  registry.add("roofline", "max(compute, memory) + all-reduce + overhead per iteration (docs/models-serving.md)",
               [](const ConfigNode& n) -> std::unique_ptr<LatencyModelConfig> {
                 RooflineParams p;
                 p.compute_efficiency = n.get_double("compute_efficiency", p.compute_efficiency, 0.01, 1.0);
                 p.memory_efficiency = n.get_double("memory_efficiency", p.memory_efficiency, 0.01, 1.0);
                 p.interconnect_efficiency =
                     n.get_double("interconnect_efficiency", p.interconnect_efficiency, 0.01, 1.0);
                 p.allreduce_small_efficiency =
                     n.get_double("allreduce_small_efficiency", p.allreduce_small_efficiency, 0.01, 1.0);
                 p.allreduce_latency_s = to_seconds(n.get_duration("allreduce_latency", from_seconds(p.allreduce_latency_s)));
                 p.allreduce_large_latency_s =
                     to_seconds(n.get_duration("allreduce_large_latency", from_seconds(p.allreduce_large_latency_s)));
                 p.iteration_overhead_s =
                     to_seconds(n.get_duration("iteration_overhead", from_seconds(p.iteration_overhead_s)));
                 p.internode_bandwidth_bytes_per_s = n.get_quantity(
                     "internode_bandwidth", UnitKind::kBandwidth, p.internode_bandwidth_bytes_per_s, 1e6, 1e15);
                 p.p2p_latency_s = to_seconds(n.get_duration("p2p_latency", from_seconds(p.p2p_latency_s)));
                 p.pipeline_microbatches =
                     static_cast<std::uint32_t>(n.get_int("pipeline_microbatches", p.pipeline_microbatches, 1, 1024));
                 return std::make_unique<RooflineConfig>(p);
               });
  add_measured_latency_model(registry);
}

}  // namespace infercost
