// Chains of requests where each waits for the previous answer: a chain's next turn is sent when its previous
// request completed plus a think time.
//  - sessions: a user's sessions start as a Poisson process (optionally on a daily/weekly curve); a session is
//    `turns` requests; turn n's input = turn n-1's input + turn n-1's output + a new prompt (multi-turn context
//    growth), capped at max_context_tokens.
//  - closed_loop: agents; each user runs `loops` chains forever (a closed system: N = users * loops customers,
//    think time Z, so throughput X = N / (R + Z), the interactive response-time law). A chain works through
//    tasks of `turns` requests with the same context growth. Optionally active only in a daily window.
// docs/models-workload.md has the formulas and sources.
#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "infercost/core/registries.hpp"
#include "infercost/workload/arrivals.hpp"
#include "infercost/workload/rate_curve.hpp"
#include "infercost/workload/user_source.hpp"

namespace infercost {
namespace {

constexpr std::int64_t kMaxTokens = 10'000'000;

/// Time between an answer and the next request of a chain: constant or exponential with a mean.
struct ThinkTime {
  SimTime mean = 0;
  bool exponential = true;

  SimTime sample(RandomStream& rng) const {
    if (!exponential || mean == 0) return mean;
    return from_seconds(rng.exponential(1.0 / to_seconds(mean)));
  }
  std::string describe() const {
    return fmt::format("{} think time mean {}", exponential ? "exponential" : "constant", format_duration(mean));
  }
};

/// What sessions and agents' tasks share: how many turns, the think time, and the context cap.
struct TurnSettings {
  std::shared_ptr<const LengthDistribution> turns;
  ThinkTime think;
  std::uint32_t max_context_tokens = 131'072;
};

TurnSettings read_turn_settings(const ConfigNode& n, bool turns_required) {
  Registry<LengthDistribution> lengths{"length distribution"};
  register_length_distributions(lengths);
  TurnSettings s;
  if (turns_required || n.has("turns")) {
    s.turns = read_length(n.child("turns"), lengths);
  } else {
    s.turns = read_length(ConfigNode::load_string("turns: 1", "<default turns>").child("turns"), lengths);
  }
  s.think.mean = n.get_duration("think_time", std::nullopt, 0, 30 * kDay);
  s.think.exponential = n.get_choice("think_distribution", {"exponential", "constant"}, "exponential") == "exponential";
  s.max_context_tokens = static_cast<std::uint32_t>(n.get_int("max_context_tokens", s.max_context_tokens, 1, kMaxTokens));
  return s;
}

/// One chain in flight: 16 bytes.
struct Chain {
  std::uint32_t user = 0;            ///< local user index
  std::uint32_t context_tokens = 0;  ///< previous turn's input + output (0 before the first turn)
  std::uint32_t turns_left = 0;      ///< turns still to send, the one in flight included
  std::uint32_t next_free = 0;       ///< free-list link (sessions)
};

class ChainSource : public UserSource {
 public:
  ChainSource(const TurnSettings& settings, const UserClassInfo& info, TrafficContext ctx)
      : UserSource(info, ctx), settings_(settings), rngs_(make_user_streams()) {}

  void prefetch_completion(std::uint32_t user, std::uint32_t source_tag) const override {
    if (source_tag < chains_.size()) __builtin_prefetch(&chains_[source_tag]);
    __builtin_prefetch(rngs_.data() + (user - info_.first_user));  // the think time's draw
  }

  void on_completed(Request& r) override {
    const std::uint32_t index = r.source_tag;
    Chain& c = chains_[index];
    c.context_tokens = r.input_tokens + r.output_tokens;
    if (--c.turns_left > 0 && !has_left(c.user)) {
      schedule_turn(index, ctx_.engine.now() + settings_.think.sample(rngs_[c.user]));
    } else {
      on_chain_done(index);
    }
  }

 protected:
  enum : std::uint32_t { kTurn = 0, kSessionStart = 1 };

  /// The chain ended: all turns answered, or a turn given up (rejected for good or abandoned).
  virtual void on_chain_done(std::uint32_t index) = 0;

  void on_given_up(std::uint32_t, std::uint32_t source_tag) override { on_chain_done(source_tag); }

  /// Starts a task or session: draws its number of turns, forgets the context.
  void begin(std::uint32_t index) {
    Chain& c = chains_[index];
    c.context_tokens = 0;
    c.turns_left = std::max<std::uint32_t>(1, settings_.turns->sample(rngs_[c.user]));
  }

