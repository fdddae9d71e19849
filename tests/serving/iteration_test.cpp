#include "infercost/serving/iteration.hpp"

#include <catch2/catch.hpp>

#include "test_layouts.hpp"

using namespace infercost;

TEST_CASE("batch shapes count context and causal attention pairs", "[serving]") {
  BatchShape s;
  add_prefill_chunk(s, 0, 4);    // tokens attend to 1, 2, 3, 4 keys
  add_prefill_chunk(s, 10, 2);   // tokens attend to 11, 12 keys
  add_decode_token(s, 99);       // attends to 100 keys
  CHECK(s.sequences == 3);
  CHECK(s.prefill_tokens == 6);
  CHECK(s.decode_tokens == 1);
  CHECK(s.context_tokens == 4 + 12 + 100);
  CHECK(s.attention_pairs == 10 + 23 + 100);
}

TEST_CASE("iteration work: dense FLOPs use active parameters, weight bytes every parameter", "[serving]") {
  const ReplicaLayout mixtral = test::layout("H100-SXM5-80GB", "Mixtral-8x7B", 1);
  BatchShape s;
  for (int i = 0; i < 10; ++i) add_decode_token(s, 0);
  const IterationWork w = iteration_work(mixtral, s);
  const LlmSpec& m = mixtral.model;
  const double head = static_cast<double>(m.vocab_size) * m.hidden_size;
  const double attention = 4.0 * m.layers * m.attention_heads * m.head_dim * 10;  // one key each
  CHECK(w.flops_per_gpu == Approx(2 * m.layer_params_active() * 10 + 2 * head * 10 + attention));
  CHECK(w.weight_bytes_per_gpu == Approx((m.layer_params_total() + head) * 2));
  CHECK(w.kv_bytes_per_gpu == Approx(10 * m.kv_bytes_per_token(Precision::kBf16)));
  CHECK(w.allreduces_per_stage == 0);

  // Tensor parallelism splits work and KV heads; 8 KV heads over TP8 leave one per GPU.
  const ReplicaLayout tp8 = test::layout("H100-SXM5-80GB", "Llama-3.1-70B", 8);
  const ReplicaLayout tp1 = test::layout("H100-SXM5-80GB", "Llama-3.1-70B", 1);
  const IterationWork w8 = iteration_work(tp8, s), w1 = iteration_work(tp1, s);
  CHECK(w8.flops_per_gpu == Approx(w1.flops_per_gpu / 8));
  CHECK(w8.kv_bytes_per_gpu == Approx(w1.kv_bytes_per_gpu / 8));
  CHECK(w8.allreduces_per_stage == 160);
  CHECK(tp8.kv_heads_per_gpu() == 1.0);
  // TP16 (two nodes' worth of heads) replicates each KV head on two GPUs.
  ReplicaLayout tp16 = tp8;
  tp16.tensor_parallel = 16;
  CHECK(tp16.kv_heads_per_gpu() == 1.0);
  CHECK(tp8.weight_bytes_per_gpu() == Approx(tp8.model.params() * 2 / 8));
}
