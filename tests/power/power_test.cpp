// GPU power by state, the power-cap curve and node power (include/infercost/power/power.hpp).
#include <catch2/catch.hpp>

#include <cmath>

#include "infercost/power/power.hpp"

using namespace infercost;

namespace {

ReplicaActivity activity(GpuPhase phase, std::uint32_t running = 1) {
  ReplicaActivity a;
  a.phase = phase;
  a.running = running;
  a.busy_fraction = phase == GpuPhase::kIdle ? 0.0 : 1.0;
  return a;
}

}  // namespace

TEST_CASE("GPU power by state follows the H100 SXM defaults", "[power]") {
  const GpuPowerSpec spec;
  const GpuPowerModel model(spec, GpuPowerModel::kNoCap, PowerCapCurve{});
  CHECK(model.power_w(activity(GpuPhase::kIdle, 0)) == 75.0);
  CHECK(model.power_w(activity(GpuPhase::kPrefill)) == Approx(700.0).epsilon(1e-15));
  // Decode anchors: ML.ENERGY H100 SXM, 300 W at batch 1 and 600 W at batch 128; log-linear between.
  CHECK(spec.decode_w(1) == Approx(300.0).epsilon(1e-15));
  CHECK(spec.decode_w(128) == Approx(600.0).epsilon(1e-15));
  CHECK(spec.decode_w(1000) == Approx(600.0).epsilon(1e-15));
  CHECK(spec.decode_w(8) == Approx(300.0 + 300.0 * 3.0 / 7.0).epsilon(1e-14));
  CHECK(spec.decode_w(0) == spec.decode_w(1));
  for (std::uint32_t b = 1; b < 200; ++b) CHECK(spec.decode_w(b + 1) >= spec.decode_w(b));
  // Decode draws less than prefill, more than idle.
  CHECK(model.power_w(activity(GpuPhase::kDecode, 16)) < model.power_w(activity(GpuPhase::kPrefill)));
  // Mixed batches sit between decode and prefill; the serving model's reported fractions steer the mix.
  ReplicaActivity mixed = activity(GpuPhase::kMixed, 8);
  const double mixed_w = model.power_w(mixed);
  CHECK(mixed_w > spec.decode_w(8));
  CHECK(mixed_w < spec.prefill_w());
  mixed.compute_fraction = 0.9;
  mixed.memory_bw_fraction = 0.1;
  CHECK(model.compute_share(mixed) == Approx(0.9));
  CHECK(model.power_w(mixed) > mixed_w);
}

TEST_CASE("power at full clock is the uncapped power and falls with the clock", "[power]") {
  const PowerCapCurve curve;
  for (double c : {0.0, 0.1, 0.5, 1.0}) {
    CHECK(power_at_clock_w(curve, 75, 700, c, 1.0) == Approx(700.0).epsilon(1e-14));
    double previous = 1e9;
    for (double r = 1.0; r > 0.05; r -= 0.05) {
      const double p = power_at_clock_w(curve, 75, 700, c, r);
      CHECK(p <= previous + 1e-9);
      previous = p;
    }
  }
  // Compute-bound work: P(r) = idle + D r^g.
  CHECK(power_at_clock_w(curve, 75, 700, 1.0, 0.8) == Approx(75 + 625 * std::pow(0.8, 1.5)).epsilon(1e-14));
  // Memory-bound work does not get cheaper with the SM clock.
  CHECK(power_at_clock_w(curve, 75, 700, 0.0, 0.5) == Approx(700.0).epsilon(1e-14));
}

