#include "infercost/serving/continuous_batching.hpp"

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include "infercost/core/scenario.hpp"
#include "infercost/core/simulation.hpp"
#include "infercost/io/errors.hpp"
#include "replica_harness.hpp"

using namespace infercost;

namespace {

/// A Llama-3.1-8B replica on one H100 under Poisson chat traffic; `extra` adds serving keys.
std::string scenario(const std::string& extra, double rate_per_s = 4.0, const std::string& output = "{type: uniform, min: 50, max: 400}",
                     const std::string& duration = "20m") {
  return fmt::format(
      "name: cb-test\nseed: 5\nduration: {}\ncluster:\n  replicas: 1\n  serving:\n    type: continuous_batching\n"
      "    gpu: H100-SXM5-80GB\n    model: Llama-3.1-8B\n{}"
      "workload:\n  classes:\n    - name: chat\n      users: 10\n      arrival: {{type: poisson, rate: {}/s}}\n"
      "      input_tokens: {{type: uniform, min: 100, max: 1500}}\n      output_tokens: {}\n",
      duration, extra, rate_per_s / 10.0, output);
}

/// Checks every activity report: fractions in [0, 1], the batch within max_num_seqs.
class ActivityCheck final : public ActivityObserver {
 public:
  void on_activity(std::uint32_t, SimTime now, const ReplicaActivity& a) override {
    valid = valid && now >= last_;
    last_ = now;
    for (double f : {a.busy_fraction, a.compute_fraction, a.memory_bw_fraction, a.kv_occupancy}) {
      valid = valid && f >= 0.0 && f <= 1.0;
    }
    max_running = std::max(max_running, a.running);
    max_kv = std::max(max_kv, a.kv_occupancy);
    if (a.phase == GpuPhase::kPrefill) ++prefills;
    if (a.phase == GpuPhase::kMixed) ++mixed;
    if (a.phase == GpuPhase::kIdle) valid = valid && a.running == 0;
    ++reports;
  }
  bool valid = true;  ///< time never goes back, fractions stay in [0, 1], idle means empty
  std::uint32_t max_running = 0;
  double max_kv = 0.0;
  std::uint64_t prefills = 0, mixed = 0, reports = 0;

 private:
  SimTime last_ = 0;
};

struct Outcome {
  RunInfo info;
  std::uint64_t submitted, completed, preemptions;
  double ttft_mean, tpot_mean, latency_mean, throughput_rps;
  ActivityCheck activity;
};

Outcome run(const std::string& text, const std::vector<std::string>& sets = {}) {
  const Registries reg = builtin_registries();
  const Scenario s = load_scenario_text(text, "cb-test.yaml", sets, reg);
  Simulation sim(s, s.seed);
  Outcome o;
  sim.add_activity_observer(o.activity);
  o.info = sim.run();
  CHECK(o.activity.valid);
  const Metrics& m = sim.metrics();
  o.submitted = m.submitted;
  o.completed = m.completed;
  o.preemptions = m.preemptions;
  o.ttft_mean = m.ttft_s.moments.mean();
  o.tpot_mean = m.tpot_s.moments.mean();
  o.latency_mean = m.latency_s.moments.mean();
  o.throughput_rps = static_cast<double>(m.completed) / to_seconds(o.info.end_time);
  return o;
}

}  // namespace

TEST_CASE("continuous batching serves every request and respects its limits", "[serving][cb]") {
  const Outcome o = run(scenario("    max_num_seqs: 32\n"));
  CHECK(o.completed + o.info.in_flight == o.submitted);
  CHECK(o.completed > 4000);
  CHECK(o.activity.max_running <= 32);
  CHECK(o.activity.prefills > 0);
  CHECK(o.preemptions == 0);
  CHECK(o.ttft_mean > 0.0);
  CHECK(o.ttft_mean < o.latency_mean);
  CHECK(o.tpot_mean > 0.006);   // an H100 cannot stream 16 GB of weights faster than ~4.8 ms
  CHECK(o.tpot_mean < 0.05);
}

