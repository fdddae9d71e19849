#include "infercost/policy/compare.hpp"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <sys/wait.h>

#include <catch2/catch.hpp>

#include "infercost/io/errors.hpp"
#include "infercost/policy/queue_order.hpp"
#include "policy_test_util.hpp"

using namespace infercost;

namespace {

const std::string kSets = R"(
policies:
  buckets:
    plans:
      free: [{type: token_bucket, limit: 1}]
      pro: [{type: token_bucket, measure: input_tokens, limit: 150}]
  caps:
    plans:
      free: [{type: usage_cap, session: {length: 20m, budget: 450}}]
      max: [{type: usage_cap, weekly: {budget: 3000, reset: fixed}}]
  shedding:
    global: [{type: load_shedding, thresholds: {free: 1, pro: 2}}]
)";

std::string cell(const CsvTable& t, std::size_t row, const std::string& name) {
  for (std::size_t i = 0; i < t.header().size(); ++i) {
    if (t.header()[i] == name) return format_csv_cell(t.data()[row][i]);
  }
  return "?";
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("compare: results do not depend on the number of threads", "[policy]") {
  const Scenario s = test::load_text(test::three_plan_scenario(kSets, 4, "3/min"));
  CompareOptions one, three;
  three.jobs = 3;
  const CompareResult a = compare_policies(s, one);
  const CompareResult b = compare_policies(s, three);
  CHECK(a.runs.to_string() == b.runs.to_string());
  CHECK(a.plans.to_string() == b.plans.to_string());
  REQUIRE(a.runs.rows() == 4);
  CHECK(a.plans.rows() == 12);
  CHECK(cell(a.runs, 0, "policy") == "unlimited");
  CHECK(cell(a.runs, 3, "policy") == "shedding");
}

TEST_CASE("compare: every policy set sees the same arrivals", "[policy]") {
  const Scenario s = test::load_text(test::three_plan_scenario(kSets, 4, "3/min"));
  const CompareResult r = compare_policies(s, CompareOptions{});
  const std::string submitted = cell(r.runs, 0, "requests_submitted");
  CHECK(std::stoll(submitted) > 1000);
  for (std::size_t i = 0; i < r.runs.rows(); ++i) {
    INFO(cell(r.runs, i, "policy"));
    CHECK(cell(r.runs, i, "requests_submitted") == submitted);
    const long long sum = std::stoll(cell(r.runs, i, "requests_completed")) +
                          std::stoll(cell(r.runs, i, "requests_rejected")) +
                          std::stoll(cell(r.runs, i, "requests_abandoned")) +
                          std::stoll(cell(r.runs, i, "requests_in_flight"));
    CHECK(sum == std::stoll(submitted));
    if (i > 0) {
      CHECK(std::stoll(cell(r.runs, i, "requests_rejected")) + std::stoll(cell(r.runs, i, "requests_abandoned")) > 0);
    }
  }
  // Per plan, too: the plans' submissions add up to the run's and are the same under every set.
  for (std::size_t p = 0; p < 3; ++p) {
    for (std::size_t i = 1; i < r.runs.rows(); ++i) {
      CHECK(cell(r.plans, i * 3 + p, "requests_submitted") == cell(r.plans, p, "requests_submitted"));
    }
  }
  // Unlimited throttles nobody and serves everything that finished.
  CHECK(cell(r.runs, 0, "users_throttled_share") == "0");
  CHECK(cell(r.runs, 0, "served_share") == "1");
  CHECK(cell(r.runs, 0, "jain_fairness") == "1");
  // Energy and cost come from the power model; revenue from plan prices, so margin = revenue - cost.
  CHECK(std::stod(cell(r.runs, 0, "energy_kwh")) > 0);
  CHECK(std::stod(cell(r.runs, 0, "cost_usd")) > 0);
  CHECK(std::stod(cell(r.runs, 0, "margin_usd")) ==
        Approx(std::stod(cell(r.runs, 0, "revenue_usd")) - std::stod(cell(r.runs, 0, "cost_usd"))));
}

TEST_CASE("compare: revenue is the plan price prorated to the simulated duration", "[policy]") {
  const Scenario s = test::load_text(test::three_plan_scenario("", 4, "1/min"));
  const CompareResult r = compare_policies(s, CompareOptions{});
  const double months = 3600.0 / (365.25 / 12 * 86400);
  CHECK(std::stod(cell(r.runs, 0, "revenue_usd")) == Approx(4 * (20.0 + 200.0) * months));
  CHECK(std::stod(cell(r.plans, 1, "revenue_usd")) == Approx(4 * 20.0 * months));
  CHECK(cell(r.plans, 0, "revenue_usd") == "0");
}

TEST_CASE("compare: policy selection by name, in the order given", "[policy]") {
  const Scenario s = test::load_text(test::three_plan_scenario(kSets, 1, "1/min"));
  CompareOptions o;
  o.policies = {"caps", "unlimited"};
  const CompareResult r = compare_policies(s, o);
  REQUIRE(r.runs.rows() == 2);
  CHECK(cell(r.runs, 0, "policy") == "caps");
  CHECK(cell(r.runs, 1, "policy") == "unlimited");
  o.policies = {"cap"};
  CHECK_THROWS_WITH(compare_policies(s, o), Catch::Contains("'cap' is not a policy set") &&
                                                Catch::Contains("unlimited, buckets, caps, shedding"));
  o.policies = {"caps", "caps"};
  CHECK_THROWS_AS(compare_policies(s, o), ConfigError);
}

TEST_CASE("Jain's fairness index: closed forms", "[policy]") {
  CHECK(jain_index({1, 1, 1, 1}) == Approx(1.0));
  CHECK(jain_index({1, 0, 0, 0}) == Approx(0.25));
  CHECK(jain_index({1, 2}) == Approx(9.0 / 10.0));
  CHECK(std::isnan(jain_index({})));
  CHECK(std::isnan(jain_index({0, 0})));
}

TEST_CASE("compare CLI: -j1 and -j2 write byte-identical files", "[policy]") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / "infercost_compare_test";
  fs::remove_all(dir);
  fs::create_directories(dir);
  {
    std::ofstream f(dir / "s.yaml");
    f << test::three_plan_scenario(kSets, 3, "2/min");
  }
  const auto run = [&](const std::string& jobs, const std::string& out) {
    const std::string cmd = std::string(INFERCOST_BIN) + " compare " + (dir / "s.yaml").string() + " -q -j " + jobs +
                            " --policies unlimited,caps,shedding -o " + (dir / out).string();
    return std::system(cmd.c_str());
  };
  REQUIRE(run("1", "a") == 0);
  REQUIRE(run("2", "b") == 0);
  const std::string a = slurp(dir / "a" / "compare.csv");
  CHECK(a.rfind("policy,scenario,seed,", 0) == 0);
  CHECK(a == slurp(dir / "b" / "compare.csv"));
  CHECK(slurp(dir / "a" / "compare_plans.csv") == slurp(dir / "b" / "compare_plans.csv"));
  CHECK(std::count(a.begin(), a.end(), '\n') == 4);
  // An unknown set is a bad-input error (exit code 2).
  const std::string bad = std::string(INFERCOST_BIN) + " compare " + (dir / "s.yaml").string() +
                          " -q --policies nope -o " + (dir / "c").string() + " 2>/dev/null";
  const int rc = std::system(bad.c_str());
  CHECK(WEXITSTATUS(rc) == 2);
  fs::remove_all(dir);
}

