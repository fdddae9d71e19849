#include "infercost/serving/wait_queue.hpp"

#include <catch2/catch.hpp>

#include <deque>
#include <vector>

#include "infercost/engine/random.hpp"

using namespace infercost;

TEST_CASE("fifo admits in arrival order and resumes preempted requests first", "[serving]") {
  Registry<WaitQueueConfig> reg("queue order");
  register_queue_orders(reg);
  const auto config = reg.create(ConfigNode::load_string("type: fifo", "<test>"));
  auto q = config->make_queue();
  Request a, b, c;
  a.id = 1;
  b.id = 2;
  c.id = 3;
  CHECK(q->front() == nullptr);
  q->push(a, 0);
  q->push(b, 1);
  q->requeue(c, 2);
  CHECK(q->size() == 3);
  CHECK(q->front() == &c);
  q->pop_front();
  CHECK(q->front() == &a);
  q->pop_front();
  CHECK(q->front() == &b);
  q->pop_front();
  CHECK(q->empty());
}

TEST_CASE("fifo behaves as a double-ended queue through growth and wrap-around", "[serving]") {
  Registry<WaitQueueConfig> reg("queue order");
  register_queue_orders(reg);
  auto q = reg.create(ConfigNode::load_string("type: fifo", "<test>"))->make_queue();
  std::vector<Request> requests(5000);
  std::deque<Request*> model;
  RandomStream rng(11);
  std::size_t next = 0;
  for (int step = 0; step < 20000; ++step) {
    const std::uint64_t op = rng.uniform_int(10);
    if (op < 5 && next < requests.size()) {
      q->push(requests[next], 0);
      model.push_back(&requests[next++]);
    } else if (op < 6 && next < requests.size()) {
      q->requeue(requests[next], 0);
      model.push_front(&requests[next++]);
    } else if (!model.empty()) {
      REQUIRE(q->front() == model.front());
      q->pop_front();
      model.pop_front();
    }
    REQUIRE(q->size() == model.size());
    REQUIRE(q->front() == (model.empty() ? nullptr : model.front()));
  }
  while (!model.empty()) {
    REQUIRE(q->front() == model.front());
    q->pop_front();
    model.pop_front();
  }
  CHECK(q->empty());
}

// ---- queue orders of policy sets (priority by plan, fair share) ---------------------------------------------------

#include <cmath>

#include <fmt/format.h>

#include "infercost/core/simulation.hpp"
#include "infercost/policy/policy_set.hpp"
#include "replica_harness.hpp"

namespace {

/// One Llama-3.1-8B replica with max_num_seqs 8, one user of plan `low` and one of plan `high`, each sending
/// `rate_per_s` requests of 200 prompt and 100 output tokens; `policy` names the active set.
std::string two_plans(const std::string& policy, double rate_per_s = 30.0, const std::string& duration = "3m") {
  return fmt::format(
      "name: queues\nseed: 4\nduration: {}\ncluster:\n  replicas: 1\n  serving: {{type: continuous_batching, gpu: "
      "H100-SXM5-80GB, model: Llama-3.1-8B, max_num_seqs: 8}}\nplans:\n  - {{name: low, price_usd_per_month: 0}}\n"
      "  - {{name: high, price_usd_per_month: 10}}\nworkload:\n  classes:\n"
      "    - {{name: a, users: 1, plan: low, arrival: {{type: poisson, rate: {}/s}}, input_tokens: {{type: constant, "
      "value: 200}}, output_tokens: {{type: constant, value: 100}}}}\n"
      "    - {{name: b, users: 1, plan: high, arrival: {{type: poisson, rate: {}/s}}, input_tokens: {{type: constant, "
      "value: 200}}, output_tokens: {{type: constant, value: 100}}}}\n"
      "policy: {}\npolicies:\n  prio: {{queue: {{order: priority}}}}\n"
      "  prio-preempt: {{queue: {{order: priority, preempt_lower_plans: true}}}}\n"
      "  fair: {{queue: {{order: fair_share, weights: {{low: 1, high: 2}}}}}}\n  fifo: {{queue: {{order: fifo}}}}\n",
      duration, rate_per_s, rate_per_s, policy);
}

struct PlanTtft {
  double mean_s[2] = {0, 0};
  std::uint32_t preemptions[2] = {0, 0};
};

/// 120 requests alternating between the plans every 20 ms (an overload for max_num_seqs 8), through the replica
/// with the active policy set's queue order.
PlanTtft contend(const std::string& policy) {
  infercost::testing::ReplicaHarness h(two_plans(policy));
  const auto queue = make_policy_queue_order(*h.scenario().policy->queue_order(), {0, 1});
  h.build(nullptr, queue.get());
  for (int i = 0; i < 120; ++i) {
    const std::uint32_t plan = i % 2;
    h.submit_at(h.make(plan, plan, 500, 200), i * 20 * kMillisecond);
  }
  h.engine.run_until(kHour);
  REQUIRE(h.completed == 120);
  PlanTtft out;
  for (const Request& r : h.requests) {
    out.mean_s[r.plan] += to_seconds(r.first_token_at - r.submitted_at) / 60.0;
    out.preemptions[r.plan] += r.preemptions;
  }
  return out;
}

}  // namespace

