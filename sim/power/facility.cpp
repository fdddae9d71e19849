// The facility meter. IT power is held in integer microwatts, so site sums never drift and IT energy is
// the exact integer sum of microwatts x nanoseconds over the constant pieces between changes. Between two
// changes of an exogenous series (ambient temperature, price, carbon intensity) or demand windows (a
// segment), cooling and overhead power are affine in IT power, so their integrals, the cost and the
// emissions are that affine map applied to the exact IT area: they are folded in at segment and
// time-series window boundaries (flush), not at every activity change. The time series is cut at its own
// sampling boundaries into its own sums.
#include "infercost/power/facility.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace infercost {
namespace {

std::int64_t to_uw(double w) { return round_half_away(w * 1e6); }

double fj_to_j(uint128_t fj) {
  // Split so the conversion keeps full double precision for any run length.
  const uint128_t whole = fj / 1'000'000'000'000'000ULL;
  const uint128_t rest = fj % 1'000'000'000'000'000ULL;
  return static_cast<double>(whole) + static_cast<double>(rest) * 1e-15;
}

}  // namespace

std::uint32_t PowerConfig::site_of(std::uint32_t replica) const {
  for (std::uint32_t s = 0; s < sites.size(); ++s) {
    if (replica < sites[s].first_replica + sites[s].replicas) return s;
  }
  return static_cast<std::uint32_t>(sites.size()) - 1;
}

std::uint32_t PowerConfig::nodes_at(std::uint32_t site) const {
  const std::uint32_t gpus = gpus_at(site);
  return (gpus + node.gpus_per_node - 1) / node.gpus_per_node;
}

double PowerConfig::node_share_at(std::uint32_t site) const {
  return static_cast<double>(gpus_at(site)) / node.gpus_per_node;
}

FacilityMeter::FacilityMeter(const PowerConfig& config, Engine& engine, std::uint32_t replicas)
    : config_(config),
      engine_(engine),
      timeseries_({"time_s", "site", "it_power_w", "cooling_power_w", "facility_power_w", "pue", "ambient_c",
                   "price_usd_per_kwh", "carbon_g_per_kwh", "utilization", "running", "queued", "throughput_rps", "rejections"}) {
  sites_.resize(config.sites.size());
  completions_by_window_.resize(config.sites.size());
  std::uint32_t node_count = 0;
  for (std::uint32_t s = 0; s < sites_.size(); ++s) {
    SiteState& site = sites_[s];
    site.config = &config.sites[s];
    site.model = config.gpu_model();
    site.gpus = config.gpus_at(s);
    site.nodes = config.nodes_at(s);
    site.node_share = config.node_share_at(s);
    site.first_node = node_count;
    site.demand = DemandMeter(site.config->demand);
    node_count += site.nodes;
  }
  nodes_.resize(node_count);
  const std::uint32_t per_node = config.node.gpus_per_node;
  for (const SiteState& site : sites_) {
    for (std::uint32_t k = 0; k < site.nodes; ++k) {
      NodeState& n = nodes_[site.first_node + k];
      n.gpus = std::min(per_node, site.gpus - k * per_node);
      n.share = static_cast<double>(n.gpus) / per_node;
      n.power_uw = to_uw(n.share * config.node.idle_w());
    }
  }
  if (config.timeseries_interval > 0) sample_end_ = config.timeseries_interval;
  replicas_.resize(replicas);
  placement_.resize(replicas);
  const std::int64_t idle_uw = to_uw(config.gpu.idle_w);
  for (std::uint32_t r = 0; r < replicas; ++r) {
    ReplicaState& rs = replicas_[r];
    rs.site = config.site_of(r);
    placement_[r].first_gpu = (r - config.sites[rs.site].first_replica) * config.gpus_per_replica;
    rs.gpu_uw = idle_uw;
  }
  for (SiteState& site : sites_) {
    site.gpu_uw = idle_uw * site.gpus;
    site.it_uw = site.gpu_uw;
    for (std::uint32_t k = 0; k < site.nodes; ++k) site.it_uw += nodes_[site.first_node + k].power_uw;
    site.it_uw += to_uw((site.config->network_w_per_node + site.config->storage_w_per_node) * site.node_share +
                        site.config->fixed_it_w);
  }
  if (config.gpu.off_after != kTimeNever) {
    for (std::uint32_t r = 0; r < replicas; ++r) {
      placement_[r].off_event = engine_.schedule_at(engine_.now() + config.gpu.off_after, *this, 0, r);
      replicas_[r].off_pending = true;
    }
  }
}

