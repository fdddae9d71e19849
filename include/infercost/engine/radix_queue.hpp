#pragma once
// A radix heap (Ahuja, Mehlhorn, Orlin, Tarjan 1990, "Faster algorithms for the shortest path problem",
// J. ACM 37(2)) over integer-nanosecond times, with 2^DigitBits-way digits. It relies on the engine's
// monotonicity: nothing is ever pushed before the last time popped (the engine's `now`).
//
// Buckets. Times are split into digits of DigitBits bits. An event sits in bucket (level, digit), where
// level is the highest digit in which its time differs from `last_` (the latest time popped) and digit is
// its time's value there. All events of a bucket share the bits above that digit, so buckets are ordered:
// the lowest non-empty level's lowest non-empty digit holds the minimum (two count-trailing-zeros on bit
// masks), and each bucket keeps its minimum time. A level-0 bucket holds a single time.
//
// Near future. Three places hold the events of the aligned block of 2^DigitBits ns that contains `last_`:
//  - the run: the last level-1 bucket taken out, sorted by time with one stable counting-sort pass on its
//    level-0 digit, consumed in order;
//  - level-0 buckets: events pushed into that block after the run was formed;
//  - the front: events at exactly `last_`, in the order they are to pop (a level-0 bucket handed over whole
//    when its time comes, plus pushes at `last_` since).
// At equal times the run (pushed earlier) pops before the front and level 0 (pushed later).
//
// Far future. When the near future is empty, the lowest bucket's minimum becomes `last_`: a level-1
// bucket becomes the run, a level-0 or single-event bucket becomes the front, any other bucket is spread
// over lower levels (each event drops at least one level, so it moves at most 64 / DigitBits times).
// Push O(1); pop O(1) amortized plus that redistribution; no comparisons between events.
//
// FIFO among equal times needs no sequence numbers: events of equal time always share a bucket (the
// bucket is a function of the time and `last_`'s high digits, which do not change while they wait),
// buckets are appended to and spread in order, the counting sort is stable, and the front is consumed
// from its head. So the queue pops in exact (time, insertion) order; tests/engine compares it with a
// reference. DigitBits = 1 is close to the classic binary radix heap.
//
// Storage: buckets are chains of 768-byte blocks (32 events) from one pool, linked through a side array, so
// memory follows the number of pending events (24 bytes each, plus at most one partly filled block per
// non-empty bucket, 16 KiB of pool slack and the run's buffer), not each bucket's high-water mark.
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
/// buckets; 24 bytes per pending event plus one partly filled block per bucket in use.
template <unsigned DigitBits>
class RadixQueue {
  static_assert(DigitBits >= 1 && DigitBits <= 6, "a level's bucket mask is one 64-bit word");

