#pragma once
// A request to an LLM service and what happened to it. Requests live in a pool; only those in flight use memory.
#include <cstdint>

#include "infercost/engine/time.hpp"

namespace infercost {

/// How a request ended. Every request ends exactly one way, or is still in flight when the run ends.
enum class RequestOutcome : std::uint8_t { kInFlight, kCompleted, kRejected, kAbandoned };

const char* to_string(RequestOutcome outcome);

/// One request: token counts, timestamps (ns) and bookkeeping shared by the models.
struct Request {
  std::uint64_t id = 0;            ///< unique in a run, in order of creation
  std::uint32_t pool_index = 0;    ///< slot in the simulation's request pool
  std::uint32_t user = 0;          ///< global user index
  std::uint32_t user_class = 0;    ///< index of the user class
  std::uint32_t plan = 0;          ///< index of the user's plan
  std::uint32_t input_tokens = 0;  ///< prompt tokens (context included)
  std::uint32_t output_tokens = 0; ///< tokens the model will generate
  std::uint32_t replica = UINT32_MAX;  ///< replica serving it, if routed
  std::uint16_t attempts = 0;      ///< submissions so far (1 + retries)
  std::uint16_t preemptions = 0;   ///< times evicted and recomputed
  std::uint32_t source_tag = 0;    ///< free for the traffic source (loop index of an agent, say)
  SimTime created_at = 0;          ///< first submission
  SimTime submitted_at = 0;        ///< latest submission (after retries)
  SimTime started_at = kTimeNever;     ///< service began (admitted into a batch)
  SimTime first_token_at = kTimeNever; ///< first output token produced
  SimTime completed_at = kTimeNever;   ///< last output token produced
  RequestOutcome outcome = RequestOutcome::kInFlight;
};

/// Starts loading both of a request's lines (it is 96 bytes): its times and outcome are in the second.
inline void prefetch_request(const Request* r) {
  __builtin_prefetch(r);
  __builtin_prefetch(reinterpret_cast<const char*>(r) + sizeof(Request) - 1);
}

}  // namespace infercost
