// Federated runs (federation.hpp, docs/models-federation.md). Each site is a Simulation of its own replicas and
// home users; the windows loop below is the whole synchronization protocol, the same in one process and on MPI
// ranks, so that the per-site event sequences, and therefore the merged results, do not depend on the ranks.
#include "infercost/core/federation.hpp"

#include <algorithm>
#include <chrono>
#include <limits>
#include <stdexcept>

#include <time.h>

#include <fmt/format.h>

#include "infercost/io/bytes.hpp"
#include "infercost/io/resources.hpp"

namespace infercost {

void read_network_section(const ConfigNode& root, Scenario& scenario) {
  const std::optional<ConfigNode> net = root.optional_child("network");
  std::vector<std::uint32_t> class_site(scenario.classes.size(), NetworkConfig::kSpread);
  const auto classes = root.child("workload").child("classes").elements();
  for (std::size_t i = 0; i < classes.size() && i < class_site.size(); ++i) {
    if (!classes[i].has("site")) continue;
    const ConfigNode node = classes[i].child("site");
    const std::string name = classes[i].get_string("site");
    if (!net) node.fail("a home site needs a `network:` section (a federated run across sites)");
    std::string known;
    if (scenario.power) {
      for (std::uint32_t s = 0; s < scenario.power->sites.size(); ++s) {
        if (scenario.power->sites[s].name == name) class_site[i] = s;
        known += (s ? ", " : "") + scenario.power->sites[s].name;
      }
    }
    if (class_site[i] == NetworkConfig::kSpread) node.fail(fmt::format("unknown site '{}' (sites: {})", name, known));
  }
  if (!net) return;
  if (!scenario.power || scenario.power->sites.size() < 2) {
    net->fail("a federated run needs at least two sites (`sites:`), each simulated on its own");
  }
  auto c = std::make_shared<NetworkConfig>();
  c->inter_site_latency = net->get_duration("inter_site_latency", std::nullopt, 1);
  c->spill_at_outstanding = static_cast<std::uint32_t>(net->get_int("spill_at_outstanding", 1, 1, 1'000'000));
  const std::string prefer = net->get_choice("prefer", {"least_loaded", "cheapest", "cleanest"}, "least_loaded");
  c->prefer = prefer == "cheapest"   ? NetworkConfig::Prefer::kCheapest
              : prefer == "cleanest" ? NetworkConfig::Prefer::kCleanest
                                     : NetworkConfig::Prefer::kLeastLoaded;
  // The site-aware router compares every site's price at the same instant: across sites, `prefer` decides, on
  // published snapshots.
  if (auto cluster = root.optional_child("cluster")) {
    if (auto router = cluster->optional_child("router"); router && router->has("type") &&
                                                           router->get_string("type") == "site_aware") {
      router->child("type").fail(
          "site_aware reads every site's state at the same instant, which a federated run (network:) cannot; "
          "route within a site with another router and choose sites with network.prefer");
    }
  }
  for (std::size_t i = 0; i < class_site.size(); ++i) {
    if (class_site[i] == NetworkConfig::kSpread && scenario.classes[i].arrival->provides_lengths()) {
      classes[i].child("arrival").fail("a trace replay cannot be split over sites: give the class a home `site:`");
    }
  }
  c->class_site = std::move(class_site);
  scenario.network = std::move(c);
}

std::vector<std::vector<UserRange>> home_users(const Scenario& scenario) {
  const auto sites = static_cast<std::uint32_t>(scenario.power->sites.size());
  std::vector<std::vector<UserRange>> out(sites, std::vector<UserRange>(scenario.classes.size()));
  for (std::size_t c = 0; c < scenario.classes.size(); ++c) {
    const std::uint64_t n = scenario.classes[c].users;
    const std::uint32_t home = scenario.network->class_site[c];
    for (std::uint32_t s = 0; s < sites; ++s) {
      if (home != NetworkConfig::kSpread) {
        out[s][c] = s == home ? UserRange{0, static_cast<std::uint32_t>(n)} : UserRange{};
        continue;
      }
      const auto first = static_cast<std::uint32_t>(n * s / sites);
      const auto last = static_cast<std::uint32_t>(n * (s + 1) / sites);
      out[s][c] = UserRange{first, last - first};
    }
  }
  return out;
}

std::vector<std::uint32_t> sites_of_rank(std::uint32_t sites, std::uint32_t rank, std::uint32_t ranks) {
  std::vector<std::uint32_t> out;
  for (std::uint32_t s = rank; s < sites; s += ranks) out.push_back(s);
  return out;
}

FederatedResult::FederatedResult(const Scenario& scenario)
    : metrics(scenario.total_users(), scenario.replicas, scenario.warmup) {}

namespace {

/// One site: its scenario (its replicas, its one-site power section), its simulation and its mailboxes.
class FederatedSite final : public SiteLink, public EventHandler {
 public:
  FederatedSite(const Scenario& scenario, std::uint32_t site, std::vector<UserRange> users, std::uint64_t seed,
                const std::vector<SiteSnapshot>& snapshots)
      : site_(site),
        latency_(scenario.network->inter_site_latency),
        network_(*scenario.network),
        snapshots_(snapshots),
        scenario_(site_scenario(scenario, site)) {
    slice_.site = site;
    slice_.first_replica = scenario.power->sites[site].first_replica;
    slice_.users = std::move(users);
    slice_.link = this;
    sim_ = std::make_unique<Simulation>(scenario_, seed, &slice_);
  }

