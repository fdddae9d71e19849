#include "infercost/policy/limiter.hpp"

#include <catch2/catch.hpp>

#include "infercost/io/errors.hpp"
#include "infercost/policy/signals.hpp"
#include "infercost/serving/replica.hpp"
#include "policy_test_util.hpp"

using namespace infercost;
using infercost::test::make_request;

namespace {

class FakeReplica final : public Replica {
 public:
  void submit(Request&) override {}
  std::uint32_t outstanding() const override { return outstanding_; }
  std::uint32_t gpus() const override { return 1; }
  void on_event(Engine&, std::uint32_t, std::uint64_t) override {}
  std::uint32_t outstanding_ = 0;
};

class FakePower final : public FacilityPowerSignal {
 public:
  double facility_power_w(SimTime) const override { return power_w; }
  double power_budget_w(SimTime) const override { return 1000.0; }
  double power_w = 0.0;
};

class FakeTtft final : public TtftPredictor {
 public:
  SimTime predicted_ttft(const Request&, SimTime) const override { return ttft; }
  SimTime ttft = 0;
};

}  // namespace

TEST_CASE("accounts: organisations are consecutive users within a class", "[policy]") {
  const Scenario s = test::load_text(test::three_plan_scenario("", 3));  // classes of 3 users each
  const AccountMap orgs(Scope::kOrganization, 2, s);
  CHECK(orgs.accounts() == 6);  // {0,1},{2} | {3,4},{5} | {6,7},{8}
  const auto org = [&](std::uint32_t user) { return orgs.account(make_request(0, user, 0, 1, 1, user / 3)); };
  CHECK(org(0) == 0);
  CHECK(org(1) == 0);
  CHECK(org(2) == 1);
  CHECK(org(3) == 2);
  CHECK(org(5) == 3);
  CHECK(org(8) == 5);
  CHECK(AccountMap(Scope::kUser, 1, s).accounts() == 9);
  CHECK(AccountMap(Scope::kPlan, 1, s).accounts() == 3);
  CHECK(AccountMap(Scope::kGlobal, 1, s).account(make_request(0, 7, 2)) == 0);
}

TEST_CASE("organisation scope: users of one organisation share a bucket", "[policy]") {
  test::PolicyUnderTest t(test::three_plan_scenario(
      "policies:\n  org:\n    plans:\n      free: [{type: token_bucket, limit: 2, scope: organization, "
      "users_per_organization: 2}]\npolicy: org\n",
      3));
  AdmissionPolicy& p = *t.policy;
  CHECK(p.decide(make_request(1, 0, 0), 0).admit);
  CHECK(p.decide(make_request(2, 1, 0), 0).admit);
  CHECK(!p.decide(make_request(3, 0, 0), 0).admit);  // org {0,1} is out
  CHECK(p.decide(make_request(4, 2, 0), 0).admit);   // org {2} is not
}

TEST_CASE("concurrency cap: in-flight count, released on completion - a rejected request never counts",
          "[policy]") {
  test::PolicyUnderTest t(test::three_plan_scenario(
      "policies:\n  c:\n    plans:\n      free: [{type: concurrency, limit: 2, retry_after: 3s}]\npolicy: c\n"));
  AdmissionPolicy& p = *t.policy;
  Request a = make_request(1, 0, 0), b = make_request(2, 0, 0), c = make_request(3, 0, 0);
  CHECK(p.decide(a, 0).admit);
  CHECK(p.decide(b, 0).admit);
  const AdmissionDecision d = p.decide(c, 0);
  CHECK(!d.admit);
  CHECK(d.retry_after == 3 * kSecond);
  CHECK(!d.permanent);
  CHECK(!p.decide(c, kSecond).admit);  // the refusals took nothing
  p.on_completed(a, 2 * kSecond);
  CHECK(p.decide(c, 2 * kSecond).admit);
  CHECK(!p.decide(make_request(4, 0, 0), 2 * kSecond).admit);
  p.on_abandoned(b, 3 * kSecond);
  CHECK(p.decide(make_request(4, 0, 0), 3 * kSecond).admit);
  CHECK(p.decide(make_request(5, 1, 0), 3 * kSecond).admit);  // another user
}

