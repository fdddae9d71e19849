#include "infercost/serving/kv_cache.hpp"

#include <catch2/catch.hpp>

#include "test_layouts.hpp"

using namespace infercost;

TEST_CASE("KV capacity is usable memory less weights and activations, in blocks of every GPU's share",
          "[serving]") {
  const ReplicaLayout l = test::layout("H100-SXM5-80GB", "Llama-3.1-70B", 8);
  const double reserve = 2.0 * 1024 * 1024 * 1024;
  const KvCacheBudget b = kv_cache_budget(l, 0.9, reserve, 16);
  CHECK(b.usable_bytes_per_gpu == Approx(0.9 * 80.0 * 1024 * 1024 * 1024));
  CHECK(b.weight_bytes_per_gpu == Approx(l.model.params() * 2 / 8));
  // One block of 16 tokens on one GPU: K and V, 80 layers, 1 KV head of 128 dims, 2 bytes.
  CHECK(b.block_bytes_per_gpu == 16.0 * 2 * 80 * 1 * 128 * 2);
  CHECK(b.blocks == static_cast<std::uint64_t>((b.usable_bytes_per_gpu - b.weight_bytes_per_gpu - reserve) /
                                               b.block_bytes_per_gpu));
  CHECK(b.capacity_tokens() > 1'000'000);  // ~1.3M tokens: why 70B on TP8 batches hundreds of requests

  // Pipeline parallelism halves each GPU's layers, so a block's share halves and capacity roughly doubles per GPU.
  const KvCacheBudget pp2 = kv_cache_budget(test::layout("H100-SXM5-80GB", "Llama-3.1-70B", 8, 2), 0.9, reserve, 16);
  CHECK(pp2.block_bytes_per_gpu == b.block_bytes_per_gpu / 2);
  CHECK(pp2.blocks > 2 * b.blocks);

  // 405B in BF16 (812 GB of weights) does not fit on one 8x H100 node.
  CHECK(kv_cache_budget(test::layout("H100-SXM5-80GB", "Llama-3.1-405B", 8), 0.9, reserve, 16).blocks == 0);
}

TEST_CASE("a paged KV cache allocates whole blocks, all or nothing", "[serving]") {
  PagedKvCache kv(10, 16);
  CHECK(kv.blocks_for(0) == 0);
  CHECK(kv.blocks_for(1) == 1);
  CHECK(kv.blocks_for(16) == 1);
  CHECK(kv.blocks_for(17) == 2);
  CHECK(kv.try_allocate(7));
  CHECK_FALSE(kv.try_allocate(4));
  CHECK(kv.used() == 7);
  CHECK(kv.occupancy() == Approx(0.7));
  kv.release(7);
  CHECK(kv.free() == 10);
  CHECK_THROWS(kv.release(1));
}

TEST_CASE("block arithmetic by shift and mask equals division for powers of two, and division otherwise",
          "[serving]") {
  for (const std::uint32_t block : {1u, 2u, 3u, 7u, 16u, 24u, 64u, 100u, 128u, 4096u}) {
    const PagedKvCache kv(10, block);
    for (std::uint64_t tokens : {0ull, 1ull, 15ull, 16ull, 17ull, 63ull, 64ull, 65ull, 1000ull, 123457ull,
                                 (1ull << 40) + 5ull, ~0ull - 4096ull}) {
      INFO("block " << block << ", tokens " << tokens);
      CHECK(kv.whole_blocks(tokens) == tokens / block);
      CHECK(kv.within_block(tokens) == tokens % block);
      CHECK(kv.blocks_for(tokens) == (tokens + block - 1) / block);
    }
  }
}
