// Built-in routers: round robin, least outstanding requests, least KV load, uniform random.
#include <bit>
#include <limits>
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

/// A set of replica indices with O(1) insert and erase and a fast "first member at or after i" (a bitmap with a
/// summary bitmap of its non-empty words).
class IndexSet {
 public:
  explicit IndexSet(std::uint32_t n = 0) : words_((n + 63) / 64, 0), summary_((words_.size() + 63) / 64, 0) {}
  bool empty() const { return size_ == 0; }
  void insert(std::uint32_t i) {
    words_[i / 64] |= std::uint64_t{1} << (i % 64);
    summary_[i / 4096] |= std::uint64_t{1} << (i / 64 % 64);
    ++size_;
  }
  void erase(std::uint32_t i) {
    std::uint64_t& w = words_[i / 64];
    w &= ~(std::uint64_t{1} << (i % 64));
    if (w == 0) summary_[i / 4096] &= ~(std::uint64_t{1} << (i / 64 % 64));
    --size_;
  }
  /// The smallest member >= i, or the smallest member when there is none (the set must not be empty).
  std::uint32_t first_from(std::uint32_t i) const {
    const std::size_t wi = i / 64;
    if (wi < words_.size()) {
      const std::uint64_t here = words_[wi] & (~std::uint64_t{0} << (i % 64));
      if (here != 0) return static_cast<std::uint32_t>(wi * 64 + std::countr_zero(here));
      const std::size_t next = next_word(wi + 1);
      if (next < words_.size()) return static_cast<std::uint32_t>(next * 64 + std::countr_zero(words_[next]));
    }
    const std::size_t first = next_word(0);
    return static_cast<std::uint32_t>(first * 64 + std::countr_zero(words_[first]));
  }

 private:
  /// The first non-empty word at or after `wi` (words_.size() when none).
  std::size_t next_word(std::size_t wi) const {
    for (std::size_t si = wi / 64; si < summary_.size(); ++si) {
      const std::uint64_t bits = si == wi / 64 ? summary_[si] & (~std::uint64_t{0} << (wi % 64)) : summary_[si];
      if (bits != 0) return si * 64 + static_cast<std::size_t>(std::countr_zero(bits));
    }
    return words_.size();
  }
  std::vector<std::uint64_t> words_;
  std::vector<std::uint64_t> summary_;
  std::uint32_t size_ = 0;
};

/// Fewest outstanding requests, first at or after a rotating start among ties (the same choice as a scan with
/// argmin_rotating): replicas are kept in buckets by their count of routed, not yet completed requests, which is
/// what Replica::outstanding() reports, so a route costs a bitmap search (n/4096 words at worst), not a scan.
class LeastOutstandingRouter final : public Router {
 public:
  std::uint32_t route(const Request&, std::span<Replica* const> replicas) override {
    const auto n = static_cast<std::uint32_t>(replicas.size());
    if (count_.empty()) {
      n_ = n;
      count_.assign(n, 0);
      buckets_.assign(1, IndexSet(n));
      for (std::uint32_t i = 0; i < n; ++i) buckets_[0].insert(i);
    }
    while (buckets_[min_].empty()) ++min_;
    const std::uint32_t best = buckets_[min_].first_from(start_ % n);
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
    while (to >= buckets_.size()) buckets_.emplace_back(n_);
    buckets_[to].insert(replica);
    count_[replica] = to;
    if (to < min_) min_ = to;
  }

  std::uint32_t n_ = 0;
  std::vector<std::uint32_t> count_;
  std::vector<IndexSet> buckets_;
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
