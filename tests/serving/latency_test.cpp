#include "infercost/serving/latency.hpp"

#include <catch2/catch.hpp>

#include "infercost/engine/random.hpp"
#include "test_layouts.hpp"

using namespace infercost;

namespace {

BatchShape decode_batch(std::uint32_t n, std::uint64_t context) {
  BatchShape s;
  for (std::uint32_t i = 0; i < n; ++i) add_decode_token(s, context);
  return s;
}

double brute_sum(const DecodeSeries& s, std::uint64_t k) {
  double t = 0;
  for (std::uint64_t j = 0; j < k; ++j) t += s.time_s(j);
  return t;
}

}  // namespace

TEST_CASE("the closed-form sum of a decode series equals the sum of its iterations", "[serving][latency]") {
  RandomStream rng(3);
  for (int trial = 0; trial < 200; ++trial) {
    DecodeSeries s;
    s.compute_s = rng.uniform(0, 0.02);
    s.compute_slope_s = rng.uniform(0, 1e-4);
    s.memory_s = rng.uniform(0, 0.02);
    s.memory_slope_s = rng.uniform(0, 1e-4);
    s.fixed_s = rng.uniform(0, 0.002);
    for (std::uint64_t k : {0, 1, 2, 7, 100, 1000, 4321}) {
      INFO("trial " << trial << " k " << k);
      CHECK(s.sum_s(k) == Approx(brute_sum(s, k)).epsilon(1e-10).margin(1e-15));
    }
  }
  // A series whose binding bound switches in the middle: memory binds first, compute grows faster.
  DecodeSeries s;
  s.compute_s = 0.001;
  s.compute_slope_s = 1e-5;
  s.memory_s = 0.005;
  s.memory_slope_s = 1e-6;
  CHECK(s.switch_point() == Approx(0.004 / 9e-6));
  for (std::uint64_t k = 440; k <= 450; ++k) CHECK(s.sum_s(k) == Approx(brute_sum(s, k)).epsilon(1e-12));
  CHECK(s.sum_s(2000) == Approx(brute_sum(s, 2000)).epsilon(1e-12));
}

TEST_CASE("the roofline decode series reproduces per-iteration predictions", "[serving][latency]") {
  for (auto [gpu, model, tp, pp] : {std::tuple{"H100-SXM5-80GB", "Llama-3.1-70B", 8u, 1u},
                                    std::tuple{"H100-SXM5-80GB", "Llama-3.1-8B", 1u, 1u},
                                    std::tuple{"A100-SXM4-80GB", "Llama-3.1-405B", 8u, 2u},
                                    std::tuple{"L40S", "Mixtral-8x7B", 4u, 1u}}) {
    INFO(model << " on " << gpu);
    RooflineParams params;
    params.pipeline_microbatches = 2;
    const RooflinePredictor p(test::layout(gpu, model, tp, pp), params);
    for (std::uint32_t batch : {1u, 8u, 64u, 512u}) {
      const BatchShape first = decode_batch(batch, 2000);
      const DecodeSeries series = p.decode_series(first);
      for (std::uint64_t k : {0, 1, 50, 3000}) {
        const IterationTime t = p.predict(decode_batch(batch, 2000 + k));
        CHECK(series.time_s(k) == Approx(t.time_s).epsilon(1e-12));
        CHECK(series.busy_sum_s(k + 1) - series.busy_sum_s(k) == Approx(t.busy_s).epsilon(1e-9));
      }
    }
  }
}

TEST_CASE("no iteration is faster than the HBM bound (decode) or the compute bound (prefill)", "[serving][latency]") {
  RandomStream rng(11);
  for (auto [gpu, model, tp] : {std::tuple{"H100-SXM5-80GB", "Llama-3.1-70B", 8u},
                                std::tuple{"H100-SXM5-80GB", "Llama-3.1-8B", 1u},
                                std::tuple{"H200-SXM-141GB", "Llama-3.1-8B", 2u},
                                std::tuple{"MI300X", "Mixtral-8x7B", 2u}}) {
    const ReplicaLayout l = test::layout(gpu, model, tp);
    const RooflinePredictor p(l, RooflineParams{});
    for (int trial = 0; trial < 100; ++trial) {
      const BatchShape d = decode_batch(1 + static_cast<std::uint32_t>(rng.uniform_int(256)), rng.uniform_int(30000));
      const IterationWork wd = iteration_work(l, d);
      CHECK(p.predict(d).time_s >= wd.bytes_per_gpu() / l.gpu.memory_bandwidth_bytes_per_s);
      BatchShape pf;
      add_prefill_chunk(pf, 0, 1 + rng.uniform_int(16000));
      const IterationWork wp = iteration_work(l, pf);
      CHECK(p.predict(pf).time_s >= wp.flops_per_gpu / l.peak_flops_per_s());
    }
  }
}

TEST_CASE("tensor and pipeline parallelism add communication and the pipeline bubble", "[serving][latency]") {
  const BatchShape s = decode_batch(16, 1000);
  RooflineParams params;
  const RooflinePredictor tp1(test::layout("H100-SXM5-80GB", "Llama-3.1-8B", 1), params);
  const RooflinePredictor tp2(test::layout("H100-SXM5-80GB", "Llama-3.1-8B", 2), params);
  CHECK(tp1.stage_bounds(s, 1).comm_s == 0.0);
  CHECK(tp2.stage_bounds(s, 1).comm_s >= 64 * params.allreduce_latency_s);
  // PP2 with one microbatch: the batch crosses both stages in turn; each GPU is busy half the time.
  const RooflinePredictor pp2(test::layout("H100-SXM5-80GB", "Llama-3.1-8B", 1, 2), params);
  const auto b = pp2.stage_bounds(s, 1);
  const IterationTime t = pp2.predict(s);
  const double stage = std::max(b.compute_s, b.memory_s) + b.comm_s;
  CHECK(t.busy_s == Approx(stage));
  CHECK(t.time_s > 2 * stage + params.iteration_overhead_s);
  CHECK(t.time_s < 2 * stage + params.iteration_overhead_s + 1e-4);
}
