#include "infercost/core/registries.hpp"

namespace infercost {

Registries builtin_registries() {
  Registries r;
  register_serving_models(r.serving);
  register_routers(r.routers);
  register_arrival_processes(r.arrivals);
  register_length_distributions(r.lengths);
  register_policies(r.policies);
  register_limiters(r.limiters);
  return r;
}

}  // namespace infercost
