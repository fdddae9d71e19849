#include "infercost/core/simulation.hpp"

#include <chrono>

#include <fmt/format.h>

#include "infercost/io/resources.hpp"
#include "infercost/policy/queue_order.hpp"
#include "infercost/power/site_router.hpp"
#include "infercost/serving/ttft_predictor.hpp"
#include "infercost/serving/wait_queue.hpp"

namespace infercost {

Simulation::Simulation(const Scenario& scenario, std::uint64_t seed) : Simulation(scenario, seed, nullptr) {}

Simulation::Simulation(const Scenario& scenario, std::uint64_t seed, const SiteSlice* slice)
    : scenario_(scenario),
      seed_(seed),
      streams_(seed),
      metrics_(scenario.total_users(), scenario.replicas, scenario.warmup),
      slice_(slice) {
  streams_.set_draw_sink(engine_.random_draw_sink());  // the event fingerprint covers every random draw
  metrics_.set_slo(scenario.slo.ttft, scenario.slo.tpot, scenario.slo.latency);
  // The meters exist before the replicas, which report to them from their first event on. They hear each
  // report in this order (the attribution reads the power the meter just set), by direct calls.
  if (scenario.power) power_ = std::make_unique<FacilityMeter>(*scenario.power, engine_, scenario.replicas);
  attribution_ = std::make_unique<CostAttribution>(scenario.replicas, scenario.total_users(),
                                                   scenario.serving->gpus_per_replica(), power_.get());
  // The active policy set's queue order, when it names one, replaces the serving model's (docs/models-policy.md).
  if (const QueueOrderConfig* q = scenario.policy->queue_order(); q && q->order != QueueOrderConfig::Order::kFifo) {
    std::vector<std::uint32_t> user_plan;
    for (const auto& c : scenario.classes) user_plan.insert(user_plan.end(), c.users, c.plan);
    queue_order_ = make_policy_queue_order(*q, std::move(user_plan));
  }
  replicas_.reserve(scenario.replicas);
  const std::uint32_t first_replica = slice ? slice->first_replica : 0;  // streams keyed by global index
  for (std::uint32_t i = 0; i < scenario.replicas; ++i) {
    replicas_.push_back(scenario.serving->make_replica(
        ReplicaContext{engine_, *this, *this, streams_.stream("replica", first_replica + i), i, attribution_.get(),
                       power_.get(), queue_order_.get(), &replica_scratch_}));
    replica_ptrs_.push_back(replicas_.back().get());
  }
  router_ = scenario.router->make_router(slice ? streams_.stream("router", slice->site) : streams_.stream("router"));
  // Request ids stay unique across the sites of a federated run (serving models key preempted requests by id).
  if (slice) next_request_id_ = std::uint64_t{slice->site} << 40;
  if (power_) {
    if (auto* r = dynamic_cast<PowerAwareRouter*>(router_.get())) r->attach(*power_);
  }
  if (scenario.serving->predicts_ttft()) ttft_ = std::make_unique<PoolTtftPredictor>(replica_ptrs_);
  policy_ = scenario.policy->make_policy(AdmissionContext{&streams_, replica_ptrs_, ttft_.get(), power_.get()});

  std::uint32_t first_user = 0;
  for (std::uint32_t ci = 0; ci < scenario.classes.size(); ++ci) {
    const auto& c = scenario.classes[ci];
    UserClassInfo info{c.name, ci, first_user, c.users, c.plan, c.input_tokens.get(), c.output_tokens.get(),
                       c.client};
    if (slice) {  // only the users homed at this site, with their own random streams
      const UserRange range = slice->users[ci];
      info.first_user += range.first;
      info.users = range.count;
      info.stream_offset = range.first;
    }
    sources_.push_back(info.users == 0 ? nullptr
                                       : c.arrival->make_source(info, TrafficContext{engine_, *this, streams_,
                                                                                     scenario.duration}));
    first_user += c.users;
  }
}

Simulation::~Simulation() = default;

void Simulation::begin() {
  wall_start_ = std::chrono::steady_clock::now();
  for (auto& s : sources_) {
    if (s) s->start();
  }
}

RunInfo Simulation::run(const std::function<void(double)>& progress) {
  begin();
  const SimTime end = scenario_.duration;
  if (progress) {
    constexpr int kSteps = 200;
    for (int i = 1; i <= kSteps; ++i) {
      advance_to(end / kSteps * i + (i == kSteps ? end % kSteps : 0));
      progress(static_cast<double>(i) / kSteps);
    }
  } else {
    advance_to(end);
  }
  return end_run();
}

RunInfo Simulation::end_run() {
  const SimTime end = scenario_.duration;
  settle_completions();
  metrics_.finish(end);
  RunInfo info;
  if (power_) info.power = power_->finish(end);
  for (auto& r : replicas_) r->settle_work();
  attribution_->finish(end);
  info.attribution = attribution_->split(info.power.bill.total_usd(), info.power.bill.energy_it_usd,
                                         info.power.energy_it_kwh * kJoulesPerKwh);
  info.seed = seed_;
  info.end_time = end;
  info.events = engine_.events_processed();
  info.fingerprint = engine_.fingerprint();
  info.in_flight = live_requests_;
  info.requests_submitted = metrics_.submitted;
  info.peak_rss_bytes = peak_rss_bytes();
  info.huge_page_bytes = huge_page_bytes();
  info.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start_).count();
  return info;
}

