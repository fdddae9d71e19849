// Reads the scenario's `policy:` section (default: unlimited).
#include "infercost/core/scenario.hpp"

namespace infercost {

void read_policy_section(const ConfigNode& root, const Registries& registries, Scenario& s) {
  if (auto policy = root.optional_child("policy")) {
    s.policy = registries.policies.create(*policy, "unlimited");
  } else {
    s.policy = registries.policies.create(ConfigNode::load_string("type: unlimited", "<default policy>"));
  }
}

}  // namespace infercost
