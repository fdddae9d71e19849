// Every column of every CSV infercost writes is documented in docs/outputs.md, in its file's section.
#include <catch2/catch.hpp>

#include <map>
#include <sstream>

#include "../test_support.hpp"
#include "infercost/policy/compare.hpp"

using namespace infercost;
namespace fs = std::filesystem;

namespace {

/// docs/outputs.md split into sections by their "## `file`" headings.
std::map<std::string, std::string> doc_sections() {
  const std::string doc = test::read_file(test::repo_path("docs/outputs.md"));
  std::map<std::string, std::string> out;
  std::size_t pos = 0;
  while ((pos = doc.find("\n## `", pos)) != std::string::npos) {
    const std::size_t name_start = pos + 5;
    const std::string name = doc.substr(name_start, doc.find('`', name_start) - name_start);
    const std::size_t next = doc.find("\n## ", name_start);
    out[name] = doc.substr(name_start, next == std::string::npos ? std::string::npos : next - name_start);
    pos = name_start;
  }
  return out;
}

std::vector<std::string> header_of(const std::string& csv) {
  std::vector<std::string> cols;
  std::stringstream line(csv.substr(0, csv.find('\n')));
  std::string c;
  while (std::getline(line, c, ',')) cols.push_back(c);
  return cols;
}

void check_documented(const std::string& file, const std::string& csv, const std::map<std::string, std::string>& doc,
                      const std::string& fallback_section = "") {
  INFO(file);
  REQUIRE(doc.count(file) == 1);
  for (const auto& col : header_of(csv)) {
    INFO(col);
    const std::string cell = "`" + col + "`";
    const bool here = doc.at(file).find(cell) != std::string::npos;
    const bool there = !fallback_section.empty() && doc.at(fallback_section).find("| " + cell) != std::string::npos;
    CHECK((here || there));
  }
}

}  // namespace

TEST_CASE("outputs: every CSV column is documented in docs/outputs.md", "[analysis][outputs]") {
  const auto doc = doc_sections();
  const auto dir = test::temp_dir("outputs-doc");
  const Scenario s = test::load("scenarios/power-two-sites.yaml", {"duration=1h", "warmup=0"});
  Simulation sim(s, s.seed);
  const RunInfo info = sim.run();
  write_run_outputs(dir, s, sim, info);
  for (const char* f : {"summary.csv", "users.csv", "plans.csv", "replicas.csv", "timeseries.csv", "sites.csv"}) {
    REQUIRE(fs::exists(dir / f));
    check_documented(f, test::read_file(dir / f), doc);
  }
  check_documented("classes.csv", test::read_file(dir / "classes.csv"), doc, "plans.csv");

  const Scenario p = test::load("scenarios/api-tiers.yaml", {"duration=10m", "warmup=0"});
  CompareOptions o;
  const CompareResult r = compare_policies(p, o);
  check_documented("compare.csv", r.runs.to_string(), doc);
  check_documented("compare_plans.csv", r.plans.to_string(), doc);
}
