#include "infercost/analysis/attribution.hpp"

#include <catch2/catch.hpp>

#include <cmath>

#include "infercost/core/simulation.hpp"
#include "infercost/serving/continuous_batching.hpp"
#include "infercost/serving/iteration.hpp"
#include "../serving/replica_harness.hpp"

using namespace infercost;
using infercost::testing::ReplicaHarness;
using infercost::testing::Span;

namespace {

constexpr double kJPerKwh = 3.6e6;

const char* kOneGpu8b =
    "name: attribution\nseed: 3\nduration: 1h\ncluster:\n  replicas: 1\n  serving:\n    type: continuous_batching\n"
    "    gpu: H100-SXM5-80GB\n    model: Llama-3.1-8B\nworkload:\n  classes:\n    - name: c\n      users: 2\n"
    "      arrival: {type: poisson, rate: 1/s}\n      input_tokens: {type: constant, value: 100}\n"
    "      output_tokens: {type: constant, value: 10}\n";

}  // namespace

TEST_CASE("continuous batching attribution adds up to the metered GPU energy on a shipped scenario",
          "[attribution][cb]") {
  const Registries reg = builtin_registries();
  const std::vector<std::vector<std::string>> variants = {
      {"cluster.serving.exact_iterations=false"},
      {"cluster.serving.chunked_prefill=true"},
      // Light load with GPUs that switch off when idle: power changes without reports, wake-up impulses.
      {"workload.classes.0.users=20", "power.gpu.off_after=5s", "power.gpu.wake_time=2s", "power.gpu.wake_energy=500J"}};
  for (const auto& variant : variants) {
    std::vector<std::string> sets = {"duration=20m"};
    sets.insert(sets.end(), variant.begin(), variant.end());
    const std::string extra = variant.back();
    const bool light = variant.size() > 1;
    const Scenario s = load_scenario(INFERCOST_SOURCE_DIR "/scenarios/llama70b-h100.yaml", sets, reg);
    Simulation sim(s, s.seed);
    const RunInfo info = sim.run();
    const CostAttribution& a = sim.attribution();
    double users_j = 0.0, users_gpu_s = 0.0;
    for (const UserUsage& u : a.usage()) {
      users_j += u.energy_j;
      users_gpu_s += u.gpu_s;
    }
    const double metered_j = info.power.energy_gpu_kwh * kJPerKwh;
    INFO(extra << ": users " << users_j << " J, unattributed " << a.unattributed_energy_j() << " J, metered "
               << metered_j << " J");
    REQUIRE(metered_j > 0);
    CHECK(std::abs(users_j + a.unattributed_energy_j() - metered_j) <= 1e-9 * metered_j);
    CHECK(std::abs(users_j - a.attributed_energy_j()) <= 1e-9 * metered_j);
    // A loaded replica works most of the time; what is left unattributed is idle power.
    if (!light) CHECK(users_j > 0.5 * metered_j);
    if (light) CHECK(info.power.gpu_wakes > 0);
    CHECK(std::abs(users_gpu_s - a.attributed_gpu_s()) <= 1e-9 * a.attributed_gpu_s());
    CHECK(a.attributed_gpu_s() <= 8.0 * to_seconds(info.end_time) * (1 + 1e-12));
  }
}

TEST_CASE("continuous batching shares: prefill by FLOPs, decode by weight share plus own KV bytes", "[attribution][cb]") {
  ReplicaHarness h(kOneGpu8b);
  h.build();
  const auto& cb = dynamic_cast<const ContinuousBatchingConfig&>(*h.scenario().serving);
  const LlmSpec& m = cb.settings().layout.model;
  // r0 occupies the replica while r1 and r2 arrive; they are then prefilled together and decode together.
  Request& r0 = h.make(0, 0, 50, 1);
  Request& r1 = h.make(0, 0, 300, 8);
  Request& r2 = h.make(1, 0, 1000, 5);
  h.submit_at(r0, 0);
  h.submit_at(r1, 1);
  h.submit_at(r2, 2);
  h.engine.run_until(kHour);
  REQUIRE(h.completed == 3);
  REQUIRE(h.spans.size() >= 3);
  for (std::size_t i = 1; i < h.spans.size(); ++i) CHECK(h.spans[i].start >= h.spans[i - 1].end);
  CHECK(h.spans[0].share_of(r0) == 1.0);

  // Span 1: one prefill iteration of both prompts. FLOPs of a p-token prompt (docs/models-serving.md):
  // 2 P_active p + 2 V H (it samples a token) + 4 L n_h d p(p+1)/2.
  const auto flops = [&](double p) {
    return 2.0 * m.layer_params_active() * p + 2.0 * double(m.vocab_size) * m.hidden_size +
           4.0 * m.layers * double(m.attention_heads) * m.head_dim * p * (p + 1) / 2;
  };
  const Span& prefill = h.spans[1];
  CHECK(prefill.shares.size() == 2);
  CHECK(prefill.share_of(r1) == Approx(flops(300) / (flops(300) + flops(1000))).epsilon(1e-12));

  // Span 2: a closed-form decode run of K = 4 iterations (r2 has 4 tokens left after its first). Per iteration each
  // sequence reads half the weights and its own KV cache of c + 1 + k tokens (c = its prompt).
  const double w = (m.layer_params_total() + double(m.vocab_size) * m.hidden_size) * 2.0;  // bf16 weights, 1 GPU
  const double kv = 2.0 * m.layers * m.kv_heads * m.head_dim * 2.0;                     // bf16 KV per token
  const auto bytes = [&](double c, double k_iterations) {
    double b = 0;
    for (int k = 0; k < k_iterations; ++k) b += w / 2 + kv * (c + 1 + k);
    return b;
  };
  const Span& run = h.spans[2];
  CHECK(run.shares.size() == 2);
  CHECK(run.share_of(r1) == Approx(bytes(300, 4) / (bytes(300, 4) + bytes(1000, 4))).epsilon(1e-12));
  // Then r1 decodes alone for its last 3 tokens: all of it.
  CHECK(h.spans.back().share_of(r1) == 1.0);
}

TEST_CASE("pooled credits equal sequence-by-sequence shares over a long run of many work epochs", "[attribution][cb]") {
  // A request every 0.5 s, each decoding 1,000 tokens (about 20 s at this load): the pool never empties, its counter
  // passes 10^5 iterations, and its work sums restart (start_work_epoch) dozens of times. Every span earns a rate
  // that varies with its duration and total share, as the meter's would.
  ReplicaHarness h(kOneGpu8b);
  h.rates = [](SimTime start, SimTime end, double total_share) {
    const double span_s = to_seconds(end - start);
    return WorkRates{(450.0 + 250.0 * std::sin(to_seconds(start))) * span_s / total_share, span_s / total_share};
  };
  h.build();
  constexpr int kRequests = 2400;
  for (int i = 0; i < kRequests; ++i) h.submit_at(h.make(i % 7, 0, 100 + i % 13, 1000), from_seconds(0.5 * i));
  h.engine.run_until(2 * kHour);
  REQUIRE(h.completed == kRequests);
  double worst = 0.0, expected_sum = 0.0, credited_sum = 0.0;
  for (const Request& r : h.requests) {
    const double expected = h.expected_j.at(&r), credited = h.credited_j.at(&r);
    REQUIRE(expected > 0.0);
    worst = std::max(worst, std::abs(credited - expected) / expected);
    expected_sum += expected;
    credited_sum += credited;
  }
  INFO("worst relative difference " << worst);
  CHECK(worst <= 1e-12);
  CHECK(credited_sum == Approx(expected_sum).epsilon(1e-13));
}
