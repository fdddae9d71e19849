// When the CLI re-executes itself to get transparent huge pages, and that it does so at most once.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>

#include "../test_support.hpp"
#include "infercost/cli/huge_pages.hpp"

using namespace infercost;

namespace {
HugePageEnvironment madvise_mode() {
  HugePageEnvironment env;
  env.thp_enabled = "always [madvise] never\n";
  return env;
}
}  // namespace

TEST_CASE("huge pages are requested only where the kernel gives them on request", "[cli][huge-pages]") {
  HugePageEnvironment env = madvise_mode();
  CHECK(huge_page_tunables(env) == "glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=33554432");
  env.thp_enabled = "[always] madvise never\n";
  CHECK(huge_page_tunables(env).empty());
  env.thp_enabled = "always madvise [never]\n";
  CHECK(huge_page_tunables(env).empty());
  env.thp_enabled.clear();  // no sysfs file: not Linux, or no THP
  CHECK(huge_page_tunables(env).empty());
}

TEST_CASE("the huge-page tunable joins the user's tunables and is never set twice", "[cli][huge-pages]") {
  HugePageEnvironment env = madvise_mode();
  env.glibc_tunables = "glibc.malloc.arena_max=2";
  CHECK(huge_page_tunables(env) ==
        "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=33554432");
  // A user's own mmap threshold is kept.
  env.glibc_tunables = "glibc.malloc.mmap_threshold=65536";
  CHECK(huge_page_tunables(env) == "glibc.malloc.mmap_threshold=65536:glibc.malloc.hugetlb=1");
  // The re-executed image finds its own setting (and a user's explicit choice, 0 included, is kept).
  env.glibc_tunables = "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1";
  CHECK(huge_page_tunables(env).empty());
  env.glibc_tunables = "glibc.malloc.hugetlb=0";
  CHECK(huge_page_tunables(env).empty());
  env.glibc_tunables = "";
  CHECK(huge_page_tunables(env) == "glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=33554432");
}

TEST_CASE("INFERCOST_HUGE_PAGES=0 and valgrind keep the process as it is", "[cli][huge-pages]") {
  HugePageEnvironment env = madvise_mode();
  env.opt_out = "0";
  CHECK(huge_page_tunables(env).empty());
  env.opt_out = "1";
  CHECK_FALSE(huge_page_tunables(env).empty());
  env.opt_out = nullptr;
  env.ld_preload = "/usr/libexec/valgrind/vgpreload_core-amd64-linux.so:/usr/libexec/valgrind/vgpreload_memcheck.so";
  CHECK(huge_page_tunables(env).empty());
  env.ld_preload = "/usr/lib/libjemalloc.so";
  CHECK_FALSE(huge_page_tunables(env).empty());
}

TEST_CASE("a run gives the same outputs with and without the huge-page re-execution", "[cli][huge-pages]") {
  namespace fs = std::filesystem;
  const auto dir = test::temp_dir("huge-pages");
  const auto run = [&](const char* setting, const std::string& name) {
    ::setenv("INFERCOST_HUGE_PAGES", setting, 1);
    std::string err;
    const std::string args = "run scenarios/llama70b-h100.yaml --set duration=10m -q -o " + (dir / name).string();
    const int rc = test::run_cli(args, &err);
    ::unsetenv("INFERCOST_HUGE_PAGES");
    INFO(err);
    REQUIRE(rc == 0);
  };
  run("0", "plain");
  run("1", "huge");
  std::size_t compared = 0;
  for (const auto& e : fs::directory_iterator(dir / "plain")) {
    const std::string name = e.path().filename().string();
    if (name == "run.json") continue;  // wall time and peak memory differ by design
    INFO(name);
    CHECK(test::read_file(e.path()) == test::read_file(dir / "huge" / name));
    ++compared;
  }
  CHECK(compared >= 3);
}

TEST_CASE("run.json says how much of the run was on huge pages, and the re-execution is what puts it there",
          "[cli][huge-pages]") {
  namespace fs = std::filesystem;
  const std::string mode = test::read_file("/sys/kernel/mm/transparent_hugepage/enabled");
  if (mode.find("[madvise]") == std::string::npos) {
    WARN("transparent huge pages are not in madvise mode here: nothing to re-execute for");
    return;
  }
  const auto dir = test::temp_dir("huge-page-bytes");
  const auto huge_bytes = [&](const char* setting) {
    ::setenv("INFERCOST_HUGE_PAGES", setting, 1);
    std::string err;
    // A fleet's replicas fill several megabytes of heap: whole 2 MiB pages of it.
    const int rc = test::run_cli("run scenarios/bench/fleet-hour.yaml --set duration=2s -q -o " + dir.string(), &err);
    ::unsetenv("INFERCOST_HUGE_PAGES");
    INFO(err);
    REQUIRE(rc == 0);
    const std::string json = test::read_file(dir / "run.json");
    const auto at = json.find("\"huge_page_bytes\": ");
    REQUIRE(at != std::string::npos);
    return std::stoull(json.substr(at + 19));
  };
  CHECK(huge_bytes("0") == 0);  // nothing asks for them: madvise mode gives none
  CHECK(huge_bytes("1") >= std::uint64_t{2} << 20);
}
