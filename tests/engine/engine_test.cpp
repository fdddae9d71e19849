#include <catch2/catch.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "infercost/engine/engine.hpp"
#include "infercost/engine/random.hpp"

using namespace infercost;

namespace {

/// Records (time, kind, data) of every event it receives; optional follow-ups are scheduled by tests.
class Recorder : public EventHandler {
 public:
  struct Seen {
    SimTime time;
    std::uint32_t kind;
    std::uint64_t data;
    bool operator==(const Seen&) const = default;
  };
  void on_event(Engine& engine, std::uint32_t kind, std::uint64_t data) override {
    seen.push_back({engine.now(), kind, data});
    if (stop_at_data && data == *stop_at_data) engine.stop();
    if (follow_up) follow_up(engine, kind, data);
  }
  std::vector<Seen> seen;
  std::optional<std::uint64_t> stop_at_data;
  std::function<void(Engine&, std::uint32_t, std::uint64_t)> follow_up;
};

}  // namespace

TEST_CASE("engine runs events in time order", "[engine]") {
  Engine engine;
  Recorder r;
  const SimTime times[] = {50, 10, 30, 20, 40, 5 * kSecond, 1};
  for (std::uint64_t i = 0; i < 7; ++i) engine.schedule_at(times[i], r, 0, i);
  REQUIRE(engine.run() == 7);
  std::vector<SimTime> got;
  for (const auto& s : r.seen) got.push_back(s.time);
  REQUIRE(got == std::vector<SimTime>{1, 10, 20, 30, 40, 50, 5 * kSecond});
  REQUIRE(engine.now() == 5 * kSecond);
  REQUIRE(engine.events_processed() == 7);
}

TEST_CASE("engine breaks ties first-scheduled first, also for events scheduled at now", "[engine]") {
  Engine engine;
  Recorder r;
  for (std::uint64_t i = 0; i < 100; ++i) engine.schedule_at(10, r, static_cast<std::uint32_t>(i % Event::kMaxKinds), i);
  // The first event at t=10 schedules two more at t=10: they run after the 99 already queued.
  r.follow_up = [&](Engine& e, std::uint32_t, std::uint64_t data) {
    if (data == 0) {
      e.schedule_in(0, r, 0, 1000);
      e.schedule_at(10, r, 0, 1001);
    }
  };
  engine.run();
  REQUIRE(r.seen.size() == 102);
  for (std::uint64_t i = 0; i < 100; ++i) {
    REQUIRE(r.seen[i].data == i);
    REQUIRE(r.seen[i].kind == i % Event::kMaxKinds);
  }
  REQUIRE(r.seen[100].data == 1000);
  REQUIRE(r.seen[101].data == 1001);
}

TEST_CASE("engine cancellation", "[engine]") {
  Engine engine;
  Recorder r;
  const EventId a = engine.schedule_at(10, r, 0, 1);
  const EventId b = engine.schedule_at(20, r, 0, 2);
  const EventId c = engine.schedule_at(20, r, 0, 3);
  engine.cancel(b);
  engine.cancel(b);  // twice: no-op
  REQUIRE(engine.run_until(15) == 1);
  engine.cancel(a);       // already ran: no-op
  engine.cancel(a + 1000);  // never issued: no-op
  const EventId d = engine.schedule_at(30, r, 0, 4);
  engine.run();
  std::vector<std::uint64_t> got;
  for (const auto& s : r.seen) got.push_back(s.data);
  REQUIRE(got == std::vector<std::uint64_t>{1, 3, 4});
  REQUIRE(engine.events_processed() == 3);
  REQUIRE(engine.pending() == 0);
  (void)c;
  (void)d;
}

