// Reads the scenario's `policies:` section (named policy sets: limiters per plan, global limiters, a queue
// order) and `policy:` (the active set's name, default the built-in `unlimited`).
// Keys: docs/scenario-reference-policy.md.
#include <fmt/format.h>

#include "infercost/core/scenario.hpp"
#include "infercost/policy/policy_set.hpp"

namespace infercost {
namespace {

std::uint32_t plan_index(const ConfigNode& at, const std::string& name, const Scenario& s) {
  std::string list;
  for (std::uint32_t p = 0; p < s.plans.size(); ++p) {
    if (s.plans[p].name == name) return p;
    list += (list.empty() ? "" : ", ") + s.plans[p].name;
  }
  at.fail(fmt::format("'{}' is not a plan (plans: {})", name, list));
}

PolicySetConfig::LimiterList read_limiters(const ConfigNode& list, const Registries& registries, const Scenario& s) {
  PolicySetConfig::LimiterList out;
  if (list.is_null()) return out;
  for (const auto& element : list.elements()) {
    std::unique_ptr<LimiterConfig> limiter = registries.limiters.create(element);
    limiter->resolve(element, s);
    out.push_back(std::move(limiter));
  }
  return out;
}

/// Reads a per-plan mapping {plan name: value} into a vector indexed by plan.
template <class Read>
void read_per_plan(const ConfigNode& node, const Scenario& s, Read read) {
  node.require_map();
  for (const auto& name : node.keys()) read(plan_index(node.child(name), name, s), node.child(name));
}

QueueOrderConfig read_queue_order(const ConfigNode& node, const Scenario& s) {
  node.require_map();
  QueueOrderConfig q;
  const std::string order = node.get_choice("order", {"fifo", "priority", "fair_share"}, "fifo");
  q.order = order == "priority"     ? QueueOrderConfig::Order::kPriority
            : order == "fair_share" ? QueueOrderConfig::Order::kFairShare
                                    : QueueOrderConfig::Order::kFifo;
  const auto only = [&](const char* key, const char* with) {
    if (node.has(key)) node.child(key).fail(fmt::format("only meaningful with order: {}", with));
  };
  if (q.order == QueueOrderConfig::Order::kPriority) {
    for (std::uint32_t p = 0; p < s.plans.size(); ++p) q.plan_rank.push_back(p);  // default: the plans list order
    if (auto ranks = node.optional_child("ranks")) {
      read_per_plan(*ranks, s, [&](std::uint32_t p, const ConfigNode& v) {
        const std::int64_t r = v.as_int();
        if (r < 0 || r > 1'000'000) v.fail("expected a rank in [0, 1000000]");
        q.plan_rank[p] = static_cast<std::uint32_t>(r);
      });
    }
    q.preempt_lower_plans = node.get_bool("preempt_lower_plans", false);
  } else {
    only("ranks", "priority");
    only("preempt_lower_plans", "priority");
  }
  if (q.order == QueueOrderConfig::Order::kFairShare) {
    q.plan_weight.assign(s.plans.size(), 1.0);
    if (auto weights = node.optional_child("weights")) {
      read_per_plan(*weights, s, [&](std::uint32_t p, const ConfigNode& v) {
        const double w = v.as_double();
        if (!(w > 0 && w < 1e9)) v.fail("expected a weight > 0");
        q.plan_weight[p] = w;
      });
    }
    q.input_weight = node.get_double("input_weight", 1.0, 0.0, 1e9);
    q.output_weight = node.get_double("output_weight", 2.0, 0.0, 1e9);
  } else {
    only("weights", "fair_share");
    only("input_weight", "fair_share");
    only("output_weight", "fair_share");
  }
  return q;
}

std::shared_ptr<const PolicyConfig> read_policy_set(const std::string& name, const ConfigNode& node,
                                                    const Registries& registries, const Scenario& s) {
  std::string description;
  PolicySetConfig::LimiterList global;
  std::vector<PolicySetConfig::LimiterList> plans(s.plans.size());
  std::vector<std::string> plan_names;
  for (const auto& p : s.plans) plan_names.push_back(p.name);
  QueueOrderConfig queue;
  if (!node.is_null()) {
    node.require_map();
    description = node.get_string("description", "");
    if (auto g = node.optional_child("global")) global = read_limiters(*g, registries, s);
    if (auto p = node.optional_child("plans")) {
      read_per_plan(*p, s, [&](std::uint32_t plan, const ConfigNode& list) {
        plans[plan] = read_limiters(list, registries, s);
      });
    }
    if (auto q = node.optional_child("queue")) queue = read_queue_order(*q, s);
  }
  return std::make_shared<PolicySetConfig>(name, description, std::move(global), std::move(plans),
                                           std::move(plan_names), std::move(queue));
}

}  // namespace

void read_policy_section(const ConfigNode& root, const Registries& registries, Scenario& s) {
  s.policy_sets.clear();
  s.policy_sets.push_back(NamedPolicyConfig{
      "unlimited", registries.policies.create(ConfigNode::load_string("type: unlimited", "<built-in policy>"))});
  if (auto policies = root.optional_child("policies")) {
    policies->require_map();
    for (const auto& name : policies->keys()) {
      const ConfigNode node = policies->child(name);
      if (name == "unlimited") node.fail("'unlimited' is a built-in policy set; choose another name");
      s.policy_sets.push_back(NamedPolicyConfig{name, read_policy_set(name, node, registries, s)});
    }
  }
  s.policy_name = "unlimited";
  if (auto active = root.optional_child("policy")) {
    if (!active->is_scalar()) active->fail("expected the name of a policy set of `policies:` (or unlimited)");
    s.policy_name = active->as_string();
  }
  std::string names;
  for (const auto& set : s.policy_sets) {
    if (set.name == s.policy_name) {
      s.policy = set.config;
      return;
    }
    names += (names.empty() ? "" : ", ") + set.name;
  }
  root.child("policy").fail(fmt::format("'{}' is not a policy set (sets: {})", s.policy_name, names));
}

}  // namespace infercost