TEST_CASE("a power cap clamps power and lengthens compute-bound work by the documented factor", "[power]") {
  const PowerCapCurve curve;  // exponent 1.5
  SECTION("no effect when the work draws less than the cap") {
    const CapThrottle t = throttle_under_cap(curve, 490, 75, 300, 0.1);
    CHECK_FALSE(t.capped);
    CHECK(t.slowdown == 1.0);
    CHECK(t.power_w == 300.0);
  }
  SECTION("compute-bound: r = ((cap - idle) / (P - idle))^(1/g), slowdown 1/r, power = cap") {
    for (double cap : {650.0, 600.0, 490.0, 400.0, 300.0}) {
      const CapThrottle t = throttle_under_cap(curve, cap, 75, 700, 1.0);
      const double r = std::pow((cap - 75.0) / 625.0, 1.0 / 1.5);
      CHECK(t.capped);
      CHECK(t.power_w == cap);
      CHECK(t.clock_ratio == Approx(r).epsilon(1e-14));
      CHECK(t.slowdown == Approx(1.0 / r).epsilon(1e-14));
      CHECK(t.duty == 1.0);
    }
  }
  SECTION("Splitwise: a 70% cap (490 W) slows H100 prompt phases about 1.30x and leaves token phases alone") {
    const GpuPowerModel model(GpuPowerSpec{}, 490.0, curve);
    ReplicaActivity prefill = activity(GpuPhase::kPrefill, 4);
    CHECK(model.slowdown(prefill) == Approx(1.30).margin(0.02));
    CHECK(model.power_w(prefill) == 490.0);
    // Decode up to batch 16 draws <= 471 W; at batch 32 (514 W) the cap starts to bind, lightly.
    for (std::uint32_t b : {1u, 8u, 16u}) CHECK(model.slowdown(activity(GpuPhase::kDecode, b)) == 1.0);
    CHECK(model.slowdown(activity(GpuPhase::kDecode, 32)) > 1.0);
    CHECK(model.slowdown(activity(GpuPhase::kDecode, 32)) < 1.05);
  }
  SECTION("mixed work: power meets the cap exactly, slowdown between memory- and compute-bound") {
    const CapThrottle t = throttle_under_cap(curve, 450, 75, 700, 0.5);
    CHECK(t.capped);
    CHECK(power_at_clock_w(curve, 75, 700, 0.5, t.clock_ratio) == Approx(450.0).epsilon(1e-12));
    CHECK(t.slowdown == Approx(0.5 / t.clock_ratio + 0.5).epsilon(1e-14));
    CHECK(t.slowdown > 1.0);
    CHECK(t.duty == 1.0);
  }
  SECTION("below the lowest clock the GPU duty-cycles: average power is the cap") {
    const CapThrottle t = throttle_under_cap(curve, 200, 75, 600, 0.0);  // memory-bound: clock does not help
    CHECK(t.capped);
    CHECK(t.clock_ratio == 1.0);
    CHECK(t.duty == Approx(125.0 / 525.0).epsilon(1e-14));
    CHECK(t.slowdown == Approx(525.0 / 125.0).epsilon(1e-14));
    CHECK(t.power_w == 200.0);
    const CapThrottle u = throttle_under_cap(curve, 80, 75, 700, 1.0);  // far below the clock floor
    CHECK(u.clock_ratio == curve.min_clock_ratio);
    const double p_min = 75 + 625 * std::pow(curve.min_clock_ratio, 1.5);
    CHECK(u.duty == Approx(5.0 / (p_min - 75.0)).epsilon(1e-12));
    CHECK(u.slowdown == Approx(1.0 / curve.min_clock_ratio / u.duty).epsilon(1e-12));
  }
  SECTION("a tighter cap never speeds work up") {
    double previous = 1.0;
    for (double cap = 700; cap > 80; cap -= 10) {
      const double s = throttle_under_cap(curve, cap, 75, 700, 0.7).slowdown;
      CHECK(s >= previous - 1e-12);
      previous = s;
    }
  }
}

TEST_CASE("node power interpolates between idle and loaded watts", "[power]") {
  const NodePowerSpec node;
  CHECK(node.idle_w() == 1400.0);
  CHECK(node.max_w() == 4600.0);
  CHECK(node.max_w() + 8 * 700.0 == 10200.0);  // DGX H100 maximum system power
  CHECK(node.power_w(0.5) == 3000.0);
  CHECK(node.power_w(2.0) == node.max_w());
}
