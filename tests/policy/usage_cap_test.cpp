#include "infercost/policy/usage_cap.hpp"

#include <catch2/catch.hpp>

#include "policy_test_util.hpp"

using namespace infercost;
using infercost::test::make_request;

namespace {

std::string cap_set(const std::string& cap) {
  return test::three_plan_scenario("policies:\n  caps:\n    plans:\n      free: [" + cap + "]\npolicy: caps\n");
}

/// Admits requests of user 0 (200 tokens each: 100 in, 100 out) at `now` until refused; returns the refusal.
AdmissionDecision exhaust(AdmissionPolicy& p, SimTime now, std::uint64_t& id, int* admitted = nullptr) {
  for (int i = 0; i < 100000; ++i) {
    const AdmissionDecision d = p.decide(make_request(id++, 0, 0, 100, 100), now);
    if (!d.admit) return d;
    if (admitted) ++*admitted;
  }
  FAIL("never refused");
  return {};
}

}  // namespace

TEST_CASE("usage cap: the session opens with the first request and resets at the exact nanosecond", "[policy]") {
  test::PolicyUnderTest t(cap_set("{type: usage_cap, unit: tokens, session: {length: 5h, budget: 1000}}"));
  AdmissionPolicy& p = *t.policy;
  std::uint64_t id = 0;
  const SimTime opened = 3 * kHour + 17;  // the first request opens the session
  int admitted = 0;
  CHECK(p.decide(make_request(id++, 0, 0, 100, 100), opened).admit);
  const AdmissionDecision d = exhaust(p, opened + kHour, id, &admitted);
  CHECK(admitted == 4);  // 200 per request: admitted while usage < 1000, i.e. at 0..800
  CHECK(d.permanent);
  CHECK(std::string(d.reason) == "session_cap");
  CHECK(d.retry_after == opened + 5 * kHour - (opened + kHour));
  CHECK(!p.decide(make_request(id++, 0, 0), opened + 5 * kHour - 1).admit);
  CHECK(p.decide(make_request(id++, 0, 0), opened + 5 * kHour).admit);  // a new session opens here
  // The new session lasts 5 h from its own first request.
  const AdmissionDecision again = exhaust(p, opened + 6 * kHour, id);
  CHECK(again.retry_after == opened + 10 * kHour - (opened + 6 * kHour));
  // Another user has a session of their own.
  CHECK(p.decide(make_request(id++, 1, 0), opened + 6 * kHour).admit);
}

TEST_CASE("usage cap: fixed weekly reset at the account's anchor, exact to the nanosecond", "[policy]") {
  test::PolicyUnderTest t(cap_set("{type: usage_cap, weekly: {budget: 600, reset: fixed, anchor: 2d10h}}"));
  AdmissionPolicy& p = *t.policy;
  std::uint64_t id = 0;
  const SimTime anchor = 2 * kDay + 10 * kHour;  // Wednesday 10:00
  // Before the anchor, the window is the one that started a week before it.
  const AdmissionDecision d = exhaust(p, kDay, id);
  CHECK(d.retry_after == anchor - kDay);
  CHECK(std::string(d.reason) == "weekly_cap");
  CHECK(!p.decide(make_request(id++, 0, 0), anchor - 1).admit);
  CHECK(p.decide(make_request(id++, 0, 0), anchor).admit);
  const AdmissionDecision next = exhaust(p, anchor + kDay, id);
  CHECK(next.retry_after == anchor + kWeek - (anchor + kDay));
  CHECK(!p.decide(make_request(id++, 0, 0), anchor + kWeek - 1).admit);
  CHECK(p.decide(make_request(id++, 0, 0), anchor + kWeek).admit);
}

TEST_CASE("usage cap: random weekly anchors are per account, within one week, and the same in every run", "[policy]") {
  const std::string yaml = cap_set("{type: usage_cap, weekly: {budget: 100, reset: fixed, anchor: random}}");
  test::PolicyUnderTest a(yaml), b(yaml);
  std::uint64_t id = 0;
  // Exhausting at t = 0 reveals each user's next reset (its anchor).
  std::vector<SimTime> resets;
  for (std::uint32_t user : {0u, 1u}) {
    REQUIRE(a.policy->decide(make_request(id++, user, 0, 100, 100), 0).admit);
    const AdmissionDecision da = a.policy->decide(make_request(id++, user, 0), 0);
    REQUIRE(b.policy->decide(make_request(id++, user, 0, 100, 100), 0).admit);
    const AdmissionDecision db = b.policy->decide(make_request(id++, user, 0), 0);
    REQUIRE(!da.admit);
    CHECK(da.retry_after == db.retry_after);
    CHECK(da.retry_after > 0);
    CHECK(da.retry_after <= kWeek);
    resets.push_back(da.retry_after);
  }
  CHECK(resets[0] != resets[1]);
  // The reset is exact.
  CHECK(!a.policy->decide(make_request(id++, 0, 0), resets[0] - 1).admit);
  CHECK(a.policy->decide(make_request(id++, 0, 0), resets[0]).admit);
}

