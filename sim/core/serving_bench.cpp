#include "infercost/core/serving_bench.hpp"

#include <sys/resource.h>

#include "infercost/core/simulation.hpp"

namespace infercost {

double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux reports kilobytes
}

ServingBenchResult bench_serving(const Scenario& scenario, std::uint64_t seed) {
  Simulation sim(scenario, seed);
  const RunInfo info = sim.run();
  ServingBenchResult r;
  r.scenario = scenario.name;
  r.simulated_s = to_seconds(info.end_time);
  r.requests_created = sim.metrics().submitted;
  r.requests_completed = sim.metrics().completed;
  r.events = info.events;
  r.wall_s = info.wall_s;
  r.events_per_s = info.wall_s > 0 ? static_cast<double>(info.events) / info.wall_s : 0.0;
  r.requests_per_wall_s = info.wall_s > 0 ? static_cast<double>(r.requests_completed) / info.wall_s : 0.0;
  r.events_per_request = r.requests_created ? static_cast<double>(info.events) / static_cast<double>(r.requests_created)
                                            : 0.0;
  r.peak_rss_mib = peak_rss_mib();
  return r;
}

}  // namespace infercost
