#include "infercost/core/request.hpp"

namespace infercost {

const char* to_string(RequestOutcome outcome) {
  switch (outcome) {
    case RequestOutcome::kInFlight: return "in_flight";
    case RequestOutcome::kCompleted: return "completed";
    case RequestOutcome::kRejected: return "rejected";
    case RequestOutcome::kAbandoned: return "abandoned";
  }
  return "unknown";
}

}  // namespace infercost
