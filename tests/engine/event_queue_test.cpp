// Every queue design against a reference (std::map ordered by (time, insertion sequence)) over long random
// operation sequences: ties, zero delays, huge gaps, draining to empty and refilling.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <utility>
#include <vector>

#include "infercost/engine/event_queue.hpp"
#include "infercost/engine/packed_queue.hpp"
#include "infercost/engine/radix_queue.hpp"
#include "infercost/engine/random.hpp"

using namespace infercost;

// Catch's REQUIRE costs more than a queue operation; assert through it only when the check fails.
#define REQUIRE_FAST(...) \
  do {                      \
    if (!(__VA_ARGS__)) REQUIRE(__VA_ARGS__); \
  } while (false)

namespace {

// Radix layouts besides the engine's (RadixHeapQueue): other near and wide digit widths.
using Radix64Wide4096 = RadixQueue<6, 12>;
using Radix16Wide512 = RadixQueue<4, 9>;
using Radix2Wide128 = RadixQueue<1, 7>;

// A delay from a mixture that stresses each design: exact ties (now, and at a few times in later 64 ns
// blocks, so that batches of equal times form before newer events join them), tiny steps, block- and
// level-crossing gaps, times next to the next multiple of a power of two (a digit boundary of some level,
// whatever the digit widths), and gaps near the top of the time range.
SimTime random_delay(RandomStream& rng, SimTime now) {
  const std::uint64_t pick = rng.uniform_int(100);
  if (pick < 20) return 0;
  if (pick < 40) return static_cast<SimTime>(rng.uniform_int(64));
  if (pick < 55) return static_cast<SimTime>(64 * (1 + rng.uniform_int(3)) + rng.uniform_int(2));
  if (pick < 72) return static_cast<SimTime>(rng.uniform_int(5000));
  if (pick < 80) {
    const unsigned k = 1 + static_cast<unsigned>(rng.uniform_int(rng.uniform_int(2) == 0 ? 24 : 62));
    const std::uint64_t boundary = ((static_cast<std::uint64_t>(now) >> k) + 1) << k;  // at most 2^63
    const std::uint64_t t = boundary - 1 + rng.uniform_int(3);
    return static_cast<SimTime>(std::min<std::uint64_t>(t, kTimeNever)) - now;
  }
  if (pick < 95) return static_cast<SimTime>(rng.uniform_int(std::uint64_t{1} << 40));
  const SimTime room = kTimeNever - now;
  return room <= 0 ? 0 : static_cast<SimTime>(rng.uniform_int(static_cast<std::uint64_t>(room) / 1024 + 1));
}

template <class Queue>
void differential(std::uint64_t seed, std::uint64_t operations) {
  Queue q;
  std::map<std::pair<SimTime, std::uint64_t>, Event> ref;
  RandomStream rng(seed);
  SimTime now = 0;
  std::uint64_t seq = 0;
  for (std::uint64_t op = 0; op < operations; ++op) {
    // Phases: grow, shrink, then mixed, so both the near-empty and the large cases are visited.
    const std::uint64_t phase = (op / 20000) % 3;
    const std::uint64_t push_percent = phase == 0 ? 70 : phase == 1 ? 30 : 50;
    if (ref.empty() || rng.uniform_int(100) < push_percent) {
      const std::uint64_t burst = rng.uniform_int(100) < 5 ? 1 + rng.uniform_int(100) : 1;
      for (std::uint64_t k = 0; k < burst; ++k) {
        const SimTime t = now + random_delay(rng, now);
        const Event e{t, (seq << Event::kSeqShift) | rng.uniform_int(std::uint64_t{1} << Event::kSeqShift),
                      rng.next_u64()};
        q.push(e);
        ref.emplace(std::make_pair(t, seq), e);
        ++seq;
      }
    } else if (rng.uniform_int(8) == 0) {
      // Peek only: later pushes may still land before the head (down to the last popped time).
      const Event expected = ref.begin()->second;
      REQUIRE_FAST(q.top_time() == expected.time);
      REQUIRE_FAST(q.top().tag == expected.tag);
      if constexpr (requires(Queue& queue, Event& out) { queue.pop_due(SimTime{0}, out); }) {
        // So does a pop_due that finds nothing due: the pushes that follow check that it moved nothing.
        Event e;
        if (expected.time > now) REQUIRE_FAST(!q.pop_due(now + static_cast<SimTime>(rng.uniform_int(
                                                                 static_cast<std::uint64_t>(expected.time - now))),
                                                       e));
      }
    } else {
      const Event expected = ref.begin()->second;
      const Event head = q.top();
      REQUIRE_FAST(q.top_time() == expected.time);
      REQUIRE_FAST(head.time == expected.time);
      REQUIRE_FAST(head.tag == expected.tag);
      Event e;
      if constexpr (requires(Queue& queue, Event& out) { queue.pop_due(SimTime{0}, out); }) {
        // The engine's pop: nothing moves for an end before the head (the far, near and run paths each
        // look before they commit), and the head comes out for one at or after it.
        if (expected.time > 0) {
          const SimTime early = expected.time - 1 - static_cast<SimTime>(rng.uniform_int(
                                                         static_cast<std::uint64_t>(expected.time - now) + 1));
          REQUIRE_FAST(!q.pop_due(std::max<SimTime>(early, -1), e));
          REQUIRE_FAST(q.top_time() == expected.time);
        }
        const SimTime room = kTimeNever - expected.time;
        const SimTime late = expected.time + static_cast<SimTime>(rng.uniform_int(
                                                 std::min<std::uint64_t>(static_cast<std::uint64_t>(room), 1000) + 1));
        REQUIRE_FAST(q.pop_due(late, e));
      } else {
        e = q.pop();
      }
      REQUIRE_FAST(e.time == expected.time);
      REQUIRE_FAST(e.tag == expected.tag);
      REQUIRE_FAST(e.data == expected.data);
      ref.erase(ref.begin());
      now = e.time;
    }
    REQUIRE_FAST(q.size() == ref.size());
    REQUIRE_FAST(q.empty() == ref.empty());
    if (op % 9973 == 0) {
      std::vector<std::uint64_t> seen;
      q.for_each([&](const Event& e) { seen.push_back(e.seq()); });
      std::sort(seen.begin(), seen.end());
      std::vector<std::uint64_t> want;
      for (const auto& [key, e] : ref) want.push_back(key.second);
      std::sort(want.begin(), want.end());
      REQUIRE_FAST(seen == want);
    }
  }
  while (!ref.empty()) {
    const Event e = q.pop();
    REQUIRE_FAST(e.tag == ref.begin()->second.tag);
    ref.erase(ref.begin());
  }
  REQUIRE_FAST(q.empty());
  if constexpr (requires(Queue& queue, Event& out) { queue.pop_due(SimTime{0}, out); }) {
    Event e;
    REQUIRE(!q.pop_due(kTimeNever, e));
  }
}

}  // namespace

