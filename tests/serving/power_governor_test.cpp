// The continuous-batching replica under a power cap and with GPUs that switch off when idle
// (docs/models-power.md, "Power capping" and "Integration contract").
#include <catch2/catch.hpp>

#include <cmath>

#include "infercost/core/simulation.hpp"
#include "infercost/power/facility.hpp"
#include "replica_harness.hpp"

using namespace infercost;
using infercost::testing::ReplicaHarness;

namespace {

std::string one_gpu(const std::string& power) {
  return "name: governor\nseed: 3\nduration: 1h\ncluster:\n  replicas: 1\n  serving:\n    type: continuous_batching\n"
         "    gpu: H100-SXM5-80GB\n    model: Llama-3.1-8B\nworkload:\n  classes:\n    - name: c\n      users: 1\n"
         "      arrival: {type: poisson, rate: 0.02/s}\n      input_tokens: {type: constant, value: 6000}\n"
         "      output_tokens: {type: constant, value: 1}\n" + power;
}

/// Slowdown under a cap by the documented curve, solved independently of the library: T(r) = c/r + 1 - c,
/// P(r) = idle + D (c r^(g-1) + 1 - c) / T(r), P(r) = cap by bisection (r above the minimum clock ratio).
double documented_slowdown(double cap_w, double idle_w, double uncapped_w, double c, double g) {
  const double d = uncapped_w - idle_w;
  const auto power = [&](double r) { return idle_w + d * (c * std::pow(r, g - 1) + 1 - c) / (c / r + 1 - c); };
  double lo = 0.3, hi = 1.0;
  REQUIRE(power(lo) < cap_w);
  for (int i = 0; i < 200; ++i) {
    const double mid = (lo + hi) / 2;
    (power(mid) > cap_w ? hi : lo) = mid;
  }
  return c / lo + 1 - c;
}

struct Served {
  SimTime ttft = 0;
  double max_gpu_w = 0;
  ReplicaActivity prefill;
};

/// One 6000-token prompt on an idle replica, with the scenario's power section governing it.
Served serve_one(const std::string& power) {
  ReplicaHarness h(one_gpu(power));
  FacilityMeter meter(*h.scenario().power, h.engine, 1);
  h.forward = &meter;
  Served out;
  h.after_activity = [&] { out.max_gpu_w = std::max(out.max_gpu_w, meter.gpu_power_w(0)); };
  h.build(&meter);
  Request& r = h.make(0, 0, 6000, 1);
  h.submit_at(r, 0);
  h.engine.run_until(kHour);
  REQUIRE(h.completed == 1);
  out.ttft = r.first_token_at - r.submitted_at;
  for (const auto& [t, a] : h.activity_log) {
    if (a.phase == GpuPhase::kPrefill) out.prefill = a;
  }
  return out;
}

}  // namespace

TEST_CASE("a power cap holds GPU power at the cap and lengthens a prefill by the documented factor",
          "[serving][power][cb]") {
  const Served free = serve_one("");
  const Served capped = serve_one("power: {cap: 490W}\n");
  REQUIRE(free.prefill.phase == GpuPhase::kPrefill);
  CHECK(free.max_gpu_w == Approx(700.0));
  CHECK(capped.max_gpu_w == Approx(490.0).epsilon(1e-9));
  const Scenario s = load_scenario_text(one_gpu(""), "governor.yaml", {}, builtin_registries());
  const double c = free.prefill.compute_fraction / (free.prefill.compute_fraction + free.prefill.memory_bw_fraction);
  const double expected = documented_slowdown(490.0, s.power->gpu.idle_w, 700.0, c, 1.5);
  INFO("compute share " << c << ", expected slowdown " << expected);
  CHECK(expected > 1.25);
  CHECK(to_seconds(capped.ttft) / to_seconds(free.ttft) == Approx(expected).epsilon(1e-6));
}

TEST_CASE("a request on a replica whose GPUs are off waits for them to wake", "[serving][power][cb]") {
  ReplicaHarness h(one_gpu("power:\n  gpu: {off_after: 10s, wake_time: 3s, wake_energy: 100J}\n"));
  FacilityMeter meter(*h.scenario().power, h.engine, 1);
  h.forward = &meter;
  h.build(&meter);
  Request& a = h.make(0, 0, 6000, 1);
  Request& b = h.make(0, 0, 6000, 1);
  h.submit_at(a, 0);
  h.submit_at(b, 100 * kSecond);
  h.engine.run_until(kHour);
  REQUIRE(h.completed == 2);
  CHECK(b.first_token_at - b.submitted_at == (a.first_token_at - a.submitted_at) + 3 * kSecond);
  CHECK(meter.finish(kHour).gpu_wakes == 1);
}

TEST_CASE("a capped run through the simulation never draws more than the cap per GPU", "[serving][power][cb]") {
  struct PeakWatch final : ActivityObserver {
    const FacilityMeter* meter = nullptr;
    double max_w = 0;
    void on_activity(std::uint32_t r, SimTime, const ReplicaActivity&) override {
      max_w = std::max(max_w, meter->gpu_power_w(r));
    }
  };
  const Registries reg = builtin_registries();
  double ttft[2];
  int i = 0;
  for (const char* cap : {"power.timeseries_interval=0", "power.cap=450W"}) {
    const Scenario s = load_scenario(INFERCOST_SOURCE_DIR "/scenarios/llama70b-h100.yaml", {"duration=10m", cap}, reg);
    Simulation sim(s, s.seed);
    PeakWatch watch;
    watch.meter = sim.power_meter();
    sim.add_activity_observer(watch);
    sim.run();
    CHECK(watch.max_w <= (i == 0 ? 700.0 : 450.0) + 1e-6);
    CHECK(watch.max_w >= (i == 0 ? 600.0 : 450.0 - 1e-6));
    ttft[i++] = sim.metrics().ttft_s.moments.mean();
  }
  CHECK(ttft[1] > ttft[0]);
}
