// Demand charges, hardware cost and bills (include/infercost/power/tariff.hpp).
#include <catch2/catch.hpp>

#include "infercost/power/tariff.hpp"

using namespace infercost;

namespace {

/// Feeds a piecewise-constant power profile to a demand meter, cut at its boundaries like the facility meter.
void feed(DemandMeter& m, const std::vector<std::pair<SimTime, double>>& steps, SimTime end) {
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const SimTime until = i + 1 < steps.size() ? steps[i + 1].first : end;
    for (SimTime t = steps[i].first; t < until;) {
      const SimTime b = std::min(until, m.next_boundary_after(t));
      m.add(t, b, steps[i].second * to_seconds(b - t), steps[i].second);
      t = b;
    }
  }
  m.finish(end);
}

}  // namespace

TEST_CASE("demand is the peak of 15-minute averages, charged per billing period", "[power]") {
  DemandChargeSpec spec;
  spec.usd_per_kw = 12.0;
  SECTION("a 5-minute spike counts one third in its window") {
    DemandMeter m(spec);
    // 100 kW base, 400 kW from 10:00 to 10:05.
    feed(m, {{0, 100e3}, {10 * kHour, 400e3}, {10 * kHour + 5 * kMinute, 100e3}}, kDay);
    CHECK(m.peak_kw() == Approx(200.0).epsilon(1e-12));
    CHECK(m.charge_usd() == Approx(12.0 * 200.0 / 30.0).epsilon(1e-12));  // one day of a 30-day period
  }
  SECTION("instantaneous peak with interval 0, no proration") {
    spec.interval = 0;
    spec.prorate = false;
    DemandMeter m(spec);
    feed(m, {{0, 100e3}, {10 * kHour, 400e3}, {10 * kHour + 5 * kMinute, 100e3}}, kDay);
    CHECK(m.peak_kw() == 400.0);
    CHECK(m.charge_usd() == Approx(12.0 * 400.0).epsilon(1e-15));
  }
  SECTION("each billing period pays its own peak") {
    spec.billing_period = kDay;
    DemandMeter m(spec);
    feed(m, {{0, 100e3}, {kDay, 300e3}, {2 * kDay, 50e3}}, 3 * kDay);
    CHECK(m.charge_usd() == Approx(12.0 * (100 + 300 + 50)).epsilon(1e-12));
    CHECK(m.peak_kw() == Approx(300.0).epsilon(1e-12));
  }
}

TEST_CASE("hardware cost: straight-line capex independent of load, opex and rental per GPU-hour", "[power]") {
  HardwareCostSpec owned;
  owned.capex_per_gpu_usd = 30000;
  owned.capex_per_node_usd = 120000;
  owned.amortization_years = 4;
  owned.opex_usd_per_gpu_hour = 0.25;
  const Bill b = hardware_bill(owned, 16, 2.0, 10 * kHour);
  CHECK(b.capex_usd == Approx((16 * 30000.0 + 2 * 120000.0) * 10.0 / (4 * 8760.0)).epsilon(1e-14));
  CHECK(b.opex_usd == Approx(0.25 * 16 * 10).epsilon(1e-14));
  CHECK(b.rental_usd == 0.0);
  HardwareCostSpec cloud;
  cloud.kind = HardwareCostSpec::Kind::kCloud;
  cloud.rental_usd_per_gpu_hour = 2.5;
  const Bill c = hardware_bill(cloud, 16, 2.0, 10 * kHour);
  CHECK(c.rental_usd == Approx(400.0).epsilon(1e-15));
  CHECK(c.capex_usd == 0.0);
  Bill sum = b;
  sum += c;
  CHECK(sum.total_usd() == Approx(b.total_usd() + c.total_usd()).epsilon(1e-15));
  CHECK(sum.total_usd() ==
        sum.energy_it_usd + sum.energy_cooling_usd + sum.capex_usd + sum.opex_usd + sum.rental_usd + sum.demand_usd);
}