TEMPLATE_TEST_CASE("every queue design pops in (time, insertion) order like a reference map", "[engine]",
                   BinaryHeapQueue, QuaternaryHeapQueue, PackedHeapQueue, RadixQueue<1>, RadixQueue<4>,
                   RadixQueue<6>, RadixHeapQueue, Radix64Wide4096, Radix16Wide512, Radix2Wide128) {
  for (std::uint64_t seed : {1u, 2u}) differential<TestType>(seed, 80000);
}

TEMPLATE_TEST_CASE("queues keep FIFO order among many equal times", "[engine]", BinaryHeapQueue, QuaternaryHeapQueue,
                   PackedHeapQueue, RadixQueue<1>, RadixQueue<6>, RadixHeapQueue) {
  TestType q;
  // 5000 events at t = 7 interleaved with later ones, then more at t = 7 after popping has begun.
  std::uint64_t seq = 0;
  for (int i = 0; i < 5000; ++i) {
    q.push(Event{7, Event::tag_of(seq++), 0});
    q.push(Event{1000 + i, Event::tag_of(seq++), 1});
  }
  std::uint64_t last_seq = 0;
  bool first = true;
  for (int i = 0; i < 2500; ++i) {
    const Event e = q.pop();
    REQUIRE(e.time == 7);
    REQUIRE((first || e.seq() > last_seq));
    first = false;
    last_seq = e.seq();
  }
  for (int i = 0; i < 100; ++i) q.push(Event{7, Event::tag_of(seq++), 2});
  for (int i = 0; i < 2600; ++i) {
    const Event e = q.pop();
    REQUIRE(e.time == 7);
    REQUIRE(e.seq() > last_seq);
    last_seq = e.seq();
  }
  REQUIRE(q.top().time == 1000);
}

