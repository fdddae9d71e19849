// The facility meter, the power scenario sections, the site-aware router and the outputs
// (include/infercost/power/facility.hpp, site_router.hpp; sim/power/power_config.cpp).
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <sstream>
#include <tuple>

#include "infercost/analysis/report.hpp"
#include "infercost/core/scenario.hpp"
#include "infercost/core/simulation.hpp"
#include "infercost/hardware/catalog.hpp"
#include "infercost/io/errors.hpp"
#include "infercost/power/facility.hpp"

using namespace infercost;

namespace {

ReplicaActivity act(GpuPhase phase, std::uint32_t running) {
  ReplicaActivity a;
  a.phase = phase;
  a.running = running;
  a.busy_fraction = phase == GpuPhase::kIdle ? 0.0 : 1.0;
  return a;
}

/// Replays (time, replica, activity) reports through an engine into a meter, as replicas would.
class ActivityScript final : public EventHandler {
 public:
  ActivityScript(Engine& engine, ActivityObserver& observer) : engine_(engine), observer_(observer) {}
  void at(SimTime t, std::uint32_t replica, const ReplicaActivity& a) {
    steps_.push_back({replica, a});
    engine_.schedule_at(t, *this, 0, steps_.size() - 1);
  }
  void on_event(Engine& engine, std::uint32_t, std::uint64_t data) override {
    observer_.on_activity(steps_[data].first, engine.now(), steps_[data].second);
  }

 private:
  Engine& engine_;
  ActivityObserver& observer_;
  std::vector<std::pair<std::uint32_t, ReplicaActivity>> steps_;
};

/// One site, `replicas` replicas of `gpus_per_replica` GPUs, static PUE, flat price, no hardware cost.
PowerConfig make_config(std::uint32_t replicas, std::uint32_t gpus_per_replica, double pue = 1.5) {
  PowerConfig c;
  c.gpus_per_replica = gpus_per_replica;
  SiteConfig s;
  s.replicas = replicas;
  s.cooling.pue = pue;
  s.price_usd_per_kwh = StepSeries::constant(0.10);
  s.carbon_g_per_kwh = StepSeries::constant(400.0);
  s.hardware.capex_per_gpu_usd = 0;
  s.hardware.capex_per_node_usd = 0;
  c.sites.push_back(s);
  return c;
}

/// What a scripted meter run leaves behind.
struct PatternResult {
  PowerSummary summary;
  uint128_t it_fj;
  CsvTable timeseries;
};

/// idle -> prefill -> decode (batch 1) -> idle on one 8-GPU replica (a full node), 60 s.
PatternResult run_pattern(const PowerConfig& config) {
  Engine engine;
  FacilityMeter meter(config, engine, 1);
  ActivityScript script(engine, meter);
  script.at(10 * kSecond, 0, act(GpuPhase::kPrefill, 4));
  script.at(12 * kSecond, 0, act(GpuPhase::kDecode, 1));
  script.at(40 * kSecond, 0, act(GpuPhase::kIdle, 0));
  engine.run_until(60 * kSecond);
  const PowerSummary s = meter.finish(60 * kSecond);
  return PatternResult{s, meter.it_energy_fj(), meter.timeseries_table()};
}

const char* kBaseScenario = R"(
name: power-test
seed: 5
duration: 2h
cluster:
  replicas: 4
  serving: {type: fixed, service_time: 2s, distribution: exponential, concurrency: 2, gpus: 2}
workload:
  classes:
    - name: c
      users: 10
      arrival: {type: poisson, rate: 0.2/s}
      input_tokens: 100
      output_tokens: 50
)";

struct RunResult {
  std::string summary, timeseries, sites;
  RunInfo info;
  std::vector<double> busy_s;
};

RunResult run_scenario(const std::string& text, const std::vector<std::string>& sets = {}) {
  const Registries registries = builtin_registries();
  const Scenario s = load_scenario_text(text, "power-test.yaml", sets, registries);
  Simulation sim(s, s.seed);
  RunResult r;
  r.info = sim.run();
  r.summary = summary_table(s, sim.metrics(), r.info).to_string();
  r.timeseries = sim.power_meter()->timeseries_table().to_string();
  r.sites = sim.power_meter()->sites_table().to_string();
  for (const auto& u : sim.metrics().replicas) r.busy_s.push_back(u.busy_s);
  return r;
}

