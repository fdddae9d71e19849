#pragma once
// Sites and the facility meter: replica activity -> GPU, node and site IT power -> cooling and facility
// power -> energy, money and emissions, integrated exactly between changes (docs/models-power.md).
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "infercost/engine/engine.hpp"
#include "infercost/engine/random.hpp"
#include "infercost/io/output.hpp"
#include "infercost/policy/signals.hpp"
#include "infercost/power/cooling.hpp"
#include "infercost/power/power.hpp"
#include "infercost/power/series.hpp"
#include "infercost/power/tariff.hpp"
#include "infercost/serving/replica.hpp"

namespace infercost {

/// One site: a group of replicas with its own climate, cooling, tariff, carbon intensity and hardware cost.
struct SiteConfig {
  std::string name = "default";
  std::uint32_t first_replica = 0;   ///< the site's replicas are [first_replica, first_replica + replicas)
  std::uint32_t replicas = 0;
  CoolingSpec cooling;
  StepSeries ambient_c = StepSeries::constant(20.0);            ///< degC
  StepSeries price_usd_per_kwh = StepSeries::constant(0.0806);  ///< EIA 2023 US industrial average
  StepSeries carbon_g_per_kwh = StepSeries::constant(366.0);    ///< EIA 2023 US generation average
  DemandChargeSpec demand;
  HardwareCostSpec hardware;
  double network_w_per_node = 400.0;   ///< share of the fabric switches per node, always on
  double storage_w_per_node = 100.0;   ///< share of shared storage per node, always on
  double fixed_it_w = 0.0;             ///< other IT load (management, login servers)
  double budget_w = std::numeric_limits<double>::infinity();  ///< facility power budget
};

/// The validated `power:` and `sites:` sections of a scenario.
struct PowerConfig {
  GpuPowerSpec gpu;
  double gpu_cap_w = GpuPowerModel::kNoCap;   ///< per-GPU power cap
  PowerCapCurve cap_curve;
  NodePowerSpec node;
  std::uint32_t gpus_per_replica = 1;
  std::vector<SiteConfig> sites;              ///< at least one; replicas assigned in order
  SimTime timeseries_interval = 15 * kMinute; ///< 0: no timeseries.csv