std::uint32_t Simulation::take_slot() {
  if (!free_slots_.empty()) {
    const std::uint32_t slot = free_slots_.back();
    free_slots_.pop_back();
    if (!free_slots_.empty()) {
      // The next request's slot: created in a later event, where its lines would be a cold store.
      const Request& next = pool_[free_slots_.back()];
      __builtin_prefetch(&next, 1);
      __builtin_prefetch(reinterpret_cast<const char*>(&next) + sizeof(Request) - 1, 1);
    }
    return slot;
  }
  return pool_.grow();
}

Request& Simulation::create_request(std::uint32_t user, std::uint32_t user_class, std::uint32_t input_tokens,
                                    std::uint32_t output_tokens) {
  const std::uint32_t slot = take_slot();
  Request& r = pool_[slot];
  r = Request{};
  r.id = next_request_id_++;
  r.pool_index = slot;
  r.user = user;
  r.user_class = user_class;
  r.plan = scenario_.classes[r.user_class].plan;
  r.input_tokens = input_tokens;
  r.output_tokens = output_tokens;
  r.created_at = engine_.now();
  ++live_requests_;
  metrics_.on_created(r);
  return r;
}

void Simulation::submit(Request& request) {
  const SimTime now = engine_.now();
  request.submitted_at = now;
  ++request.attempts;
  const AdmissionDecision decision = policy_->decide(request, now);
  if (!decision.admit) {
    metrics_.on_throttled(request);
    if (power_) power_->count_refusal(now);
    source_of(request).on_rejected(request, decision);
    return;
  }
  if (slice_ != nullptr && slice_->link != nullptr && slice_->link->forward(request, replica_ptrs_, now)) {
    request.replica = kRemoteReplica;
    return;
  }
  const std::uint32_t target = router_->route(request, replica_ptrs_);
  request.replica = target;
  replicas_[target]->submit(request);
}

void Simulation::serve_guest(const Request& request, std::uint64_t origin) {
  const std::uint32_t slot = take_slot();
  Request& g = pool_[slot];
  g = request;
  g.pool_index = slot;
  g.replica = UINT32_MAX;
  g.preemptions = 0;
  g.started_at = g.first_token_at = g.completed_at = kTimeNever;
  g.outcome = RequestOutcome::kInFlight;
  if (guest_origin_.size() <= slot) guest_origin_.resize(pool_.size(), 0);
  guest_origin_[slot] = origin + 1;
  const std::uint32_t target = router_->route(g, replica_ptrs_);
  g.replica = target;
  replicas_[target]->submit(g);
}

void Simulation::forwarded_first_token(std::uint32_t pool_index, SimTime now) {
  Request& r = pool_[pool_index];
  if (r.first_token_at == kTimeNever) r.first_token_at = now;
}

