// Model arithmetic of one iteration (docs/models-serving.md, "Model arithmetic"):
//   dense FLOPs     = 2 * P_layers_active * T + 2 * V * H * S          (T new tokens, S sequences sampling a token)
//   attention FLOPs = 4 * L * n_heads * d_head * pairs                  (QK^T and AV, causal pairs counted once)
//   weight bytes    = (P_layers_total + V * H) * bytes(weights)         (output head streamed, embedding gathered)
//   KV bytes        = context_tokens * 2 * L * n_kv * d_head * bytes(kv)
// Per GPU, tensor parallelism splits heads and MLP columns over TP and pipeline parallelism splits layers over PP.
#include "infercost/serving/iteration.hpp"

#include <algorithm>
#include <bit>

namespace infercost {

void add_prefill_chunk(BatchShape& shape, std::uint64_t computed, std::uint64_t chunk) {
  if (chunk == 0) return;
  ++shape.sequences;
  shape.prefill_tokens += chunk;
  shape.context_tokens += computed + chunk;
  // Token i of the chunk (0-based) attends to computed + i + 1 keys.
  const double c = static_cast<double>(chunk);
  shape.attention_pairs += c * static_cast<double>(computed) + c * (c + 1.0) / 2.0;
}

void add_decode_token(BatchShape& shape, std::uint64_t computed) {
  ++shape.sequences;
  ++shape.decode_tokens;
  shape.context_tokens += computed + 1;
  shape.attention_pairs += static_cast<double>(computed + 1);
}

std::uint32_t ReplicaLayout::layers_per_stage() const {
  return (model.layers + pipeline_parallel - 1) / pipeline_parallel;
}

double ReplicaLayout::kv_heads_per_gpu() const {
  return std::max(1.0, static_cast<double>(model.kv_heads) / tensor_parallel);
}

double ReplicaLayout::weight_bytes_per_gpu() const {
  return model.params() * bytes_per_element(model.weight_precision) / gpus();
}

double ReplicaLayout::kv_bytes_per_token_per_gpu() const {
  return 2.0 * layers_per_stage() * kv_heads_per_gpu() * model.head_dim * bytes_per_element(kv_precision);
}

IterationWork iteration_work(const ReplicaLayout& layout, const BatchShape& shape) {
  return IterationWorkModel(layout)(shape);
}

IterationWorkModel::IterationWorkModel(const ReplicaLayout& layout) {
  const LlmSpec& m = layout.model;
  const double tp = layout.tensor_parallel;
  const double pp = layout.pipeline_parallel;
  gpus_ = tp * pp;
  if (std::has_single_bit(layout.gpus())) inverse_gpus_ = 1.0 / gpus_;
  const double head = static_cast<double>(m.vocab_size) * m.hidden_size;
  two_active_params_ = 2.0 * m.layer_params_active();
  two_head_ = 2.0 * head;
  attention_per_pair_ = 4.0 * m.layers * static_cast<double>(m.attention_heads) * m.head_dim;
  weight_bytes_per_gpu_ = (m.layer_params_total() + head) * bytes_per_element(m.weight_precision) / gpus_;
  kv_per_token_per_gpu_ = 2.0 * (m.layers / pp) * layout.kv_heads_per_gpu() * m.head_dim *
                          bytes_per_element(layout.kv_precision);
  // Activations travel in 16-bit: one hidden vector per token per all-reduce.
  hidden_ = m.hidden_size;
  allreduces_per_stage_ = layout.tensor_parallel > 1 ? 2 * layout.layers_per_stage() : 0;
  peak_flops_per_s_ = layout.peak_flops_per_s();
}

}  // namespace infercost
