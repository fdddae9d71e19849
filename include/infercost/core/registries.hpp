#pragma once
// The set of registries a scenario is read with: one per model family.
#include "infercost/core/registry.hpp"
#include "infercost/policy/admission.hpp"
#include "infercost/policy/limiter.hpp"
#include "infercost/serving/replica.hpp"
#include "infercost/serving/router.hpp"
#include "infercost/workload/lengths.hpp"
#include "infercost/workload/traffic.hpp"

namespace infercost {

/// Every model family's registry.
struct Registries {
  Registry<ServingModelConfig> serving{"serving model"};
  Registry<RouterConfig> routers{"router"};
  Registry<ArrivalConfig> arrivals{"arrival process"};
  Registry<LengthDistribution> lengths{"length distribution"};
  Registry<PolicyConfig> policies{"policy"};
  Registry<LimiterConfig> limiters{"limiter"};
};

/// A fresh set of registries holding every built-in model.
Registries builtin_registries();

// Each concern registers its own models (one function per concern, called by builtin_registries()).
void register_serving_models(Registry<ServingModelConfig>& registry);
void register_routers(Registry<RouterConfig>& registry);
void register_arrival_processes(Registry<ArrivalConfig>& registry);
void register_policies(Registry<PolicyConfig>& registry);
void register_limiters(Registry<LimiterConfig>& registry);

}  // namespace infercost