TEST_CASE("shipped policy scenarios load and compare (shortened)", "[policy]") {
  for (const auto& [file, duration] : {std::pair<std::string, std::string>{"policies-subscription.yaml", "12h"},
                                       std::pair<std::string, std::string>{"api-tiers.yaml", "20m"}}) {
    INFO(file);
    const Scenario s = load_scenario(std::string(INFERCOST_SOURCE_DIR) + "/scenarios/" + file,
                                     {"duration=" + duration}, builtin_registries());
    CHECK(s.policy_name != "unlimited");
    CompareOptions o;
    o.jobs = 2;
    const CompareResult r = compare_policies(s, o);
    REQUIRE(r.runs.rows() == s.policy_sets.size());
    CHECK(cell(r.runs, 0, "submissions_throttled") == "0");
    for (std::size_t i = 1; i < r.runs.rows(); ++i) {
      const bool queue_only = s.policy_sets[i].config->queue_order() &&
                              s.policy_sets[i].config->queue_order()->order != QueueOrderConfig::Order::kFifo;
      // Clients of the shipped scenarios retry or wait for resets, so refusals show as throttled submissions.
      if (!queue_only) CHECK(std::stoll(cell(r.runs, i, "submissions_throttled")) > 0);
      CHECK(cell(r.runs, i, "requests_submitted") == cell(r.runs, 0, "requests_submitted"));
    }
  }
}