 public:
  RadixQueue() = default;
  RadixQueue(const RadixQueue&) = delete;
  RadixQueue& operator=(const RadixQueue&) = delete;
  RadixQueue(RadixQueue&&) noexcept = default;
  RadixQueue& operator=(RadixQueue&&) noexcept = default;

  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }

  /// Adds an event; its time must be >= the time of the last popped event (and >= 0).
  void push(const Event& e) {
    file(e, last_);
    ++size_;
  }

  /// The earliest pending time, in O(1); the queue must not be empty.
  SimTime top_time() const {
    if (run_head_at_last() || front_.head != kNoBlock) return static_cast<SimTime>(last_);
    std::uint64_t t = run_pos_ < run_end_ ? static_cast<std::uint64_t>(run_[run_pos_].time) : kNone;
    if (level_mask_ != 0) {
      const std::uint64_t b = lowest_bucket().min_time;
      t = b < t ? b : t;
    }
    return static_cast<SimTime>(t);
  }

  /// The earliest event (first scheduled among equal times); the queue must not be empty. Peeking commits
  /// nothing: later pushes may still precede it (down to the last popped time). O(1) unless the head is in
  /// the far future (then a scan of one bucket); the engine peeks with top_time().
  const Event& top() const {
    if (run_head_at_last()) return run_[run_pos_];
    if (front_.head != kNoBlock) return front_items_[front_pos_];
    const bool run = run_pos_ < run_end_;
    if (run && (level_mask_ == 0 || static_cast<std::uint64_t>(run_[run_pos_].time) <= lowest_bucket().min_time)) {
      return run_[run_pos_];
    }
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
    for (;;) {
      if (run_head_at_last()) return take_run();
      if (front_.head != kNoBlock) return take_front();
      advance();
    }
  }

  /// Calls f(event) for every pending event, in no particular order.
  template <class F>
  void for_each(F&& f) const {
    for (std::size_t i = run_pos_; i < run_end_; ++i) f(run_[i]);
    visit_chain(front_, front_pos_, f);
    for (const auto& level : buckets_) {
      for (const Bucket& b : level) visit_chain(b, 0, f);
    }
  }

  /// Pre-allocates blocks for n pending events.
  void reserve(std::size_t n) {
    while (next_.size() < n / kBlockEvents + kChunkBlocks) grow_pool();
  }

  /// Bytes held by the queue: blocks, their links, the run buffer, the chunk table and the bucket table.
  std::size_t memory_bytes() const {
    return next_.size() * sizeof(Block) + next_.capacity() * sizeof(next_[0]) + run_capacity_ * sizeof(Event) +
           chunks_.capacity() * sizeof(chunks_[0]) + sizeof(*this);
  }

 private:
  static constexpr unsigned kDigits = 1u << DigitBits;
  static constexpr unsigned kLevels = (64 + DigitBits - 1) / DigitBits;
  static constexpr std::uint32_t kBlockEvents = 32;  // 768-byte blocks; their links live in next_
  static constexpr std::uint32_t kChunkShift = 4;    // 16 blocks (16 KiB) per allocation
  static constexpr std::uint32_t kChunkBlocks = 1u << kChunkShift;
  static constexpr std::uint32_t kNoBlock = ~std::uint32_t{0};
  static constexpr std::uint64_t kNone = ~std::uint64_t{0};
  /// The level of a time whose highest bit differing from `last_` is bit w - 1 (a table, not a division).
  static constexpr auto kLevelOfWidth = [] {
    std::array<std::uint8_t, 65> table{};
    for (unsigned w = 1; w <= 64; ++w) table[w] = static_cast<std::uint8_t>((w - 1) / DigitBits);
    return table;
  }();

  struct Block {
    Event items[kBlockEvents];
  };
  /// A chain of blocks; all but the tail are full. 32 bytes.
  struct Bucket {
    Event* tail_items = nullptr;                 ///< the tail block's events (saves a lookup per append)
    std::uint64_t min_time = kNone;              ///< minimum time in the bucket
    std::uint32_t head = kNoBlock;
    std::uint32_t tail = kNoBlock;
    std::uint32_t tail_count = kBlockEvents;     ///< events in the tail block
  };

  Block& block(std::uint32_t id) { return chunks_[id >> kChunkShift][id & (kChunkBlocks - 1)]; }
  const Block& block(std::uint32_t id) const { return chunks_[id >> kChunkShift][id & (kChunkBlocks - 1)]; }

  bool run_head_at_last() const {
    return run_pos_ < run_end_ && static_cast<std::uint64_t>(run_[run_pos_].time) == last_;
  }
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
      b.tail_items = block(fresh).items;
      b.tail_count = 0;
    }
    b.tail_items[b.tail_count++] = e;
  }

  // Files an event by its time relative to `base` (<= its time): the front when equal, else the bucket of
  // the highest digit where they differ.
  void file(const Event& e, std::uint64_t base) {
    const auto t = static_cast<std::uint64_t>(e.time);
    const std::uint64_t x = t ^ base;
    if (x == 0) {
      append(front_, e);
      if (front_.head == front_.tail && front_.tail_count == 1) front_items_ = front_.tail_items;
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

  Event take_run() {
    const Event e = run_[run_pos_++];
    if (run_pos_ == run_end_) run_pos_ = run_end_ = 0;
    --size_;
    return e;
  }

  Event take_front() {
    const Event e = front_items_[front_pos_++];
    if (front_pos_ == (front_.head == front_.tail ? front_.tail_count : kBlockEvents)) {
      const std::uint32_t done = front_.head;
      front_.head = next_[done];
      if (front_.head == kNoBlock) front_ = Bucket{};
      else front_items_ = block(front_.head).items;
      release(done);
      front_pos_ = 0;
    }
    --size_;
    return e;
  }

  // Takes a bucket out of the table (it must be non-empty).
  Bucket detach(unsigned level, unsigned digit) {
    digit_mask_[level] &= ~(std::uint64_t{1} << digit);
    if (digit_mask_[level] == 0) level_mask_ &= ~(std::uint64_t{1} << level);
    const Bucket b = buckets_[level][digit];
    buckets_[level][digit] = Bucket{};
    return b;
  }

  // Makes a bucket whose events all have time `t` the front, with `last_` = t.
  void make_front(const Bucket& b, std::uint64_t t) {
    last_ = t;
    front_ = b;
    front_items_ = block(b.head).items;
    front_pos_ = 0;
  }

  // Nothing pops at `last_` any more (run head later or none, front empty): move `last_` to the next time.
  void advance() {
    const bool run = run_pos_ < run_end_;
    const bool level0 = (level_mask_ & 1) != 0;
    if (run || level0) {
      const std::uint64_t r = run ? static_cast<std::uint64_t>(run_[run_pos_].time) : kNone;
      const unsigned digit = level0 ? static_cast<unsigned>(std::countr_zero(digit_mask_[0])) : 0;
      const std::uint64_t l = level0 ? buckets_[0][digit].min_time : kNone;
      if (r < l) {
        last_ = r;  // the run head pops next (run_head_at_last)
      } else {
        // Level 0 at l: it is the front now; at l == r the run's events (older) still pop first.
        make_front(detach(0, digit), l);
      }
      return;
    }
    // Far future: the lowest bucket (level >= 1) holds the minimum.
    const unsigned level = static_cast<unsigned>(std::countr_zero(level_mask_));
    const unsigned digit = static_cast<unsigned>(std::countr_zero(digit_mask_[level]));
    const Bucket src = detach(level, digit);
    const std::uint64_t m = src.min_time;
    if (src.head == src.tail && src.tail_count == 1) {
      make_front(src, m);  // a lone event
      return;
    }
    last_ = m;
    if (level == 1) {
      make_run(src);
      return;
    }
    // Every event goes to the front or a lower level, so the chain being read is never appended to.
    for (std::uint32_t id = src.head; id != kNoBlock;) {
      const std::uint32_t n = id == src.tail ? src.tail_count : kBlockEvents;
      const Block& blk = block(id);
      for (std::uint32_t k = 0; k < n; ++k) file(blk.items[k], m);
      const std::uint32_t next = next_[id];
      release(id);
      id = next;
    }
  }

  // A level-1 bucket becomes the run: a stable counting sort on the level-0 digit puts it in time order.
  void make_run(const Bucket& src) {
    std::uint32_t start[kDigits] = {};
    std::size_t n = 0;
    for (std::uint32_t id = src.head; id != kNoBlock; id = next_[id]) {
      const std::uint32_t count = id == src.tail ? src.tail_count : kBlockEvents;
      const Block& blk = block(id);
      for (std::uint32_t k = 0; k < count; ++k) ++start[static_cast<std::uint64_t>(blk.items[k].time) & (kDigits - 1)];
      n += count;
    }
    std::uint32_t sum = 0;
    for (auto& s : start) {
      const std::uint32_t c = s;
      s = sum;
      sum += c;
    }
    // Keep the buffer unless it is too small, or a burst left it far larger than needed.
    if (n > run_capacity_ || (run_capacity_ > 4096 && run_capacity_ > 4 * n)) {
      run_.reset(new Event[n]);  // default-initialized: every slot is written below
      run_capacity_ = n;
    }
    run_pos_ = 0;
    run_end_ = n;
    for (std::uint32_t id = src.head; id != kNoBlock;) {
      const std::uint32_t count = id == src.tail ? src.tail_count : kBlockEvents;
      const Block& blk = block(id);
      for (std::uint32_t k = 0; k < count; ++k) {
        const Event& e = blk.items[k];
        run_[start[static_cast<std::uint64_t>(e.time) & (kDigits - 1)]++] = e;
      }
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

  Bucket front_;                            ///< events at exactly last_ that pop after the run's
  Event* front_items_ = nullptr;            ///< the front's head block's events
  std::uint32_t front_pos_ = 0;             ///< next event to pop in the front's head block
  std::unique_ptr<Event[]> run_;            ///< a sorted level-1 bucket: [run_pos_, run_end_) pending
  std::size_t run_capacity_ = 0;
  std::size_t run_pos_ = 0;
  std::size_t run_end_ = 0;
  Bucket buckets_[kLevels][kDigits];
  std::uint64_t digit_mask_[kLevels] = {};  ///< bit d of level l set when bucket (l, d) holds events
  std::uint64_t level_mask_ = 0;            ///< bit l set when level l holds events
  std::uint64_t last_ = 0;                  ///< the last time popped (or about to pop); all pending >= it
  std::size_t size_ = 0;
  std::uint32_t free_ = kNoBlock;           ///< head of the free-block list (linked through next_)
  std::vector<std::uint32_t> next_;         ///< link of each block in its bucket or the free list
  std::vector<std::unique_ptr<Block[]>> chunks_;
};

/// The radix queue the engine uses: 64-way digits measured fastest (docs/performance.md).
using RadixHeapQueue = RadixQueue<6>;

}  // namespace infercost
