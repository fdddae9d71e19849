#pragma once
// Electrical power of GPUs and their host nodes as a function of what the GPUs do, and what a power cap does
// to that power and to the speed of the work (docs/models-power.md, "GPU power" and "Power capping").
#include <cstdint>
#include <limits>
#include <vector>

#include "infercost/engine/time.hpp"
#include "infercost/serving/replica.hpp"

namespace infercost {

/// Power parameters of one GPU (watts, fractions of TDP). Defaults: H100 SXM 80 GB (sources in
/// docs/models-power.md). A plain value: the GPU catalog fills it, or the scenario's `power.gpu` section.
struct GpuPowerSpec {
  double tdp_w = 700.0;                        ///< board power limit at the default setting
  double idle_w = 75.0;                        ///< powered on, nothing running
  double off_w = 0.0;                          ///< powered down (reached after off_after idle)
  double prefill_fraction_of_tdp = 1.0;        ///< compute-bound prefill draws about TDP
  double decode_fraction_at_batch_1 = 300.0 / 700.0;    ///< memory-bound decode, batch of 1
  double decode_fraction_at_saturation = 600.0 / 700.0; ///< decode at decode_saturation_batch and beyond
  std::uint32_t decode_saturation_batch = 128;
  double prefill_compute_share = 1.0;          ///< share of prefill time that scales with the SM clock
  double decode_compute_share = 0.1;           ///< share of decode time that scales with the SM clock
  SimTime off_after = kTimeNever;              ///< idle this long -> off (kTimeNever: never)
  SimTime wake_time = 0;                       ///< off -> ready; the serving model delays work by this
  double wake_energy_j = 0.0;                  ///< energy of one wake-up, per GPU

  /// Power while prefilling, uncapped.
  double prefill_w() const { return prefill_fraction_of_tdp * tdp_w; }
  /// Power while decoding a batch of `batch` requests, uncapped: log-linear in the batch between the two anchors.
  double decode_w(std::uint32_t batch) const;
};

/// How a power cap maps to clock and speed: dynamic power P(r) = idle + D * r^exponent at clock ratio r for
/// compute-bound work; memory-bound time and power do not scale with the SM clock (see the docs).
struct PowerCapCurve {
  double exponent = 1.5;          ///< fitted to Splitwise's 70%-cap prompt slowdown of 1.30x
  double min_clock_ratio = 0.3;   ///< lowest SM clock / highest; below it the GPU duty-cycles
};

/// What a cap does to one GPU running one kind of work.
struct CapThrottle {
  double clock_ratio = 1.0;   ///< SM clock / uncapped clock, in [min_clock_ratio, 1]
  double duty = 1.0;          ///< share of time working when even the lowest clock is above the cap
  double slowdown = 1.0;      ///< time the same work takes / uncapped time (>= 1)
  double power_w = 0.0;       ///< power drawn (<= the cap when capped)
  bool capped = false;        ///< the cap binds
};

/// Average power (W) of work at SM clock ratio r: dynamic energy per unit of work at full clock is D (joules
/// per second of uncapped work); the compute share's energy scales as r^(exponent-1), its time as 1/r.
double power_at_clock_w(const PowerCapCurve& curve, double idle_w, double uncapped_w, double compute_share,
                        double clock_ratio);

/// Solves for the clock (and, if needed, the duty cycle) that keeps a GPU at or under `cap_w`.
/// `uncapped_w` is what the work would draw without a cap; `compute_share` the share of its time that
/// scales with the SM clock. Pure function: the serving model and the power meter both call it.
CapThrottle throttle_under_cap(const PowerCapCurve& curve, double cap_w, double idle_w, double uncapped_w,
                               double compute_share);

/// Which power state a replica's activity puts its GPUs in.
enum class GpuPowerState : std::uint8_t { kOff, kIdle, kPrefill, kDecode, kMixed };

/// Per-GPU power of a replica's activity, with an optional cap (a value type; cheap to copy).
class GpuPowerModel {
 public:
  static constexpr double kNoCap = std::numeric_limits<double>::infinity();

  GpuPowerModel() = default;
  GpuPowerModel(const GpuPowerSpec& spec, double cap_w, const PowerCapCurve& curve);

  const GpuPowerSpec& spec() const { return spec_; }
  double cap_w() const { return cap_w_; }
  bool capped() const { return cap_w_ != kNoCap; }
  const PowerCapCurve& curve() const { return curve_; }

  /// Share of the activity's time that scales with the SM clock: compute / (compute + memory-bandwidth
  /// fraction) when the serving model reports them, else the phase's default share.
  double compute_share(const ReplicaActivity& activity) const;
  /// Per-GPU power of the activity without a cap.
  double uncapped_w(const ReplicaActivity& activity) const;
  /// Per-GPU clock, duty, slowdown and power under the configured cap.
  CapThrottle under_cap(const ReplicaActivity& activity) const;
  /// Per-GPU power drawn (clamped at the cap).
  double power_w(const ReplicaActivity& activity) const { return under_cap(activity).power_w; }
  /// How much longer the activity's work takes under the cap (1 without one). The serving model multiplies
  /// the duration of each iteration it schedules by this.
  double slowdown(const ReplicaActivity& activity) const {
    return capped() ? under_cap(activity).slowdown : 1.0;  // asked at every step: skip the model uncapped
  }

 private:
  double decode_w(std::uint32_t batch) const {
    return batch < decode_w_.size() ? decode_w_[batch] : spec_.decode_w(batch);
  }

  GpuPowerSpec spec_;
  double cap_w_ = kNoCap;
  PowerCapCurve curve_;
  std::vector<double> decode_w_;  ///< spec_.decode_w(b) below the saturation batch: two log2 saved per report
};

/// Idle and loaded watts of one host component.
struct ComponentPower {
  double idle_w = 0.0;
  double active_w = 0.0;
};

/// A host node without its GPUs: components' power interpolates linearly with the share of its GPUs that
/// are busy. Defaults split what a DGX H100 draws besides its eight GPUs (docs/models-power.md).
struct NodePowerSpec {
  std::uint32_t gpus_per_node = 8;
  ComponentPower cpu{250.0, 700.0};
  ComponentPower memory{100.0, 300.0};
  ComponentPower nic{250.0, 350.0};
  ComponentPower fans{300.0, 1500.0};
  ComponentPower other{500.0, 1750.0};  ///< NVSwitch, PCIe switches, drives, power-supply losses
  double off_w = 0.0;                   ///< every GPU of the node off (standby, BMC)

  /// Node power (without GPUs) when `busy_share` of its GPUs are busy, in [0, 1].
  double power_w(double busy_share) const;
  double idle_w() const { return power_w(0.0); }
  double max_w() const { return power_w(1.0); }
};

}  // namespace infercost