void FacilityMeter::on_queue_change(std::uint32_t replica, SimTime now, const ReplicaActivity& activity) {
  ReplicaState& r = replicas_[replica];
  if (activity.phase == r.phase && activity.running == r.running && activity.busy_fraction == r.busy_fraction &&
      activity.compute_fraction == r.compute_fraction && activity.memory_bw_fraction == r.memory_bw_fraction &&
      !r.off && !r.off_pending && now < segment_end_ && now <= sample_end_) {
    // An arrival at a busy replica (a third of all reports on a fleet): no power, node or utilization change,
    // so nothing needs integrating up to now; only the queue's own area does.
    SiteState& site = sites_[r.site];
    settle_queued(site, now);
    site.queued = site.queued - r.queued + activity.queued;
    r.queued = activity.queued;
    return;
  }
  on_activity(replica, now, activity);
}

void FacilityMeter::on_activity(std::uint32_t replica, SimTime now, const ReplicaActivity& activity) {
  advance(now);
  ReplicaState& r = replicas_[replica];
  SiteState& site = sites_[r.site];
  const bool idle = activity.phase == GpuPhase::kIdle && activity.running == 0 && activity.queued == 0;
  if (r.off) {
    if (idle) {
      // An off replica reporting idleness stays off; remember what it reported.
      site.busy_fraction_sum += activity.busy_fraction - r.busy_fraction;
      r.store(activity);
      return;
    }
    wake(replica, now);
  }
  if (r.off_pending) {
    engine_.cancel(placement_[replica].off_event);
    r.off_pending = false;
  }
  apply(replica, activity, false);
  if (idle && config_.gpu.off_after != kTimeNever) {
    placement_[replica].off_event = engine_.schedule_at(now + config_.gpu.off_after, *this, 0, replica);
    r.off_pending = true;
  }
}

void FacilityMeter::on_event(Engine& engine, std::uint32_t /*kind*/, std::uint64_t data) {
  const auto replica = static_cast<std::uint32_t>(data);
  advance(engine.now());
  replicas_[replica].off_pending = false;
  replicas_[replica].off_at = engine.now();
  apply(replica, replicas_[replica].activity(), true);
}

void FacilityMeter::wake(std::uint32_t replica, SimTime now) {
  // A wake-up's energy is an impulse at `now`: IT energy, cooled, priced and counted at that moment's rates.
  SiteState& site = sites_[replicas_[replica].site];
  const std::uint32_t g = config_.gpus_per_replica;
  const double energy_j = config_.gpu.wake_energy_j * g;
  site.wakes += g;
  ++replicas_[replica].wakes;
  if (energy_j <= 0.0) return;
  const SitePowerStatus st = status_at(site, static_cast<double>(site.it_uw) * 1e-6, now);
  const double cooling_j = st.it_w > 0 ? energy_j * st.cooling_w / st.it_w : 0.0;
  const double other_j = st.it_w > 0 ? energy_j * st.other_w / st.it_w : 0.0;
  const auto fj = static_cast<uint128_t>(std::llround(energy_j * 1e3)) * 1'000'000'000'000ULL;  // whole mJ
  site.it_fj += fj;
  site.gpu_fj += fj;
  site.cooling_j += cooling_j;
  site.other_j += other_j;
  site.cost_it_usd += st.price_usd_per_kwh * energy_j / kJoulesPerKwh;
  site.cost_overhead_usd += st.price_usd_per_kwh * (cooling_j + other_j) / kJoulesPerKwh;
  site.emissions_g += st.carbon_g_per_kwh * (energy_j + cooling_j + other_j) / kJoulesPerKwh;
}

