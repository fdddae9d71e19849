#include "infercost/policy/queue_order.hpp"

#include <catch2/catch.hpp>

#include "policy_test_util.hpp"

using namespace infercost;
using infercost::test::make_request;

TEST_CASE("priority order: higher plans first, first come first served within a plan", "[policy]") {
  // plans free (0), pro (1), max (2) ranked by the plans list.
  PriorityOrder q({0, 1, 2});
  std::vector<Request> r;
  const std::uint32_t plans[] = {0, 1, 0, 2, 1, 0, 2};
  for (std::uint32_t i = 0; i < 7; ++i) r.push_back(make_request(i, i, plans[i]));
  for (auto& x : r) q.push(x);
  CHECK(q.size() == 7);
  CHECK(q.remove(r[4]));  // an abandoned pro request
  CHECK(!q.remove(r[4]));
  std::vector<std::uint64_t> order;
  while (Request* x = q.pop()) order.push_back(x->id);
  CHECK(order == std::vector<std::uint64_t>{3, 6, 1, 0, 2, 5});
  CHECK(q.empty());
  CHECK(q.front() == nullptr);
  CHECK(q.outranks(r[3], r[1]));
  CHECK(!q.outranks(r[0], r[2]));
}

TEST_CASE("priority order: configured ranks override the plans list", "[policy]") {
  const Scenario s = test::load_text(test::three_plan_scenario(
      "policies:\n  prio:\n    queue: {order: priority, ranks: {free: 5, pro: 0, max: 3}, preempt_lower_plans: true}\n"));
  const QueueOrderConfig* cfg = s.policy_sets[1].config->queue_order();
  REQUIRE(cfg != nullptr);
  CHECK(cfg->order == QueueOrderConfig::Order::kPriority);
  CHECK(cfg->preempt_lower_plans);
  PriorityOrder q(cfg->plan_rank);
  Request pro = make_request(1, 0, 1), mx = make_request(2, 0, 2), fr = make_request(3, 0, 0);
  q.push(pro);
  q.push(mx);
  q.push(fr);
  CHECK(q.pop() == &fr);
  CHECK(q.pop() == &mx);
  CHECK(q.pop() == &pro);
}
