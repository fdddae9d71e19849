#pragma once
// The order in which a continuous-batching replica admits its waiting requests. The replica pushes arrivals and
// preempted requests, admits front() while it fits, and reports the tokens it serves, so orders such as
// priority-by-plan or fair share (virtual token counters, Sheng et al., OSDI 2024) can be added as new registry
// entries without touching the replica. Chosen by the serving key `queue_order:` (default `fifo`).
#include <cstdint>
#include <memory>
#include <vector>

#include "infercost/core/registry.hpp"
#include "infercost/core/request.hpp"
#include "infercost/policy/queue_order.hpp"

namespace infercost {

/// Waiting requests of one replica, in admission order.
class WaitQueue {
 public:
  virtual ~WaitQueue() = default;
  /// A new request arrives.
  virtual void push(Request& request, SimTime now) = 0;
  /// A running request was preempted and must be recomputed; it waits again.
  virtual void requeue(Request& request, SimTime now) = 0;
  /// The request to admit next, or nullptr when empty.
  virtual Request* front() = 0;
  /// A hint that front() will be read soon: may start loading the request; changes nothing.
  virtual void prefetch_front() const {}
  /// Removes front() (it was admitted).
  virtual void pop_front() = 0;
  virtual std::size_t size() const = 0;
  bool empty() const { return size() == 0; }
  /// Tokens the replica serves a request; fair-share orders count them. Prompt tokens (recomputed ones included)
  /// are reported when the request enters the batch, right after pop_front() (VTC charges them at dispatch);
  /// generated tokens at the end of each iteration, and once per closed-form run.
  virtual void on_served(const Request& /*request*/, std::uint64_t /*prefill_tokens*/, std::uint64_t /*decode_tokens*/) {}
  /// True when `waiting` may preempt `running` (priority by plan with preemption of lower plans).
  virtual bool outranks(const Request& /*waiting*/, const Request& /*running*/) const { return false; }
  /// Whether outranks() can ever be true (the replica skips its search of the batch otherwise).
  virtual bool may_outrank() const { return false; }
  /// Whether on_served() of generated tokens matters (the replica skips reporting them otherwise).
  virtual bool counts_service() const { return false; }
};

/// A validated `queue_order:` configuration; builds one queue per replica.
class WaitQueueConfig {
 public:
  virtual ~WaitQueueConfig() = default;
  virtual std::unique_ptr<WaitQueue> make_queue() const = 0;
};

/// Registers the built-in orders: `fifo` (arrival order; preempted requests go first, as in vLLM).
void register_queue_orders(Registry<WaitQueueConfig>& registry);

/// The queue order of a policy set (`queue:`, docs/models-policy.md, "Queue orders") for a run whose user u has
/// plan `user_plan[u]`: fifo, priority by plan rank (optionally preempting lower plans) or fair share by virtual
/// token counters (one counter per user, kept per replica).
std::unique_ptr<WaitQueueConfig> make_policy_queue_order(const QueueOrderConfig& order,
                                                         std::vector<std::uint32_t> user_plan);

}  // namespace infercost
