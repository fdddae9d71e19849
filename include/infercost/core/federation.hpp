#pragma once
// Federated runs (docs/models-federation.md): a multi-site scenario with a `network:` section runs as one
// simulation per site, each with its own engine, advanced in synchronous windows of the inter-site latency L
// (conservative synchronization, YAWNS): every site processes its events before T + L, then the messages that
// cross sites are exchanged and inserted in a canonical order, T += L. Sites may live in one process or on
// MPI ranks (sim/mpi/mpi_federation.cpp); the results are the same bytes either way.
#include <cstdint>
#include <climits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "infercost/analysis/attribution.hpp"
#include "infercost/analysis/metrics.hpp"
#include "infercost/core/scenario.hpp"
#include "infercost/core/simulation.hpp"
#include "infercost/power/facility.hpp"

namespace infercost {

/// The validated `network:` section and the home site of every user class.
struct NetworkConfig {
  static constexpr std::uint32_t kSpread = UINT32_MAX;
  enum class Prefer : std::uint8_t { kLeastLoaded, kCheapest, kCleanest };
  SimTime inter_site_latency = 0;        ///< one-way delay between any two sites (the lookahead), ns
  std::uint32_t spill_at_outstanding = 1;  ///< forward when every local replica has at least this many requests
  Prefer prefer = Prefer::kLeastLoaded;  ///< which remote site with room gets a forwarded request
  std::vector<std::uint32_t> class_site;  ///< per user class: home site of all its users, or kSpread
};

/// Whether the scenario runs federated (a `network:` section; loading ensures two sites or more).
inline bool is_federated(const Scenario& scenario) { return scenario.network != nullptr; }

/// Per site, per user class: the class's users homed there (a class with `site:` lives at that site; the others
/// are split into contiguous, balanced blocks in site order).
std::vector<std::vector<UserRange>> home_users(const Scenario& scenario);

/// A message between sites: a forwarded request, or the first-token or completion notice of one.
struct FederatedMessage {
  enum Kind : std::uint32_t { kForward = 0, kFirstToken = 1, kCompleted = 2 };
  SimTime receive_at = 0;        ///< when it takes effect at the destination (send time + L)
  std::uint32_t origin_site = 0;
  std::uint32_t dest_site = 0;
  std::uint64_t origin_seq = 0;  ///< the origin site's own message counter (canonical order of ties)
  std::uint32_t kind = kForward;
  std::uint32_t home_pool_index = 0;  ///< the request's slot at its home site
  Request request;               ///< kForward: the request; notices: started_at and preemptions
};

/// What a site publishes at each window boundary for the others' forwarding decisions.
struct SiteSnapshot {
  std::uint32_t site = 0;
  std::uint32_t min_outstanding = UINT32_MAX;  ///< least loaded replica (UINT32_MAX: not published yet)
  double price_x_pue = 0.0;   ///< energy price (USD/kWh) x PUE now
  double carbon_x_pue = 0.0;  ///< carbon intensity (g/kWh) x PUE now
};

/// Moves what crosses sites between the processes that own them (one process, or MPI ranks).
class SiteExchange {
 public:
  virtual ~SiteExchange() = default;
  virtual std::uint32_t rank() const = 0;
  virtual std::uint32_t ranks() const = 0;
  /// Called by every rank once per window: `outgoing` holds what this rank's sites sent, `mine` their snapshots.
  /// Fills `incoming` with the messages addressed to this rank's sites (any order) and `all` with every site's
  /// snapshot, in site order.
  virtual void exchange(const std::vector<FederatedMessage>& outgoing, const std::vector<SiteSnapshot>& mine,
                        std::vector<FederatedMessage>& incoming, std::vector<SiteSnapshot>& all) = 0;
  /// Rank 0 gets every rank's bytes in rank order; the others get nothing.
  virtual std::vector<std::string> gather(const std::string& mine) = 0;
};

/// Every site in this process.
class LocalExchange final : public SiteExchange {
 public:
  std::uint32_t rank() const override { return 0; }
  std::uint32_t ranks() const override { return 1; }
  void exchange(const std::vector<FederatedMessage>& outgoing, const std::vector<SiteSnapshot>& mine,
                std::vector<FederatedMessage>& incoming, std::vector<SiteSnapshot>& all) override {
    incoming = outgoing;
    all = mine;
  }
  std::vector<std::string> gather(const std::string& mine) override { return {mine}; }
};

/// How the synchronization went (run.json and docs/performance.md).
struct FederationStats {
  std::uint32_t sites = 0, ranks = 1;
  std::uint64_t windows = 0;
  std::uint64_t forwarded = 0;     ///< requests sent to another site
  std::uint64_t messages = 0;      ///< every message, notices included
  double exchange_wall_s = 0.0;    ///< rank 0's time inside SiteExchange::exchange (waiting included)
  double compute_wall_s = 0.0;     ///< rank 0's time processing its sites' events
  double compute_cpu_s = 0.0;      ///< the same in CPU seconds of rank 0 (unaffected by other work on the cores)
  double max_rank_compute_wall_s = 0.0;  ///< the largest compute_wall_s of any rank
  double max_rank_compute_cpu_s = 0.0;   ///< the largest compute_cpu_s of any rank
  /// Sum over windows of the CPU time of rank 0's slowest site in that window: the compute part of the wall
  /// time if each of its sites had a core of its own (in a single-process run, all sites).
  double critical_path_cpu_s = 0.0;
  SimTime min_slack_ns = INT64_MAX;  ///< least (receive time - receiver's clock) of any message: > 0 always
};

/// A federated run's results, merged over sites in site order, for the normal writers.
struct FederatedResult {
  FederatedResult(const Scenario& scenario);
  Metrics metrics;
  RunInfo info;
  std::vector<UserUsage> usage;  ///< per user, summed over sites
  std::string sites_csv;         ///< one row per site
  std::string timeseries_csv;    ///< rows grouped by site (empty without a time series)
  FederationStats stats;
};

/// The sites rank `rank` of `ranks` runs: s with s mod ranks == rank.
std::vector<std::uint32_t> sites_of_rank(std::uint32_t sites, std::uint32_t rank, std::uint32_t ranks);

/// Runs this rank's sites of a federated scenario in lock step with the other ranks; rank 0 returns the merged
/// result. Same seed, same bytes, for any number of ranks (idle ranks when there are more ranks than sites).
std::optional<FederatedResult> run_federated(const Scenario& scenario, std::uint64_t seed, SiteExchange& exchange);

}  // namespace infercost