TEST_CASE("usage cap: rolling weekly window frees usage exactly 7 days after it was admitted", "[policy]") {
  test::PolicyUnderTest t(cap_set("{type: usage_cap, weekly: {budget: 500, reset: rolling}}"));
  AdmissionPolicy& p = *t.policy;
  std::uint64_t id = 0;
  for (SimTime at : {kHour, 2 * kHour, 3 * kHour}) REQUIRE(p.decide(make_request(id++, 0, 0, 100, 100), at).admit);
  // 600 used >= 500: refused until the first entry (kHour) leaves, leaving 400 < 500.
  const AdmissionDecision d = p.decide(make_request(id++, 0, 0), 4 * kHour);
  CHECK(!d.admit);
  CHECK(d.retry_after == kHour + kWeek - 4 * kHour);
  CHECK(!p.decide(make_request(id++, 0, 0), kHour + kWeek - 1).admit);
  CHECK(p.decide(make_request(id++, 0, 0, 100, 100), kHour + kWeek).admit);
}

TEST_CASE("usage cap: first-use weekly window and session together - the later reset is returned", "[policy]") {
  test::PolicyUnderTest t(cap_set(
      "{type: usage_cap, session: {length: 5h, budget: 1000}, weekly: {budget: 1000, reset: first_use}}"));
  AdmissionPolicy& p = *t.policy;
  std::uint64_t id = 0;
  const AdmissionDecision d = exhaust(p, 0, id);
  // Both windows are exhausted; the weekly one (opened at 0) ends last.
  CHECK(d.retry_after == kWeek);
  CHECK(std::string(d.reason) == "weekly_cap");
  CHECK(!p.decide(make_request(id++, 0, 0), 5 * kHour).admit);
  CHECK(!p.decide(make_request(id++, 0, 0), kWeek - 1).admit);
  CHECK(p.decide(make_request(id++, 0, 0), kWeek).admit);
}

TEST_CASE("usage cap: peak hours make usage count faster (weekdays only)", "[policy]") {
  PeakHours peak{13 * kHour, 19 * kHour, 2.0, true};
  CHECK(peak.multiplier_at(13 * kHour) == 2.0);        // Monday 13:00
  CHECK(peak.multiplier_at(13 * kHour - 1) == 1.0);
  CHECK(peak.multiplier_at(19 * kHour - 1) == 2.0);
  CHECK(peak.multiplier_at(19 * kHour) == 1.0);
  CHECK(peak.multiplier_at(4 * kDay + 14 * kHour) == 2.0);  // Friday
  CHECK(peak.multiplier_at(5 * kDay + 14 * kHour) == 1.0);  // Saturday
  CHECK(peak.multiplier_at(kWeek + 14 * kHour) == 2.0);     // next Monday

  test::PolicyUnderTest t(cap_set("{type: usage_cap, session: {length: 5h, budget: 1000}, "
                                  "peak: {start: 13h, end: 19h, multiplier: 2.5, weekdays_only: true}}"));
  std::uint64_t id = 0;
  int off_peak = 0, at_peak = 0;
  exhaust(*t.policy, 8 * kHour, id, &off_peak);   // 200 per request: 5 requests
  exhaust(*t.policy, 14 * kHour, id, &at_peak);   // 500 per request: 2 requests
  CHECK(off_peak == 5);
  CHECK(at_peak == 2);
}

TEST_CASE("usage cap: GPU-second and cost budgets, reconciled at completion", "[policy]") {
  UsageMeter gpu;
  gpu.unit = UsageUnit::kGpuSeconds;
  gpu.gpu_s_per_request = 0.5;
  gpu.gpu_s_per_input_token = 0.001;
  gpu.gpu_s_per_output_token = 0.01;
  CHECK(gpu.usage(100, 50) == Approx(0.5 + 0.1 + 0.5));
  UsageMeter cost;
  cost.unit = UsageUnit::kCostUsd;
  cost.usd_per_input_token = 3e-6;
  cost.usd_per_output_token = 15e-6;
  CHECK(cost.usage(1'000'000, 100'000) == Approx(3.0 + 1.5));

  // Estimated at max_tokens (1000 output tokens at $15/M = $0.015); the actual 100 tokens refund $0.0135.
  test::PolicyUnderTest t(cap_set(
      "{type: usage_cap, unit: cost_usd, max_tokens: 1000, cost: {usd_per_million_input_tokens: 0, "
      "usd_per_million_output_tokens: 15}, session: {budget: 0.03}}"));
  AdmissionPolicy& p = *t.policy;
  Request a = make_request(1, 0, 0, 10, 100), b = make_request(2, 0, 0, 10, 100);
  a.submitted_at = 0;
  b.submitted_at = 0;
  CHECK(p.decide(a, 0).admit);  // 0.015 used
  CHECK(p.decide(b, 0).admit);  // 0.030 used: exhausted
  CHECK(!p.decide(make_request(3, 0, 0, 10, 100), kSecond).admit);
  p.on_completed(a, 2 * kSecond);  // 0.0165 used
  p.on_completed(b, 2 * kSecond);  // 0.003 used
  CHECK(p.decide(make_request(3, 0, 0, 10, 100), 2 * kSecond).admit);
}