[[gnu::always_inline]] inline void FacilityMeter::apply(std::uint32_t replica, const ReplicaActivity& activity,
                                                         bool off) {
  ReplicaState& r = replicas_[replica];
  SiteState& site = sites_[r.site];
  const std::int64_t g = config_.gpus_per_replica;
  std::int64_t uw;
  bool busy = false, capped = false;
  if (off) {
    uw = to_uw(config_.gpu.off_w);
  } else if (!site.model.capped()) {
    // under_cap()'s power without a cap, without building its throttle record (at every report).
    uw = to_uw(site.model.uncapped_w(activity));
    busy = activity.phase != GpuPhase::kIdle;
  } else {
    const CapThrottle t = site.model.under_cap(activity);
    uw = to_uw(t.power_w);
    busy = activity.phase != GpuPhase::kIdle;
    capped = t.capped;
  }
  site.gpu_uw += (uw - r.gpu_uw) * g;
  site.it_uw += (uw - r.gpu_uw) * g;
  site.capped_gpus = site.capped_gpus - (r.capped ? g : 0) + (capped ? g : 0);
  site.busy_fraction_sum += activity.busy_fraction - r.busy_fraction;
  site.running = site.running - r.running + activity.running;
  settle_queued(site, last_);
  site.queued = site.queued - r.queued + activity.queued;
  const int busy_delta = static_cast<int>(busy) - static_cast<int>(r.busy);
  const int off_delta = static_cast<int>(off) - static_cast<int>(r.off);
  r.gpu_uw = uw;
  r.busy = busy;
  r.capped = capped;
  r.off = off;
  r.store(activity);
  if (busy_delta != 0 || off_delta != 0) update_nodes(replica, busy_delta, off_delta);
}

void FacilityMeter::update_nodes(std::uint32_t replica, int busy_delta, int off_delta) {
  SiteState& site = sites_[replicas_[replica].site];
  const std::uint32_t first_gpu = placement_[replica].first_gpu;
  const std::uint32_t per_node = config_.node.gpus_per_node;
  for (std::uint32_t k = 0; k < config_.gpus_per_replica; ++k) {
    NodeState& n = nodes_[site.first_node + (first_gpu + k) / per_node];
    n.busy = static_cast<std::uint32_t>(static_cast<int>(n.busy) + busy_delta);
    n.off = static_cast<std::uint32_t>(static_cast<int>(n.off) + off_delta);
  }
  // Recompute each touched node once (the replica's GPUs are contiguous).
  const std::uint32_t first = site.first_node + first_gpu / per_node;
  const std::uint32_t last = site.first_node + (first_gpu + config_.gpus_per_replica - 1) / per_node;
  for (std::uint32_t node = first; node <= last; ++node) {
    NodeState& n = nodes_[node];
    const std::int64_t p = to_uw(n.share * (n.off == n.gpus ? config_.node.off_w
                                                           : config_.node.power_w(static_cast<double>(n.busy) / n.gpus)));
    site.it_uw += p - n.power_uw;
    n.power_uw = p;
  }
}

// Inlined into the reports: out of line, advance and apply were two calls and prologues at every report.
[[gnu::always_inline]] inline void FacilityMeter::advance(SimTime to) {
  if (to <= last_) return;
  if (to < quick_until_) {
    integrate_one_site(to - last_);
  } else {
    integrate(last_, to);
    quick_until_ = sites_.size() == 1 ? std::min(segment_end_, sample_end_) : 0;
  }
  last_ = to;
}