TEST_CASE("a handler's timer replaces its pending timer event: not processed, not hashed, no time", "[engine]") {
  // Two engines see the same schedule; in one, the handler's superseded end is cancelled and a new end scheduled,
  // in the other the handler moves its timer. Everything observable must agree.
  struct Mover : EventHandler {
    std::vector<std::pair<SimTime, std::uint64_t>> seen;
    void on_event(Engine& engine, std::uint32_t, std::uint64_t data) override {
      seen.emplace_back(engine.now(), data);
      if (data == 1) engine.schedule_in(5, *this, 2, 2);  // follow-ups keep both engines busy
    }
  };
  Engine cancelling, timing;
  Mover a, b;
  cancelling.schedule_at(10, a, 0, 1);
  const EventId stale = cancelling.schedule_at(25, a, 1, 99);
  cancelling.schedule_at(20, a, 0, 3);
  cancelling.cancel(stale);
  const EventId end = cancelling.schedule_at(18, a, 1, 98);
  (void)end;
  timing.schedule_at(10, b, 0, 1);
  timing.set_timer(25, b, 1, 99);
  timing.schedule_at(20, b, 0, 3);
  CHECK(timing.timer_time(b) == 25);
  CHECK(timing.pending() == 3);
  timing.set_timer(18, b, 1, 98);  // replaces the end at 25
  CHECK(timing.timer_time(b) == 18);
  CHECK(timing.pending() == 3);
  REQUIRE(cancelling.run() == 4);
  REQUIRE(timing.run() == 4);
  CHECK(a.seen == b.seen);
  CHECK(b.seen == std::vector<std::pair<SimTime, std::uint64_t>>{{10, 1}, {15, 2}, {18, 98}, {20, 3}});
  CHECK(timing.events_processed() == cancelling.events_processed());
  CHECK(timing.fingerprint() == cancelling.fingerprint());
  CHECK(timing.now() == 20);
  CHECK(timing.timer_time(b) == kTimeNever);  // a timer that ran is no longer pending
  // A cleared timer never runs; run_until counts nothing and leaves time at end_time.
  timing.set_timer(40, b, 0, 7);
  timing.clear_timer(b);
  CHECK(timing.pending() == 0);
  CHECK(timing.run_until(50) == 0);
  CHECK(timing.now() == 50);
  CHECK_THROWS_AS(timing.set_timer(49, b), std::logic_error);
}

TEST_CASE("timers and scheduled events run in one (time, insertion) order, ties included", "[engine]") {
  // The same random schedule twice: once with every handler's end as a timer it keeps moving, once with
  // scheduled events and cancellation of the superseded ends. Equal times are frequent (times on a coarse grid).
  struct Actor : EventHandler {
    std::function<void(Engine&, Actor&, std::uint32_t, std::uint64_t)> fn;
    EventId end_id = 0;
    bool has_end = false;
    void on_event(Engine& e, std::uint32_t kind, std::uint64_t data) override { fn(e, *this, kind, data); }
  };
  auto simulate = [](bool timers) {
    Engine engine;
    RandomStream rng(7);
    std::vector<Actor> actors(40);
    std::vector<std::uint64_t> log;
    std::uint64_t next = 0;
    auto move_end = [&](Engine& e, Actor& a, SimTime t) {
      const std::uint64_t data = next++;
      if (timers) {
        e.set_timer(t, a, 1, data);
      } else {
        if (a.has_end) e.cancel(a.end_id);
        a.end_id = e.schedule_at(t, a, 1, data);
        a.has_end = true;
      }
    };
    for (Actor& a : actors) {
      a.fn = [&](Engine& e, Actor& self, std::uint32_t kind, std::uint64_t data) {
        log.push_back(static_cast<std::uint64_t>(e.now()) * 1000003 + data * 7 + kind);
        if (kind == 1) self.has_end = false;
        if (next > 30000) return;
        const std::uint64_t pick = rng.uniform_int(6);
        if (kind == 0 || pick < 2) e.schedule_in(static_cast<SimTime>(rng.uniform_int(4) * 10), self, 0, next++);
        if (pick < 4) move_end(e, actors[rng.uniform_int(actors.size())], e.now() + static_cast<SimTime>(rng.uniform_int(6) * 10));
        if (pick == 5) {
          Actor& other = actors[rng.uniform_int(actors.size())];
          if (timers) {
            e.clear_timer(other);
          } else if (other.has_end) {
            e.cancel(other.end_id);
            other.has_end = false;
          }
        }
      };
    }
    for (Actor& a : actors) {
      engine.schedule_at(static_cast<SimTime>(rng.uniform_int(5) * 10), a, 0, next++);
      move_end(engine, a, static_cast<SimTime>(rng.uniform_int(5) * 10));
    }
    engine.run();
    return std::make_pair(log, engine.fingerprint());
  };
  const auto [with_timers, fp_timers] = simulate(true);
  const auto [with_events, fp_events] = simulate(false);
  REQUIRE(with_timers.size() > 15000);
  CHECK(with_timers == with_events);
  CHECK(fp_timers == fp_events);
}

