#pragma once
// How a user's client reacts when the admission policy refuses a submission: it retries after a capped
// exponential backoff with full jitter (Brooker 2015, AWS Architecture Blog "Exponential Backoff And Jitter"),
// never earlier than the policy's retry-after hint, up to max_attempts submissions, then abandons; when a usage
// cap is exhausted (a permanent refusal) it waits for the reset or leaves. docs/models-workload.md has the rules.
#include <cstdint>
#include <optional>
#include <string>

#include "infercost/engine/random.hpp"
#include "infercost/engine/time.hpp"
#include "infercost/io/config.hpp"

namespace infercost {

/// What a client does when a permanent refusal (an exhausted usage cap) comes back.
enum class OnCap : std::uint8_t {
  kWait,   ///< resubmit the same request when the cap resets (now + retry_after)
  kLeave,  ///< abandon the request and send nothing more for the rest of the run
  kGiveUp, ///< the request is rejected for good; the user goes on sending its next requests
};

/// A user class's client behaviour: the validated `client:` section (durations in ns).
struct ClientConfig {
  std::uint32_t max_attempts = 3;   ///< submissions of one request, the first included (1 = never retry)
  SimTime backoff_base = kSecond;   ///< ceiling of the first retry's jittered delay
  SimTime backoff_cap = 20 * kSecond;  ///< largest ceiling of a jittered delay
  OnCap on_cap = OnCap::kWait;

  std::string describe() const;
};

/// Reads a `client:` mapping (absent: the defaults above).
ClientConfig read_client_config(const std::optional<ConfigNode>& node);

/// Ceiling of the jittered delay before retry n (n >= 1): min(cap, base * 2^(n-1)), in ns.
SimTime backoff_ceiling(const ClientConfig& client, std::uint32_t retry);

/// Delay before retry n (n >= 1): max(retry_after, U), U uniform on the integers [0, backoff_ceiling(n)] ns.
SimTime retry_delay(const ClientConfig& client, std::uint32_t retry, SimTime retry_after, RandomStream& rng);

}  // namespace infercost
