#pragma once
// The hold model (Jones 1986): keep `pending` events queued; each step pops the earliest and pushes one at
// its time plus a random increment. Measures raw queue speed (events/s) at a fixed queue size.
#include <cstdint>
#include <string>

namespace infercost {

/// The result of one hold-model run.
struct HoldResult {
  std::string queue;          ///< "binary_heap", "quaternary_heap" or "engine"
  std::uint64_t pending = 0;  ///< events kept pending
  std::uint64_t events = 0;   ///< events processed
  double wall_s = 0.0;
  double events_per_s = 0.0;
  std::uint64_t checksum = 0; ///< defeats dead-code elimination; equal for equal inputs
};

/// Hold model directly on a queue: "binary_heap" or "quaternary_heap".
HoldResult hold_queue(const std::string& queue, std::uint64_t pending, std::uint64_t events, std::uint64_t seed);
/// Hold model through Engine (virtual handler dispatch, fingerprint, cancellation check included).
HoldResult hold_engine(std::uint64_t pending, std::uint64_t events, std::uint64_t seed);

}  // namespace infercost
