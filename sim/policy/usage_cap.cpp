// The `usage_cap` limiter: session and weekly budgets per account in the style of consumer subscriptions
// (usage_cap.hpp; docs/models-policy.md, "Usage caps", after Anthropic's description of Claude's 5-hour
// sessions and weekly limits).
#include "infercost/policy/usage_cap.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

#include <fmt/format.h>

#include "infercost/core/scenario.hpp"
#include "infercost/engine/random.hpp"
#include "infercost/io/units.hpp"
#include "infercost/policy/windows.hpp"

namespace infercost {

double PeakHours::multiplier_at(SimTime t) const {
  if (multiplier == 1.0 || start >= end) return 1.0;
  const std::int64_t day = floor_div(t, kDay);
  const SimTime time_of_day = t - day * kDay;
  if (weekdays_only && floor_div(day, 7) * 7 + 5 <= day) return 1.0;  // day 0 is a Monday
  return (time_of_day >= start && time_of_day < end) ? multiplier : 1.0;
}

double UsageMeter::usage(std::uint32_t input_tokens, std::uint32_t output_tokens) const {
  const double in = input_tokens, out = output_tokens;
  switch (unit) {
    case UsageUnit::kTokens: return in + out;
    case UsageUnit::kGpuSeconds: return gpu_s_per_request + gpu_s_per_input_token * in + gpu_s_per_output_token * out;
    case UsageUnit::kCostUsd: return usd_per_input_token * in + usd_per_output_token * out;
  }
  return 0.0;
}

double CapWindow::used_at(CapWindowState& s, SimTime now) const {
  switch (c_.reset) {
    case WindowReset::kFirstUse:
      if (s.opened != kTimeNever && now >= s.opened + c_.length) {
        s.opened = kTimeNever;
        s.used = 0.0;
      }
      return s.opened == kTimeNever ? 0.0 : s.used;
    case WindowReset::kFixed: {
      const std::int64_t index = floor_div(now - s.anchor, c_.length);
      if (index != s.index) {
        s.index = index;
        s.used = 0.0;
      }
      return s.used;
    }
    case WindowReset::kRolling:
      while (!s.log.empty() && s.log.front().at + c_.length <= now) {
        s.used -= s.log.front().amount;
        s.log.pop_front();
      }
      if (s.log.empty()) s.used = 0.0;  // no rounding residue once nothing counts
      return s.used;
  }
  return 0.0;
}

SimTime CapWindow::wait(CapWindowState& s, SimTime now) const {
  if (used_at(s, now) < c_.budget) return 0;
  switch (c_.reset) {
    case WindowReset::kFirstUse: return s.opened + c_.length - now;
    case WindowReset::kFixed: return s.anchor + (s.index + 1) * c_.length - now;
    case WindowReset::kRolling: {
      // Subtracts in the order expiry will, so the answer matches what used_at() computes at that time.
      double remaining = s.used;
      for (const UsageEntry& e : s.log) {
        remaining -= e.amount;
        if (remaining < c_.budget) return e.at + c_.length - now;
      }
      return s.log.empty() ? 0 : s.log.back().at + c_.length - now;
    }
  }
  return 0;
}

void CapWindow::charge(CapWindowState& s, double amount, std::uint64_t request, SimTime now) const {
  used_at(s, now);
  switch (c_.reset) {
    case WindowReset::kFirstUse:
      if (s.opened == kTimeNever) {
        s.opened = now;
        s.used = 0.0;
      }
      break;
    case WindowReset::kFixed: break;
    case WindowReset::kRolling: s.log.push_back(UsageEntry{now, amount, request}); break;
  }
  s.used += amount;
}

void CapWindow::reconcile(CapWindowState& s, SimTime charged_at, std::uint64_t request, double delta,
                          SimTime now) const {
  used_at(s, now);
  switch (c_.reset) {
    case WindowReset::kFirstUse:
      // Windows never overlap, so a charge made since the open window opened was made in it.
      if (s.opened == kTimeNever || charged_at < s.opened) return;
      s.used = std::max(0.0, s.used + delta);
      return;
    case WindowReset::kFixed:
      if (floor_div(charged_at - s.anchor, c_.length) != s.index) return;
      s.used = std::max(0.0, s.used + delta);
      return;
    case WindowReset::kRolling: {
      auto it = std::lower_bound(s.log.begin(), s.log.end(), charged_at,
                                 [](const UsageEntry& e, SimTime t) { return e.at < t; });
      for (; it != s.log.end() && it->at == charged_at; ++it) {
        if (it->request != request) continue;
        const double updated = std::max(0.0, it->amount + delta);
        s.used += updated - it->amount;
        it->amount = updated;
        return;
      }
      return;
    }
  }
}

namespace {

const char* to_string(WindowReset r) {
  switch (r) {
    case WindowReset::kFirstUse: return "first_use";
    case WindowReset::kRolling: return "rolling";
    case WindowReset::kFixed: return "fixed";
  }
  return "?";
}

const char* unit_text(UsageUnit u) {
  switch (u) {
    case UsageUnit::kTokens: return "tokens";
    case UsageUnit::kGpuSeconds: return "GPU-seconds";
    case UsageUnit::kCostUsd: return "USD";
  }
  return "?";
}

std::optional<CapWindowConfig> read_window(const ConfigNode& parent, const std::string& key, SimTime default_length,
                                           const std::string& default_reset) {
  auto node = parent.optional_child(key);
  if (!node) return std::nullopt;
  node->require_map();
  CapWindowConfig c;
  c.length = node->get_duration("length", default_length, kSecond, 366 * kDay);
  c.budget = node->get_double("budget", std::nullopt, 1e-12);
  const std::string reset = node->get_choice("reset", {"first_use", "rolling", "fixed"}, default_reset);
  c.reset = reset == "first_use" ? WindowReset::kFirstUse
            : reset == "rolling" ? WindowReset::kRolling
                                 : WindowReset::kFixed;
  if (c.reset == WindowReset::kFixed) {
    const std::string anchor = node->get_string("anchor", "random");
    if (anchor == "random") {
      c.random_anchor = true;
    } else {
      c.anchor = node->child("anchor").as_duration();
      if (c.anchor >= c.length) node->child("anchor").fail("expected `random` or a time shorter than the length");
    }
  } else if (node->has("anchor")) {
    node->child("anchor").fail("only meaningful with reset: fixed");
  }
  return c;
}

struct UsageCapSpec {
  UsageMeter meter;
  PeakHours peak;
  std::optional<CapWindowConfig> session;
  std::optional<CapWindowConfig> weekly;
};

class UsageCapLimiter final : public Limiter {
 public:
  UsageCapLimiter(const AccountMap& accounts, const UsageCapSpec& spec, const StreamFactory* streams)
      : accounts_(accounts), spec_(spec), streams_(streams) {
    if (spec.session) windows_.push_back(Window{CapWindow(*spec.session), "session_cap", {}});
    if (spec.weekly) windows_.push_back(Window{CapWindow(*spec.weekly), "weekly_cap", {}});
    for (auto& w : windows_) w.state.resize(accounts.accounts());
  }

