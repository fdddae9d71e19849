#include "infercost/serving/wait_queue.hpp"

#include <catch2/catch.hpp>

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
