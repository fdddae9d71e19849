#include "infercost/policy/vtc.hpp"

#include <algorithm>
#include <deque>
#include <vector>

#include <catch2/catch.hpp>

#include "infercost/engine/random.hpp"

using namespace infercost;

namespace {

/// A synthetic continuous-batching server (the model of the VTC paper): a batch whose requests reserve
/// input + output tokens of a memory of M tokens; between decode steps the server admits the head request of
/// the client VTC selects while it fits (stopping at the first that does not, as the authors' artifact does);
/// each decode step generates one token per running request.
struct Server {
  struct Job {
    std::uint32_t client, input, output, generated = 0;
  };

  Server(std::uint32_t clients, std::uint32_t memory_tokens, std::uint32_t max_input, std::uint32_t max_output,
         VtcParams params, std::vector<double> weights)
      : vtc(clients, params, weights), queues(clients), service(clients, 0.0), memory(memory_tokens),
        max_input(max_input), max_output(max_output), rng(42) {}

  /// Client c's requests are up to max / (c + 1) tokens long: clients differ in size by up to 4x.
  void enqueue(std::uint32_t client) {
    const std::uint32_t in_max = std::max<std::uint32_t>(1, max_input / (client % 4 + 1));
    const std::uint32_t out_max = std::max<std::uint32_t>(1, max_output / (client % 4 + 1));
    queues[client].push_back(Job{client, 1 + static_cast<std::uint32_t>(rng.uniform_int(in_max)),
                                 1 + static_cast<std::uint32_t>(rng.uniform_int(out_max))});
    vtc.on_enqueue(client);
  }

  /// The client to serve next: VTC's choice, or (baseline) the next backlogged client in turn.
  std::optional<std::uint32_t> pick() {
    if (!round_robin) return vtc.select();
    for (std::uint32_t k = 0; k < queues.size(); ++k) {
      const std::uint32_t c = (turn + k) % static_cast<std::uint32_t>(queues.size());
      if (!queues[c].empty()) {
        turn = c + 1;
        return c;
      }
    }
    return std::nullopt;
  }

  /// One scheduling round and one decode step; `refill(client)` says whether to keep the client backlogged.
  template <class Refill>
  void step(Refill refill) {
    while (auto c = pick()) {
      Job& head = queues[*c].front();
      if (used + head.input + head.output > memory) break;
      used += head.input + head.output;
      vtc.on_dispatch(*c, head.input);
      service[*c] += vtc.params().input_weight * head.input;
      running.push_back(head);
      queues[*c].pop_front();
      if (refill(*c)) enqueue(*c);
    }
    for (auto it = running.begin(); it != running.end();) {
      ++it->generated;
      vtc.on_decode(it->client, 1);
      service[it->client] += vtc.params().output_weight;
      if (it->generated == it->output) {
        used -= it->input + it->output;
        it = running.erase(it);
      } else {
        ++it;
      }
    }
  }

  /// U = max(w_p * L_input, w_q * M) in counter units (divided by the smallest weight).
  double bound_u() const {
    double w_min = vtc.weight(0);
    for (std::uint32_t c = 0; c < queues.size(); ++c) w_min = std::min(w_min, vtc.weight(c));
    return std::max(vtc.params().input_weight * max_input, vtc.params().output_weight * memory) / w_min;
  }
  double normalized(std::uint32_t c) const { return service[c] / vtc.weight(c); }

  VirtualTokenCounter vtc;
  std::vector<std::deque<Job>> queues;
  std::vector<double> service;  ///< weighted service W (w_p per prompt token, w_q per output token)
  std::vector<Job> running;
  std::uint32_t memory, used = 0, max_input, max_output;
  RandomStream rng;
  bool round_robin = false;
  std::uint32_t turn = 0;
};

/// Largest |D(t2) - D(t1)| over all t1 < t2, where D = W_f/w_f - W_g/w_g, over every pair.
struct PairRange {
  std::vector<double> lo, hi;
  std::uint32_t n;
  explicit PairRange(std::uint32_t clients) : lo(clients * clients, 0.0), hi(clients * clients, 0.0), n(clients) {}
  void observe(const Server& s) {
    for (std::uint32_t f = 0; f < n; ++f) {
      for (std::uint32_t g = f + 1; g < n; ++g) {
        const double d = s.normalized(f) - s.normalized(g);
        lo[f * n + g] = std::min(lo[f * n + g], d);
        hi[f * n + g] = std::max(hi[f * n + g], d);
      }
    }
  }
  double worst() const {
    double w = 0;
    for (std::size_t i = 0; i < lo.size(); ++i) w = std::max(w, hi[i] - lo[i]);
    return w;
  }
};

}  // namespace

