// Federated runs (include/infercost/core/federation.hpp): configuration, home sites, the window protocol's
// guarantees (no message in a receiver's past, request conservation, a closed form for a forwarded request) and
// determinism over any split of the sites into ranks (threads standing in for MPI ranks).
#include <catch2/catch.hpp>

#include <barrier>
#include <filesystem>
#include <fstream>
#include <thread>

#include "infercost/analysis/report.hpp"
#include "infercost/analysis/users.hpp"
#include "infercost/core/federation.hpp"
#include "infercost/io/errors.hpp"

using namespace infercost;

namespace {

const char* kFourSites = R"(
name: fed
seed: 5
duration: 20m
cluster:
  replicas: 8
  serving: {type: fixed, service_time: 2s, distribution: exponential, concurrency: 2}
  router: {type: least_outstanding}
network: {inter_site_latency: 30ms, spill_at_outstanding: 2, prefer: cheapest}
workload:
  classes:
    - name: chat
      users: 90
      arrival: {type: poisson, rate: 0.02/s}
      input_tokens: {type: constant, value: 100}
      output_tokens: {type: constant, value: 50}
      client: {max_attempts: 2, backoff_base: 1s}
    - name: hot
      site: a
      users: 30
      arrival: {type: poisson, rate: 0.06/s}
      input_tokens: {type: constant, value: 100}
      output_tokens: {type: constant, value: 50}
      client: {max_attempts: 2, backoff_base: 1s}
policy: one-at-a-time
policies:
  one-at-a-time: {global: [{type: concurrency, limit: 1}]}
power: {timeseries_interval: 5m}
sites:
  - {name: a, replicas: 2, electricity: {type: flat, price_usd_per_kwh: 0.2}}
  - {name: b, replicas: 2, electricity: {type: flat, price_usd_per_kwh: 0.05}}
  - {name: c, replicas: 2, electricity: {type: flat, price_usd_per_kwh: 0.1}}
  - {name: d, replicas: 2, electricity: {type: flat, price_usd_per_kwh: 0.07}}
)";

Scenario load(const std::string& text, const std::vector<std::string>& sets = {}) {
  return load_scenario_text(text, "fed.yaml", sets, builtin_registries());
}

/// Ranks as threads: each exchange is a barrier-separated write-all / read-all of per-rank slots.
class ThreadExchange final : public SiteExchange {
 public:
  struct Shared {
    explicit Shared(std::uint32_t ranks) : barrier(ranks), messages(ranks), snapshots(ranks), bytes(ranks) {}
    std::barrier<> barrier;
    std::vector<std::vector<FederatedMessage>> messages;
    std::vector<std::vector<SiteSnapshot>> snapshots;
    std::vector<std::string> bytes;
  };
  ThreadExchange(Shared& shared, std::uint32_t rank, std::uint32_t ranks, std::uint32_t sites)
      : shared_(shared), rank_(rank), ranks_(ranks), sites_(sites) {}
  std::uint32_t rank() const override { return rank_; }
  std::uint32_t ranks() const override { return ranks_; }
  void exchange(const std::vector<FederatedMessage>& outgoing, const std::vector<SiteSnapshot>& mine,
                std::vector<FederatedMessage>& incoming, std::vector<SiteSnapshot>& all) override {
    shared_.messages[rank_] = outgoing;
    shared_.snapshots[rank_] = mine;
    shared_.barrier.arrive_and_wait();
    incoming.clear();
    all.assign(sites_, SiteSnapshot{});
    for (std::uint32_t r = 0; r < ranks_; ++r) {
      for (const auto& s : shared_.snapshots[r]) all[s.site] = s;
      for (const auto& m : shared_.messages[r]) {
        if (m.dest_site % ranks_ == rank_) incoming.push_back(m);
      }
    }
    shared_.barrier.arrive_and_wait();
  }
  std::vector<std::string> gather(const std::string& mine) override {
    shared_.bytes[rank_] = mine;
    shared_.barrier.arrive_and_wait();
    std::vector<std::string> out;
    if (rank_ == 0) out = shared_.bytes;
    shared_.barrier.arrive_and_wait();
    return out;
  }

 private:
  Shared& shared_;
  std::uint32_t rank_, ranks_, sites_;
};

