// infercost: the command-line entry point. It only wires YAML -> engine -> outputs.
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <limits>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "infercost/analysis/check.hpp"
#include "infercost/analysis/html_report.hpp"
#include "infercost/analysis/report.hpp"
#include "infercost/analysis/sweep.hpp"
#include "infercost/cli/huge_pages.hpp"
#include "infercost/core/federation.hpp"
#include "infercost/core/scenario.hpp"
#include "infercost/core/serving_bench.hpp"
#include "infercost/core/simulation.hpp"
#include "infercost/engine/hold_bench.hpp"
#include "infercost/io/errors.hpp"
#include "infercost/policy/compare.hpp"
#include "infercost/policy/queue_order.hpp"
#include "infercost/serving/continuous_batching.hpp"
#include "infercost/serving/latency_fit.hpp"
#include "infercost/serving/probe.hpp"
#ifdef INFERCOST_MPI
#include "infercost/mpi/mpi_federation.hpp"
#include "infercost/mpi/mpi_sweep.hpp"
#endif

namespace fs = std::filesystem;
using namespace infercost;

namespace {

/// A progress bar on stderr, drawn only when stderr is a terminal.
class ProgressBar {
 public:
  explicit ProgressBar(bool enabled) : enabled_(enabled && ::isatty(::fileno(stderr))) {}
  void update(double fraction) {
    if (!enabled_) return;
    const int width = 40;
    const int filled = static_cast<int>(fraction * width);
    const int pct = static_cast<int>(fraction * 100);
    if (pct == last_pct_) return;
    last_pct_ = pct;
    std::fprintf(stderr, "\r[%s%s] %3d%%", std::string(filled, '#').c_str(), std::string(width - filled, '.').c_str(),
                 pct);
    if (fraction >= 1.0) std::fprintf(stderr, "\r%*s\r", width + 8, "");
    std::fflush(stderr);
  }
  bool enabled() const { return enabled_; }

