#include "infercost/engine/hold_bench.hpp"

#include <chrono>
#include <stdexcept>

#include "infercost/engine/engine.hpp"
#include "infercost/engine/event_queue.hpp"
#include "infercost/engine/packed_queue.hpp"
#include "infercost/engine/radix_queue.hpp"
#include "infercost/engine/random.hpp"

namespace infercost {
namespace {

// Increments are uniform on [0, 2m) with mean m = max(1 us, pending ns), and the initial times are drawn
// from the same distribution (the classic hold set-up), so the model starts near its steady state: the
// pending events spread over about 2m ns, about 0.5 per ns whatever the size, ties are occasional and every
// push lands at a random position among the pending events. Increments are drawn by multiply-shift so the
// RNG costs little next to the queue.
std::uint64_t hold_span_ns(std::uint64_t pending) { return 2 * (pending > 1000 ? pending : 1000); }

template <class Queue>
HoldResult hold_on(const char* name, std::uint64_t pending, std::uint64_t events, std::uint64_t seed) {
  Queue q;
  q.reserve(pending + 1);
  RandomStream rng(seed);
  const std::uint64_t span = hold_span_ns(pending);
  std::uint64_t seq = 0;
  for (std::uint64_t i = 0; i < pending; ++i) {
    q.push(Event{static_cast<SimTime>(rng.uniform_int(span)), Event::tag_of(seq++), i});
  }
  std::uint64_t checksum = 0;
  const auto start = std::chrono::steady_clock::now();
  for (std::uint64_t i = 0; i < events; ++i) {
    const Event e = q.pop();
    checksum += static_cast<std::uint64_t>(e.time) ^ e.data;
    q.push(Event{e.time + static_cast<SimTime>(rng.uniform_int(span)), Event::tag_of(seq++), e.data});
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return HoldResult{name,
                    pending,
                    events,
                    wall,
                    static_cast<double>(events) / wall,
                    static_cast<double>(q.memory_bytes()) / static_cast<double>(pending),
                    checksum};
}

class HoldHandler final : public EventHandler {
 public:
  HoldHandler(std::uint64_t seed, std::uint64_t span_ns, std::uint64_t events)
      : rng_(seed), span_ns_(span_ns), remaining_(events) {}
  void on_event(Engine& engine, std::uint32_t, std::uint64_t data) override {
    checksum_ += static_cast<std::uint64_t>(engine.now()) ^ data;
    engine.schedule_in(static_cast<SimTime>(rng_.uniform_int(span_ns_)), *this, 0, data);
    if (--remaining_ == 0) engine.stop();
  }
  RandomStream rng_;
  std::uint64_t span_ns_;
  std::uint64_t remaining_;
  std::uint64_t checksum_ = 0;
};

}  // namespace

std::vector<std::string> hold_queue_designs() {
  return {"binary_heap", "quaternary_heap", "packed_heap", "radix2_heap", "radix16_heap", "radix64_heap",
          "radix64_wide_heap"};
}

HoldResult hold_queue(const std::string& queue, std::uint64_t pending, std::uint64_t events, std::uint64_t seed) {
  if (queue == "binary_heap") return hold_on<BinaryHeapQueue>("binary_heap", pending, events, seed);
  if (queue == "quaternary_heap") return hold_on<QuaternaryHeapQueue>("quaternary_heap", pending, events, seed);
  if (queue == "packed_heap") return hold_on<PackedHeapQueue>("packed_heap", pending, events, seed);
  if (queue == "radix2_heap") return hold_on<RadixQueue<1>>("radix2_heap", pending, events, seed);
  if (queue == "radix16_heap") return hold_on<RadixQueue<4>>("radix16_heap", pending, events, seed);
  if (queue == "radix64_heap") return hold_on<RadixQueue<6>>("radix64_heap", pending, events, seed);
  if (queue == "radix64_wide_heap") return hold_on<RadixHeapQueue>("radix64_wide_heap", pending, events, seed);
  throw std::invalid_argument("unknown queue '" + queue + "'");
}

HoldResult hold_engine(std::uint64_t pending, std::uint64_t events, std::uint64_t seed) {
  Engine engine;
  engine.reserve(pending + 1);
  const std::uint64_t span = hold_span_ns(pending);
  HoldHandler handler(seed, span, events);
  RandomStream init(seed ^ 0x5bd1e995ULL);
  for (std::uint64_t i = 0; i < pending; ++i) {
    engine.schedule_at(static_cast<SimTime>(init.uniform_int(span)), handler, 0, i);
  }
  const auto start = std::chrono::steady_clock::now();
  const std::uint64_t done = events == 0 ? 0 : engine.run();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return HoldResult{"engine",
                    pending,
                    done,
                    wall,
                    static_cast<double>(done) / wall,
                    static_cast<double>(engine.queue_memory_bytes()) / static_cast<double>(pending),
                    handler.checksum_};
}

}  // namespace infercost
