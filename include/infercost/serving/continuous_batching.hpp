#pragma once
// The `continuous_batching` serving model: a replica is one LLM instance on TP x PP GPUs scheduled like vLLM
// (iteration-level batching, Yu et al., Orca, OSDI 2022; paged KV cache with admission by free blocks and preemption
// by recompute, Kwon et al., SOSP 2023; optional chunked prefill, Agrawal et al., Sarathi-Serve, OSDI 2024).
// Runs of decode-only iterations between changes of the batch advance in one event by the closed form of
// serving/latency.hpp, so a run costs events per request, not per token (`exact_iterations: true` simulates each
// iteration instead). Scenario keys: docs/scenario-reference-serving.md.
#include <cstdint>
#include <memory>
#include <string>

#include "infercost/core/registry.hpp"
#include "infercost/serving/kv_cache.hpp"
#include "infercost/serving/latency.hpp"
#include "infercost/serving/replica.hpp"
#include "infercost/serving/wait_queue.hpp"

namespace infercost {

/// The validated settings of a continuous-batching replica.
struct ContinuousBatchingSettings {
  ReplicaLayout layout;
  std::uint32_t max_num_seqs = 256;            ///< sequences in a batch at most
  std::uint32_t max_num_batched_tokens = 0;    ///< tokens per iteration at most (resolved default)
  bool chunked_prefill = false;                ///< split prompts into chunks that share iterations with decodes
  double gpu_memory_utilization = 0.9;         ///< share of GPU memory the server may use
  std::uint32_t max_model_len = 0;             ///< prompt + output tokens per request at most (resolved default)
  std::uint64_t watermark_blocks = 0;          ///< blocks kept free when admitting (vLLM watermark)
  bool exact_iterations = false;               ///< one event per iteration instead of closed-form runs
  KvCacheBudget kv;                            ///< memory split and block count
};

/// The `continuous_batching` model configuration: settings plus the latency predictor and queue order.
class ContinuousBatchingConfig final : public ServingModelConfig {
 public:
  ContinuousBatchingConfig(ContinuousBatchingSettings settings, std::shared_ptr<const IterationPredictor> predictor,
                           std::shared_ptr<const WaitQueueConfig> queue_order);
  std::unique_ptr<Replica> make_replica(ReplicaContext context) const override;
  std::uint32_t gpus_per_replica() const override { return settings_.layout.gpus(); }
  std::string describe() const override;
  const GpuSpec* gpu_spec() const override { return &settings_.layout.gpu; }
  bool applies_queue_order() const override { return true; }
  bool predicts_ttft() const override { return true; }

  const ContinuousBatchingSettings& settings() const { return settings_; }
  const IterationPredictor& predictor() const { return *predictor_; }

 private:
  ContinuousBatchingSettings settings_;
  IterationWorkModel work_;  ///< FLOPs and bytes of an iteration, shared by the replicas
  std::shared_ptr<const IterationPredictor> predictor_;
  std::shared_ptr<const WaitQueueConfig> queue_order_;
};

/// Reads a `serving:` mapping of type continuous_batching (catalogs, overrides, parallelism, scheduler, latency).
std::unique_ptr<ContinuousBatchingConfig> read_continuous_batching(const ConfigNode& node,
                                                                   const Registry<LatencyModelConfig>& latency_models,
                                                                   const Registry<WaitQueueConfig>& queue_orders);

/// Adds `continuous_batching` to the serving registry (called from register_serving_models).
void register_continuous_batching(Registry<ServingModelConfig>& registry);

}  // namespace infercost