// Inlined: a call here cost integrate_one_site a third of its instructions.
[[gnu::always_inline]] inline bool FacilityMeter::integrate_site(SiteState& site, SimTime dt) {
  const auto dt128 = static_cast<uint128_t>(dt);
  const uint128_t it_fj = static_cast<uint128_t>(site.it_uw) * dt128;
  site.it_fj += it_fj;
  site.piece_it_fj += it_fj;
  site.gpu_fj += static_cast<uint128_t>(site.gpu_uw) * dt128;
  if (site.capped_gpus != 0) site.capped_gpu_ns += static_cast<uint128_t>(site.capped_gpus) * dt128;
  site.piece_peak_it_uw = std::max(site.piece_peak_it_uw, site.it_uw);
  if (config_.timeseries_interval > 0) {
    site.sample_it_fj += it_fj;
    site.sample_running_ns += static_cast<uint128_t>(site.running) * dt128;
    if (site.busy_fraction_sum > 0.0) site.sample_busy_s += site.busy_fraction_sum * to_seconds(dt);
  }
  if (site.it_uw <= site.over_budget_above_uw) return false;
  site.over_budget += dt;
  return true;
}

void FacilityMeter::integrate_one_site(SimTime dt) {
  // integrate()'s one pass for a single site inside its segment and sample window, without its loops and
  // boundary checks: the same sums in the same order.
  SiteState& site = sites_.front();
  if (integrate_site(site, dt)) summary_.budget_exceeded_s += to_seconds(dt);
  peak_total_it_uw_ = std::max(peak_total_it_uw_, site.it_uw);
}

void FacilityMeter::start_segment(SimTime t) {
  SimTime end = kTimeNever;
  for (SiteState& site : sites_) {
    const SiteConfig& c = *site.config;
    end = std::min({end, c.ambient_c.next_change_after(t), c.price_usd_per_kwh.next_change_after(t),
                    c.carbon_g_per_kwh.next_change_after(t), site.demand.next_boundary_after(t)});
    site.ambient_c = c.ambient_c.value_at(t);
    site.price_usd_per_kwh = c.price_usd_per_kwh.value_at(t);
    site.carbon_g_per_kwh = c.carbon_g_per_kwh.value_at(t);
    site.coefficients = facility_coefficients(c.cooling, site.ambient_c);
    // facility_w > budget exactly when it_w > (budget - fixed) / per_it; it_uw is an integer, so compare with
    // the floor of that bound in microwatts.
    const FacilityCoefficients& k = site.coefficients;
    const double per_it = 1.0 + k.cooling_per_it + k.other_per_it;
    const double bound_uw = std::floor((c.budget_w - k.cooling_fixed_w - k.other_fixed_w) / per_it * 1e6);
    site.over_budget_above_uw = bound_uw >= 9.0e18 ? std::numeric_limits<std::int64_t>::max()
                                : bound_uw < -1.0  ? -1
                                                   : static_cast<std::int64_t>(bound_uw);
  }
  segment_start_ = t;
  segment_end_ = end;
}

void FacilityMeter::integrate(SimTime from, SimTime to) {
  const SimTime interval = config_.timeseries_interval;
  const bool one_site = sites_.size() == 1;
  SimTime t = from;
  while (t < to) {
    // Step series are constant between changes, so facility power is affine in IT power within a segment:
    // only the integer IT area (and the counts') need summing per piece; the floating-point integrals are
    // its exact image at the segment's coefficients, taken at boundaries (flush).
    if (t < segment_start_ || t >= segment_end_) {
      flush_integrals(t);
      flush_samples(t);
      start_segment(t);
    }
    const SimTime b = std::min({to, segment_end_, sample_end_});
    const SimTime dt = b - t;
    std::int64_t total_it_uw = 0;
    double total_facility_w = 0.0;
    bool any_over = false;
    for (SiteState& site : sites_) {
      if (integrate_site(site, dt)) any_over = true;
      total_it_uw += site.it_uw;
      if (!one_site) total_facility_w += site.coefficients.at(static_cast<double>(site.it_uw) * 1e-6).facility_w();
    }
    peak_total_it_uw_ = std::max(peak_total_it_uw_, total_it_uw);
    if (!one_site) peak_facility_w_ = std::max(peak_facility_w_, total_facility_w);
    if (any_over) summary_.budget_exceeded_s += to_seconds(dt);
    t = b;
    if (t == sample_end_) {
      flush_samples(t);
      for (std::uint32_t i = 0; i < sites_.size(); ++i) {
        emit_sample(i, sites_[i].sample_start);
        sites_[i].sample_start = t;
      }
      sample_end_ = t + interval;
    }
  }
}

