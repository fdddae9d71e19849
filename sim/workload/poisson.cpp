// Open-loop Poisson arrivals: each user sends requests at `rate` (per user) with exponential gaps drawn from
// its own stream ("user", global index), so adding users never changes another user's arrivals.
#include <vector>

#include <fmt/format.h>

#include "infercost/core/registries.hpp"
#include "infercost/workload/traffic.hpp"

namespace infercost {
namespace {

class PoissonSource final : public TrafficSource {
 public:
  PoissonSource(double rate_per_s, const UserClassInfo& info, TrafficContext ctx)
      : rate_per_s_(rate_per_s), info_(info), ctx_(ctx) {
    rngs_.reserve(info.users);
    for (std::uint32_t u = 0; u < info.users; ++u) rngs_.push_back(ctx.streams.stream("user", info.first_user + u));
  }

  void start() override {
    for (std::uint32_t u = 0; u < info_.users; ++u) schedule_next(u);
  }

  void on_event(Engine&, std::uint32_t, std::uint64_t data) override {
    const auto u = static_cast<std::uint32_t>(data);
    RandomStream& rng = rngs_[u];
    const std::uint32_t in = info_.input_tokens->sample(rng);
    const std::uint32_t out = info_.output_tokens->sample(rng);
    Request& r = ctx_.sink.create_request(info_.first_user + u, in, out);
    schedule_next(u);
    ctx_.sink.submit(r);
  }

  void on_completed(Request&) override {}
  void on_rejected(Request& request, const AdmissionDecision&) override {
    ctx_.sink.finish(request, RequestOutcome::kRejected);
  }

 private:
  void schedule_next(std::uint32_t u) {
    const SimTime t = ctx_.engine.now() + from_seconds(rngs_[u].exponential(rate_per_s_));
    if (t < ctx_.end_time) ctx_.engine.schedule_at(t, *this, 0, u);
  }

  double rate_per_s_;
  UserClassInfo info_;
  TrafficContext ctx_;
  std::vector<RandomStream> rngs_;
};

class PoissonConfig final : public ArrivalConfig {
 public:
  explicit PoissonConfig(double rate) : rate_(rate) {}
  std::unique_ptr<TrafficSource> make_source(const UserClassInfo& users, TrafficContext context) const override {
    return std::make_unique<PoissonSource>(rate_, users, context);
  }

 private:
  double rate_;
};

}  // namespace

void register_arrival_processes(Registry<ArrivalConfig>& registry) {
  registry.add("poisson", "open-loop Poisson arrivals at `rate` per user",
               [](const ConfigNode& n) -> std::unique_ptr<ArrivalConfig> {
                 return std::make_unique<PoissonConfig>(n.get_quantity("rate", UnitKind::kRate, std::nullopt, 1e-12));
               });
}

}  // namespace infercost
