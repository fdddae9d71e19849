#pragma once
// Priority queues of events. Both are implicit d-ary heaps over a contiguous vector:
//  - BinaryHeapQueue: d = 2, log2(n) levels, 1 comparison per level on push, 2 per level on pop.
//  - QuaternaryHeapQueue: d = 4, half the levels, children of a node share a cache line pair, so pops touch
//    fewer lines; 4 comparisons per level on pop. Within a few percent of the binary heap up to 1e5 pending,
//    ~15% faster at 1e6.
// Both: push O(log n), pop O(log n), top O(1), 24 bytes per pending event. Kept as measured alternatives:
// the engine uses RadixHeapQueue (radix_queue.hpp), 4-9x faster (docs/performance.md).
#include <cstddef>
#include <utility>
#include <vector>

#include "infercost/engine/event.hpp"

namespace infercost {

/// A d-ary min-heap of events ordered by event_before; d is 2 or 4 in practice.
template <unsigned D>
class DaryHeapQueue {
 public:
  bool empty() const { return heap_.empty(); }
  std::size_t size() const { return heap_.size(); }
  const Event& top() const { return heap_.front(); }
  SimTime top_time() const { return heap_.front().time; }
  void reserve(std::size_t n) { heap_.reserve(n); }
  void clear() { heap_.clear(); }
  /// Calls f(event) for every pending event, in no particular order.
  template <class F>
  void for_each(F&& f) const {
    for (const Event& e : heap_) f(e);
  }
  std::size_t memory_bytes() const { return heap_.capacity() * sizeof(Event); }

  void push(const Event& e) {
    std::size_t i = heap_.size();
    heap_.push_back(e);
    while (i > 0) {
      const std::size_t parent = (i - 1) / D;
      if (!event_before(e, heap_[parent])) break;
      heap_[i] = heap_[parent];
      i = parent;
    }
    heap_[i] = e;
  }

  Event pop() {
    Event result = heap_.front();
    const Event last = heap_.back();
    heap_.pop_back();
    const std::size_t n = heap_.size();
    if (n == 0) return result;
    std::size_t i = 0;
    for (;;) {
      const std::size_t first = D * i + 1;
      if (first >= n) break;
      std::size_t best = first;
      const std::size_t end = first + D < n ? first + D : n;
      for (std::size_t c = first + 1; c < end; ++c) {
        if (event_before(heap_[c], heap_[best])) best = c;
      }
      if (!event_before(heap_[best], last)) break;
      heap_[i] = heap_[best];
      i = best;
    }
    heap_[i] = last;
    return result;
  }

 private:
  std::vector<Event> heap_;
};

using BinaryHeapQueue = DaryHeapQueue<2>;
using QuaternaryHeapQueue = DaryHeapQueue<4>;

}  // namespace infercost
