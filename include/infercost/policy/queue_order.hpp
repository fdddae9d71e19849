#pragma once
// Queue-order policies: how a serving model picks the next waiting request. A policy set names one
// (`queue:` in docs/scenario-reference-policy.md); the serving model applies it to its waiting queue.
// Priority by plan is PriorityOrder here; fair share is VirtualTokenCounter (vtc.hpp).
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "infercost/core/request.hpp"

namespace infercost {

/// How a serving model should order its waiting queue.
struct QueueOrderConfig {
  enum class Order : std::uint8_t { kFifo, kPriority, kFairShare };
  Order order = Order::kFifo;
  std::vector<std::uint32_t> plan_rank;  ///< priority: rank of each plan (higher is served first)
  bool preempt_lower_plans = false;      ///< priority: a waiting request may preempt a running lower-rank one
  std::vector<double> plan_weight;       ///< fair share: VTC weight of each plan's users (> 0)
  double input_weight = 1.0;             ///< fair share: VTC w_p, counter units per prompt token
  double output_weight = 2.0;            ///< fair share: VTC w_q, counter units per output token
};

const char* to_string(QueueOrderConfig::Order order);

/// A waiting queue ordered by plan rank: the highest rank first, first come first served within a rank.
class PriorityOrder {
 public:
  /// `plan_rank[p]` is plan p's rank.
  explicit PriorityOrder(std::vector<std::uint32_t> plan_rank);

  void push(Request& request);
  /// Puts `request` first among its rank (a preempted request resumes before newer ones of its plan).
  void push_front(Request& request);
  /// The next request to serve (nullptr when empty).
  Request* front() const;
  /// Removes and returns the next request (nullptr when empty).
  Request* pop();
  /// Removes a waiting request (abandoned); false if it was not waiting.
  bool remove(const Request& request);
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::uint32_t rank(const Request& request) const { return rank_[request.plan]; }
  /// True when `waiting` outranks `running` (preemption of lower plans).
  bool outranks(const Request& waiting, const Request& running) const { return rank(waiting) > rank(running); }

 private:
  std::vector<std::uint32_t> rank_;
  std::vector<std::deque<Request*>> by_rank_;
  std::size_t size_ = 0;
};

}  // namespace infercost
