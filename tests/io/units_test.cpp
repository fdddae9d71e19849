#include <catch2/catch.hpp>

#include "infercost/io/units.hpp"

using namespace infercost;

TEST_CASE("durations parse with units and compound forms", "[io][units]") {
  CHECK(*parse_duration("90s") == 90 * kSecond);
  CHECK(*parse_duration("15m") == 15 * kMinute);
  CHECK(*parse_duration("5h") == 5 * kHour);
  CHECK(*parse_duration("7d") == 7 * kDay);
  CHECK(*parse_duration("1w") == kWeek);
  CHECK(*parse_duration("250ms") == 250 * kMillisecond);
  CHECK(*parse_duration("10us") == 10 * kMicrosecond);
  CHECK(*parse_duration("1h30m") == 90 * kMinute);
  CHECK(*parse_duration("2.5") == 2500 * kMillisecond);
  CHECK_FALSE(parse_duration("5 parsecs"));
  CHECK_FALSE(parse_duration("h"));
  CHECK_FALSE(parse_duration("1h30"));
  CHECK_FALSE(parse_duration(""));
}

TEST_CASE("sizes, bandwidths, powers, rates and FLOP/s parse with SI and IEC prefixes", "[io][units]") {
  CHECK(*parse_quantity("80GiB", UnitKind::kBytes) == 80.0 * 1024 * 1024 * 1024);
  CHECK(*parse_quantity("141GB", UnitKind::kBytes) == 141e9);
  CHECK(*parse_quantity("3.35TB/s", UnitKind::kBandwidth) == Approx(3.35e12));
  CHECK(*parse_quantity("700W", UnitKind::kPower) == 700.0);
  CHECK(*parse_quantity("10.2kW", UnitKind::kPower) == Approx(10200.0));
  CHECK(*parse_quantity("1.5kWh", UnitKind::kEnergy) == Approx(5.4e6));
  CHECK(*parse_quantity("600/min", UnitKind::kRate) == Approx(10.0));
  CHECK(*parse_quantity("2/h", UnitKind::kRate) == Approx(2.0 / 3600));
  CHECK(*parse_quantity("989TFLOP/s", UnitKind::kFlops) == Approx(989e12));
  CHECK(*parse_quantity("42", UnitKind::kPower) == 42.0);
  CHECK_FALSE(parse_quantity("700V", UnitKind::kPower));
  CHECK_FALSE(parse_quantity("80GiB", UnitKind::kPower));
  CHECK_FALSE(parse_quantity("fast", UnitKind::kRate));
}

TEST_CASE("durations format compactly", "[io][units]") {
  CHECK(format_duration(90 * kMinute) == "1h30m");
  CHECK(format_duration(250 * kMillisecond) == "250ms");
  CHECK(format_duration(7 * kDay) == "7d");
}
