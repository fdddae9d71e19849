#pragma once
// Limiters: the building blocks of policy sets. A policy set checks every limiter that applies to a request,
// admits it only if all admit, and only then commits it to each (docs/models-policy.md, "Composition").
// A limiter keeps its state per account; `scope` says what an account is (a user, an organisation, a plan,
// or everyone).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "infercost/io/config.hpp"
#include "infercost/policy/admission.hpp"

namespace infercost {

struct Scenario;

/// What a counting limiter counts per request.
enum class Measure : std::uint8_t {
  kRequests,      ///< 1 per request
  kInputTokens,   ///< prompt tokens
  kOutputTokens,  ///< output tokens: estimated at admission, reconciled at completion
  kTotalTokens,   ///< input + output
};

/// Who shares a limiter's state.
enum class Scope : std::uint8_t { kUser, kOrganization, kPlan, kGlobal };

/// Maps a request's user to the account a limiter keeps state for. Organisations are formed within each user
/// class from consecutive users: class users [k*n, (k+1)*n) form organisation k of that class (the last one
/// may be smaller); users of different classes never share an organisation.
class AccountMap {
 public:
  AccountMap() = default;
  /// Builds the map for `scope` over the scenario's user classes (n = users_per_organization).
  AccountMap(Scope scope, std::uint32_t users_per_organization, const Scenario& scenario);

  std::uint32_t account(const Request& request) const {
    switch (scope_) {
      case Scope::kUser: return request.user;
      case Scope::kOrganization:
        return org_base_[request.user_class] + (request.user - first_user_[request.user_class]) / per_org_;
      case Scope::kPlan: return request.plan;
      case Scope::kGlobal: return 0;
    }
    return 0;
  }
  /// Number of accounts (state slots).
  std::uint32_t accounts() const { return accounts_; }
  Scope scope() const { return scope_; }
  std::uint32_t users_per_organization() const { return per_org_; }

 private:
  Scope scope_ = Scope::kGlobal;
  std::uint32_t per_org_ = 1;
  std::uint32_t accounts_ = 1;
  std::vector<std::uint32_t> first_user_;  ///< per class
  std::vector<std::uint32_t> org_base_;    ///< per class: index of its first organisation
};

/// How output tokens are charged before they are known: `max_tokens` when configured (the API convention),
/// else the request's actual output tokens (an oracle: no reconciliation needed).
struct OutputEstimate {
  std::uint32_t max_tokens = 0;  ///< 0: use the actual output tokens
  std::uint32_t at_admission(const Request& r) const { return max_tokens ? max_tokens : r.output_tokens; }
};

/// Amount of `measure` a request is charged at admission (estimated output) or at completion (actual output).
std::uint64_t charge_at_admission(Measure measure, const OutputEstimate& estimate, const Request& r);
std::uint64_t charge_actual(Measure measure, const Request& r);

/// One admission rule with per-account state.
class Limiter {
 public:
  virtual ~Limiter() = default;
  /// The verdict on `request` at `now`. Changes no state that affects later verdicts (lazy expiry aside).
  virtual AdmissionDecision check(const Request& request, SimTime now) = 0;
  /// Charges an admitted request; called only when every limiter of the set admitted it.
  virtual void commit(const Request& request, SimTime now) = 0;
  /// An admitted request completed: reconcile estimates, release held capacity.
  virtual void on_completed(const Request& /*request*/, SimTime /*now*/) {}
  /// An admitted request ended without completing: release held capacity (estimates stay charged).
  virtual void on_abandoned(const Request& /*request*/, SimTime /*now*/) {}
};

/// A validated limiter configuration (an element of a plan's limiter list); immutable, shared across runs.
class LimiterConfig {
 public:
  virtual ~LimiterConfig() = default;
  /// Reads what depends on the scenario (plan names, organisations) from the same node the factory read;
  /// called once, right after the factory, while the scenario is loading.
  virtual void resolve(const ConfigNode& /*node*/, const Scenario& /*scenario*/) {}
  virtual std::unique_ptr<Limiter> make_limiter(const AdmissionContext& context) const = 0;
  virtual std::string describe() const = 0;
};

/// Base of limiter configurations with per-account state: resolve() reads `scope` (user, organization, plan,
/// global; default user) and `users_per_organization`.
class KeyedLimiterConfig : public LimiterConfig {
 public:
  void resolve(const ConfigNode& node, const Scenario& scenario) override;
  const AccountMap& accounts() const { return accounts_; }
  /// " per user", " per organization of 10 users", ... for describe().
  std::string scope_text() const;

 protected:
  AccountMap accounts_;
};

/// Reads the keys shared by keyed limiters: `scope` (user, organization, plan, global) and
/// `users_per_organization`; builds the account map.
AccountMap read_account_map(const ConfigNode& node, const Scenario& scenario);
/// Reads `measure` (requests, input_tokens, output_tokens, total_tokens).
Measure read_measure(const ConfigNode& node, const std::string& fallback);
/// Reads `max_tokens` (the output estimate at admission; absent: actual output tokens).
OutputEstimate read_output_estimate(const ConfigNode& node);
const char* to_string(Measure measure);

}  // namespace infercost
