// Client reaction to refusals: backoff ceilings, full jitter, retry-after, max_attempts, cap waits and leaving.
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "infercost/workload/client.hpp"
#include "workload_support.hpp"

using namespace infercost;
using namespace infercost::workload_test;

namespace {

const char* kOneUser = R"(
duration: 1d
cluster: {replicas: 1, serving: {type: fixed, service_time: 1s}}
workload:
  classes:
    - name: c
      users: 20
      arrival: {type: poisson, rate: 1/min}
      input_tokens: 10
      output_tokens: 10
      client: {max_attempts: 4, backoff_base: 10s, backoff_cap: 25s, on_cap: wait}
)";

}  // namespace

TEST_CASE("backoff ceilings double from the base up to the cap", "[workload][client]") {
  ClientConfig c;
  c.backoff_base = 2 * kSecond;
  c.backoff_cap = 11 * kSecond;
  CHECK(backoff_ceiling(c, 1) == 2 * kSecond);
  CHECK(backoff_ceiling(c, 2) == 4 * kSecond);
  CHECK(backoff_ceiling(c, 3) == 8 * kSecond);
  CHECK(backoff_ceiling(c, 4) == 11 * kSecond);
  CHECK(backoff_ceiling(c, 60) == 11 * kSecond);
  const ClientConfig defaults = read_client_config(std::nullopt);
  CHECK(defaults.max_attempts == 3);
  CHECK(defaults.backoff_base == kSecond);
  CHECK(defaults.backoff_cap == 20 * kSecond);
  CHECK(defaults.on_cap == OnCap::kWait);
}

TEST_CASE("full jitter is uniform on [0, ceiling] and never below retry_after", "[workload][client]") {
  ClientConfig c;
  c.backoff_base = kSecond;
  c.backoff_cap = 20 * kSecond;
  RandomStream rng(42);
  std::vector<double> u;
  for (int i = 0; i < 20000; ++i) {
    const SimTime d = retry_delay(c, 3, 0, rng);
    REQUIRE(d >= 0);
    REQUIRE(d <= 4 * kSecond);
    u.push_back(to_seconds(d) / 4.0);
  }
  CHECK(ks_statistic(u, [](double x) { return std::clamp(x, 0.0, 1.0); }) < ks_critical_001(u.size()));
  for (int i = 0; i < 1000; ++i) CHECK(retry_delay(c, 2, 3 * kSecond, rng) >= 3 * kSecond);
}

TEST_CASE("client keys are validated", "[workload][client]") {
  const std::string base = kOneUser;
  CHECK_THROWS_WITH(load_text(base, {"workload.classes.0.client.backoff_cap=1s"}),
                    Catch::Contains("expected backoff_cap >= backoff_base"));
  CHECK_THROWS_WITH(load_text(base, {"workload.classes.0.client.on_cap=stay"}),
                    Catch::Contains("expected one of wait, leave"));
  CHECK_THROWS_WITH(load_text(base, {"workload.classes.0.client.max_attempts=0"}), Catch::Contains("max_attempts"));
}

TEST_CASE("retries honour retry_after and the jittered backoff, then abandon", "[workload][client]") {
  const Scenario s = load_text(kOneUser);
  Harness h(s, 7, 6 * kHour);
  // Every submission is refused with a 12 s hint: retries come at max(12 s, U[0, min(25 s, 10 s 2^(n-1))]).
  h.policy = [](const Request&, SimTime) { return AdmissionDecision{false, 12 * kSecond, false, "test"}; };
  h.run();
  std::map<std::uint64_t, SimTime> last;
  std::size_t retries = 0, above_hint = 0;
  for (const auto& sub : h.submissions) {
    if (sub.attempt > 1) {
      ++retries;
      const SimTime delay = sub.at - last.at(sub.id);
      const SimTime ceiling = std::min<SimTime>(25 * kSecond, 10 * kSecond << (sub.attempt - 2));
      CHECK(delay >= 12 * kSecond);
      CHECK(delay <= std::max<SimTime>(12 * kSecond, ceiling));
      if (delay > 12 * kSecond) ++above_hint;
    }
    last[sub.id] = sub.at;
  }
  CHECK(retries > 1000);
  CHECK(above_hint > retries / 4);  // the jitter is in use, not only the hint
  // Four attempts each, then abandoned: nothing is ever completed or rejected for good.
  std::uint64_t abandoned = 0, created = 0, in_flight = 0;
  for (const auto& u : h.users) {
    abandoned += u.abandoned;
    created += u.created;
    in_flight += u.outstanding;
    CHECK(u.completed == 0);
    CHECK(u.rejected == 0);
    CHECK(u.created == u.abandoned + u.outstanding);
  }
  CHECK(abandoned > 0);
  std::set<std::uint64_t> ended;
  for (const auto& e : h.ended) ended.insert(e.id);
  std::uint64_t still_retrying = 0;  // submissions of requests still waiting to retry at the end
  for (const auto& sub : h.submissions) still_retrying += ended.count(sub.id) ? 0 : 1;
  CHECK(h.submissions.size() == 4 * abandoned + still_retrying);
  CHECK(created == abandoned + in_flight);
}

