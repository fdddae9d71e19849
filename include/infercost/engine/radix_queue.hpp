#pragma once
// A radix heap (Ahuja, Mehlhorn, Orlin, Tarjan 1990, "Faster algorithms for the shortest path problem",
// J. ACM 37(2)) over integer-nanosecond times. It relies on the engine's monotonicity: nothing is ever
// pushed before the last time popped (the engine's `now`).
//
// Buckets. Times are split into digits: DigitBits bits at levels 0 and 1 (the near future), WideBits bits
// at each level above (the top level takes the bits left). An event sits in bucket (level, digit), where
// level is the highest digit in which its time differs from `last_` (the latest time popped) and digit is
// its time's value there. All events of a bucket share the bits above that digit, so buckets are ordered:
// the lowest non-empty level's lowest non-empty digit holds the minimum, and each bucket keeps its minimum
// time. The minimum is found with count-trailing-zeros on bit masks: one bit per level, then per level a
// summary word with one bit per 64-bit word of digit bits (one word for 64 digits, 64 for 4096). A level-0
// bucket holds a single time.
//
// Wide digits. Each time a bucket is spread its events drop at least one level, so an event is copied
// about once per level between the one it is pushed to and the near future. The engine's RadixQueue<6, 10>
// has buckets of 1 ns and 64 ns at levels 0 and 1, then 1024-way levels with buckets of 4.1 us, 4.2 ms,
// 4.3 s, 73 min, 52 days and 146 years. On fleet-hour (pending events ~17 us apart, most pushed ~1 s
// ahead) an event lands at level 3 and is spread once, into 4 us buckets it mostly has to itself; with
// 64-way digits it landed at level 4 or 5 and was spread three or four times (in a model of it, 2.1 bucket
// filings per event instead of 3.1). The price is the bucket table: 32 bytes a bucket, 164 KiB (22.5 KiB with 64-way
// digits throughout; 4096-way digits, 516 KiB, saved a few percent more moves).
//
// Lone events. A bucket holding a single event keeps it in place of its block links: far buckets of sparse
// schedules mostly hold one, which then pops straight from the table, with no block taken and given back.
// The second event makes it a chain of blocks.
//
// Near future. Three places hold the events of the aligned block of 2^DigitBits ns that contains `last_`:
//  - the run: the last level-1 bucket taken out, sorted by time with one stable counting-sort pass on its
//    level-0 digit, consumed in order;
//  - level-0 buckets: events pushed into that block after the run was formed;
//  - the front: events at exactly `last_`, in the order they are to pop (a level-0 bucket handed over whole
//    when its time comes, plus pushes at `last_` since).
// At equal times the run (pushed earlier) pops before the front and level 0 (pushed later). Buckets above
// level 0 lie in later blocks, so while the run alone holds the block its head pops next, tie or not.
//
// Far future. When the near future is empty, the lowest bucket's minimum becomes `last_`: a lone event
// pops, a level-1 bucket becomes the run, any other bucket is spread over lower levels (each event drops at
// least one level, so it moves at most once per level). Push O(1); pop O(1) amortized plus that
// redistribution; no comparisons between events.
//
// FIFO among equal times needs no sequence numbers: events of equal time always share a bucket (the
// bucket is a function of the time and `last_`'s high digits, which do not change while they wait),
// buckets are appended to and spread in order (a lone event stays first when its bucket becomes a chain),
// the counting sort is stable, and the front is consumed from its head. So the queue pops in exact (time,
// insertion) order; tests/engine compares it with a reference. RadixQueue<1> is close to the classic
// binary radix heap.
//
// Storage: buckets are chains of 768-byte blocks (32 events) from one pool, linked through a side array, so
// memory follows the number of pending events (24 bytes each, plus at most one partly filled block per
// bucket of two or more events, 16 KiB of pool slack and the run's buffer), not each bucket's high-water
// mark. The bucket table is allocated apart from the queue object: an engine may live on a thread's stack.
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <vector>

#include "infercost/engine/event.hpp"

namespace infercost {

/// Monotone priority queue of events (times never below the last popped one) with radix buckets:
/// 2^DigitBits-way digits at levels 0 and 1, 2^WideBits-way digits above; 24 bytes per pending event plus
/// one partly filled block per bucket of two or more events.
template <unsigned DigitBits, unsigned WideBits = DigitBits>
class RadixQueue {
  static_assert(DigitBits >= 1 && DigitBits <= 6, "a near-future level's bucket mask is one 64-bit word");
  static_assert(WideBits >= DigitBits && WideBits <= 12, "a wide level's summary is one word over 64 mask words");

