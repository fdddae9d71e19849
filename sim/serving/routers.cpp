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

/// Fewest outstanding requests, first at or after a rotating start among ties (the same choice as a scan with
/// argmin_rotating): replicas are kept in buckets by their count of routed, not yet completed requests, which is
/// what Replica::outstanding() reports, so a route costs a bitmap search (n/4096 words at worst), not a scan.
/// Each count's bucket is a bitmap of the replicas with a summary bitmap of its non-empty words, all in one array
/// (summary first), so a move touches a few words of two buckets and no set headers or separate buffers.
class LeastOutstandingRouter final : public Router {
 public:
  std::uint32_t route(const Request&, std::span<Replica* const> replicas) override {
    const auto n = static_cast<std::uint32_t>(replicas.size());
    if (count_.empty()) {
      words_per_set_ = (n + 63) / 64;
      summary_words_ = (words_per_set_ + 63) / 64;
      count_.assign(n, 0);
      add_bucket();
      for (std::uint32_t i = 0; i < n; ++i) insert(0, i);
    }
    while (sizes_[min_] == 0) ++min_;
    if (start_ >= n) start_ %= n;  // never, while the span keeps its size: no division per route
    const std::uint32_t best = first_from(min_, start_);
    start_ = start_ + 1 == n ? 0 : start_ + 1;
    move(best, count_[best] + 1);
    return best;
  }
  void on_done(std::uint32_t replica) override {
    if (replica < count_.size() && count_[replica] > 0) move(replica, count_[replica] - 1);
  }

 private:
  std::uint64_t* summary(std::uint32_t c) { return bits_.data() + std::size_t{c} * (summary_words_ + words_per_set_); }
  const std::uint64_t* summary(std::uint32_t c) const {
    return bits_.data() + std::size_t{c} * (summary_words_ + words_per_set_);
  }
  std::uint64_t* words(std::uint32_t c) { return summary(c) + summary_words_; }
  const std::uint64_t* words(std::uint32_t c) const { return summary(c) + summary_words_; }
  void add_bucket() {
    bits_.resize(bits_.size() + summary_words_ + words_per_set_, 0);
    sizes_.push_back(0);
  }
  void insert(std::uint32_t c, std::uint32_t i) {
    words(c)[i / 64] |= std::uint64_t{1} << (i % 64);
    summary(c)[i / 4096] |= std::uint64_t{1} << (i / 64 % 64);
    ++sizes_[c];
  }
  void erase(std::uint32_t c, std::uint32_t i) {
    std::uint64_t& w = words(c)[i / 64];
    w &= ~(std::uint64_t{1} << (i % 64));
    if (w == 0) summary(c)[i / 4096] &= ~(std::uint64_t{1} << (i / 64 % 64));
    --sizes_[c];
  }
  /// The first non-empty word of bucket c at or after word `wi` (words_per_set_ when none).
  std::size_t next_word(std::uint32_t c, std::size_t wi) const {
    const std::uint64_t* s = summary(c);
    for (std::size_t si = wi / 64; si < summary_words_; ++si) {
      const std::uint64_t bits = si == wi / 64 ? s[si] & (~std::uint64_t{0} << (wi % 64)) : s[si];
      if (bits != 0) return si * 64 + static_cast<std::size_t>(std::countr_zero(bits));
    }
    return words_per_set_;
  }
  /// The smallest member of bucket c at or after i, or its smallest member when there is none (c not empty).
  std::uint32_t first_from(std::uint32_t c, std::uint32_t i) const {
    const std::uint64_t* w = words(c);
    const std::size_t wi = i / 64;
    if (wi < words_per_set_) {
      const std::uint64_t here = w[wi] & (~std::uint64_t{0} << (i % 64));
      if (here != 0) return static_cast<std::uint32_t>(wi * 64 + std::countr_zero(here));
      const std::size_t next = next_word(c, wi + 1);
      if (next < words_per_set_) return static_cast<std::uint32_t>(next * 64 + std::countr_zero(w[next]));
    }
    const std::size_t first = next_word(c, 0);
    return static_cast<std::uint32_t>(first * 64 + std::countr_zero(w[first]));
  }
  void move(std::uint32_t replica, std::uint32_t to) {
    erase(count_[replica], replica);
    while (to >= sizes_.size()) add_bucket();
    insert(to, replica);
    count_[replica] = to;
    if (to < min_) min_ = to;
  }

  std::size_t words_per_set_ = 0, summary_words_ = 0;
  std::vector<std::uint32_t> count_;
  std::vector<std::uint64_t> bits_;     ///< per count: summary_words_ summary words, then words_per_set_ words
  std::vector<std::uint32_t> sizes_;    ///< members per count
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
