#include "infercost/analysis/sweep.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "infercost/io/csv_reader.hpp"
#include "infercost/policy/compare.hpp"
#include "../test_support.hpp"

using namespace infercost;
namespace fs = std::filesystem;

namespace {

SweepSpec example_spec() {
  SweepSpec spec;
  spec.file = test::repo_path("scenarios/sweep-example.yaml");
  spec.overrides = {"duration=30m", "warmup=0s"};
  const std::vector<SweepAxis> axes{{"cluster.replicas", {"1", "2"}},
                                    {"workload.classes.0.arrival.rate", {"0.05/s", "0.1/s", "0.2/s"}}};
  for (const auto& a : axes) spec.keys.push_back(a.key);
  spec.points = grid_points(axes);
  return spec;
}

std::string run_to_text(const SweepSpec& spec, const std::string& name, unsigned jobs) {
  SweepRunOptions options;
  options.jobs = jobs;
  const auto dir = test::temp_dir(name);
  options.dir = dir;
  run_sweep(spec, options);
  CHECK_FALSE(fs::exists(options.dir / "sweep.csv.partial"));
  return test::read_file(options.dir / "sweep.csv");
}

/// A cell of sweep.csv text by data row and column name.
std::string cell(const std::string& csv, std::size_t row, const std::string& column) {
  const CsvDocument doc = CsvDocument::parse(csv, "sweep.csv");
  return doc.text(row, doc.column(column));
}

}  // namespace

TEST_CASE("sweep: the grid is the cartesian product, the first axis slowest", "[sweep]") {
  const auto points = grid_points({parse_grid_axis("a=1,2"), parse_grid_axis("b.c=x,y,z")});
  const std::vector<std::vector<std::string>> expected{{"1", "x"}, {"1", "y"}, {"1", "z"},
                                                       {"2", "x"}, {"2", "y"}, {"2", "z"}};
  CHECK(points == expected);
  CHECK(parse_grid_axis("k=5").values == std::vector<std::string>{"5"});
  CHECK_THROWS_AS(parse_grid_axis("no-equals"), ConfigError);
  CHECK_THROWS_AS(parse_grid_axis("k="), ConfigError);
}

TEST_CASE("sweep: -j1 and -j2 write byte-identical sweep.csv, rows in point order", "[sweep]") {
  const SweepSpec spec = example_spec();
  const std::string one = run_to_text(spec, "sweep-j1", 1);
  const std::string two = run_to_text(spec, "sweep-j2", 2);
  CHECK(one == two);
  const CsvDocument doc = CsvDocument::parse(one, "sweep.csv");
  REQUIRE(doc.rows() == 6);
  CHECK(doc.header()[0] == "point");
  CHECK(doc.header()[1] == "cluster.replicas");
  CHECK(doc.header()[2] == "workload.classes.0.arrival.rate");
  CHECK(doc.header().back() == "error");
  for (std::size_t r = 0; r < 6; ++r) {
    CHECK(doc.text(r, 0) == std::to_string(r));
    CHECK(doc.text(r, 1) == spec.points[r][0]);
    CHECK(doc.text(r, 2) == spec.points[r][1]);
    CHECK(doc.text(r, doc.column("error")).empty());
  }
  // Same seed at every point: more load submits more requests, more replicas serve them sooner.
  CHECK(std::stod(cell(one, 2, "requests_submitted")) > std::stod(cell(one, 0, "requests_submitted")));
  CHECK(std::stod(cell(one, 5, "latency_p99_s")) < std::stod(cell(one, 2, "latency_p99_s")));
}