void FacilityMeter::flush_integrals(SimTime t) {
  const SimTime span = t - piece_start_;
  piece_start_ = t;
  if (span <= 0) return;
  const double span_s = to_seconds(span);
  for (SiteState& site : sites_) {
    const FacilityCoefficients& k = site.coefficients;
    const double it_j = fj_to_j(site.piece_it_fj);
    const double cooling_j = k.cooling_per_it * it_j + k.cooling_fixed_w * span_s;
    const double other_j = k.other_per_it * it_j + k.other_fixed_w * span_s;
    site.cooling_j += cooling_j;
    site.other_j += other_j;
    site.cost_it_usd += site.price_usd_per_kwh * it_j / kJoulesPerKwh;
    site.cost_overhead_usd += site.price_usd_per_kwh * (cooling_j + other_j) / kJoulesPerKwh;
    site.emissions_g += site.carbon_g_per_kwh * (it_j + cooling_j + other_j) / kJoulesPerKwh;
    // Facility power rises with IT power, so the piece's peak is at its peak IT power.
    const double peak_it_w = static_cast<double>(site.piece_peak_it_uw) * 1e-6;
    const double peak_facility_w = k.at(peak_it_w).facility_w();
    site.demand.add(t - span, t, it_j + cooling_j + other_j, peak_facility_w);
    site.peak_it_w = std::max(site.peak_it_w, peak_it_w);
    site.peak_facility_w = std::max(site.peak_facility_w, peak_facility_w);
    if (sites_.size() == 1) peak_facility_w_ = std::max(peak_facility_w_, peak_facility_w);
    site.piece_it_fj = 0;
    site.piece_peak_it_uw = 0;
  }
}

void FacilityMeter::settle_queued(SiteState& site, SimTime t) {
  site.sample_queued_ns += static_cast<uint128_t>(site.queued) * static_cast<uint128_t>(t - site.queued_since);
  site.queued_since = t;
}

void FacilityMeter::flush_samples(SimTime t) {
  const SimTime span = t - sample_piece_start_;
  sample_piece_start_ = t;
  if (span <= 0 || config_.timeseries_interval <= 0) return;
  const double span_s = to_seconds(span);
  for (SiteState& site : sites_) {
    const SiteConfig& c = *site.config;
    const FacilityCoefficients& k = site.coefficients;
    const double it_j = fj_to_j(site.sample_it_fj);
    Sample& s = site.sample;
    const double ambient_c = site.ambient_c;
    const double price = site.price_usd_per_kwh;
    const double carbon = site.carbon_g_per_kwh;
    if (s.covered == 0) {
      s.ambient_first = ambient_c;
      s.price_first = price;
      s.carbon_first = carbon;
    }
    s.ambient_varies = s.ambient_varies || ambient_c != s.ambient_first;
    s.price_varies = s.price_varies || price != s.price_first;
    s.carbon_varies = s.carbon_varies || carbon != s.carbon_first;
    s.it_j += it_j;
    s.cooling_j += k.cooling_per_it * it_j + k.cooling_fixed_w * span_s;
    s.other_j += k.other_per_it * it_j + k.other_fixed_w * span_s;
    s.ambient_cs += ambient_c * span_s;
    s.price_s += price * span_s;
    s.carbon_s += carbon * span_s;
    s.util_s += c.replicas ? site.sample_busy_s / c.replicas : 0.0;
    s.running_s += static_cast<double>(site.sample_running_ns) * 1e-9;
    settle_queued(site, t);
    s.queued_s += static_cast<double>(site.sample_queued_ns) * 1e-9;
    s.covered += span;
    site.sample_it_fj = site.sample_running_ns = site.sample_queued_ns = 0;
    site.sample_busy_s = 0.0;
  }
}

