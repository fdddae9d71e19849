// Reads the scenario's `plans:` and `workload:` sections: plans, and user classes with their arrivals and lengths.
#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "infercost/core/scenario.hpp"

namespace infercost {
namespace {

std::vector<PlanConfig> read_plans(const ConfigNode& root) {
  std::vector<PlanConfig> plans;
  auto node = root.optional_child("plans");
  if (!node) {
    plans.push_back(PlanConfig{"default", 0.0});
    return plans;
  }
  std::set<std::string> names;
  for (const auto& p : node->elements()) {
    p.require_map();
    PlanConfig plan;
    plan.name = p.get_string("name");
    if (!names.insert(plan.name).second) p.child("name").fail(fmt::format("duplicate plan name '{}'", plan.name));
    plan.price_usd_per_month = p.get_double("price_usd_per_month", 0.0, 0.0);
    plans.push_back(plan);
  }
  if (plans.empty()) node->fail("expected at least one plan");
  return plans;
}

std::uint32_t find_plan(const ConfigNode& node, const std::vector<PlanConfig>& plans) {
  const std::string name = node.as_string();
  std::string list;
  for (std::uint32_t i = 0; i < plans.size(); ++i) {
    if (plans[i].name == name) return i;
    list += (list.empty() ? "" : ", ") + plans[i].name;
  }
  node.fail(fmt::format("expected the name of a plan ({}), got '{}'", list, name));
}

}  // namespace

void read_workload_section(const ConfigNode& root, const Registries& registries, Scenario& s) {
  s.plans = read_plans(root);
  const ConfigNode workload = root.child("workload");
  workload.require_map();
  std::set<std::string> class_names;
  std::uint64_t users = 0;
  const auto classes = workload.child("classes").elements();
  if (classes.empty()) workload.child("classes").fail("expected at least one user class");
  for (const auto& c : classes) {
    c.require_map();
    UserClassConfig uc;
    uc.name = c.get_string("name", fmt::format("class{}", s.classes.size()));
    if (!class_names.insert(uc.name).second) c.fail(fmt::format("duplicate user class name '{}'", uc.name));
    uc.arrival = registries.arrivals.create(c.child("arrival"));
    const std::int64_t min_users = uc.arrival->min_users();
    const std::int64_t max_users = std::min<std::int64_t>(100'000'000, uc.arrival->max_users());
    uc.users = static_cast<std::uint32_t>(c.get_int("users", min_users, min_users, max_users));
    users += uc.users;
    uc.plan = c.has("plan") ? find_plan(c.child("plan"), s.plans) : 0;
    if (uc.arrival->provides_lengths()) {
      for (const char* key : {"input_tokens", "output_tokens"}) {
        if (c.has(key)) c.child(key).fail("this arrival process takes token counts from its trace; remove the key");
      }
    } else {
      uc.input_tokens = read_length(c.child("input_tokens"), registries.lengths);
      uc.output_tokens = read_length(c.child("output_tokens"), registries.lengths);
    }
    uc.client = read_client_config(c.optional_child("client"));
    s.classes.push_back(std::move(uc));
  }
  if (users > 1'000'000'000ULL) workload.fail("expected at most 1e9 users in all");
}

}  // namespace infercost