/// A column of a one-row CSV.
double column(const std::string& csv, const std::string& name) {
  std::istringstream in(csv);
  std::string header, row;
  std::getline(in, header);
  std::getline(in, row);
  std::vector<std::string> h, v;
  std::stringstream hs(header), rs(row);
  for (std::string x; std::getline(hs, x, ',');) h.push_back(x);
  for (std::string x; std::getline(rs, x, ',');) v.push_back(x);
  for (std::size_t i = 0; i < h.size(); ++i) {
    if (h[i] == name) return std::stod(v[i]);
  }
  FAIL("no column " << name);
  return 0;
}

}  // namespace

TEST_CASE("energy is the exact integral of idle -> prefill -> decode -> idle", "[power]") {
  const PowerConfig config = make_config(1, 8);
  const PatternResult r = run_pattern(config);
  const PowerSummary& s = r.summary;
  // GPUs: 8 x (75 W x 10 s + 700 W x 2 s + 300 W x 28 s + 75 W x 20 s).
  const double gpu_j = 8 * (75.0 * 10 + 700.0 * 2 + 300.0 * 28 + 75.0 * 20);
  // Node: 1400 W idle for 30 s, 4600 W busy for 30 s; network + storage 500 W for 60 s.
  const double it_j = gpu_j + 1400.0 * 30 + 4600.0 * 30 + 500.0 * 60;
  CHECK(r.it_fj == static_cast<uint128_t>(it_j) * 1'000'000'000'000'000ULL);  // exact
  CHECK(s.energy_gpu_kwh * kJoulesPerKwh == Approx(gpu_j).epsilon(1e-15));
  CHECK(s.energy_it_kwh * kJoulesPerKwh == Approx(it_j).epsilon(1e-15));
  CHECK(s.energy_facility_kwh == Approx(1.5 * s.energy_it_kwh).epsilon(1e-14));
  CHECK(s.pue_mean == Approx(1.5).epsilon(1e-14));
  CHECK(s.peak_it_power_kw == Approx((8 * 700.0 + 4600 + 500) / 1000).epsilon(1e-15));
  CHECK(s.peak_facility_power_kw == Approx(1.5 * (8 * 700.0 + 4600 + 500) / 1000).epsilon(1e-15));
  CHECK(s.bill.energy_it_usd == Approx(0.10 * it_j / kJoulesPerKwh).epsilon(1e-14));
  CHECK(s.bill.energy_cooling_usd == Approx(0.10 * 0.5 * it_j / kJoulesPerKwh).epsilon(1e-14));
  CHECK(s.emissions_kg_co2e == Approx(0.4 * 1.5 * it_j / kJoulesPerKwh).epsilon(1e-14));
}

TEST_CASE("a power cap lowers the peak to the cap and counts the capped GPU-time", "[power]") {
  PowerConfig config = make_config(1, 8);
  config.gpu_cap_w = 400.0;
  const PowerSummary s = run_pattern(config).summary;
  // Prefill is capped at 400 W (2 s); decode at batch 1 draws 300 W, under the cap.
  const double gpu_j = 8 * (75.0 * 10 + 400.0 * 2 + 300.0 * 28 + 75.0 * 20);
  CHECK(s.energy_gpu_kwh * kJoulesPerKwh == Approx(gpu_j).epsilon(1e-15));
  CHECK(s.peak_it_power_kw == Approx((8 * 400.0 + 4600 + 500) / 1000).epsilon(1e-15));
  CHECK(s.gpu_capped_share == Approx(2.0 / 60.0).epsilon(1e-15));
}

TEST_CASE("sampling never changes the results, and the samples add up to them", "[power]") {
  PowerConfig config = make_config(1, 8);
  config.sites[0].cooling.kind = CoolingSpec::Kind::kChiller;
  config.sites[0].ambient_c = StepSeries::sampled(7 * kSecond, [](SimTime t) { return 10.0 + to_seconds(t) / 3.0; });
  config.sites[0].price_usd_per_kwh = StepSeries::table({0, 25 * kSecond}, {0.1, 0.3});
  config.sites[0].demand.usd_per_kw = 5.0;
  config.sites[0].demand.interval = 9 * kSecond;
  config.timeseries_interval = 0;
  const PowerSummary base = run_pattern(config).summary;
  for (SimTime interval : {kSecond, 7 * kSecond, 13 * kSecond, 15 * kMinute}) {
    config.timeseries_interval = interval;
    const PatternResult r = run_pattern(config);
    const PowerSummary& s = r.summary;
    CHECK(s.energy_it_kwh == base.energy_it_kwh);
    CHECK(s.energy_facility_kwh == base.energy_facility_kwh);
    CHECK(s.energy_cooling_kwh == base.energy_cooling_kwh);
    CHECK(s.bill.total_usd() == base.bill.total_usd());
    CHECK(s.bill.demand_usd == base.bill.demand_usd);
    CHECK(s.emissions_kg_co2e == base.emissions_kg_co2e);
    CHECK(s.peak_facility_power_kw == base.peak_facility_power_kw);
    // Sum over the rows of (average power x window length) is the energy.
    const CsvTable& ts = r.timeseries;
    double facility_j = 0, it_j = 0, busy_s = 0, running_s = 0;
    for (std::size_t i = 0; i < ts.rows(); ++i) {
      const double start = std::get<double>(ts.data()[i][0]);
      const double end = i + 1 < ts.rows() ? std::get<double>(ts.data()[i + 1][0]) : 60.0;
      it_j += std::get<double>(ts.data()[i][2]) * (end - start);
      facility_j += std::get<double>(ts.data()[i][4]) * (end - start);
      busy_s += std::get<double>(ts.data()[i][9]) * (end - start);
      running_s += std::get<double>(ts.data()[i][10]) * (end - start);
    }
    CHECK(it_j == Approx(base.energy_it_kwh * kJoulesPerKwh).epsilon(1e-12));
    CHECK(facility_j == Approx(base.energy_facility_kwh * kJoulesPerKwh).epsilon(1e-12));
    // Busy from 10 s to 40 s; 4 sequences for 2 s, then 1 for 28 s.
    CHECK(busy_s == Approx(30.0).epsilon(1e-12));
    CHECK(running_s == Approx(4 * 2 + 1 * 28).epsilon(1e-12));
  }
}

TEST_CASE("a time-of-use bill for a known load shape equals the hand-computed value to the cent", "[power]") {
  // One 8-GPU replica on a full node, idle except decoding at batch 128 (600 W per GPU) from 06:00 to 20:00.
  // IT: idle 8 x 75 + 1400 + 500 = 2500 W; busy 8 x 600 + 4600 + 500 = 9900 W; PUE 1.25.
  // Prices: 00-07 0.05, 07-19 0.15, 19-24 0.10 USD/kWh. By hand (facility kWh x price):
  //   6 h x 3.125 x 0.05 + 1 h x 12.375 x 0.05 + 12 h x 12.375 x 0.15 + 1 h x 12.375 x 0.10 + 4 h x 3.125 x 0.10
  //   = 0.9375 + 0.61875 + 22.275 + 1.2375 + 1.25 = 26.31875 USD.
  PowerConfig config = make_config(1, 8, 1.25);
  config.sites[0].price_usd_per_kwh = StepSeries::table({0, 7 * kHour, 19 * kHour}, {0.05, 0.15, 0.10}, kDay, 0);
  config.sites[0].demand.usd_per_kw = 10.0;  // 15-minute demand, 30-day billing period, prorated
  Engine engine;
  FacilityMeter meter(config, engine, 1);
  ActivityScript script(engine, meter);
  script.at(6 * kHour, 0, act(GpuPhase::kDecode, 128));
  script.at(20 * kHour, 0, act(GpuPhase::kIdle, 0));
  engine.run_until(kDay);
  const PowerSummary s = meter.finish(kDay);
  const double energy_usd = s.bill.energy_it_usd + s.bill.energy_cooling_usd;
  CHECK(std::llround(energy_usd * 100) == 2632);
  CHECK(energy_usd == Approx(26.31875).epsilon(1e-13));
  CHECK(s.bill.energy_it_usd == Approx(26.31875 / 1.25).epsilon(1e-13));
  // Demand: 12.375 kW peak, one day of a 30-day period at 10 USD/kW.
  CHECK(s.peak_demand_kw == Approx(12.375).epsilon(1e-14));
  CHECK(s.bill.demand_usd == Approx(10.0 * 12.375 / 30.0).epsilon(1e-13));
  CHECK(s.bill.total_usd() == Approx(energy_usd + s.bill.demand_usd).epsilon(1e-15));
}

TEST_CASE("idle GPUs switch off after a while and pay a wake-up", "[power]") {
  PowerConfig config = make_config(1, 1, 1.0);
  config.node.gpus_per_node = 1;
  config.node.off_w = 50.0;
  config.gpu.off_after = 10 * kSecond;
  config.gpu.wake_time = 20 * kSecond;
  config.gpu.wake_energy_j = 100.0;
  config.sites[0].network_w_per_node = 0;
  config.sites[0].storage_w_per_node = 0;
  Engine engine;
  FacilityMeter meter(config, engine, 1);
  ActivityScript script(engine, meter);
  SimTime delay_while_off = -1, delay_while_on = -1;
  struct Probe final : EventHandler {
    std::function<void()> f;
    void on_event(Engine&, std::uint32_t, std::uint64_t) override { f(); }
  } probe_off, probe_on;
  probe_off.f = [&] { delay_while_off = meter.wake_delay(0); };
  probe_on.f = [&] { delay_while_on = meter.wake_delay(0); };
  engine.schedule_at(20 * kSecond, probe_off);
  engine.schedule_at(35 * kSecond, probe_on);
  script.at(30 * kSecond, 0, act(GpuPhase::kDecode, 1));
  script.at(40 * kSecond, 0, act(GpuPhase::kIdle, 0));
  engine.run_until(100 * kSecond);
  const PowerSummary s = meter.finish(100 * kSecond);
  // GPU: idle 10 s, off 20 s, wake 100 J, decode 10 s, idle 10 s, off 50 s. Node: the same states.
  const double gpu_j = 75.0 * 10 + 100.0 + 300.0 * 10 + 75.0 * 10;
  const double node_j = 1400.0 * 10 + 50.0 * 20 + 4600.0 * 10 + 1400.0 * 10 + 50.0 * 50;
  CHECK(s.energy_gpu_kwh * kJoulesPerKwh == Approx(gpu_j).epsilon(1e-15));
  CHECK(s.energy_it_kwh * kJoulesPerKwh == Approx(gpu_j + node_j).epsilon(1e-15));
  CHECK(s.gpu_wakes == 1);
  CHECK(delay_while_off == 20 * kSecond);
  CHECK(delay_while_on == 0);
}

TEST_CASE("the budget view reports current and predicted facility power", "[power]") {
  PowerConfig config = make_config(2, 8, 1.5);
  config.sites[0].budget_w = 20000.0;
  Engine engine;
  FacilityMeter meter(config, engine, 2);
  const SitePowerStatus idle = meter.site_status(0);
  CHECK(idle.it_w == Approx(2 * 2500.0).epsilon(1e-15));
  CHECK(idle.facility_w == Approx(1.5 * 5000.0).epsilon(1e-15));
  CHECK(idle.headroom_w() == Approx(20000.0 - 7500.0).epsilon(1e-15));
  const double delta = meter.replica_it_delta_w(1, act(GpuPhase::kPrefill, 2));
  CHECK(delta == Approx(8 * (700.0 - 75.0) + (4600.0 - 1400.0)).epsilon(1e-14));
  CHECK(meter.predict_facility_w(0, delta) == Approx(1.5 * (5000.0 + delta)).epsilon(1e-14));
  // Both replicas prefilling would break the budget; the meter counts the time over it.
  ActivityScript script(engine, meter);
  script.at(kSecond, 0, act(GpuPhase::kPrefill, 2));
  script.at(kSecond, 1, act(GpuPhase::kPrefill, 2));
  script.at(4 * kSecond, 0, act(GpuPhase::kIdle, 0));
  engine.run_until(10 * kSecond);
  const PowerSummary s = meter.finish(10 * kSecond);
  CHECK(s.budget_exceeded_s == Approx(3.0).epsilon(1e-15));
}

TEST_CASE("scenarios without power keys get one default site; power keys are validated", "[power]") {
  const Registries registries = builtin_registries();
  const Scenario s = load_scenario_text(kBaseScenario, "power-test.yaml", {}, registries);
  REQUIRE(s.power);
  REQUIRE(s.power->sites.size() == 1);
  CHECK(s.power->sites[0].replicas == 4);
  CHECK(s.power->gpus_per_replica == 2);
  CHECK(s.power->gpu.tdp_w == 700.0);
  CHECK(s.power->nodes_at(0) == 1);
  const auto fails = [&](const std::vector<std::string>& sets, const std::string& what) {
    CHECK_THROWS_WITH(load_scenario_text(kBaseScenario, "power-test.yaml", sets, registries), Catch::Contains(what));
  };
  fails({"power.cap=50W"}, "above the GPU's idle power");
  fails({"power.gpu.tdpp=800W"}, "did you mean 'tdp'");
  fails({"power.gpu.tdp=150W"}, "decode_fraction_at_batch_1 x tdp");
  fails({"sites=[{name: a, replicas: 1}, {name: b, replicas: 2}]"}, "hold 3 replicas in all but cluster.replicas is 4");
  fails({"sites=[{name: a, replicas: 2}, {name: a, replicas: 2}]"}, "duplicate site name");
  fails({"sites=[{cooling: {type: chiller, carnot_fraction: 2}}]"}, "carnot_fraction");
  fails({"sites=[{electricity: {type: time_of_use, periods: [{from: 7h, price_usd_per_kwh: 0.1}, "
         "{from: 1h, price_usd_per_kwh: 0.2}]}}]"},
        "increasing order");
  fails({"sites=[{electricity: {type: csv, file: /nonexistent/prices.csv}}]"}, "cannot open");
}

TEST_CASE("the serving model's catalog GPU sets the power and capex defaults; explicit keys win", "[power]") {
  const Registries registries = builtin_registries();
  const std::string text =
      "name: catalog-power\nduration: 1h\ncluster:\n  replicas: 2\n  serving:\n    type: continuous_batching\n"
      "    gpu: A100-SXM4-80GB\n    model: Llama-3.1-8B\nworkload:\n  classes:\n    - name: c\n      users: 1\n"
      "      arrival: {type: poisson, rate: 1/s}\n      input_tokens: {type: constant, value: 100}\n"
      "      output_tokens: {type: constant, value: 10}\n";
  const Scenario s = load_scenario_text(text, "catalog-power.yaml", {}, registries);
  const GpuSpec& gpu = *s.serving->gpu_spec();
  CHECK(gpu.tdp_w == 400.0);
  CHECK(s.power->gpu.tdp_w == gpu.tdp_w);
  CHECK(s.power->gpu.idle_w == gpu.idle_power_w);
  CHECK(s.power->sites[0].hardware.capex_per_gpu_usd == gpu.capex_usd);
  const Scenario o = load_scenario_text(text, "catalog-power.yaml",
                                        {"power.gpu.tdp=350W", "power.gpu.idle=50W",
                                         "sites=[{name: a, replicas: 2, hardware: {capex_per_gpu_usd: 9000}}, "
                                         "{name: b, replicas: 0}]"},
                                        registries);
  CHECK(o.power->gpu.tdp_w == 350.0);
  CHECK(o.power->gpu.idle_w == 50.0);
  CHECK(o.power->sites[0].hardware.capex_per_gpu_usd == 9000.0);
  CHECK(o.power->sites[1].hardware.capex_per_gpu_usd == gpu.capex_usd);
  // The fixed model names no GPU: the power model's own defaults stay.
  const Scenario f = load_scenario_text(kBaseScenario, "power-test.yaml", {}, registries);
  CHECK(f.power->gpu.idle_w == 75.0);
  CHECK(f.power->sites[0].hardware.capex_per_gpu_usd == 25000.0);
}

TEST_CASE("end to end: results do not depend on the sampling interval and repeat exactly", "[power]") {
  const std::vector<std::string> chiller = {
      "sites=[{name: dc, cooling: {type: chiller}, climate: {type: sinusoid, mean_c: 12, daily_amplitude_c: 8, "
      "step: 10m}, electricity: {type: time_of_use, periods: [{from: 0h, price_usd_per_kwh: 0.06}, "
      "{from: 1h, price_usd_per_kwh: 0.2}]}, demand_charge: {usd_per_kw: 15}}]",
      "power.cap=450W"};
  auto with = [&](std::string interval) {
    auto sets = chiller;
    sets.push_back("power.timeseries_interval=" + interval);
    return run_scenario(kBaseScenario, sets);
  };
  const RunResult off = with("0");
  const RunResult a = with("1m");
  const RunResult b = with("7m");
  CHECK(off.summary == a.summary);
  CHECK(a.summary == b.summary);
  CHECK(off.sites == a.sites);
  CHECK(a.info.fingerprint == b.info.fingerprint);
  const RunResult again = with("1m");
  CHECK(again.summary == a.summary);
  CHECK(again.timeseries == a.timeseries);
  // The bill's parts add up to its total; PUE moves with the weather.
  const double parts = column(a.summary, "cost_energy_it_usd") + column(a.summary, "cost_energy_cooling_usd") +
                       column(a.summary, "cost_capex_usd") + column(a.summary, "cost_opex_usd") +
                       column(a.summary, "cost_rental_usd") + column(a.summary, "cost_demand_usd");
  CHECK(parts == Approx(column(a.summary, "cost_total_usd")).epsilon(1e-14));
  CHECK(column(a.summary, "cost_demand_usd") > 0);
  CHECK(column(a.summary, "energy_facility_kwh") > column(a.summary, "energy_it_kwh"));
  CHECK(a.timeseries.find("dc,") != std::string::npos);
}

TEST_CASE("the site-aware router prefers the cheaper (or cleaner) site and spills over", "[power]") {
  const std::string two_sites =
      "sites=[{name: pricey, replicas: 2, electricity: {price_usd_per_kwh: 0.30}, carbon: {g_co2e_per_kwh: 50}}, "
      "{name: cheap, replicas: 2, electricity: {price_usd_per_kwh: 0.05}, carbon: {g_co2e_per_kwh: 700}}]";
  SECTION("light load stays at the cheap site") {
    const RunResult r = run_scenario(kBaseScenario, {two_sites, "cluster.router.type=site_aware",
                                                     "cluster.router.spill_at_outstanding=2",
                                                     "workload.classes.0.arrival.rate=0.01/s"});
    CHECK(r.busy_s[0] == 0.0);
    CHECK(r.busy_s[1] == 0.0);
    CHECK(r.busy_s[2] > 0.0);
    CHECK(r.busy_s[3] > 0.0);
  }
  SECTION("cleanest flips the preference") {
    const RunResult r = run_scenario(kBaseScenario, {two_sites, "cluster.router.type=site_aware",
                                                     "cluster.router.prefer=cleanest",
                                                     "cluster.router.spill_at_outstanding=2",
                                                     "workload.classes.0.arrival.rate=0.01/s"});
    CHECK(r.busy_s[0] > 0.0);
    CHECK(r.busy_s[2] == 0.0);
    CHECK(r.busy_s[3] == 0.0);
  }
  SECTION("heavy load spills to the pricey site") {
    const RunResult r = run_scenario(kBaseScenario, {two_sites, "cluster.router.type=site_aware",
                                                     "workload.classes.0.arrival.rate=0.3/s"});
    CHECK(r.busy_s[2] > r.busy_s[0]);
    CHECK(r.busy_s[0] > 0.0);
    CHECK(r.sites.find("pricey") != std::string::npos);
  }
}

TEST_CASE("a power-aware policy can change the cap at run time; the serving model reads the slowdown", "[power]") {
  const PowerConfig config = make_config(1, 8);
  Engine engine;
  FacilityMeter meter(config, engine, 1);
  ActivityScript script(engine, meter);
  const ReplicaActivity prefill = act(GpuPhase::kPrefill, 2);
  double slowdown_before = 0, slowdown_after = 0;
  struct Probe final : EventHandler {
    std::function<void()> f;
    void on_event(Engine&, std::uint32_t, std::uint64_t) override { f(); }
  } cap_probe;
  cap_probe.f = [&] {
    slowdown_before = meter.slowdown(0, prefill);
    meter.set_gpu_cap_w(0, 400.0);
    slowdown_after = meter.slowdown(0, prefill);
  };
  script.at(0, 0, prefill);
  engine.schedule_at(5 * kSecond, cap_probe);
  engine.run_until(10 * kSecond);
  const PowerSummary s = meter.finish(10 * kSecond);
  CHECK(s.energy_gpu_kwh * kJoulesPerKwh == Approx(8 * (700.0 * 5 + 400.0 * 5)).epsilon(1e-15));
  CHECK(slowdown_before == 1.0);
  CHECK(slowdown_after == Approx(std::pow(625.0 / 325.0, 1.0 / 1.5)).epsilon(1e-14));
  CHECK(s.gpu_capped_share == Approx(0.5).epsilon(1e-15));
}
