#include "infercost/engine/engine.hpp"

#include <stdexcept>
#include <string>

namespace infercost {

void Engine::throw_past(SimTime t) const {
  throw std::logic_error("Engine::schedule_at: time " + std::to_string(t) + " ns is before now " +
                         std::to_string(now_) + " ns");
}

void Engine::throw_range(std::uint32_t kind) const {
  if (kind >= Event::kMaxKinds) {
    throw std::logic_error("Engine::schedule_at: event kind " + std::to_string(kind) + " is not below " +
                           std::to_string(Event::kMaxKinds));
  }
  throw std::length_error("Engine::schedule_at: more than 2^40 events scheduled in one run");
}

void Engine::enroll(EventHandler& handler) {
  if (slots_.size() >= Event::kMaxSlots) {
    throw std::length_error("Engine: more than " + std::to_string(Event::kMaxSlots) +
                            " event handlers (replicas, sources, meters) in one simulation");
  }
  handler.slot_ = static_cast<std::uint32_t>(slots_.size());
  slots_.push_back(Slot{&handler, {}, 0});
}

void Engine::cancel(EventId id) {
  if (id >= next_seq_ || !cancelled_.insert(id)) return;
  if (cancelled_.size() > 2 * queue_.size() + 1024) purge_cancelled();
}

void Engine::purge_cancelled() {
  IdSet keep;
  queue_.for_each([&](const Event& e) {
    if (cancelled_.contains(e.seq())) keep.insert(e.seq());
  });
  cancelled_ = std::move(keep);
}

void Engine::drain(SimTime end_time) {
  stopped_ = false;
  Event e;
  while (!stopped_) {
    // The earlier of the queue's head and the earliest timer runs next; at equal times, the first scheduled.
    const TimerTree::Key timer = timers_.top();
    if (queue_first(timer)) {
      if (queue_head_ > end_time) break;
      queue_.pop_due(end_time, e);
      queue_head_ = queue_.empty() ? kTimeNever : queue_.top_time();
      if (!cancelled_.empty() && take_cancelled(e.seq())) continue;
    } else {
      if (timers_.empty() || timer.time > end_time) break;
      const std::uint32_t slot = Event::slot_of(timer.tag);
      e = Event{timer.time, timer.tag, slots_[slot].timer_data};
      timers_.clear_top(slot);
    }
    now_ = e.time;
    ++processed_;
    fingerprint_ = mix(fingerprint_ ^ static_cast<std::uint64_t>(e.time) ^ (std::uint64_t{e.kind()} << 56) ^ draws_);
    if (hinting_) {
      // Written out here: GCC drops a call to a function whose only effects are prefetches.
      const TimerTree::Key next_timer = timers_.top();
      const Slot* slot = nullptr;
      std::uint64_t data = 0;
      if (queue_first(next_timer)) {
        const Event& next = queue_.top();
        slot = &slots_[next.slot()];
        data = next.data;
      } else if (!timers_.empty()) {
        const std::uint32_t index = Event::slot_of(next_timer.tag);
        slot = &slots_[index];
        data = slot->timer_data;
      }
      if (slot != nullptr) {
        const char* handler = reinterpret_cast<const char*>(slot->handler);
        __builtin_prefetch(handler);
        __builtin_prefetch(handler + 64);
        __builtin_prefetch(handler + 128);
        for (const PrefetchHint& h : slot->hints.at) {
          if (!h.empty()) __builtin_prefetch(h.address(data));
        }
      }
    }
    slots_[e.slot()].handler->on_event(*this, e.kind(), e.data);
  }
}

std::uint64_t Engine::run_until(SimTime end_time) {
  const std::uint64_t before = processed_;
  drain(end_time);
  if (!stopped_ && end_time > now_) now_ = end_time;
  return processed_ - before;
}

std::uint64_t Engine::run() {
  const std::uint64_t before = processed_;
  drain(kTimeNever);
  return processed_ - before;
}

}  // namespace infercost
