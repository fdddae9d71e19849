// Reads the scenario's `cluster:` section: replicas, serving model and router.
#include "infercost/core/scenario.hpp"

namespace infercost {

void read_cluster_section(const ConfigNode& root, const Registries& registries, Scenario& s) {
  const ConfigNode cluster = root.child("cluster");
  cluster.require_map();
  s.replicas = static_cast<std::uint32_t>(cluster.get_int("replicas", 1, 1, 1'000'000));
  s.serving = registries.serving.create(cluster.child("serving"));
  if (auto router = cluster.optional_child("router")) {
    s.router = registries.routers.create(*router, "round_robin");
  } else {
    s.router = registries.routers.create(ConfigNode::load_string("type: round_robin", "<default router>"));
  }
}

}  // namespace infercost
