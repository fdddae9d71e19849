// Request conservation per user through the whole Simulation with a test-only refusing policy, for every
// arrival process and client setting; per-user memory with a million users.
#include <catch2/catch.hpp>

#include <malloc.h>

#include <cstdio>

#include "infercost/core/simulation.hpp"
#include "workload_support.hpp"

using namespace infercost;
using namespace infercost::workload_test;

namespace {

/// Refuses a pseudo-random share of submissions: transient refusals with hints, caps that reset, caps that never do.
class ChaosPolicy final : public AdmissionPolicy {
 public:
  AdmissionDecision decide(const Request& r, SimTime now) override {
    std::uint64_t state = r.id * 1315423911ULL + r.attempts;
    const std::uint64_t h = splitmix64(state) % 1000;
    if (h < 150) return {false, static_cast<SimTime>(h) * 40 * kMillisecond, false, "rate_limit"};
    if (h < 170) return {false, kHour - now % kHour, true, "usage_cap"};  // resets on the hour
    if (h < 175) return {false, kTimeNever, true, "usage_cap"};           // never resets
    return {};
  }
};

class ChaosPolicyConfig final : public PolicyConfig {
 public:
  std::unique_ptr<AdmissionPolicy> make_policy(const AdmissionContext&) const override {
    return std::make_unique<ChaosPolicy>();
  }
  std::string describe() const override { return "chaos (test)"; }
};

const char* kEveryProcess = R"(
duration: 8h
cluster: {replicas: 2, serving: {type: fixed, service_time: 3s, distribution: exponential, concurrency: 8}}
workload:
  classes:
    - {name: open, users: 40, arrival: {type: poisson, rate: 20/h}, input_tokens: 100, output_tokens: 100,
       client: {max_attempts: 3}}
    - {name: cycle, users: 40, arrival: {type: diurnal, rate: 20/h, utc_offset: 3h}, input_tokens: 100,
       output_tokens: 100, client: {max_attempts: 1}}
    - {name: chat, users: 30, arrival: {type: sessions, rate: 3/h, turns: 5, think_time: 20s}, input_tokens: 100,
       output_tokens: 100, client: {max_attempts: 4, on_cap: leave}}
    - {name: agents, users: 5, arrival: {type: closed_loop, loops: 3, think_time: 5s}, input_tokens: 100,
       output_tokens: 100, client: {max_attempts: 5, backoff_base: 500ms, on_cap: wait}}
    - {name: replay, users: 50, arrival: {type: trace, file: traces/AzureLLMInferenceTrace_code.csv, speedup: 4},
       client: {on_cap: leave}}
)";

}  // namespace

TEST_CASE("every request of every user ends exactly one way, with a refusing policy", "[workload][conservation]") {
  Scenario s = load_text(kEveryProcess);
  s.policy = std::make_shared<ChaosPolicyConfig>();
  Simulation sim(s, 31);
  const RunInfo info = sim.run();
  const Metrics& m = sim.metrics();
  const auto in_flight = sim.in_flight_per_user();
  std::uint64_t total_in_flight = 0;
  for (std::size_t u = 0; u < m.users.size(); ++u) {
    const UserCounters& c = m.users[u];
    INFO("user " << u);
    CHECK(c.submitted == c.completed + c.rejected + c.abandoned + in_flight[u]);
    total_in_flight += in_flight[u];
  }
  CHECK(total_in_flight == info.in_flight);
  CHECK(m.submitted == m.completed + m.rejected + m.abandoned + info.in_flight);
  // Every way of ending happened, so the identity above was really exercised.
  CHECK(m.completed > 10000);
  CHECK(m.rejected > 100);
  CHECK(m.abandoned > 100);
  CHECK(info.in_flight > 0);
  CHECK(m.throttled > m.rejected + m.abandoned);  // retries were refused too
  CHECK(m.users_left > 0);
  CHECK(m.users_left <= 30 + 50);  // only the classes with on_cap: leave (chat, replay) leave
}

TEST_CASE("a million users fit in well under 1 GiB", "[workload][memory]") {
  // Heap bytes in use (glibc mallinfo2: small blocks plus mmapped ones) one simulated day into a 200-day run (stopped there),
  // every user's first arrival pending, divided by the number of users: the per-user cost of metrics, class
  // index, streams, chains and pending events.
  const std::uint32_t users = 1'000'000;
  const std::vector<std::pair<std::string, std::string>> processes = {
      {"poisson", "{type: poisson, rate: 0.05/d}"},
      {"diurnal", "{type: diurnal, rate: 0.05/d, weekend_factor: 0.5}"},
      {"sessions", "{type: sessions, rate: 0.05/d, turns: 3, think_time: 30s}"},
      {"closed_loop k=2", "{type: closed_loop, loops: 2, think_time: 30d}"},
  };
  const auto heap_bytes = [] {
    const struct mallinfo2 mi = mallinfo2();
    return static_cast<double>(mi.uordblks + mi.hblkhd);
  };
  for (const auto& [name, arrival] : processes) {
    const Scenario s = load_text("duration: 200d\ncluster: {replicas: 1, serving: {type: fixed, service_time: 1s}}\n"
                                 "workload:\n  classes:\n    - {name: many, users: " + std::to_string(users) +
                                 ", arrival: " + arrival + ", input_tokens: 100, output_tokens: 100}\n");
    const double before = heap_bytes();
    double per_user = -1.0;
    std::size_t pending = 0;
    {
      Simulation sim(s, 1);
      struct Measured {};  // ends the run at the first progress report: the rest would only cost time
      try {
        sim.run([&](double) {
          per_user = (heap_bytes() - before) / users;
          pending = sim.engine().pending();
          throw Measured{};
        });
      } catch (const Measured&) {
      }
    }
    std::printf("workload memory: %-16s %6.1f bytes/user (%.0f MiB per million users), %zu events pending\n",
                name.c_str(), per_user, per_user * 1e6 / 1048576.0, pending);
    INFO(name << ": " << per_user << " bytes per user");
    CHECK(pending >= users * 99 / 100);
    CHECK(per_user > 40.0);  // at least the metrics' counters: the measurement sees the allocations
    CHECK(per_user < 300.0);
  }
}