  AdmissionDecision check(const Request& r, SimTime now) override {
    AdmissionDecision d;
    const std::uint32_t a = accounts_.account(r);
    for (auto& w : windows_) {
      const SimTime wait = w.window.wait(state(w, a), now);
      if (wait > 0 && (d.admit || wait > d.retry_after)) d = AdmissionDecision{false, wait, true, w.reason};
    }
    return d;
  }
  void commit(const Request& r, SimTime now) override {
    const double amount = spec_.peak.multiplier_at(now) * spec_.meter.at_admission(r);
    const std::uint32_t a = accounts_.account(r);
    for (auto& w : windows_) w.window.charge(state(w, a), amount, r.id, now);
  }
  void on_completed(const Request& r, SimTime now) override {
    const double delta =
        spec_.peak.multiplier_at(r.submitted_at) * (spec_.meter.actual(r) - spec_.meter.at_admission(r));
    if (delta == 0.0) return;
    const std::uint32_t a = accounts_.account(r);
    for (auto& w : windows_) w.window.reconcile(state(w, a), r.submitted_at, r.id, delta, now);
  }

 private:
  struct Window {
    CapWindow window;
    const char* reason;
    std::vector<CapWindowState> state;
  };

  CapWindowState& state(Window& w, std::uint32_t account) {
    CapWindowState& s = w.state[account];
    if (!s.anchored) {
      const CapWindowConfig& c = w.window.config();
      // An account's anchor depends only on the seed and the account, so every policy set sees the same one.
      s.anchor = c.random_anchor ? static_cast<SimTime>(streams_->stream("policy.cap_anchor", account)
                                                            .uniform_int(static_cast<std::uint64_t>(c.length)))
                                 : c.anchor;
      s.anchored = true;
    }
    return s;
  }