TEST_CASE("a KV cache that runs out preempts by recompute, and everything still completes", "[serving][cb]") {
  // Leave ~2k tokens of KV cache: 60 GiB of activation reserve on an 80 GiB H100 with 16 GB of weights.
  const Outcome o = run(scenario("    max_num_seqs: 64\n    max_model_len: 1800\n    activation_reserve: 56.8GiB\n",
                                 6.0, "{type: uniform, min: 200, max: 600}"),
                        {"workload.classes.0.input_tokens.max=1000"});
  CHECK(o.preemptions > 0);
  CHECK(o.completed + o.info.in_flight == o.submitted);
  CHECK(o.activity.max_kv <= 1.0);
  CHECK(o.activity.max_kv > 0.9);
}

TEST_CASE("chunked prefill mixes prompt chunks with decodes and agrees across event granularities", "[serving][cb]") {
  const std::string text = scenario("    chunked_prefill: true\n    max_num_batched_tokens: 512\n", 4.0);
  const Outcome fast = run(text);
  const Outcome exact = run(text, {"cluster.serving.exact_iterations=true"});
  CHECK(fast.activity.mixed > 0);
  CHECK(fast.completed == exact.completed);
  CHECK(fast.ttft_mean == Approx(exact.ttft_mean).epsilon(0.005));
  CHECK(fast.tpot_mean == Approx(exact.tpot_mean).epsilon(0.005));
  CHECK(fast.info.events < exact.info.events / 5);
}

TEST_CASE("long prompts prefill in closed-form runs that agree with iteration-level steps", "[serving][cb]") {
  // Prompts of 8k-30k tokens take the whole 512-token budget for many iterations while others decode.
  std::string text = scenario("    chunked_prefill: true\n    max_num_batched_tokens: 512\n", 0.3);
  const std::string short_prompts = "input_tokens: {type: uniform, min: 100, max: 1500}";
  text.replace(text.find(short_prompts), short_prompts.size(), "input_tokens: {type: uniform, min: 8000, max: 30000}");
  const Outcome fast = run(text);
  const Outcome exact = run(text, {"cluster.serving.exact_iterations=true"});
  INFO("events: " << fast.info.events << " in runs, " << exact.info.events << " iteration by iteration");
  REQUIRE(fast.completed > 200);
  CHECK(fast.completed == exact.completed);
  // Only the rounding of iteration ends to the nanosecond differs (once per run instead of once per iteration).
  CHECK(fast.ttft_mean == Approx(exact.ttft_mean).epsilon(1e-6));
  CHECK(fast.tpot_mean == Approx(exact.tpot_mean).epsilon(1e-6));
  CHECK(fast.latency_mean == Approx(exact.latency_mean).epsilon(1e-6));
  CHECK(fast.info.events < exact.info.events / 10);
  // Events per request do not grow with the prompt: a 30k prompt is a few runs, not 60 iterations.
  CHECK(static_cast<double>(fast.info.events) / static_cast<double>(fast.submitted) < 8.0);
}

TEST_CASE("the same seed gives the same run", "[serving][cb]") {
  const std::string text = scenario("    max_num_seqs: 16\n", 6.0);
  const Outcome a = run(text), b = run(text);
  CHECK(a.info.fingerprint == b.info.fingerprint);
  CHECK(a.info.events == b.info.events);
  CHECK(a.latency_mean == b.latency_mean);
}

TEST_CASE("events per request stay flat when outputs grow tenfold", "[serving][cb]") {
  // Light load so that the batch composition changes only at arrivals and completions.
  const Outcome short_out = run(scenario("", 0.5, "200", "2h"));
  const Outcome long_out = run(scenario("", 0.05, "2000", "20h"));
  const double per_short = static_cast<double>(short_out.info.events) / static_cast<double>(short_out.submitted);
  const double per_long = static_cast<double>(long_out.info.events) / static_cast<double>(long_out.submitted);
  INFO("events per request: " << per_short << " at 200 output tokens, " << per_long << " at 2000");
  CHECK(per_long < 1.3 * per_short);
  CHECK(per_long < 6.0);
}

