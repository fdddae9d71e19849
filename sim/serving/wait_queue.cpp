// Waiting-queue orders. FIFO follows vLLM's scheduler: arrivals join the back, a preempted request returns to the
// front so it resumes before newer work (vLLM v0 Scheduler._preempt: waiting.appendleft).
#include "infercost/serving/wait_queue.hpp"

#include <deque>

namespace infercost {
namespace {

class FifoQueue final : public WaitQueue {
 public:
  void push(Request& request, SimTime) override { q_.push_back(&request); }
  void requeue(Request& request, SimTime) override { q_.push_front(&request); }
  Request* front() override { return q_.empty() ? nullptr : q_.front(); }
  void pop_front() override { q_.pop_front(); }
  std::size_t size() const override { return q_.size(); }

 private:
  std::deque<Request*> q_;
};

class FifoConfig final : public WaitQueueConfig {
 public:
  std::unique_ptr<WaitQueue> make_queue() const override { return std::make_unique<FifoQueue>(); }
};

}  // namespace

void register_queue_orders(Registry<WaitQueueConfig>& registry) {
  registry.add("fifo", "arrival order; preempted requests resume first (vLLM)",
               [](const ConfigNode&) -> std::unique_ptr<WaitQueueConfig> { return std::make_unique<FifoConfig>(); });
}

}  // namespace infercost