void Simulation::forwarded_completed(std::uint32_t pool_index, SimTime started_at, std::uint16_t preemptions,
                                     SimTime now) {
  Request& r = pool_[pool_index];
  if (r.started_at == kTimeNever) r.started_at = started_at;
  r.preemptions = preemptions;
  on_completed(r, now);
}

void Simulation::finish(Request& request, RequestOutcome outcome) {
  if (request.replica != UINT32_MAX) policy_->on_abandoned(request, engine_.now());  // admitted, never completed
  request.outcome = outcome;
  request.completed_at = engine_.now();
  metrics_.on_finished(request, engine_.now());
  release(request);
}

void Simulation::on_started(Request& request, SimTime now) {
  if (request.started_at == kTimeNever) request.started_at = now;
}

void Simulation::on_first_token(Request& request, SimTime now) {
  if (request.first_token_at != kTimeNever) return;
  request.first_token_at = now;
  if (is_guest(request.pool_index)) {
    slice_->link->guest_first_token(guest_origin_[request.pool_index] - 1, request, now);
  }
}

void Simulation::on_completed(Request& request, SimTime now) {
  request.completed_at = now;
  request.outcome = RequestOutcome::kCompleted;
  if (is_guest(request.pool_index)) {  // served here for another site: only the home site counts it
    router_->on_done(request.replica);
    if (power_) power_->count_completion(request.replica, now);
    slice_->link->guest_completed(guest_origin_[request.pool_index] - 1, request, now);
    guest_origin_[request.pool_index] = 0;
    free_slots_.push_back(request.pool_index);
    return;
  }
  policy_->on_completed(request, now);
  if (request.replica < kRemoteReplica) {
    router_->on_done(request.replica);
    if (power_) power_->count_completion(request.replica, now);
  }
  source_of(request).on_completed(request);
  lag_completion(request);
}

void Simulation::lag_completion(Request& request) {
  prefetch_request(&request);
  __builtin_prefetch(&metrics_.users[request.user]);
  --live_requests_;
  Request* const due = lagged_[lag_next_];
  lagged_[lag_next_] = &request;
  lag_next_ = (lag_next_ + 1) % kCompletionLag;
  if (due != nullptr) record_completion(*due);
}

void Simulation::record_completion(Request& request) {
  metrics_.on_finished(request, request.completed_at);
  free_slots_.push_back(request.pool_index);
}

void Simulation::settle_completions() {
  for (std::uint32_t i = 0; i < kCompletionLag; ++i) {
    Request*& due = lagged_[(lag_next_ + i) % kCompletionLag];
    if (due == nullptr) continue;
    record_completion(*due);
    due = nullptr;
  }
}

// Direct calls to the built-in observers, not a loop of virtual calls: one call site cycling through three
// targets mispredicts at nearly every report (callgrind's branch simulation: 69% of all indirect mispredicts).
void Simulation::on_activity(std::uint32_t replica, SimTime now, const ReplicaActivity& activity) {
  metrics_.on_activity(replica, now, activity);
  if (power_) power_->on_activity(replica, now, activity);
  attribution_->on_activity(replica, now, activity);
  for (ActivityObserver* o : observers_) o->on_activity(replica, now, activity);
}

void Simulation::on_queue_change(std::uint32_t replica, SimTime now, const ReplicaActivity& activity) {
  metrics_.on_queue_change(replica, now, activity);
  if (power_) power_->on_queue_change(replica, now, activity);
  attribution_->on_queue_change(replica, now, activity);
  for (ActivityObserver* o : observers_) o->on_queue_change(replica, now, activity);
}

void Simulation::user_left(std::uint32_t user) { metrics_.on_user_left(user); }

std::vector<std::uint64_t> Simulation::in_flight_per_user() const {
  std::vector<std::uint64_t> counts(metrics_.users.size(), 0);
  // A pooled request is live until its outcome is set: free slots always hold an ended request.
  for (std::uint32_t i = 0; i < pool_.size(); ++i) {
    const Request& r = pool_[i];
    if (r.outcome == RequestOutcome::kInFlight && !is_guest(r.pool_index)) ++counts[r.user];
  }
  return counts;
}

void Simulation::release(Request& request) {
  free_slots_.push_back(request.pool_index);
  --live_requests_;
}

}  // namespace infercost