 private:
  bool enabled_;
  int last_pct_ = -1;
};

void print_summary(const Scenario& s, const Metrics& m, const RunInfo& info, const fs::path& dir) {
  const auto table = summary_table(s, m, info);
  const auto& header = table.header();
  const auto& row = table.data().front();
  auto cell = [&](const std::string& name) {
    for (std::size_t i = 0; i < header.size(); ++i) {
      if (header[i] == name) return format_csv_cell(row[i]);
    }
    return std::string("?");
  };
  auto num = [&](const std::string& name, const char* unit) {
    const std::string v = cell(name);
    if (v.empty()) return std::string("-");
    return fmt::format("{:.4g}{}", std::stod(v), unit);
  };
  fmt::print("scenario   {}  (seed {}, {} simulated, {} replicas, {} users)\n", s.name, info.seed,
             format_duration(info.end_time), s.replicas, s.total_users());
  fmt::print("policy     {}\n", s.policy_name);
  fmt::print("requests   {} submitted, {} completed, {} rejected, {} abandoned, {} in flight\n", m.submitted,
             m.completed, m.rejected, m.abandoned, info.in_flight);
  fmt::print("throughput {} completed/s, {} output tokens/s\n", num("throughput_rps", ""),
             num("output_tokens_per_s", ""));
  fmt::print("latency    mean {}  p50 {}  p99 {}\n", num("latency_mean_s", " s"), num("latency_p50_s", " s"),
             num("latency_p99_s", " s"));
  fmt::print("TTFT       mean {}  p50 {}  p99 {}\n", num("ttft_mean_s", " s"), num("ttft_p50_s", " s"),
             num("ttft_p99_s", " s"));
  fmt::print("TPOT       mean {}  p99 {}\n", num("tpot_mean_s", " s"), num("tpot_p99_s", " s"));
  fmt::print("utilization {:.1f}%\n", std::stod(cell("utilization")) * 100);
  fmt::print("energy     IT {}  facility {}  PUE {}  peak {}\n", num("energy_it_kwh", " kWh"),
             num("energy_facility_kwh", " kWh"), num("pue_mean", ""), num("peak_facility_power_kw", " kW"));
  fmt::print("cost       {} total ({} energy, {} hardware), {} CO2e\n", num("cost_total_usd", " USD"),
             fmt::format("{:.4g} USD", std::stod(cell("cost_energy_it_usd")) + std::stod(cell("cost_energy_cooling_usd")) +
                                           std::stod(cell("cost_demand_usd"))),
             fmt::format("{:.4g} USD", std::stod(cell("cost_capex_usd")) + std::stod(cell("cost_opex_usd")) +
                                           std::stod(cell("cost_rental_usd"))),
             num("emissions_kg_co2e", " kg"));
  fmt::print("engine     {} events in {:.3f} s wall ({:.3g} events/s)\n", info.events, info.wall_s,
             info.wall_s > 0 ? static_cast<double>(info.events) / info.wall_s : 0.0);
  fmt::print("revenue    {} (plan prices prorated), margin {}; {:.1f}% of users cost more than they pay\n",
             num("revenue_usd", " USD"), num("margin_usd", " USD"),
             std::stod(cell("share_users_cost_above_revenue")) * 100);
  fmt::print("outputs    {}  (one row: the columns above and more)\n", (dir / "summary.csv").string());
  fmt::print("           {}, plans.csv, classes.csv, replicas.csv, timeseries.csv, run.json\n",
             (dir / "users.csv").string());
}

/// Only serving models with a waiting-queue seam (continuous batching) apply a policy set's queue order; say so
/// rather than mislead when the scenario's model (e.g. `fixed`) does not.
void note_queue_order(const std::string& name, const PolicyConfig& policy, const ServingModelConfig& serving) {
  const QueueOrderConfig* q = policy.queue_order();
  if (q == nullptr || q->order == QueueOrderConfig::Order::kFifo || serving.applies_queue_order()) return;
  fmt::print(stderr, "infercost: note: policy set '{}' asks for queue order '{}', which the serving model '{}' does "
             "not apply; its waiting queues stay first come, first served\n", name, to_string(q->order),
             serving.describe());
}

/// A scenario with a `network:` section: one simulation per site in lock step, on the MPI ranks when launched
/// by mpirun in the MPI build (rank 0 writes the outputs), else in this process (docs/models-federation.md).
int run_federated_scenario(const Scenario& scenario, std::uint64_t seed, const fs::path& dir, bool quiet,
                           bool report) {
  std::optional<FederatedResult> result;
#ifdef INFERCOST_MPI
  if (mpi_launched()) {
    result = run_federated_mpi(scenario, seed);
  } else
#endif
  {
    LocalExchange local;
    result = run_federated(scenario, seed, local);
  }
  if (!result) return kExitOk;  // not rank 0
  write_run_outputs(dir, scenario, *result);
  if (!quiet) {
    print_summary(scenario, result->metrics, result->info, dir);
    const FederationStats& f = result->stats;
    fmt::print("federated  {} sites on {} rank(s), {} windows, {} requests forwarded, exchange {:.3f} s wall\n",
               f.sites, f.ranks, f.windows, f.forwarded, f.exchange_wall_s);
  }
  if (report) {
    const fs::path page = write_report(dir);
    if (!quiet) fmt::print("           {}\n", page.string());
  }
  return kExitOk;
}

int cmd_run(const std::string& file, const std::string& out_dir, std::optional<std::uint64_t> seed,
            const std::vector<std::string>& sets, bool quiet, bool report = false) {
  const Registries registries = builtin_registries();
  const Scenario scenario = load_scenario(file, sets, registries);
  note_queue_order(scenario.policy_name, *scenario.policy, *scenario.serving);
  const std::uint64_t run_seed = seed.value_or(scenario.seed);
  const fs::path dir = out_dir.empty() ? fs::path("out") / scenario.name : fs::path(out_dir);
  if (is_federated(scenario)) return run_federated_scenario(scenario, run_seed, dir, quiet, report);
  Simulation sim(scenario, run_seed);
  ProgressBar bar(!quiet);
  const RunInfo info = bar.enabled() ? sim.run([&](double f) { bar.update(f); }) : sim.run();
  write_run_outputs(dir, scenario, sim, info);
  if (!quiet) print_summary(scenario, sim.metrics(), info, dir);
  if (report) {
    const fs::path page = write_report(dir);
    if (!quiet) fmt::print("           {}\n", page.string());
  }
  return kExitOk;
}

int cmd_report(const std::string& dir, const std::string& out_file) {
  const fs::path page = write_report(dir, out_file);
  fmt::print("{}\n", page.string());
  return kExitOk;
}

int cmd_compare(const std::string& file, const std::string& out_dir, std::optional<std::uint64_t> seed,
                const std::vector<std::string>& sets, const std::vector<std::string>& policies, unsigned jobs,
                bool quiet) {
  const Registries registries = builtin_registries();
  const Scenario scenario = load_scenario(file, sets, registries);
  CompareOptions options;
  options.policies = policies;
  options.jobs = std::max(1u, jobs);
  options.seed = seed;
  for (const NamedPolicyConfig* set : select_policy_sets(scenario, policies)) note_queue_order(set->name, *set->config, *scenario.serving);
  const fs::path dir = out_dir.empty() ? fs::path("out") / (scenario.name + "-compare") : fs::path(out_dir);
  const CompareResult result = compare_policies(scenario, options);
  write_compare_outputs(dir, result);
  if (quiet) return kExitOk;
  const auto& header = result.runs.header();
  const auto col = [&](const std::vector<CsvCell>& row, const char* name) {
    for (std::size_t i = 0; i < header.size(); ++i) {
      if (header[i] == name) {
        const std::string v = format_csv_cell(row[i]);
        return v.empty() ? std::string("-") : v;
      }
    }
    return std::string("?");
  };
  const auto num = [&](const std::vector<CsvCell>& row, const char* name, double scale = 1.0) {
    const std::string v = col(row, name);
    return v == "-" ? v : fmt::format("{:.4g}", std::stod(v) * scale);
  };
  fmt::print("{:<20} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>8} {:>8} {:>12}\n", "policy", "submitted",
             "completed", "rejected", "throttled%", "ttft_p99_s", "tpot_p99_s", "util%", "jain", "margin_usd");
  for (const auto& row : result.runs.data()) {
    fmt::print("{:<20} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>8} {:>8} {:>12}\n", col(row, "policy"),
               col(row, "requests_submitted"), col(row, "requests_completed"), col(row, "requests_rejected"),
               num(row, "users_throttled_share", 100), num(row, "ttft_p99_s"), num(row, "tpot_p99_s"),
               num(row, "utilization", 100), num(row, "jain_fairness"), num(row, "margin_usd"));
  }
  fmt::print("outputs    {}\n           {}\n", (dir / "compare.csv").string(), (dir / "compare_plans.csv").string());
  return kExitOk;
}

int cmd_sweep(SweepSpec spec, const std::vector<std::string>& grid, const std::string& points_file,
              const std::string& out_dir, unsigned jobs, bool resume, bool quiet) {
  if (grid.empty() == points_file.empty()) throw ConfigError("sweep: give either --grid (repeatable) or --points");
  if (!points_file.empty()) {
    read_points_csv(points_file, spec.keys, spec.points);
  } else {
    std::vector<SweepAxis> axes;
    for (const auto& g : grid) axes.push_back(parse_grid_axis(g));
    for (const auto& a : axes) spec.keys.push_back(a.key);
    spec.points = grid_points(axes);
  }
  check_sweep_keys(spec);
  const fs::path stem = fs::path(spec.file).stem();
  SweepRunOptions options;
  options.jobs = std::max(1u, jobs);
  options.resume = resume;
  options.dir = out_dir.empty() ? fs::path("out") / (stem.string() + "-sweep") : fs::path(out_dir);
  const bool bar = !quiet && ::isatty(::fileno(stderr));
  const auto start = std::chrono::steady_clock::now();
  std::size_t first_done = std::numeric_limits<std::size_t>::max();
  if (bar) {
    options.progress = [&](std::size_t done, std::size_t total) {
      // Time left from the rate of the points run now (resumed points took no time).
      if (first_done == std::numeric_limits<std::size_t>::max()) first_done = done - 1;
      const double elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const double rate = static_cast<double>(done - first_done) / std::max(elapsed_s, 1e-9);
      const int width = 30, filled = static_cast<int>(width * done / std::max<std::size_t>(total, 1));
      const auto left_s = static_cast<long long>(std::ceil(static_cast<double>(total - done) / rate));
      const std::string left = left_s >= 3600 ? fmt::format("{}h{:02}m", left_s / 3600, left_s / 60 % 60)
                               : left_s >= 60 ? fmt::format("{}m{:02}s", left_s / 60, left_s % 60)
                                              : fmt::format("{}s", left_s);
      std::fprintf(stderr, "\r[%s%s] %zu/%zu points, %s left   ", std::string(filled, '#').c_str(),
                   std::string(width - filled, '.').c_str(), done, total, left.c_str());
      if (done == total) std::fprintf(stderr, "\n");
      std::fflush(stderr);
    };
  }
#ifdef INFERCOST_MPI
  if (mpi_launched()) {
    const MpiSweepResult r = run_sweep_mpi(spec, options);
    if (!quiet && r.root) {
      fmt::print("sweep      {} points ({} run now on {} ranks)\noutputs    {}\n", spec.points.size(), r.points_run,
                 r.ranks, (options.dir / "sweep.csv").string());
    }
    return kExitOk;
  }
#endif
  const std::size_t ran = run_sweep(spec, options);
  if (!quiet) {
    fmt::print("sweep      {} points ({} run now, {} resumed)\noutputs    {}\n", spec.points.size(), ran,
               spec.points.size() - ran, (options.dir / "sweep.csv").string());
  }
  return kExitOk;
}

int cmd_validate(const std::vector<std::string>& files, const std::vector<std::string>& sets) {
  const Registries registries = builtin_registries();
  int rc = kExitOk;
  for (const auto& f : files) {
    try {
      const Scenario s = load_scenario(f, sets, registries);
      fmt::print("{}: ok ({}, {} replicas, {} users, {})\n", f, s.name, s.replicas, s.total_users(),
                 format_duration(s.duration));
    } catch (const ConfigError& e) {
      fmt::print(stderr, "{}\n", e.what());
      rc = kExitBadInput;
    }
  }
  return rc;
}

int cmd_bench_engine(std::uint64_t events, bool csv, std::vector<std::string> queues, std::vector<std::uint64_t> sizes) {
  if (sizes.empty()) sizes = {1'000, 10'000, 100'000, 1'000'000};
  if (queues.empty()) {
    queues = hold_queue_designs();
    queues.push_back("engine");
  }
  if (csv) fmt::print("queue,pending,events,wall_s,events_per_s,bytes_per_pending\n");
  else fmt::print("{:<16} {:>10} {:>12} {:>9} {:>12} {:>10}\n", "queue", "pending", "events", "wall_s", "events/s", "B/pending");
  for (std::uint64_t pending : sizes) {
    for (const auto& q : queues) {
      const HoldResult r = q == "engine" ? hold_engine(pending, events, 42) : hold_queue(q, pending, events, 42);
      if (csv) {
        fmt::print("{},{},{},{:.4f},{:.0f},{:.2f}\n", r.queue, r.pending, r.events, r.wall_s, r.events_per_s,
                   r.bytes_per_pending);
      } else {
        fmt::print("{:<16} {:>10} {:>12} {:>9.3f} {:>12.3e} {:>10.2f}\n", r.queue, r.pending, r.events, r.wall_s,
                   r.events_per_s, r.bytes_per_pending);
      }
      std::fflush(stdout);
    }
  }
  return kExitOk;
}

int cmd_bench_serving(const std::string& file, const std::vector<std::string>& sets, std::optional<std::uint64_t> seed,
                      bool csv) {
  const Registries registries = builtin_registries();
  const Scenario scenario = load_scenario(file, sets, registries);
  const ServingBenchResult r = bench_serving(scenario, seed.value_or(scenario.seed));
  if (csv) {
    fmt::print("scenario,simulated_s,requests,completed,events,wall_s,events_per_s,requests_per_wall_s,"
               "events_per_request,peak_rss_mib\n{},{},{},{},{},{:.4f},{:.0f},{:.0f},{:.3f},{:.1f}\n",
               r.scenario, r.simulated_s, r.requests_created, r.requests_completed, r.events, r.wall_s, r.events_per_s,
               r.requests_per_wall_s, r.events_per_request, r.peak_rss_mib);
    return kExitOk;
  }
  fmt::print("scenario            {} ({} simulated, {})\n", r.scenario, format_duration(from_seconds(r.simulated_s)),
             scenario.serving->describe());
  fmt::print("requests            {} created, {} completed\n", r.requests_created, r.requests_completed);
  fmt::print("events              {} in {:.3f} s wall: {:.3g} events/s, {:.2f} events per request\n", r.events,
             r.wall_s, r.events_per_s, r.events_per_request);
  fmt::print("simulated requests  {:.3g} per wall second\n", r.requests_per_wall_s);
  fmt::print("peak memory         {:.1f} MiB (ru_maxrss)\n", r.peak_rss_mib);
  return kExitOk;
}

/// Hidden: decode throughput of a scenario's serving model at fixed batch sizes (scripts/validate-serving).
int cmd_bench_decode(const std::string& file, const std::vector<std::string>& sets,
                     const std::vector<std::uint32_t>& batches, std::uint32_t input, std::uint32_t output) {
  const Registries registries = builtin_registries();
  const Scenario scenario = load_scenario(file, sets, registries);
  const auto* cb = dynamic_cast<const ContinuousBatchingConfig*>(scenario.serving.get());
  fmt::print("batch,decode_tokens_per_s,iteration_ms,ttft_ms,completion_ms,hbm_bound_tokens_per_s,busy_fraction,events\n");
  for (std::uint32_t b : batches) {
    const DecodeProbe p = probe_decode(*scenario.serving, b, input, output);
    double bound = 0.0;
    if (cb) {
      // Pure HBM bound at the mean context of the decode phase: weights + KV bytes at peak bandwidth.
      BatchShape shape;
      for (std::uint32_t i = 0; i < b; ++i) add_decode_token(shape, input + output / 2);
      const auto w = iteration_work(cb->settings().layout, shape);
      bound = b / (w.bytes_per_gpu() / cb->settings().layout.gpu.memory_bandwidth_bytes_per_s);
    }
    fmt::print("{},{:.1f},{:.3f},{:.2f},{:.6f},{:.1f},{:.3f},{}\n", b, p.decode_tokens_per_s, p.mean_iteration_s * 1e3,
               p.ttft_s * 1e3, p.completion_s * 1e3, bound, p.mean_busy_fraction, p.events);
  }
  return kExitOk;
}

/// Fits a measured-latency CSV and reports coefficients, R^2 and residuals (the `latency: {type: measured}` model).
int cmd_fit_latency(const std::string& file, bool residuals) {
  const auto samples = read_latency_csv(file);
  const LatencyFit fit = fit_latency(samples, file);
  fmt::print("{}: {} samples, R^2 {:.6f}, RMSE {:.4g} ms, max |residual| {:.4g} ms\n", file, samples.size(),
             fit.r_squared, fit.rmse_s * 1e3, fit.max_abs_residual_s * 1e3);
  for (std::size_t i = 0; i < kLatencyFeatures; ++i) {
    fmt::print("  {:<18} {:.6g} s\n", latency_feature_names()[i], fit.coefficients[i]);
  }
  if (residuals) {
    fmt::print("batch_size,prefill_tokens,decode_tokens,context_tokens,latency_s,fitted_s,residual_s\n");
    for (std::size_t i = 0; i < samples.size(); ++i) {
      const auto& x = samples[i];
      fmt::print("{},{},{},{},{},{},{}\n", x.batch_size, x.prefill_tokens, x.decode_tokens, x.context_tokens,
                 x.latency_s, x.latency_s - fit.residuals_s[i], fit.residuals_s[i]);
    }
  }
  return kExitOk;
}

int cmd_check(const std::string& out_dir, const std::string& baseline_file, bool update, bool no_fingerprint) {
  const RunOutputs run = read_run_outputs(out_dir);
  if (update) {
    std::optional<Baseline> previous;
    if (fs::exists(baseline_file)) previous = read_baseline(baseline_file);
    write_file_atomic(baseline_file, baseline_yaml(run, previous, !no_fingerprint));
    fmt::print("check: wrote {} ({} columns{})\n", baseline_file, run.summary.size(),
               !no_fingerprint && run.event_fingerprint ? " and the event fingerprint" : "");
    return kExitOk;
  }
  const CheckResult result = check_run(run, read_baseline(baseline_file));
  fmt::print("{}", format_check_report(result, baseline_file));
  return result.ok() ? kExitOk : kExitCheckFailed;
}

int cmd_list_models() {
  const Registries r = builtin_registries();
  auto list = [](const auto& reg) {
    fmt::print("{}s:\n", reg.family());
    for (const auto& [name, entry] : reg.entries()) fmt::print("  {:<20} {}\n", name, entry.description);
  };
  list(r.serving);
  list(r.routers);
  list(r.arrivals);
  list(r.lengths);
  list(r.policies);
  list(r.limiters);
  return kExitOk;
}

/// The options every scenario-running subcommand shares.
void add_set_option(CLI::App& cmd, std::vector<std::string>& sets) {
  cmd.add_option("--set", sets, "override a scenario key: key.path=value (repeatable)")->take_all();
}
void add_seed_option(CLI::App& cmd, std::optional<std::uint64_t>& seed) {
  cmd.add_option("--seed", seed, "override the scenario's seed");
}

}  // namespace

int main(int argc, char** argv) {
  infercost::reexec_with_huge_pages(argv);
  CLI::App app{"infercost: a discrete-event simulator of what it costs to serve LLMs on GPU clusters, and who pays."};
  app.set_version_flag("--version", std::string("infercost ") + INFERCOST_VERSION);
  app.require_subcommand(1);
  app.footer(
      "Examples:\n"
      "  infercost run scenarios/subscription-247.yaml\n"
      "  infercost run scenarios/md1.yaml -o out/md1 --seed 7 --set cluster.replicas=4 --set duration=2h --set warmup=0\n"
      "  infercost compare scenarios/policies-subscription.yaml --policies unlimited,caps -j 2\n"
      "  infercost sweep scenarios/sweep-example.yaml --grid cluster.replicas=1,2,4 --grid seed=1,2 -j 2\n"
      "  infercost validate scenarios/*.yaml\n"
      "  infercost report out/mm1 -o mm1.html\n"
      "  infercost bench engine\n"
      "  infercost bench serving\n"
      "  infercost check out/md1 --baseline tests/baselines/md1.yaml\n"
      "  infercost list-models");

  std::string file, out_dir;
  std::vector<std::string> sets, files;
  std::optional<std::uint64_t> seed;
  bool quiet = false;
  auto* run = app.add_subcommand("run", "run a scenario and write its outputs");
  run->add_option("FILE", file, "scenario YAML file")->required();
  run->add_option("-o,--output", out_dir, "output directory (default out/<scenario name>/)");
  add_seed_option(*run, seed);
  add_set_option(*run, sets);
  run->add_flag("-q,--quiet", quiet, "print nothing on success");
  bool with_report = false;
  run->add_flag("--report", with_report, "also write report.html (charts of the outputs) into the output directory");

  std::string report_dir, report_out;
  auto* report = app.add_subcommand("report", "write a self-contained report.html with charts of a run's outputs");
  report->add_option("DIR", report_dir, "folder of run outputs (summary.csv, timeseries.csv, users.csv, ...)")->required();
  report->add_option("-o,--output", report_out, "file to write (default DIR/report.html)");

  std::string policies_csv;
  unsigned jobs = 1;
  auto* compare = app.add_subcommand("compare", "run a scenario under each policy set (same seed, same arrivals) "
                                                "and write compare.csv and compare_plans.csv");
  compare->add_option("FILE", file, "scenario YAML file")->required();
  compare->add_option("--policies", policies_csv, "comma-separated policy sets (default: all, unlimited first)");
  compare->add_option("-o,--output", out_dir, "output directory (default out/<scenario name>-compare/)");
  compare->add_option("-j,--jobs", jobs, "runs at once (threads); results do not depend on it")
      ->check(CLI::Range(1u, 1024u));
  add_seed_option(*compare, seed);
  add_set_option(*compare, sets);
  compare->add_flag("-q,--quiet", quiet, "print nothing on success");

  std::vector<std::string> sweep_grid;
  std::string sweep_points;
  unsigned sweep_replicas = 1;
  bool sweep_resume = false;
  auto* sweep = app.add_subcommand("sweep", "run a scenario at every point of a grid (or a CSV of points) and write "
                                            "sweep.csv: compare.csv's columns plus the swept keys");
  sweep->add_option("FILE", file, "scenario YAML file")->required();
  sweep->add_option("--grid", sweep_grid, "key.path=v1,v2,... (repeatable; the cartesian product is swept, "
                                          "the last --grid varying fastest)");
  sweep->add_option("--points", sweep_points, "CSV of points instead: the header names the keys, each row is a point");
  sweep->add_option("--policies", policies_csv, "comma-separated policy sets run at each point (default: the active set)");
  sweep->add_option("-o,--output", out_dir, "output directory (default out/<file stem>-sweep/)");
  sweep->add_option("-j,--jobs", jobs, "points at once (threads); results do not depend on it")
      ->check(CLI::Range(1u, 1024u));
  sweep->add_option("--seed", seed, "override every point's seed");
  sweep->add_option("--set", sets, "override a scenario key at every point: key.path=value (repeatable)")->take_all();
  sweep->add_option("--replicas", sweep_replicas, "runs per point with derived seeds: means and 95% CI half-widths")
      ->check(CLI::Range(1u, 100000u));
  sweep->add_flag("--resume", sweep_resume, "keep the points an earlier, interrupted run of this sweep wrote");
  sweep->add_flag("-q,--quiet", quiet, "print nothing on success");

  auto* validate = app.add_subcommand("validate", "check scenario files without running them (exit 0 or 2)");
  validate->add_option("FILES", files, "scenario YAML files")->required();
  add_set_option(*validate, sets);

  std::uint64_t bench_events = 20'000'000;
  bool bench_csv = false;
  auto* bench = app.add_subcommand("bench", "benchmarks");
  bench->require_subcommand(1);
  std::vector<std::string> bench_queues;
  std::vector<std::uint64_t> bench_sizes;
  auto* bench_engine =
      bench->add_subcommand("engine", "hold-model event throughput at 1e3, 1e4, 1e5, 1e6 pending events");
  bench_engine->add_option("--events", bench_events, "events per measurement (default 2e7)");
  bench_engine->add_flag("--csv", bench_csv, "print CSV");
  bench_engine->add_option("--queue", bench_queues, "queue designs to measure (default all, and engine)")
      ->check(CLI::IsMember([] {
        auto q = hold_queue_designs();
        q.push_back("engine");
        return q;
      }()));
  bench_engine->add_option("--pending", bench_sizes, "pending-event counts (default 1e3 1e4 1e5 1e6)");

  std::string check_dir, check_baseline;
  bool check_update = false, check_no_fingerprint = false;
  auto* check = app.add_subcommand("check", "compare a run's summary.csv and fingerprint with a baseline (exit 0, or 3 on any difference)");
  check->add_option("OUT_DIR", check_dir, "output directory of a run")->required();
  check->add_option("--baseline", check_baseline, "baseline file (tests/baselines/*.yaml)")->required();
  check->add_flag("--update", check_update, "write or refresh the baseline from this run (keeps its tolerances)");
  check->add_flag("--no-fingerprint", check_no_fingerprint, "with --update: leave the event fingerprint out");

  std::string bench_file = std::string(INFERCOST_SOURCE_DIR) + "/scenarios/bench/fleet-70b-hour.yaml";
  auto* bench_serving_cmd = bench->add_subcommand(
      "serving", "one simulated hour of 64 H100s serving Llama-3.1-70B: events/s, requests per wall second, peak memory");
  bench_serving_cmd->add_option("FILE", bench_file, "scenario (default scenarios/bench/fleet-70b-hour.yaml)");
  add_set_option(*bench_serving_cmd, sets);
  add_seed_option(*bench_serving_cmd, seed);
  bench_serving_cmd->add_flag("--csv", bench_csv, "print CSV");
  std::vector<std::uint32_t> decode_batches{1, 8, 64};
  std::uint32_t decode_input = 512, decode_output = 256;
  auto* bench_decode = bench->add_subcommand("decode", "decode throughput at fixed batch sizes (validation)");
  bench_decode->group("");  // hidden: used by scripts/validate-serving
  bench_decode->add_option("FILE", file, "scenario with a serving model")->required();
  add_set_option(*bench_decode, sets);
  bench_decode->add_option("--batch", decode_batches, "batch sizes")->delimiter(',');
  bench_decode->add_option("--input", decode_input, "prompt tokens per request");
  bench_decode->add_option("--output", decode_output, "output tokens per request (>= 2)");

  std::string fit_file;
  bool fit_residuals = false;
  auto* fit_latency_cmd =
      app.add_subcommand("fit-latency", "fit a CSV of measured iteration latencies; print coefficients, R^2, residuals");
  fit_latency_cmd->add_option("CSV", fit_file, "batch_size,prefill_tokens,decode_tokens,context_tokens,latency_s")
      ->required();
  fit_latency_cmd->add_flag("--residuals", fit_residuals, "print every sample with its fitted value and residual");

  auto* list_models = app.add_subcommand("list-models", "list the model types a scenario may name");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : kExitBadInput;
  }

