#pragma once
// Policy comparison: runs one scenario under several policy sets with the same seed (hence the same
// arrivals) and tabulates each run in one row of compare.csv, plus per-plan rows in compare_plans.csv
// (columns in docs/models-policy.md, "Comparison"). Runs may execute on several threads; rows are kept in the
// order of the sets, and nothing in them depends on the thread count (no wall-clock values).
#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "infercost/analysis/users.hpp"
#include "infercost/core/simulation.hpp"
#include "infercost/io/output.hpp"

namespace infercost {

/// What to compare and how.
struct CompareOptions {
  std::vector<std::string> policies;   ///< names of policy sets; empty: every set of the scenario
  unsigned jobs = 1;                   ///< runs executed at once (threads)
  std::optional<std::uint64_t> seed;   ///< overrides the scenario's seed
};

/// The comparison's tables.
struct CompareResult {
  CsvTable runs;   ///< compare.csv: one row per policy set
  CsvTable plans;  ///< compare_plans.csv: one row per (policy set, plan)
};

/// Energy and cost of a finished run; NaN (printed empty) while no power or cost model is wired.
struct RunCosts {
  double energy_kwh = std::numeric_limits<double>::quiet_NaN();
  double cost_usd = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> cost_usd_by_user;  ///< empty while per-user attribution is unavailable
};

/// The run's energy and cost (the power and cost models fill this in).
RunCosts run_costs(const Scenario& scenario, const Simulation& sim, const RunInfo& info);

/// Resolves policy set names (all sets when `names` is empty); throws ConfigError naming the known sets.
std::vector<const NamedPolicyConfig*> select_policy_sets(const Scenario& scenario,
                                                         const std::vector<std::string>& names);

/// An empty compare.csv / compare_plans.csv table (the headers).
CsvTable compare_runs_table();
CsvTable compare_plans_table();
/// Appends the rows of one finished run under policy set `policy`.
void add_compare_rows(CsvTable& runs, CsvTable& plans, const std::string& policy, const Scenario& scenario,
                      const Simulation& sim, const RunInfo& info);

/// Runs the scenario once under policy set `set` with `seed` and appends that run's rows (compare and sweep
/// share it, so their rows cannot drift apart).
void run_policy_set(const Scenario& scenario, const NamedPolicyConfig& set, std::uint64_t seed, CsvTable& runs,
                    CsvTable& plans);

/// Runs every selected set and returns the tables.
CompareResult compare_policies(const Scenario& scenario, const CompareOptions& options);

/// Writes compare.csv and compare_plans.csv into `dir` (each atomically, both rendered first).
void write_compare_outputs(const std::filesystem::path& dir, const CompareResult& result);


}  // namespace infercost
