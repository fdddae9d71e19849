#pragma once
// The unit the engine schedules: 32 bytes, ordered by (time, insertion sequence).
#include <cstdint>

#include "infercost/engine/time.hpp"

namespace infercost {

class Engine;

/// Something that reacts to events; `kind` and `data` are its own encoding.
class EventHandler {
 public:
  virtual ~EventHandler() = default;
  virtual void on_event(Engine& engine, std::uint32_t kind, std::uint64_t data) = 0;
};

/// Identifies a scheduled event for cancellation (its insertion sequence number).
using EventId = std::uint64_t;

/// A pending event. `seq_kind` packs the insertion sequence (high 56 bits) and the handler's kind (low 8
/// bits): since sequences are unique, comparing seq_kind compares insertion order.
struct Event {
  SimTime time;
  std::uint64_t seq_kind;
  EventHandler* handler;
  std::uint64_t data;

  std::uint64_t seq() const { return seq_kind >> 8; }
  std::uint32_t kind() const { return static_cast<std::uint32_t>(seq_kind & 0xffu); }
};
static_assert(sizeof(Event) == 32);

/// Strict order of events: earlier time first, then first scheduled first (FIFO among ties).
inline bool event_before(const Event& a, const Event& b) {
  return a.time < b.time || (a.time == b.time && a.seq_kind < b.seq_kind);
}

}  // namespace infercost