FederatedResult run_on_ranks(const Scenario& s, std::uint32_t ranks) {
  ThreadExchange::Shared shared(ranks);
  std::optional<FederatedResult> result;
  std::vector<std::thread> threads;
  const auto sites = static_cast<std::uint32_t>(s.power->sites.size());
  for (std::uint32_t r = 0; r < ranks; ++r) {
    threads.emplace_back([&, r] {
      ThreadExchange exchange(shared, r, ranks, sites);
      auto out = run_federated(s, s.seed, exchange);
      if (r == 0) result = std::move(out);
    });
  }
  for (auto& t : threads) t.join();
  return std::move(*result);
}

FederatedResult run_local(const Scenario& s) {
  LocalExchange local;
  return std::move(*run_federated(s, s.seed, local));
}

std::string summary_bytes(const Scenario& s, const FederatedResult& r) {
  return summary_table(s, r.metrics, r.info).to_string();
}

}  // namespace

TEST_CASE("network section: validation and refusals", "[federation]") {
  const Scenario s = load(kFourSites);
  REQUIRE(is_federated(s));
  CHECK(s.network->inter_site_latency == 30 * kMillisecond);
  CHECK(s.network->spill_at_outstanding == 2);
  CHECK(s.network->prefer == NetworkConfig::Prefer::kCheapest);
  CHECK(s.network->class_site == std::vector<std::uint32_t>{NetworkConfig::kSpread, 0});

  // Without `network:` nothing is federated, and a home site is an error.
  std::string plain = kFourSites;
  const auto at = plain.find("network:");
  plain.erase(at, plain.find('\n', at) - at + 1);
  CHECK_THROWS_WITH(load(plain), Catch::Contains("site") && Catch::Contains("needs a `network:` section"));
  std::string unsited = plain;
  unsited.erase(unsited.find("      site: a\n"), 14);
  CHECK_FALSE(is_federated(load(unsited)));
  CHECK_THROWS_WITH(load(kFourSites, {"workload.classes.1.site=nowhere"}), Catch::Contains("unknown site 'nowhere'"));
  CHECK_THROWS_WITH(load(kFourSites, {"network.inter_site_latency=0s"}), Catch::Contains("inter_site_latency"));
  CHECK_THROWS_WITH(load(kFourSites, {"cluster.router.type=site_aware"}),
                    Catch::Contains("cluster.router.type") && Catch::Contains("network.prefer"));
}

TEST_CASE("home sites: classes with a site live there, the others split in balanced contiguous blocks",
          "[federation]") {
  const Scenario s = load(kFourSites);
  const auto homes = home_users(s);
  REQUIRE(homes.size() == 4);
  std::uint32_t next = 0;
  for (std::uint32_t site = 0; site < 4; ++site) {
    CHECK(homes[site][0].first == next);
    CHECK((homes[site][0].count == 22 || homes[site][0].count == 23));
    next += homes[site][0].count;
    CHECK(homes[site][1].count == (site == 0 ? 30u : 0u));
  }
  CHECK(next == 90);
  CHECK(sites_of_rank(4, 1, 3) == std::vector<std::uint32_t>{1});
  CHECK(sites_of_rank(4, 0, 3) == std::vector<std::uint32_t>{0, 3});
  CHECK(sites_of_rank(2, 2, 3).empty());
}

