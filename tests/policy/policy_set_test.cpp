#include "infercost/policy/policy_set.hpp"

#include <set>

#include <catch2/catch.hpp>

#include "infercost/core/simulation.hpp"
#include "infercost/io/errors.hpp"
#include "policy_test_util.hpp"

using namespace infercost;
using infercost::test::make_request;

TEST_CASE("composition: the refusal with the largest retry_after is returned (first on ties)", "[policy]") {
  const AdmissionDecision admit{};
  const AdmissionDecision rate{false, 5 * kSecond, false, "rate_limit"};
  const AdmissionDecision cap{false, kHour, true, "session_cap"};
  const AdmissionDecision conc{false, 5 * kSecond, false, "concurrency"};
  CHECK(combine_decisions(std::vector<AdmissionDecision>{admit, admit}).admit);
  CHECK(combine_decisions(std::vector<AdmissionDecision>{}).admit);
  const AdmissionDecision a = combine_decisions(std::vector<AdmissionDecision>{rate, admit, cap});
  CHECK(!a.admit);
  CHECK(a.retry_after == kHour);
  CHECK(a.permanent);
  CHECK(std::string(combine_decisions(std::vector<AdmissionDecision>{admit, rate, conc}).reason) == "rate_limit");
}

TEST_CASE("composition: nothing is consumed when any limiter refuses", "[policy]") {
  // Global RPM bucket of 3, then the free plan's concurrency cap of 1.
  test::PolicyUnderTest t(test::three_plan_scenario(
      "policies:\n  s:\n    global: [{type: token_bucket, limit: 3}]\n"
      "    plans:\n      free: [{type: concurrency, limit: 1, retry_after: 9s}]\npolicy: s\n"));
  AdmissionPolicy& p = *t.policy;
  Request a = make_request(1, 0, 0);
  CHECK(p.decide(a, 0).admit);  // bucket 2 left, 1 in flight
  for (int i = 0; i < 10; ++i) {
    const AdmissionDecision d = p.decide(make_request(2, 0, 0), 0);  // refused by concurrency only
    CHECK(!d.admit);
    CHECK(std::string(d.reason) == "concurrency");
  }
  p.on_completed(a, 0);
  // Had the refusals taken tokens, the bucket would be empty; it still holds 2.
  CHECK(p.decide(make_request(3, 0, 0), 0).admit);
  p.on_completed(make_request(3, 0, 0), 0);
  CHECK(p.decide(make_request(4, 0, 0), 0).admit);
  p.on_completed(make_request(4, 0, 0), 0);
  const AdmissionDecision d = p.decide(make_request(5, 0, 0), 0);
  CHECK(!d.admit);
  CHECK(d.retry_after == 20 * kSecond);  // one token at 3/min
  // A pro user only meets the global bucket (each user has their own).
  CHECK(p.decide(make_request(6, 2, 1), 0).admit);
}

TEST_CASE("policy sets: reading, the built-in unlimited set and the active set", "[policy]") {
  const std::string sets =
      "policies:\n  strict:\n    description: tight\n    plans:\n      free: [{type: token_bucket, limit: 1}]\n"
      "  loose:\n    plans: {pro: []}\n  fair:\n    queue: {order: fair_share, weights: {max: 4}}\n";
  const Scenario s = test::load_text(test::three_plan_scenario(sets));
  REQUIRE(s.policy_sets.size() == 4);
  CHECK(s.policy_sets[0].name == "unlimited");
  CHECK(s.policy_sets[1].name == "strict");
  CHECK(s.policy_sets[3].name == "fair");
  CHECK(s.policy_name == "unlimited");
  CHECK(s.policy == s.policy_sets[0].config);
  const QueueOrderConfig* q = s.policy_sets[3].config->queue_order();
  REQUIRE(q != nullptr);
  CHECK(q->order == QueueOrderConfig::Order::kFairShare);
  CHECK(q->plan_weight == std::vector<double>{1.0, 1.0, 4.0});
  CHECK(q->input_weight == 1.0);
  CHECK(q->output_weight == 2.0);

  const Scenario active = test::load_text(test::three_plan_scenario(sets + "policy: strict\n"));
  CHECK(active.policy_name == "strict");
  CHECK(active.policy == active.policy_sets[1].config);
  CHECK(test::load_text(test::three_plan_scenario(sets), {"policy=loose"}).policy_name == "loose");
}

