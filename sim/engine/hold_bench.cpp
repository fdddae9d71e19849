#include "infercost/engine/hold_bench.hpp"

#include <chrono>
#include <stdexcept>

#include "infercost/engine/engine.hpp"
#include "infercost/engine/random.hpp"

namespace infercost {
namespace {

// Increments uniform on [0, 2 us): mean 1 us; a multiply-shift draw keeps the RNG out of the measurement.
constexpr std::uint64_t kSpanNs = 2000;

template <class Queue>
HoldResult hold_on(const char* name, std::uint64_t pending, std::uint64_t events, std::uint64_t seed) {
  Queue q;
  q.reserve(pending + 1);
  RandomStream rng(seed);
  std::uint64_t seq = 0;
  for (std::uint64_t i = 0; i < pending; ++i) {
    q.push(Event{static_cast<SimTime>(rng.uniform_int(kSpanNs * pending / 2 + 1)), (seq++) << 8, nullptr, i});
  }
  std::uint64_t checksum = 0;
  const auto start = std::chrono::steady_clock::now();
  for (std::uint64_t i = 0; i < events; ++i) {
    const Event e = q.pop();
    checksum += static_cast<std::uint64_t>(e.time) ^ e.data;
    q.push(Event{e.time + static_cast<SimTime>(rng.uniform_int(kSpanNs)), (seq++) << 8, nullptr, e.data});
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return HoldResult{name, pending, events, wall, static_cast<double>(events) / wall, checksum};
}

class HoldHandler final : public EventHandler {
 public:
  explicit HoldHandler(std::uint64_t seed) : rng_(seed) {}
  void on_event(Engine& engine, std::uint32_t, std::uint64_t data) override {
    checksum_ += static_cast<std::uint64_t>(engine.now()) ^ data;
    engine.schedule_in(static_cast<SimTime>(rng_.uniform_int(kSpanNs)), *this, 0, data);
  }
  RandomStream rng_;
  std::uint64_t checksum_ = 0;
};

}  // namespace

HoldResult hold_queue(const std::string& queue, std::uint64_t pending, std::uint64_t events, std::uint64_t seed) {
  if (queue == "binary_heap") return hold_on<BinaryHeapQueue>("binary_heap", pending, events, seed);
  if (queue == "quaternary_heap") return hold_on<QuaternaryHeapQueue>("quaternary_heap", pending, events, seed);
  throw std::invalid_argument("unknown queue '" + queue + "'");
}

HoldResult hold_engine(std::uint64_t pending, std::uint64_t events, std::uint64_t seed) {
  Engine engine;
  engine.reserve(pending + 1);
  HoldHandler handler(seed);
  RandomStream init(seed ^ 0x5bd1e995ULL);
  for (std::uint64_t i = 0; i < pending; ++i) {
    engine.schedule_at(static_cast<SimTime>(init.uniform_int(kSpanNs * pending / 2 + 1)), handler, 0, i);
  }
  const auto start = std::chrono::steady_clock::now();
  // Run exactly `events` events: stop via a counting wrapper is costlier than checking in batches.
  std::uint64_t done = 0;
  while (done < events) {
    const std::uint64_t before = engine.events_processed();
    engine.run_until(engine.now() + static_cast<SimTime>(kSpanNs) * 64);
    done += engine.events_processed() - before;
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return HoldResult{"engine", pending, done, wall, static_cast<double>(done) / wall, handler.checksum_};
}

}  // namespace infercost
