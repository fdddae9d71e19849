// The shipped scenarios against their committed baselines (tests/baselines/*.yaml): any change in results,
// or in the event trace, fails here. A change that moves results on purpose refreshes the baseline
// (`infercost check OUT --baseline FILE --update`) in the same commit, with the reason in the message.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "../test_support.hpp"
#include "infercost/analysis/check.hpp"

using namespace infercost;
namespace fs = std::filesystem;

TEST_CASE("shipped scenarios match their baselines", "[regression]") {
  const fs::path source = INFERCOST_SOURCE_DIR;
  std::size_t checked = 0;
  for (const auto& entry : fs::directory_iterator(source / "tests" / "baselines")) {
    if (entry.path().extension() != ".yaml") continue;
    const Baseline b = read_baseline(entry.path());
    INFO("baseline " << entry.path().string());
    REQUIRE_FALSE(b.scenario.empty());
    const auto scratch = test::temp_dir("regression-" + entry.path().stem().string());
    const fs::path out = scratch / "run";
    std::string cmd = std::string(INFERCOST_BIN) + " run " + (source / b.scenario).string() + " -q -o " + out.string();
    for (const auto& a : b.run_args) cmd += " '" + a + "'";
    REQUIRE(std::system(cmd.c_str()) == 0);
    const CheckResult r = check_run(read_run_outputs(out), b);
    INFO(format_check_report(r, entry.path().filename().string()));
    CHECK(r.ok());
    ++checked;
  }
  REQUIRE(checked >= 2);
}
