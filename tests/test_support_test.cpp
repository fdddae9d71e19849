// The tests' own helpers: a temporary folder goes with its object, so a test run leaves nothing behind.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <utility>

#include "test_support.hpp"

using namespace infercost;
namespace fs = std::filesystem;

TEST_CASE("a test's temporary folder is fresh, and removed with its contents when its object goes", "[support]") {
  fs::path where;
  {
    const auto dir = test::temp_dir("support");
    where = dir;
    CHECK(fs::is_directory(where));
    CHECK(fs::is_empty(where));
    fs::create_directories(dir / "sub");
    std::ofstream(dir / "sub" / "file.txt") << "x";
    const auto again = test::temp_dir("support-other");  // another name, another folder
    CHECK(fs::path(again) != where);
  }
  CHECK_FALSE(fs::exists(where));
  {
    // A fresh one under a name still on disk starts empty.
    fs::create_directories(where / "stale");
    const auto dir = test::temp_dir("support");
    CHECK(fs::is_empty(dir));
  }
  {
    // Moved, the folder lives as long as the new owner; the moved-from object removes nothing.
    auto first = test::temp_dir("support");
    test::TempDir second(std::move(first));
    CHECK(fs::path(first).empty());
    CHECK(fs::is_directory(second));
  }
  CHECK_FALSE(fs::exists(where));
}
