// Built-in routers: round robin, least outstanding requests, least KV load, uniform random.
#include <limits>
#include <set>
#include <vector>

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

/// Fewest outstanding requests, first at or after a rotating start among ties (the same choice as a scan with
/// argmin_rotating), in O(log n): replicas are kept in buckets by their count of routed, not yet completed
/// requests, which is what Replica::outstanding() reports.
class LeastOutstandingRouter final : public Router {
 public:
  std::uint32_t route(const Request&, std::span<Replica* const> replicas) override {
    const auto n = static_cast<std::uint32_t>(replicas.size());
    if (count_.empty()) {
      count_.assign(n, 0);
      buckets_.assign(1, {});
      for (std::uint32_t i = 0; i < n; ++i) buckets_[0].insert(buckets_[0].end(), i);
    }
    while (buckets_[min_].empty()) ++min_;
    const auto& bucket = buckets_[min_];
    auto it = bucket.lower_bound(start_ % n);
    if (it == bucket.end()) it = bucket.begin();
    const std::uint32_t best = *it;
    start_ = (start_ + 1) % n;
    move(best, count_[best] + 1);
    return best;
  }
  void on_done(std::uint32_t replica) override {
    if (replica < count_.size() && count_[replica] > 0) move(replica, count_[replica] - 1);
  }

 private:
  void move(std::uint32_t replica, std::uint32_t to) {
    buckets_[count_[replica]].erase(replica);
    if (to >= buckets_.size()) buckets_.resize(to + 1);
    buckets_[to].insert(replica);
    count_[replica] = to;
    if (to < min_) min_ = to;
  }

  std::vector<std::uint32_t> count_;
  std::vector<std::set<std::uint32_t>> buckets_;
  std::uint32_t min_ = 0;
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