  try {
    if (*run) return cmd_run(file, out_dir, seed, sets, quiet, with_report);
    if (*compare) {
      return cmd_compare(file, out_dir, seed, sets, split_list(policies_csv), jobs, quiet);
    }
    if (*sweep) {
      SweepSpec spec;
      spec.file = file;
      spec.overrides = sets;
      spec.policies = split_list(policies_csv);
      spec.seed = seed;
      spec.replicas = sweep_replicas;
      return cmd_sweep(spec, sweep_grid, sweep_points, out_dir, jobs, sweep_resume, quiet);
    }
    if (*report) return cmd_report(report_dir, report_out);
    if (*validate) return cmd_validate(files, sets);
    if (*bench_serving_cmd) return cmd_bench_serving(bench_file, sets, seed, bench_csv);
    if (*bench_decode) return cmd_bench_decode(file, sets, decode_batches, decode_input, decode_output);
    if (*fit_latency_cmd) return cmd_fit_latency(fit_file, fit_residuals);
    if (*bench_engine) return cmd_bench_engine(bench_events, bench_csv, bench_queues, bench_sizes);
    if (*check) return cmd_check(check_dir, check_baseline, check_update, check_no_fingerprint);
    if (*list_models) return cmd_list_models();
  } catch (const Error& e) {
    fmt::print(stderr, "infercost: {}\n", e.what());
    return e.exit_code();
  } catch (const std::exception& e) {
    fmt::print(stderr, "infercost: internal error: {}\n", e.what());
    return kExitFailure;
  }
  return kExitOk;
}