  Simulation& sim() { return *sim_; }
  std::uint32_t site() const { return site_; }
  std::uint64_t forwarded() const { return forwarded_; }
  std::uint64_t sent() const { return seq_; }
  /// Smallest (receive time - destination's clock) of the messages delivered here (> 0: never in the past).
  SimTime min_slack() const { return min_slack_; }

  // SiteLink
  bool forward(const Request& request, std::span<Replica* const> local, SimTime now) override {
    // The cheap test first (a few snapshots), then the local replicas until one has room: on every request.
    const SiteSnapshot* best = nullptr;
    for (const SiteSnapshot& s : snapshots_) {
      if (s.site == site_ || s.min_outstanding >= network_.spill_at_outstanding) continue;
      if (best == nullptr || better(s, *best)) best = &s;
    }
    if (best == nullptr) return false;
    for (const Replica* r : local) {
      if (r->outstanding() < network_.spill_at_outstanding) return false;
    }
    FederatedMessage m = message(FederatedMessage::kForward, best->site, now, request.pool_index);
    m.request = request;
    outbox_.push_back(m);
    ++forwarded_;
    return true;
  }
  void guest_first_token(std::uint64_t origin, const Request&, SimTime now) override {
    outbox_.push_back(message(FederatedMessage::kFirstToken, static_cast<std::uint32_t>(origin >> 32), now,
                              static_cast<std::uint32_t>(origin)));
  }
  void guest_completed(std::uint64_t origin, const Request& guest, SimTime now) override {
    FederatedMessage m = message(FederatedMessage::kCompleted, static_cast<std::uint32_t>(origin >> 32), now,
                                 static_cast<std::uint32_t>(origin));
    m.request.started_at = guest.started_at;
    m.request.preemptions = guest.preemptions;
    outbox_.push_back(m);
  }

  // EventHandler: a message takes effect.
  void on_event(Engine& engine, std::uint32_t kind, std::uint64_t slot) override {
    const FederatedMessage m = inbox_[slot];
    free_.push_back(static_cast<std::uint32_t>(slot));
    switch (kind) {
      case FederatedMessage::kForward:
        sim_->serve_guest(m.request, (std::uint64_t{m.origin_site} << 32) | m.home_pool_index);
        break;
      case FederatedMessage::kFirstToken: sim_->forwarded_first_token(m.home_pool_index, engine.now()); break;
      default:
        sim_->forwarded_completed(m.home_pool_index, m.request.started_at, m.request.preemptions, engine.now());
        break;
    }
  }

  /// Inserts a message; those due after the end are dropped (their requests stay in flight at home).
  void deliver(const FederatedMessage& m, SimTime end) {
    Engine& engine = sim_->engine();
    if (m.receive_at <= engine.now()) {
      throw std::logic_error(fmt::format("federation: a message for site {} at {} ns arrived at {} ns", site_,
                                         m.receive_at, engine.now()));
    }
    min_slack_ = std::min(min_slack_, m.receive_at - engine.now());
    if (m.receive_at > end) return;
    std::uint32_t slot;
    if (!free_.empty()) {
      slot = free_.back();
      free_.pop_back();
      inbox_[slot] = m;
    } else {
      slot = static_cast<std::uint32_t>(inbox_.size());
      inbox_.push_back(m);
    }
    engine.schedule_at(m.receive_at, *this, m.kind, slot);
  }

  void move_outbox(std::vector<FederatedMessage>& into) {
    into.insert(into.end(), outbox_.begin(), outbox_.end());
    outbox_.clear();
  }

