// Waiting-queue orders. FIFO follows vLLM's scheduler: arrivals join the back, a preempted request returns to the
// front so it resumes before newer work (vLLM v0 Scheduler._preempt: waiting.appendleft).
#include "infercost/serving/wait_queue.hpp"

#include <algorithm>
#include <deque>
#include <unordered_map>
#include <vector>

#include "infercost/policy/vtc.hpp"

namespace infercost {
namespace {

/// A ring of request pointers (power-of-two capacity, doubled when full). A replica's queue is usually empty or
/// nearly so: the ring's few live entries share a line with each other, where a deque keeps two 32-byte
/// iterators and 512-byte blocks, lines a fleet's replica fetches cold on every arrival.
class FifoQueue final : public WaitQueue {
 public:
  void push(Request& request, SimTime) override {
    if (size_ == ring_.size()) grow();
    ring_[(head_ + size_) & (ring_.size() - 1)] = &request;
    ++size_;
  }
  void requeue(Request& request, SimTime) override {
    if (size_ == ring_.size()) grow();
    head_ = (head_ - 1) & (ring_.size() - 1);
    ring_[head_] = &request;
    ++size_;
  }
  Request* front() override { return size_ == 0 ? nullptr : ring_[head_]; }
  /// Both of the request's lines: admission reads its lengths from the first and writes started_at in the second.
  void prefetch_front() const override {
    if (size_ != 0) prefetch_request(ring_[head_]);
  }
  void pop_front() override {
    head_ = (head_ + 1) & (ring_.size() - 1);
    --size_;
  }
  std::size_t size() const override { return size_; }

 private:
  void grow() {
    std::vector<Request*> bigger(ring_.empty() ? 8 : 2 * ring_.size());
    for (std::size_t i = 0; i < size_; ++i) bigger[i] = ring_[(head_ + i) & (ring_.size() - 1)];
    ring_ = std::move(bigger);
    head_ = 0;
  }
  std::vector<Request*> ring_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

class FifoConfig final : public WaitQueueConfig {
 public:
  std::unique_ptr<WaitQueue> make_queue() const override { return std::make_unique<FifoQueue>(); }
};

/// Priority by plan (PriorityOrder): the highest rank first, arrival order within a rank; a preempted request
/// resumes first within its rank. With preemption, a waiting request outranks running ones of lower plans.
class PriorityQueue final : public WaitQueue {
 public:
  PriorityQueue(std::vector<std::uint32_t> plan_rank, bool preempt) : order_(std::move(plan_rank)), preempt_(preempt) {}
  void push(Request& request, SimTime) override { order_.push(request); }
  void requeue(Request& request, SimTime) override { order_.push_front(request); }
  Request* front() override { return order_.front(); }
  void pop_front() override { order_.pop(); }
  std::size_t size() const override { return order_.size(); }
  bool outranks(const Request& waiting, const Request& running) const override {
    return preempt_ && order_.outranks(waiting, running);
  }
  bool may_outrank() const override { return preempt_; }

 private:
  PriorityOrder order_;
  bool preempt_;
};

class PriorityConfig final : public WaitQueueConfig {
 public:
  PriorityConfig(std::vector<std::uint32_t> plan_rank, bool preempt) : rank_(std::move(plan_rank)), preempt_(preempt) {}
  std::unique_ptr<WaitQueue> make_queue() const override { return std::make_unique<PriorityQueue>(rank_, preempt_); }

 private:
  std::vector<std::uint32_t> rank_;
  bool preempt_;
};

/// Fair share (VirtualTokenCounter, one client per user): the backlogged user with the smallest counter goes
/// first, its oldest request first (a preempted one resumes first). Prompt tokens are charged when they enter the
/// batch (recomputed ones too), generated tokens as they are reported.
class FairShareQueue final : public WaitQueue {
 public:
  FairShareQueue(std::uint32_t users, VtcParams params, std::vector<double> user_weight)
      : vtc_(users, params, std::move(user_weight)) {}
  void push(Request& request, SimTime) override {
    waiting_[request.user].push_back(&request);
    vtc_.on_enqueue(request.user);
    ++size_;
  }
  void requeue(Request& request, SimTime) override {
    waiting_[request.user].push_front(&request);
    vtc_.on_enqueue(request.user);
    ++size_;
  }
  Request* front() override {
    const auto user = vtc_.select();
    return user ? waiting_.at(*user).front() : nullptr;
  }
  void pop_front() override {
    const auto user = vtc_.select();
    if (!user) return;
    auto it = waiting_.find(*user);
    it->second.pop_front();
    if (it->second.empty()) waiting_.erase(it);
    vtc_.on_dispatch(*user, 0);
    --size_;
  }
  std::size_t size() const override { return size_; }
  bool counts_service() const override { return true; }
  void on_served(const Request& request, std::uint64_t prefill_tokens, std::uint64_t decode_tokens) override {
    if (prefill_tokens > 0) vtc_.on_prefill(request.user, prefill_tokens);
    while (decode_tokens > 0) {  // on_decode counts in 32 bits
      const auto n = static_cast<std::uint32_t>(std::min<std::uint64_t>(decode_tokens, UINT32_MAX));
      vtc_.on_decode(request.user, n);
      decode_tokens -= n;
    }
  }

 private:
  VirtualTokenCounter vtc_;
  std::unordered_map<std::uint32_t, std::deque<Request*>> waiting_;  ///< backlogged users only
  std::size_t size_ = 0;
};

class FairShareConfig final : public WaitQueueConfig {
 public:
  FairShareConfig(VtcParams params, std::vector<double> user_weight) : params_(params), weight_(std::move(user_weight)) {}
  std::unique_ptr<WaitQueue> make_queue() const override {
    return std::make_unique<FairShareQueue>(static_cast<std::uint32_t>(weight_.size()), params_, weight_);
  }

 private:
  VtcParams params_;
  std::vector<double> weight_;
};

}  // namespace

void register_queue_orders(Registry<WaitQueueConfig>& registry) {
  registry.add("fifo", "arrival order; preempted requests resume first (vLLM)",
               [](const ConfigNode&) -> std::unique_ptr<WaitQueueConfig> { return std::make_unique<FifoConfig>(); });
}

std::unique_ptr<WaitQueueConfig> make_policy_queue_order(const QueueOrderConfig& order,
                                                         std::vector<std::uint32_t> user_plan) {
  switch (order.order) {
    case QueueOrderConfig::Order::kFifo: return std::make_unique<FifoConfig>();
    case QueueOrderConfig::Order::kPriority:
      return std::make_unique<PriorityConfig>(order.plan_rank, order.preempt_lower_plans);
    case QueueOrderConfig::Order::kFairShare: {
      std::vector<double> weight(user_plan.size(), 1.0);
      for (std::size_t u = 0; u < user_plan.size(); ++u) {
        if (user_plan[u] < order.plan_weight.size()) weight[u] = order.plan_weight[user_plan[u]];
      }
      VtcParams params;
      params.input_weight = order.input_weight;
      params.output_weight = order.output_weight;
      return std::make_unique<FairShareConfig>(params, std::move(weight));
    }
  }
  return std::make_unique<FifoConfig>();
}

}  // namespace infercost