TEST_CASE("priority by plan: higher plans wait less; with preemption lower plans are evicted for them", "[serving][queue]") {
  const PlanTtft fifo = contend("fifo");
  const PlanTtft prio = contend("prio");
  const PlanTtft preempt = contend("prio-preempt");
  INFO("fifo " << fifo.mean_s[0] << " / " << fifo.mean_s[1] << ", priority " << prio.mean_s[0] << " / "
               << prio.mean_s[1] << ", preempting " << preempt.mean_s[0] << " / " << preempt.mean_s[1]);
  CHECK(std::abs(fifo.mean_s[1] - fifo.mean_s[0]) < 0.1 * fifo.mean_s[0]);
  CHECK(prio.mean_s[1] < 0.5 * prio.mean_s[0]);
  CHECK(prio.mean_s[1] < 0.5 * fifo.mean_s[1]);
  CHECK(prio.preemptions[0] + prio.preemptions[1] == 0);
  CHECK(preempt.preemptions[0] > 0);
  CHECK(preempt.preemptions[1] == 0);
  CHECK(preempt.mean_s[1] < prio.mean_s[1]);
}

TEST_CASE("fair share end to end: backlogged users of weights 1 and 2 get weighted service within the VTC bound",
          "[serving][queue]") {
  const Registries reg = builtin_registries();
  const auto weighted_service = [&](const std::string& policy) {
    const Scenario s = load_scenario_text(two_plans(policy), "queues.yaml", {}, reg);
    Simulation sim(s, s.seed);
    sim.run();
    double w[2];
    for (std::uint32_t u = 0; u < 2; ++u) {
      const UserCounters& c = sim.metrics().users[u];
      w[u] = 1.0 * static_cast<double>(c.input_tokens) + 2.0 * static_cast<double>(c.output_tokens);  // w_p, w_q
    }
    return std::pair{w[0] / 1.0, w[1] / 2.0};  // counter units: service / weight
  };
  // U = max(w_p L_input, w_q M) with M = 8 sequences x 300 tokens the batch can hold (OSDI'24 Theorem 4.4); service
  // is counted for completed requests, so up to 8 requests in flight (<= 400 units each) add to the slack.
  const double bound = 2 * std::max(200.0, 2.0 * 8 * 300) + 8 * 400;
  const auto [low, high] = weighted_service("fair");
  INFO("fair share: low " << low << ", high/2 " << high);
  CHECK(low > 1e5);
  CHECK(std::abs(low - high) <= bound);
  const auto [fifo_low, fifo_high] = weighted_service("fifo");
  INFO("fifo: low " << fifo_low << ", high/2 " << fifo_high);
  CHECK(std::abs(fifo_low - fifo_high) > 5 * bound);  // first come, first served ignores the weights
}

TEST_CASE("a policy set with queue order fifo runs exactly like no queue order", "[serving][queue]") {
  const Registries reg = builtin_registries();
  // (fingerprint, completed requests of the low plan's user)
  const auto run = [&](const std::string& policy) {
    const Scenario s = load_scenario_text(two_plans(policy, 30.0, "1m"), "queues.yaml", {}, reg);
    Simulation sim(s, s.seed);
    const std::uint64_t fingerprint = sim.run().fingerprint;
    return std::pair{fingerprint, sim.metrics().users[0].completed};
  };
  CHECK(run("fifo") == run("unlimited"));
  CHECK(run("fair").second < run("unlimited").second);  // the weight-2 user gets more under fair share
}

TEST_CASE("policy queue orders: priority resumes preempted requests first in their rank; fair share by counter",
          "[serving][queue]") {
  QueueOrderConfig prio;
  prio.order = QueueOrderConfig::Order::kPriority;
  prio.plan_rank = {0, 1};
  auto q = make_policy_queue_order(prio, {0, 1})->make_queue();
  Request a, b, c, d;
  a.plan = 0;
  b.plan = 1;
  c.plan = 0;
  d.plan = 1;
  q->push(a, 0);
  q->push(b, 1);
  q->requeue(c, 2);
  q->push(d, 3);
  CHECK(!q->outranks(b, a));  // no preemption unless asked
  std::vector<Request*> order;
  while (q->front()) {
    order.push_back(q->front());
    q->pop_front();
  }
  CHECK(order == std::vector<Request*>{&b, &d, &c, &a});

  QueueOrderConfig fair;
  fair.order = QueueOrderConfig::Order::kFairShare;
  fair.plan_weight = {1.0, 1.0};
  auto f = make_policy_queue_order(fair, {0, 0})->make_queue();
  Request x1, x2, y1;
  x1.user = x2.user = 0;
  y1.user = 1;
  f->push(x1, 0);
  f->push(x2, 0);
  f->push(y1, 0);
  CHECK(f->front() == &x1);  // equal counters: the user backlogged first
  f->pop_front();
  f->on_served(x1, 500, 0);  // user 0's counter rises to 500
  CHECK(f->front() == &y1);
  f->pop_front();
  f->on_served(y1, 100, 0);
  CHECK(f->front() == &x2);
  CHECK(f->size() == 1);
}
