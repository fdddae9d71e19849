// Rate curves: closed-form integrals, time zones, and thinning against the curve it should reproduce.
#include <catch2/catch.hpp>

#include "infercost/workload/rate_curve.hpp"
#include "workload_support.hpp"

using namespace infercost;
using namespace infercost::workload_test;

namespace {

RateCurve curve_from(const std::string& yaml) {
  const ConfigNode n = ConfigNode::load_string(yaml, "curve.yaml");
  return RateCurve::read(n, RateCurve::Profile::kSinusoid);
}

const char* kSinusoid = "{rate: 24/d, peak_hour: 14, amplitude: 0.8, weekend_factor: 0.4, utc_offset: -5h}";
const char* kHourly =
    "{rate: 2/h, hourly: [1, 1, 1, 1, 1, 2, 3, 4, 6, 8, 8, 8, 7, 8, 8, 7, 6, 5, 4, 3, 2, 2, 1, 1], "
    "weekend_factor: 1.5, utc_offset: 9h}";

}  // namespace

TEST_CASE("local time: time 0 is Monday 00:00 UTC, and offsets wrap days", "[workload][rate]") {
  CHECK(local_time(0, 0).weekday() == 0);
  CHECK(local_time(5 * kDay + kHour, 0).weekday() == 5);
  const LocalTime before = local_time(0, -5 * kHour);  // Sunday 19:00 in UTC-5
  CHECK(before.day == -1);
  CHECK(before.weekday() == 6);
  CHECK(before.time_of_day == 19 * kHour);
}

TEST_CASE("rate curves have the configured weekly mean and their closed-form integrals are exact", "[workload][rate]") {
  for (const char* yaml : {kSinusoid, kHourly}) {
    INFO(yaml);
    const RateCurve c = curve_from(yaml);
    CHECK(c.integral(0, kWeek) == Approx(c.mean_rate_per_s() * 604800.0).epsilon(1e-12));
    CHECK(c.integral(3 * kHour, 3 * kHour + kWeek) == Approx(c.mean_rate_per_s() * 604800.0).epsilon(1e-12));
    // Against the midpoint rule over two and a half days (1 s steps).
    const SimTime a = 4 * kDay + 7 * kHour, b = a + 60 * kHour;
    double numeric = 0.0;
    for (SimTime t = a; t < b; t += kSecond) numeric += c.rate_per_s(t + kSecond / 2);
    CHECK(c.integral(a, b) == Approx(numeric).epsilon(1e-6));
    double max = 0.0;
    for (SimTime t = 0; t < kWeek; t += kMinute) max = std::max(max, c.rate_per_s(t));
    CHECK(max <= c.max_rate_per_s() * (1 + 1e-12));
    CHECK(max >= c.max_rate_per_s() * 0.999);
  }
}

TEST_CASE("a class's UTC offset moves its daily peak", "[workload][rate]") {
  const RateCurve c = curve_from(kSinusoid);  // peak 14:00 local in UTC-5: 19:00 UTC
  SimTime argmax = 0;
  for (SimTime t = 0; t < kDay; t += kMinute) {
    if (c.rate_per_s(t) > c.rate_per_s(argmax)) argmax = t;
  }
  CHECK(argmax == 19 * kHour);
  // Monday 03:00 UTC is still Sunday in UTC-5: the weekend factor applies.
  CHECK(c.rate_per_s(3 * kHour) < c.rate_per_s(3 * kHour + kDay));
}

TEST_CASE("curve keys are validated", "[workload][rate]") {
  CHECK_THROWS_WITH(curve_from("{rate: 1/h, hourly: [1, 2]}"), Catch::Contains("expected 24 multipliers"));
  CHECK_THROWS_WITH(curve_from("{rate: 1/h, profile: flat, peak_hour: 3}"), Catch::Contains("profile: sinusoid only"));
  CHECK_THROWS_WITH(curve_from("{rate: 1/h, amplitude: 1.5}"), Catch::Contains("amplitude"));
  CHECK_THROWS_WITH(curve_from("{rate: 1/h, utc_offset: 15h}"), Catch::Contains("utc_offset"));
}

TEST_CASE("thinning reproduces the rate curve's integral within 1% and its shape", "[workload][rate]") {
  for (const char* yaml : {kSinusoid, kHourly}) {
    INFO(yaml);
    const RateCurve c = curve_from(yaml);
    const StreamFactory streams(99);
    const SimTime end = 2 * kWeek;
    std::vector<double> per_hour(168, 0.0);  // arrivals per hour of the week
    double count = 0;
    for (std::uint32_t u = 0; u < 2000; ++u) {
      RandomStream rng = streams.stream("thinning", u);
      for (SimTime t = c.next_arrival(0, end, rng); t != kTimeNever; t = c.next_arrival(t, end, rng)) {
        ++per_hour[static_cast<std::size_t>((t % kWeek) / kHour)];
        ++count;
      }
    }
    const double expected = 2000 * c.integral(0, end);
    CHECK(std::fabs(count / expected - 1.0) < 0.01);
    std::vector<double> want(168);
    for (std::size_t h = 0; h < 168; ++h) {
      want[h] = 2000 * (c.integral(h * kHour, (h + 1) * kHour) + c.integral(kWeek + h * kHour, kWeek + (h + 1) * kHour));
    }
    CHECK(chi_squared(per_hour, want) < chi_squared_critical_001(167));
  }
}

TEST_CASE("the diurnal source reproduces its curve's integral within 1%", "[workload][rate]") {
  for (const std::string streams : {"per_user", "shared"}) {
    INFO("streams: " << streams);
    const Scenario s = load_text(R"(
duration: 1w
cluster: {replicas: 1, serving: {type: fixed, service_time: 1s}}
workload:
  classes:
    - name: office
      users: 1000
      arrival: {type: diurnal, rate: 1/h, peak_hour: 11, amplitude: 0.9, weekend_factor: 0.2, utc_offset: 2h}
      input_tokens: 10
      output_tokens: 10
)",
                                 {"workload.classes.0.arrival.streams=" + streams});
    Harness h(s, 1, kWeek);
    h.run();
    const ConfigNode n = ConfigNode::load_string(
        "{rate: 1/h, peak_hour: 11, amplitude: 0.9, weekend_factor: 0.2, utc_offset: 2h}", "c.yaml");
    const double expected = 1000 * RateCurve::read(n, RateCurve::Profile::kSinusoid).integral(0, kWeek);
    CHECK(std::fabs(static_cast<double>(h.created.size()) / expected - 1.0) < 0.01);
    // Arrivals are generated lazily: at any time at most one is pending per user (per class with one stream).
    const std::size_t pending = streams == "shared" ? 1 : 1000;
    Harness lazy(s, 1, kWeek);
    lazy.start();
    CHECK(lazy.engine.pending() == pending);
    lazy.engine.run_until(3 * kDay + 5 * kHour);
    CHECK(lazy.engine.pending() <= pending + lazy.in_flight());
  }
}
