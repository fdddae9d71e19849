// The pool's predicted time to first token: the best replica's (ttft_predictor.hpp).
#include "infercost/serving/ttft_predictor.hpp"

#include <algorithm>

namespace infercost {

SimTime PoolTtftPredictor::predicted_ttft(const Request& request, SimTime now) const {
  SimTime best = kTimeNever;
  for (const Replica* r : replicas_) best = std::min(best, r->predicted_ttft(request, now));
  return best;
}

}  // namespace infercost
