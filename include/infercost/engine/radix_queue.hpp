#pragma once
// A radix heap (Ahuja, Mehlhorn, Orlin, Tarjan 1990, "Faster algorithms for the shortest path problem",
// J. ACM 37(2)) over integer-nanosecond times. It relies on the engine's monotonicity: nothing is ever
// scheduled before the last time taken out (the engine's `now`).
//
// Times are split into digits of DigitBits bits. An event whose time equals `last_` (the latest time popped)
// sits in the front; otherwise in bucket (level, digit), where level is the highest digit in which its time
// differs from `last_` and digit is its time's value there. All events in a bucket share the time's bits
// above that digit, so buckets are ordered: the lowest non-empty level's lowest non-empty digit holds the
// minimum (two count-trailing-zeros on bit masks). When the front runs dry, that bucket's minimum (kept per
// bucket) becomes `last_` and its events are spread over the front and lower levels. An event moves down a
// level at a time at most, so at most 64 / DigitBits times over its life, and a level-0 bucket (a single
// time) is handed to the front without copying. DigitBits = 1 is the classic binary radix heap.
// Push O(1); pop O(1) amortized plus the redistribution work; no comparisons between events.
//
// FIFO among equal times needs no sequence comparison: events of equal time always sit in the same bucket
// (the bucket is a function of the time and `last_`), buckets are appended to and redistributed in order,
// and the front is consumed from its head. So the queue pops in exact (time, insertion) order.
//
// Storage: buckets are chains of 1 KiB blocks (32 events) from one pool, linked through a side array, so
// memory follows the number of pending events (32 bytes each, plus at most one partly filled block per
// non-empty bucket and 16 KiB of pool slack), not each bucket's high-water mark.
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <vector>

#include "infercost/engine/event.hpp"

namespace infercost {

/// Monotone priority queue of events (times never below the last popped one) with 2^DigitBits-way radix
/// buckets; 32 bytes per pending event plus one partly filled block per bucket in use.
template <unsigned DigitBits>
class RadixQueue {
  static_assert(DigitBits >= 1 && DigitBits <= 6, "a level's bucket mask is one 64-bit word");

 public:
  RadixQueue() = default;
  RadixQueue(const RadixQueue&) = delete;
  RadixQueue& operator=(const RadixQueue&) = delete;

  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }

  /// Adds an event; its time must be >= the time of the last popped event (and >= 0).
  void push(const Event& e) {
    push_relative(e, last_);
    ++size_;
  }

  /// The earliest pending time, in O(1); the queue must not be empty.
  SimTime top_time() const {
    if (front_.head != kNoBlock) return static_cast<SimTime>(last_);
    return static_cast<SimTime>(lowest_bucket().min_time);
  }

  /// The earliest event (first scheduled among equal times); the queue must not be empty. Peeking commits
  /// nothing: later pushes may still precede it (down to the last popped time). O(1) when events at the
  /// last popped time remain, else a scan of one bucket; the engine peeks with top_time().
  const Event& top() const {
    if (front_.head != kNoBlock) return block(front_.head).items[front_pos_];
    const Bucket& b = lowest_bucket();
    for (std::uint32_t id = b.head;; id = next_[id]) {
      const std::uint32_t n = id == b.tail ? b.tail_count : kBlockEvents;
      for (std::uint32_t k = 0; k < n; ++k) {
        const Event& e = block(id).items[k];
        if (static_cast<std::uint64_t>(e.time) == b.min_time) return e;
      }
    }
  }

  Event pop() {
    if (front_.head == kNoBlock) refill();
    const Event e = block(front_.head).items[front_pos_++];
    if (front_pos_ == (front_.head == front_.tail ? front_.tail_count : kBlockEvents)) {
      const std::uint32_t done = front_.head;
      front_.head = next_[done];
      if (front_.head == kNoBlock) front_ = Bucket{};
      release(done);
      front_pos_ = 0;
    }
    --size_;
    return e;
  }

  /// Calls f(event) for every pending event, in no particular order.
  template <class F>
  void for_each(F&& f) const {
    visit_chain(front_, front_pos_, f);
    for (const auto& level : buckets_) {
      for (const Bucket& b : level) visit_chain(b, 0, f);
    }
  }

  /// Pre-allocates blocks for n pending events.
  void reserve(std::size_t n) {
    while (next_.size() < n / kBlockEvents + kChunkBlocks) grow_pool();
  }

  /// Bytes held by the queue: blocks, their links, the chunk table and the bucket table.
  std::size_t memory_bytes() const {
    return next_.size() * sizeof(Block) + next_.capacity() * sizeof(next_[0]) +
           chunks_.capacity() * sizeof(chunks_[0]) + sizeof(*this);
  }

 private:
  static constexpr unsigned kDigits = 1u << DigitBits;
  static constexpr unsigned kLevels = (64 + DigitBits - 1) / DigitBits;
  static constexpr std::uint32_t kBlockEvents = 32;  // 1 KiB blocks; their links live in next_
  static constexpr std::uint32_t kChunkShift = 4;    // 16 blocks (16 KiB) per allocation
  static constexpr std::uint32_t kChunkBlocks = 1u << kChunkShift;
  static constexpr std::uint32_t kNoBlock = ~std::uint32_t{0};
  /// The level of a time whose highest bit differing from `last_` is bit w - 1 (a table, not a division).
  static constexpr auto kLevelOfWidth = [] {
    std::array<std::uint8_t, 65> table{};
    for (unsigned w = 1; w <= 64; ++w) table[w] = static_cast<std::uint8_t>((w - 1) / DigitBits);
    return table;
  }();

