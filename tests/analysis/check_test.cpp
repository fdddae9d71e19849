#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "infercost/analysis/check.hpp"
#include "infercost/io/errors.hpp"
#include "../test_support.hpp"

using namespace infercost;
namespace fs = std::filesystem;

namespace {

fs::path scratch_dir(const std::string& name) {
  static const test::TempDir root("check");  // removed, with every scratch folder, when the process exits
  const fs::path dir = root / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void write(const fs::path& file, const std::string& text) {
  std::ofstream(file, std::ios::binary) << text;
}

// A run directory with a summary row and a run.json fingerprint.
fs::path make_run(const std::string& name, const std::string& latency = "2.5", const std::string& completed = "1000") {
  const fs::path dir = scratch_dir(name);
  write(dir / "summary.csv", "scenario,requests_completed,latency_mean_s,latency_p99_s,note\n"
                             "md1," + completed + "," + latency + ",10.25,\"a, quoted \"\"cell\"\"\"\n");
  write(dir / "run.json", "{\n  \"scenario_file\": \"scenarios/md1.yaml\",\n  \"event_fingerprint\": \"00000000deadbeef\"\n}\n");
  return dir;
}

int run_cli(const std::string& args) {
  const int status = std::system((std::string(INFERCOST_BIN) + " " + args + " >/dev/null 2>&1").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TEST_CASE("check passes an identical run and reads quoted CSV cells", "[check]") {
  const fs::path run_dir = make_run("identical");
  const RunOutputs run = read_run_outputs(run_dir);
  REQUIRE(run.summary.size() == 5);
  REQUIRE(run.summary[4].second == "a, quoted \"cell\"");
  REQUIRE(run.event_fingerprint == std::optional<std::string>("00000000deadbeef"));
  const fs::path baseline = run_dir / "baseline.yaml";
  write(baseline, baseline_yaml(run, std::nullopt, true));
  const Baseline b = read_baseline(baseline);
  REQUIRE(b.scenario == "scenarios/md1.yaml");
  REQUIRE(b.event_fingerprint == std::optional<std::string>("00000000deadbeef"));
  const CheckResult r = check_run(run, b);
  REQUIRE(r.ok());
  REQUIRE(r.compared == 6);
}

TEST_CASE("check names the column that moved", "[check]") {
  const RunOutputs before = read_run_outputs(make_run("before"));
  const Baseline b = [&] {
    const fs::path file = scratch_dir("moved-baseline") / "b.yaml";
    write(file, baseline_yaml(before, std::nullopt, true));
    return read_baseline(file);
  }();
  SECTION("a float beyond the default tolerance") {
    const CheckResult r = check_run(read_run_outputs(make_run("float", "2.5000001")), b);
    REQUIRE(r.differences.size() == 1);
    REQUIRE(r.differences[0].column == "latency_mean_s");
    REQUIRE(r.differences[0].actual == "2.5000001");
    REQUIRE(format_check_report(r, "b.yaml").find("latency_mean_s") != std::string::npos);
  }
  SECTION("an integer off by one") {
    const CheckResult r = check_run(read_run_outputs(make_run("int", "2.5", "1001")), b);
    REQUIRE(r.differences.size() == 1);
    REQUIRE(r.differences[0].column == "requests_completed");
    REQUIRE(r.differences[0].rule.find("exactly") != std::string::npos);
  }
  SECTION("the fingerprint alone") {
    RunOutputs changed = before;
    changed.event_fingerprint = "00000000deadbeee";
    const CheckResult r = check_run(changed, b);
    REQUIRE(r.differences.size() == 1);
    REQUIRE(r.differences[0].column == "event_fingerprint");
  }
  SECTION("a column gone, a column new") {
    RunOutputs changed = before;
    changed.summary[3].first = "latency_p999_s";
    const CheckResult r = check_run(changed, b);
    REQUIRE(r.differences.size() == 1);
    REQUIRE(r.differences[0].column == "latency_p99_s");
    REQUIRE(r.new_columns == std::vector<std::string>{"latency_p999_s"});
  }
}

TEST_CASE("check respects per-column tolerances and --update keeps them", "[check]") {
  const fs::path dir = scratch_dir("tolerance");
  const fs::path file = dir / "b.yaml";
  write(file,
        "scenario: scenarios/md1.yaml\n"
        "run_args: [--set, duration=1h]\n"
        "default_relative_tolerance: 1e-9\n"
        "relative_tolerance:\n  latency_mean_s: 0.01\n  requests_completed: 0.001\n"
        "summary:\n  scenario: md1\n  requests_completed: 1000\n  latency_mean_s: 2.5\n");
  const Baseline b = read_baseline(file);
  REQUIRE(b.run_args == std::vector<std::string>{"--set", "duration=1h"});
  REQUIRE(check_run(read_run_outputs(make_run("tol-in", "2.52", "1001")), b).ok());
  const CheckResult out = check_run(read_run_outputs(make_run("tol-out", "2.53")), b);
  REQUIRE(out.differences.size() == 1);
  REQUIRE(out.differences[0].column == "latency_mean_s");
  // Refreshing keeps scenario, run_args and tolerances, and takes the new values.
  write(file, baseline_yaml(read_run_outputs(make_run("tol-new", "3.5")), b, false));
  const Baseline refreshed = read_baseline(file);
  REQUIRE(refreshed.relative_tolerance.at("latency_mean_s") == 0.01);
  REQUIRE(refreshed.run_args == b.run_args);
  REQUIRE_FALSE(refreshed.event_fingerprint);
  REQUIRE(refreshed.summary[2] == std::make_pair(std::string("latency_mean_s"), std::string("3.5")));
}

TEST_CASE("malformed baselines are input errors", "[check]") {
  const fs::path dir = scratch_dir("malformed");
  write(dir / "typo.yaml", "summary:\n  a: 1\nrelative_tolerence:\n  a: 0.1\n");
  REQUIRE_THROWS_WITH(read_baseline(dir / "typo.yaml"), Catch::Contains("typo.yaml:3:1") && Catch::Contains("relative_tolerance"));
  write(dir / "fp.yaml", "event_fingerprint: xyz\nsummary:\n  a: 1\n");
  REQUIRE_THROWS_AS(read_baseline(dir / "fp.yaml"), ConfigError);
  write(dir / "tol.yaml", "relative_tolerance:\n  b: 0.1\nsummary:\n  a: 1\n");
  REQUIRE_THROWS_WITH(read_baseline(dir / "tol.yaml"), Catch::Contains("not a column"));
  REQUIRE_THROWS_AS(read_run_outputs(dir / "nowhere"), ConfigError);
}

TEST_CASE("infercost check exits 0, 3 on differences, 2 on bad input, and --update writes", "[check]") {
  const fs::path run_dir = make_run("cli");
  const fs::path baseline = run_dir / "baseline.yaml";
  REQUIRE(run_cli("check " + run_dir.string() + " --baseline " + baseline.string() + " --update") == 0);
  REQUIRE(run_cli("check " + run_dir.string() + " --baseline " + baseline.string()) == 0);
  const fs::path moved = make_run("cli-moved", "2.6");
  REQUIRE(run_cli("check " + moved.string() + " --baseline " + baseline.string()) == 3);
  REQUIRE(run_cli("check " + moved.string() + " --baseline " + (run_dir / "missing.yaml").string()) == 2);
}

TEST_CASE("check compares the unallocated remainder relative to the bill", "[check]") {
  Baseline b;
  b.summary = {{"cost_total_usd", "100"}, {"cost_unallocated_usd", "1.1e-14"}};
  RunOutputs run;
  // Summing the same costs in another order moves a remainder of rounding noise by a large share of itself.
  run.summary = {{"cost_total_usd", "100"}, {"cost_unallocated_usd", "1.06e-14"}};
  CHECK(check_run(run, b).ok());
  // A remainder that moved by a billionth of the bill is a real difference.
  run.summary[1].second = "2e-7";
  const CheckResult out = check_run(run, b);
  REQUIRE(out.differences.size() == 1);
  CHECK(out.differences[0].column == "cost_unallocated_usd");
  // Other columns stay relative to themselves.
  b.summary = {{"cost_total_usd", "100"}, {"latency_mean_s", "1.1e-14"}};
  run.summary = {{"cost_total_usd", "100"}, {"latency_mean_s", "1.06e-14"}};
  CHECK_FALSE(check_run(run, b).ok());
}
