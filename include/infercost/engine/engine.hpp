#pragma once
// The discrete-event engine: an ordinary object (no globals), so several can run side by side.
#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "infercost/engine/event.hpp"
#include "infercost/engine/id_set.hpp"
#include "infercost/engine/radix_queue.hpp"
#include "infercost/engine/timer_tree.hpp"

namespace infercost {

/// Runs events in (time, insertion) order and keeps a fingerprint of every processed event.
class Engine {
 public:
  /// A radix heap, 64-way in the near future and 1024-way above: 4-9x the event rate of the binary and 4-ary
  /// heaps on the hold model, about 24 bytes per pending event (docs/performance.md). It needs monotone
  /// times, which schedule_at enforces.
  using Queue = RadixHeapQueue;

  /// Current simulated time in nanoseconds.
  SimTime now() const { return now_; }

  /// Schedules handler.on_event(kind, data) at absolute time t (>= now); kind < Event::kMaxKinds (16).
  /// Throws std::logic_error when t < now, and std::length_error beyond 2^20 handlers or 2^40 events.
  /// Inline: it is half of every event's cost.
  EventId schedule_at(SimTime t, EventHandler& handler, std::uint32_t kind = 0, std::uint64_t data = 0) {
    if (t < now_) [[unlikely]] throw_past(t);
    enrolled(handler);
    if (kind >= Event::kMaxKinds || next_seq_ > Event::kMaxSeq) [[unlikely]] throw_range(kind);
    const std::uint64_t seq = next_seq_++;
    queue_.push(Event{t, Event::tag_of(seq, handler.slot_, kind), data});
    if (t < queue_head_) queue_head_ = t;
    return seq;
  }
  /// A handler's prefetch hints; three share a 64-byte slot with the handler's address and its timer's data.
  struct PrefetchHints {
    std::array<PrefetchHint, 3> at;
  };
  /// The handler's prefetch hints (enrolling it if needed), for it to fill and update. While one event runs,
  /// the engine prefetches the next pending event's handler (its first three lines) and the addresses it hints,
  /// so that their cache misses overlap the current event's work instead of stalling the next one: on a fleet,
  /// memory latency, not instructions, dominates (docs/performance.md, "Eighth session"). Hints change no
  /// result; a stale one costs a wasted load.
  PrefetchHints& prefetch_hints(EventHandler& handler) {
    hinting_ = true;
    return enrolled(handler).hints;
  }
  /// Sets the handler's timer: its one pending timer event, handler.on_event(kind, data) at time t (>= now),
  /// replacing the one it had pending, if any. A replaced timer event is gone as if cancelled. Timer events run in
  /// the same (time, insertion) order as scheduled ones, among them; a handler's timer and its scheduled events are
  /// independent. Timers live in a winner tree by handler slot, outside the queue: a handler that keeps moving one
  /// deadline (a replica's step end, cut short by an arrival) costs neither a stale event nor a far-future filing.
  void set_timer(SimTime t, EventHandler& handler, std::uint32_t kind = 0, std::uint64_t data = 0) {
    if (t < now_) [[unlikely]] throw_past(t);
    enrolled(handler);
    if (kind >= Event::kMaxKinds || next_seq_ > Event::kMaxSeq) [[unlikely]] throw_range(kind);
    const std::uint64_t seq = next_seq_++;
    slots_[handler.slot_].timer_data = data;
    timers_.set(handler.slot_, t, Event::tag_of(seq, handler.slot_, kind));
  }
  /// Clears the handler's timer (nothing when none is pending).
  void clear_timer(const EventHandler& handler) {
    if (handler.slot_ < slots_.size() && slots_[handler.slot_].handler == &handler) timers_.clear(handler.slot_);
  }
  /// When the handler's timer is due (kTimeNever: none pending).
  SimTime timer_time(const EventHandler& handler) const {
    if (handler.slot_ >= slots_.size() || slots_[handler.slot_].handler != &handler) return kTimeNever;
    return timers_.at(handler.slot_).time;
  }
  /// Schedules after a delay (>= 0) from now.
  EventId schedule_in(SimTime delay, EventHandler& handler, std::uint32_t kind = 0, std::uint64_t data = 0) {
    return schedule_at(now_ + delay, handler, kind, data);
  }
  /// Cancels a pending event in O(1) (amortized): it is skipped when it reaches the head. Cancelling an event
  /// that already ran, or twice, is a no-op.
  void cancel(EventId id);

