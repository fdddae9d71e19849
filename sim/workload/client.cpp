// Client retry behaviour. Full jitter (Brooker 2015): sleep_n = U(0, min(cap, base * 2^(n-1))); the delay is
// max(retry_after, sleep_n) so a client never comes back before the policy said it is worth it (the HTTP
// Retry-After semantics, RFC 9110 section 10.2.3). Defaults follow the AWS SDKs' standard retry mode: three
// attempts, base 1 s, largest backoff 20 s (AWS SDKs and Tools Reference Guide, "Retry behavior").
#include "infercost/workload/client.hpp"

#include <string>
#include <algorithm>

#include <fmt/format.h>

namespace infercost {

std::string ClientConfig::describe() const {
  return fmt::format("max_attempts {}, backoff {}..{}, on_cap {}", max_attempts, format_duration(backoff_base),
                     format_duration(backoff_cap), on_cap == OnCap::kWait ? "wait" : on_cap == OnCap::kLeave ? "leave" : "give_up");
}

ClientConfig read_client_config(const std::optional<ConfigNode>& node) {
  ClientConfig c;
  if (!node) return c;
  node->require_map();
  c.max_attempts = static_cast<std::uint32_t>(node->get_int("max_attempts", c.max_attempts, 1, 1000));
  c.backoff_base = node->get_duration("backoff_base", c.backoff_base, 0, 30 * kDay);
  c.backoff_cap = node->get_duration("backoff_cap", std::max(c.backoff_cap, c.backoff_base), 0, 30 * kDay);
  if (c.backoff_cap < c.backoff_base) {
    node->child("backoff_cap")
        .fail(fmt::format("expected backoff_cap >= backoff_base ({}), got {}", format_duration(c.backoff_base),
                          format_duration(c.backoff_cap)));
  }
  const std::string on_cap = node->get_choice("on_cap", {"wait", "leave", "give_up"}, "wait");
  c.on_cap = on_cap == "wait" ? OnCap::kWait : on_cap == "leave" ? OnCap::kLeave : OnCap::kGiveUp;
  return c;
}

SimTime backoff_ceiling(const ClientConfig& client, std::uint32_t retry) {
  SimTime ceiling = client.backoff_base;
  for (std::uint32_t i = 1; i < retry && ceiling < client.backoff_cap; ++i) ceiling *= 2;
  return std::min(ceiling, client.backoff_cap);
}

SimTime retry_delay(const ClientConfig& client, std::uint32_t retry, SimTime retry_after, RandomStream& rng) {
  const SimTime ceiling = backoff_ceiling(client, retry);
  const auto jitter = static_cast<SimTime>(rng.uniform_int(static_cast<std::uint64_t>(ceiling) + 1));
  return std::max(retry_after, jitter);
}

}  // namespace infercost
