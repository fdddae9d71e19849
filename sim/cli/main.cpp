// infercost: the command-line entry point. It only wires YAML -> engine -> outputs.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "infercost/analysis/html_report.hpp"
#include "infercost/analysis/report.hpp"
#include "infercost/core/scenario.hpp"
#include "infercost/core/simulation.hpp"
#include "infercost/engine/hold_bench.hpp"
#include "infercost/io/errors.hpp"

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
  fmt::print("engine     {} events in {:.3f} s wall ({:.3g} events/s)\n", info.events, info.wall_s,
             info.wall_s > 0 ? static_cast<double>(info.events) / info.wall_s : 0.0);
  fmt::print("outputs    {}\n", (dir / "summary.csv").string());
  fmt::print("           {}\n", (dir / "run.json").string());
}

int cmd_run(const std::string& file, const std::string& out_dir, std::optional<std::uint64_t> seed,
            const std::vector<std::string>& sets, bool quiet, bool report = false) {
  const Registries registries = builtin_registries();
  const Scenario scenario = load_scenario(file, sets, registries);
  const std::uint64_t run_seed = seed.value_or(scenario.seed);
  const fs::path dir = out_dir.empty() ? fs::path("out") / scenario.name : fs::path(out_dir);
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

int cmd_bench_engine(std::uint64_t events, bool csv) {
  const std::uint64_t sizes[] = {1'000, 100'000, 1'000'000};
  if (csv) fmt::print("queue,pending,events,wall_s,events_per_s\n");
  else fmt::print("{:<16} {:>10} {:>12} {:>9} {:>14}\n", "queue", "pending", "events", "wall_s", "events/s");
  for (std::uint64_t pending : sizes) {
    for (const auto& r : {hold_queue("binary_heap", pending, events, 42), hold_queue("quaternary_heap", pending, events, 42),
                          hold_engine(pending, events, 42)}) {
      if (csv) fmt::print("{},{},{},{:.4f},{:.0f}\n", r.queue, r.pending, r.events, r.wall_s, r.events_per_s);
      else fmt::print("{:<16} {:>10} {:>12} {:>9.3f} {:>14.3e}\n", r.queue, r.pending, r.events, r.wall_s, r.events_per_s);
    }
  }
  return kExitOk;
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
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"infercost: a discrete-event simulator of what it costs to serve LLMs on GPU clusters, and who pays."};
  app.set_version_flag("--version", std::string("infercost ") + INFERCOST_VERSION);
  app.require_subcommand(1);
  app.footer(
      "Examples:\n"
      "  infercost run scenarios/subscription-247.yaml\n"
      "  infercost run scenarios/mm1.yaml -o out/mm1 --seed 7 --set cluster.replicas=4 --set duration=2h\n"
      "  infercost validate scenarios/*.yaml\n"
      "  infercost report out/mm1 -o mm1.html\n"
      "  infercost bench engine\n"
      "  infercost list-models");

  std::string file, out_dir;
  std::vector<std::string> sets, files;
  std::optional<std::uint64_t> seed;
  bool quiet = false;
  auto* run = app.add_subcommand("run", "run a scenario and write its outputs");
  run->add_option("FILE", file, "scenario YAML file")->required();
  run->add_option("-o,--output", out_dir, "output directory (default out/<scenario name>/)");
  run->add_option("--seed", seed, "override the scenario's seed");
  run->add_option("--set", sets, "override a scenario key: key.path=value (repeatable)")->take_all();
  run->add_flag("-q,--quiet", quiet, "print nothing on success");
  bool with_report = false;
  run->add_flag("--report", with_report, "also write report.html (charts of the outputs) into the output directory");

  std::string report_dir, report_out;
  auto* report = app.add_subcommand("report", "write a self-contained report.html with charts of a run's outputs");
  report->add_option("DIR", report_dir, "folder of run outputs (summary.csv, timeseries.csv, users.csv, ...)")->required();
  report->add_option("-o,--output", report_out, "file to write (default DIR/report.html)");

  auto* validate = app.add_subcommand("validate", "check scenario files without running them (exit 0 or 2)");
  validate->add_option("FILES", files, "scenario YAML files")->required();
  validate->add_option("--set", sets, "override a scenario key: key.path=value (repeatable)")->take_all();

  std::uint64_t bench_events = 20'000'000;
  bool bench_csv = false;
  auto* bench = app.add_subcommand("bench", "benchmarks");
  bench->require_subcommand(1);
  auto* bench_engine = bench->add_subcommand("engine", "hold-model event throughput at 1e3, 1e5, 1e6 pending events");
  bench_engine->add_option("--events", bench_events, "events per measurement (default 2e7)");
  bench_engine->add_flag("--csv", bench_csv, "print CSV");

  auto* list_models = app.add_subcommand("list-models", "list the model types a scenario may name");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : kExitBadInput;
  }

  try {
    if (*run) return cmd_run(file, out_dir, seed, sets, quiet, with_report);
    if (*report) return cmd_report(report_dir, report_out);
    if (*validate) return cmd_validate(files, sets);
    if (*bench_engine) return cmd_bench_engine(bench_events, bench_csv);
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
