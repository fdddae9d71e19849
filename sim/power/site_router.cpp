// The site-aware router. Sites are ranked now by their energy price x PUE (`prefer: cheapest`) or carbon
// intensity x PUE (`prefer: cleanest`); ties keep the sites' order. A request goes to the least-loaded replica
// of the best site that has a replica with fewer than `spill_at_outstanding` requests; when no site has room,
// to the least-loaded replica anywhere (spill-over).
#include <algorithm>
#include <span>
#include <utility>
#include <vector>

#include "infercost/core/registries.hpp"
#include "infercost/power/facility.hpp"
#include "infercost/power/site_router.hpp"

namespace infercost {
namespace {

struct SiteRouterConfigValues {
  bool cleanest = false;
  std::uint32_t spill_at_outstanding = 1;
};

class SiteAwareRouter final : public Router, public PowerAwareRouter {
 public:
  explicit SiteAwareRouter(const SiteRouterConfigValues& c) : c_(c) {}

  void attach(const PowerBudgetView& power) override {
    power_ = &power;
    starts_.assign(power.site_count(), 0);
  }

  std::uint32_t route(const Request&, std::span<Replica* const> replicas) override {
    const auto n = static_cast<std::uint32_t>(replicas.size());
    if (power_ == nullptr) return least_loaded(replicas, 0, n, global_start_);
    if (members_.empty()) {
      members_.resize(power_->site_count());
      for (std::uint32_t r = 0; r < n; ++r) members_[power_->site_of_replica(r)].push_back(r);
    }
    // Rank the sites by their current score (stable: ties keep the configured order).
    order_.clear();
    for (std::uint32_t s = 0; s < members_.size(); ++s) {
      if (members_[s].empty()) continue;
      const SitePowerStatus st = power_->site_status(s);
      const double per_kwh = c_.cleanest ? st.carbon_g_per_kwh : st.price_usd_per_kwh;
      order_.push_back({per_kwh * st.pue(), s});
    }
    std::stable_sort(order_.begin(), order_.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [score, s] : order_) {
      const std::uint32_t best = least_loaded_of(replicas, members_[s], starts_[s]);
      if (replicas[best]->outstanding() < c_.spill_at_outstanding) return best;
    }
    return least_loaded(replicas, 0, n, global_start_);
  }

 private:
  /// Least outstanding among `ids`; ties go to the first at or after a rotating start.
  static std::uint32_t least_loaded_of(std::span<Replica* const> replicas, const std::vector<std::uint32_t>& ids,
                                       std::uint32_t& start) {
    const auto k = static_cast<std::uint32_t>(ids.size());
    std::uint32_t best = ids[start % k];
    std::uint32_t best_load = replicas[best]->outstanding();
    for (std::uint32_t j = 1; j < k; ++j) {
      const std::uint32_t id = ids[(start + j) % k];
      if (replicas[id]->outstanding() < best_load) {
        best_load = replicas[id]->outstanding();
        best = id;
      }
    }
    start = (start + 1) % k;
    return best;
  }

  static std::uint32_t least_loaded(std::span<Replica* const> replicas, std::uint32_t first, std::uint32_t count,
                                    std::uint32_t& start) {
    std::uint32_t best = first + start % count;
    std::uint32_t best_load = replicas[best]->outstanding();
    for (std::uint32_t j = 1; j < count; ++j) {
      const std::uint32_t id = first + (start + j) % count;
      if (replicas[id]->outstanding() < best_load) {
        best_load = replicas[id]->outstanding();
        best = id;
      }
    }
    start = (start + 1) % count;
    return best;
  }

  SiteRouterConfigValues c_;
  const PowerBudgetView* power_ = nullptr;
  std::vector<std::vector<std::uint32_t>> members_;
  std::vector<std::uint32_t> starts_;
  std::vector<std::pair<double, std::uint32_t>> order_;
  std::uint32_t global_start_ = 0;
};

class SiteRouterConfig final : public RouterConfig {
 public:
  explicit SiteRouterConfig(const SiteRouterConfigValues& c) : c_(c) {}
  std::unique_ptr<Router> make_router(RandomStream) const override { return std::make_unique<SiteAwareRouter>(c_); }

 private:
  SiteRouterConfigValues c_;
};

}  // namespace

void register_site_routers(Registry<RouterConfig>& registry) {
  registry.add("site_aware",
               "cheapest (or cleanest) site first, price or carbon x PUE now; spills over when its replicas are busy",
               [](const ConfigNode& node) -> std::unique_ptr<RouterConfig> {
                 SiteRouterConfigValues c;
                 c.cleanest = node.get_choice("prefer", {"cheapest", "cleanest"}, "cheapest") == "cleanest";
                 c.spill_at_outstanding =
                     static_cast<std::uint32_t>(node.get_int("spill_at_outstanding", 1, 1, 1'000'000));
                 return std::make_unique<SiteRouterConfig>(c);
               });
}

}  // namespace infercost
