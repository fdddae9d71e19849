#pragma once
// Usage caps in the style of consumer subscriptions (docs/models-policy.md, "Usage caps"): budgets of usage
// per window, a short "session" window that opens with the first admitted request (e.g. 5 h) and a weekly
// window that resets at a fixed time per account, rolls over the last 7 days, or opens at first use. Usage is
// counted in tokens, estimated GPU-seconds or cost, optionally multiplied during daily peak hours. A request
// is admitted while every window's usage is below its budget (the request that crosses it is served in full).
// Simulated time 0 is Monday 00:00 in the provider's clock (for peak hours and weekly anchors).
#include <cstdint>

#include "infercost/core/request.hpp"
#include "infercost/core/registry.hpp"
#include "infercost/engine/time.hpp"
#include "infercost/policy/limiter.hpp"
#include "infercost/policy/windows.hpp"

namespace infercost {

/// Daily peak hours [start, end) (time of day), optionally Monday to Friday only; usage admitted then
/// counts `multiplier` times.
struct PeakHours {
  SimTime start = 0;         ///< time of day, ns
  SimTime end = 0;           ///< time of day, ns (start < end <= 24 h)
  double multiplier = 1.0;
  bool weekdays_only = false;

  /// The multiplier for usage admitted at `t` (1 outside peak hours).
  double multiplier_at(SimTime t) const;
};

/// What a usage budget counts.
enum class UsageUnit : std::uint8_t { kTokens, kGpuSeconds, kCostUsd };

/// The usage of one request in the cap's unit (before the peak multiplier).
struct UsageMeter {
  UsageUnit unit = UsageUnit::kTokens;
  OutputEstimate output;                 ///< output tokens charged at admission
  double gpu_s_per_request = 0.0;        ///< gpu_seconds: fixed part, s
  double gpu_s_per_input_token = 0.0;    ///< gpu_seconds: per prompt token, s
  double gpu_s_per_output_token = 0.0;   ///< gpu_seconds: per output token, s
  double usd_per_input_token = 0.0;      ///< cost_usd
  double usd_per_output_token = 0.0;     ///< cost_usd

  double usage(std::uint32_t input_tokens, std::uint32_t output_tokens) const;
  double at_admission(const Request& r) const { return usage(r.input_tokens, output.at_admission(r)); }
  double actual(const Request& r) const { return usage(r.input_tokens, r.output_tokens); }
};

/// How a budget window resets.
enum class WindowReset : std::uint8_t {
  kFirstUse,  ///< opens with the first admitted request when none is open, lasts `length`
  kRolling,   ///< counts usage admitted in the last `length` (a sliding log)
  kFixed,     ///< resets at anchor + k * length (per-account anchor: fixed or random)
};

/// One budget window's configuration.
struct CapWindowConfig {
  SimTime length = 5 * kHour;
  double budget = 0.0;
  WindowReset reset = WindowReset::kFirstUse;
  bool random_anchor = false;  ///< kFixed: draw each account's anchor uniformly in [0, length)
  SimTime anchor = 0;          ///< kFixed: the anchor when not random, in [0, length)
};

/// One admission charged to a rolling window.
struct UsageEntry {
  SimTime at = 0;
  double amount = 0.0;
  std::uint64_t request = 0;
};

/// One account's state of one budget window.
struct CapWindowState {
  double used = 0.0;
  SimTime opened = kTimeNever;         ///< kFirstUse: start of the open window (kTimeNever: none yet)
  std::int64_t index = INT64_MIN;      ///< kFixed: the window `used` belongs to
  SimTime anchor = 0;                  ///< kFixed: this account's anchor
  bool anchored = false;               ///< kFixed: anchor drawn
  FifoLog<UsageEntry> log;             ///< kRolling
};

/// The exact window arithmetic on a CapWindowState (the anchor must be set before use in kFixed).
class CapWindow {
 public:
  explicit CapWindow(const CapWindowConfig& config) : c_(config) {}
  const CapWindowConfig& config() const { return c_; }

  /// Usage counted at `now` (after closing, resetting or expiring what `now` ends).
  double used_at(CapWindowState& s, SimTime now) const;
  /// 0 while usage at `now` is below the budget; else the exact wait until the window resets (first use,
  /// fixed) or until enough usage leaves it (rolling) for usage to be below the budget.
  SimTime wait(CapWindowState& s, SimTime now) const;
  /// Charges `amount` admitted at `now` (opens a first-use window if none is open).
  void charge(CapWindowState& s, double amount, std::uint64_t request, SimTime now) const;
  /// Corrects what was charged at `charged_at` by `delta`, if it still counts at `now`.
  void reconcile(CapWindowState& s, SimTime charged_at, std::uint64_t request, double delta, SimTime now) const;

 private:
  CapWindowConfig c_;
};

/// Registers the limiter type(s) of this file.
void register_usage_cap_limiter(Registry<LimiterConfig>& registry);

}  // namespace infercost