  /// Runs events with time <= end_time, then sets now to end_time (unless stopped earlier).
  /// Returns the number of events processed by this call.
  std::uint64_t run_until(SimTime end_time);
  /// Runs until no event is pending or stop() is called.
  std::uint64_t run();
  /// Makes the running loop return after the current event.
  void stop() { stopped_ = true; }
  bool stopped() const { return stopped_; }

  std::uint64_t events_processed() const { return processed_; }
  /// Pending events (timers included), cancelled ones not yet skipped included.
  std::size_t pending() const { return queue_.size() + timers_.size(); }
  /// A hash over (time, kind) of every processed event, in order, and over the random draws added to
  /// random_draw_sink(): equal runs have equal fingerprints.
  std::uint64_t fingerprint() const { return mix(fingerprint_ ^ draws_); }
  /// Mixes an extra value (a random draw, say) into the fingerprint.
  void mix_fingerprint(std::uint64_t value) { fingerprint_ = mix(fingerprint_ ^ value); }
  /// Where random streams add their draws (StreamFactory::set_draw_sink) so that the fingerprint covers
  /// them; the running sum is folded in at every event.
  std::uint64_t* random_draw_sink() { return &draws_; }
  void reserve(std::size_t n) { queue_.reserve(n); }
  /// Bytes the event queue and the timers hold now (for the benchmark's bytes-per-pending-event figure).
  std::size_t queue_memory_bytes() const { return queue_.memory_bytes() + timers_.memory_bytes(); }

 private:
  static std::uint64_t mix(std::uint64_t x) {
    x ^= x >> 31;
    x *= 0x7fb5d329728ea185ULL;
    x ^= x >> 27;
    x *= 0x81dadef4bc2dd44dULL;
    x ^= x >> 33;
    return x;
  }
  [[noreturn]] void throw_past(SimTime t) const;
  [[noreturn]] void throw_range(std::uint32_t kind) const;
  /// Gives the handler a slot in slots_ (the first time this engine schedules it).
  void enroll(EventHandler& handler);
  /// Runs events with time <= end_time until none is left or stop() is called.
  void drain(SimTime end_time);
  /// Whether the queue's head runs before the timer with key `timer` (the earliest): earlier, or at the same time
  /// and scheduled first. The head's tag is read only on a tie.
  bool queue_first(const TimerTree::Key& timer) const {
    return !queue_.empty() &&
           (queue_head_ < timer.time || (queue_head_ == timer.time && queue_.top().tag < timer.tag));
  }
  /// Whether a popped event was cancelled (and forgets the cancellation).
  bool take_cancelled(std::uint64_t seq) { return cancelled_.erase(seq); }
  /// Drops cancellations of events no longer pending, so cancelling events that already ran cannot grow
  /// memory without bound.
  void purge_cancelled();

  /// Every handler this engine has scheduled, its hints and its timer's data: one 64-byte line, so that the peek
  /// at the next event's handler and the timer's pop each read a single line (82 KB on a 1,280-replica fleet;
  /// the timers' data in an array of their own cost a second line per timer event, docs/performance.md,
  /// "Eighteenth session").
  struct alignas(64) Slot {
    EventHandler* handler = nullptr;
    PrefetchHints hints;
    std::uint64_t timer_data = 0;
  };
  std::vector<Slot> slots_;
  /// The handler's slot, enrolling it first if its slot_ is not this engine's (a new, copied or moved handler).
  Slot& enrolled(EventHandler& handler) {
    if (handler.slot_ >= slots_.size() || slots_[handler.slot_].handler != &handler) [[unlikely]] enroll(handler);
    return slots_[handler.slot_];
  }
  bool hinting_ = false;  ///< some handler asked for hints (the hold model's never do)
  IdSet cancelled_;  ///< sequence numbers of cancelled events still pending (or already run: purged)

  Queue queue_;
  SimTime queue_head_ = kTimeNever;  ///< the queue's earliest time (kTimeNever when empty), kept by push and pop
  TimerTree timers_;                     ///< each handler's timer, by slot
  SimTime now_ = 0;
  std::uint64_t next_seq_ = 0;
  std::uint64_t processed_ = 0;
  std::uint64_t fingerprint_ = 0x9e3779b97f4a7c15ULL;
  std::uint64_t draws_ = 0;
  bool stopped_ = false;
};

}  // namespace infercost
