// Reads the scenario's `power:` and `sites:` sections (every key optional; docs/scenario-reference-power.md).
#include <cmath>
#include <numbers>
#include <set>

#include <fmt/format.h>

#include "infercost/core/scenario.hpp"
#include "infercost/hardware/catalog.hpp"
#include "infercost/power/facility.hpp"

namespace infercost {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

GpuPowerSpec read_gpu(const ConfigNode& n, GpuPowerSpec g) {
  n.require_map();
  g.tdp_w = n.get_quantity("tdp", UnitKind::kPower, g.tdp_w, 1.0, 1e5);
  g.idle_w = n.get_quantity("idle", UnitKind::kPower, g.idle_w, 0.0, g.tdp_w);
  g.off_w = n.get_quantity("off", UnitKind::kPower, g.off_w, 0.0, g.idle_w);
  g.prefill_fraction_of_tdp = n.get_double("prefill_fraction_of_tdp", g.prefill_fraction_of_tdp, 0.0, 1.5);
  g.decode_fraction_at_batch_1 = n.get_double("decode_fraction_at_batch_1", g.decode_fraction_at_batch_1, 0.0, 1.5);
  g.decode_fraction_at_saturation =
      n.get_double("decode_fraction_at_saturation", g.decode_fraction_at_saturation, 0.0, 1.5);
  g.decode_saturation_batch =
      static_cast<std::uint32_t>(n.get_int("decode_saturation_batch", g.decode_saturation_batch, 1, 1'000'000));
  g.prefill_compute_share = n.get_double("prefill_compute_share", g.prefill_compute_share, 0.0, 1.0);
  g.decode_compute_share = n.get_double("decode_compute_share", g.decode_compute_share, 0.0, 1.0);
  if (n.has("off_after")) g.off_after = n.get_duration("off_after", std::nullopt, 1);
  g.wake_time = n.get_duration("wake_time", g.wake_time);
  g.wake_energy_j = n.get_quantity("wake_energy", UnitKind::kEnergy, g.wake_energy_j, 0.0);
  const auto check_fraction = [&](const char* key, double f) {
    if (f * g.tdp_w < g.idle_w) {
      const std::string msg = fmt::format("{} x tdp = {} W is below the idle power {} W", key, f * g.tdp_w, g.idle_w);
      if (n.has(key)) n.child(key).fail(msg);
      n.fail(msg);
    }
  };
  check_fraction("prefill_fraction_of_tdp", g.prefill_fraction_of_tdp);
  check_fraction("decode_fraction_at_batch_1", g.decode_fraction_at_batch_1);
  if (g.decode_fraction_at_saturation < g.decode_fraction_at_batch_1) {
    n.fail("expected decode_fraction_at_saturation >= decode_fraction_at_batch_1 (decode power rises with batch)");
  }
  return g;
}

ComponentPower read_component(const ConfigNode& parent, const std::string& key, ComponentPower c) {
  if (auto n = parent.optional_child(key)) {
    n->require_map();
    c.idle_w = n->get_quantity("idle", UnitKind::kPower, c.idle_w, 0.0);
    c.active_w = n->get_quantity("active", UnitKind::kPower, std::max(c.active_w, c.idle_w), c.idle_w);
  }
  return c;
}

NodePowerSpec read_node(const ConfigNode& n, NodePowerSpec node) {
  n.require_map();
  node.gpus_per_node = static_cast<std::uint32_t>(n.get_int("gpus_per_node", node.gpus_per_node, 1, 4096));
  node.cpu = read_component(n, "cpu", node.cpu);
  node.memory = read_component(n, "memory", node.memory);
  node.nic = read_component(n, "nic", node.nic);
  node.fans = read_component(n, "fans", node.fans);
  node.other = read_component(n, "other", node.other);
  node.off_w = n.get_quantity("off", UnitKind::kPower, node.off_w, 0.0);
  return node;
}

/// A `type: csv` series: file (relative to the scenario), value column, optional period.
StepSeries read_csv_series(const ConfigNode& n) {
  const std::string file = resolve_scenario_path(n, n.get_string("file"));
  const SimTime period = n.get_duration("period", 0);
  return read_step_series_csv(n, file, n.get_string("column", ""), period);
}

/// Ambient temperature (degC) of a site.
StepSeries read_climate(const ConfigNode& n, SimTime local_offset) {
  n.require_map();
  const std::string type = n.get_choice("type", {"constant", "sinusoid", "csv"}, "constant");
  if (type == "constant") return StepSeries::constant(n.get_double("temperature_c", 20.0, -80.0, 70.0));
  if (type == "csv") return read_csv_series(n);
  const double mean_c = n.get_double("mean_c", 15.0, -80.0, 70.0);
  const double daily_c = n.get_double("daily_amplitude_c", 5.0, 0.0, 50.0);
  const double seasonal_c = n.get_double("seasonal_amplitude_c", 10.0, 0.0, 50.0);
  const double peak_hour = n.get_double("peak_hour", 15.0, 0.0, 24.0);
  const double hottest_day = n.get_double("hottest_day", 200.0, 0.0, 365.0);
  const double start_day = n.get_double("start_day", 0.0, 0.0, 365.0);
  const SimTime step = n.get_duration("step", kHour, kSecond);
  return StepSeries::sampled(step, [=](SimTime t) {
    const double local_s = to_seconds(t + local_offset);
    const double hour = std::fmod(local_s / 3600.0, 24.0);
    const double day = start_day + local_s / 86400.0;
    return mean_c + seasonal_c * std::cos(2.0 * std::numbers::pi * (day - hottest_day) / 365.0) +
           daily_c * std::cos(2.0 * std::numbers::pi * (hour - peak_hour) / 24.0);
  });
}

/// A series of a non-negative quantity: flat, daily time-of-use, or CSV. `value_key` names the flat value.
StepSeries read_series(const ConfigNode& n, const std::string& value_key, double fallback, SimTime local_offset,
                       bool allow_time_of_use) {
  n.require_map();
  std::vector<std::string> types = {"flat", "csv"};
  if (allow_time_of_use) types.push_back("time_of_use");
  const std::string type = n.get_choice("type", types, "flat");
  if (type == "flat") return StepSeries::constant(n.get_double(value_key, fallback, 0.0));
  if (type == "csv") return read_csv_series(n);
  std::vector<SimTime> starts;
  std::vector<double> values;
  const ConfigNode periods = n.child("periods");
  for (const ConfigNode& p : periods.elements()) {
    p.require_map();
    const SimTime from = p.get_duration("from", std::nullopt, 0, kDay - 1);
    if (!starts.empty() && from <= starts.back()) p.child("from").fail("expected periods in increasing order of 'from'");
    starts.push_back(from);
    values.push_back(p.get_double(value_key, std::nullopt, 0.0));
  }
  if (starts.empty()) periods.fail("expected at least one period");
  return StepSeries::table(std::move(starts), std::move(values), kDay, local_offset);
}

CoolingSpec read_cooling(const ConfigNode& n) {
  n.require_map();
  CoolingSpec c;
  const std::string type = n.get_choice("type", {"pue", "chiller"}, "pue");
  if (type == "pue") {
    c.kind = CoolingSpec::Kind::kStaticPue;
    c.pue = n.get_double("pue", c.pue, 1.0, 10.0);
    return c;
  }
  c.kind = CoolingSpec::Kind::kChiller;
  ChillerSpec& h = c.chiller;
  h.chilled_water_c = n.get_double("chilled_water_c", h.chilled_water_c, -10.0, 40.0);
  h.approach_c = n.get_double("approach_c", h.approach_c, -20.0, 40.0);
  h.carnot_fraction = n.get_double("carnot_fraction", h.carnot_fraction, 0.01, 1.0);
  h.cop_max = n.get_double("cop_max", h.cop_max, 1.0, 100.0);
  // The economizer thresholds follow the water temperatures unless given (docs/models-power.md).
  const double full_default = h.chilled_water_c - h.approach_c - 2.0;
  const double partial_default = h.chilled_water_c + 5.6 - h.approach_c - 2.0;
  h.economizer_full_below_c = n.get_double("economizer_full_below_c", full_default, -100.0, 100.0);
  h.economizer_partial_below_c =
      n.get_double("economizer_partial_below_c", std::max(partial_default, h.economizer_full_below_c), -100.0, 100.0);
  if (h.economizer_partial_below_c < h.economizer_full_below_c) {
    n.child("economizer_partial_below_c").fail("expected economizer_partial_below_c >= economizer_full_below_c");
  }
  h.fans_pumps_fraction = n.get_double("fans_pumps_fraction", h.fans_pumps_fraction, 0.0, 2.0);
  c.other_fraction = n.get_double("other_fraction", c.other_fraction, 0.0, 2.0);
  c.other_fixed_w = n.get_quantity("other_fixed", UnitKind::kPower, c.other_fixed_w, 0.0);
  return c;
}

HardwareCostSpec read_hardware(const ConfigNode& n, HardwareCostSpec h) {
  n.require_map();
  const std::string type = n.get_choice("type", {"owned", "cloud"}, "owned");
  if (type == "cloud") {
    h.kind = HardwareCostSpec::Kind::kCloud;
    h.rental_usd_per_gpu_hour = n.get_double("rental_usd_per_gpu_hour", std::nullopt, 0.0);
    h.energy_included = n.get_bool("energy_included", true);
    return h;
  }
  h.capex_per_gpu_usd = n.get_double("capex_per_gpu_usd", h.capex_per_gpu_usd, 0.0);
  h.capex_per_node_usd = n.get_double("capex_per_node_usd", h.capex_per_node_usd, 0.0);
  h.amortization_years = n.get_double("amortization_years", h.amortization_years, 0.1, 100.0);
  h.opex_usd_per_gpu_hour = n.get_double("opex_usd_per_gpu_hour", h.opex_usd_per_gpu_hour, 0.0);
  return h;
}

DemandChargeSpec read_demand(const ConfigNode& n) {
  n.require_map();
  DemandChargeSpec d;
  d.usd_per_kw = n.get_double("usd_per_kw", std::nullopt, 0.0);
  d.interval = n.get_duration("interval", d.interval);
  d.billing_period = n.get_duration("billing_period", d.billing_period);
  d.prorate = n.get_bool("prorate", d.prorate);
  return d;
}

SiteConfig read_site(const ConfigNode& n, std::size_t index, std::size_t count, std::uint32_t replicas_left,
                     const HardwareCostSpec& hardware) {
  n.require_map();
  SiteConfig s;
  s.hardware = hardware;
  s.name = n.get_string("name", count == 1 ? std::string("default") : fmt::format("site{}", index));
  if (count == 1) {
    s.replicas = static_cast<std::uint32_t>(n.get_int("replicas", replicas_left, 0, 1'000'000));
  } else {
    s.replicas = static_cast<std::uint32_t>(n.get_int("replicas", std::nullopt, 0, 1'000'000));
  }
  const SimTime local = n.get_duration("local_time_at_start", 0, 0, kDay - 1);
  if (auto c = n.optional_child("cooling")) s.cooling = read_cooling(*c);
  if (auto c = n.optional_child("climate")) s.ambient_c = read_climate(*c, local);
  if (auto c = n.optional_child("electricity")) {
    s.price_usd_per_kwh = read_series(*c, "price_usd_per_kwh", 0.0806, local, true);
  }
  if (auto c = n.optional_child("carbon")) s.carbon_g_per_kwh = read_series(*c, "g_co2e_per_kwh", 366.0, local, true);
  if (auto c = n.optional_child("demand_charge")) s.demand = read_demand(*c);
  if (auto c = n.optional_child("hardware")) s.hardware = read_hardware(*c, s.hardware);
  s.network_w_per_node = n.get_quantity("network_per_node", UnitKind::kPower, s.network_w_per_node, 0.0);
  s.storage_w_per_node = n.get_quantity("storage_per_node", UnitKind::kPower, s.storage_w_per_node, 0.0);
  s.fixed_it_w = n.get_quantity("fixed_it", UnitKind::kPower, s.fixed_it_w, 0.0);
  s.budget_w = n.get_quantity("power_budget", UnitKind::kPower, kInf, 1.0);
  return s;
}

}  // namespace