TEST_CASE("engine cancellation stays exact across purges of stale cancellations", "[engine]") {
  Engine engine;
  Recorder r;
  // Many events, every third cancelled while pending; plus many cancellations of events that already ran,
  // which forces purges of the cancellation set while pending cancellations must survive them.
  std::vector<EventId> ids;
  for (std::uint64_t i = 0; i < 3000; ++i) ids.push_back(engine.schedule_at(static_cast<SimTime>(1000 + i), r, 0, i));
  for (std::uint64_t i = 0; i < 3000; i += 3) engine.cancel(ids[i]);
  Recorder early;
  for (std::uint64_t k = 0; k < 20000; ++k) {
    const EventId id = engine.schedule_at(static_cast<SimTime>(k / 40), early, 0, k);
    engine.run_until(static_cast<SimTime>(k / 40));
    engine.cancel(id);  // already ran
  }
  REQUIRE(early.seen.size() == 20000);
  engine.run();
  REQUIRE(r.seen.size() == 2000);
  for (const auto& s : r.seen) REQUIRE(s.data % 3 != 0);
}

TEST_CASE("run_until runs events at exactly end_time and leaves now at end_time", "[engine]") {
  Engine engine;
  Recorder r;
  engine.schedule_at(100, r, 0, 1);
  engine.schedule_at(200, r, 0, 2);
  engine.schedule_at(201, r, 0, 3);
  REQUIRE(engine.run_until(200) == 2);
  REQUIRE(engine.now() == 200);
  REQUIRE(engine.pending() == 1);
  REQUIRE(engine.run_until(500) == 1);
  REQUIRE(engine.now() == 500);
  REQUIRE(engine.run_until(700) == 0);
  REQUIRE(engine.now() == 700);
  // Scheduling relative to the advanced clock.
  engine.schedule_in(5, r, 0, 4);
  engine.run();
  REQUIRE(r.seen.back() == Recorder::Seen{705, 0, 4});
}

TEST_CASE("events scheduled between now and a later pending event run first", "[engine]") {
  // run_until looks at the head (t = 1000) without committing to it: t = 10 still comes first.
  Engine engine;
  Recorder r;
  engine.schedule_at(1000, r, 0, 1);
  engine.schedule_at(2000, r, 0, 2);
  engine.run_until(5);
  engine.schedule_at(10, r, 0, 3);
  engine.run_until(1000);
  engine.schedule_at(1000, r, 0, 4);
  engine.schedule_at(1500, r, 0, 5);
  engine.run();
  std::vector<std::uint64_t> got;
  for (const auto& s : r.seen) got.push_back(s.data);
  REQUIRE(got == std::vector<std::uint64_t>{3, 1, 4, 5, 2});
}

TEST_CASE("stop makes the loop return after the current event", "[engine]") {
  Engine engine;
  Recorder r;
  for (std::uint64_t i = 1; i <= 5; ++i) engine.schedule_at(static_cast<SimTime>(i * 10), r, 0, i);
  r.stop_at_data = 2;
  REQUIRE(engine.run_until(1000) == 2);
  REQUIRE(engine.stopped());
  REQUIRE(engine.now() == 20);  // not moved to end_time
  r.stop_at_data.reset();
  REQUIRE(engine.run_until(1000) == 3);
  REQUIRE_FALSE(engine.stopped());
  REQUIRE(engine.now() == 1000);
}

TEST_CASE("scheduling in the past throws", "[engine]") {
  Engine engine;
  Recorder r;
  engine.run_until(100);
  REQUIRE_THROWS_AS(engine.schedule_at(99, r), std::logic_error);
  REQUIRE_THROWS_AS(engine.schedule_in(-1, r), std::logic_error);
  REQUIRE_NOTHROW(engine.schedule_at(100, r));
}

TEST_CASE("fingerprint covers times, kinds and random draws", "[engine]") {
  auto run = [](std::uint32_t kind_of_third, std::uint64_t extra_draws) {
    Engine engine;
    StreamFactory streams(7);
    streams.set_draw_sink(engine.random_draw_sink());
    RandomStream rng = streams.stream("test");
    Recorder r;
    r.follow_up = [&](Engine&, std::uint32_t, std::uint64_t data) {
      if (data == 1) {
        for (std::uint64_t k = 0; k < extra_draws; ++k) (void)rng.uniform();
      }
    };
    engine.schedule_at(1, r, 0, 1);
    engine.schedule_at(2, r, 0, 2);
    engine.schedule_at(3, r, kind_of_third, 3);
    engine.run();
    return engine.fingerprint();
  };
  REQUIRE(run(0, 1) == run(0, 1));
  REQUIRE(run(0, 1) != run(1, 1));
  REQUIRE(run(0, 1) != run(0, 2));
  REQUIRE(run(0, 0) != run(0, 1));
}

