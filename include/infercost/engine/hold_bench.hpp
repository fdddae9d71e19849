#pragma once
// The hold model (Jones 1986): keep `pending` events queued; each step pops the earliest and pushes one at
// its time plus a random increment. Measures raw queue speed (events/s) at a fixed queue size.
#include <cstdint>
#include <string>
#include <vector>

namespace infercost {

/// The result of one hold-model run.
struct HoldResult {
  std::string queue;             ///< a queue design (hold_queue_designs()) or "engine"
  std::uint64_t pending = 0;     ///< events kept pending
  std::uint64_t events = 0;      ///< events processed
  double wall_s = 0.0;
  double events_per_s = 0.0;
  double bytes_per_pending = 0.0;  ///< queue memory at the end of the run / pending events
  std::uint64_t checksum = 0;    ///< defeats dead-code elimination; equal for equal inputs
};

/// The queue designs hold_queue() accepts (docs/performance.md compares them).
std::vector<std::string> hold_queue_designs();
/// Hold model directly on one of hold_queue_designs().
HoldResult hold_queue(const std::string& queue, std::uint64_t pending, std::uint64_t events, std::uint64_t seed);
/// Hold model through Engine (virtual handler dispatch, fingerprint, cancellation check included).
HoldResult hold_engine(std::uint64_t pending, std::uint64_t events, std::uint64_t seed);

}  // namespace infercost
