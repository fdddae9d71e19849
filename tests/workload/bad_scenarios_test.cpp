// The workload's bad-input scenarios (tests/bad/workload-*.yaml) fail with their expected message, exit code 2
// and no outputs, run through the CLI from the repository root as a user would.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "../test_support.hpp"
#include "workload_support.hpp"

namespace fs = std::filesystem;
using namespace infercost::workload_test;

TEST_CASE("workload bad-input scenarios fail with file:line:column, key path and the expected message",
          "[workload][bad-input]") {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(repo_path("tests/bad"))) {
    if (e.path().filename().string().rfind("workload-", 0) == 0) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 7);
  const auto scratch = infercost::test::temp_dir("workload-bad");
  const fs::path out = scratch / "out";
  for (const auto& f : files) {
    INFO(f.filename().string());
    std::ifstream in(f);
    std::string line, expected;
    while (std::getline(in, line)) {
      if (line.rfind("# expect: ", 0) == 0) expected = line.substr(10);
    }
    REQUIRE(!expected.empty());
    const fs::path err_file = scratch / "stderr.txt";
    const std::string cmd = "cd " + std::string(INFERCOST_SOURCE_DIR) + " && " + INFERCOST_BIN + " run tests/bad/" +
                            f.filename().string() + " -q -o " + out.string() + " 2>" + err_file.string();
    const int status = std::system(cmd.c_str());
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 2);
    std::stringstream err;
    err << std::ifstream(err_file).rdbuf();
    CHECK_THAT(err.str(), Catch::Matchers::Contains(expected));
    CHECK_FALSE(fs::exists(out));
  }
}
