// The registry of arrival processes: every family registers its own.
#include "infercost/workload/arrivals.hpp"

#include "infercost/core/registries.hpp"

namespace infercost {

void register_arrival_processes(Registry<ArrivalConfig>& registry) {
  register_open_loop_arrivals(registry);
  register_chain_arrivals(registry);
  register_trace_arrivals(registry);
}

}  // namespace infercost
