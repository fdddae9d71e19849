// Window counters and their limiters `fixed_window` and `sliding_window` (windows.hpp,
// docs/models-policy.md, "Window counters").
#include "infercost/policy/windows.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "infercost/core/scenario.hpp"
#include "infercost/io/units.hpp"

namespace infercost {

FixedWindow::FixedWindow(std::uint64_t limit, SimTime period, SimTime offset)
    : limit_(limit), period_(period), offset_(offset) {}

std::uint64_t FixedWindow::used_at(const FixedWindowState& s, SimTime now) const {
  return s.window == window_of(now) ? s.used : 0;
}

SimTime FixedWindow::wait_for(const FixedWindowState& s, std::uint64_t amount, SimTime now) const {
  if (amount > limit_) return kTimeNever;
  if (used_at(s, now) + amount <= limit_) return 0;
  return window_start(window_of(now) + 1) - now;
}

void FixedWindow::add(FixedWindowState& s, std::uint64_t amount, SimTime now) const {
  const std::int64_t w = window_of(now);
  if (s.window != w) {
    s.window = w;
    s.used = 0;
  }
  s.used += amount;
}

void FixedWindow::reconcile(FixedWindowState& s, SimTime charged_at, std::int64_t delta, SimTime now) const {
  const std::int64_t w = window_of(now);
  if (s.window != w || window_of(charged_at) != w) return;
  const std::int64_t used = static_cast<std::int64_t>(s.used) + delta;
  s.used = used > 0 ? static_cast<std::uint64_t>(used) : 0;
}

SlidingLog::SlidingLog(std::uint64_t limit, SimTime period) : limit_(limit), period_(period) {}

void SlidingLog::expire(SlidingLogState& s, SimTime now) const {
  while (!s.entries.empty() && s.entries.front().at + period_ <= now) {
    s.sum -= s.entries.front().amount;
    s.entries.pop_front();
  }
}

SimTime SlidingLog::wait_for(SlidingLogState& s, std::uint64_t amount, SimTime now) const {
  if (amount > limit_) return kTimeNever;
  expire(s, now);
  if (s.sum + amount <= limit_) return 0;
  // Entries leave in admission order; the answer is when the first entry whose departure makes room leaves.
  std::uint64_t remaining = s.sum;
  for (const LogEntry& e : s.entries) {
    remaining -= e.amount;
    if (remaining + amount <= limit_) return e.at + period_ - now;
  }
  return kTimeNever;  // unreachable: with every entry gone, amount <= limit fits
}

void SlidingLog::add(SlidingLogState& s, std::uint64_t amount, std::uint64_t request, SimTime now) const {
  expire(s, now);
  s.entries.push_back(LogEntry{now, amount, request});
  s.sum += amount;
}

void SlidingLog::reconcile(SlidingLogState& s, SimTime charged_at, std::uint64_t request, std::int64_t delta,
                           SimTime now) const {
  expire(s, now);
  auto it = std::lower_bound(s.entries.begin(), s.entries.end(), charged_at,
                             [](const LogEntry& e, SimTime t) { return e.at < t; });
  for (; it != s.entries.end() && it->at == charged_at; ++it) {
    if (it->request != request) continue;
    const std::int64_t amount = static_cast<std::int64_t>(it->amount) + delta;
    const std::uint64_t updated = amount > 0 ? static_cast<std::uint64_t>(amount) : 0;
    s.sum = s.sum - it->amount + updated;
    it->amount = updated;
    return;
  }
}

namespace {

/// What both window limiters read.
struct WindowSpec {
  Measure measure;
  std::uint64_t limit;
  SimTime period;
  OutputEstimate estimate;