TEST_CASE("VTC: backlogged clients' weighted service differs by at most 2U over a long run", "[policy]") {
  for (const auto& weights : {std::vector<double>{1, 1, 1, 1}, std::vector<double>{1, 2, 3, 5}}) {
    Server s(4, 2048, 512, 512, VtcParams{1.0, 2.0, true}, weights);
    for (std::uint32_t c = 0; c < 4; ++c) {
      s.enqueue(c);
      s.enqueue(c);
    }
    PairRange range(4);
    for (int step = 0; step < 100'000; ++step) {
      s.step([](std::uint32_t) { return true; });
      range.observe(s);
    }
    INFO("worst pairwise service difference " << range.worst() << ", 2U = " << 2 * s.bound_u());
    CHECK(range.worst() <= 2 * s.bound_u());
    // Long-run shares follow the weights: service / weight is within 2U of each other over ~1e6 tokens each.
    CHECK(s.normalized(0) > 50 * s.bound_u());  // a run long enough for unfairness to show
    for (std::uint32_t c = 1; c < 4; ++c) CHECK(std::abs(s.normalized(c) - s.normalized(0)) <= 2 * s.bound_u());
  }
}

TEST_CASE("VTC bound test has teeth: request round robin over clients of unequal sizes breaks it", "[policy]") {
  Server s(4, 2048, 512, 512, VtcParams{1.0, 2.0, true}, {});
  s.round_robin = true;
  for (std::uint32_t c = 0; c < 4; ++c) s.enqueue(c), s.enqueue(c);
  PairRange range(4);
  for (int step = 0; step < 100'000; ++step) {
    s.step([](std::uint32_t) { return true; });
    range.observe(s);
  }
  CHECK(range.worst() > 10 * 2 * s.bound_u());
}

TEST_CASE("VTC: a client returning from idle gets no burst of credit", "[policy]") {
  const auto run = [](bool lift, double& burst, double& bound, double& lifted, double& min_backlogged) {
    Server s(3, 4096, 512, 256, VtcParams{1.0, 2.0, lift}, {});
    s.enqueue(0), s.enqueue(0), s.enqueue(1), s.enqueue(1);
    for (int step = 0; step < 20'000; ++step) s.step([](std::uint32_t c) { return c != 2; });
    // Client 2 returns after 20000 steps of idleness and stays backlogged.
    min_backlogged = std::min(s.vtc.counter(0), s.vtc.counter(1));
    s.enqueue(2);
    s.enqueue(2);
    lifted = s.vtc.counter(2);
    const double w0 = s.normalized(0), w2 = s.normalized(2);
    burst = 0;
    for (int step = 0; step < 20'000; ++step) {
      s.step([](std::uint32_t) { return true; });
      burst = std::max(burst, std::abs((s.normalized(2) - w2) - (s.normalized(0) - w0)));
    }
    bound = 2 * s.bound_u();
  };
  double burst = 0, bound = 0, lifted = 0, min_backlogged = 0;
  run(true, burst, bound, lifted, min_backlogged);
  CHECK(lifted == min_backlogged);
  CHECK(burst <= bound);
  // Without the lift the returning client would monopolise the server until it caught up.
  run(false, burst, bound, lifted, min_backlogged);
  CHECK(lifted == 0.0);
  CHECK(burst > 10 * bound);
}

TEST_CASE("VTC: with nobody backlogged, a returning client is lifted to the last client served", "[policy]") {
  VirtualTokenCounter vtc(3, VtcParams{1.0, 2.0, true});
  vtc.on_enqueue(0);
  vtc.on_dispatch(0, 100);  // counter 100
  vtc.on_decode(0, 10);     // counter 120
  CHECK(vtc.counter(0) == 120.0);
  CHECK(!vtc.select());
  vtc.on_enqueue(1);
  CHECK(vtc.counter(1) == 120.0);
  // A client already ahead of the backlogged ones is not pulled back.
  VirtualTokenCounter ahead(3, VtcParams{1.0, 2.0, true});
  ahead.on_enqueue(2);
  ahead.on_enqueue(1);
  ahead.on_dispatch(1, 500);
  ahead.on_enqueue(1);
  CHECK(ahead.counter(1) == 500.0);
  CHECK(*ahead.select() == 2);
}

TEST_CASE("VTC: selection takes the smallest counter, ties by who was backlogged first - weights divide",
          "[policy]") {
  VirtualTokenCounter vtc(3, VtcParams{1.0, 2.0, true}, {1.0, 4.0, 1.0});
  vtc.on_enqueue(2);
  vtc.on_enqueue(0);
  vtc.on_enqueue(1);
  CHECK(*vtc.select() == 2);  // all at 0: client 2 was backlogged first
  vtc.on_dispatch(2, 100);    // client 2 leaves the queue
  CHECK(*vtc.select() == 0);
  vtc.on_dispatch(0, 100);
  CHECK(vtc.counter(0) == 100.0);
  CHECK(*vtc.select() == 1);
  vtc.on_decode(1, 100);  // 2 * 100 / 4
  CHECK(vtc.counter(1) == 50.0);
  vtc.on_withdraw(1);
  CHECK(!vtc.select());
  CHECK_THROWS(vtc.on_withdraw(1));
}
