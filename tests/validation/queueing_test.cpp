// Queueing-theory validation of the engine and the fixed serving model.
#include <catch2/catch.hpp>

#include <cmath>

#include "../test_support.hpp"

using namespace infercost;

namespace {

double mean_wait_s(const Scenario& s) {
  Simulation sim(s, s.seed);
  sim.run();
  return sim.metrics().queue_wait_s.mean();
}

/// Erlang C: probability that an arrival waits in an M/M/c queue with offered load a = lambda/mu.
double erlang_c(int c, double a) {
  double sum = 0, term = 1;
  for (int k = 0; k < c; ++k) {
    if (k > 0) term *= a / k;
    sum += term;
  }
  const double last = term * a / c / (1.0 - a / c);
  return last / (sum + last);
}

}  // namespace

TEST_CASE("M/D/1 mean waiting time matches Pollaczek-Khinchine within 3%", "[validation][queueing]") {
  // Wq = rho * D / (2 (1 - rho)) with rho = lambda D (Kleinrock, Queueing Systems Vol. 1, eq. 5.73).
  const Scenario s = test::load("scenarios/md1.yaml", {"duration=20d"});
  const double lambda = 0.8, d = 1.0, rho = lambda * d;
  const double expected = rho * d / (2.0 * (1.0 - rho));
  CHECK(mean_wait_s(s) == Approx(expected).epsilon(0.03));
}

TEST_CASE("M/M/c mean waiting time matches Erlang C within 3%", "[validation][queueing]") {
  // Wq = C(c, a) / (c mu - lambda) (Kleinrock Vol. 1, eq. 3.40 and 3.43).
  const Scenario s = test::load("scenarios/mmc.yaml", {"duration=20d"});
  const int c = 4;
  const double lambda = 3.0, mu = 1.0;
  const double expected = erlang_c(c, lambda / mu) / (c * mu - lambda);
  CHECK(erlang_c(4, 3.0) == Approx(0.5094).epsilon(0.001));
  CHECK(mean_wait_s(s) == Approx(expected).epsilon(0.03));
}

TEST_CASE("M/M/1 mean waiting time matches rho / (mu - lambda) within 3%", "[validation][queueing]") {
  const Scenario s = test::load("scenarios/mmc.yaml", {"duration=20d", "cluster.serving.concurrency=1",
                                                       "workload.classes.0.arrival.rate=0.02/s"});
  const double lambda = 0.6, mu = 1.0;
  CHECK(mean_wait_s(s) == Approx((lambda / mu) / (mu - lambda)).epsilon(0.03));
}

TEST_CASE("utilization equals the offered load", "[validation][queueing]") {
  const Scenario s = test::load("scenarios/md1.yaml", {"duration=10d"});
  Simulation sim(s, s.seed);
  const RunInfo info = sim.run();
  const double util = sim.metrics().replicas[0].busy_s / to_seconds(info.end_time);
  CHECK(util == Approx(0.8).epsilon(0.01));
}