std::uint64_t FacilityMeter::window_count(const std::vector<std::uint64_t>& counts, SimTime start) const {
  const auto w = static_cast<std::size_t>(start / config_.timeseries_interval);
  return w < counts.size() ? counts[w] : 0;
}

void FacilityMeter::count_completion(std::uint32_t replica, SimTime now) {
  if (config_.timeseries_interval <= 0) return;
  auto& counts = completions_by_window_[replicas_[replica].site];
  const auto w = static_cast<std::size_t>(now / config_.timeseries_interval);
  if (w >= counts.size()) counts.resize(w + 1, 0);
  ++counts[w];
}

void FacilityMeter::count_refusal(SimTime now) {
  if (config_.timeseries_interval <= 0) return;
  const auto w = static_cast<std::size_t>(now / config_.timeseries_interval);
  if (w >= refusals_by_window_.size()) refusals_by_window_.resize(w + 1, 0);
  ++refusals_by_window_[w];
}

void FacilityMeter::emit_sample(std::uint32_t index, SimTime start) {
  SiteState& site = sites_[index];
  Sample& s = site.sample;
  if (s.covered > 0) {
    const double d = to_seconds(s.covered);
    const double facility_j = s.it_j + s.cooling_j + s.other_j;
    const auto mean = [d](bool varies, double first, double sum) { return varies ? sum / d : first; };
    timeseries_.add_row({to_seconds_exact(start), site.config->name, s.it_j / d, s.cooling_j / d, facility_j / d,
                         s.it_j > 0 ? 1.0 + (s.cooling_j + s.other_j) / s.it_j : 1.0,
                         mean(s.ambient_varies, s.ambient_first, s.ambient_cs),
                         mean(s.price_varies, s.price_first, s.price_s),
                         mean(s.carbon_varies, s.carbon_first, s.carbon_s), s.util_s / d, s.running_s / d,
                         s.queued_s / d, static_cast<double>(window_count(completions_by_window_[index], start)) / d,
                         static_cast<std::int64_t>(window_count(refusals_by_window_, start))});
  }
  s = Sample{};
}

void FacilityMeter::set_gpu_cap_w(std::uint32_t site_index, double cap_w) {
  advance(engine_.now());
  SiteState& site = sites_[site_index];
  site.model = GpuPowerModel(config_.gpu, cap_w, config_.cap_curve);
  for (std::uint32_t r = 0; r < replicas_.size(); ++r) {
    if (replicas_[r].site == site_index && !replicas_[r].off) apply(r, replicas_[r].activity(), false);
  }
}

double FacilityMeter::replica_wake_energy_j() const {
  // As wake() meters it: whole millijoules.
  return static_cast<double>(std::llround(config_.gpu.wake_energy_j * config_.gpus_per_replica * 1e3)) * 1e-3;
}

SimTime FacilityMeter::wake_delay(std::uint32_t replica) const {
  return replicas_[replica].off ? config_.gpu.wake_time : 0;
}

SitePowerStatus FacilityMeter::status_at(const SiteState& site, double it_w, SimTime now) const {
  const SiteConfig& c = *site.config;
  SitePowerStatus st;
  st.ambient_c = c.ambient_c.value_at(now);
  st.price_usd_per_kwh = c.price_usd_per_kwh.value_at(now);
  st.carbon_g_per_kwh = c.carbon_g_per_kwh.value_at(now);
  const FacilityPower fp = facility_power(c.cooling, it_w, st.ambient_c);
  st.it_w = fp.it_w;
  st.cooling_w = fp.cooling_w;
  st.other_w = fp.other_w;
  st.facility_w = fp.facility_w();
  st.budget_w = c.budget_w;
  return st;
}