TEST_CASE("max_attempts 1 rejects for good; a cap that never resets rejects for good", "[workload][client]") {
  const Scenario s = load_text(kOneUser, {"workload.classes.0.client.max_attempts=1"});
  Harness h(s, 7, kHour);
  h.policy = [](const Request& r, SimTime) {
    return r.id % 2 ? AdmissionDecision{false, 0, false, "rate"} : AdmissionDecision{};
  };
  h.run();
  std::uint64_t rejected = 0;
  for (const auto& sub : h.submissions) CHECK(sub.attempt == 1);
  for (const auto& u : h.users) rejected += u.rejected;
  CHECK(rejected > 100);

  const Scenario s2 = load_text(kOneUser);
  Harness h2(s2, 7, kHour);
  h2.policy = [](const Request&, SimTime) { return AdmissionDecision{false, kTimeNever, true, "usage_cap"}; };
  h2.run();
  for (const auto& u : h2.users) CHECK(u.rejected == u.created);
  for (const auto& sub : h2.submissions) CHECK(sub.attempt == 1);
}

TEST_CASE("on_cap wait resubmits exactly when the cap resets", "[workload][client]") {
  const Scenario s = load_text(kOneUser);
  Harness h(s, 3, 3 * kHour);
  // A cap that resets on the hour: refusals before 1h say "come back at 1h".
  h.policy = [](const Request&, SimTime now) {
    if (now < kHour) return AdmissionDecision{false, kHour - now, true, "usage_cap"};
    return AdmissionDecision{};
  };
  h.run();
  std::size_t waited = 0;
  for (const auto& sub : h.submissions) {
    if (sub.attempt == 2) {
      CHECK(sub.at == kHour);
      ++waited;
    }
    CHECK(sub.attempt <= 2);
  }
  CHECK(waited > 100);
  for (const auto& u : h.users) {
    CHECK(u.abandoned == 0);
    CHECK(u.rejected == 0);
    CHECK(u.created == u.completed + u.outstanding);
  }
}

TEST_CASE("on_cap leave abandons, stops the user for good and abandons its waiting retries", "[workload][client]") {
  for (const std::string arrival : {"{type: poisson, rate: 1/min}", "{type: poisson, rate: 1/min, streams: shared}",
                                    "{type: sessions, rate: 10/h, turns: 6, think_time: 20s}",
                                    "{type: closed_loop, loops: 3, think_time: 20s}"}) {
    INFO(arrival);
    const Scenario s = load_text(kOneUser, {"workload.classes.0.client.on_cap=leave",
                                            "workload.classes.0.arrival=" + arrival});
    Harness h(s, 5, 12 * kHour);
    // Transient refusals now and then; user 3's first submission after 2 h hits its cap.
    h.policy = [](const Request& r, SimTime now) {
      if (r.user == 3 && r.attempts == 1 && now > 2 * kHour) return AdmissionDecision{false, 4 * kHour, true, "usage_cap"};
      if (r.attempts == 1 && r.id % 3 == 0) return AdmissionDecision{false, 30 * kSecond, false, "rate"};
      return AdmissionDecision{};
    };
    h.run();
    REQUIRE(h.left_at.size() == 1);
    const auto [user, when] = h.left_at.front();
    CHECK(user == 3);
    for (const auto& c : h.created) {
      if (c.user == 3) CHECK(c.at <= when);
    }
    for (const auto& sub : h.submissions) {
      if (sub.user == 3) CHECK(sub.at <= when);
    }
    CHECK(h.users[3].abandoned >= 1);
    CHECK(h.users[3].outstanding == 0);
    CHECK(h.users[3].created == h.users[3].completed + h.users[3].abandoned);
    CHECK(h.users[4].created > 2 * h.users[3].created);  // the others keep sending
  }
}