TEST_CASE("a stream without a sink draws the same values as one with it", "[engine]") {
  StreamFactory plain(3);
  StreamFactory tracked(3);
  std::uint64_t sink = 0;
  tracked.set_draw_sink(&sink);
  RandomStream a = plain.stream("user", 5);
  RandomStream b = tracked.stream("user", 5);
  std::uint64_t sum = 0;
  for (int i = 0; i < 100; ++i) {
    const std::uint64_t x = a.next_u64();
    REQUIRE(b.next_u64() == x);
    sum += x;
  }
  REQUIRE(sink == sum);
}

TEST_CASE("engine matches a reference model on random schedules with cancellations", "[engine]") {
  // Handlers schedule follow-ups at random delays (including 0) and cancel random pending events; the
  // reference is a std::map keyed by (time, sequence) with explicit erasure.
  Engine engine;
  std::map<std::pair<SimTime, EventId>, std::uint64_t> ref;
  RandomStream rng(99);
  std::vector<EventId> issued;
  std::vector<std::uint64_t> got, want;
  struct Driver : EventHandler {
    std::function<void(Engine&, std::uint64_t)> fn;
    void on_event(Engine& e, std::uint32_t, std::uint64_t data) override { fn(e, data); }
  } driver;
  std::map<EventId, SimTime> time_of;
  auto schedule = [&](Engine& e, SimTime delay, std::uint64_t data) {
    const EventId id = e.schedule_in(delay, driver, 0, data);
    ref.emplace(std::make_pair(e.now() + delay, id), data);
    time_of[id] = e.now() + delay;
    issued.push_back(id);
  };
  std::uint64_t next_data = 0;
  driver.fn = [&](Engine& e, std::uint64_t data) {
    got.push_back(data);
    // The reference's head must be this event.
    REQUIRE(!ref.empty());
    REQUIRE(ref.begin()->second == data);
    REQUIRE(ref.begin()->first.first == e.now());
    ref.erase(ref.begin());
    const std::uint64_t n = rng.uniform_int(4);
    for (std::uint64_t k = 0; k < n && next_data < 60000; ++k) {
      const std::uint64_t pick = rng.uniform_int(10);
      const SimTime delay = pick < 3 ? 0 : static_cast<SimTime>(rng.uniform_int(pick < 8 ? 1000 : 1u << 30));
      schedule(e, delay, next_data++);
    }
    if (rng.uniform_int(4) == 0 && !issued.empty()) {
      const EventId victim = issued[rng.uniform_int(issued.size())];
      e.cancel(victim);
      ref.erase(std::make_pair(time_of[victim], victim));  // no-op when it already ran or was cancelled
    }
  };
  for (int i = 0; i < 200; ++i) schedule(engine, static_cast<SimTime>(rng.uniform_int(5000)), next_data++);
  engine.run();
  REQUIRE(ref.empty());
  REQUIRE(got.size() == engine.events_processed());
  REQUIRE(got.size() > 10000);
}

TEST_CASE("an engine can be moved with its pending events", "[engine]") {
  Engine a;
  Recorder r;
  a.schedule_at(5, r, 0, 1);
  a.schedule_at(3, r, 0, 2);
  Engine b = std::move(a);
  REQUIRE(b.run() == 2);
  REQUIRE(r.seen.front().data == 2);
}

TEST_CASE("events reach their own handler when handlers are shared between engines and copied", "[engine]") {
  // Events carry a slot in the engine's handler table, not an address: a handler enrolled in two engines
  // (in different slots), a copy of a handler, and an engine built where an earlier one died must all still
  // deliver each event to the handler that scheduled it.
  Recorder shared, only_b;
  Engine a, b;
  a.schedule_at(1, shared, 1, 10);
  b.schedule_at(1, only_b, 2, 20);
  b.schedule_at(2, shared, 3, 30);  // slot 1 in b, slot 0 in a
  a.schedule_at(3, shared, 4, 40);
  Recorder copy = shared;
  a.schedule_at(4, copy, 5, 50);
  REQUIRE(a.run() == 3);
  REQUIRE(b.run() == 2);
  REQUIRE(shared.seen == std::vector<Recorder::Seen>{{1, 1, 10}, {3, 4, 40}, {2, 3, 30}});
  REQUIRE(only_b.seen == std::vector<Recorder::Seen>{{1, 2, 20}});
  REQUIRE(copy.seen == std::vector<Recorder::Seen>{{4, 5, 50}});  // copied before any event ran
  for (int round = 0; round < 3; ++round) {
    Engine fresh;  // often at the address of the last round's engine: shared's old slot must not be trusted
    Recorder other;
    fresh.schedule_at(1, other, 0, 1);
    fresh.schedule_at(2, shared, 0, 2);
    REQUIRE(fresh.run() == 2);
    REQUIRE(other.seen.size() == 1);
    REQUIRE(shared.seen.back() == Recorder::Seen{2, 0, 2});
  }
}

