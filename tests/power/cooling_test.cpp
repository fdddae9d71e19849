// Cooling and facility power (include/infercost/power/cooling.hpp).
#include <catch2/catch.hpp>

#include "infercost/power/cooling.hpp"

using namespace infercost;

TEST_CASE("static PUE: facility = IT x PUE", "[power]") {
  CoolingSpec c;
  c.pue = 1.4;
  for (double it : {0.0, 1.0, 1234.5, 2.5e6}) {
    const FacilityPower p = facility_power(c, it, 35.0);
    CHECK(p.facility_w() == Approx(it * 1.4).epsilon(1e-15));
    CHECK(p.other_w == 0.0);
    if (it > 0) CHECK(p.pue() == Approx(1.4).epsilon(1e-15));
  }
  // The ambient temperature does not matter.
  CHECK(facility_power(c, 1000, -20).facility_w() == facility_power(c, 1000, 45).facility_w());
}

TEST_CASE("chiller COP is a fraction of the Carnot COP between chilled and condenser water", "[power]") {
  const ChillerSpec h;
  // AHRI 550/590 rating point: 6.7 C chilled water, 29.4 C condenser water (25.6 C + 3.9 K approach):
  // 0.5 x 279.85 / 22.6 = 6.19, in the range of ASHRAE 90.1 minimum efficiencies for centrifugal chillers.
  CHECK(chiller_cop(h, 25.5) == Approx(0.5 * (6.7 + 273.15) / (25.5 + 3.9 - 6.7)).epsilon(1e-14));
  CHECK(chiller_cop(h, 25.5) == Approx(6.16).margin(0.05));
  // Hotter weather, lower COP; a tiny or negative lift is bounded.
  CHECK(chiller_cop(h, 35.0) < chiller_cop(h, 25.0));
  CHECK(chiller_cop(h, 3.0) == h.cop_max);
}

TEST_CASE("chiller facility power at a fixed temperature matches the closed form", "[power]") {
  CoolingSpec c;
  c.kind = CoolingSpec::Kind::kChiller;
  c.other_fraction = 0.05;
  c.other_fixed_w = 2000.0;
  const double it = 1.0e6, t = 30.0;
  const double other = 0.05 * it + 2000.0;
  const double heat = it + other;
  const double cop = 0.5 * (6.7 + 273.15) / (30.0 + 3.9 - 6.7);
  const double cooling = heat / cop + 0.08 * heat;
  const FacilityPower p = facility_power(c, it, t);
  CHECK(chiller_load_share(c.chiller, t) == 1.0);
  CHECK(p.other_w == Approx(other).epsilon(1e-15));
  CHECK(p.cooling_w == Approx(cooling).epsilon(1e-14));
  CHECK(p.facility_w() == Approx(it + other + cooling).epsilon(1e-14));
}

TEST_CASE("the economizer takes over in cold weather, so PUE moves with the weather", "[power]") {
  CoolingSpec c;
  c.kind = CoolingSpec::Kind::kChiller;
  const ChillerSpec& h = c.chiller;
  CHECK(chiller_load_share(h, h.economizer_full_below_c) == 0.0);
  CHECK(chiller_load_share(h, -10.0) == 0.0);
  CHECK(chiller_load_share(h, h.economizer_partial_below_c) == 1.0);
  const double mid = 0.5 * (h.economizer_full_below_c + h.economizer_partial_below_c);
  CHECK(chiller_load_share(h, mid) == Approx(0.5).epsilon(1e-14));
  // Free cooling: only fans and pumps on the heat load.
  const FacilityPower cold = facility_power(c, 1.0e6, -5.0);
  CHECK(cold.cooling_w == Approx(0.08 * 1.05e6).epsilon(1e-14));
  double previous = 0.0;
  for (double t = -10; t <= 40; t += 1) {
    const double pue = facility_power(c, 1.0e6, t).pue();
    CHECK(pue >= previous);
    previous = pue;
  }
  CHECK(facility_power(c, 1.0e6, 35).pue() > 1.25);
  CHECK(facility_power(c, 1.0e6, -5).pue() < 1.15);
}
