#pragma once
// The built-in arrival processes, registered by family (register_arrival_processes calls all of them).
#include "infercost/core/registry.hpp"
#include "infercost/workload/traffic.hpp"

namespace infercost {

/// `poisson` and `diurnal`: open-loop (non-homogeneous) Poisson requests per user (sim/workload/poisson.cpp).
void register_open_loop_arrivals(Registry<ArrivalConfig>& registry);
/// `sessions` and `closed_loop`: multi-turn conversations and agents' loops (sim/workload/chains.cpp).
void register_chain_arrivals(Registry<ArrivalConfig>& registry);
/// `trace`: replay of a CSV request trace (sim/workload/trace_replay.cpp).
void register_trace_arrivals(Registry<ArrivalConfig>& registry);

}  // namespace infercost
