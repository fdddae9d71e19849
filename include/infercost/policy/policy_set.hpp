#pragma once
// A policy set: the limiters of each plan plus global ones, and a queue order (docs/models-policy.md,
// "Composition"). For a request of plan p the chain is the global limiters, then plan p's, in file order.
// Every limiter of the chain is checked; the request is admitted only if all admit, and only then is it
// committed to each (no partial consumption). A refusal returns the refusing limiter's decision with the
// largest retry_after (the first such in chain order on ties): the earliest time every refusing limiter
// could admit, given that none of them changes meanwhile.
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "infercost/policy/admission.hpp"
#include "infercost/policy/limiter.hpp"
#include "infercost/policy/queue_order.hpp"

namespace infercost {

/// The decision of a chain from its limiters' decisions (in chain order): admit if all admit, else the
/// refusal with the largest retry_after (first on ties).
AdmissionDecision combine_decisions(std::span<const AdmissionDecision> decisions);

/// A run's composed admission policy.
class PolicySet final : public AdmissionPolicy {
 public:
  /// `limiters` owns every limiter; `chains[p]` lists those checked for plan p, in order.
  PolicySet(std::vector<std::unique_ptr<Limiter>> limiters, std::vector<std::vector<Limiter*>> chains);

  AdmissionDecision decide(const Request& request, SimTime now) override;
  void on_completed(const Request& request, SimTime now) override;
  void on_abandoned(const Request& request, SimTime now) override;

 private:
  std::vector<std::unique_ptr<Limiter>> limiters_;
  std::vector<std::vector<Limiter*>> chains_;
  std::vector<AdmissionDecision> scratch_;
};

/// A validated policy set of the `policies:` section.
class PolicySetConfig final : public PolicyConfig {
 public:
  using LimiterList = std::vector<std::shared_ptr<const LimiterConfig>>;
  /// `plans[p]` are the limiters of the plan named `plan_names[p]`.
  PolicySetConfig(std::string name, std::string description, LimiterList global, std::vector<LimiterList> plans,
                  std::vector<std::string> plan_names, QueueOrderConfig queue);

  std::unique_ptr<AdmissionPolicy> make_policy(const AdmissionContext& context) const override;
  std::string describe() const override;
  const QueueOrderConfig* queue_order() const override { return &queue_; }

  const std::string& name() const { return name_; }
  const LimiterList& global() const { return global_; }
  /// Limiters of plan p (global ones excluded).
  const LimiterList& plan(std::size_t p) const { return plans_[p]; }

 private:
  std::string name_;
  std::string description_;
  LimiterList global_;
  std::vector<LimiterList> plans_;
  std::vector<std::string> plan_names_;
  QueueOrderConfig queue_;
};

}  // namespace infercost