  struct Block {
    Event items[kBlockEvents];
  };
  /// A chain of blocks; all but the tail are full.
  struct Bucket {
    std::uint32_t head = kNoBlock;
    std::uint32_t tail = kNoBlock;
    std::uint32_t tail_count = kBlockEvents;     ///< events in the tail block
    std::uint64_t min_time = ~std::uint64_t{0};  ///< minimum time in the bucket (unused for the front)
  };

  Block& block(std::uint32_t id) { return chunks_[id >> kChunkShift][id & (kChunkBlocks - 1)]; }
  const Block& block(std::uint32_t id) const { return chunks_[id >> kChunkShift][id & (kChunkBlocks - 1)]; }

  const Bucket& lowest_bucket() const {
    const unsigned level = static_cast<unsigned>(std::countr_zero(level_mask_));
    return buckets_[level][std::countr_zero(digit_mask_[level])];
  }

  template <class F>
  void visit_chain(const Bucket& b, std::uint32_t first, F& f) const {
    for (std::uint32_t id = b.head; id != kNoBlock; id = next_[id], first = 0) {
      const std::uint32_t n = id == b.tail ? b.tail_count : kBlockEvents;
      for (std::uint32_t k = first; k < n; ++k) f(block(id).items[k]);
    }
  }

  void append(Bucket& b, const Event& e) {
    if (b.tail_count == kBlockEvents) {
      const std::uint32_t fresh = acquire();
      if (b.tail == kNoBlock) b.head = fresh;
      else next_[b.tail] = fresh;
      b.tail = fresh;
      b.tail_count = 0;
    }
    block(b.tail).items[b.tail_count++] = e;
  }

  // Files an event by its time relative to `base` (<= its time): the front when equal, else the bucket of
  // the highest digit where they differ.
  void push_relative(const Event& e, std::uint64_t base) {
    const auto t = static_cast<std::uint64_t>(e.time);
    const std::uint64_t x = t ^ base;
    if (x == 0) {
      append(front_, e);
      return;
    }
    const unsigned level = kLevelOfWidth[std::bit_width(x)];
    const unsigned digit = static_cast<unsigned>(t >> (level * DigitBits)) & (kDigits - 1);
    Bucket& b = buckets_[level][digit];
    append(b, e);
    b.min_time = t < b.min_time ? t : b.min_time;
    digit_mask_[level] |= std::uint64_t{1} << digit;
    level_mask_ |= std::uint64_t{1} << level;
  }

  // The front is empty and the queue is not: the lowest non-empty bucket holds the minimum; it becomes
  // `last_` and that bucket is spread over the front and the lower levels.
  void refill() {
    const unsigned level = static_cast<unsigned>(std::countr_zero(level_mask_));
    const unsigned digit = static_cast<unsigned>(std::countr_zero(digit_mask_[level]));
    digit_mask_[level] &= digit_mask_[level] - 1;
    if (digit_mask_[level] == 0) level_mask_ &= level_mask_ - 1;
    const Bucket src = buckets_[level][digit];
    buckets_[level][digit] = Bucket{};
    last_ = src.min_time;
    front_pos_ = 0;
    if (level == 0 || (src.head == src.tail && src.tail_count == 1)) {
      front_ = src;  // a single time (a level-0 bucket holds one): the chain becomes the front as it is
      return;
    }
    // Every event goes to the front or a lower level, so the chain being read is never appended to.
    for (std::uint32_t id = src.head; id != kNoBlock;) {
      const std::uint32_t n = id == src.tail ? src.tail_count : kBlockEvents;
      const Block& blk = block(id);
      for (std::uint32_t k = 0; k < n; ++k) push_relative(blk.items[k], last_);
      const std::uint32_t next = next_[id];
      release(id);
      id = next;
    }
  }

  std::uint32_t acquire() {
    if (free_ == kNoBlock) grow_pool();
    const std::uint32_t id = free_;
    free_ = next_[id];
    next_[id] = kNoBlock;
    return id;
  }
  void release(std::uint32_t id) {
    next_[id] = free_;
    free_ = id;
  }
  void grow_pool() {
    const auto first = static_cast<std::uint32_t>(next_.size());
    if (first > kNoBlock - kChunkBlocks) throw std::length_error("RadixQueue: too many pending events");
    chunks_.push_back(std::make_unique<Block[]>(kChunkBlocks));
    next_.resize(next_.size() + kChunkBlocks);
    for (std::uint32_t k = kChunkBlocks; k-- > 0;) release(first + k);
  }

  Bucket front_;                            ///< events at exactly last_, in insertion order
  Bucket buckets_[kLevels][kDigits];
  std::uint64_t digit_mask_[kLevels] = {};  ///< bit d of level l set when bucket (l, d) holds events
  std::uint64_t level_mask_ = 0;            ///< bit l set when level l holds events
  std::uint64_t last_ = 0;                  ///< the last minimum taken out; all pending times are >= it
  std::uint32_t front_pos_ = 0;             ///< next event to pop in the front's head block
  std::size_t size_ = 0;
  std::uint32_t free_ = kNoBlock;           ///< head of the free-block list (linked through next_)
  std::vector<std::uint32_t> next_;         ///< link of each block in its bucket or the free list
  std::vector<std::unique_ptr<Block[]>> chunks_;
};

/// The radix queue the engine uses: 64-way digits measured fastest (docs/performance.md).
using RadixHeapQueue = RadixQueue<6>;

}  // namespace infercost
