#pragma once
// A continuously replenished token bucket in exact integer arithmetic, as public LLM APIs describe their
// rate limits (docs/models-policy.md, "Token buckets"): capacity C = the limit per period P, refilled at
// C/P continuously. The level is kept in units of 1/P token (a token is P units, and the bucket gains exactly
// C units per nanosecond), so refill, admission and retry-after are exact to the nanosecond with no drift.
#include <cstdint>

#include "infercost/core/registry.hpp"
#include "infercost/engine/time.hpp"
#include "infercost/policy/limiter.hpp"

namespace infercost {

__extension__ using int128_t = __int128;

/// The state of one account's bucket: its level (in 1/P token) when last updated.
struct BucketState {
  int128_t level = 0;    ///< in 1/P token; negative after a reconciliation that charged more than estimated
  SimTime updated = 0;   ///< time of `level`, in ns
  bool fresh = true;     ///< never used: the bucket is full (an account starts with its whole burst)
};

/// Bucket parameters and the exact operations on a BucketState.
class TokenBucket {
 public:
  /// `capacity` tokens, refilled by `capacity` per `period` (> 0).
  TokenBucket(std::uint64_t capacity, SimTime period);

  std::uint64_t capacity() const { return capacity_; }
  SimTime period() const { return period_; }

  /// Level at `now` (in 1/P token), with refill since the last update and the cap applied.
  int128_t level_at(const BucketState& s, SimTime now) const;
  /// Tokens available at `now` (level / P), as a double for reports.
  double tokens_at(const BucketState& s, SimTime now) const;
  /// 0 when `amount` tokens are available at `now`; else the exact wait in ns until they are (with no other
  /// change); kTimeNever when amount > capacity.
  SimTime wait_for(const BucketState& s, std::uint64_t amount, SimTime now) const;
  /// Removes `amount` tokens at `now` (the caller checked wait_for == 0).
  void take(BucketState& s, std::uint64_t amount, SimTime now) const;
  /// Adds (refund > 0) or removes (< 0) tokens at `now`; the level never exceeds the capacity and may go
  /// negative (debt, repaid by refill before the next admission).
  void adjust(BucketState& s, std::int64_t tokens, SimTime now) const;

 private:
  void advance(BucketState& s, SimTime now) const;

  std::uint64_t capacity_;
  SimTime period_;
  int128_t full_;  ///< capacity * period
};

/// Registers the limiter type(s) of this file.
void register_token_bucket_limiter(Registry<LimiterConfig>& registry);

}  // namespace infercost
