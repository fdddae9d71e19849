// End-to-end checks of the infercost command: bad input, exit codes, outputs.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>

#include "../test_support.hpp"

using namespace infercost;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> expectations(const fs::path& file) {
  std::vector<std::string> out;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("# expect: ", 0) == 0) out.push_back(line.substr(10));
  }
  return out;
}

}  // namespace

TEST_CASE("every bad scenario under tests/bad fails with its message, exit code 2 and no outputs", "[cli][bad-input]") {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(test::repo_path("tests/bad"))) {
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 20);
  const auto out_dir = test::temp_dir("bad-input");
  const std::regex location(R"(^tests/bad/[^:]+\.yaml:\d+:\d+: )");
  for (const auto& f : files) {
    const auto expected = expectations(f);
    INFO(f.filename().string());
    REQUIRE(!expected.empty());
    const std::string rel = "tests/bad/" + f.filename().string();
    std::string err;
    const int rc = test::run_cli("run " + rel + " -q -o " + (out_dir / f.stem()).string(), &err);
    // The CLI is run from the repository root so that messages name the relative path.
    CHECK(rc == 2);
    for (const auto& e : expected) CHECK_THAT(err, Catch::Matchers::Contains(e));
    CHECK(std::regex_search(err.substr(err.find(": ") + 2), location));
    CHECK_FALSE(fs::exists(out_dir / f.stem()));
    std::string verr;
    CHECK(test::run_cli("validate " + rel, &verr) == 2);
  }
}

TEST_CASE("validate accepts every shipped scenario", "[cli]") {
  std::string args = "validate";
  for (const auto& e : fs::recursive_directory_iterator(test::repo_path("scenarios"))) {
    const auto p = e.path();
    if (p.extension() != ".yaml" || p.string().find("/catalog/") != std::string::npos) continue;
    args += ' ';
    args += p.string();
  }
  std::string err, out;
  CHECK(test::run_cli(args, &err, &out) == 0);
  CHECK(err.empty());
}

TEST_CASE("run writes summary.csv and run.json atomically, with --seed and --set applied", "[cli]") {
  const auto dir = test::temp_dir("cli-run");
  std::string err, out;
  const int rc = test::run_cli("run " + test::repo_path("scenarios/md1.yaml") + " -o " + dir.string() +
                                   " --seed 99 --set duration=30m --set warmup=0 --set cluster.replicas=2",
                               &err, &out);
  REQUIRE(rc == 0);
  CHECK_THAT(out, Catch::Matchers::Contains("summary.csv"));
  const std::string summary = test::read_file(dir / "summary.csv");
  CHECK(summary.rfind("scenario,seed,duration_s,replicas,", 0) == 0);
  CHECK_THAT(summary, Catch::Matchers::Contains("\nmd1,99,1800,2,"));
  const std::string json = test::read_file(dir / "run.json");
  for (const char* key : {"\"infercost_version\"", "\"scenario_hash\"", "\"seed\": 99", "\"wall_s\"",
                          "\"events_processed\"", "\"events_per_s\"", "\"event_fingerprint\""}) {
    CHECK_THAT(json, Catch::Matchers::Contains(key));
  }
  for (const auto& e : fs::directory_iterator(dir)) CHECK(e.path().string().find(".tmp.") == std::string::npos);
}

TEST_CASE("the scenario hash covers --set overrides", "[cli]") {
  const Scenario a = test::load("scenarios/md1.yaml");
  const Scenario b = test::load("scenarios/md1.yaml", {"cluster.replicas=3"});
  CHECK(a.hash != b.hash);
  CHECK(a.hash == test::load("scenarios/md1.yaml").hash);
}

TEST_CASE("version, help and usage errors", "[cli]") {
  std::string err, out;
  CHECK(test::run_cli("--version", &err, &out) == 0);
  CHECK_THAT(out, Catch::Matchers::Contains("infercost "));
  CHECK(test::run_cli("--help", &err, &out) == 0);
  CHECK_THAT(out, Catch::Matchers::Contains("Examples:"));
  CHECK(test::run_cli("run", &err, &out) == 2);
  CHECK(test::run_cli("run /nonexistent.yaml", &err, &out) == 2);
  CHECK_THAT(err, Catch::Matchers::Contains("/nonexistent.yaml: cannot open the scenario file"));
}
