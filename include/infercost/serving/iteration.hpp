#pragma once
// One iteration of an LLM server: a forward pass over a batch of prefill chunks and decode tokens. This header holds
// the shape of such a batch, the replica layout it runs on (GPU, model, parallelism) and the work it costs: FLOPs and
// device-memory bytes per GPU, from which the latency predictors and the activity reports are derived.
// Equations: docs/models-serving.md, "Model arithmetic".
#include <cstdint>

#include "infercost/hardware/catalog.hpp"

namespace infercost {

/// The batch of one iteration, as the scheduler composed it.
struct BatchShape {
  std::uint32_t sequences = 0;         ///< sequences in the batch (batch size)
  std::uint32_t decode_tokens = 0;     ///< one per decoding sequence
  std::uint64_t prefill_tokens = 0;    ///< prompt tokens computed (whole prompts or chunks)
  std::uint64_t context_tokens = 0;    ///< KV tokens read: over sequences, the context length after this iteration
  double attention_pairs = 0.0;        ///< (query, key) pairs: over new tokens, the tokens each one attends to
  std::uint64_t tokens() const { return prefill_tokens + decode_tokens; }
};

/// Adds a prefill chunk of `chunk` tokens that starts after `computed` cached tokens to a batch.
void add_prefill_chunk(BatchShape& shape, std::uint64_t computed, std::uint64_t chunk);
/// Adds one decode token of a sequence with `computed` cached tokens (it attends to computed + 1 tokens).
void add_decode_token(BatchShape& shape, std::uint64_t computed);

/// A model instance: one GPU type, one LLM, tensor parallel within a node and pipeline parallel across nodes.
struct ReplicaLayout {
  GpuSpec gpu;
  LlmSpec model;
  std::uint32_t tensor_parallel = 1;
  std::uint32_t pipeline_parallel = 1;
  Precision kv_precision = Precision::kBf16;

  std::uint32_t gpus() const { return tensor_parallel * pipeline_parallel; }
  /// Math runs in the weights' format when the GPU has tensor cores for it (FP8 weights on A100 run in BF16).
  Precision compute_precision() const { return model.weight_precision; }
  /// Peak FLOP/s of one GPU at the compute precision.
  double peak_flops_per_s() const { return gpu.flops_per_s(compute_precision()); }
  /// Layers held by the largest pipeline stage.
  std::uint32_t layers_per_stage() const;
  /// KV heads stored per GPU: kv_heads / TP, or 1 (replicated) when TP exceeds kv_heads.
  double kv_heads_per_gpu() const;
  /// Weight bytes held per GPU (every parameter, embeddings included), bytes.
  double weight_bytes_per_gpu() const;
  /// KV-cache bytes one token takes on one GPU of the largest stage, bytes.
  double kv_bytes_per_token_per_gpu() const;
};

/// What one iteration costs on one GPU (the average stage; pipeline stages split layers evenly).
struct IterationWork {
  double flops_per_gpu = 0.0;            ///< dense matmul FLOPs plus attention FLOPs, FLOP
  double weight_bytes_per_gpu = 0.0;     ///< weights streamed from device memory, bytes
  double kv_bytes_per_gpu = 0.0;         ///< KV cache read and written, bytes
  double allreduce_bytes = 0.0;          ///< size of each tensor-parallel all-reduce, bytes
  std::uint32_t allreduces_per_stage = 0;///< all-reduces per pipeline stage (2 per layer when TP > 1)
  double bytes_per_gpu() const { return weight_bytes_per_gpu + kv_bytes_per_gpu; }
};

/// The work of a batch on a layout. Dense FLOPs use active parameters (routed experts only); weight bytes use every
/// parameter (a batch touches all experts); the embedding table is gathered, not streamed.
IterationWork iteration_work(const ReplicaLayout& layout, const BatchShape& shape);

/// iteration_work for one layout with the layout's constants computed once: the same arithmetic, bit for bit
/// (schedulers evaluate it several times per step).
class IterationWorkModel {
 public:
  explicit IterationWorkModel(const ReplicaLayout& layout);
  IterationWork operator()(const BatchShape& shape) const {
    IterationWork w;
    const double dense = two_active_params_ * static_cast<double>(shape.tokens()) + two_head_ * shape.sequences;
    const double attention = attention_per_pair_ * shape.attention_pairs;
    // Over a power of two, multiplying by its inverse is the same correctly rounded quotient, without a
    // division's latency (on the path of every step's time).
    w.flops_per_gpu = inverse_gpus_ != 0.0 ? (dense + attention) * inverse_gpus_ : (dense + attention) / gpus_;
    w.weight_bytes_per_gpu = weight_bytes_per_gpu_;
    w.kv_bytes_per_gpu = static_cast<double>(shape.context_tokens) * kv_per_token_per_gpu_;
    w.allreduce_bytes = static_cast<double>(shape.tokens()) * hidden_ * 2.0;
    w.allreduces_per_stage = allreduces_per_stage_;
    return w;
  }
  /// The layout's peak FLOP/s per GPU at its compute precision (ReplicaLayout::peak_flops_per_s, looked up once).
  double peak_flops_per_s() const { return peak_flops_per_s_; }

 private:
  double two_active_params_ = 0.0;     ///< 2 x active layer parameters, FLOP per token
  double two_head_ = 0.0;              ///< 2 x vocabulary x hidden, FLOP per sequence
  double attention_per_pair_ = 0.0;    ///< FLOP per (query, key) pair
  double gpus_ = 1.0;
  double inverse_gpus_ = 0.0;          ///< 1 / gpus_ when gpus_ is a power of two (exact), else 0
  double weight_bytes_per_gpu_ = 0.0;  ///< bytes
  double kv_per_token_per_gpu_ = 0.0;  ///< bytes
  double hidden_ = 0.0;
  std::uint32_t allreduces_per_stage_ = 0;
  double peak_flops_per_s_ = 0.0;
};

}  // namespace infercost