TEST_CASE("federated run: messages never arrive in a site's past, and requests are conserved", "[federation]") {
  const Scenario s = load(kFourSites);
  const FederatedResult r = run_local(s);
  const Metrics& m = r.metrics;
  // The hot class overloads site a: it forwards, and every forwarded request is counted once, at home.
  CHECK(r.stats.forwarded > 100);
  CHECK(r.stats.messages >= r.stats.forwarded);
  CHECK(r.stats.min_slack_ns >= 1);  // strictly after the receiver's clock
  CHECK(r.stats.windows == static_cast<std::uint64_t>(s.duration / (30 * kMillisecond)) + 1);
  // A per-user concurrency limit (released by completions, which for forwarded requests arrive as notices)
  // refuses some submissions; clients retry once, then give up.
  CHECK(m.throttled > 0);
  CHECK(m.rejected + m.abandoned > 0);
  CHECK(m.submitted == m.completed + m.rejected + m.abandoned + r.info.in_flight);
  std::uint64_t user_submitted = 0, user_completed = 0, user_throttled = 0;
  for (const auto& u : m.users) {
    user_submitted += u.submitted;
    user_completed += u.completed;
    user_throttled += u.throttled;
  }
  CHECK(user_submitted == m.submitted);
  CHECK(user_completed == m.completed);
  CHECK(user_throttled == m.throttled);
  CHECK(m.replicas.size() == 8);
  // Every site billed, and the users' costs plus the unallocated remainder are the bill.
  double users_usd = 0;
  for (const auto& u : r.info.attribution.users) users_usd += u.fully_loaded_usd;
  CHECK(users_usd + r.info.attribution.fully_loaded_unallocated_usd ==
        Approx(r.info.power.bill.total_usd()).epsilon(1e-9));
  CHECK(std::count(r.sites_csv.begin(), r.sites_csv.end(), '\n') == 5);
}

TEST_CASE("federated run: a request forwarded to an idle site takes its service time plus twice the latency",
          "[federation]") {
  const auto dir = std::filesystem::temp_directory_path() / "infercost-federation-test";
  std::filesystem::create_directories(dir);
  {
    std::ofstream trace(dir / "two.csv");
    trace << "time_s,user,input_tokens,output_tokens\n1.0,0,100,10\n1.1,0,100,10\n";
  }
  const std::string text = R"(
name: closed
duration: 20s
cluster:
  replicas: 2
  serving: {type: fixed, service_time: 1s, distribution: deterministic, concurrency: 1}
  router: {type: least_outstanding}
network: {inter_site_latency: 30ms, spill_at_outstanding: 1}
workload:
  classes:
    - name: t
      users: 1
      site: a
      arrival: {type: trace, file: )" + (dir / "two.csv").string() + R"(}
sites:
  - {name: a, replicas: 1}
  - {name: b, replicas: 1}
)";
  // A trace replays one file: it cannot be split over sites.
  std::string spread = text;
  spread.erase(spread.find("      site: a\n"), 14);
  CHECK_THROWS_WITH(load(spread), Catch::Contains("arrival") && Catch::Contains("cannot be split over sites"));

  const Scenario s = load(text);
  const FederatedResult r = run_local(s);
  const Metrics& m = r.metrics;
  REQUIRE(m.completed == 2);
  CHECK(r.stats.forwarded == 1);
  // The first is served at home in 1 s; the second finds home busy and b idle: 1 s + 2 x 30 ms, and its first
  // token (at the start of service, fixed model) reaches home 2 x 30 ms after it was sent.
  CHECK(m.latency_s.sample.quantile(0.0) == Approx(1.0).margin(1e-12));
  CHECK(m.latency_s.sample.quantile(1.0) == Approx(1.06).margin(1e-12));
  CHECK(m.ttft_s.sample.quantile(1.0) == Approx(0.06).margin(1e-12));
  CHECK(m.latency_s.moments.mean() == Approx(1.03).margin(1e-12));
  std::filesystem::remove_all(dir);
}

TEST_CASE("federated run: same seed, same bytes, for any number of ranks", "[federation]") {
  const Scenario s = load(kFourSites, {"duration=5m"});
  const FederatedResult one = run_local(s);
  const std::string reference = summary_bytes(s, one);
  CHECK(summary_bytes(s, run_local(s)) == reference);
  for (std::uint32_t ranks : {2u, 3u, 5u}) {  // 5: an idle rank
    INFO(ranks << " ranks");
    const FederatedResult r = run_on_ranks(s, ranks);
    CHECK(summary_bytes(s, r) == reference);
    CHECK(r.info.fingerprint == one.info.fingerprint);
    CHECK(r.sites_csv == one.sites_csv);
    CHECK(users_table(s, r.metrics, r.info, r.usage).to_string() ==
          users_table(s, one.metrics, one.info, one.usage).to_string());
  }
  // A different seed moves the results (the bytes above are not trivially equal).
  const Scenario other = load(kFourSites, {"duration=5m", "seed=6"});
  CHECK(summary_bytes(other, run_local(other)) != reference);
}
