#pragma once
// Sifting in a 4-ary min-heap kept in an array (the children of i at 4i+1..4i+4): half a binary heap's depth,
// and a node's four children share a cache line when the array is laid out for it. Used by the engine's
// PackedHeapQueue and by the continuous-batching replica's completion heap.
#include <cstddef>

namespace infercost {

/// Fills the hole at `i` (a slot just added at the end) with `key`, moving it up past the parents it precedes.
/// `before(a, b)`: a strictly precedes b.
template <class T, class Before>
void quad_heap_sift_up(T* h, std::size_t i, const T key, Before before) {
  while (i > 0) {
    const std::size_t parent = (i - 1) / 4;
    if (!before(key, h[parent])) break;
    h[i] = h[parent];
    i = parent;
  }
  h[i] = key;
}

/// Fills the hole at the root of a heap of n >= 1 elements with `last` (the element removed from the end),
/// moving it down past the children that precede it.
template <class T, class Before>
void quad_heap_sift_down(T* h, std::size_t n, const T last, Before before) {
  std::size_t i = 0;
  for (;;) {
    const std::size_t first = 4 * i + 1;
    if (first >= n) break;
    std::size_t best = first;
    if (first + 3 < n) {
      // Four children: a tournament of selects, not a branch per child (which child precedes is a coin toss
      // to the predictor). The first of equals wins, as in the scan below.
      const std::size_t a = before(h[first + 1], h[first]) ? first + 1 : first;
      const std::size_t b = before(h[first + 3], h[first + 2]) ? first + 3 : first + 2;
      best = before(h[b], h[a]) ? b : a;
    } else {
      for (std::size_t c = first + 1; c < n; ++c) {
        if (before(h[c], h[best])) best = c;
      }
    }
    if (!before(h[best], last)) break;
    h[i] = h[best];
    i = best;
  }
  h[i] = last;
}

}  // namespace infercost