TEST_CASE("load shedding rejects from the lowest plan first", "[policy]") {
  FakeReplica r0, r1;
  std::vector<Replica*> replicas{&r0, &r1};
  AdmissionContext ctx;
  ctx.replicas = replicas;
  test::PolicyUnderTest t(test::three_plan_scenario("policies:\n  shed:\n    global:\n"
                                                    "      - {type: load_shedding, thresholds: {free: 4, pro: 8}}\n"
                                                    "policy: shed\n"),
                          ctx);
  AdmissionPolicy& p = *t.policy;
  const auto admitted = [&](std::uint32_t plan) { return p.decide(make_request(1, plan * 2, plan), 0).admit; };
  r0.outstanding_ = 3, r1.outstanding_ = 4;  // 3.5 per replica
  CHECK(admitted(0));
  CHECK(admitted(1));
  CHECK(admitted(2));
  r0.outstanding_ = 4, r1.outstanding_ = 4;  // 4: free is shed
  CHECK(!admitted(0));
  CHECK(admitted(1));
  CHECK(admitted(2));
  r0.outstanding_ = 9, r1.outstanding_ = 8;  // 8.5: free and pro are shed, max never
  CHECK(!admitted(0));
  CHECK(!admitted(1));
  CHECK(admitted(2));
  const AdmissionDecision d = p.decide(make_request(1, 0, 0), 0);
  CHECK(std::string(d.reason) == "load_shedding");
  CHECK(d.retry_after == kSecond);
}

TEST_CASE("load shedding on predicted TTFT uses the predictor, and refuses to run without one", "[policy]") {
  const std::string yaml = test::three_plan_scenario(
      "policies:\n  shed:\n    global:\n"
      "      - {type: load_shedding, signal: predicted_ttft, thresholds: {free: 2s, pro: 10s}}\npolicy: shed\n");
  CHECK_THROWS_AS(test::PolicyUnderTest(yaml), ConfigError);
  FakeTtft ttft;
  AdmissionContext ctx;
  ctx.ttft = &ttft;
  test::PolicyUnderTest t(yaml, ctx);
  ttft.ttft = 3 * kSecond;
  CHECK(!t.policy->decide(make_request(1, 0, 0), 0).admit);
  CHECK(t.policy->decide(make_request(2, 2, 1), 0).admit);
}

TEST_CASE("load shedding thresholds may not shed a higher plan first", "[policy]") {
  CHECK_THROWS_WITH(test::load_text(test::three_plan_scenario(
                        "policies:\n  shed:\n    global:\n      - {type: load_shedding, thresholds: {pro: 4}}\n")),
                    Catch::Contains("shed before the lower plan 'free'"));
  CHECK_THROWS_WITH(test::load_text(test::three_plan_scenario("policies:\n  shed:\n    global:\n"
                                                         "      - {type: load_shedding, thresholds: {gold: 4}}\n")),
                    Catch::Contains("'gold' is not a plan name"));
}

TEST_CASE("power budget holds admissions while facility power is over budget - needs the power model",
          "[policy]") {
  const std::string yaml = test::three_plan_scenario(
      "policies:\n  power:\n    global: [{type: power_budget, budget_fraction: 0.9}]\npolicy: power\n");
  CHECK_THROWS_WITH(test::PolicyUnderTest(yaml), Catch::Contains("needs the facility power model"));
  FakePower power;
  AdmissionContext ctx;
  ctx.power = &power;
  test::PolicyUnderTest t(yaml, ctx);
  power.power_w = 899.0;
  CHECK(t.policy->decide(make_request(1, 0, 0), 0).admit);
  power.power_w = 900.0;
  const AdmissionDecision d = t.policy->decide(make_request(2, 0, 0), 0);
  CHECK(!d.admit);
  CHECK(!d.permanent);
  CHECK(std::string(d.reason) == "power_budget");
}
