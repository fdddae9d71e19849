// KV-cache capacity (docs/models-serving.md, "Paged KV cache"):
//   kv_bytes_per_gpu = memory * gpu_memory_utilization - weights_per_gpu - activation_reserve
//   blocks           = floor(kv_bytes_per_gpu / (block_size * 2 * layers_per_stage * kv_heads_per_gpu * d_head * b_kv))
// as vLLM's Worker.determine_num_available_blocks computes it after profiling a forward pass.
#include "infercost/serving/kv_cache.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace infercost {

KvCacheBudget kv_cache_budget(const ReplicaLayout& layout, double gpu_memory_utilization,
                              double activation_reserve_bytes_per_gpu, std::uint32_t block_size_tokens) {
  KvCacheBudget b;
  b.block_size_tokens = block_size_tokens;
  b.usable_bytes_per_gpu = layout.gpu.memory_bytes * gpu_memory_utilization;
  b.weight_bytes_per_gpu = layout.weight_bytes_per_gpu();
  b.activation_reserve_bytes_per_gpu = activation_reserve_bytes_per_gpu;
  b.kv_bytes_per_gpu = b.usable_bytes_per_gpu - b.weight_bytes_per_gpu - b.activation_reserve_bytes_per_gpu;
  b.block_bytes_per_gpu = block_size_tokens * layout.kv_bytes_per_token_per_gpu();
  b.blocks = b.kv_bytes_per_gpu > 0 ? static_cast<std::uint64_t>(std::floor(b.kv_bytes_per_gpu / b.block_bytes_per_gpu))
                                    : 0;
  return b;
}

double default_activation_reserve_bytes(const ReplicaLayout& layout, std::uint32_t batched_tokens,
                                        std::uint32_t max_seqs) {
  const LlmSpec& m = layout.model;
  const double tp = layout.tensor_parallel;
  // Per token in flight: residual stream, normalised input, attention output and QKV (about 4 hidden vectors) plus
  // the gate and up projections of the routed experts' MLP split over TP, all 16-bit.
  const double per_token = (4.0 * m.hidden_size + 2.0 * m.experts_per_token * m.intermediate_size / tp) * 2.0;
  // Sampling materialises float32 logits for every sampled row.
  const double logits = static_cast<double>(max_seqs) * m.vocab_size * 4.0 / tp;
  return static_cast<double>(batched_tokens) * per_token + logits + 1024.0 * 1024.0 * 1024.0;
}

bool PagedKvCache::try_allocate(std::uint64_t n) {
  if (n > free()) return false;
  used_ += n;
  return true;
}

void PagedKvCache::release(std::uint64_t n) {
  if (n > used_) throw std::logic_error("PagedKvCache::release: releasing more blocks than are in use");
  used_ -= n;
}

}  // namespace infercost
