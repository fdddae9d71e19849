// Cooling and facility power.
//
//   static PUE:  facility = IT * PUE, cooling = IT * (PUE - 1), other = 0
//   chiller:     other   = a * IT + F                        (distribution losses, lighting, fixed loads)
//                Q       = IT + other                        (heat to remove; SimGrid chiller: (1 + a) Q_machines)
//                COP(T)  = min(COP_max, eta * (T_chw + 273.15) / (T + approach - T_chw))
//                s(T)    = 0 for T <= T_full, 1 for T >= T_partial, linear between (economizer share 1 - s)
//                cooling = s(T) * Q / COP(T) + f_fans * Q
//                facility = IT + cooling + other
// Sources in docs/models-power.md.
#include "infercost/power/cooling.hpp"

#include <algorithm>

namespace infercost {

double chiller_cop(const ChillerSpec& c, double ambient_c) {
  const double lift_k = ambient_c + c.approach_c - c.chilled_water_c;
  const double carnot_lift_cop = c.carnot_fraction * (c.chilled_water_c + 273.15);
  if (lift_k <= 0.0 || carnot_lift_cop / lift_k > c.cop_max) return c.cop_max;
  return carnot_lift_cop / lift_k;
}

double chiller_load_share(const ChillerSpec& c, double ambient_c) {
  if (ambient_c <= c.economizer_full_below_c) return 0.0;
  if (ambient_c >= c.economizer_partial_below_c) return 1.0;
  return (ambient_c - c.economizer_full_below_c) / (c.economizer_partial_below_c - c.economizer_full_below_c);
}

FacilityCoefficients facility_coefficients(const CoolingSpec& cooling, double ambient_c) {
  FacilityCoefficients k;
  if (cooling.kind == CoolingSpec::Kind::kStaticPue) {
    k.cooling_per_it = cooling.pue - 1.0;
    return k;
  }
  k.other_per_it = cooling.other_fraction;
  k.other_fixed_w = cooling.other_fixed_w;
  // cooling = (s / COP + f_fans) * Q with Q = (1 + a) * IT + F.
  const ChillerSpec& c = cooling.chiller;
  const double share = chiller_load_share(c, ambient_c);
  const double per_heat = (share > 0.0 ? share / chiller_cop(c, ambient_c) : 0.0) + c.fans_pumps_fraction;
  k.cooling_per_it = per_heat * (1.0 + cooling.other_fraction);
  k.cooling_fixed_w = per_heat * cooling.other_fixed_w;
  return k;
}

}  // namespace infercost
