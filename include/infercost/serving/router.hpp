#pragma once
// Routers choose the replica for an admitted request.
#include <memory>
#include <span>
#include <string>

#include "infercost/core/request.hpp"
#include "infercost/serving/replica.hpp"

namespace infercost {

/// Chooses a replica among the pool.
class Router {
 public:
  virtual ~Router() = default;
  virtual std::uint32_t route(const Request& request, std::span<Replica* const> replicas) = 0;
  /// A request routed to `replica` left it (completed); routers that keep their own counts update them.
  virtual void on_done(std::uint32_t /*replica*/) {}
};

/// A validated `router:` configuration.
class RouterConfig {
 public:
  virtual ~RouterConfig() = default;
  virtual std::unique_ptr<Router> make_router(RandomStream rng) const = 0;
};

}  // namespace infercost
