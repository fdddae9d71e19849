// GPU power by state, the power-cap curve and host-node power.
//
//   decode:   P_dec(b) = TDP * (f1 + (fs - f1) * log2(b) / log2(Bs)),  1 <= b <= Bs; P_dec(b > Bs) = TDP * fs
//   prefill:  P_pre    = TDP * f_pre
//   mixed:    w * P_pre + (1 - w) * P_dec(b), w = (c - c_dec) / (c_pre - c_dec)
//   cap at clock ratio r, compute share c, D = P_uncapped - P_idle, exponent g:
//             T(r) = c / r + (1 - c)                         (time per unit of work)
//             P(r) = P_idle + D * (c * r^(g-1) + (1 - c)) / T(r)
//   the cap solves P(r) = cap for r >= r_min; below r_min the GPU also duty-cycles with duty
//   k = (cap - P_idle) / (P(r_min) - P_idle); slowdown = T(r) / k.
// Sources and the fit of g are in docs/models-power.md.
#include "infercost/power/power.hpp"

#include <algorithm>
#include <cmath>

namespace infercost {

double GpuPowerSpec::decode_w(std::uint32_t batch) const {
  const std::uint32_t b = std::max<std::uint32_t>(batch, 1);
  double fraction = decode_fraction_at_saturation;
  if (decode_saturation_batch > 1 && b < decode_saturation_batch) {
    fraction = decode_fraction_at_batch_1 + (decode_fraction_at_saturation - decode_fraction_at_batch_1) *
                                                std::log2(static_cast<double>(b)) /
                                                std::log2(static_cast<double>(decode_saturation_batch));
  }
  return fraction * tdp_w;
}

double power_at_clock_w(const PowerCapCurve& curve, double idle_w, double uncapped_w, double compute_share,
                        double clock_ratio) {
  const double dynamic_w = std::max(0.0, uncapped_w - idle_w);
  const double c = std::clamp(compute_share, 0.0, 1.0);
  const double time = c / clock_ratio + (1.0 - c);
  const double energy = c * std::pow(clock_ratio, curve.exponent - 1.0) + (1.0 - c);
  return idle_w + dynamic_w * energy / time;
}

CapThrottle throttle_under_cap(const PowerCapCurve& curve, double cap_w, double idle_w, double uncapped_w,
                               double compute_share) {
  CapThrottle t;
  t.power_w = uncapped_w;
  if (!(cap_w < uncapped_w)) return t;
  t.capped = true;
  t.power_w = cap_w;
  const double c = std::clamp(compute_share, 0.0, 1.0);
  const double r_min = std::clamp(curve.min_clock_ratio, 1e-6, 1.0);
  if (cap_w <= idle_w) {
    // Nothing can run under a cap at or below idle power (scenarios reject such caps).
    t.clock_ratio = r_min;
    t.duty = 0.0;
    t.slowdown = std::numeric_limits<double>::infinity();
    t.power_w = idle_w;
    return t;
  }
  double r = 1.0;
  if (c > 0.0) {
    if (c == 1.0) {
      r = std::pow((cap_w - idle_w) / (uncapped_w - idle_w), 1.0 / curve.exponent);
    } else {
      // P(r) rises monotonically with r; bisect to the highest clock at or under the cap.
      double lo = 0.0, hi = 1.0;
      for (int i = 0; i < 100; ++i) {
        const double mid = 0.5 * (lo + hi);
        if (mid > 0.0 && power_at_clock_w(curve, idle_w, uncapped_w, c, mid) > cap_w) hi = mid;
        else lo = mid;
      }
      r = lo;
    }
    if (r >= r_min) {
      t.clock_ratio = r;
      t.slowdown = c / r + (1.0 - c);
      return t;
    }
    r = r_min;
  }
  const double p_r = power_at_clock_w(curve, idle_w, uncapped_w, c, r);
  t.clock_ratio = r;
  t.duty = (cap_w - idle_w) / (p_r - idle_w);
  t.slowdown = (c / r + (1.0 - c)) / t.duty;
  return t;
}

GpuPowerModel::GpuPowerModel(const GpuPowerSpec& spec, double cap_w, const PowerCapCurve& curve)
    : spec_(spec), cap_w_(cap_w), curve_(curve) {
  const std::uint32_t n = std::min<std::uint32_t>(spec.decode_saturation_batch, 4096);
  decode_w_.reserve(n);
  for (std::uint32_t b = 0; b < n; ++b) decode_w_.push_back(spec.decode_w(b));
}

double GpuPowerModel::compute_share(const ReplicaActivity& a) const {
  const double cf = a.compute_fraction, mf = a.memory_bw_fraction;
  if (cf + mf > 0.0) return cf / (cf + mf);
  switch (a.phase) {
    case GpuPhase::kPrefill: return spec_.prefill_compute_share;
    case GpuPhase::kDecode: return spec_.decode_compute_share;
    case GpuPhase::kMixed: return 0.5 * (spec_.prefill_compute_share + spec_.decode_compute_share);
    case GpuPhase::kIdle: return 0.0;
  }
  return 0.0;
}

double GpuPowerModel::uncapped_w(const ReplicaActivity& a) const {
  switch (a.phase) {
    case GpuPhase::kIdle: return spec_.idle_w;
    case GpuPhase::kPrefill: return spec_.prefill_w();
    case GpuPhase::kDecode: return decode_w(a.running);
    case GpuPhase::kMixed: {
      const double span = spec_.prefill_compute_share - spec_.decode_compute_share;
      const double w =
          span == 0.0 ? 0.5 : std::clamp((compute_share(a) - spec_.decode_compute_share) / span, 0.0, 1.0);
      return w * spec_.prefill_w() + (1.0 - w) * decode_w(a.running);
    }
  }
  return spec_.idle_w;
}

CapThrottle GpuPowerModel::under_cap(const ReplicaActivity& a) const {
  if (a.phase == GpuPhase::kIdle) {
    CapThrottle t;
    t.power_w = spec_.idle_w;
    return t;
  }
  if (cap_w_ == kNoCap) {
    // What throttle_under_cap returns when nothing can exceed the cap, without its compute share.
    CapThrottle t;
    t.power_w = uncapped_w(a);
    return t;
  }
  return throttle_under_cap(curve_, cap_w_, spec_.idle_w, uncapped_w(a), compute_share(a));
}

double NodePowerSpec::power_w(double busy_share) const {
  const double s = std::clamp(busy_share, 0.0, 1.0);
  double p = 0.0;
  for (const ComponentPower* c : {&cpu, &memory, &nic, &fans, &other}) p += c->idle_w + (c->active_w - c->idle_w) * s;
  return p;
}

}  // namespace infercost