TEST_CASE("sweep: a row carries compare.csv's row of the same run", "[sweep]") {
  SweepSpec spec = example_spec();
  spec.points = {spec.points[4]};
  const std::string text = run_to_text(spec, "sweep-same-as-compare", 1);
  const Scenario s = test::load("scenarios/sweep-example.yaml",
                                {"duration=30m", "warmup=0s", "cluster.replicas=2", "workload.classes.0.arrival.rate=0.1/s"});
  CsvTable runs = compare_runs_table(), plans = compare_plans_table();
  run_policy_set(s, {s.policy_name, s.policy}, s.seed, runs, plans);
  const std::string compare_row = runs.to_string().substr(runs.to_string().find('\n') + 1);
  const std::string sweep_row = text.substr(text.find('\n') + 1);
  CHECK(sweep_row == "0,2,0.1/s," + compare_row.substr(0, compare_row.size() - 1) + ",\n");
}

TEST_CASE("sweep: points from a CSV whose header names the keys", "[sweep]") {
  const auto dir = test::temp_dir("sweep-points");
  {
    std::ofstream out(dir / "points.csv");
    out << "cluster.replicas,seed\n1,3\n2,\"4\"\n";
  }
  SweepSpec spec;
  spec.file = test::repo_path("scenarios/sweep-example.yaml");
  spec.overrides = {"duration=20m"};
  read_points_csv(dir / "points.csv", spec.keys, spec.points);
  CHECK(spec.keys == std::vector<std::string>{"cluster.replicas", "seed"});
  REQUIRE(spec.points.size() == 2);
  const std::string text = run_to_text(spec, "sweep-points-out", 2);
  // The swept seed is the run's seed; its column is prefixed, so no two columns share a name.
  CHECK(CsvDocument::parse(text, "sweep.csv").header()[2] == "swept.seed");
  CHECK(cell(text, 0, "swept.seed") == "3");
  CHECK(cell(text, 0, "seed") == "3");
  CHECK(cell(text, 1, "seed") == "4");
  CHECK(cell(text, 1, "cluster.replicas") == "2");
  CHECK(cell(text, 0, "event_fingerprint") != cell(text, 1, "event_fingerprint"));
}

TEST_CASE("sweep: a point that fails validation gets an error and empty metrics; the others run", "[sweep]") {
  SweepSpec spec = example_spec();
  spec.keys = {"cluster.replicas"};
  spec.points = {{"1"}, {"0"}, {"2"}};
  spec.policies = {"unlimited", "no-such-set"};
  const std::string text = run_to_text(spec, "sweep-errors", 2);
  const CsvDocument doc = CsvDocument::parse(text, "sweep.csv");
  REQUIRE(doc.rows() == 6);  // two rows (policy sets) per point
  const std::size_t err = doc.column("error"), completed = doc.column("requests_completed");
  CHECK(doc.text(0, err).empty());
  CHECK_FALSE(doc.text(0, completed).empty());
  CHECK(doc.text(1, err).find("no-such-set") != std::string::npos);
  CHECK(doc.text(1, completed).empty());
  for (std::size_t r : {2, 3}) {
    CHECK(doc.text(r, 0) == "1");
    CHECK(doc.text(r, err).find("cluster.replicas") != std::string::npos);
    CHECK(doc.text(r, completed).empty());
  }
  CHECK(doc.text(4, err).empty());
  CHECK(doc.text(4, doc.column("policy")) == "unlimited");
}

TEST_CASE("sweep: Student t critical values", "[sweep]") {
  // Two-sided 95% values from the t table (e.g. NIST/SEMATECH e-Handbook, 1.3.6.7.2).
  CHECK(student_t_975(1) == Approx(12.706204736174705).epsilon(1e-12));
  CHECK(student_t_975(2) == Approx(4.302652729749464).epsilon(1e-12));
  CHECK(student_t_975(4) == Approx(2.7764451051977934).epsilon(1e-12));
  CHECK(student_t_975(9) == Approx(2.2621571627982053).epsilon(1e-12));
  CHECK(student_t_975(30) == Approx(2.0422724563012373).epsilon(1e-12));
  // Large dof: the normal quantile z plus the first Cornish-Fisher term (z^3 + z) / (4 dof); the next is O(dof^-2).
  const double z = 1.959963984540054;
  CHECK(student_t_975(100000) == Approx(z + (z * z * z + z) / 4e5).epsilon(1e-9));
}

