// Attribution of the bill to users (docs/attribution.md).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "../test_support.hpp"
#include "infercost/analysis/users.hpp"

using namespace infercost;
namespace fs = std::filesystem;

namespace {

double sum_costs(const Attribution& a, bool loaded) {
  double s = 0.0;
  for (const auto& u : a.users) s += loaded ? u.fully_loaded_usd : u.marginal_usd;
  return s;
}

}  // namespace

TEST_CASE("attribution: users plus unallocated equal the bill to the cent on every shipped scenario",
          "[analysis][attribution]") {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(test::repo_path("scenarios"))) {
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 8);
  for (const auto& f : files) {
    INFO(f.filename().string());
    const Scenario s = load_scenario(f.string(), {"duration=20m", "warmup=0"}, builtin_registries());
    Simulation sim(s, s.seed);
    const RunInfo info = sim.run();
    const Attribution& a = info.attribution;
    const double bill = info.power.bill.total_usd();
    CHECK(a.bill_usd == bill);
    CHECK(std::round((sum_costs(a, true) + a.fully_loaded_unallocated_usd) * 100) == std::round(bill * 100));
    CHECK(std::round((sum_costs(a, false) + a.marginal_unallocated_usd) * 100) == std::round(bill * 100));
    CHECK(std::fabs(sum_costs(a, true) + a.fully_loaded_unallocated_usd - bill) <= 1e-9 * std::max(1.0, bill));
    // GPU energy seen by the attribution (users + idle) is the power meter's GPU energy.
    CHECK(sim.attribution().total_energy_j() ==
          Approx(info.power.energy_gpu_kwh * kJoulesPerKwh).epsilon(1e-9).margin(1e-6));
    if (sim.metrics().completed > 0) CHECK(sim.attribution().attributed_gpu_s() > 0);
  }
}

TEST_CASE("attribution: a hand-built two-user case", "[analysis][attribution]") {
  // Two users, one replica of one GPU serving two requests at once for 10 s each. Both send at t = 0
  // (they share [0, 10 s) equally); user 1 sends again at t = 20 s (alone for [20, 30 s)). So user 0 has
  // 5 GPU-s, user 1 has 5 + 10 = 15 GPU-s, and the fully loaded rest of the bill splits 1 : 3.
  const auto dir = test::temp_dir("attribution-hand");
  std::ofstream(dir / "trace.csv") << "time_s,user,input_tokens,output_tokens\n0,a,10,10\n0,b,10,10\n20,b,10,10\n";
  std::ofstream(dir / "s.yaml") << "name: hand\nduration: 100s\n"
                                   "cluster: {replicas: 1, serving: {type: fixed, service_time: 10s, concurrency: 2}}\n"
                                   "plans: [{name: p, price_usd_per_month: 30}]\n"
                                   "workload:\n  classes:\n"
                                   "    - {name: t, users: 2, arrival: {type: trace, file: trace.csv}}\n";
  const Scenario s = load_scenario((dir / "s.yaml").string(), {}, builtin_registries());
  Simulation sim(s, 1);
  const RunInfo info = sim.run();
  REQUIRE(sim.metrics().completed == 3);
  const auto& usage = sim.attribution().usage();
  CHECK(usage[0].gpu_s == Approx(5.0).epsilon(1e-12));
  CHECK(usage[1].gpu_s == Approx(15.0).epsilon(1e-12));
  // User 1's energy is user 0's plus the energy of [20, 30 s) with one of two servers busy.
  CHECK(usage[1].energy_j > usage[0].energy_j);

  const Attribution& a = info.attribution;
  const double bill = info.power.bill.total_usd();
  const double usd_per_j = info.power.bill.energy_it_usd / (info.power.energy_it_kwh * kJoulesPerKwh);
  CHECK(a.users[0].marginal_usd == Approx(usage[0].energy_j * usd_per_j).epsilon(1e-12));
  CHECK(a.users[1].marginal_usd == Approx(usage[1].energy_j * usd_per_j).epsilon(1e-12));
  const double rest = bill - a.users[0].marginal_usd - a.users[1].marginal_usd;
  CHECK(a.users[0].fully_loaded_usd == Approx(a.users[0].marginal_usd + rest * 0.25).epsilon(1e-12));
  CHECK(a.users[1].fully_loaded_usd == Approx(a.users[1].marginal_usd + rest * 0.75).epsilon(1e-12));
  CHECK(a.fully_loaded_unallocated_usd == Approx(0.0).margin(1e-9));

  // users.csv carries the same numbers; revenue is the price prorated to 100 s.
  const CsvTable users = users_table(s, sim.metrics(), info, sim.attribution());
  REQUIRE(users.rows() == 2);
  const double revenue = 30.0 * 100.0 / kMonthSeconds;
  CHECK(std::get<double>(users.data()[1][13]) == Approx(revenue));
  CHECK(std::get<double>(users.data()[1][14]) == Approx(revenue - a.users[1].fully_loaded_usd));
  // What a run writes (row by row) is the table's text.
  CHECK(users_csv(s, sim.metrics(), info, sim.attribution()) == users.to_string());
}