SitePowerStatus FacilityMeter::site_status(std::uint32_t site) const {
  return status_at(sites_[site], static_cast<double>(sites_[site].it_uw) * 1e-6, engine_.now());
}

double FacilityMeter::replica_it_delta_w(std::uint32_t replica, const ReplicaActivity& activity) const {
  const ReplicaState& r = replicas_[replica];
  const SiteState& site = sites_[r.site];
  const std::uint32_t g = config_.gpus_per_replica;
  const double gpu_delta = (site.model.power_w(activity) - static_cast<double>(r.gpu_uw) * 1e-6) * g;
  const int busy_delta = static_cast<int>(activity.phase != GpuPhase::kIdle) - static_cast<int>(r.busy);
  const int off_delta = -static_cast<int>(r.off);
  if (busy_delta == 0 && off_delta == 0) return gpu_delta;
  const std::uint32_t per_node = config_.node.gpus_per_node;
  double node_delta = 0.0;
  const std::uint32_t first_gpu = placement_[replica].first_gpu;
  for (std::uint32_t node = first_gpu / per_node; node <= (first_gpu + g - 1) / per_node; ++node) {
    const NodeState& n = nodes_[site.first_node + node];
    const std::uint32_t lo = std::max(first_gpu, node * per_node);
    const std::uint32_t hi = std::min(first_gpu + g, (node + 1) * per_node);
    const int mine = static_cast<int>(hi - lo);
    const auto busy = static_cast<std::uint32_t>(static_cast<int>(n.busy) + busy_delta * mine);
    const auto off = static_cast<std::uint32_t>(static_cast<int>(n.off) + off_delta * mine);
    const double p =
        n.share * (off == n.gpus ? config_.node.off_w : config_.node.power_w(static_cast<double>(busy) / n.gpus));
    node_delta += p - static_cast<double>(n.power_uw) * 1e-6;
  }
  return gpu_delta + node_delta;
}

double FacilityMeter::predict_facility_w(std::uint32_t site, double delta_it_w) const {
  const double it_w = static_cast<double>(sites_[site].it_uw) * 1e-6 + delta_it_w;
  return status_at(sites_[site], it_w, engine_.now()).facility_w;
}

uint128_t FacilityMeter::it_energy_fj() const {
  uint128_t e = 0;
  for (const SiteState& s : sites_) e += s.it_fj;
  return e;
}