  SiteSnapshot snapshot() const {
    SiteSnapshot s;
    s.site = site_;
    s.min_outstanding = UINT32_MAX - 1;
    for (const Replica* r : sim_->replicas()) s.min_outstanding = std::min(s.min_outstanding, r->outstanding());
    if (const FacilityMeter* power = sim_->power_meter()) {
      const SitePowerStatus st = power->site_status(0);
      s.price_x_pue = st.price_usd_per_kwh * st.pue();
      s.carbon_x_pue = st.carbon_g_per_kwh * st.pue();
    }
    return s;
  }

  /// The site's results as bytes (the same whether they stay in this process or go to rank 0).
  std::string result_bytes(const RunInfo& info) const {
    std::string out;
    ByteWriter w(out);
    const Metrics& m = sim_->metrics();
    w.put(site_);
    for (std::uint64_t v : {m.submitted, m.completed, m.rejected, m.abandoned, m.throttled, m.preemptions,
                            m.input_tokens_completed, m.output_tokens_completed, m.users_left, m.slo_ttft_met,
                            m.slo_tpot_met, m.slo_latency_met, m.slo_all_met}) {
      w.put(v);
    }
    for (const LatencyStats* s : {&m.latency_s, &m.ttft_s, &m.tpot_s}) {
      s->moments.save(w);
      s->sample.save(w);
    }
    m.queue_wait_s.save(w);
    w.put_vector(m.users);
    w.put_vector(m.replicas);
    w.put(info.events);
    w.put(info.fingerprint);
    w.put(info.in_flight);
    w.put(info.power);
    w.put_vector(info.attribution.users);
    w.put(info.attribution.bill_usd);
    w.put(info.attribution.marginal_unallocated_usd);
    w.put(info.attribution.fully_loaded_unallocated_usd);
    w.put_vector(sim_->attribution().usage());
    const FacilityMeter* power = sim_->power_meter();
    w.put_string(power ? power->sites_table().to_string() : std::string());
    w.put_string(power && scenario_.power->timeseries_interval > 0 ? power->timeseries_table().to_string()
                                                                   : std::string());
    w.put(forwarded_);
    w.put(seq_);
    w.put(min_slack_);
    return out;
  }

 private:
  static Scenario site_scenario(const Scenario& scenario, std::uint32_t site) {
    Scenario s = scenario;
    auto power = std::make_shared<PowerConfig>(*scenario.power);
    power->sites = {scenario.power->sites[site]};
    power->sites[0].first_replica = 0;
    s.replicas = power->sites[0].replicas;
    s.power = std::move(power);
    return s;
  }

  bool better(const SiteSnapshot& a, const SiteSnapshot& b) const {
    switch (network_.prefer) {
      case NetworkConfig::Prefer::kCheapest: return a.price_x_pue < b.price_x_pue;
      case NetworkConfig::Prefer::kCleanest: return a.carbon_x_pue < b.carbon_x_pue;
      default: return a.min_outstanding < b.min_outstanding;
    }
  }

  FederatedMessage message(FederatedMessage::Kind kind, std::uint32_t dest, SimTime now, std::uint32_t pool_index) {
    FederatedMessage m;
    m.receive_at = now + latency_;
    m.origin_site = site_;
    m.dest_site = dest;
    m.origin_seq = seq_++;
    m.kind = kind;
    m.home_pool_index = pool_index;
    return m;
  }

