// Accounts, charges and the simple limiters: `unlimited`, `concurrency` (in-flight requests per account),
// `load_shedding` (reject the lowest plans first when the cluster is loaded) and `power_budget` (hold
// admissions while the facility is over its power budget). Semantics: docs/models-policy.md.
#include "infercost/policy/limiter.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "infercost/core/registries.hpp"
#include "infercost/core/scenario.hpp"
#include "infercost/policy/signals.hpp"
#include "infercost/policy/token_bucket.hpp"
#include "infercost/policy/usage_cap.hpp"
#include "infercost/policy/windows.hpp"
#include "infercost/serving/replica.hpp"

namespace infercost {

AccountMap::AccountMap(Scope scope, std::uint32_t users_per_organization, const Scenario& scenario)
    : scope_(scope), per_org_(std::max<std::uint32_t>(1, users_per_organization)) {
  switch (scope) {
    case Scope::kUser: accounts_ = std::max<std::uint32_t>(1, scenario.total_users()); break;
    case Scope::kPlan: accounts_ = static_cast<std::uint32_t>(std::max<std::size_t>(1, scenario.plans.size())); break;
    case Scope::kGlobal: accounts_ = 1; break;
    case Scope::kOrganization: {
      std::uint32_t first = 0, orgs = 0;
      for (const auto& c : scenario.classes) {
        first_user_.push_back(first);
        org_base_.push_back(orgs);
        first += c.users;
        orgs += (c.users + per_org_ - 1) / per_org_;
      }
      accounts_ = std::max<std::uint32_t>(1, orgs);
      break;
    }
  }
}

const char* to_string(Measure measure) {
  switch (measure) {
    case Measure::kRequests: return "requests";
    case Measure::kInputTokens: return "input_tokens";
    case Measure::kOutputTokens: return "output_tokens";
    case Measure::kTotalTokens: return "total_tokens";
  }
  return "?";
}

std::uint64_t charge_at_admission(Measure measure, const OutputEstimate& estimate, const Request& r) {
  switch (measure) {
    case Measure::kRequests: return 1;
    case Measure::kInputTokens: return r.input_tokens;
    case Measure::kOutputTokens: return estimate.at_admission(r);
    case Measure::kTotalTokens: return static_cast<std::uint64_t>(r.input_tokens) + estimate.at_admission(r);
  }
  return 0;
}

std::uint64_t charge_actual(Measure measure, const Request& r) {
  return charge_at_admission(measure, OutputEstimate{}, r);
}

AccountMap read_account_map(const ConfigNode& node, const Scenario& scenario) {
  const std::string scope = node.get_choice("scope", {"user", "organization", "plan", "global"}, "user");
  std::uint32_t per_org = 1;
  if (scope == "organization") {
    per_org = static_cast<std::uint32_t>(node.get_int("users_per_organization", std::nullopt, 1, 1'000'000'000));
  } else if (node.has("users_per_organization")) {
    node.child("users_per_organization").fail("only meaningful with scope: organization");
  }
  const Scope s = scope == "user" ? Scope::kUser
                  : scope == "organization" ? Scope::kOrganization
                  : scope == "plan" ? Scope::kPlan
                                    : Scope::kGlobal;
  return AccountMap(s, per_org, scenario);
}

Measure read_measure(const ConfigNode& node, const std::string& fallback) {
  const std::string m =
      node.get_choice("measure", {"requests", "input_tokens", "output_tokens", "total_tokens"}, fallback);
  if (m == "requests") return Measure::kRequests;
  if (m == "input_tokens") return Measure::kInputTokens;
  if (m == "output_tokens") return Measure::kOutputTokens;
  return Measure::kTotalTokens;
}

OutputEstimate read_output_estimate(const ConfigNode& node) {
  OutputEstimate e;
  e.max_tokens = static_cast<std::uint32_t>(node.get_int("max_tokens", 0, 0, 100'000'000));
  return e;
}

void KeyedLimiterConfig::resolve(const ConfigNode& node, const Scenario& scenario) {
  accounts_ = read_account_map(node, scenario);
}

std::string KeyedLimiterConfig::scope_text() const {
  switch (accounts_.scope()) {
    case Scope::kUser: return " per user";
    case Scope::kOrganization: return fmt::format(" per organization of {} users", accounts_.users_per_organization());
    case Scope::kPlan: return " per plan";
    case Scope::kGlobal: return " for everyone";
  }
  return "";
}

namespace {

// --- unlimited ---------------------------------------------------------------------------------------------

class UnlimitedLimiter final : public Limiter {
 public:
  AdmissionDecision check(const Request&, SimTime) override { return {}; }
  void commit(const Request&, SimTime) override {}
};

class UnlimitedLimiterConfig final : public LimiterConfig {
 public:
  std::unique_ptr<Limiter> make_limiter(const AdmissionContext&) const override {
    return std::make_unique<UnlimitedLimiter>();
  }
  std::string describe() const override { return "unlimited"; }
};

// --- concurrency -------------------------------------------------------------------------------------------

/// At most `limit` admitted requests in flight per account; a rejected request never counts.
class ConcurrencyLimiter final : public Limiter {
 public:
  ConcurrencyLimiter(const AccountMap& accounts, std::uint32_t limit, SimTime retry_after)
      : accounts_(accounts), limit_(limit), retry_after_(retry_after), in_flight_(accounts.accounts(), 0) {}

  AdmissionDecision check(const Request& r, SimTime) override {
    if (in_flight_[accounts_.account(r)] < limit_) return {};
    return AdmissionDecision{false, retry_after_, false, "concurrency"};
  }
  void commit(const Request& r, SimTime) override { ++in_flight_[accounts_.account(r)]; }
  void on_completed(const Request& r, SimTime) override { release(r); }
  void on_abandoned(const Request& r, SimTime) override { release(r); }

 private:
  void release(const Request& r) {
    auto& n = in_flight_[accounts_.account(r)];
    if (n > 0) --n;
  }
  AccountMap accounts_;
  std::uint32_t limit_;
  SimTime retry_after_;
  std::vector<std::uint32_t> in_flight_;
};

class ConcurrencyConfig final : public KeyedLimiterConfig {
 public:
  explicit ConcurrencyConfig(const ConfigNode& n)
      : limit_(static_cast<std::uint32_t>(n.get_int("limit", std::nullopt, 1, 1'000'000'000))),
        retry_after_(n.get_duration("retry_after", kSecond)) {}
  std::unique_ptr<Limiter> make_limiter(const AdmissionContext&) const override {
    return std::make_unique<ConcurrencyLimiter>(accounts_, limit_, retry_after_);
  }
  std::string describe() const override {
    return fmt::format("at most {} requests in flight{}", limit_, scope_text());
  }

 private:
  std::uint32_t limit_;
  SimTime retry_after_;
};

// --- load shedding -----------------------------------------------------------------------------------------

/// Sheds a request of plan p when the load signal is at or above threshold[p] (infinite: never).
class LoadShedder final : public Limiter {
 public:
  LoadShedder(bool ttft, const std::vector<double>& thresholds, SimTime retry_after, const AdmissionContext& ctx)
      : ttft_(ttft), thresholds_(thresholds), retry_after_(retry_after), ctx_(ctx) {}

  AdmissionDecision check(const Request& r, SimTime now) override {
    const double threshold = thresholds_[r.plan];
    if (std::isinf(threshold)) return {};
    if (signal(r, now) < threshold) return {};
    return AdmissionDecision{false, retry_after_, false, "load_shedding"};
  }
  void commit(const Request&, SimTime) override {}

 private:
  double signal(const Request& r, SimTime now) const {
    if (ttft_) return to_seconds(ctx_.ttft->predicted_ttft(r, now));
    if (ctx_.replicas.empty()) return 0.0;
    std::uint64_t outstanding = 0;
    for (const Replica* replica : ctx_.replicas) outstanding += replica->outstanding();
    return static_cast<double>(outstanding) / static_cast<double>(ctx_.replicas.size());
  }

  bool ttft_;
  std::vector<double> thresholds_;
  SimTime retry_after_;
  AdmissionContext ctx_;
};

class LoadSheddingConfig final : public LimiterConfig {
 public:
  explicit LoadSheddingConfig(const ConfigNode& n)
      : ttft_(n.get_choice("signal", {"outstanding_per_replica", "predicted_ttft"}, "outstanding_per_replica") ==
              "predicted_ttft"),
        retry_after_(n.get_duration("retry_after", kSecond)) {}

  void resolve(const ConfigNode& node, const Scenario& scenario) override {
    thresholds_.assign(scenario.plans.size(), std::numeric_limits<double>::infinity());
    const ConfigNode t = node.child("thresholds");
    t.require_map();
    for (const auto& name : t.keys()) {
      const ConfigNode v = t.child(name);
      std::size_t p = 0;
      while (p < scenario.plans.size() && scenario.plans[p].name != name) ++p;
      if (p == scenario.plans.size()) v.fail(fmt::format("'{}' is not a plan name", name));
      thresholds_[p] = ttft_ ? to_seconds(v.as_duration()) : v.as_double();
      if (!(thresholds_[p] >= 0)) v.fail("expected a threshold >= 0");
    }
    // Lowest plan first: along the plan list (the first plan is the lowest), thresholds may not decrease.
    for (std::size_t p = 1; p < thresholds_.size(); ++p) {
      if (thresholds_[p] < thresholds_[p - 1]) {
        t.fail(fmt::format("plan '{}' would be shed before the lower plan '{}': thresholds may not decrease along "
                           "the plans list (a plan without a threshold is never shed)",
                           scenario.plans[p].name, scenario.plans[p - 1].name));
      }
    }
  }

  std::unique_ptr<Limiter> make_limiter(const AdmissionContext& ctx) const override {
    if (ttft_ && ctx.ttft == nullptr) {
      throw ConfigError("load_shedding with signal: predicted_ttft needs a serving model that predicts time to "
                        "first token; this scenario's does not (use signal: outstanding_per_replica)");
    }
    return std::make_unique<LoadShedder>(ttft_, thresholds_, retry_after_, ctx);
  }
  std::string describe() const override {
    return fmt::format("load shedding on {}", ttft_ ? "predicted TTFT" : "outstanding requests per replica");
  }

 private:
  bool ttft_;
  SimTime retry_after_;
  std::vector<double> thresholds_;
};

// --- power budget ------------------------------------------------------------------------------------------

/// Holds admissions (rejects with a retry hint) while facility power >= fraction * budget.
class PowerBudgetLimiter final : public Limiter {
 public:
  PowerBudgetLimiter(const FacilityPowerSignal& power, double fraction, SimTime retry_after)
      : power_(power), fraction_(fraction), retry_after_(retry_after) {}
  AdmissionDecision check(const Request&, SimTime now) override {
    if (power_.facility_power_w(now) < fraction_ * power_.power_budget_w(now)) return {};
    return AdmissionDecision{false, retry_after_, false, "power_budget"};
  }
  void commit(const Request&, SimTime) override {}

 private:
  const FacilityPowerSignal& power_;
  double fraction_;
  SimTime retry_after_;
};

class PowerBudgetConfig final : public LimiterConfig {
 public:
  explicit PowerBudgetConfig(const ConfigNode& n)
      : fraction_(n.get_double("budget_fraction", 1.0, 1e-6, 10.0)), retry_after_(n.get_duration("retry_after", kSecond)) {}
  std::unique_ptr<Limiter> make_limiter(const AdmissionContext& ctx) const override {
    // A Simulation always has a facility meter; a policy built without one (a unit test) cannot use this limiter.
    if (ctx.power == nullptr) throw ConfigError("power_budget needs the facility power model");
    return std::make_unique<PowerBudgetLimiter>(*ctx.power, fraction_, retry_after_);
  }
  std::string describe() const override {
    return fmt::format("hold admissions while facility power >= {} x budget", fraction_);
  }

 private:
  double fraction_;
  SimTime retry_after_;
};

}  // namespace

void register_limiters(Registry<LimiterConfig>& registry) {
  registry.add("unlimited", "admits every request", [](const ConfigNode&) -> std::unique_ptr<LimiterConfig> {
    return std::make_unique<UnlimitedLimiterConfig>();
  });
  registry.add("concurrency", "at most `limit` admitted requests in flight per account",
               [](const ConfigNode& n) -> std::unique_ptr<LimiterConfig> {
                 return std::make_unique<ConcurrencyConfig>(n);
               });
  registry.add("load_shedding", "rejects the lowest plans first when the cluster's load passes per-plan thresholds",
               [](const ConfigNode& n) -> std::unique_ptr<LimiterConfig> {
                 return std::make_unique<LoadSheddingConfig>(n);
               });
  registry.add("power_budget", "holds admissions while facility power is over budget (needs the power model)",
               [](const ConfigNode& n) -> std::unique_ptr<LimiterConfig> {
                 return std::make_unique<PowerBudgetConfig>(n);
               });
  register_token_bucket_limiter(registry);
  register_window_limiters(registry);
  register_usage_cap_limiter(registry);
}

}  // namespace infercost
