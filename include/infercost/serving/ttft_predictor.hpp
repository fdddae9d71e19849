#pragma once
// Predicted time to first token for admission policies (load shedding on `signal: predicted_ttft`): each replica
// estimates when a request admitted now would get its first token (Replica::predicted_ttft); the pool predictor
// takes the best replica, the one a load-aware router would pick (docs/models-serving.md, "Predicted TTFT").
#include <span>

#include "infercost/policy/signals.hpp"
#include "infercost/serving/replica.hpp"

namespace infercost {

/// Predicts TTFT over a pool of replicas whose serving model predicts it: the smallest replica prediction.
class PoolTtftPredictor final : public TtftPredictor {
 public:
  explicit PoolTtftPredictor(std::span<Replica* const> replicas) : replicas_(replicas) {}
  /// Smallest Replica::predicted_ttft over the pool, ns.
  SimTime predicted_ttft(const Request& request, SimTime now) const override;

 private:
  std::span<Replica* const> replicas_;
};

}  // namespace infercost
