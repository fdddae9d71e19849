#include "infercost/engine/engine.hpp"

#include <stdexcept>
#include <string>

namespace infercost {

EventId Engine::schedule_at(SimTime t, EventHandler& handler, std::uint32_t kind, std::uint64_t data) {
  if (t < now_) {
    throw std::logic_error("Engine::schedule_at: time " + std::to_string(t) + " ns is before now " +
                           std::to_string(now_) + " ns");
  }
  const std::uint64_t seq = next_seq_++;
  queue_.push(Event{t, (seq << 8) | (kind & 0xffu), &handler, data});
  return seq;
}

void Engine::cancel(EventId id) {
  if (id < next_seq_) cancelled_.insert(id);
}

bool Engine::step(SimTime end_time) {
  while (!queue_.empty()) {
    const Event& head = queue_.top();
    if (head.time > end_time) return false;
    const Event e = queue_.pop();
    if (!cancelled_.empty() && cancelled_.erase(e.seq()) > 0) continue;
    now_ = e.time;
    ++processed_;
    fingerprint_ = mix(fingerprint_ ^ static_cast<std::uint64_t>(e.time) ^ (std::uint64_t{e.kind()} << 56));
    e.handler->on_event(*this, e.kind(), e.data);
    return true;
  }
  return false;
}

std::uint64_t Engine::run_until(SimTime end_time) {
  stopped_ = false;
  const std::uint64_t before = processed_;
  while (!stopped_ && step(end_time)) {
  }
  if (!stopped_ && end_time > now_) now_ = end_time;
  return processed_ - before;
}

std::uint64_t Engine::run() {
  stopped_ = false;
  const std::uint64_t before = processed_;
  while (!stopped_ && step(kTimeNever)) {
  }
  return processed_ - before;
}

}  // namespace infercost
