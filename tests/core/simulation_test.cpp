#include <catch2/catch.hpp>

#include "../test_support.hpp"

using namespace infercost;

TEST_CASE("same seed gives byte-identical outputs; another seed differs", "[core][determinism]") {
  const Scenario s = test::load("scenarios/mmc.yaml", {"duration=2h", "warmup=0"});
  auto run_to = [&](std::uint64_t seed, const std::string& name) {
    Simulation sim(s, seed);
    const RunInfo info = sim.run();
    const auto dir = test::temp_dir(name);
    write_run_outputs(dir, s, sim, info);
    return std::make_pair(test::read_file(dir / "summary.csv"), info.fingerprint);
  };
  const auto a = run_to(5, "det-a"), b = run_to(5, "det-b"), c = run_to(6, "det-c");
  CHECK(a.first == b.first);
  CHECK(a.second == b.second);
  CHECK(a.first != c.first);
  CHECK(a.second != c.second);
}

TEST_CASE("every request is completed, rejected, abandoned or still in flight", "[core][conservation]") {
  const Scenario s = test::load("scenarios/mmc.yaml", {"duration=1h", "warmup=0", "workload.classes.0.arrival.rate=0.2/s"});
  Simulation sim(s, 3);
  const RunInfo info = sim.run();
  const Metrics& m = sim.metrics();
  CHECK(m.submitted > 0);
  CHECK(info.in_flight > 0);  // overloaded (rho = 1.5): a queue remains at the end
  CHECK(m.submitted == m.completed + m.rejected + m.abandoned + info.in_flight);
  std::uint64_t per_user = 0;
  for (const auto& u : m.users) per_user += u.submitted - u.completed - u.rejected - u.abandoned;
  CHECK(per_user == info.in_flight);
}

TEST_CASE("adding a user class does not change the arrivals of another", "[core][streams]") {
  const Scenario one = test::load("scenarios/md1.yaml", {"duration=1h", "warmup=0"});
  const std::string extra =
      "workload.classes=[{name: clients, users: 1, arrival: {type: poisson, rate: 0.8/s}, input_tokens: 100, "
      "output_tokens: 100}, {name: extra, users: 5, arrival: {type: poisson, rate: 0.01/s}, input_tokens: 10, "
      "output_tokens: 10}]";
  const Scenario two = test::load("scenarios/md1.yaml", {"duration=1h", "warmup=0", extra});
  Simulation a(one, 1), b(two, 1);
  a.run();
  b.run();
  CHECK(a.metrics().users[0].submitted == b.metrics().users[0].submitted);
  CHECK(b.metrics().users.size() == 6);
}

TEST_CASE("a run with warmup excludes early requests from latency statistics only", "[core]") {
  const Scenario s = test::load("scenarios/md1.yaml", {"duration=2h", "warmup=1h"});
  Simulation sim(s, 1);
  sim.run();
  CHECK(sim.metrics().latency_s.moments.count() < sim.metrics().completed);
  CHECK(sim.metrics().latency_s.moments.count() > sim.metrics().completed / 3);
}

TEST_CASE("SLO attainment counts completed requests meeting each target", "[core][slo]") {
  // No queueing (many servers), first token exactly 0.5 s and completion exactly 1 s after creation.
  const std::vector<std::string> base = {"duration=1h", "warmup=0", "cluster.serving.concurrency=1000",
                                         "cluster.serving.first_token_delay=500ms"};
  auto run = [&](std::vector<std::string> extra) {
    auto sets = base;
    sets.insert(sets.end(), extra.begin(), extra.end());
    const Scenario s = test::load("scenarios/md1.yaml", sets);
    Simulation sim(s, 1);
    sim.run();
    return sim.metrics();
  };
  const Metrics met = run({"slo.ttft=500ms", "slo.latency=1s"});
  CHECK(met.completed > 1000);
  CHECK(met.slo_ttft_met == met.latency_s.moments.count());
  CHECK(met.slo_latency_met == met.latency_s.moments.count());
  CHECK(met.slo_all_met == met.latency_s.moments.count());
  const Metrics missed = run({"slo.ttft=499ms"});
  CHECK(missed.slo_ttft_met == 0);
  CHECK(missed.slo_all_met == 0);
  CHECK(missed.slo_latency_met == missed.latency_s.moments.count());  // no latency target: always met
}
