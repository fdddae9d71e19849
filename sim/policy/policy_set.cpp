// Composition of limiters into a policy set (policy_set.hpp; docs/models-policy.md, "Composition").
#include "infercost/policy/policy_set.hpp"

#include <fmt/format.h>

namespace infercost {

AdmissionDecision combine_decisions(std::span<const AdmissionDecision> decisions) {
  const AdmissionDecision* refusal = nullptr;
  for (const AdmissionDecision& d : decisions) {
    if (!d.admit && (refusal == nullptr || d.retry_after > refusal->retry_after)) refusal = &d;
  }
  return refusal ? *refusal : AdmissionDecision{};
}

PolicySet::PolicySet(std::vector<std::unique_ptr<Limiter>> limiters, std::vector<std::vector<Limiter*>> chains)
    : limiters_(std::move(limiters)), chains_(std::move(chains)) {}

AdmissionDecision PolicySet::decide(const Request& request, SimTime now) {
  const auto& chain = chains_[request.plan];
  if (chain.empty()) return {};
  // Check every limiter first (a refusal anywhere must leave every limiter untouched), then commit to all.
  scratch_.clear();
  bool admit = true;
  for (Limiter* l : chain) {
    scratch_.push_back(l->check(request, now));
    admit = admit && scratch_.back().admit;
  }
  if (!admit) return combine_decisions(scratch_);
  for (Limiter* l : chain) l->commit(request, now);
  return {};
}

void PolicySet::on_completed(const Request& request, SimTime now) {
  for (Limiter* l : chains_[request.plan]) l->on_completed(request, now);
}

void PolicySet::on_abandoned(const Request& request, SimTime now) {
  for (Limiter* l : chains_[request.plan]) l->on_abandoned(request, now);
}

PolicySetConfig::PolicySetConfig(std::string name, std::string description, LimiterList global,
                                 std::vector<LimiterList> plans, std::vector<std::string> plan_names,
                                 QueueOrderConfig queue)
    : name_(std::move(name)),
      description_(std::move(description)),
      global_(std::move(global)),
      plans_(std::move(plans)),
      plan_names_(std::move(plan_names)),
      queue_(std::move(queue)) {}

std::unique_ptr<AdmissionPolicy> PolicySetConfig::make_policy(const AdmissionContext& context) const {
  std::vector<std::unique_ptr<Limiter>> limiters;
  std::vector<Limiter*> global;
  for (const auto& c : global_) {
    limiters.push_back(c->make_limiter(context));
    global.push_back(limiters.back().get());
  }
  std::vector<std::vector<Limiter*>> chains(plans_.size(), global);
  for (std::size_t p = 0; p < plans_.size(); ++p) {
    for (const auto& c : plans_[p]) {
      limiters.push_back(c->make_limiter(context));
      chains[p].push_back(limiters.back().get());
    }
  }
  return std::make_unique<PolicySet>(std::move(limiters), std::move(chains));
}

std::string PolicySetConfig::describe() const {
  std::string s = name_;
  if (!description_.empty()) s += ": " + description_;
  for (const auto& l : global_) s += "\n  all plans: " + l->describe();
  for (std::size_t p = 0; p < plans_.size(); ++p) {
    for (const auto& l : plans_[p]) s += fmt::format("\n  plan {}: {}", plan_names_[p], l->describe());
  }
  if (queue_.order != QueueOrderConfig::Order::kFifo) s += fmt::format("\n  queue order: {}", to_string(queue_.order));
  return s;
}

}  // namespace infercost
