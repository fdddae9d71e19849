#pragma once
// Money and emissions: electricity tariffs (energy and demand charges), hardware cost (amortized capex and
// opex, or cloud rental) and the bill of a run (docs/models-power.md, "Money and emissions").
#include <cstdint>
#include <limits>
#include <vector>

#include "infercost/engine/time.hpp"

namespace infercost {

inline constexpr double kJoulesPerKwh = 3.6e6;
inline constexpr double kHoursPerYear = 8760.0;  ///< 365 days: amortization years are this long

/// A demand charge on the peak of the site's facility power, averaged over `interval` windows, per billing period.
struct DemandChargeSpec {
  double usd_per_kw = 0.0;           ///< per kW of peak demand per billing period (0: no demand charge)
  SimTime interval = 15 * kMinute;   ///< demand averaging window (0: instantaneous peak)
  SimTime billing_period = 30 * kDay;
  bool prorate = true;               ///< a partly simulated period pays its simulated share
};

/// Tracks windowed demand and the peak of each billing period; fed with the site's energy piece by piece.
class DemandMeter {
 public:
  DemandMeter() = default;
  explicit DemandMeter(const DemandChargeSpec& spec) : spec_(spec) {}
  /// Adds `energy_j` drawn at constant power `power_w` over [from, to), which lies within one window and
  /// one billing period (callers split at next_boundary_after()).
  void add(SimTime from, SimTime to, double energy_j, double power_w);
  /// The next window or billing-period boundary strictly after t.
  SimTime next_boundary_after(SimTime t) const;
  /// Closes the last window and period at the end of the run.
  void finish(SimTime end);
  /// Demand charges of the run (valid after finish).
  double charge_usd() const { return charge_usd_; }
  /// Highest windowed demand seen, kW.
  double peak_kw() const { return peak_kw_; }

 private:
  void close_window();
  void close_period(SimTime period_end);

  DemandChargeSpec spec_;
  SimTime window_start_ = 0;
  SimTime window_covered_ = 0;
  double window_energy_j_ = 0.0;
  double window_peak_w_ = 0.0;   ///< for interval 0
  SimTime period_start_ = 0;
  double period_peak_kw_ = 0.0;
  double peak_kw_ = 0.0;
  double charge_usd_ = 0.0;
};

/// Hardware cost: owned (capex amortized straight-line, plus opex per GPU-hour) or rented per GPU-hour.
struct HardwareCostSpec {
  enum class Kind { kOwned, kCloud };
  Kind kind = Kind::kOwned;
  double capex_per_gpu_usd = 25000.0;
  double capex_per_node_usd = 100000.0;   ///< the server without its GPUs (CPUs, memory, NICs, chassis)
  double amortization_years = 5.0;
  double opex_usd_per_gpu_hour = 0.0;     ///< hosting, maintenance, staff (energy is billed separately)
  double rental_usd_per_gpu_hour = 0.0;   ///< cloud
  bool energy_included = true;            ///< cloud: electricity is in the rental price (not billed again)
};

/// What a run costs, in US dollars, by part; total() is their sum.
struct Bill {
  double energy_it_usd = 0.0;
  double energy_cooling_usd = 0.0;   ///< cooling and other facility overhead
  double capex_usd = 0.0;            ///< amortized
  double opex_usd = 0.0;
  double rental_usd = 0.0;
  double demand_usd = 0.0;

  double total_usd() const {
    return energy_it_usd + energy_cooling_usd + capex_usd + opex_usd + rental_usd + demand_usd;
  }
  Bill& operator+=(const Bill& o);
};

/// Capex, opex and rental of `gpus` GPUs in `nodes` nodes (a share of a node counts as that share) held for `duration` (independent of load).
Bill hardware_bill(const HardwareCostSpec& spec, std::uint32_t gpus, double nodes, SimTime duration);

}  // namespace infercost