namespace {

// A queue checked against the reference at every pop and peek.
template <class Queue>
struct Checked {
  Queue q;
  std::map<std::pair<SimTime, std::uint64_t>, Event> ref;
  std::uint64_t seq = 0;

  void push(SimTime t, int copies = 1) {
    for (int i = 0; i < copies; ++i, ++seq) {
      const Event e{t, Event::tag_of(seq), seq};
      q.push(e);
      ref.emplace(std::make_pair(t, seq), e);
    }
  }
  SimTime pop() {
    const Event& expected = ref.begin()->second;
    REQUIRE_FAST(q.top_time() == expected.time);
    REQUIRE_FAST(q.top().tag == expected.tag);
    const Event e = q.pop();
    REQUIRE_FAST(e.time == expected.time);
    REQUIRE_FAST(e.tag == expected.tag);
    ref.erase(ref.begin());
    REQUIRE_FAST(q.size() == ref.size());
    return e.time;
  }
  void drain() {
    while (!ref.empty()) pop();
    REQUIRE(q.empty());
  }
};

// Around 2^k for every k: from time 0, and again once the last popped time is just below the boundary, so
// that the same times fall in buckets of different levels; ties and bursts of more than one block at one
// time, pushed before and after popping starts.
template <class Queue>
void boundaries() {
  for (unsigned k = 1; k <= 62; ++k) {
    Checked<Queue> c;
    const SimTime b = SimTime{1} << k;
    const SimTime next = k == 62 ? kTimeNever : 2 * b;
    c.push(b - 1, 2);
    c.push(b);
    c.push(b + 1);
    c.push(b, 40);
    c.push(next - 1);
    c.push(next);
    c.push(b + b / 2);
    REQUIRE(c.pop() == b - 1);
    c.push(b - 1);  // the front, after the one still pending at b - 1
    c.push(b, 3);
    c.push(next - 1, 35);
    REQUIRE(c.pop() == b - 1);
    REQUIRE(c.pop() == b - 1);
    REQUIRE(c.pop() == b);  // b is the last popped time now
    c.push(b, 2);
    c.push(next);
    c.push(b + 1, 33);
    c.push(kTimeNever);
    c.drain();
  }
}

}  // namespace

TEMPLATE_TEST_CASE("radix queues keep order at the digit boundaries of every level", "[engine]", RadixQueue<1>,
                   RadixQueue<4>, RadixQueue<6>, RadixHeapQueue, Radix64Wide4096, Radix16Wide512,
                   Radix2Wide128) {
  boundaries<TestType>();
}