 public:
  RadixQueue() : buckets_(std::make_unique<Bucket[]>(kBuckets)) {}
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
    if (front_.count != kEmpty) return static_cast<SimTime>(last_);
    if (run_pos_ == run_end_) return lowest_bucket().chain.min_time;
    // Buckets above level 0 lie in blocks after the run's: only level 0 can hold an earlier time.
    const SimTime r = run_[run_pos_].time;
    if ((level_mask_ & 1) == 0) return r;
    const SimTime l = buckets_[std::countr_zero(words_[0])].chain.min_time;
    return l < r ? l : r;
  }

  /// The earliest event (first scheduled among equal times); the queue must not be empty. Peeking commits
  /// nothing: later pushes may still precede it (down to the last popped time). O(1) unless the head is in
  /// the far future (then a scan of one bucket); the engine peeks with it only for the next event's prefetch
  /// hints, and pops with pop_due().
  const Event& top() const {
    if (run_head_at_last()) return run_[run_pos_];
    if (front_.count != kEmpty) return front_items_[front_pos_];
    const bool run = run_pos_ < run_end_;
    if (run && (level_mask_ == 0 || run_[run_pos_].time <= lowest_bucket().chain.min_time)) return run_[run_pos_];
    const Bucket& b = lowest_bucket();
    if (b.count == kLone) return b.lone;
    for (std::uint32_t id = b.chain.head;; id = next_[id]) {
      const std::uint32_t n = id == b.chain.tail ? b.count : kBlockEvents;
      for (std::uint32_t k = 0; k < n; ++k) {
        const Event& e = block(id).items[k];
        if (e.time == b.chain.min_time) return e;
      }
    }
  }

  Event pop() {
    Event e;
    pop_due(kTimeNever, e);
    return e;
  }

  /// Pops the earliest event into `out` and returns true when its time is at most `end`; otherwise (nothing
  /// pending, or the earliest is later) commits nothing and returns false: one look at the head per event, where
  /// top_time() then pop() looked twice.
  bool pop_due(SimTime end, Event& out) {
    if (end < 0) return false;  // every pending time is >= 0
    const auto limit = static_cast<std::uint64_t>(end);
    for (;;) {
      if (run_pos_ < run_end_ && front_.count == kEmpty && (level_mask_ & 1) == 0) {
        // The run alone holds the current block, so its head is next (buckets above level 0 are later), at
        // last_ or not: no branch on a tie.
        const auto t = static_cast<std::uint64_t>(run_[run_pos_].time);
        if (t > limit) return false;
        last_ = t;
        out = take_run();
        return true;
      }
      if (run_head_at_last() || front_.count != kEmpty) {
        if (last_ > limit) return false;
        out = run_head_at_last() ? take_run() : take_front();
        return true;
      }
      if (run_pos_ < run_end_ || (level_mask_ & 1) != 0) {
        if (!advance_near(limit)) return false;
        continue;
      }
      if (level_mask_ == 0) return false;
      // Far future: the lowest bucket (level >= 1) holds the minimum (a lone event's time reads as min_time).
      const unsigned level = static_cast<unsigned>(std::countr_zero(level_mask_));
      const unsigned digit = lowest_digit(level);
      Bucket& b = buckets_[kLevelInfo[level].bucket_base + digit];
      if (static_cast<std::uint64_t>(b.chain.min_time) > limit) return false;
      if (b.count == kLone) {
        // The only event at its time (equal times share a bucket), and nothing is left before it.
        out = b.lone;
        last_ = static_cast<std::uint64_t>(out.time);
        clear(level, digit, b);
        --size_;
        return true;
      }
      advance_far(level, digit, b);
    }
  }

  /// Calls f(event) for every pending event, in no particular order.
  template <class F>
  void for_each(F&& f) const {
    for (std::size_t i = run_pos_; i < run_end_; ++i) f(run_[i]);
    visit(front_, front_pos_, f);
    for (std::size_t i = 0; i < kBuckets; ++i) visit(buckets_[i], 0, f);
  }

  /// Pre-allocates blocks for n pending events.
  void reserve(std::size_t n) {
    while (next_.size() < n / kBlockEvents + kChunkBlocks) grow_pool();
  }

  /// Bytes held by the queue: blocks, their links, the run buffer, the chunk table and the bucket table.
  std::size_t memory_bytes() const {
    return next_.size() * sizeof(Block) + next_.capacity() * sizeof(next_[0]) + run_capacity_ * sizeof(Event) +
           chunks_.capacity() * sizeof(chunks_[0]) + kBuckets * sizeof(Bucket) + sizeof(*this);
  }

