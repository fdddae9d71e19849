// Built-in routers: round robin, least outstanding requests, least KV load, uniform random.
#include <limits>

#include "infercost/core/registries.hpp"
#include "infercost/power/site_router.hpp"
#include "infercost/serving/router.hpp"

namespace infercost {
namespace {

class RoundRobinRouter final : public Router {
 public:
  std::uint32_t route(const Request&, std::span<Replica* const> replicas) override {
    const std::uint32_t r = next_;
    next_ = (next_ + 1) % static_cast<std::uint32_t>(replicas.size());
    return r;
  }

 private:
  std::uint32_t next_ = 0;
};

/// Picks the minimum of `load`; ties go to the first one at or after a rotating start, so equal replicas share.
template <class Load>
std::uint32_t argmin_rotating(std::span<Replica* const> replicas, std::uint32_t& start, Load load) {
  const auto n = static_cast<std::uint32_t>(replicas.size());
  std::uint32_t best = start % n;
  auto best_load = load(*replicas[best]);
  for (std::uint32_t k = 1; k < n; ++k) {
    const std::uint32_t i = (start + k) % n;
    const auto l = load(*replicas[i]);
    if (l < best_load) {
      best_load = l;
      best = i;
    }
  }
  start = (start + 1) % n;
  return best;
}

class LeastOutstandingRouter final : public Router {
 public:
  std::uint32_t route(const Request&, std::span<Replica* const> replicas) override {
    return argmin_rotating(replicas, start_, [](const Replica& r) { return r.outstanding(); });
  }

 private:
  std::uint32_t start_ = 0;
};

class LeastKvRouter final : public Router {
 public:
  std::uint32_t route(const Request&, std::span<Replica* const> replicas) override {
    return argmin_rotating(replicas, start_, [](const Replica& r) { return r.kv_load(); });
  }

 private:
  std::uint32_t start_ = 0;
};

class RandomRouter final : public Router {
 public:
  explicit RandomRouter(RandomStream rng) : rng_(rng) {}
  std::uint32_t route(const Request&, std::span<Replica* const> replicas) override {
    return static_cast<std::uint32_t>(rng_.uniform_int(replicas.size()));
  }

 private:
  RandomStream rng_;
};

template <class R>
class SimpleRouterConfig final : public RouterConfig {
 public:
  std::unique_ptr<Router> make_router(RandomStream rng) const override {
    if constexpr (std::is_constructible_v<R, RandomStream>) return std::make_unique<R>(rng);
    else return std::make_unique<R>();
  }
};

template <class R>
typename Registry<RouterConfig>::Factory simple_factory() {
  return [](const ConfigNode&) -> std::unique_ptr<RouterConfig> { return std::make_unique<SimpleRouterConfig<R>>(); };
}

}  // namespace

void register_routers(Registry<RouterConfig>& registry) {
  registry.add("round_robin", "replicas in turn", simple_factory<RoundRobinRouter>());
  registry.add("least_outstanding", "fewest queued + running requests (ties rotate)",
               simple_factory<LeastOutstandingRouter>());
  registry.add("least_kv", "lowest KV-cache occupancy (ties rotate)", simple_factory<LeastKvRouter>());
  registry.add("random", "uniformly at random (seeded router stream)", simple_factory<RandomRouter>());
  register_site_routers(registry);
}

}  // namespace infercost
