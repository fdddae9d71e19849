#pragma once
// Helpers shared by tests: run a shipped scenario in-process, read files, run the CLI.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "infercost/analysis/report.hpp"
#include "infercost/core/scenario.hpp"
#include "infercost/core/simulation.hpp"

namespace infercost::test {

inline std::string repo_path(const std::string& relative) { return std::string(INFERCOST_SOURCE_DIR) + "/" + relative; }

inline Scenario load(const std::string& relative, const std::vector<std::string>& sets = {}) {
  static const Registries registries = builtin_registries();
  return load_scenario(repo_path(relative), sets, registries);
}

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// A fresh empty temporary directory for one test, removed with its contents when the object goes: a test run
/// leaves nothing behind in the temporary folder. It is a path, so it goes wherever a path does; keep the object
/// (`const auto dir = temp_dir(...)`), not a copy of its path, for as long as the directory is used.
class TempDir : public std::filesystem::path {
 public:
  explicit TempDir(const std::string& name)
      : std::filesystem::path(std::filesystem::temp_directory_path() /
                              ("infercost-test-" + name + "-" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(*this);
    std::filesystem::create_directories(*this);
  }
  TempDir(TempDir&& other) noexcept : std::filesystem::path(std::move(other)) { other.clear(); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  TempDir& operator=(TempDir&&) = delete;
  ~TempDir() {
    std::error_code ignored;
    if (!empty()) std::filesystem::remove_all(*this, ignored);
  }
};

/// A fresh empty temporary directory for one test (see TempDir).
inline TempDir temp_dir(const std::string& name) { return TempDir(name); }

/// Runs the infercost binary; returns its exit code and fills stderr text.
inline int run_cli(const std::string& args, std::string* err = nullptr, std::string* out = nullptr) {
  // Unique per process and call: ctest runs test cases of this binary in parallel processes.
  static int calls = 0;
  const auto dir = std::filesystem::temp_directory_path();
  const std::string tag = std::to_string(::getpid()) + "-" + std::to_string(calls++);
  const auto err_path = dir / ("infercost-cli-stderr-" + tag + ".txt");
  const auto out_path = dir / ("infercost-cli-stdout-" + tag + ".txt");
  const std::string cmd = "cd " + std::string(INFERCOST_SOURCE_DIR) + " && " + std::string(INFERCOST_BIN) + " " + args + " >" + out_path.string() + " 2>" + err_path.string();
  const int status = std::system(cmd.c_str());
  if (err) *err = read_file(err_path);
  if (out) *out = read_file(out_path);
  std::filesystem::remove(err_path);
  std::filesystem::remove(out_path);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace infercost::test