  explicit WindowSpec(const ConfigNode& n)
      : measure(read_measure(n, "requests")),
        limit(static_cast<std::uint64_t>(n.get_int("limit", std::nullopt, 1, 1'000'000'000'000'000))),
        period(n.get_duration("period", kMinute, kMillisecond, 366 * kDay)),
        estimate(read_output_estimate(n)) {}
  std::string text() const {
    return fmt::format("{} {} per {}", limit, to_string(measure), format_duration(period));
  }
  std::int64_t correction(const Request& r) const {
    return static_cast<std::int64_t>(charge_actual(measure, r)) -
           static_cast<std::int64_t>(charge_at_admission(measure, estimate, r));
  }
};

AdmissionDecision window_decision(SimTime wait) {
  if (wait == 0) return {};
  if (wait == kTimeNever) return AdmissionDecision{false, kTimeNever, true, "request_too_large"};
  return AdmissionDecision{false, wait, false, "rate_limit"};
}

class FixedWindowLimiter final : public Limiter {
 public:
  FixedWindowLimiter(const AccountMap& accounts, const WindowSpec& spec, SimTime offset)
      : accounts_(accounts), spec_(spec), window_(spec.limit, spec.period, offset), state_(accounts.accounts()) {}
  AdmissionDecision check(const Request& r, SimTime now) override {
    return window_decision(
        window_.wait_for(state_[accounts_.account(r)], charge_at_admission(spec_.measure, spec_.estimate, r), now));
  }
  void commit(const Request& r, SimTime now) override {
    window_.add(state_[accounts_.account(r)], charge_at_admission(spec_.measure, spec_.estimate, r), now);
  }
  void on_completed(const Request& r, SimTime now) override {
    // An admitted request's submitted_at is its admission time: it is not resubmitted after admission.
    if (const std::int64_t delta = spec_.correction(r)) {
      window_.reconcile(state_[accounts_.account(r)], r.submitted_at, delta, now);
    }
  }

 private:
  AccountMap accounts_;
  WindowSpec spec_;
  FixedWindow window_;
  std::vector<FixedWindowState> state_;
};

class SlidingWindowLimiter final : public Limiter {
 public:
  SlidingWindowLimiter(const AccountMap& accounts, const WindowSpec& spec)
      : accounts_(accounts), spec_(spec), log_(spec.limit, spec.period), state_(accounts.accounts()) {}
  AdmissionDecision check(const Request& r, SimTime now) override {
    return window_decision(
        log_.wait_for(state_[accounts_.account(r)], charge_at_admission(spec_.measure, spec_.estimate, r), now));
  }
  void commit(const Request& r, SimTime now) override {
    log_.add(state_[accounts_.account(r)], charge_at_admission(spec_.measure, spec_.estimate, r), r.id, now);
  }
  void on_completed(const Request& r, SimTime now) override {
    if (const std::int64_t delta = spec_.correction(r)) {
      log_.reconcile(state_[accounts_.account(r)], r.submitted_at, r.id, delta, now);
    }
  }

 private:
  AccountMap accounts_;
  WindowSpec spec_;
  SlidingLog log_;
  std::vector<SlidingLogState> state_;
};

class FixedWindowConfig final : public KeyedLimiterConfig {
 public:
  explicit FixedWindowConfig(const ConfigNode& n) : spec_(n), offset_(n.get_duration("offset", 0)) {
    if (offset_ >= spec_.period) n.child("offset").fail("expected an offset shorter than the period");
  }
  std::unique_ptr<Limiter> make_limiter(const AdmissionContext&) const override {
    return std::make_unique<FixedWindowLimiter>(accounts_, spec_, offset_);
  }
  std::string describe() const override { return "fixed window: " + spec_.text() + scope_text(); }

 private:
  WindowSpec spec_;
  SimTime offset_;
};

class SlidingWindowConfig final : public KeyedLimiterConfig {
 public:
  explicit SlidingWindowConfig(const ConfigNode& n) : spec_(n) {}
  std::unique_ptr<Limiter> make_limiter(const AdmissionContext&) const override {
    return std::make_unique<SlidingWindowLimiter>(accounts_, spec_);
  }
  std::string describe() const override { return "sliding window: " + spec_.text() + scope_text(); }

 private:
  WindowSpec spec_;
};

}  // namespace

void register_window_limiters(Registry<LimiterConfig>& registry) {
  registry.add("fixed_window", "at most `limit` requests or tokens per aligned window of `period`",
               [](const ConfigNode& n) -> std::unique_ptr<LimiterConfig> {
                 return std::make_unique<FixedWindowConfig>(n);
               });
  registry.add("sliding_window", "at most `limit` requests or tokens in any `period` (exact sliding log)",
               [](const ConfigNode& n) -> std::unique_ptr<LimiterConfig> {
                 return std::make_unique<SlidingWindowConfig>(n);
               });
}

}  // namespace infercost
