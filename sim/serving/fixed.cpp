// The `fixed` serving model: a replica with `concurrency` identical servers and one FIFO queue. A request's
// service time is `service_time` (deterministic, or exponential with that mean) plus `per_output_token`
// times its output tokens. With concurrency 1 and Poisson arrivals it is an M/D/1 or M/M/1 queue; with
// concurrency c an M/M/c queue (docs/models.md, "Fixed service time").
#include <algorithm>
#include <deque>
#include <vector>

#include <fmt/format.h>

#include "infercost/core/registries.hpp"
#include "infercost/serving/continuous_batching.hpp"
#include "infercost/serving/replica.hpp"

namespace infercost {
namespace {

struct FixedConfig {
  SimTime service_time = kSecond;
  bool exponential = false;
  SimTime per_output_token = 0;
  SimTime first_token_delay = 0;
  std::uint32_t concurrency = 1;
  std::uint32_t gpus = 1;
};

class FixedReplica final : public Replica {
 public:
  FixedReplica(const FixedConfig& config, ReplicaContext context) : config_(config), ctx_(std::move(context)) {}

  void submit(Request& request) override {
    if (running_ < config_.concurrency) {
      start(request);
    } else {
      queue_.push_back(&request);
    }
    report();
  }

  std::uint32_t outstanding() const override { return running_ + static_cast<std::uint32_t>(queue_.size()); }
  std::uint32_t gpus() const override { return config_.gpus; }

  void on_event(Engine& engine, std::uint32_t kind, std::uint64_t data) override {
    Request& r = *reinterpret_cast<Request*>(data);
    if (kind == kFirstToken) {
      ctx_.listener.on_first_token(r, engine.now());
      return;
    }
    report_work();
    running_set_.erase(std::find_if(running_set_.begin(), running_set_.end(),
                                    [&](const WorkShare& w) { return w.request == &r; }));
    --running_;
    if (r.first_token_at == kTimeNever) ctx_.listener.on_first_token(r, engine.now());
    ctx_.listener.on_completed(r, engine.now());
    if (!queue_.empty()) {
      Request* next = queue_.front();
      queue_.pop_front();
      start(*next);
    }
    report();
  }

 private:
  enum : std::uint32_t { kComplete = 0, kFirstToken = 1 };

  void start(Request& r) {
    report_work();
    running_set_.push_back(WorkShare{&r, 1.0});
    ++running_;
    const SimTime now = ctx_.engine.now();
    ctx_.listener.on_started(r, now);
    SimTime service = config_.service_time;
    if (config_.exponential) service = from_seconds(ctx_.rng.exponential(1.0 / to_seconds(config_.service_time)));
    service += config_.per_output_token * r.output_tokens;
    const auto data = reinterpret_cast<std::uint64_t>(&r);
    if (config_.first_token_delay == 0) {
      ctx_.listener.on_first_token(r, now);
    } else if (config_.first_token_delay < service) {
      ctx_.engine.schedule_in(config_.first_token_delay, *this, kFirstToken, data);
    }
    ctx_.engine.schedule_in(service, *this, kComplete, data);
  }

  /// Reports the span since the last change: the requests being served share it equally.
  void report_work() {
    const SimTime now = ctx_.engine.now();
    if (ctx_.work && !running_set_.empty() && now > work_since_) {
      ctx_.work->on_work(ctx_.index, work_since_, now, running_set_, PooledWork{});
    }
    work_since_ = now;
  }

  void report() {
    ReplicaActivity a;
    a.running = running_;
    a.queued = static_cast<std::uint32_t>(queue_.size());
    a.busy_fraction = static_cast<double>(running_) / config_.concurrency;
    a.phase = running_ ? GpuPhase::kDecode : GpuPhase::kIdle;
    ctx_.activity.on_activity(ctx_.index, ctx_.engine.now(), a);
  }

  FixedConfig config_;
  ReplicaContext ctx_;
  std::uint32_t running_ = 0;
  std::vector<WorkShare> running_set_;
  SimTime work_since_ = 0;
  std::deque<Request*> queue_;
};

class FixedServingConfig final : public ServingModelConfig {
 public:
  explicit FixedServingConfig(const FixedConfig& c) : c_(c) {}
  std::unique_ptr<Replica> make_replica(ReplicaContext context) const override {
    return std::make_unique<FixedReplica>(c_, std::move(context));
  }
  std::uint32_t gpus_per_replica() const override { return c_.gpus; }
  std::string describe() const override {
    return fmt::format("fixed {} service time {}, concurrency {}", c_.exponential ? "exponential" : "deterministic",
                       format_duration(c_.service_time), c_.concurrency);
  }

 private:
  FixedConfig c_;
};

}  // namespace

void register_serving_models(Registry<ServingModelConfig>& registry) {
  registry.add("fixed", "fixed (or exponential) service time per request, c servers per replica, FIFO queue",
               [](const ConfigNode& node) -> std::unique_ptr<ServingModelConfig> {
                 FixedConfig c;
                 c.service_time = node.get_duration("service_time", std::nullopt, 1);
                 c.exponential = node.get_choice("distribution", {"deterministic", "exponential"},
                                                 "deterministic") == "exponential";
                 c.per_output_token = node.get_duration("per_output_token", 0);
                 c.first_token_delay = node.get_duration("first_token_delay", 0);
                 c.concurrency = static_cast<std::uint32_t>(node.get_int("concurrency", 1, 1, 1'000'000));
                 c.gpus = static_cast<std::uint32_t>(node.get_int("gpus", 1, 1, 4096));
                 return std::make_unique<FixedServingConfig>(c);
               });
  register_continuous_batching(registry);
}

}  // namespace infercost