 private:
  static constexpr unsigned kNearDigits = 1u << DigitBits;  // levels 0 and 1
  static constexpr unsigned kNearBits = 2 * DigitBits;
  static constexpr unsigned kLevels = 2 + (64 - kNearBits + WideBits - 1) / WideBits;
  static_assert(kLevels <= 64, "the level mask is one 64-bit word");
  static constexpr std::uint32_t kBlockEvents = 32;  // 768-byte blocks; their links live in next_
  static constexpr std::uint32_t kChunkShift = 4;    // 16 blocks (16 KiB) per allocation
  static constexpr std::uint32_t kChunkBlocks = 1u << kChunkShift;
  static constexpr std::uint32_t kNoBlock = ~std::uint32_t{0};
  static constexpr std::uint64_t kNone = ~std::uint64_t{0};
  // Bucket::count beyond the events of a tail block.
  static constexpr std::uint32_t kLone = kBlockEvents + 1;
  static constexpr std::uint32_t kEmpty = kBlockEvents + 2;

  /// Where a level's events go: its digit's position and mask, the offsets of its buckets in the bucket
  /// table and of its mask words in words_.
  struct Level {
    std::uint32_t bucket_base;
    std::uint32_t word_base;
    std::uint8_t level;
    std::uint8_t shift;
    std::uint16_t mask;
  };
  static constexpr std::array<Level, kLevels> kLevelInfo = [] {
    std::array<Level, kLevels> info{};
    std::uint32_t buckets = 0;
    std::uint32_t words = 0;
    for (unsigned l = 0; l < kLevels; ++l) {
      const unsigned shift = l < 2 ? l * DigitBits : kNearBits + (l - 2) * WideBits;
      const unsigned bits = l < 2 ? DigitBits : (64 - shift < WideBits ? 64 - shift : WideBits);
      info[l] = Level{buckets, words, static_cast<std::uint8_t>(l), static_cast<std::uint8_t>(shift),
                      static_cast<std::uint16_t>((1u << bits) - 1)};
      buckets += 1u << bits;
      words += ((1u << bits) + 63) / 64;
    }
    return info;
  }();
  static constexpr std::uint32_t kBuckets = kLevelInfo[kLevels - 1].bucket_base + kLevelInfo[kLevels - 1].mask + 1u;
  static constexpr std::uint32_t kWords =
      kLevelInfo[kLevels - 1].word_base + (kLevelInfo[kLevels - 1].mask + 64u) / 64;
  /// The level of a time whose highest bit differing from `last_` is bit w - 1, by w (a table, not a search).
  static constexpr auto kLevelOfWidth = [] {
    std::array<Level, 65> table{};
    for (unsigned w = 1; w <= 64; ++w) {
      unsigned l = 0;
      while (l + 1 < kLevels && kLevelInfo[l + 1].shift <= w - 1) ++l;
      table[w] = kLevelInfo[l];
    }
    return table;
  }();

  struct Block {
    Event items[kBlockEvents];
  };
  /// Blocks of a bucket of two or more events (or of the front); all but the tail are full.
  struct Chain {
    SimTime min_time;    ///< minimum time in the bucket; first, like Event::time (read through a lone event)
    Event* tail_items;   ///< the tail block's events (saves a lookup per append)
    std::uint32_t head;
    std::uint32_t tail;
  };
  /// Empty, one event in place (most far-future buckets hold one: no block to take and give back), or a
  /// chain. 32 bytes.
  struct Bucket {
    union {
      Chain chain{};
      Event lone;
    };
    std::uint32_t count = kEmpty;  ///< events in the chain's tail block, or kLone, or kEmpty
  };

  Block& block(std::uint32_t id) { return chunks_[id >> kChunkShift][id & (kChunkBlocks - 1)]; }
  const Block& block(std::uint32_t id) const { return chunks_[id >> kChunkShift][id & (kChunkBlocks - 1)]; }

  bool run_head_at_last() const {
    return run_pos_ < run_end_ && static_cast<std::uint64_t>(run_[run_pos_].time) == last_;
  }
  // The lowest non-empty digit of a non-empty level.
  unsigned lowest_digit(unsigned level) const {
    const auto w = static_cast<unsigned>(std::countr_zero(summary_[level]));
    return (w << 6) | static_cast<unsigned>(std::countr_zero(words_[kLevelInfo[level].word_base + w]));
  }
  const Bucket& lowest_bucket() const {
    const auto level = static_cast<unsigned>(std::countr_zero(level_mask_));
    return buckets_[kLevelInfo[level].bucket_base + lowest_digit(level)];
  }