  std::uint32_t site_;
  SimTime latency_;
  const NetworkConfig& network_;
  const std::vector<SiteSnapshot>& snapshots_;  ///< published one window before the current one
  Scenario scenario_;
  SiteSlice slice_;
  std::unique_ptr<Simulation> sim_;
  std::vector<FederatedMessage> outbox_;
  std::vector<FederatedMessage> inbox_;
  std::vector<std::uint32_t> free_;
  std::uint64_t seq_ = 0;
  std::uint64_t forwarded_ = 0;
  SimTime min_slack_ = std::numeric_limits<SimTime>::max();
};

/// CPU seconds this process has used (the rank's own work, whatever else shares the cores).
double process_cpu_s() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/// Appends a one-site CSV table, keeping the header only once.
void append_table(std::string& into, const std::string& table) {
  if (table.empty()) return;
  if (into.empty()) {
    into = table;
    return;
  }
  const auto eol = table.find('\n');
  if (eol != std::string::npos) into += table.substr(eol + 1);
}

/// Merges the sites' results in site order (fixed-order sums: the same bits for any partition).
void merge_site(const Scenario& scenario, ByteReader& r, FederatedResult& out, double& capped_gpus,
                std::uint64_t& gpus) {
  const auto site = r.get<std::uint32_t>();
  Metrics& m = out.metrics;
  for (std::uint64_t* v : {&m.submitted, &m.completed, &m.rejected, &m.abandoned, &m.throttled, &m.preemptions,
                           &m.input_tokens_completed, &m.output_tokens_completed, &m.users_left, &m.slo_ttft_met,
                           &m.slo_tpot_met, &m.slo_latency_met, &m.slo_all_met}) {
    *v += r.get<std::uint64_t>();
  }
  for (LatencyStats* s : {&m.latency_s, &m.ttft_s, &m.tpot_s}) {
    RunningStats moments;
    moments.load(r);
    s->moments.merge(moments);
    QuantileSketch sample;
    sample.load(r);
    s->sample.merge(sample);
  }
  {
    RunningStats queue_wait;
    queue_wait.load(r);
    m.queue_wait_s.merge(queue_wait);
  }
  const auto users = r.get_vector<UserCounters>();
  for (std::size_t u = 0; u < users.size(); ++u) {
    UserCounters& c = m.users[u];
    c.submitted += users[u].submitted;
    c.completed += users[u].completed;
    c.rejected += users[u].rejected;
    c.abandoned += users[u].abandoned;
    c.throttled += users[u].throttled;
    c.input_tokens += users[u].input_tokens;
    c.output_tokens += users[u].output_tokens;
  }
  const auto replicas = r.get_vector<ReplicaUsage>();
  const std::uint32_t first = scenario.power->sites[site].first_replica;
  std::copy(replicas.begin(), replicas.end(), m.replicas.begin() + first);

  RunInfo& info = out.info;
  info.events += r.get<std::uint64_t>();
  info.fingerprint = mix64(info.fingerprint ^ r.get<std::uint64_t>());
  info.in_flight += r.get<std::uint64_t>();
  const auto p = r.get<PowerSummary>();
  PowerSummary& t = info.power;
  t.energy_gpu_kwh += p.energy_gpu_kwh;
  t.energy_it_kwh += p.energy_it_kwh;
  t.energy_cooling_kwh += p.energy_cooling_kwh;
  t.energy_facility_kwh += p.energy_facility_kwh;
  t.peak_it_power_kw += p.peak_it_power_kw;  // sum of the sites' peaks: an upper bound on the coincident peak
  t.peak_facility_power_kw += p.peak_facility_power_kw;
  t.mean_facility_power_kw += p.mean_facility_power_kw;
  t.peak_demand_kw = std::max(t.peak_demand_kw, p.peak_demand_kw);
  t.budget_exceeded_s += p.budget_exceeded_s;  // site-seconds over budget
  t.gpu_wakes += p.gpu_wakes;
  t.bill += p.bill;
  t.emissions_kg_co2e += p.emissions_kg_co2e;
  const std::uint32_t site_gpus = scenario.power->gpus_at(site);
  capped_gpus += p.gpu_capped_share * site_gpus;
  gpus += site_gpus;

  const auto costs = r.get_vector<UserCost>();
  for (std::size_t u = 0; u < costs.size(); ++u) {
    info.attribution.users[u].marginal_usd += costs[u].marginal_usd;
    info.attribution.users[u].fully_loaded_usd += costs[u].fully_loaded_usd;
  }
  info.attribution.bill_usd += r.get<double>();
  info.attribution.marginal_unallocated_usd += r.get<double>();
  info.attribution.fully_loaded_unallocated_usd += r.get<double>();
  const auto usage = r.get_vector<UserUsage>();
  for (std::size_t u = 0; u < usage.size(); ++u) {
    out.usage[u].gpu_s += usage[u].gpu_s;
    out.usage[u].energy_j += usage[u].energy_j;
  }
  append_table(out.sites_csv, r.get_string());
  append_table(out.timeseries_csv, r.get_string());
  out.stats.forwarded += r.get<std::uint64_t>();
  out.stats.messages += r.get<std::uint64_t>();
  out.stats.min_slack_ns = std::min(out.stats.min_slack_ns, r.get<SimTime>());
}

}  // namespace

std::optional<FederatedResult> run_federated(const Scenario& scenario, std::uint64_t seed, SiteExchange& exchange) {
  if (!is_federated(scenario)) throw std::logic_error("run_federated: the scenario has no network section");
  const auto wall_start = std::chrono::steady_clock::now();
  const auto site_count = static_cast<std::uint32_t>(scenario.power->sites.size());
  const SimTime latency = scenario.network->inter_site_latency;
  const SimTime end = scenario.duration;
  const auto homes = home_users(scenario);

  // The snapshots the sites route on during a window are those published at the boundary before the previous
  // one: at least one latency old, as information that crossed the network would be.
  std::vector<SiteSnapshot> routed_on(site_count), latest(site_count);
  for (std::uint32_t s = 0; s < site_count; ++s) routed_on[s].site = latest[s].site = s;
  std::vector<std::unique_ptr<FederatedSite>> sites;
  std::vector<FederatedSite*> by_site(site_count, nullptr);
  for (std::uint32_t s : sites_of_rank(site_count, exchange.rank(), exchange.ranks())) {
    sites.push_back(std::make_unique<FederatedSite>(scenario, s, homes[s], seed, routed_on));
    by_site[s] = sites.back().get();
  }
  for (auto& site : sites) site->sim().begin();

  FederationStats stats;
  std::vector<FederatedMessage> outgoing, incoming;
  std::vector<SiteSnapshot> mine, all;
  const auto by_canonical_order = [](const FederatedMessage& a, const FederatedMessage& b) {
    if (a.receive_at != b.receive_at) return a.receive_at < b.receive_at;
    if (a.origin_site != b.origin_site) return a.origin_site < b.origin_site;
    return a.origin_seq < b.origin_seq;
  };
  using Clock = std::chrono::steady_clock;
  for (SimTime window = 0; window <= end; window += latency) {
    // Every event before window + L, and none after: no message sent in this window arrives before its end.
    const SimTime last = std::min(window + latency - 1, end);
    const auto t0 = Clock::now();
    outgoing.clear();
    mine.clear();
    double slowest_cpu_s = 0.0;
    for (auto& site : sites) {
      const double cpu0 = process_cpu_s();
      site->sim().advance_to(last);
      site->move_outbox(outgoing);
      mine.push_back(site->snapshot());
      const double cpu_s = process_cpu_s() - cpu0;
      stats.compute_cpu_s += cpu_s;
      slowest_cpu_s = std::max(slowest_cpu_s, cpu_s);
    }
    stats.critical_path_cpu_s += slowest_cpu_s;
    const auto t1 = Clock::now();
    exchange.exchange(outgoing, mine, incoming, all);
    const auto t2 = Clock::now();
    std::sort(incoming.begin(), incoming.end(), by_canonical_order);
    for (const FederatedMessage& m : incoming) by_site[m.dest_site]->deliver(m, end);
    routed_on = latest;
    latest = all;
    stats.compute_wall_s += std::chrono::duration<double>(t1 - t0).count();
    stats.exchange_wall_s += std::chrono::duration<double>(t2 - t1).count();
    ++stats.windows;
  }

  std::string bytes;
  {
    ByteWriter w(bytes);
    w.put(stats.compute_wall_s);
    w.put(stats.compute_cpu_s);
    w.put<std::uint64_t>(sites.size());
    for (auto& site : sites) w.put_string(site->result_bytes(site->sim().end_run()));
  }
  const std::vector<std::string> gathered = exchange.gather(bytes);
  if (exchange.rank() != 0) return std::nullopt;

  std::vector<std::string> per_site(site_count);
  for (const std::string& rank_bytes : gathered) {
    ByteReader r(rank_bytes);
    stats.max_rank_compute_wall_s = std::max(stats.max_rank_compute_wall_s, r.get<double>());
    stats.max_rank_compute_cpu_s = std::max(stats.max_rank_compute_cpu_s, r.get<double>());
    const auto n = r.get<std::uint64_t>();
    for (std::uint64_t i = 0; i < n; ++i) {
      std::string site_bytes = r.get_string();
      ByteReader peek(site_bytes);
      per_site.at(peek.get<std::uint32_t>()) = std::move(site_bytes);
    }
  }
  std::optional<FederatedResult> out(std::in_place, scenario);
  out->info.attribution.users.resize(scenario.total_users());
  out->usage.resize(scenario.total_users());
  out->stats = stats;
  out->stats.sites = site_count;
  out->stats.ranks = exchange.ranks();
  double capped_gpus = 0.0;
  std::uint64_t gpus = 0;
  for (const std::string& site_bytes : per_site) {
    if (site_bytes.empty()) throw std::logic_error("federation: a site's results are missing");
    ByteReader r(site_bytes);
    merge_site(scenario, r, *out, capped_gpus, gpus);
  }
  RunInfo& info = out->info;
  PowerSummary& p = info.power;
  p.pue_mean = p.energy_it_kwh > 0 ? p.energy_facility_kwh / p.energy_it_kwh : 1.0;
  p.gpu_capped_share = gpus > 0 ? capped_gpus / static_cast<double>(gpus) : 0.0;
  info.seed = seed;
  info.end_time = end;
  info.requests_submitted = out->metrics.submitted;
  info.peak_rss_bytes = peak_rss_bytes();
  info.huge_page_bytes = huge_page_bytes();
  info.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  return out;
}

}  // namespace infercost
