// Priority by plan (queue_order.hpp): the waiting request of the highest-ranked plan goes first; requests of
// one rank keep their arrival order.
#include "infercost/policy/queue_order.hpp"

#include <algorithm>

namespace infercost {

const char* to_string(QueueOrderConfig::Order order) {
  switch (order) {
    case QueueOrderConfig::Order::kFifo: return "fifo";
    case QueueOrderConfig::Order::kPriority: return "priority";
    case QueueOrderConfig::Order::kFairShare: return "fair_share";
  }
  return "?";
}

PriorityOrder::PriorityOrder(std::vector<std::uint32_t> plan_rank) : rank_(std::move(plan_rank)) {
  const std::uint32_t top = rank_.empty() ? 0 : *std::max_element(rank_.begin(), rank_.end());
  by_rank_.resize(top + 1);
}

void PriorityOrder::push(Request& request) {
  by_rank_[rank(request)].push_back(&request);
  ++size_;
}

void PriorityOrder::push_front(Request& request) {
  by_rank_[rank(request)].push_front(&request);
  ++size_;
}

Request* PriorityOrder::front() const {
  for (auto it = by_rank_.rbegin(); it != by_rank_.rend(); ++it) {
    if (!it->empty()) return it->front();
  }
  return nullptr;
}

Request* PriorityOrder::pop() {
  for (auto it = by_rank_.rbegin(); it != by_rank_.rend(); ++it) {
    if (it->empty()) continue;
    Request* r = it->front();
    it->pop_front();
    --size_;
    return r;
  }
  return nullptr;
}

bool PriorityOrder::remove(const Request& request) {
  auto& queue = by_rank_[rank(request)];
  const auto it = std::find(queue.begin(), queue.end(), &request);
  if (it == queue.end()) return false;
  queue.erase(it);
  --size_;
  return true;
}

}  // namespace infercost