  /// A turn's event carries the chain in its high half and the chain's user in its low half, which the
  /// prefetch hints read (the user's stream and counters, the chain).
  void schedule_turn(std::uint32_t index, SimTime t) {
    if (t < ctx_.end_time) {
      ctx_.engine.schedule_at(t, *this, kTurn, (std::uint64_t{index} << 32) | chains_[index].user);
    }
  }
  static std::uint32_t chain_of(std::uint64_t turn_data) { return static_cast<std::uint32_t>(turn_data >> 32); }
  /// The hints for both kinds of event: the user's stream and counters (low half), the chain (high half).
  void hint() {
    ctx_.engine.prefetch_hints(*this).at = {PrefetchHint(rngs_.data(), sizeof(RandomStream)),
                                            ctx_.sink.user_record_hint(info_.first_user),
                                            PrefetchHint(chains_.data(), sizeof(Chain), true)};
  }

  /// Sends the chain's next turn: a new prompt on top of the context so far.
  void send_turn(std::uint32_t index) {
    const Chain& c = chains_[index];
    RandomStream& rng = rngs_[c.user];
    const std::uint64_t prompt = info_.input_tokens->sample(rng);
    const std::uint32_t out = info_.output_tokens->sample(rng);
    const auto in = static_cast<std::uint32_t>(std::min<std::uint64_t>(c.context_tokens + prompt,
                                                                       settings_.max_context_tokens));
    Request& r = create(c.user, in, out, index);
    ctx_.sink.submit(r);
  }

  TurnSettings settings_;
  std::vector<RandomStream> rngs_;
  std::vector<Chain> chains_;
};

class SessionSource final : public ChainSource {
 public:
  SessionSource(const RateCurve& curve, const TurnSettings& settings, const UserClassInfo& info, TrafficContext ctx)
      : ChainSource(settings, info, ctx), curve_(curve) {}

  void start() override {
    for (std::uint32_t u = 0; u < info_.users; ++u) schedule_session(u);
    hint();  // a session start's data is the user alone: its chain hint is wasted
  }

 protected:
  void on_source_event(std::uint32_t kind, std::uint64_t data) override {
    const auto user = static_cast<std::uint32_t>(data);
    if (kind == kSessionStart) {
      if (has_left(user)) return;
      const std::uint32_t index = allocate(user);
      begin(index);
      schedule_session(user);
      send_turn(index);
      return;
    }
    const std::uint32_t index = chain_of(data);
    if (has_left(chains_[index].user)) {
      release(index);
    } else {
      send_turn(index);
    }
  }

  void on_chain_done(std::uint32_t index) override { release(index); }

 private:
  static constexpr std::uint32_t kNone = UINT32_MAX;

  void schedule_session(std::uint32_t u) {
    const SimTime t = curve_.next_arrival(ctx_.engine.now(), ctx_.end_time, rngs_[u]);
    if (t != kTimeNever) ctx_.engine.schedule_at(t, *this, kSessionStart, u);
  }

  std::uint32_t allocate(std::uint32_t user) {
    std::uint32_t index = free_;
    if (index == kNone) {
      index = static_cast<std::uint32_t>(chains_.size());
      const Chain* before = chains_.data();
      chains_.emplace_back();
      if (chains_.data() != before) hint();
    } else {
      free_ = chains_[index].next_free;
    }
    chains_[index] = Chain{user, 0, 0, kNone};
    return index;
  }
  void release(std::uint32_t index) {
    chains_[index].next_free = free_;
    free_ = index;
  }

  RateCurve curve_;
  std::uint32_t free_ = kNone;
};

/// When agents run: always, or a daily window [active_from, active_until) of local time on some days.
struct ActiveWindow {
  SimTime from = 0;
  SimTime until = kDay;
  bool weekdays_only = false;
  SimTime utc_offset = 0;

  bool always() const { return from == 0 && until == kDay && !weekdays_only; }
  bool day_allowed(std::int64_t day) const { return !weekdays_only || LocalTime{day, 0}.weekday() < 5; }
  bool active(SimTime t) const {
    if (always()) return true;
    const LocalTime lt = local_time(t, utc_offset);
    if (from < until) return lt.time_of_day >= from && lt.time_of_day < until && day_allowed(lt.day);
    return (lt.time_of_day >= from && day_allowed(lt.day)) || (lt.time_of_day < until && day_allowed(lt.day - 1));
  }
  /// The first window start at or after t.
  SimTime next_start(SimTime t) const {
    const LocalTime lt = local_time(t, utc_offset);
    for (std::int64_t d = lt.day; d < lt.day + 9; ++d) {
      const SimTime s = d * kDay + from - utc_offset;
      if (s >= t && day_allowed(d)) return s;
    }
    return kTimeNever;
  }
  std::string describe() const {
    if (always()) return "always on";
    return fmt::format("active {}..{} local time (UTC{}{:g}h){}", format_duration(from), format_duration(until),
                       utc_offset < 0 ? "-" : "+", std::abs(to_seconds(utc_offset)) / 3600,
                       weekdays_only ? " on weekdays" : "");
  }
};

class ClosedLoopSource final : public ChainSource {
 public:
  ClosedLoopSource(std::uint32_t loops, const ActiveWindow& window, const TurnSettings& settings,
                   const UserClassInfo& info, TrafficContext ctx)
      : ChainSource(settings, info, ctx), loops_(loops), window_(window) {
    chains_.resize(static_cast<std::size_t>(info.users) * loops);
    for (std::uint32_t i = 0; i < chains_.size(); ++i) chains_[i].user = i / loops;
  }

