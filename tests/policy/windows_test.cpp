#include "infercost/policy/windows.hpp"

#include <vector>

#include <catch2/catch.hpp>

#include "infercost/engine/random.hpp"
#include "policy_test_util.hpp"

using namespace infercost;
using infercost::test::make_request;

TEST_CASE("fixed window: resets at the exact window start, offset included", "[policy]") {
  const FixedWindow w(3, kMinute, 10 * kSecond);  // windows [10 s + k min, 10 s + (k+1) min)
  FixedWindowState s;
  for (int i = 0; i < 3; ++i) {
    REQUIRE(w.wait_for(s, 1, 20 * kSecond) == 0);
    w.add(s, 1, 20 * kSecond);
  }
  CHECK(w.wait_for(s, 1, 20 * kSecond) == 50 * kSecond);
  CHECK(w.wait_for(s, 1, 70 * kSecond - 1) == 1);
  CHECK(w.wait_for(s, 1, 70 * kSecond) == 0);
  CHECK(w.wait_for(s, 4, 70 * kSecond) == kTimeNever);
  // Before the first window start (t < offset) belongs to window -1.
  FixedWindowState early;
  w.add(early, 3, 0);
  CHECK(w.wait_for(early, 1, 5 * kSecond) == 5 * kSecond);
}

TEST_CASE("fixed window: reconciliation only corrects the current window", "[policy]") {
  const FixedWindow w(100, kMinute, 0);
  FixedWindowState s;
  w.add(s, 80, kSecond);
  w.reconcile(s, kSecond, -50, 2 * kSecond);
  CHECK(w.used_at(s, 2 * kSecond) == 30);
  w.reconcile(s, kSecond, -50, kMinute + kSecond);  // a past window: no effect on the new one
  CHECK(w.used_at(s, kMinute + kSecond) == 0);
}

TEST_CASE("sliding window: exact log agrees with a brute-force count and its retry-after is exact", "[policy]") {
  const SimTime period = 7 * kSecond;
  const std::uint64_t limit = 20;
  const SlidingLog log(limit, period);
  SlidingLogState s;
  std::vector<std::pair<SimTime, std::uint64_t>> admitted;
  RandomStream rng(17);
  SimTime now = 0;
  for (int i = 0; i < 20000; ++i) {
    now += static_cast<SimTime>(rng.uniform_int(static_cast<std::uint64_t>(kSecond)));
    const std::uint64_t amount = 1 + rng.uniform_int(8);
    std::uint64_t in_window = 0;
    for (const auto& [t, a] : admitted) {
      if (t + period > now) in_window += a;
    }
    const SimTime wait = log.wait_for(s, amount, now);
    REQUIRE((wait == 0) == (in_window + amount <= limit));
    if (wait == 0) {
      log.add(s, amount, static_cast<std::uint64_t>(i), now);
      admitted.emplace_back(now, amount);
    } else {
      SlidingLogState probe = s;  // probing the future expires entries: keep the real state at `now`
      REQUIRE(log.wait_for(probe, amount, now + wait - 1) > 0);
      REQUIRE(log.wait_for(probe, amount, now + wait) == 0);
    }
    if (admitted.size() > 200) admitted.erase(admitted.begin(), admitted.begin() + 100);
  }
}

TEST_CASE("sliding window: an entry counts for exactly one period", "[policy]") {
  const SlidingLog log(3, kMinute);
  SlidingLogState s;
  for (SimTime t : {SimTime{0}, 10 * kSecond, 20 * kSecond}) log.add(s, 1, 0, t);
  CHECK(log.wait_for(s, 1, 30 * kSecond) == 30 * kSecond);
  CHECK(log.wait_for(s, 1, kMinute - 1) == 1);
  CHECK(log.wait_for(s, 1, kMinute) == 0);
  CHECK(log.wait_for(s, 2, kMinute) == 10 * kSecond);
}

TEST_CASE("window limiters through a policy set: requests per day, tokens reconciled", "[policy]") {
  test::PolicyUnderTest t(test::three_plan_scenario(
      "policies:\n  daily:\n    plans:\n"
      "      free: [{type: fixed_window, measure: requests, limit: 2, period: 1d}]\n"
      "      pro: [{type: sliding_window, measure: output_tokens, limit: 1000, period: 1h, max_tokens: 600}]\n"
      "policy: daily\n"));
  AdmissionPolicy& p = *t.policy;
  CHECK(p.decide(make_request(1, 0, 0), kHour).admit);
  CHECK(p.decide(make_request(2, 0, 0), 2 * kHour).admit);
  const AdmissionDecision d = p.decide(make_request(3, 0, 0), 3 * kHour);
  CHECK(!d.admit);
  CHECK(d.retry_after == kDay - 3 * kHour);
  // Pro user 2: a 600-token estimate each; the second fits only after the first reconciles to 100 tokens.
  Request a = make_request(10, 2, 1, 10, 100);
  a.submitted_at = 0;
  CHECK(p.decide(a, 0).admit);
  const AdmissionDecision refused = p.decide(make_request(11, 2, 1, 10, 100), kSecond);
  CHECK(!refused.admit);
  CHECK(refused.retry_after == kHour - kSecond);
  p.on_completed(a, 2 * kSecond);
  CHECK(p.decide(make_request(11, 2, 1, 10, 100), 2 * kSecond).admit);
}
