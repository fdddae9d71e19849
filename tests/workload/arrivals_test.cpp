// Arrival processes: distributions of gaps and think times, multi-turn context growth, closed loops (at most k
// outstanding, Little's law), agents' schedules, and stream independence between users and classes.
#include <catch2/catch.hpp>

#include <map>
#include <tuple>

#include "infercost/core/simulation.hpp"
#include "infercost/workload/rate_curve.hpp"
#include "workload_support.hpp"

using namespace infercost;
using namespace infercost::workload_test;

namespace {

const std::string kCluster = "cluster: {replicas: 1, serving: {type: fixed, service_time: 2s, concurrency: 100000}}\n";

std::string one_class(const std::string& duration, const std::string& class_yaml) {
  return "duration: " + duration + "\n" + kCluster + "workload:\n  classes:\n" + class_yaml;
}

/// Each user's created requests (time, input, output), keyed by (class name, local user index).
std::map<std::pair<std::string, std::uint32_t>, std::vector<std::tuple<SimTime, std::uint32_t, std::uint32_t>>>
by_user(const Scenario& s, const Harness& h) {
  std::vector<std::pair<std::string, std::uint32_t>> who;
  for (const auto& c : s.classes) {
    for (std::uint32_t u = 0; u < c.users; ++u) who.emplace_back(c.name, u);
  }
  std::map<std::pair<std::string, std::uint32_t>, std::vector<std::tuple<SimTime, std::uint32_t, std::uint32_t>>> out;
  for (const auto& c : h.created) out[who[c.user]].emplace_back(c.at, c.input_tokens, c.output_tokens);
  return out;
}

}  // namespace

