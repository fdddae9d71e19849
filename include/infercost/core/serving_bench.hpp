#pragma once
// The serving benchmark (`infercost bench serving`): runs a scenario and reports how fast the simulator went, in
// events, simulated requests per wall second and peak memory (docs/models-serving.md, "Benchmark").
#include <cstdint>
#include <string>

#include "infercost/core/scenario.hpp"

namespace infercost {

/// Speed and size of one benchmark run.
struct ServingBenchResult {
  std::string scenario;
  double simulated_s = 0.0;            ///< simulated duration, s
  std::uint64_t requests_created = 0;  ///< requests the workload generated
  std::uint64_t requests_completed = 0;
  std::uint64_t events = 0;            ///< engine events processed
  double wall_s = 0.0;                 ///< wall-clock time of the run, s
  double events_per_s = 0.0;           ///< events per wall second
  double requests_per_wall_s = 0.0;    ///< completed requests per wall second
  double events_per_request = 0.0;     ///< events per created request
  double peak_rss_mib = 0.0;           ///< peak resident memory of the process so far (getrusage ru_maxrss), MiB
};

/// Runs `scenario` once with `seed` and measures it.
ServingBenchResult bench_serving(const Scenario& scenario, std::uint64_t seed);

/// Peak resident set size of this process so far, MiB.
double peak_rss_mib();

}  // namespace infercost