  void start() override {
    // Each loop starts after one think time, so a population of agents does not fire all at once.
    for (std::uint32_t i = 0; i < chains_.size(); ++i) next_task(i);
    hint();
  }

 protected:
  void on_source_event(std::uint32_t, std::uint64_t data) override {
    const std::uint32_t index = chain_of(data);
    const std::uint32_t u = chains_[index].user;
    if (has_left(u)) return;  // the loop stops for good
    const SimTime now = ctx_.engine.now();
    if (!window_.active(now)) {  // pause (mid-task, context kept) until the next window opens
      const SimTime start = window_.next_start(now);
      if (start != kTimeNever) schedule_turn(index, start + settings_.think.sample(rngs_[u]));
      return;
    }
    send_turn(index);
  }

  void on_chain_done(std::uint32_t index) override {
    if (!has_left(chains_[index].user)) next_task(index);
  }

 private:
  void next_task(std::uint32_t index) {
    begin(index);
    schedule_turn(index, ctx_.engine.now() + settings_.think.sample(rngs_[chains_[index].user]));
  }

  std::uint32_t loops_;
  ActiveWindow window_;
};

class SessionsConfig final : public ArrivalConfig {
 public:
  SessionsConfig(RateCurve curve, TurnSettings settings) : curve_(curve), settings_(std::move(settings)) {}
  std::unique_ptr<TrafficSource> make_source(const UserClassInfo& users, TrafficContext context) const override {
    return std::make_unique<SessionSource>(curve_, settings_, users, context);
  }
  std::string describe() const override {
    return fmt::format("sessions per user: {}; {} turns, {}, context cap {} tokens", curve_.describe(),
                       settings_.turns->describe(), settings_.think.describe(), settings_.max_context_tokens);
  }

 private:
  RateCurve curve_;
  TurnSettings settings_;
};

class ClosedLoopConfig final : public ArrivalConfig {
 public:
  ClosedLoopConfig(std::uint32_t loops, ActiveWindow window, TurnSettings settings)
      : loops_(loops), window_(window), settings_(std::move(settings)) {}
  std::unique_ptr<TrafficSource> make_source(const UserClassInfo& users, TrafficContext context) const override {
    return std::make_unique<ClosedLoopSource>(loops_, window_, settings_, users, context);
  }
  std::uint32_t max_users() const override { return UINT32_MAX / loops_; }
  std::string describe() const override {
    return fmt::format("closed loop: {} loops per user, {}, tasks of {} turns, {}, context cap {} tokens", loops_,
                       window_.describe(), settings_.turns->describe(), settings_.think.describe(),
                       settings_.max_context_tokens);
  }

 private:
  std::uint32_t loops_;
  ActiveWindow window_;
  TurnSettings settings_;
};

}  // namespace

void register_chain_arrivals(Registry<ArrivalConfig>& registry) {
  registry.add("sessions",
               "multi-turn sessions starting at `rate` per user (optionally on a daily curve); `turns` requests "
               "each, `think_time` after each answer, context growing turn by turn",
               [](const ConfigNode& n) -> std::unique_ptr<ArrivalConfig> {
                 RateCurve curve = RateCurve::read(n, RateCurve::Profile::kFlat);
                 return std::make_unique<SessionsConfig>(curve, read_turn_settings(n, true));
               });
  registry.add("closed_loop",
               "agents: `loops` concurrent loops per user, each sending its next request `think_time` after the "
               "previous answer; always on or in a daily window",
               [](const ConfigNode& n) -> std::unique_ptr<ArrivalConfig> {
                 const auto loops = static_cast<std::uint32_t>(n.get_int("loops", 1, 1, 10'000));
                 ActiveWindow w;
                 w.from = n.get_duration("active_from", 0, 0, kDay - 1);
                 w.until = n.get_duration("active_until", kDay, 1, kDay);
                 if (w.from == w.until) n.child("active_until").fail("expected active_until != active_from");
                 w.weekdays_only = n.get_choice("active_days", {"all", "weekdays"}, "all") == "weekdays";
                 w.utc_offset = from_seconds(
                     n.get_quantity("utc_offset", UnitKind::kDuration, 0.0, -14 * 3600.0, 14 * 3600.0));
                 return std::make_unique<ClosedLoopConfig>(loops, w, read_turn_settings(n, false));
               });
}

}  // namespace infercost
