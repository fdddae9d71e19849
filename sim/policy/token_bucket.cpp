// The `token_bucket` limiter: requests, input tokens or output tokens per period (RPM, ITPM, OTPM), as a
// continuously replenished bucket per account in exact integer arithmetic (token_bucket.hpp). Output tokens
// are charged at admission as `max_tokens` (or the actual count when max_tokens is not set) and reconciled to
// the actual count at completion, as the Anthropic and OpenAI rate-limit pages describe
// (docs/models-policy.md, "Token buckets").
#include "infercost/policy/token_bucket.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "infercost/core/scenario.hpp"
#include "infercost/io/units.hpp"

namespace infercost {

TokenBucket::TokenBucket(std::uint64_t capacity, SimTime period)
    : capacity_(capacity), period_(period), full_(static_cast<int128_t>(capacity) * period) {}

void TokenBucket::advance(BucketState& s, SimTime now) const { 
  s.level = level_at(s, now);
  s.updated = now;
  s.fresh = false;
}

int128_t TokenBucket::level_at(const BucketState& s, SimTime now) const {
  if (s.fresh) return full_;
  const SimTime dt = now > s.updated ? now - s.updated : 0;
  // The bucket gains `capacity` units (1/P token each) per nanosecond; it cannot hold more than it is full.
  const int128_t refill = static_cast<int128_t>(capacity_) * dt;
  return s.level >= full_ - refill ? full_ : s.level + refill;
}

double TokenBucket::tokens_at(const BucketState& s, SimTime now) const {
  return static_cast<double>(level_at(s, now)) / static_cast<double>(period_);
}

SimTime TokenBucket::wait_for(const BucketState& s, std::uint64_t amount, SimTime now) const {
  if (amount > capacity_) return kTimeNever;
  const int128_t need = static_cast<int128_t>(amount) * period_;
  const int128_t level = level_at(s, now);
  if (level >= need) return 0;
  // Smallest dt with level + capacity * dt >= need: the bucket is not full before then, so no cap applies.
  const int128_t deficit = need - level;
  const int128_t dt = (deficit + static_cast<int128_t>(capacity_) - 1) / static_cast<int128_t>(capacity_);
  return dt >= static_cast<int128_t>(kTimeNever - now) ? kTimeNever : static_cast<SimTime>(dt);
}

void TokenBucket::take(BucketState& s, std::uint64_t amount, SimTime now) const {
  advance(s, now);
  s.level -= static_cast<int128_t>(amount) * period_;
}

void TokenBucket::adjust(BucketState& s, std::int64_t tokens, SimTime now) const {
  advance(s, now);
  s.level = std::min(full_, s.level + static_cast<int128_t>(tokens) * period_);
}

namespace {

class TokenBucketLimiter final : public Limiter {
 public:
  TokenBucketLimiter(const AccountMap& accounts, TokenBucket bucket, Measure measure, OutputEstimate estimate)
      : accounts_(accounts), bucket_(bucket), measure_(measure), estimate_(estimate), state_(accounts.accounts()) {}

  AdmissionDecision check(const Request& r, SimTime now) override {
    const std::uint64_t amount = charge_at_admission(measure_, estimate_, r);
    const SimTime wait = bucket_.wait_for(state_[accounts_.account(r)], amount, now);
    if (wait == 0) return {};
    if (wait == kTimeNever) return AdmissionDecision{false, kTimeNever, true, "request_too_large"};
    return AdmissionDecision{false, wait, false, "rate_limit"};
  }
  void commit(const Request& r, SimTime now) override {
    bucket_.take(state_[accounts_.account(r)], charge_at_admission(measure_, estimate_, r), now);
  }
  void on_completed(const Request& r, SimTime now) override {
    const auto charged = static_cast<std::int64_t>(charge_at_admission(measure_, estimate_, r));
    const auto actual = static_cast<std::int64_t>(charge_actual(measure_, r));
    if (charged != actual) bucket_.adjust(state_[accounts_.account(r)], charged - actual, now);
  }

 private:
  AccountMap accounts_;
  TokenBucket bucket_;
  Measure measure_;
  OutputEstimate estimate_;
  std::vector<BucketState> state_;
};

class TokenBucketConfig final : public KeyedLimiterConfig {
 public:
  explicit TokenBucketConfig(const ConfigNode& n)
      : measure_(read_measure(n, "requests")),
        limit_(static_cast<std::uint64_t>(n.get_int("limit", std::nullopt, 1, 1'000'000'000'000'000))),
        period_(n.get_duration("period", kMinute, kMillisecond, 366 * kDay)),
        estimate_(read_output_estimate(n)) {}

  std::unique_ptr<Limiter> make_limiter(const AdmissionContext&) const override {
    return std::make_unique<TokenBucketLimiter>(accounts_, TokenBucket(limit_, period_), measure_, estimate_);
  }
  std::string describe() const override {
    return fmt::format("token bucket: {} {} per {}{}", limit_, to_string(measure_), format_duration(period_),
                       scope_text());
  }

 private:
  Measure measure_;
  std::uint64_t limit_;
  SimTime period_;
  OutputEstimate estimate_;
};

}  // namespace

void register_token_bucket_limiter(Registry<LimiterConfig>& registry) {
  registry.add("token_bucket", "`limit` requests or tokens per `period` (default 1m), continuously replenished",
               [](const ConfigNode& n) -> std::unique_ptr<LimiterConfig> {
                 return std::make_unique<TokenBucketConfig>(n);
               });
}

}  // namespace infercost
