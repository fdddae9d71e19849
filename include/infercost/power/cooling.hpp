#pragma once
// Cooling and facility overhead: from IT power and the ambient temperature to cooling, other overhead and
// facility power (docs/models-power.md, "Cooling and facility").
#include "infercost/engine/time.hpp"

namespace infercost {

/// A water-cooled chiller plant with a water-side economizer, in degrees Celsius and fractions of heat load.
/// The chiller's COP is a fixed fraction of the Carnot COP between the chilled water and the condenser
/// water, which runs `approach_c` above the ambient (heat-rejection) temperature.
struct ChillerSpec {
  double chilled_water_c = 6.7;           ///< chilled-water supply (AHRI 550/590 rating point)
  double approach_c = 3.9;                ///< condenser water minus ambient (AHRI 29.4 C at 25.6 C wet bulb)
  double carnot_fraction = 0.5;           ///< real COP / Carnot COP
  double cop_max = 15.0;                  ///< bound for tiny lifts
  double economizer_full_below_c = 0.8;   ///< at or below: free cooling carries the whole load
  double economizer_partial_below_c = 8.4;///< between: the economizer carries a linearly falling share
  double fans_pumps_fraction = 0.08;      ///< air handler fans and pumps, per watt of heat load, always on
};

/// How a site turns IT power into facility power.
struct CoolingSpec {
  enum class Kind { kStaticPue, kChiller };
  Kind kind = Kind::kStaticPue;
  double pue = 1.58;                 ///< static: facility = IT x pue (cooling = the whole overhead)
  ChillerSpec chiller;
  double other_fraction = 0.05;      ///< chiller model: power distribution losses and lighting, per IT watt
  double other_fixed_w = 0.0;        ///< chiller model: constant site overhead (offices, security)
};

/// The power of one site at one moment, in watts.
struct FacilityPower {
  double it_w = 0.0;
  double cooling_w = 0.0;   ///< chiller, fans and pumps (static PUE: the whole overhead)
  double other_w = 0.0;     ///< distribution losses, lighting, fixed loads
  double facility_w() const { return it_w + cooling_w + other_w; }
  /// facility / IT (1 when there is no IT load).
  double pue() const { return it_w > 0 ? facility_w() / it_w : 1.0; }
};

/// A site's facility power at one ambient temperature, affine in its IT power: cooling and other overhead are
/// each linear in the heat load, which is linear in IT power. The facility meter integrates with it.
struct FacilityCoefficients {
  double cooling_per_it = 0.0, cooling_fixed_w = 0.0;  ///< cooling_w = cooling_per_it * it_w + cooling_fixed_w
  double other_per_it = 0.0, other_fixed_w = 0.0;      ///< other_w = other_per_it * it_w + other_fixed_w
  FacilityPower at(double it_w) const {
    return FacilityPower{it_w, cooling_per_it * it_w + cooling_fixed_w, other_per_it * it_w + other_fixed_w};
  }
};

/// Chiller coefficient of performance at an ambient temperature: carnot_fraction * T_chw / (T_cond - T_chw)
/// in kelvin, T_cond = ambient + approach, at most cop_max.
double chiller_cop(const ChillerSpec& chiller, double ambient_c);

/// Share of the heat load the mechanical chiller carries (1 - the economizer's share), in [0, 1].
double chiller_load_share(const ChillerSpec& chiller, double ambient_c);

/// The affine map from IT power to cooling and overhead at `ambient_c`.
FacilityCoefficients facility_coefficients(const CoolingSpec& cooling, double ambient_c);
/// Cooling and overhead of a site with `it_w` of IT load at `ambient_c`.
inline FacilityPower facility_power(const CoolingSpec& cooling, double it_w, double ambient_c) {
  return facility_coefficients(cooling, ambient_c).at(it_w);
}

}  // namespace infercost