  AccountMap accounts_;
  UsageCapSpec spec_;
  const StreamFactory* streams_;
  std::vector<Window> windows_;
};

class UsageCapConfig final : public KeyedLimiterConfig {
 public:
  explicit UsageCapConfig(const ConfigNode& n) {
    const std::string unit = n.get_choice("unit", {"tokens", "gpu_seconds", "cost_usd"}, "tokens");
    UsageMeter& m = spec_.meter;
    m.output = read_output_estimate(n);
    if (unit == "tokens") {
      m.unit = UsageUnit::kTokens;
    } else if (unit == "gpu_seconds") {
      m.unit = UsageUnit::kGpuSeconds;
      const ConfigNode g = n.child("gpu_seconds");
      g.require_map();
      m.gpu_s_per_request = g.get_quantity("per_request", UnitKind::kDuration, 0.0, 0.0);
      m.gpu_s_per_input_token = g.get_quantity("per_input_token", UnitKind::kDuration, 0.0, 0.0);
      m.gpu_s_per_output_token = g.get_quantity("per_output_token", UnitKind::kDuration, 0.0, 0.0);
    } else {
      m.unit = UsageUnit::kCostUsd;
      const ConfigNode c = n.child("cost");
      c.require_map();
      m.usd_per_input_token = c.get_double("usd_per_million_input_tokens", std::nullopt, 0.0) * 1e-6;
      m.usd_per_output_token = c.get_double("usd_per_million_output_tokens", std::nullopt, 0.0) * 1e-6;
    }
    if (unit != "gpu_seconds" && n.has("gpu_seconds")) n.child("gpu_seconds").fail("only meaningful with unit: gpu_seconds");
    if (unit != "cost_usd" && n.has("cost")) n.child("cost").fail("only meaningful with unit: cost_usd");
    spec_.session = read_window(n, "session", 5 * kHour, "first_use");
    spec_.weekly = read_window(n, "weekly", kWeek, "fixed");
    if (!spec_.session && !spec_.weekly) n.fail("expected a `session` or a `weekly` budget (or both)");
    if (auto p = n.optional_child("peak")) {
      p->require_map();
      spec_.peak.start = p->get_duration("start", std::nullopt, 0, kDay);
      spec_.peak.end = p->get_duration("end", std::nullopt, 0, kDay);
      if (spec_.peak.end <= spec_.peak.start) p->child("end").fail("expected an end after the start, within the day");
      spec_.peak.multiplier = p->get_double("multiplier", std::nullopt, 0.0, 1e6);
      spec_.peak.weekdays_only = p->get_bool("weekdays_only", false);
    }
  }

  std::unique_ptr<Limiter> make_limiter(const AdmissionContext& ctx) const override {
    const bool random = (spec_.session && spec_.session->random_anchor && spec_.session->reset == WindowReset::kFixed) ||
                        (spec_.weekly && spec_.weekly->random_anchor && spec_.weekly->reset == WindowReset::kFixed);
    if (random && ctx.streams == nullptr) throw std::logic_error("usage_cap: random anchors need the run's streams");
    return std::make_unique<UsageCapLimiter>(accounts_, spec_, ctx.streams);
  }
  std::string describe() const override {
    std::string s = "usage cap";
    auto window = [&](const char* name, const std::optional<CapWindowConfig>& w) {
      if (w) s += fmt::format(" {} {} {} per {} ({})", name, w->budget, unit_text(spec_.meter.unit),
                              format_duration(w->length), to_string(w->reset));
    };
    window("session", spec_.session);
    window("weekly", spec_.weekly);
    return s + scope_text();
  }

 private:
  UsageCapSpec spec_;
};

}  // namespace

void register_usage_cap_limiter(Registry<LimiterConfig>& registry) {
  registry.add("usage_cap", "session and weekly usage budgets (tokens, GPU-seconds or cost), subscription style",
               [](const ConfigNode& n) -> std::unique_ptr<LimiterConfig> {
                 return std::make_unique<UsageCapConfig>(n);
               });
}

}  // namespace infercost
