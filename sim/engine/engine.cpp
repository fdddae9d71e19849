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
  slots_.push_back(Slot{&handler, {}});
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
  while (!stopped_ && queue_.pop_due(end_time, e)) {
    if (!cancelled_.empty() && take_cancelled(e.seq())) continue;
    const SimTime before = now_;
    const std::uint64_t fingerprint_before = fingerprint_;
    now_ = e.time;
    ++processed_;
    fingerprint_ = mix(fingerprint_ ^ static_cast<std::uint64_t>(e.time) ^ (std::uint64_t{e.kind()} << 56) ^ draws_);
    if (hinting_ && !queue_.empty()) {
      const Event& next = queue_.top();
      const Slot& slot = slots_[next.slot()];
      const char* handler = reinterpret_cast<const char*>(slot.handler);
      __builtin_prefetch(handler);
      __builtin_prefetch(handler + 64);
      __builtin_prefetch(handler + 128);
      for (const PrefetchHint& h : slot.hints.at) {
        if (!h.empty()) __builtin_prefetch(h.address(next.data));
      }
    }
    slots_[e.slot()].handler->on_event(*this, e.kind(), e.data);
    if (ignored_) [[unlikely]] {
      // As if cancelled: the handler did nothing with it.
      ignored_ = false;
      now_ = before;
      fingerprint_ = fingerprint_before;
      --processed_;
    }
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