  template <class F>
  void visit(const Bucket& b, std::uint32_t first, F& f) const {
    if (b.count == kEmpty) return;
    if (b.count == kLone) {
      f(b.lone);
      return;
    }
    for (std::uint32_t id = b.chain.head; id != kNoBlock; id = next_[id], first = 0) {
      const std::uint32_t n = id == b.chain.tail ? b.count : kBlockEvents;
      for (std::uint32_t k = first; k < n; ++k) f(block(id).items[k]);
    }
  }

  // Links a fresh tail block to a chain (the front, or a bucket of two or more events).
  void extend(Bucket& b) {
    const std::uint32_t fresh = acquire();
    if (b.count == kEmpty) b.chain.head = fresh;
    else next_[b.chain.tail] = fresh;
    b.chain.tail = fresh;
    b.chain.tail_items = block(fresh).items;
    b.count = 0;
  }

  // A second event for a bucket holding one becomes a chain; an event for a full tail block, a new block.
  void add_block(Bucket& b, const Event& e) {
    if (b.count == kLone) {
      const Event first = b.lone;
      const std::uint32_t fresh = acquire();
      Event* items = block(fresh).items;
      items[0] = first;
      items[1] = e;
      b.chain = Chain{first.time < e.time ? first.time : e.time, items, fresh, fresh};
      b.count = 2;
      return;
    }
    extend(b);
    b.chain.tail_items[b.count++] = e;
    b.chain.min_time = e.time < b.chain.min_time ? e.time : b.chain.min_time;
  }

  void append_front(const Event& e) {
    if (front_.count >= kBlockEvents) {  // empty, or the tail block is full
      const bool first = front_.count == kEmpty;
      extend(front_);
      if (first) front_items_ = front_.chain.tail_items;
    }
    front_.chain.tail_items[front_.count++] = e;
  }

  // Files an event by its time relative to `base` (<= its time): the front when equal, else the bucket of
  // the highest digit where they differ.
  void file(const Event& e, std::uint64_t base) {
    const auto t = static_cast<std::uint64_t>(e.time);
    const std::uint64_t x = t ^ base;
    if (x == 0) {
      append_front(e);
      return;
    }
    const Level& at = kLevelOfWidth[std::bit_width(x)];
    const unsigned digit = static_cast<unsigned>(t >> at.shift) & at.mask;
    Bucket& b = buckets_[at.bucket_base + digit];
    if (b.count < kBlockEvents) {
      b.chain.tail_items[b.count++] = e;
      b.chain.min_time = e.time < b.chain.min_time ? e.time : b.chain.min_time;
    } else if (b.count == kEmpty) {
      b.lone = e;
      b.count = kLone;
      words_[at.word_base + (digit >> 6)] |= std::uint64_t{1} << (digit & 63);
      summary_[at.level] |= std::uint64_t{1} << (digit >> 6);
      level_mask_ |= std::uint64_t{1} << at.level;
    } else {
      add_block(b, e);
    }
  }

  Event take_run() {
    const Event e = run_[run_pos_++];
    if (run_pos_ == run_end_) run_pos_ = run_end_ = 0;
    --size_;
    return e;
  }

  Event take_front() {
    const Event e = front_items_[front_pos_++];
    if (front_pos_ == (front_.chain.head == front_.chain.tail ? front_.count : kBlockEvents)) {
      const std::uint32_t done = front_.chain.head;
      front_.chain.head = next_[done];
      if (front_.chain.head == kNoBlock) front_ = Bucket{};
      else front_items_ = block(front_.chain.head).items;
      release(done);
      front_pos_ = 0;
    }
    --size_;
    return e;
  }

  // Empties a bucket of the table (its events are taken or copied out).
  void clear(unsigned level, unsigned digit, Bucket& b) {
    std::uint64_t& word = words_[kLevelInfo[level].word_base + (digit >> 6)];
    word &= ~(std::uint64_t{1} << (digit & 63));
    if (word == 0) {
      summary_[level] &= ~(std::uint64_t{1} << (digit >> 6));
      if (summary_[level] == 0) level_mask_ &= ~(std::uint64_t{1} << level);
    }
    b.count = kEmpty;
  }

