// Piecewise-constant series (include/infercost/power/series.hpp).
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "infercost/io/config.hpp"
#include "infercost/power/series.hpp"

using namespace infercost;

TEST_CASE("step series report their value and their next change", "[power]") {
  const StepSeries flat = StepSeries::constant(3.5);
  CHECK(flat.value_at(123 * kHour) == 3.5);
  CHECK(flat.next_change_after(0) == kTimeNever);

  const StepSeries table = StepSeries::table({10 * kSecond, 20 * kSecond}, {1.0, 2.0});
  CHECK(table.value_at(0) == 1.0);
  CHECK(table.value_at(15 * kSecond) == 1.0);
  CHECK(table.value_at(20 * kSecond) == 2.0);
  CHECK(table.next_change_after(0) == 10 * kSecond);
  CHECK(table.next_change_after(10 * kSecond) == 20 * kSecond);
  CHECK(table.next_change_after(25 * kSecond) == kTimeNever);

  // A daily schedule starting at 07:00 local time, with the run starting at 06:00 local.
  const StepSeries tou = StepSeries::table({0, 7 * kHour, 19 * kHour}, {0.05, 0.15, 0.10}, kDay, 6 * kHour);
  CHECK(tou.value_at(0) == 0.05);
  CHECK(tou.next_change_after(0) == kHour);
  CHECK(tou.value_at(kHour) == 0.15);
  CHECK(tou.next_change_after(kHour) == 13 * kHour);
  CHECK(tou.value_at(13 * kHour) == 0.10);
  CHECK(tou.next_change_after(13 * kHour) == 18 * kHour);
  CHECK(tou.value_at(18 * kHour) == 0.05);
  CHECK(tou.value_at(kDay + kHour) == 0.15);

  const StepSeries sampled = StepSeries::sampled(kHour, [](SimTime t) { return to_seconds(t); });
  CHECK(sampled.value_at(10 * kMinute) == 1800.0);
  CHECK(sampled.value_at(kHour) == 5400.0);
  CHECK(sampled.next_change_after(kHour) == 2 * kHour);
}

TEST_CASE("CSV series read times and a named column, and reject bad rows", "[power]") {
  const auto dir = std::filesystem::temp_directory_path() / "infercost_power_series_test";
  std::filesystem::create_directories(dir);
  const auto good = (dir / "prices.csv").string();
  std::ofstream(good) << "time,temp_c,price\n0,10,0.05\n1h,12,0.07\n7200,9,0.06\n";
  const ConfigNode node = ConfigNode::load_string("x: 1", "test.yaml");
  const StepSeries price = read_step_series_csv(node, good, "price", 0);
  CHECK(price.value_at(30 * kMinute) == 0.05);
  CHECK(price.value_at(kHour) == 0.07);
  CHECK(price.value_at(5 * kHour) == 0.06);
  CHECK(price.next_change_after(kHour) == 2 * kHour);
  const StepSeries temp = read_step_series_csv(node, good, "", 0);
  CHECK(temp.value_at(kHour) == 12.0);
  const StepSeries daily = read_step_series_csv(node, good, "price", kDay);
  CHECK(daily.value_at(kDay + 30 * kMinute) == 0.05);

  const auto bad = (dir / "bad.csv").string();
  std::ofstream(bad) << "time,price\n0,0.05\n1h,abc\n";
  CHECK_THROWS_WITH(read_step_series_csv(node, bad, "", 0), Catch::Contains("bad.csv:3") && Catch::Contains("abc"));
  std::ofstream(bad) << "time,price\n1h,0.05\n0,0.07\n";
  CHECK_THROWS_WITH(read_step_series_csv(node, bad, "", 0), Catch::Contains("times must increase"));
  CHECK_THROWS_WITH(read_step_series_csv(node, good, "nope", 0), Catch::Contains("no column named 'nope'"));
  std::filesystem::remove_all(dir);
}