TEST_CASE("poisson gaps are exponential with the configured rate (KS)", "[workload][arrivals]") {
  const Scenario s = load_text(one_class("1000s", R"(
    - name: p
      users: 100
      arrival: {type: poisson, rate: 1/s}
      input_tokens: 10
      output_tokens: 10
)"));
  Harness h(s, 21, 1000 * kSecond);
  h.run();
  std::vector<SimTime> last(100, 0);
  std::vector<double> gaps;
  for (const auto& c : h.created) {
    if (last[c.user] < 500 * kSecond) gaps.push_back(to_seconds(c.at - last[c.user]));  // uncensored gaps only
    last[c.user] = c.at;
  }
  REQUIRE(gaps.size() > 45000);
  CHECK(ks_statistic(gaps, [](double x) { return 1.0 - std::exp(-x); }) < ks_critical_001(gaps.size()));
}

TEST_CASE("shared streams: one Poisson process of rate N lambda whose arrivals go to users uniformly (KS, chi-square)",
          "[workload][arrivals][streams]") {
  const Scenario s = load_text(one_class("1000s", R"(
    - name: p
      users: 100
      arrival: {type: poisson, rate: 1/s, streams: shared}
      input_tokens: {type: uniform, min: 1, max: 100}
      output_tokens: 10
)"));
  Harness lazy(s, 21, 1000 * kSecond);
  lazy.start();
  CHECK(lazy.engine.pending() == 1);  // one pending arrival for the class
  Harness h(s, 21, 1000 * kSecond);
  h.run();
  // The class's gaps: exponential at 100/s.
  std::vector<double> class_gaps;
  SimTime previous = 0;
  for (const auto& c : h.created) {
    class_gaps.push_back(to_seconds(c.at - previous) * 100.0);
    previous = c.at;
  }
  REQUIRE(class_gaps.size() > 95000);
  CHECK(ks_statistic(class_gaps, [](double x) { return 1.0 - std::exp(-x); }) < ks_critical_001(class_gaps.size()));
  // Each user's gaps: exponential at 1/s, as with its own stream.
  std::vector<SimTime> last(100, 0);
  std::vector<double> gaps;
  std::vector<double> counts(100, 0.0);
  for (const auto& c : h.created) {
    if (last[c.user] < 500 * kSecond) gaps.push_back(to_seconds(c.at - last[c.user]));
    last[c.user] = c.at;
    ++counts[c.user];
  }
  REQUIRE(gaps.size() > 45000);
  CHECK(ks_statistic(gaps, [](double x) { return 1.0 - std::exp(-x); }) < ks_critical_001(gaps.size()));
  // Counts per user: equally likely users (Pearson's chi-square with 99 degrees of freedom, inside its 0.001 and
  // 0.999 quantiles, 61.1 and 148.2).
  const double mean = static_cast<double>(h.created.size()) / 100.0;
  double chi2 = 0.0;
  for (const double n : counts) chi2 += (n - mean) * (n - mean) / mean;
  CHECK(chi2 > 61.1);
  CHECK(chi2 < 148.2);
  // The same seed gives the same arrivals.
  Harness again(s, 21, 1000 * kSecond);
  again.run();
  REQUIRE(again.created.size() == h.created.size());
  CHECK(again.created.back().at == h.created.back().at);
}

TEST_CASE("sessions: Poisson starts, exponential think times, context growing turn by turn", "[workload][arrivals]") {
  const std::string yaml = one_class("2d", R"(
    - name: chat
      users: 200
      arrival: {type: sessions, rate: 12/d, turns: 4, think_time: 30s}
      input_tokens: 100
      output_tokens: 50
)");
  const Scenario s = load_text(yaml);
  Harness h(s, 4, 2 * kDay);
  h.run();
  std::map<std::uint64_t, SimTime> completed_at;
  for (const auto& e : h.ended) completed_at[e.id] = e.at;
  // Chains by source tag: a tag is reused only after its session ended, so a first turn (input 100) opens one.
  std::map<std::uint32_t, std::vector<const Harness::Created*>> open;
  std::vector<double> think, session_gaps;
  std::vector<SimTime> last_start(200, 0);
  std::size_t sessions = 0, growth_errors = 0;
  for (const auto& c : h.created) {
    auto& chain = open[c.source_tag];
    if (c.input_tokens == 100) {
      ++sessions;
      if (!chain.empty()) growth_errors += chain.size() != 4;
      chain.clear();
      // Only gaps that began in the first day: all of them ended within the run (a gap longer than a day has
      // probability e^-12), so the sample is not censored towards short gaps.
      if (last_start[c.user] < kDay) session_gaps.push_back(to_seconds(c.at - last_start[c.user]) * 12.0 / 86400.0);
      last_start[c.user] = c.at;
    } else {
      REQUIRE(!chain.empty());
      const auto* prev = chain.back();
      growth_errors += c.input_tokens != prev->input_tokens + prev->output_tokens + 100;
      growth_errors += c.user != prev->user;
      think.push_back(to_seconds(c.at - completed_at.at(prev->id)) / 30.0);
    }
    chain.push_back(&c);
  }
  CHECK(growth_errors == 0);
  CHECK(sessions > 4000);
  const auto exp1 = [](double x) { return 1.0 - std::exp(-x); };
  CHECK(ks_statistic(think, exp1) < ks_critical_001(think.size()));
  CHECK(ks_statistic(session_gaps, exp1) < ks_critical_001(session_gaps.size()));

  // The context cap clamps the input: 100, 250, then 300 and 300.
  const Scenario capped = load_text(yaml, {"workload.classes.0.arrival.max_context_tokens=300"});
  Harness hc(capped, 4, 6 * kHour);
  hc.run();
  const std::vector<std::uint32_t> expected{100, 250, 300, 300};
  std::map<std::uint32_t, std::size_t> turn_of;  // by source tag: the next turn's index
  std::size_t cap_errors = 0, full_sessions = 0;
  for (const auto& c : hc.created) {
    std::size_t& turn = turn_of[c.source_tag];
    if (c.input_tokens == 100) turn = 0;
    cap_errors += turn >= 4 || c.input_tokens != expected[std::min<std::size_t>(turn, 3)];
    full_sessions += turn == 3;
    ++turn;
  }
  CHECK(cap_errors == 0);
  CHECK(full_sessions > 300);
}

TEST_CASE("a closed-loop user never has more than k requests outstanding", "[workload][arrivals]") {
  const Scenario s = load_text(one_class("1d", R"(
    - name: agents
      users: 20
      arrival: {type: closed_loop, loops: 3, think_time: 2s, turns: {type: uniform, min: 1, max: 5}}
      input_tokens: {type: lognormal, median: 500, p90: 2000}
      output_tokens: 100
      client: {max_attempts: 3, backoff_base: 1s}
)"));
  Harness h(s, 9, 12 * kHour);
  h.latency = [](const Request& r) { return (1 + r.id % 7) * kSecond + r.input_tokens * kMillisecond; };
  h.policy = [](const Request& r, SimTime) {
    return r.id % 5 == 0 && r.attempts < 3 ? AdmissionDecision{false, 3 * kSecond, false, "rate"} : AdmissionDecision{};
  };
  h.run();
  for (const auto& u : h.users) {
    CHECK(u.max_outstanding == 3);
    CHECK(u.created > 1000);
  }
}

TEST_CASE("closed loops obey Little's law and slow down when latency rises", "[workload][arrivals]") {
  // X = N / (R + Z) for N = users * loops customers, mean response time R and mean think time Z: Little's law
  // applied to the whole closed loop (the interactive response time law; Lazowska et al., Quantitative System
  // Performance, 1984, chapter 3).
  const std::string yaml = R"(
duration: 12h
warmup: 1h
cluster: {replicas: 1, serving: {type: fixed, service_time: 2s, concurrency: 100000}}
workload:
  classes:
    - name: agents
      users: 50
      arrival: {type: closed_loop, loops: 2, think_time: 5s}
      input_tokens: 100
      output_tokens: 100
)";
  const auto measure = [&](const std::vector<std::string>& sets) {
    const Scenario s = load_text(yaml, sets);
    Simulation sim(s, 17);
    sim.run();
    const auto& lat = sim.metrics().latency_s.moments;
    const double x = static_cast<double>(lat.count()) / to_seconds(s.duration - s.warmup);
    return std::make_pair(x, lat.mean());
  };
  const auto [x_fast, r_fast] = measure({});
  CHECK(x_fast == Approx(100.0 / (r_fast + 5.0)).epsilon(0.02));
  CHECK(x_fast == Approx(100.0 / 7.0).epsilon(0.02));
  const auto [x_slow, r_slow] = measure({"cluster.serving.service_time=6s"});
  CHECK(x_slow == Approx(100.0 / (r_slow + 5.0)).epsilon(0.02));
  CHECK(x_slow < 0.7 * x_fast);
  // With queueing (20 servers for 100 loops) the latency includes the wait; the law still holds.
  const auto [x_queue, r_queue] = measure({"cluster.serving.concurrency=20"});
  CHECK(r_queue > 4.0);
  CHECK(x_queue == Approx(100.0 / (r_queue + 5.0)).epsilon(0.02));
  CHECK(x_queue == Approx(10.0).epsilon(0.02));  // the 20 servers are saturated: 20 / 2 s
}

TEST_CASE("agents on a schedule send only inside their window", "[workload][arrivals]") {
  const Scenario s = load_text(one_class("1w", R"(
    - name: office-agents
      users: 10
      arrival: {type: closed_loop, loops: 2, think_time: 10s, active_from: 9h, active_until: 17h,
                active_days: weekdays, utc_offset: 1h}
      input_tokens: 100
      output_tokens: 100
)"));
  Harness h(s, 2, kWeek);
  h.run();
  std::vector<std::size_t> per_day(7, 0);
  for (const auto& c : h.created) {
    const LocalTime lt = local_time(c.at, kHour);
    CHECK(lt.weekday() < 5);
    CHECK(lt.time_of_day >= 9 * kHour);
    CHECK(lt.time_of_day < 17 * kHour);
    ++per_day[static_cast<std::size_t>(lt.weekday())];
  }
  for (int d = 0; d < 5; ++d) CHECK(per_day[d] > 10000);
}

TEST_CASE("adding users or classes does not change another user's draws", "[workload][arrivals][streams]") {
  const auto scenario = [](const std::string& extra, int more) {
    const std::string n = std::to_string(more);
    return load_text("duration: 6h\n" + kCluster + "workload:\n  classes:\n" + extra +
                     "    - {name: open, users: " + std::to_string(5 + more) +
                     ", arrival: {type: diurnal, rate: 20/h}, input_tokens: {type: uniform, min: 1, max: 100}, "
                     "output_tokens: {type: lognormal, median: 100, p90: 300}}\n"
                     "    - {name: chat, users: " + std::to_string(3 + more) +
                     ", arrival: {type: sessions, rate: 4/h, turns: {type: uniform, min: 1, max: 5}, think_time: 20s}, "
                     "input_tokens: {type: uniform, min: 1, max: 100}, output_tokens: 50}\n"
                     "    - {name: agents, users: " + std::to_string(2 + more) +
                     ", arrival: {type: closed_loop, loops: 2, think_time: 30s}, "
                     "input_tokens: {type: uniform, min: 1, max: 100}, output_tokens: 20}\n");
  };
  const Scenario a = scenario("", 0);
  const Scenario b = scenario("    - {name: newcomers, users: 4, arrival: {type: poisson, rate: 1/min}, "
                              "input_tokens: 7, output_tokens: 7}\n", 3);
  Harness ha(a, 77, 6 * kHour), hb(b, 77, 6 * kHour);
  ha.run();
  hb.run();
  const auto ua = by_user(a, ha), ub = by_user(b, hb);
  REQUIRE(ua.size() == 10);
  for (const auto& [who, requests] : ua) {
    INFO(who.first << " user " << who.second);
    CHECK(requests.size() > 10);
    CHECK(requests == ub.at(who));
  }
}
