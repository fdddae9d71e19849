#pragma once
// Drives one serving replica directly (no Simulation): requests are created by the test, milestones and work
// spans are recorded, so tests can compare a replica's behaviour with hand-computed values.
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "infercost/core/registries.hpp"
#include "infercost/core/scenario.hpp"
#include "infercost/engine/engine.hpp"
#include "infercost/engine/random.hpp"
#include "infercost/serving/replica.hpp"

namespace infercost::testing {

/// One reported work span.
struct Span {
  SimTime start = 0, end = 0;
  std::vector<std::pair<const Request*, double>> shares;
  /// The share of `r`, normalized by the span's total (0 if absent).
  double share_of(const Request& r) const {
    double total = 0.0, mine = 0.0;
    for (const auto& [q, s] : shares) {
      total += s;
      if (q == &r) mine += s;
    }
    return total > 0 ? mine / total : 0.0;
  }
};

/// Records milestones, activity and work spans of one replica.
class ReplicaHarness final : public RequestListener, public ActivityObserver, public WorkObserver {
 public:
  /// Builds replica 0 of `scenario_text`'s serving model; `power` and `queue` are optional context additions.
  explicit ReplicaHarness(const std::string& scenario_text, const std::vector<std::string>& sets = {})
      : registries_(builtin_registries()),
        scenario_(load_scenario_text(scenario_text, "harness.yaml", sets, registries_)),
        streams_(scenario_.seed) {}

  /// Creates the replica with `power` (may be null) and `queue` (may be null: the serving queue order).
  void build(const PowerGovernor* power = nullptr, const WaitQueueConfig* queue = nullptr) {
    ReplicaContext ctx{engine, *this, *this, streams_.stream("replica", 0), 0, this};
    ctx.power = power;
    ctx.queue_order = queue;
    replica = scenario_.serving->make_replica(ctx);
  }

  Request& make(std::uint32_t user, std::uint32_t plan, std::uint32_t input, std::uint32_t output) {
    Request& r = requests.emplace_back();
    r.id = requests.size() - 1;
    r.user = user;
    r.plan = plan;
    r.input_tokens = input;
    r.output_tokens = output;
    return r;
  }
  /// Submits `r` at time `at` (via an engine event, so several can arrive while a step runs).
  void submit_at(Request& r, SimTime at) {
    pending_.push_back(&r);
    engine.schedule_at(at, submitter_, 0, reinterpret_cast<std::uint64_t>(&r));
  }

  void on_started(Request& r, SimTime now) override {
    if (r.started_at == kTimeNever) r.started_at = now;
  }
  void on_first_token(Request& r, SimTime now) override {
    if (r.first_token_at == kTimeNever) r.first_token_at = now;
  }
  void on_completed(Request& r, SimTime now) override {
    r.completed_at = now;
    r.outcome = RequestOutcome::kCompleted;
    ++completed;
  }
  void on_activity(std::uint32_t replica, SimTime now, const ReplicaActivity& a) override {
    if (forward) forward->on_activity(replica, now, a);
    activity_log.push_back({now, a});
    if (after_activity) after_activity();
  }
  WorkRates on_work(std::uint32_t, SimTime start, SimTime end, std::span<const WorkShare> shares,
                    const PooledWork& pooled) override {
    if (rates) return credit_span(start, end, shares, pooled);
    Span s{start, end, {}};
    for (const WorkShare& w : shares) s.shares.emplace_back(w.request, w.share);
    if (pooled.pool) {
      pooled.pool->for_each_member([&](Request& r, double x) { s.shares.emplace_back(&r, pooled.base + pooled.slope * x); });
    }
    spans.push_back(std::move(s));
    return {};
  }
  void on_pooled_work(const Request& r, double energy_j, double) override { credited_j[&r] += energy_j; }

  const Scenario& scenario() const { return scenario_; }

 private:
  WorkRates credit_span(SimTime start, SimTime end, std::span<const WorkShare> shares, const PooledWork& pooled) {
    std::vector<std::pair<const Request*, double>> all;
    for (const WorkShare& w : shares) all.emplace_back(w.request, w.share);
    const std::size_t explicit_count = all.size();
    if (pooled.pool) {
      pooled.pool->for_each_member([&](Request& r, double x) { all.emplace_back(&r, pooled.base + pooled.slope * x); });
    }
    double total = 0.0;
    for (const auto& [r, share] : all) total += share;
    const WorkRates rate = rates(start, end, total);
    for (std::size_t i = 0; i < all.size(); ++i) {
      expected_j[all[i].first] += all[i].second * rate.energy_j_per_share;
      if (i < explicit_count) credited_j[all[i].first] += all[i].second * rate.energy_j_per_share;
    }
    return rate;
  }

 public:

  Engine engine;
  std::unique_ptr<Replica> replica;
  std::deque<Request> requests;
  std::vector<Span> spans;
  std::vector<std::pair<SimTime, ReplicaActivity>> activity_log;
  std::uint64_t completed = 0;
  ActivityObserver* forward = nullptr;   ///< also hears every activity report first (a power meter)
  std::function<void()> after_activity;  ///< called after each report
  /// When set, every span earns these rates (from its times and its shares' total) and the harness keeps, per
  /// request, what a sequence-by-sequence attribution credits (expected_j: every share times its span's rate) and
  /// what the replica credited (credited_j: explicit shares at once, pooled ones when they leave), instead of spans.
  std::function<WorkRates(SimTime start, SimTime end, double total_share)> rates;
  std::unordered_map<const Request*, double> expected_j, credited_j;

 private:
  struct Submitter final : EventHandler {
    explicit Submitter(ReplicaHarness* harness) : h(harness) {}
    ReplicaHarness* h;
    void on_event(Engine&, std::uint32_t, std::uint64_t data) override {
      Request& r = *reinterpret_cast<Request*>(data);
      r.submitted_at = h->engine.now();
      h->replica->submit(r);
    }
  };
  Registries registries_;
  Scenario scenario_;
  StreamFactory streams_;
  std::vector<Request*> pending_;
  Submitter submitter_{this};
};

}  // namespace infercost::testing
