// Demand charges and hardware cost.
//
//   demand of a window  = facility energy in the window / covered time (kW)
//   charge per period   = rate * max window demand * (covered share of the period if prorated)
//   capex per hour      = (capex_gpu * GPUs + capex_node * nodes) / (years * 8760 h)   (straight line)
//   opex                = opex_per_gpu_hour * GPUs * hours;  rental = rental_per_gpu_hour * GPUs * hours
#include "infercost/power/tariff.hpp"

#include <algorithm>

namespace infercost {
namespace {

SimTime floor_to(SimTime t, SimTime step) { return t / step * step; }  // t >= 0

}  // namespace

void DemandMeter::add(SimTime from, SimTime to, double energy_j, double power_w) {
  if (to <= from) return;
  if (spec_.billing_period > 0 && from >= period_start_ + spec_.billing_period) {
    close_window();
    close_period(period_start_ + spec_.billing_period);
    period_start_ = floor_to(from, spec_.billing_period);
    window_start_ = period_start_;
  }
  if (spec_.interval > 0 && from >= window_start_ + spec_.interval) {
    close_window();
    window_start_ = period_start_ + floor_to(from - period_start_, spec_.interval);
  }
  if (spec_.interval > 0) {
    window_energy_j_ += energy_j;
    window_covered_ += to - from;
  } else {
    period_peak_kw_ = std::max(period_peak_kw_, power_w / 1000.0);
    peak_kw_ = std::max(peak_kw_, period_peak_kw_);
  }
}

SimTime DemandMeter::next_boundary_after(SimTime t) const {
  SimTime next = kTimeNever;
  SimTime period_start = 0;
  if (spec_.billing_period > 0) {
    period_start = floor_to(t, spec_.billing_period);
    next = period_start + spec_.billing_period;
  }
  if (spec_.interval > 0) {
    next = std::min(next, period_start + floor_to(t - period_start, spec_.interval) + spec_.interval);
  }
  return next;
}

void DemandMeter::close_window() {
  if (window_covered_ > 0) {
    const double kw = window_energy_j_ / to_seconds(window_covered_) / 1000.0;
    period_peak_kw_ = std::max(period_peak_kw_, kw);
    peak_kw_ = std::max(peak_kw_, kw);
  }
  window_energy_j_ = 0.0;
  window_covered_ = 0;
}

void DemandMeter::close_period(SimTime period_end) {
  double share = 1.0;
  if (spec_.prorate && spec_.billing_period > 0) {
    share = to_seconds(period_end - period_start_) / to_seconds(spec_.billing_period);
  }
  charge_usd_ += spec_.usd_per_kw * period_peak_kw_ * share;
  period_peak_kw_ = 0.0;
}

void DemandMeter::finish(SimTime end) {
  close_window();
  close_period(end);
}

Bill& Bill::operator+=(const Bill& o) {
  energy_it_usd += o.energy_it_usd;
  energy_cooling_usd += o.energy_cooling_usd;
  capex_usd += o.capex_usd;
  opex_usd += o.opex_usd;
  rental_usd += o.rental_usd;
  demand_usd += o.demand_usd;
  return *this;
}

Bill hardware_bill(const HardwareCostSpec& spec, std::uint32_t gpus, double nodes, SimTime duration) {
  Bill b;
  const double hours = to_seconds(duration) / 3600.0;
  if (spec.kind == HardwareCostSpec::Kind::kCloud) {
    b.rental_usd = spec.rental_usd_per_gpu_hour * gpus * hours;
    return b;
  }
  const double capex_usd = spec.capex_per_gpu_usd * gpus + spec.capex_per_node_usd * nodes;
  b.capex_usd = capex_usd * hours / (spec.amortization_years * kHoursPerYear);
  b.opex_usd = spec.opex_usd_per_gpu_hour * gpus * hours;
  return b;
}

}  // namespace infercost