void read_power_section(const ConfigNode& root, const Registries& /*registries*/, Scenario& scenario) {
  auto config = std::make_shared<PowerConfig>();
  config->gpus_per_replica = scenario.serving->gpus_per_replica();
  // The serving model's catalog GPU sets the defaults (TDP, idle power, capex); explicit keys override them.
  // Needs the cluster section read first (sim/core/scenario.cpp reads it before this one).
  HardwareCostSpec hardware;
  if (const GpuSpec* g = scenario.serving->gpu_spec()) {
    if (g->tdp_w > 0) config->gpu.tdp_w = g->tdp_w;
    if (g->idle_power_w > 0) config->gpu.idle_w = std::min(g->idle_power_w, config->gpu.tdp_w);
    if (g->capex_usd > 0) hardware.capex_per_gpu_usd = g->capex_usd;
  }
  if (auto p = root.optional_child("power")) {
    p->require_map();
    if (auto g = p->optional_child("gpu")) config->gpu = read_gpu(*g, config->gpu);
    if (p->has("cap")) {
      config->gpu_cap_w = p->get_quantity("cap", UnitKind::kPower, std::nullopt, 0.0);
      if (config->gpu_cap_w <= config->gpu.idle_w) {
        p->child("cap").fail(fmt::format("expected a cap above the GPU's idle power ({} W), got {} W",
                                         config->gpu.idle_w, config->gpu_cap_w));
      }
    }
    if (auto c = p->optional_child("cap_curve")) {
      c->require_map();
      config->cap_curve.exponent = c->get_double("exponent", config->cap_curve.exponent, 1.0, 4.0);
      config->cap_curve.min_clock_ratio = c->get_double("min_clock_ratio", config->cap_curve.min_clock_ratio, 0.01, 1.0);
    }
    if (auto n = p->optional_child("node")) config->node = read_node(*n, config->node);
    config->timeseries_interval = p->get_duration("timeseries_interval", config->timeseries_interval);
  }
  if (auto sites = root.optional_child("sites")) {
    const auto elements = sites->elements();
    if (elements.empty()) sites->fail("expected at least one site");
    std::set<std::string> names;
    std::uint32_t first = 0;
    for (std::size_t i = 0; i < elements.size(); ++i) {
      SiteConfig s = read_site(elements[i], i, elements.size(), scenario.replicas, hardware);
      if (!names.insert(s.name).second) elements[i].child("name").fail(fmt::format("duplicate site name '{}'", s.name));
      s.first_replica = first;
      first += s.replicas;
      config->sites.push_back(std::move(s));
    }
    if (first != scenario.replicas) {
      sites->fail(fmt::format("the sites hold {} replicas in all but cluster.replicas is {}", first, scenario.replicas));
    }
  } else {
    SiteConfig s;
    s.replicas = scenario.replicas;
    s.hardware = hardware;
    config->sites.push_back(std::move(s));
  }
  scenario.power = std::move(config);
}

}  // namespace infercost