TEST_CASE("policy sets: bad input names file, line and what was expected", "[policy]") {
  const auto error = [](const std::string& policies) {
    try {
      test::load_text(test::three_plan_scenario(policies));
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(error("policy: nosuch\n"), Catch::Contains("'nosuch' is not a policy set (sets: unlimited)"));
  CHECK_THAT(error("policies:\n  unlimited: {}\n"), Catch::Contains("built-in"));
  CHECK_THAT(error("policies:\n  a:\n    plans:\n      gold: []\n"),
             Catch::Contains("test.yaml:") && Catch::Contains("'gold' is not a plan (plans: free, pro, max)"));
  CHECK_THAT(error("policies:\n  a:\n    global: [{type: token_bukket, limit: 1}]\n"),
             Catch::Contains("did you mean 'token_bucket'"));
  CHECK_THAT(error("policies:\n  a:\n    global: [{type: token_bucket, limt: 1}]\n"),
             Catch::Contains("missing required key 'limit'"));
  CHECK_THAT(error("policies:\n  a:\n    global: [{type: token_bucket, limit: 1, perod: 1h}]\n"),
             Catch::Contains("policies.a.global[0].perod") && Catch::Contains("did you mean 'period'"));
  CHECK_THAT(error("policies:\n  a:\n    global: [{type: token_bucket, limit: 1, users_per_organization: 3}]\n"),
             Catch::Contains("only meaningful with scope: organization"));
  CHECK_THAT(error("policies:\n  a:\n    queue: {order: fifo, weights: {free: 2}}\n"),
             Catch::Contains("only meaningful with order: fair_share"));
  CHECK_THAT(error("policies:\n  a:\n    global: [{type: usage_cap, unit: tokens}]\n"),
             Catch::Contains("expected a `session` or a `weekly` budget"));
  CHECK_THAT(error("policies:\n  a:\n    global: [{type: usage_cap, weekly: {budget: 5, reset: rolling, anchor: 1d}}]\n"),
             Catch::Contains("only meaningful with reset: fixed"));
  CHECK_THAT(error("policy: {type: unlimited}\n"), Catch::Contains("expected the name of a policy set"));
}

namespace {

/// Records what the wrapped policy decided and which admitted requests completed or were abandoned.
struct Ledger {
  std::set<std::uint64_t> admitted, rejected, completed, abandoned;
  std::uint64_t decisions = 0;
};

class RecordingPolicy final : public AdmissionPolicy {
 public:
  RecordingPolicy(std::unique_ptr<AdmissionPolicy> inner, Ledger& ledger) : inner_(std::move(inner)), l_(ledger) {}
  AdmissionDecision decide(const Request& r, SimTime now) override {
    ++l_.decisions;
    const AdmissionDecision d = inner_->decide(r, now);
    REQUIRE(l_.admitted.count(r.id) == 0);  // an admitted request is never decided on again
    (d.admit ? l_.admitted : l_.rejected).insert(r.id);
    return d;
  }
  void on_completed(const Request& r, SimTime now) override {
    REQUIRE(l_.admitted.count(r.id) == 1);
    REQUIRE(l_.completed.insert(r.id).second);
    inner_->on_completed(r, now);
  }
  void on_abandoned(const Request& r, SimTime now) override {
    REQUIRE(l_.admitted.count(r.id) == 1);
    l_.abandoned.insert(r.id);
    inner_->on_abandoned(r, now);
  }

 private:
  std::unique_ptr<AdmissionPolicy> inner_;
  Ledger& l_;
};

class RecordingConfig final : public PolicyConfig {
 public:
  RecordingConfig(std::shared_ptr<const PolicyConfig> inner, Ledger& ledger) : inner_(std::move(inner)), l_(ledger) {}
  std::unique_ptr<AdmissionPolicy> make_policy(const AdmissionContext& ctx) const override {
    return std::make_unique<RecordingPolicy>(inner_->make_policy(ctx), l_);
  }
  std::string describe() const override { return inner_->describe(); }

 private:
  std::shared_ptr<const PolicyConfig> inner_;
  Ledger& l_;
};

}  // namespace

TEST_CASE("request conservation under every policy - never both completed and rejected", "[policy]") {
  const std::string policies = R"(
policies:
  buckets:
    plans:
      free: [{type: token_bucket, measure: requests, limit: 3}, {type: token_bucket, measure: input_tokens, limit: 500},
             {type: token_bucket, measure: output_tokens, limit: 400, max_tokens: 200}]
      pro: [{type: token_bucket, measure: total_tokens, limit: 2000, scope: organization, users_per_organization: 2}]
  windows:
    plans:
      free: [{type: fixed_window, limit: 4, period: 10m}]
      pro: [{type: sliding_window, measure: output_tokens, limit: 300, period: 5m, max_tokens: 80}]
  caps:
    plans:
      free: [{type: usage_cap, session: {length: 20m, budget: 600}, weekly: {budget: 2000, reset: fixed},
              peak: {start: 0s, end: 30m, multiplier: 2}}]
      pro: [{type: usage_cap, unit: gpu_seconds, gpu_seconds: {per_output_token: 100ms},
             session: {length: 10m, budget: 20}, weekly: {budget: 60, reset: rolling, length: 30m}}]
      max: [{type: usage_cap, unit: cost_usd, cost: {usd_per_million_input_tokens: 3000, usd_per_million_output_tokens: 15000},
             weekly: {budget: 5, reset: first_use, length: 40m}}]
  concurrency:
    global: [{type: concurrency, limit: 1, scope: plan}]
  shedding:
    global: [{type: load_shedding, thresholds: {free: 2, pro: 4}}]
  everything:
    global: [{type: load_shedding, thresholds: {free: 3}}, {type: concurrency, limit: 2}]
    plans:
      free: [{type: usage_cap, session: {budget: 800}}, {type: token_bucket, limit: 2}]
      pro: [{type: sliding_window, limit: 5, period: 10m}, {type: fixed_window, measure: input_tokens, limit: 900}]
)";
  const Scenario base = test::load_text(test::three_plan_scenario(policies, 4, "3/min"));
  REQUIRE(base.policy_sets.size() == 7);
  for (const auto& set : base.policy_sets) {
    INFO("policy set " << set.name);
    Ledger ledger;
    Scenario s = base;
    s.policy = std::make_shared<RecordingConfig>(set.config, ledger);
    Simulation sim(s, s.seed);
    const RunInfo info = sim.run();
    const Metrics& m = sim.metrics();
    CHECK(m.submitted > 200);
    CHECK(m.submitted == m.completed + m.rejected + m.abandoned + info.in_flight);
    CHECK(ledger.completed.size() == m.completed);
    // Clients give up at the first refusal, caps included: every refusal is a rejection.
    CHECK(ledger.rejected.size() == m.rejected);
    CHECK(ledger.admitted.size() + ledger.rejected.size() == ledger.decisions);
    CHECK(ledger.admitted.size() == m.completed + info.in_flight);
    for (std::uint64_t id : ledger.completed) REQUIRE(ledger.rejected.count(id) == 0);
    if (set.name == "unlimited") {
      CHECK(m.rejected + m.abandoned == 0);
    } else {
      CHECK(m.rejected + m.abandoned > 0);
    }
  }
}
