// The indexed least-outstanding router makes exactly the choices of a full scan with rotating tie-break.
#include <catch2/catch.hpp>

#include <memory>
#include <vector>

#include "infercost/core/registries.hpp"
#include "infercost/engine/random.hpp"
#include "infercost/io/config.hpp"

using namespace infercost;

namespace {

class FakeReplica final : public Replica {
 public:
  void submit(Request&) override { ++outstanding_; }
  std::uint32_t outstanding() const override { return outstanding_; }
  std::uint32_t gpus() const override { return 1; }
  void on_event(Engine&, std::uint32_t, std::uint64_t) override {}
  std::uint32_t outstanding_ = 0;
};

}  // namespace

TEST_CASE("least_outstanding routes like a full scan with rotating ties", "[serving][router]") {
  Registry<RouterConfig> registry;
  register_routers(registry);
  const auto config = registry.create(ConfigNode::load_string("type: least_outstanding", "r.yaml"));
  // Past one bitmap word (65, 130) and past one summary word (4,160 replicas: 65 words).
  for (std::uint32_t n : {1u, 2u, 7u, 64u, 65u, 130u, 4160u}) {
    INFO(n);
    auto router = config->make_router(RandomStream(1));
    std::vector<std::unique_ptr<FakeReplica>> owned;
    std::vector<Replica*> replicas;
    for (std::uint32_t i = 0; i < n; ++i) {
      owned.push_back(std::make_unique<FakeReplica>());
      replicas.push_back(owned.back().get());
    }
    RandomStream rng(n);
    std::uint32_t start = 0;
    Request r;
    for (int step = 0; step < 20000; ++step) {
      if (rng.uniform() < 0.55) {
        // Reference: scan from `start`, first strictly smaller load wins.
        std::uint32_t best = start % n;
        for (std::uint32_t k = 1; k < n; ++k) {
          const std::uint32_t i = (start + k) % n;
          if (owned[i]->outstanding_ < owned[best]->outstanding_) best = i;
        }
        start = (start + 1) % n;
        const std::uint32_t chosen = router->route(r, replicas);
        REQUIRE(chosen == best);
        owned[chosen]->submit(r);
      } else {
        const auto i = static_cast<std::uint32_t>(rng.uniform_int(n));
        if (owned[i]->outstanding_ == 0) continue;
        --owned[i]->outstanding_;
        router->on_done(i);
      }
    }
  }
}