  // Nothing pops at `last_` any more (run head later or none, front empty), and the run or level 0 holds
  // the next time: move `last_` there, unless that time is beyond `limit` (then change nothing, return false).
  // Not inlined, nor advance_far: pop_due's common cases then need few registers, and pop_due itself is inlined
  // into the engine's loop; as one function with them, every pop paid their register saves.
  [[gnu::noinline]] bool advance_near(std::uint64_t limit) {
    const bool run = run_pos_ < run_end_;
    const bool level0 = (level_mask_ & 1) != 0;
    const std::uint64_t r = run ? static_cast<std::uint64_t>(run_[run_pos_].time) : kNone;
    const unsigned digit = level0 ? static_cast<unsigned>(std::countr_zero(words_[0])) : 0;
    Bucket& b = buckets_[digit];
    const std::uint64_t l = level0 ? static_cast<std::uint64_t>(b.chain.min_time) : kNone;
    if (r < l) {
      if (r > limit) return false;
      last_ = r;  // the run head pops next (run_head_at_last)
      return true;
    }
    if (l > limit) return false;
    // Level 0 at l: it is the front now; at l == r the run's events (older) still pop first.
    last_ = l;
    if (b.count == kLone) {
      append_front(b.lone);
    } else {
      front_ = b;
      front_items_ = block(b.chain.head).items;
    }
    front_pos_ = 0;
    clear(0, digit, b);
    return true;
  }

  // The lowest bucket, a chain at level >= 1, holds the minimum: its minimum becomes `last_`; a level-1
  // bucket becomes the run, any other is spread over lower levels (each event drops at least one level).
  [[gnu::noinline]] void advance_far(unsigned level, unsigned digit, Bucket& b) {
    const Chain src = b.chain;
    const std::uint32_t tail_count = b.count;
    clear(level, digit, b);
    const auto m = static_cast<std::uint64_t>(src.min_time);
    last_ = m;
    if (level == 1) {
      make_run(src, tail_count);
      return;
    }
    // Every event goes to the front or a lower level, so the chain being read is never appended to.
    for (std::uint32_t id = src.head; id != kNoBlock;) {
      const std::uint32_t n = id == src.tail ? tail_count : kBlockEvents;
      const Block& blk = block(id);
      for (std::uint32_t k = 0; k < n; ++k) file(blk.items[k], m);
      const std::uint32_t next = next_[id];
      release(id);
      id = next;
    }
  }

  // A level-1 bucket becomes the run: a stable counting sort on the level-0 digit puts it in time order.
  void make_run(const Chain& src, std::uint32_t tail_count) {
    std::uint32_t start[kNearDigits] = {};
    std::size_t n = 0;
    for (std::uint32_t id = src.head; id != kNoBlock; id = next_[id]) {
      const std::uint32_t count = id == src.tail ? tail_count : kBlockEvents;
      const Block& blk = block(id);
      for (std::uint32_t k = 0; k < count; ++k) ++start[static_cast<std::uint64_t>(blk.items[k].time) & (kNearDigits - 1)];
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
      const std::uint32_t count = id == src.tail ? tail_count : kBlockEvents;
      const Block& blk = block(id);
      for (std::uint32_t k = 0; k < count; ++k) {
        const Event& e = blk.items[k];
        run_[start[static_cast<std::uint64_t>(e.time) & (kNearDigits - 1)]++] = e;
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

  Bucket front_;                            ///< events at exactly last_ that pop after the run's (a chain)
  Event* front_items_ = nullptr;            ///< the front's head block's events
  std::uint32_t front_pos_ = 0;             ///< next event to pop in the front's head block
  std::unique_ptr<Event[]> run_;            ///< a sorted level-1 bucket: [run_pos_, run_end_) pending
  std::size_t run_capacity_ = 0;
  std::size_t run_pos_ = 0;
  std::size_t run_end_ = 0;
  std::unique_ptr<Bucket[]> buckets_;       ///< every level's buckets, level by level (kLevelInfo)
  std::uint64_t level_mask_ = 0;            ///< bit l set when level l holds events
  std::uint64_t summary_[kLevels] = {};     ///< bit w of level l's summary set when its mask word w is not 0
  std::uint64_t words_[kWords] = {};        ///< bit d % 64 of level l's word d / 64 set when bucket (l, d) is in use
  std::uint64_t last_ = 0;                  ///< the last time popped (or about to pop); all pending >= it
  std::size_t size_ = 0;
  std::uint32_t free_ = kNoBlock;           ///< head of the free-block list (linked through next_)
  std::vector<std::uint32_t> next_;         ///< link of each block in its bucket or the free list
  std::vector<std::unique_ptr<Block[]>> chunks_;
};

/// The radix queue the engine uses: 64-way digits measured fastest in the near future (docs/performance.md),
/// 1024-way above it so that events pushed seconds ahead are moved once or twice, not four or five times.
using RadixHeapQueue = RadixQueue<6, 10>;

}  // namespace infercost