PowerSummary FacilityMeter::finish(SimTime end) {
  if (finished_) return summary_;
  finished_ = true;
  advance(end);
  flush_integrals(last_);
  flush_samples(last_);
  PowerSummary& p = summary_;
  p.peak_it_power_kw = static_cast<double>(peak_total_it_uw_) * 1e-9;
  double it_j = 0, gpu_j = 0, cooling_j = 0, facility_j = 0, emissions_g = 0;
  uint128_t capped_ns = 0;  // GPU-nanoseconds overflow 64 bits for large, long runs
  std::uint64_t gpus = 0;
  for (std::uint32_t i = 0; i < sites_.size(); ++i) {
    SiteState& site = sites_[i];
    const SiteConfig& c = *site.config;
    site.demand.finish(end);
    if (config_.timeseries_interval > 0) emit_sample(i, site.sample_start);
    const double site_it_j = fj_to_j(site.it_fj);
    const double site_facility_j = site_it_j + site.cooling_j + site.other_j;

    SiteSummary s;
    s.name = c.name;
    s.replicas = c.replicas;
    s.gpus = site.gpus;
    s.nodes = site.node_share;
    s.energy_it_kwh = site_it_j / kJoulesPerKwh;
    s.energy_facility_kwh = site_facility_j / kJoulesPerKwh;
    s.peak_facility_power_kw = site.peak_facility_w / 1000.0;
    s.peak_demand_kw = site.demand.peak_kw();
    s.budget_exceeded_s = to_seconds(site.over_budget);
    const bool energy_billed = !(c.hardware.kind == HardwareCostSpec::Kind::kCloud && c.hardware.energy_included);
    if (energy_billed) {
      s.bill.energy_it_usd = site.cost_it_usd;
      s.bill.energy_cooling_usd = site.cost_overhead_usd;
      s.bill.demand_usd = site.demand.charge_usd();
    }
    s.bill += hardware_bill(c.hardware, site.gpus, site.node_share, end);
    s.emissions_kg_co2e = site.emissions_g / 1000.0;
    site_summaries_.push_back(s);

    it_j += site_it_j;
    gpu_j += fj_to_j(site.gpu_fj);
    cooling_j += site.cooling_j;
    facility_j += site_facility_j;
    emissions_g += site.emissions_g;
    capped_ns += site.capped_gpu_ns;
    gpus += site.gpus;
    p.gpu_wakes += site.wakes;
    p.peak_demand_kw = std::max(p.peak_demand_kw, s.peak_demand_kw);
    p.bill += s.bill;
  }
  p.energy_gpu_kwh = gpu_j / kJoulesPerKwh;
  p.energy_it_kwh = it_j / kJoulesPerKwh;
  p.energy_cooling_kwh = cooling_j / kJoulesPerKwh;
  p.energy_facility_kwh = facility_j / kJoulesPerKwh;
  p.pue_mean = it_j > 0 ? facility_j / it_j : 1.0;
  p.peak_facility_power_kw = peak_facility_w_ / 1000.0;
  p.mean_facility_power_kw = end > 0 ? facility_j / to_seconds(end) / 1000.0 : 0.0;
  p.gpu_capped_share =
      (gpus > 0 && end > 0) ? static_cast<double>(capped_ns) / (static_cast<double>(gpus) * static_cast<double>(end))
                            : 0.0;
  p.emissions_kg_co2e = emissions_g / 1000.0;
  return p;
}

CsvTable FacilityMeter::timeseries_table() const { return timeseries_; }

CsvTable FacilityMeter::sites_table() const {
  CsvTable t({"site", "replicas", "gpus", "nodes", "energy_it_kwh", "energy_facility_kwh", "peak_facility_power_kw",
              "peak_demand_kw", "budget_exceeded_s", "cost_energy_it_usd", "cost_energy_cooling_usd",
              "cost_capex_usd", "cost_opex_usd", "cost_rental_usd", "cost_demand_usd", "cost_total_usd",
              "emissions_kg_co2e"});
  const auto i64 = [](auto v) { return static_cast<std::int64_t>(v); };
  for (const SiteSummary& s : site_summaries_) {
    t.add_row({s.name, i64(s.replicas), i64(s.gpus), s.nodes, s.energy_it_kwh, s.energy_facility_kwh,
               s.peak_facility_power_kw, s.peak_demand_kw, s.budget_exceeded_s, s.bill.energy_it_usd,
               s.bill.energy_cooling_usd, s.bill.capex_usd, s.bill.opex_usd, s.bill.rental_usd, s.bill.demand_usd,
               s.bill.total_usd(), s.emissions_kg_co2e});
  }
  return t;
}

double FacilityMeter::facility_power_w(SimTime) const {
  double w = 0.0;
  for (std::uint32_t s = 0; s < site_count(); ++s) w += site_status(s).facility_w;
  return w;
}

double FacilityMeter::power_budget_w(SimTime) const {
  double w = 0.0;
  for (std::uint32_t s = 0; s < site_count(); ++s) w += site_status(s).budget_w;
  return w;
}

}  // namespace infercost