TEST_CASE("event kinds beyond the tag's 4 bits are refused", "[engine]") {
  Engine engine;
  Recorder r;
  REQUIRE_NOTHROW(engine.schedule_at(1, r, Event::kMaxKinds - 1));
  REQUIRE_THROWS_AS(engine.schedule_at(1, r, Event::kMaxKinds), std::logic_error);
  REQUIRE(engine.run() == 1);
  REQUIRE(r.seen.front().kind == Event::kMaxKinds - 1);
}

TEST_CASE("a prefetch hint packs an address affine in the event's data, or nothing", "[engine]") {
  std::vector<std::uint64_t> table(1000);
  const PrefetchHint fixed(table.data() + 7);
  REQUIRE(!fixed.empty());
  REQUIRE(fixed.address(0) == reinterpret_cast<const char*>(table.data() + 7));
  REQUIRE(fixed.address(123456) == reinterpret_cast<const char*>(table.data() + 7));
  const PrefetchHint strided(table.data(), sizeof(std::uint64_t));
  for (std::uint64_t i : {0, 1, 2, 999}) REQUIRE(strided.address(i) == reinterpret_cast<const char*>(&table[i]));
  REQUIRE(PrefetchHint().empty());
  REQUIRE(PrefetchHint(nullptr).empty());
  REQUIRE(PrefetchHint(table.data(), 32767).address(2) == reinterpret_cast<const char*>(table.data()) + 65534);
  REQUIRE(PrefetchHint(table.data(), 32768).empty());  // a stride beyond 15 bits: no hint rather than a wrong one
  // Either half of the data: (chain 5, user 9) packed as 5 << 32 | 9.
  const std::uint64_t packed = (std::uint64_t{5} << 32) | 9;
  REQUIRE(strided.address(packed) == reinterpret_cast<const char*>(&table[9]));
  REQUIRE(PrefetchHint(table.data(), sizeof(std::uint64_t), true).address(packed) ==
          reinterpret_cast<const char*>(&table[5]));
  REQUIRE(PrefetchHint(reinterpret_cast<const void*>(std::uintptr_t{1} << 50)).empty());
}

TEST_CASE("prefetch hints, live or stale, change no event and no fingerprint", "[engine]") {
  // The same self-scheduling workload three times: without hints, with hints into live memory, and with hints
  // into memory freed since (a handler's hints may go stale; a prefetch never faults or reads).
  struct Chain : EventHandler {
    RandomStream rng{7};
    std::vector<std::uint64_t> seen;
    void on_event(Engine& e, std::uint32_t kind, std::uint64_t data) override {
      seen.push_back(data * 16 + kind);
      if (seen.size() < 20000) {
        e.schedule_in(static_cast<SimTime>(rng.uniform_int(1u << 20)), *this, static_cast<std::uint32_t>(data % 3),
                      rng.uniform_int(1u << 30));
      }
    }
  };
  auto run = [](int mode) {
    Engine engine;
    Chain chain;
    std::vector<char> live(4096);
    auto dead = std::make_unique<std::vector<char>>(4096);
    const void* stale = dead->data();
    for (int i = 0; i < 50; ++i) engine.schedule_at(i, chain, 0, static_cast<std::uint64_t>(i));
    if (mode == 1) {
      Engine::PrefetchHints& hints = engine.prefetch_hints(chain);
      hints.at = {PrefetchHint(live.data()), PrefetchHint(live.data(), 1), PrefetchHint(&chain)};
      REQUIRE(&engine.prefetch_hints(chain) == &hints);
    } else if (mode == 2) {
      dead.reset();
      engine.prefetch_hints(chain).at = {PrefetchHint(stale), PrefetchHint(stale, 4096), PrefetchHint(stale, 32767, true)};
    }
    engine.run();
    return std::make_pair(chain.seen, engine.fingerprint());
  };
  const auto plain = run(0);
  REQUIRE(plain.first.size() == 20000 + 49);
  REQUIRE(run(1) == plain);
  REQUIRE(run(2) == plain);
}

TEST_CASE("prefetch_hints enrolls a handler that has not scheduled anything yet", "[engine]") {
  Engine engine;
  Recorder first, second;
  engine.prefetch_hints(second).at[0] = PrefetchHint(&second);
  engine.schedule_at(1, first, 0, 1);
  engine.schedule_at(2, second, 0, 2);
  REQUIRE(engine.run() == 2);
  REQUIRE(first.seen.size() == 1);
  REQUIRE(second.seen == std::vector<Recorder::Seen>{{2, 0, 2}});
}