TEST_CASE("sweep: replicas report the mean and a hand-computed 95% t half-width", "[sweep]") {
  SweepSpec spec = example_spec();
  spec.keys = {"cluster.replicas"};
  spec.points = {{"1"}};
  spec.replicas = 3;
  const std::string text = run_to_text(spec, "sweep-replicas", 1);
  CHECK(cell(text, 0, "replicas") == "3");
  CHECK(cell(text, 0, "seed") == "7");

  const Scenario s = test::load("scenarios/sweep-example.yaml", {"duration=30m", "warmup=0s", "cluster.replicas=1"});
  std::vector<double> x;
  for (unsigned k = 0; k < 3; ++k) {
    CsvTable runs = compare_runs_table(), plans = compare_plans_table();
    run_policy_set(s, {s.policy_name, s.policy}, replica_seed(7, k), runs, plans);
    const CsvDocument doc = CsvDocument::parse(runs.to_string(), "compare");
    x.push_back(doc.number(0, doc.column("requests_completed")));
  }
  CHECK(x[0] != x[1]);  // the replicas really differ
  const double mean = (x[0] + x[1] + x[2]) / 3;
  const double var = ((x[0] - mean) * (x[0] - mean) + (x[1] - mean) * (x[1] - mean) + (x[2] - mean) * (x[2] - mean)) / 2;
  const double half = 4.302652729749464 * std::sqrt(var) / std::sqrt(3.0);
  CHECK(std::stod(cell(text, 0, "requests_completed")) == Approx(mean).epsilon(1e-12));
  CHECK(std::stod(cell(text, 0, "requests_completed_ci95")) == Approx(half).epsilon(1e-9));
  CHECK(cell(text, 0, "duration_s_ci95") == "0");
}

TEST_CASE("sweep: resume after a kill gives the same sweep.csv", "[sweep]") {
  const SweepSpec spec = example_spec();
  const std::string full = run_to_text(spec, "sweep-full", 1);

  // What a sweep killed while writing point 1 leaves: the journal with points 3 and 0 done (in finishing
  // order), then a torn line.
  const auto dir = test::temp_dir("sweep-resume");
  std::vector<std::string> lines;
  for (std::size_t pos = 0; pos < full.size();) {
    const std::size_t end = full.find('\n', pos);
    lines.push_back(full.substr(pos, end + 1 - pos));
    pos = end + 1;
  }
  {
    std::ofstream out(dir / "sweep.csv.partial", std::ios::binary);
    out << lines[0] << lines[4] << lines[1] << lines[2].substr(0, lines[2].size() / 2);
  }
  SweepRunOptions options;
  options.dir = dir;
  options.resume = true;
  options.jobs = 2;
  CHECK(run_sweep(spec, options) == 4);
  CHECK(test::read_file(dir / "sweep.csv") == full);
  CHECK_FALSE(fs::exists(dir / "sweep.csv.partial"));

  // Resuming a finished sweep runs nothing and rewrites the same file; a different grid reuses nothing.
  CHECK(run_sweep(spec, options) == 0);
  CHECK(test::read_file(dir / "sweep.csv") == full);
  SweepSpec other = spec;
  other.points[0][0] = "3";
  CHECK(run_sweep(other, options) == 1);
}

TEST_CASE("sweep: the CLI writes sweep.csv and rejects a sweep with no points", "[sweep]") {
  const auto dir = test::temp_dir("sweep-cli");
  std::string err;
  std::string out;
  CHECK(test::run_cli("sweep scenarios/sweep-example.yaml --set duration=10m --grid cluster.replicas=1,2 -j 2 -o " +
                          dir.string(), &err, &out) == 0);
  CHECK(err.empty());  // no progress bar when stderr is not a terminal
  CHECK(out.find("2 points") != std::string::npos);
  CHECK(CsvDocument::read(dir / "sweep.csv").rows() == 2);
  CHECK(test::run_cli("sweep scenarios/sweep-example.yaml -q -o " + dir.string(), &err) == 2);
  CHECK(err.find("--grid") != std::string::npos);
}