  GpuPowerModel gpu_model() const { return GpuPowerModel(gpu, gpu_cap_w, cap_curve); }
  std::uint32_t site_of(std::uint32_t replica) const;
  std::uint32_t gpus_at(std::uint32_t site) const { return sites[site].replicas * gpus_per_replica; }
  /// Nodes the site's GPUs occupy (a partly filled node counts whole here).
  std::uint32_t nodes_at(std::uint32_t site) const;
  /// GPUs / gpus_per_node: a partly filled node is charged (power, network, capex) for the share it uses.
  double node_share_at(std::uint32_t site) const;
};

/// A site's power right now, in watts and the series' units.
struct SitePowerStatus {
  double it_w = 0.0;
  double cooling_w = 0.0;
  double other_w = 0.0;
  double facility_w = 0.0;
  double budget_w = std::numeric_limits<double>::infinity();
  double ambient_c = 0.0;
  double price_usd_per_kwh = 0.0;
  double carbon_g_per_kwh = 0.0;
  double headroom_w() const { return budget_w - facility_w; }
  double pue() const { return it_w > 0 ? facility_w / it_w : 1.0; }
};

/// What power-aware policies and routers may ask: current and predicted facility power against the budget.
class PowerBudgetView {
 public:
  virtual ~PowerBudgetView() = default;
  virtual std::uint32_t site_count() const = 0;
  virtual std::uint32_t site_of_replica(std::uint32_t replica) const = 0;
  /// The site's power and exogenous values now.
  virtual SitePowerStatus site_status(std::uint32_t site) const = 0;
  /// IT power change (W) if `replica` switched to `activity` now.
  virtual double replica_it_delta_w(std::uint32_t replica, const ReplicaActivity& activity) const = 0;
  /// Facility power the site would draw now if its IT power changed by `delta_it_w` (same ambient).
  virtual double predict_facility_w(std::uint32_t site, double delta_it_w) const = 0;
};

/// The power results of a run, for summary.csv.
struct PowerSummary {
  double energy_gpu_kwh = 0.0;
  double energy_it_kwh = 0.0;
  double energy_cooling_kwh = 0.0;
  double energy_facility_kwh = 0.0;
  double pue_mean = 1.0;               ///< facility energy / IT energy
  double peak_it_power_kw = 0.0;
  double peak_facility_power_kw = 0.0; ///< instantaneous, all sites together
  double mean_facility_power_kw = 0.0;
  double peak_demand_kw = 0.0;         ///< highest windowed demand of any site
  double gpu_capped_share = 0.0;       ///< share of GPU-time spent at the cap
  double budget_exceeded_s = 0.0;      ///< time any site's facility power was over its budget
  std::uint64_t gpu_wakes = 0;         ///< off -> on transitions (per GPU)
  Bill bill;
  double emissions_kg_co2e = 0.0;
};

/// Per-site results (sites.csv).
struct SiteSummary {
  std::string name;
  std::uint32_t replicas = 0, gpus = 0;
  double nodes = 0.0;   ///< node share (GPUs / GPUs per node)
  double energy_it_kwh = 0.0, energy_facility_kwh = 0.0, peak_facility_power_kw = 0.0, peak_demand_kw = 0.0;
  double budget_exceeded_s = 0.0;
  Bill bill;
  double emissions_kg_co2e = 0.0;
};

/// Integrates the power of every site between activity changes (SimGrid-style: energy is added only when
/// state changes, by exact integer watt x nanosecond products for IT power). Also an EventHandler for the
/// idle -> off transitions. Sampling for timeseries.csv keeps its own sums and never alters the results.
class FacilityMeter final : public ActivityObserver, public EventHandler, public PowerBudgetView,
                            public FacilityPowerSignal, public PowerGovernor {
 public:
  FacilityMeter(const PowerConfig& config, Engine& engine, std::uint32_t replicas);

  // ActivityObserver
  void prefetch_replica(std::uint32_t replica) const override { __builtin_prefetch(&replicas_[replica]); }
  void on_activity(std::uint32_t replica, SimTime now, const ReplicaActivity& activity) override;
  void on_queue_change(std::uint32_t replica, SimTime now, const ReplicaActivity& activity) override;
  // EventHandler: an idle replica's off_after expired.
  void on_event(Engine& engine, std::uint32_t kind, std::uint64_t data) override;

  /// Sets the per-GPU cap at a site from now on (power-aware throttling); kNoCap removes it.
  void set_gpu_cap_w(std::uint32_t site, double cap_w);
  /// The power model (spec, cap, curve) of a site's GPUs: the serving model asks it for slowdown().
  const GpuPowerModel& gpu_model(std::uint32_t site) const { return sites_[site].model; }
  /// How much longer `replica`'s work takes under its site's cap while doing `activity` (1 without a cap).
  /// The serving model multiplies each iteration's duration by this before scheduling it.
  double slowdown(std::uint32_t replica, const ReplicaActivity& activity) const override {
    return sites_[replicas_[replica].site].model.slowdown(activity);
  }
  /// How long `replica` needs before it can work: the wake time if its GPUs are off, else 0.
  SimTime wake_delay(std::uint32_t replica) const override;
  /// Per-GPU power `replica` draws now, in watts (after its latest activity report).
  double gpu_power_w(std::uint32_t replica) const { return static_cast<double>(replicas_[replica].gpu_uw) * 1e-6; }
  /// Whether `replica`'s GPUs are off.
  bool is_off(std::uint32_t replica) const { return replicas_[replica].off; }
  /// When `replica`'s GPUs last switched off (kTimeNever: never) and how often they woke: power changes that happen
  /// without an activity report (cost attribution follows them).
  SimTime off_since(std::uint32_t replica) const { return replicas_[replica].off_at; }
  std::uint64_t wakes(std::uint32_t replica) const { return replicas_[replica].wakes; }
  /// Per-GPU power when off, W, and the energy one wake-up adds to the GPU energy of a replica, J (as metered).
  double gpu_off_w() const { return config_.gpu.off_w; }
  double replica_wake_energy_j() const;

  // PowerBudgetView
  std::uint32_t site_count() const override { return static_cast<std::uint32_t>(sites_.size()); }
  std::uint32_t site_of_replica(std::uint32_t replica) const override { return replicas_[replica].site; }
  SitePowerStatus site_status(std::uint32_t site) const override;
  double replica_it_delta_w(std::uint32_t replica, const ReplicaActivity& activity) const override;
  double predict_facility_w(std::uint32_t site, double delta_it_w) const override;

  // FacilityPowerSignal (power-aware admission): all sites together.
  double facility_power_w(SimTime now) const override;
  double power_budget_w(SimTime now) const override;
  /// Counts, for timeseries.csv only, a request completed at `replica` now (throughput per window).
  void count_completion(std::uint32_t replica, SimTime now);
  /// Counts, for timeseries.csv only, a submission the policy refused now (whole service).
  void count_refusal(SimTime now);
  /// Closes every integral at `end` and returns the run's results; call once.
  PowerSummary finish(SimTime end);
  const std::vector<SiteSummary>& site_summaries() const { return site_summaries_; }
  /// timeseries.csv: one row per site per interval (averages over [time_s, time_s + interval)).
  CsvTable timeseries_table() const;
  /// sites.csv: one row per site.
  CsvTable sites_table() const;
  /// IT energy so far, exact, in femtojoules (microwatts x nanoseconds).
  uint128_t it_energy_fj() const;

 private:
  /// What the meter keeps of a replica, in one line: the meter reads it at every activity report, and so does the
  /// cost attribution (power, switch-off time, wake-ups). A report's kv_occupancy does not change power and is not
  /// kept (a whole ReplicaActivity made the record 104 bytes, two or three lines).
  struct alignas(64) ReplicaState {
    double busy_fraction = 0.0, compute_fraction = 0.0, memory_bw_fraction = 0.0;  ///< of the latest report
    std::int64_t gpu_uw = 0;          ///< per-GPU power drawn, microwatts
    SimTime off_at = kTimeNever;      ///< when the GPUs last switched off
    std::uint32_t running = 0, queued = 0;  ///< of the latest report
    std::uint32_t site = 0;
    std::uint32_t wakes = 0;          ///< off -> on transitions of the replica
    GpuPhase phase = GpuPhase::kIdle; ///< of the latest report
    bool busy = false;
    bool capped = false;
    bool off = false;
    bool off_pending = false;
    /// The latest report (kv_occupancy 0).
    ReplicaActivity activity() const {
      return {.phase = phase, .running = running, .queued = queued, .busy_fraction = busy_fraction,
              .compute_fraction = compute_fraction, .memory_bw_fraction = memory_bw_fraction};
    }
    void store(const ReplicaActivity& a) {
      phase = a.phase;
      running = a.running;
      queued = a.queued;
      busy_fraction = a.busy_fraction;
      compute_fraction = a.compute_fraction;
      memory_bw_fraction = a.memory_bw_fraction;
    }
  };
  static_assert(sizeof(ReplicaState) == 64);
  /// The rest of a replica's state, used when its GPUs switch on or off.
  struct ReplicaPlacement {
    std::uint32_t first_gpu = 0;      ///< site-local GPU index
    EventId off_event = 0;            ///< the pending switch-off, while off_pending
  };
  struct NodeState {
    std::uint32_t gpus = 0, busy = 0, off = 0;
    double share = 1.0;   ///< gpus / gpus_per_node
    std::int64_t power_uw = 0;
  };
  /// Time-weighted sums of one time-series window; a series that held one value prints it exactly.
  struct Sample {
    double it_j = 0, cooling_j = 0, other_j = 0, ambient_cs = 0, price_s = 0, carbon_s = 0, util_s = 0,
           running_s = 0, queued_s = 0;
    double ambient_first = 0, price_first = 0, carbon_first = 0;
    bool ambient_varies = false, price_varies = false, carbon_varies = false;
    SimTime covered = 0;
  };
  struct SiteState {
    const SiteConfig* config = nullptr;
    GpuPowerModel model;
    std::uint32_t gpus = 0, first_node = 0, nodes = 0;
    double node_share = 0.0;
    std::int64_t gpu_uw = 0;          ///< sum of GPU power
    std::int64_t it_uw = 0;           ///< GPUs + nodes + network, storage, fixed
    std::uint32_t capped_gpus = 0;
    double busy_fraction_sum = 0.0;   ///< over the site's replicas
    std::uint64_t running = 0, queued = 0;
    // Integrals.
    uint128_t it_fj = 0, gpu_fj = 0;
    double cooling_j = 0, other_j = 0, cost_it_usd = 0, cost_overhead_usd = 0, emissions_g = 0;
    double peak_it_w = 0, peak_facility_w = 0;
    SimTime over_budget = 0;
    uint128_t capped_gpu_ns = 0;
    std::uint64_t wakes = 0;
    DemandMeter demand;
    // Time series (separate sums: sampling never touches the integrals above).
    Sample sample;
    SimTime sample_start = 0;
    // The site's step series over the current segment (see segment_end_), facility power as a function of IT
    // power there, and the IT power above which the facility power exceeds the budget.
    double ambient_c = 0, price_usd_per_kwh = 0, carbon_g_per_kwh = 0;
    FacilityCoefficients coefficients;
    std::int64_t over_budget_above_uw = std::numeric_limits<std::int64_t>::max();
    // Exact integer areas since the integrals were last folded (at a segment boundary) and since the open
    // sample was (at a segment or sample-window boundary): the floating-point sums see no other cuts.
    uint128_t piece_it_fj = 0;
    std::int64_t piece_peak_it_uw = 0;
    uint128_t sample_it_fj = 0, sample_running_ns = 0;
    uint128_t sample_queued_ns = 0;        ///< up to queued_since (settle_queued): the queue changes alone
    SimTime queued_since = 0;
    double sample_busy_s = 0;              ///< integral of max(0, busy_fraction_sum), replica-seconds
  };

  void advance(SimTime to);
  void integrate(SimTime from, SimTime to);
  /// integrate(last_, last_ + dt) for one site when last_ + dt < quick_until_.
  void integrate_one_site(SimTime dt);
  /// Adds dt of the site's current state to its integrals and open sample; returns whether it was over budget.
  bool integrate_site(SiteState& site, SimTime dt);
  /// Folds every site's piece [piece_start_, t) into the integrals, at the segment's coefficients (t is a
  /// segment boundary or the end).
  void flush_integrals(SimTime t);
  /// Folds [sample_piece_start_, t) into the open samples (t is a segment or sample-window boundary, or the end).
  void flush_samples(SimTime t);
  /// Adds the site's queue length times the time since queued_since to the open sample's queue area.
  void settle_queued(SiteState& site, SimTime t);
  /// Reads every site's ambient, price and carbon series at t and finds where the next one (or a demand
  /// window) changes: integrate() then needs no series lookups until segment_end_.
  void start_segment(SimTime t);
  void emit_sample(std::uint32_t site, SimTime start);
  std::uint64_t window_count(const std::vector<std::uint64_t>& counts, SimTime start) const;
  void apply(std::uint32_t replica, const ReplicaActivity& activity, bool off);
  void wake(std::uint32_t replica, SimTime now);
  void update_nodes(std::uint32_t replica, int busy_delta, int off_delta);
  SitePowerStatus status_at(const SiteState& site, double it_w, SimTime now) const;

  const PowerConfig& config_;
  Engine& engine_;
  std::vector<ReplicaState> replicas_;
  std::vector<ReplicaPlacement> placement_;
  std::vector<NodeState> nodes_;
  std::vector<SiteState> sites_;
  SimTime last_ = 0;
  // [segment_start_, segment_end_): no site's series or demand window changes inside (empty at first).
  SimTime segment_start_ = 0, segment_end_ = 0;
  SimTime piece_start_ = 0;                 ///< where the sites' current pieces began
  SimTime sample_piece_start_ = 0;          ///< where the samples' current pieces began
  SimTime sample_end_ = kTimeNever;         ///< end of the open time-series window
  /// With one site, min(segment_end_, sample_end_) as of the last full integrate(): advancing to before it
  /// crosses no boundary (integrate_one_site). 0 with several sites or before the first segment.
  SimTime quick_until_ = 0;
  std::int64_t peak_total_it_uw_ = 0;       ///< all sites together
  double peak_facility_w_ = 0.0;
  bool finished_ = false;
  CsvTable timeseries_;
  // Per-window event counts for timeseries.csv, indexed by time / interval (kept apart from the integrals).
  std::vector<std::vector<std::uint64_t>> completions_by_window_;  ///< [site][window]
  std::vector<std::uint64_t> refusals_by_window_;                  ///< [window]
  std::vector<SiteSummary> site_summaries_;
  PowerSummary summary_;
};

}  // namespace infercost
