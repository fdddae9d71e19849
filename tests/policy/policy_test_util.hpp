#pragma once
// Helpers shared by the policy tests: requests built by hand and scenarios from YAML text.
#include <memory>
#include <string>

#include "infercost/core/registries.hpp"
#include "infercost/core/scenario.hpp"
#include "infercost/engine/random.hpp"
#include "infercost/policy/admission.hpp"

namespace infercost::test {

inline Request make_request(std::uint64_t id, std::uint32_t user, std::uint32_t plan = 0, std::uint32_t input = 100,
                            std::uint32_t output = 100, std::uint32_t user_class = 0) {
  Request r;
  r.id = id;
  r.user = user;
  r.plan = plan;
  r.user_class = user_class;
  r.input_tokens = input;
  r.output_tokens = output;
  return r;
}

/// Plans free/pro/max and one Poisson class per plan with `users` users each (fixed serving, 1 replica).
inline std::string three_plan_scenario(const std::string& policies, int users = 2, const std::string& rate = "1/min",
                                       const std::string& extra = "") {
  return "name: t\nseed: 3\nduration: 1h\n"
         "cluster: {replicas: 1, serving: {type: fixed, service_time: 2s, concurrency: 4}}\n"
         "plans:\n  - {name: free, price_usd_per_month: 0}\n  - {name: pro, price_usd_per_month: 20}\n"
         "  - {name: max, price_usd_per_month: 200}\n"
         "workload:\n  classes:\n"  // clients give up at the first refusal (rejected) or at a cap: every refusal is a rejection
 +
         std::string("    - {name: f, users: ") + std::to_string(users) + ", plan: free, arrival: {type: poisson, rate: " +
         rate + "}, input_tokens: 100, output_tokens: 50, client: {max_attempts: 1, on_cap: give_up}}\n" + "    - {name: p, users: " + std::to_string(users) +
         ", plan: pro, arrival: {type: poisson, rate: " + rate + "}, input_tokens: 100, output_tokens: 50, client: {max_attempts: 1, on_cap: give_up}}\n" +
         "    - {name: m, users: " + std::to_string(users) + ", plan: max, arrival: {type: poisson, rate: " + rate +
         "}, input_tokens: 100, output_tokens: 50, client: {max_attempts: 1, on_cap: give_up}}\n" + extra + policies;
}

inline Scenario load_text(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
  return load_scenario_text(yaml, "test.yaml", overrides, builtin_registries());
}

/// Builds the active policy set of a scenario with a context holding the run's streams.
struct PolicyUnderTest {
  Scenario scenario;
  StreamFactory streams;
  std::unique_ptr<AdmissionPolicy> policy;
  PolicyUnderTest(const std::string& yaml, const AdmissionContext& base = {})
      : scenario(load_text(yaml)), streams(scenario.seed) {
    AdmissionContext ctx = base;
    ctx.streams = &streams;
    policy = scenario.policy->make_policy(ctx);
  }
};

}  // namespace infercost::test