TEST_CASE("the radix queue keeps one far event in place and turns it into a chain on the next", "[engine]") {
  // Far events alone in their bucket pop without a block; a second event at the same time, or a burst,
  // must still pop after the first, and peeks must see the one in place.
  Checked<RadixHeapQueue> c;
  for (int round = 0; round < 3; ++round) {
    const SimTime base = c.ref.empty() ? 0 : c.ref.rbegin()->first.first;
    for (SimTime gap : {SimTime{5'000}, SimTime{1} << 20, SimTime{1} << 30, SimTime{1} << 40}) c.push(base + gap);
    c.pop();
    c.push(base + (SimTime{1} << 20));
    c.push(base + (SimTime{1} << 30), 70);
    std::size_t seen = 0;
    c.q.for_each([&](const Event&) { ++seen; });
    REQUIRE(seen == c.ref.size());
    while (c.ref.size() > 1) c.pop();
  }
  c.drain();
}

TEST_CASE("the radix queue handles the extremes of the time range", "[engine]") {
  RadixHeapQueue q;
  q.push(Event{kTimeNever, Event::tag_of(1), 0});
  q.push(Event{0, Event::tag_of(2), 0});
  q.push(Event{kTimeNever - 1, Event::tag_of(3), 0});
  q.push(Event{kTimeNever, Event::tag_of(4), 0});
  REQUIRE(q.pop().seq() == 2);
  REQUIRE(q.pop().seq() == 3);
  REQUIRE(q.pop().seq() == 1);
  q.push(Event{kTimeNever, Event::tag_of(5), 0});
  REQUIRE(q.pop().seq() == 4);
  REQUIRE(q.pop().seq() == 5);
  REQUIRE(q.empty());
}

TEST_CASE("queue memory follows the pending count", "[engine]") {
  RadixHeapQueue q;
  for (std::uint64_t i = 0; i < 200000; ++i) q.push(Event{static_cast<SimTime>(i * 7919 % 1000003), Event::tag_of(i), 0});
  const std::size_t full = q.memory_bytes();
  CHECK(static_cast<double>(full) / 200000.0 < 26.0);  // 24-byte events plus block slack
  // Hold 1000 events for a long time: the pool must not keep growing.
  while (q.size() > 1000) q.pop();
  RandomStream rng(5);
  std::uint64_t seq = 200000;
  for (int i = 0; i < 500000; ++i) {
    const Event e = q.pop();
    q.push(Event{e.time + static_cast<SimTime>(rng.uniform_int(1 << 20)), Event::tag_of(seq++), 0});
  }
  CHECK(q.memory_bytes() <= full + 64 * 1024);  // the run buffer may grow a little
}

TEMPLATE_TEST_CASE("a radix queue pop_due commits nothing when the head is later than the end", "[engine][pop_due]",
                   RadixHeapQueue, Radix64Wide4096) {
  // Each path of pop_due that can find the head late (a lone far event, a far chain, the run alone, level 0
  // before the run's head, the run's head before level 0). Had it moved its last popped time to the head,
  // an event pushed afterwards between the two would be filed against the wrong base and pop late.
  TestType q;
  std::uint64_t seq = 0;
  const auto push = [&](SimTime t) { q.push(Event{t, (seq++) << Event::kSeqShift, 0}); };
  const auto pop = [&](SimTime end) {
    Event e{};
    return q.pop_due(end, e) ? e.time : SimTime{-1};
  };
  // Nothing is due by `end`; an event pushed at `t` (between the last popped time and the head) is then first.
  const auto nothing_due_then_first = [&](SimTime end, SimTime t) {
    CHECK(pop(end) == -1);
    push(t);
    CHECK(q.top_time() == t);
  };
  SECTION("a lone far event") {
    push(1'000'000);
    nothing_due_then_first(999'999, 5);
  }
  SECTION("a far chain") {
    push(1'000'000);
    push(1'000'001);
    nothing_due_then_first(999'999, 5);
  }
  SECTION("the run alone") {
    push(100);
    push(110);
    CHECK(pop(1000) == 100);
    nothing_due_then_first(105, 101);
  }
  SECTION("level 0 before the run's head") {
    push(100);
    push(110);
    CHECK(pop(1000) == 100);
    CHECK(pop(1000) == 110);
    push(120);
    push(115);
    nothing_due_then_first(112, 111);
  }
  SECTION("the run's head before level 0") {
    push(100);
    push(120);
    CHECK(pop(1000) == 100);
    push(125);
    nothing_due_then_first(110, 101);
  }
  SECTION("events at the last popped time, and an end before it") {
    push(100);
    push(100);
    push(1'000'000);
    push(1'000'000);
    CHECK(pop(1000) == 100);
    CHECK(pop(99) == -1);  // the run's head at last_
    CHECK(pop(100) == 100);
    CHECK(pop(1'000'000) == 1'000'000);
    CHECK(pop(999'999) == -1);  // the front
  }
  CHECK(pop(-1) == -1);
  while (!q.empty()) {
    const SimTime before = q.top_time();
    CHECK(pop(kTimeNever) == before);
  }
  CHECK(pop(kTimeNever) == -1);
}
