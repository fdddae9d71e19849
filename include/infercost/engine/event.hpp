#pragma once
// The unit the engine schedules: 24 bytes, ordered by (time, insertion sequence).
#include <cstdint>

#include "infercost/engine/time.hpp"

namespace infercost {

class Engine;

/// Something that reacts to events; `kind` and `data` are its own encoding. An engine enrolls a handler in
/// its handler table the first time it schedules it: events carry the slot, not the address.
class EventHandler {
 public:
  EventHandler() = default;
  // A copy is a different handler; its own slot is found when an engine first schedules it.
  EventHandler(const EventHandler&) {}
  EventHandler& operator=(const EventHandler&) { return *this; }
  virtual ~EventHandler() = default;
  virtual void on_event(Engine& engine, std::uint32_t kind, std::uint64_t data) = 0;

 private:
  friend class Engine;
  std::uint32_t slot_ = 0;  ///< in the table of the engine that last enrolled it
};

/// An address a handler's next event will probably read first: base + i × stride, where i is one half of the
/// event's 64-bit data (the low half unless `high`; a handler may pack two indices into its data), stride 0 a
/// fixed address. Packed into 8 bytes (a 48-bit user-space address, the half, a 15-bit stride) so that an
/// engine's table of them stays in cache. Zero: none. See Engine::prefetch_hints.
class PrefetchHint {
 public:
  PrefetchHint() = default;
  explicit PrefetchHint(const void* base, std::uint64_t stride = 0, bool high = false)
      : bits_(reinterpret_cast<std::uintptr_t>(base) | (std::uint64_t{high} << kAddressBits) |
              (stride << (kAddressBits + 1))) {
    if ((reinterpret_cast<std::uintptr_t>(base) >> kAddressBits) != 0 || (stride >> (63 - kAddressBits)) != 0) {
      bits_ = 0;  // not representable: no hint (a hint never changes results)
    }
  }
  bool empty() const { return bits_ == 0; }
  /// The hinted address for an event's data.
  const char* address(std::uint64_t data) const {
    const std::uint64_t i = (data >> (((bits_ >> kAddressBits) & 1) * 32)) & 0xffffffffu;
    return reinterpret_cast<const char*>((bits_ & kAddressMask) + i * (bits_ >> (kAddressBits + 1)));
  }

 private:
  static constexpr unsigned kAddressBits = 48;
  static constexpr std::uint64_t kAddressMask = (std::uint64_t{1} << kAddressBits) - 1;
  std::uint64_t bits_ = 0;
};

/// Identifies a scheduled event for cancellation (its insertion sequence number).
using EventId = std::uint64_t;

/// A pending event. `tag` packs the insertion sequence (high 40 bits), the handler's slot in the engine's
/// table (20 bits) and the handler's kind (low 4 bits): since sequences are unique, comparing tags compares
/// insertion order. 24 bytes, so a million pending events fit in 24 MB.
struct Event {
  static constexpr unsigned kSeqShift = 24;
  static constexpr unsigned kSlotBits = 20;
  static constexpr unsigned kKindBits = 4;
  static constexpr std::uint64_t kMaxSeq = (std::uint64_t{1} << (64 - kSeqShift)) - 1;
  static constexpr std::uint32_t kMaxSlots = std::uint32_t{1} << kSlotBits;
  static constexpr std::uint32_t kMaxKinds = std::uint32_t{1} << kKindBits;

  SimTime time;
  std::uint64_t tag;
  std::uint64_t data;

  static constexpr std::uint64_t tag_of(std::uint64_t seq, std::uint32_t slot = 0, std::uint32_t kind = 0) {
    return (seq << kSeqShift) | (std::uint64_t{slot} << kKindBits) | kind;
  }
  std::uint64_t seq() const { return tag >> kSeqShift; }
  std::uint32_t slot() const { return slot_of(tag); }
  /// The handler slot a tag names.
  static constexpr std::uint32_t slot_of(std::uint64_t tag) {
    return static_cast<std::uint32_t>(tag >> kKindBits) & (kMaxSlots - 1);
  }
  std::uint32_t kind() const { return static_cast<std::uint32_t>(tag) & (kMaxKinds - 1); }
};
static_assert(sizeof(Event) == 24);

/// Strict order of events: earlier time first, then first scheduled first (FIFO among ties).
inline bool event_before(const Event& a, const Event& b) {
  return a.time < b.time || (a.time == b.time && a.tag < b.tag);
}

}  // namespace infercost