TEST_CASE("continuous batching configuration errors name the key", "[serving][cb]") {
  const Registries reg = builtin_registries();
  auto load = [&](const std::string& extra) { return load_scenario_text(scenario(extra), "cb.yaml", {}, reg); };
  CHECK_THROWS_WITH(load("    tensor_parallel: 16\n"), Catch::Contains("within one node"));
  CHECK_THROWS_WITH(load("    tensor_parallel: 3\n"), Catch::Contains("attention heads"));
  CHECK_THROWS_WITH(load("    max_num_batched_tokens: 4096\n    max_model_len: 8192\n"), Catch::Contains("chunked_prefill"));
  CHECK_THROWS_WITH(load("    chunked_prefill: true\n    max_num_batched_tokens: 128\n"),
                    Catch::Contains("at least max_num_seqs"));
  CHECK_THROWS_WITH(load("    queue_order: lifo\n"), Catch::Contains("expected one of fifo"));
  CHECK_THROWS_WITH(load("    chunked_prefill: true\n    max_model_len: 2000000\n"),
                    Catch::Contains("the KV cache holds"));
  CHECK_THROWS_WITH(load_scenario_text(scenario("", 1.0), "cb.yaml", {"cluster.serving.model=Llama-3.1-405B"}, reg),
                    Catch::Contains("does not fit"));
  CHECK_NOTHROW(load("    queue_order: fifo\n    latency: {type: roofline, memory_efficiency: 0.7}\n"));
}

TEST_CASE("a replica spans TP x PP GPUs and exposes its GPU spec", "[serving][cb]") {
  const Registries reg = builtin_registries();
  const Scenario s = load_scenario_text(scenario(""), "cb.yaml",
                                        {"cluster.serving.model=Llama-3.1-70B", "cluster.serving.tensor_parallel=8",
                                         "cluster.serving.pipeline_parallel=2"},
                                        reg);
  CHECK(s.serving->gpus_per_replica() == 16);
  REQUIRE(s.serving->gpu_spec() != nullptr);
  CHECK(s.serving->gpu_spec()->tdp_w == 700.0);
  CHECK(s.serving->gpu_spec()->idle_power_w > 0.0);
  const auto& cb = dynamic_cast<const ContinuousBatchingConfig&>(*s.serving);
  CHECK(cb.settings().kv.blocks > 0);
  CHECK(s.serving->describe().find("TP8 PP2") != std::string::npos);
}

TEST_CASE("every KV block the decoding pool reserves comes back, whatever the block size", "[serving][cb]") {
  // Block sums over the pool come from counts per position within a block (prefix sums up to 64 tokens a block,
  // kept inside the replica up to 16; a walk over the decoders above): a leak or a double release would show as
  // blocks left once all is done.
  for (const char* block : {"1", "7", "16", "32", "100"}) {
    for (const char* chunked : {"false", "true"}) {
      INFO("block_size " << block << ", chunked_prefill " << chunked);
      infercost::testing::ReplicaHarness h(scenario(fmt::format("    block_size: {}\n    chunked_prefill: {}\n"
                                                     "    max_num_batched_tokens: 8192\n    max_model_len: 8192\n"
                                                     "    gpu_memory_utilization: 0.35\n",
                                                     block, chunked)));
      h.build();
      RandomStream rng = StreamFactory(9).stream("kv-leak");
      for (int i = 0; i < 400; ++i) {
        const auto input = static_cast<std::uint32_t>(50 + rng.uniform_int(6000));
        const auto output = static_cast<std::uint32_t>(1 + rng.uniform_int(600));
        h.submit_at(h.make(static_cast<std::uint32_t>(i % 10), 0, input, output), from_seconds(0.05 * i));
      }
      h.engine.run_until(10 * kHour);
      CHECK(h.completed == 400);
      CHECK(h.replica->outstanding() == 0);
      CHECK(h.replica->kv_load() == 0.0);
      // The KV cache filled up at times, so runs were cut short by blocks, not only by completions.
      double max_kv = 0.0;
      for (const auto& [t, a] : h.activity_log) max_kv = std::max(max_kv, a.kv_occupancy);
      CHECK(max_kv > 0.5);
    }
  }
}
