#pragma once
// Window counters (docs/models-policy.md, "Window counters"): a fixed window counts what was admitted in the
// current aligned window [offset + kP, offset + (k+1)P); a sliding window counts exactly what was admitted in
// the last P (a sliding log: every admission is kept until it leaves the window; no two-window approximation).
#include <cstdint>
#include <vector>

#include "infercost/core/registry.hpp"
#include "infercost/engine/time.hpp"
#include "infercost/policy/limiter.hpp"

namespace infercost {

/// floor(a / b) for b > 0 (C++ division truncates toward zero).
inline std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

/// A first-in first-out log that allocates nothing while empty (a std::deque allocates on construction, too
/// much for one per account); popped entries are reclaimed when they outnumber the live ones.
template <class T>
class FifoLog {
 public:
  using iterator = typename std::vector<T>::iterator;
  using const_iterator = typename std::vector<T>::const_iterator;
  bool empty() const { return head_ == items_.size(); }
  std::size_t size() const { return items_.size() - head_; }
  T& front() { return items_[head_]; }
  const T& front() const { return items_[head_]; }
  T& back() { return items_.back(); }
  const T& back() const { return items_.back(); }
  void push_back(const T& item) { items_.push_back(item); }
  void pop_front() {
    if (++head_ == items_.size()) {
      items_.clear();
      head_ = 0;
    } else if (head_ > 32 && head_ * 2 > items_.size()) {
      items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }
  iterator begin() { return items_.begin() + static_cast<std::ptrdiff_t>(head_); }
  iterator end() { return items_.end(); }
  const_iterator begin() const { return items_.begin() + static_cast<std::ptrdiff_t>(head_); }
  const_iterator end() const { return items_.end(); }

 private:
  std::vector<T> items_;
  std::size_t head_ = 0;
};

/// One account's fixed-window count.
struct FixedWindowState {
  std::int64_t window = INT64_MIN;  ///< index of the window `used` belongs to
  std::uint64_t used = 0;
};

/// A counter of at most `limit` per aligned window of length `period`, windows starting at offset + k*period.
class FixedWindow {
 public:
  FixedWindow(std::uint64_t limit, SimTime period, SimTime offset);
  std::uint64_t limit() const { return limit_; }
  /// Index of the window holding `t`.
  std::int64_t window_of(SimTime t) const { return floor_div(t - offset_, period_); }
  /// Start of window k.
  SimTime window_start(std::int64_t k) const { return offset_ + k * period_; }
  /// Amount counted in the window holding `now`.
  std::uint64_t used_at(const FixedWindowState& s, SimTime now) const;
  /// 0 if `amount` fits now; else the exact wait until the next window start; kTimeNever if amount > limit.
  SimTime wait_for(const FixedWindowState& s, std::uint64_t amount, SimTime now) const;
  void add(FixedWindowState& s, std::uint64_t amount, SimTime now) const;
  /// Corrects an amount charged at `charged_at` by `delta`, if that window is still the current one at `now`
  /// (a past window no longer matters); the count never goes below zero.
  void reconcile(FixedWindowState& s, SimTime charged_at, std::int64_t delta, SimTime now) const;

 private:
  std::uint64_t limit_;
  SimTime period_;
  SimTime offset_;
};

/// One admission in a sliding log.
struct LogEntry {
  SimTime at = 0;            ///< admission time; counts while now < at + period
  std::uint64_t amount = 0;
  std::uint64_t request = 0; ///< request id, to reconcile
};

/// One account's sliding log.
struct SlidingLogState {
  FifoLog<LogEntry> entries;     ///< in admission order
  std::uint64_t sum = 0;         ///< sum of entries' amounts
};

/// A counter of at most `limit` over any window (now - period, now]: an entry admitted at t counts for
/// now in [t, t + period).
class SlidingLog {
 public:
  SlidingLog(std::uint64_t limit, SimTime period);
  std::uint64_t limit() const { return limit_; }
  SimTime period() const { return period_; }
  /// Drops entries that left the window at `now`.
  void expire(SlidingLogState& s, SimTime now) const;
  /// 0 if `amount` fits at `now`; else the exact wait until enough entries leave; kTimeNever if amount > limit.
  SimTime wait_for(SlidingLogState& s, std::uint64_t amount, SimTime now) const;
  void add(SlidingLogState& s, std::uint64_t amount, std::uint64_t request, SimTime now) const;
  /// Corrects the entry of `request` admitted at `charged_at` by `delta`, if it is still in the window.
  void reconcile(SlidingLogState& s, SimTime charged_at, std::uint64_t request, std::int64_t delta,
                 SimTime now) const;

 private:
  std::uint64_t limit_;
  SimTime period_;
};

/// Registers the limiter type(s) of this file.
void register_window_limiters(Registry<LimiterConfig>& registry);

}  // namespace infercost
