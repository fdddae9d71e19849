#include "infercost/policy/token_bucket.hpp"

#include <catch2/catch.hpp>

#include "policy_test_util.hpp"

using namespace infercost;
using infercost::test::make_request;

TEST_CASE("token bucket: a burst of twice the capacity at t=0 admits exactly the capacity", "[policy]") {
  for (std::uint64_t capacity : {1ULL, 7ULL, 50ULL, 4000ULL}) {
    const TokenBucket bucket(capacity, kMinute);
    BucketState s;
    std::uint64_t admitted = 0;
    for (std::uint64_t i = 0; i < 2 * capacity; ++i) {
      if (bucket.wait_for(s, 1, 0) == 0) {
        bucket.take(s, 1, 0);
        ++admitted;
      }
    }
    CHECK(admitted == capacity);
  }
}

TEST_CASE("token bucket: retry_after is the exact wait (1 ns earlier fails)", "[policy]") {
  RandomStream rng(5);
  for (int trial = 0; trial < 2000; ++trial) {
    const std::uint64_t capacity = 1 + rng.uniform_int(10'000);
    const SimTime period = 1 + static_cast<SimTime>(rng.uniform_int(static_cast<std::uint64_t>(kHour)));
    const TokenBucket bucket(capacity, period);
    BucketState s;
    SimTime now = static_cast<SimTime>(rng.uniform_int(1'000'000));
    // Drain by a random amount, then ask for a random amount.
    bucket.take(s, 1 + rng.uniform_int(capacity), now);
    now += static_cast<SimTime>(rng.uniform_int(static_cast<std::uint64_t>(period)));
    const std::uint64_t amount = 1 + rng.uniform_int(capacity);
    const SimTime wait = bucket.wait_for(s, amount, now);
    if (wait == 0) continue;
    REQUIRE(wait != kTimeNever);
    CHECK(bucket.wait_for(s, amount, now + wait) == 0);
    CHECK(bucket.wait_for(s, amount, now + wait - 1) == 1);
  }
}

TEST_CASE("token bucket: a request larger than the capacity can never pass", "[policy]") {
  const TokenBucket bucket(100, kMinute);
  BucketState s;
  CHECK(bucket.wait_for(s, 101, 0) == kTimeNever);
  CHECK(bucket.wait_for(s, 100, 0) == 0);
}

TEST_CASE("token bucket: refill is exact over long spans and never exceeds the capacity", "[policy]") {
  const TokenBucket bucket(60, kMinute);  // one token per second
  BucketState s;
  bucket.take(s, 60, 0);
  CHECK(bucket.tokens_at(s, 30 * kSecond) == Approx(30.0));
  CHECK(bucket.wait_for(s, 31, 30 * kSecond) == kSecond);
  CHECK(bucket.tokens_at(s, 365 * kDay) == 60.0);
  // Taking 1 token every second from an empty bucket leaves it exactly empty each time: no drift, even
  // a simulated year into the run.
  for (const SimTime start : {SimTime{0}, 365 * kDay}) {
    BucketState t;
    bucket.take(t, 60, start);
    for (SimTime k = 1; k <= 100'000; ++k) {
      const SimTime now = start + k * kSecond;
      REQUIRE(bucket.wait_for(t, 1, now) == 0);
      REQUIRE(bucket.wait_for(t, 2, now) == kSecond);
      bucket.take(t, 1, now);
    }
  }
}

namespace {

/// Saturating sender: submits whenever the limiter allows, retrying exactly at retry_after.
std::uint64_t saturate(AdmissionPolicy& policy, SimTime until, std::uint32_t input_tokens, std::uint64_t* tokens,
                       RandomStream* sizes) {
  std::uint64_t admitted = 0;
  SimTime now = 0;
  std::uint64_t id = 0;
  while (now < until) {
    Request r = make_request(id, 0, 0, sizes ? 1 + static_cast<std::uint32_t>(sizes->uniform_int(input_tokens))
                                             : input_tokens, 10);
    const AdmissionDecision d = policy.decide(r, now);
    if (d.admit) {
      ++admitted;
      ++id;
      if (tokens) *tokens += r.input_tokens;
      continue;
    }
    REQUIRE(d.retry_after > 0);
    REQUIRE(!d.permanent);
    // The retry at exactly retry_after succeeds (a fresh request of the same size).
    now += d.retry_after;
    if (now < until) REQUIRE(policy.decide(r, now).admit);
    if (now < until) {
      ++admitted;
      ++id;
      if (tokens) *tokens += r.input_tokens;
    }
  }
  return admitted;
}

}  // namespace

TEST_CASE("token bucket: a saturating sender gets the configured rate within 1% over an hour", "[policy]") {
  SECTION("requests per minute") {
    test::PolicyUnderTest t(test::three_plan_scenario(
        "policies:\n  rpm:\n    plans:\n      free: [{type: token_bucket, measure: requests, limit: 50}]\n"
        "policy: rpm\n"));
    const std::uint64_t admitted = saturate(*t.policy, kHour, 100, nullptr, nullptr);
    // The initial burst (the full bucket, 50) plus 50/min for 60 min.
    const double rate_per_min = static_cast<double>(admitted - 50) / 60.0;
    CHECK(rate_per_min == Approx(50.0).epsilon(0.01));
    CHECK(admitted >= 50 + 3000 - 1);
    CHECK(admitted <= 50 + 3000 + 1);
  }
  SECTION("input tokens per minute, requests of random sizes") {
    test::PolicyUnderTest t(test::three_plan_scenario(
        "policies:\n  itpm:\n    plans:\n      free: [{type: token_bucket, measure: input_tokens, limit: 30000}]\n"
        "policy: itpm\n"));
    RandomStream sizes(9);
    std::uint64_t tokens = 0;
    saturate(*t.policy, kHour, 5000, &tokens, &sizes);
    const double rate_per_min = static_cast<double>(tokens - 30000) / 60.0;
    CHECK(rate_per_min == Approx(30000.0).epsilon(0.01));
  }
}

TEST_CASE("token bucket: output tokens are charged as max_tokens and reconciled at completion", "[policy]") {
  test::PolicyUnderTest t(test::three_plan_scenario(
      "policies:\n  otpm:\n    plans:\n      free: [{type: token_bucket, measure: output_tokens, limit: 1000, "
      "max_tokens: 400}]\npolicy: otpm\n"));
  AdmissionPolicy& p = *t.policy;
  Request a = make_request(1, 0, 0, 10, 100), b = make_request(2, 0, 0, 10, 100), c = make_request(3, 0, 0, 10, 100);
  CHECK(p.decide(a, 0).admit);  // 1000 - 400 = 600
  CHECK(p.decide(b, 0).admit);  // 200 left
  const AdmissionDecision refused = p.decide(c, 0);
  REQUIRE(!refused.admit);
  // 200 missing at 1000 tokens/min: 12 s exactly.
  CHECK(refused.retry_after == 12 * kSecond);
  CHECK(std::string(refused.reason) == "rate_limit");
  // a completes having generated 100 tokens: 300 are refunded, and c passes at once.
  p.on_completed(a, kSecond);
  CHECK(p.decide(c, kSecond).admit);
}

TEST_CASE("token bucket: a request larger than the bucket is refused for good", "[policy]") {
  test::PolicyUnderTest t(test::three_plan_scenario(
      "policies:\n  itpm:\n    plans:\n      free: [{type: token_bucket, measure: input_tokens, limit: 1000}]\n"
      "policy: itpm\n"));
  const AdmissionDecision d = t.policy->decide(make_request(1, 0, 0, 1001, 10), 0);
  CHECK(!d.admit);
  CHECK(d.permanent);
  CHECK(d.retry_after == kTimeNever);
}
