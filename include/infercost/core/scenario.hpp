#pragma once
// A scenario: the validated, immutable configuration of a run. Loading checks every key (types, ranges,
// unknown keys) and throws ConfigError on the first problem; a loaded scenario can run any number of times.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "infercost/core/registries.hpp"
#include "infercost/engine/time.hpp"
#include "infercost/io/config.hpp"

namespace infercost {

struct PowerConfig;
struct NetworkConfig;

/// A subscription or API plan.
struct PlanConfig {
  std::string name;
  double price_usd_per_month = 0.0;
};

/// A named policy set of the `policies:` section (or the built-in `unlimited`).
struct NamedPolicyConfig {
  std::string name;
  std::shared_ptr<const PolicyConfig> config;
};

/// A class of users: how many, their plan, how they send requests and how long those are.
struct UserClassConfig {
  std::string name;
  std::uint32_t users = 1;
  std::uint32_t plan = 0;  ///< index into Scenario::plans
  std::shared_ptr<const ArrivalConfig> arrival;
  std::shared_ptr<const LengthDistribution> input_tokens;
  std::shared_ptr<const LengthDistribution> output_tokens;
  ClientConfig client;  ///< how these users' clients react to refusals (`client:`)
};

/// Service-level objectives: a completed request meets a target when its latency is at most the target
/// (kTimeNever: no target).
struct SloConfig {
  SimTime ttft = kTimeNever;     ///< time to first token, from creation
  SimTime tpot = kTimeNever;     ///< mean time per output token after the first
  SimTime latency = kTimeNever;  ///< end to end, from creation
};

/// Everything a run needs.
struct Scenario {
  std::string name;
  std::string description;
  std::string file;
  std::uint64_t seed = 1;
  SimTime duration = kHour;
  SimTime warmup = 0;  ///< requests created before this are not counted in latency statistics

  std::uint32_t replicas = 1;
  std::shared_ptr<const ServingModelConfig> serving;
  std::shared_ptr<const RouterConfig> router;

  SloConfig slo;        ///< latency targets for SLO attainment (`slo:`)

  std::vector<PlanConfig> plans;
  std::vector<UserClassConfig> classes;
  std::shared_ptr<const PolicyConfig> policy;   ///< the active policy set (`policy:`)
  std::string policy_name = "unlimited";        ///< its name
  std::vector<NamedPolicyConfig> policy_sets;   ///< every set, `unlimited` first (for compare)
  std::shared_ptr<const PowerConfig> power;   ///< power, cooling, sites and money (sim/power/power_config.cpp)
  std::shared_ptr<const NetworkConfig> network;  ///< `network:`: a federated run across sites (null: one simulation)

  std::string canonical_text;   ///< the effective YAML (after --set)
  std::uint64_t hash = 0;       ///< FNV-1a of canonical_text

  std::uint32_t total_users() const;
};

// Each concern reads its own section of the scenario (sim/<concern>/*_config.cpp).
void read_cluster_section(const ConfigNode& root, const Registries& registries, Scenario& scenario);
void read_workload_section(const ConfigNode& root, const Registries& registries, Scenario& scenario);
void read_slo_section(const ConfigNode& root, Scenario& scenario);
void read_policy_section(const ConfigNode& root, const Registries& registries, Scenario& scenario);
void read_power_section(const ConfigNode& root, const Registries& registries, Scenario& scenario);
void read_network_section(const ConfigNode& root, Scenario& scenario);  // sim/core/federation.cpp

/// Loads and validates a scenario file with "key.path=value" overrides.
Scenario load_scenario(const std::string& file, const std::vector<std::string>& overrides,
                       const Registries& registries);
/// Loads from YAML text (tests), named `name` in messages.
Scenario load_scenario_text(const std::string& text, const std::string& name,
                            const std::vector<std::string>& overrides, const Registries& registries);

}  // namespace infercost
