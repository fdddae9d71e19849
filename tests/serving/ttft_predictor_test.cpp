#include "infercost/serving/ttft_predictor.hpp"

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include "infercost/core/simulation.hpp"
#include "infercost/io/errors.hpp"
#include "replica_harness.hpp"

using namespace infercost;
using infercost::testing::ReplicaHarness;

namespace {

std::string scenario(const std::string& serving, const std::string& policy_lines = "") {
  return fmt::format(
      "name: ttft\nseed: 9\nduration: 5m\ncluster:\n  replicas: 2\n  router: {{type: least_outstanding}}\n"
      "  serving: {}\nplans:\n  - {{name: low, price_usd_per_month: 0}}\n  - {{name: high, price_usd_per_month: 10}}\n"
      "workload:\n  classes:\n"
      "    - {{name: a, users: 20, plan: low, arrival: {{type: poisson, rate: 1/s}}, input_tokens: {{type: constant, "
      "value: 2000}}, output_tokens: {{type: constant, value: 100}}}}\n"
      "    - {{name: b, users: 20, plan: high, arrival: {{type: poisson, rate: 1/s}}, input_tokens: {{type: constant, "
      "value: 2000}}, output_tokens: {{type: constant, value: 100}}}}\n{}",
      serving, policy_lines);
}

const char* kCb = "{type: continuous_batching, gpu: H100-SXM5-80GB, model: Llama-3.1-8B, max_num_seqs: 64}";

/// A harness whose submissions record the replica's prediction just before submitting.
struct Predicted {
  SimTime predicted = 0, actual = 0;
};

}  // namespace

TEST_CASE("predicted TTFT on an idle replica is its prefill time; behind a backlog it tracks the real wait",
          "[serving][ttft]") {
  ReplicaHarness h(scenario(kCb));
  h.build();
  Request& first = h.make(0, 0, 3000, 20);
  CHECK(h.replica->predicted_ttft(first, 0) > 0);
  const SimTime alone = h.replica->predicted_ttft(first, 0);
  h.submit_at(first, 0);
  h.engine.run_until(kHour);
  CHECK(first.first_token_at - first.submitted_at == alone);

  // 40 prompts of 3000 tokens arrive together; predict for a 41st arriving after them, then submit it.
  ReplicaHarness b(scenario(kCb));
  b.build();
  for (int i = 0; i < 40; ++i) b.submit_at(b.make(0, 0, 3000, 20), 0);
  Request& last = b.make(1, 1, 3000, 20);
  SimTime predicted = 0;
  struct Probe final : EventHandler {
    ReplicaHarness* h;
    Request* r;
    SimTime* out;
    Probe(ReplicaHarness* harness, Request* request, SimTime* o) : h(harness), r(request), out(o) {}
    void on_event(Engine& e, std::uint32_t, std::uint64_t) override {
      *out = h->replica->predicted_ttft(*r, e.now());
      r->submitted_at = e.now();
      h->replica->submit(*r);
    }
  } probe(&b, &last, &predicted);
  b.engine.schedule_at(1, probe, 0, 0);
  b.engine.run_until(kHour);
  const double actual_s = to_seconds(last.first_token_at - last.submitted_at);
  INFO("predicted " << to_seconds(predicted) << " s, actual " << actual_s << " s");
  CHECK(actual_s > 5 * to_seconds(alone));
  CHECK(to_seconds(predicted) == Approx(actual_s).epsilon(0.25));
}

TEST_CASE("load shedding on predicted TTFT sheds the lowest plan first, end to end", "[serving][ttft][policy]") {
  const Registries reg = builtin_registries();
  const std::string shed =
      "policy: shed\npolicies:\n  shed:\n    global:\n"
      "      - {type: load_shedding, signal: predicted_ttft, thresholds: {low: 2s}}\n";
  const Scenario s = load_scenario_text(scenario(kCb, shed), "ttft.yaml", {}, reg);
  Simulation sim(s, s.seed);
  sim.run();
  std::uint64_t rejected[2] = {0, 0}, completed[2] = {0, 0};
  for (std::uint32_t u = 0; u < 40; ++u) {
    rejected[u / 20] += sim.metrics().users[u].throttled;  // refused submissions (clients may retry)
    completed[u / 20] += sim.metrics().users[u].completed;
  }
  INFO("low: " << completed[0] << " completed, " << rejected[0] << " rejected; high: " << completed[1] << ", "
               << rejected[1]);
  CHECK(rejected[0] > 0);
  CHECK(rejected[1] == 0);
  CHECK(completed[0] > 0);
  // Without shedding the same load backs up far past the threshold.
  const Scenario open = load_scenario_text(scenario(kCb), "ttft.yaml", {}, reg);
  Simulation free_run(open, open.seed);
  free_run.run();
  CHECK(free_run.metrics().ttft_s.moments.mean() > 2.0);
  CHECK(sim.metrics().ttft_s.moments.mean() < free_run.metrics().ttft_s.moments.mean());
  // The fixed model predicts nothing: the run refuses to start.
  CHECK_THROWS_AS(Simulation(load_scenario_text(scenario("{type: fixed, service_time: 1s}", shed), "ttft.yaml", {}, reg), 1),
                  ConfigError);
}
