#pragma once
// The paged KV cache of a replica (PagedAttention, Kwon et al., SOSP 2023): GPU memory left after weights and an
// activation reserve is cut into fixed-size blocks of `block_size` tokens; a sequence holds ceil(tokens / block_size)
// blocks. A block spans every GPU of the replica (each holds its tensor-parallel heads of its pipeline stage's layers),
// so capacity is set by the most loaded GPU.
#include <bit>
#include <cstdint>

#include "infercost/serving/iteration.hpp"

namespace infercost {

/// How one GPU's memory divides between weights, activations and KV cache, and the blocks that gives.
struct KvCacheBudget {
  double usable_bytes_per_gpu = 0.0;          ///< memory * gpu_memory_utilization, bytes
  double weight_bytes_per_gpu = 0.0;          ///< bytes
  double activation_reserve_bytes_per_gpu = 0.0;  ///< bytes
  double kv_bytes_per_gpu = 0.0;              ///< usable - weights - reserve, bytes (may be negative: no fit)
  double block_bytes_per_gpu = 0.0;           ///< one block's share on one GPU, bytes
  std::uint32_t block_size_tokens = 16;
  std::uint64_t blocks = 0;                   ///< blocks per replica
  std::uint64_t capacity_tokens() const { return blocks * block_size_tokens; }
};

/// The budget of a layout (vLLM's profile: gpu_memory_utilization * memory - weights - peak activations).
KvCacheBudget kv_cache_budget(const ReplicaLayout& layout, double gpu_memory_utilization,
                              double activation_reserve_bytes_per_gpu, std::uint32_t block_size_tokens);

/// An estimate of the activation peak vLLM's memory profiling measures for one forward pass of `batched_tokens`
/// tokens and `max_seqs` sampled rows, plus 1 GiB for CUDA graphs, communication buffers and fragmentation.
double default_activation_reserve_bytes(const ReplicaLayout& layout, std::uint32_t batched_tokens,
                                        std::uint32_t max_seqs);

/// Block bookkeeping of one replica's paged KV cache.
class PagedKvCache {
 public:
  PagedKvCache(std::uint64_t blocks, std::uint32_t block_size_tokens)
      : total_(blocks),
        block_size_(block_size_tokens),
        pow2_(block_size_tokens != 0 && (block_size_tokens & (block_size_tokens - 1)) == 0),
        shift_(static_cast<std::uint8_t>(pow2_ ? std::countr_zero(block_size_tokens) : 0)) {}
  /// Blocks needed to hold `tokens` tokens.
  std::uint64_t blocks_for(std::uint64_t tokens) const { return whole_blocks(tokens + block_size_ - 1); }
  /// tokens / block_size and tokens % block_size. Block math runs on every step, and a power-of-two block size
  /// (vLLM's are) makes them a shift and a mask instead of 64-bit divisions.
  std::uint64_t whole_blocks(std::uint64_t tokens) const { return pow2_ ? tokens >> shift_ : tokens / block_size_; }
  std::uint64_t within_block(std::uint64_t tokens) const {
    return pow2_ ? tokens & (block_size_ - 1) : tokens % block_size_;
  }
  bool block_size_is_pow2() const { return pow2_; }
  std::uint64_t total() const { return total_; }
  std::uint64_t used() const { return used_; }
  std::uint64_t free() const { return total_ - used_; }
  /// Takes `n` blocks if that many are free; false (and nothing taken) otherwise.
  bool try_allocate(std::uint64_t n);
  /// Returns `n` blocks.
  void release(std::uint64_t n);
  /// Share of blocks in use, in [0, 1].
  double occupancy() const { return total_ ? static_cast<double>(used_) / static_cast<double>(total_) : 0.0; }
  std::uint32_t block_size() const { return block_size_; }

 private:
  std::uint64_t total_;
  std::uint64_t used_ = 0;
  std::uint32_t block_size_;
  bool pow2_;
  std::uint8_t shift_;
};

}  // namespace infercost
