// Open-loop arrivals: each user sends requests as a Poisson process of its own, drawn from its own stream
// ("user/<class>", index), so adding users or classes never changes another user's arrivals.
//  - poisson: constant rate per user; gaps Exp(rate).
//  - diurnal: rate per user following a daily and weekly curve (RateCurve), by thinning.
// Each user has at most one pending arrival event: the next one is drawn when the previous one fires.
// With `streams: shared` the class draws from one stream instead: the superposition of its users' processes, one
// pending arrival for the whole class (docs/models-workload.md, "Shared streams").
#include <vector>

#include <fmt/format.h>

#include "infercost/workload/arrivals.hpp"
#include "infercost/workload/rate_curve.hpp"
#include "infercost/workload/user_source.hpp"

namespace infercost {
namespace {

class OpenLoopSource final : public UserSource {
 public:
  OpenLoopSource(const RateCurve& curve, const UserClassInfo& info, TrafficContext ctx)
      : UserSource(info, ctx), curve_(curve), rngs_(make_user_streams()) {}

  void start() override {
    for (std::uint32_t u = 0; u < info_.users; ++u) {
      RandomStream rng = rngs_.load(u);
      schedule_next(u, rng);
      rngs_.store(u, rng);
    }
    // An arrival's first misses: the user's stream and the user's counters.
    Engine::PrefetchHints& hints = ctx_.engine.prefetch_hints(*this);
    hints.at[0] = PrefetchHint(rngs_.data(), sizeof(RandomStream::State));
    hints.at[1] = ctx_.sink.user_record_hint(info_.first_user);
  }
  void on_completed(Request&) override {}

 protected:
  void on_source_event(std::uint32_t, std::uint64_t data) override {
    const auto u = static_cast<std::uint32_t>(data);
    if (has_left(u)) return;
    RandomStream rng = rngs_.load(u);
    const std::uint32_t in = info_.input_tokens->sample(rng);
    const std::uint32_t out = info_.output_tokens->sample(rng);
    Request& r = create(u, in, out);
    schedule_next(u, rng);
    rngs_.store(u, rng);
    ctx_.sink.submit(r);
  }

 private:
  void schedule_next(std::uint32_t u, RandomStream& rng) {
    const SimTime t = curve_.next_arrival(ctx_.engine.now(), ctx_.end_time, rng);
    if (t != kTimeNever) ctx_.engine.schedule_at(t, *this, 0, u);
  }

  RateCurve curve_;
  StreamStates rngs_;  ///< 32 bytes per user: the whole per-user state besides the left bit
};

/// The class's users as one process: N independent Poisson processes of rate lambda(t) superpose to one of rate
/// N lambda(t) whose every arrival belongs to a user drawn uniformly, independently of the times (the
/// superposition and colouring theorems: J. F. C. Kingman, Poisson Processes, Oxford 1993, sections 2.2 and 5.1).
/// The user is drawn with the arrival's time, so the event carries it and the engine can prefetch the user's
/// record; an arrival of a user who left is dropped, which leaves the others' superposition.
class SharedStreamSource final : public UserSource {
 public:
  SharedStreamSource(const RateCurve& per_user, const UserClassInfo& info, TrafficContext ctx)
      : UserSource(info, ctx),
        curve_(per_user.scaled(static_cast<double>(info.users))),
        rng_(ctx.streams.stream(shared_stream_name(info), info.stream_offset)) {}

  void start() override {
    schedule_next();
    Engine::PrefetchHints& hints = ctx_.engine.prefetch_hints(*this);
    hints.at[1] = ctx_.sink.user_record_hint(info_.first_user);
  }
  void on_completed(Request&) override {}

 protected:
  void on_source_event(std::uint32_t, std::uint64_t data) override {
    const auto u = static_cast<std::uint32_t>(data);
    if (has_left(u)) {
      schedule_next();
      return;
    }
    const std::uint32_t in = info_.input_tokens->sample(rng_);
    const std::uint32_t out = info_.output_tokens->sample(rng_);
    Request& r = create(u, in, out);
    schedule_next();
    ctx_.sink.submit(r);
  }

 private:
  static std::string shared_stream_name(const UserClassInfo& info) { return "arrivals/" + info.name; }

  void schedule_next() {
    const SimTime t = curve_.next_arrival(ctx_.engine.now(), ctx_.end_time, rng_);
    if (t != kTimeNever) ctx_.engine.schedule_at(t, *this, 0, rng_.uniform_int(info_.users));
  }

  RateCurve curve_;  ///< the class's rate: the users' times their number
  RandomStream rng_;
};

class OpenLoopConfig final : public ArrivalConfig {
 public:
  OpenLoopConfig(std::string name, RateCurve curve, bool shared)
      : name_(std::move(name)), curve_(curve), shared_(shared) {}
  std::unique_ptr<TrafficSource> make_source(const UserClassInfo& users, TrafficContext context) const override {
    if (shared_) return std::make_unique<SharedStreamSource>(curve_, users, context);
    return std::make_unique<OpenLoopSource>(curve_, users, context);
  }
  std::string describe() const override {
    return fmt::format("{} per user: {}{}", name_, curve_.describe(), shared_ ? ", one stream for the class" : "");
  }

 private:
  std::string name_;
  RateCurve curve_;
  bool shared_;
};

/// `streams:` per_user (every user its own stream, the default) or shared (one for the class).
bool read_shared_streams(const ConfigNode& n) {
  return n.get_choice("streams", {"per_user", "shared"}, "per_user") == "shared";
}

}  // namespace

void register_open_loop_arrivals(Registry<ArrivalConfig>& registry) {
  registry.add("poisson", "open-loop Poisson arrivals at `rate` per user (`streams: shared`: one stream per class)",
               [](const ConfigNode& n) -> std::unique_ptr<ArrivalConfig> {
                 return std::make_unique<OpenLoopConfig>(
                     "poisson", RateCurve::constant(n.get_quantity("rate", UnitKind::kRate, std::nullopt, 1e-12)),
                     read_shared_streams(n));
               });
  registry.add("diurnal",
               "open-loop Poisson arrivals per user at a mean `rate` shaped by a daily profile (sinusoid or hourly), "
               "weekend factor and UTC offset, by thinning (`streams: shared`: one stream per class)",
               [](const ConfigNode& n) -> std::unique_ptr<ArrivalConfig> {
                 return std::make_unique<OpenLoopConfig>(
                     "diurnal", RateCurve::read(n, RateCurve::Profile::kSinusoid), read_shared_streams(n));
               });
}

}  // namespace infercost
