#pragma once
// The site-aware router: sends each request to the cheapest (or cleanest) site that has room, spilling over
// to the next site when every replica there is busy (docs/models-power.md, "Several sites").
#include "infercost/core/registry.hpp"
#include "infercost/serving/router.hpp"

namespace infercost {

class PowerBudgetView;

/// A router that reads site power, prices and carbon intensity; the simulation attaches the meter to it.
class PowerAwareRouter {
 public:
  virtual ~PowerAwareRouter() = default;
  virtual void attach(const PowerBudgetView& power) = 0;
};

/// Registers `site_aware` (called from register_routers).
void register_site_routers(Registry<RouterConfig>& registry);

}  // namespace infercost
