#pragma once
// Per-user, per-plan and per-class results: counts, attributed GPU-time, energy and cost, revenue and margin
// (users.csv, plans.csv, classes.csv; columns in docs/outputs.md, attribution rule in docs/attribution.md).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "infercost/analysis/metrics.hpp"
#include "infercost/core/simulation.hpp"
#include "infercost/io/output.hpp"

namespace infercost {

/// Served share of one user's finished demand: completed / (completed + rejected + abandoned); none if nothing
/// finished.
std::optional<double> served_share(const UserCounters& u);

/// Jain's fairness index (sum x)^2 / (n sum x^2) of non-negative values (Jain, Chiu, Hawe, DEC-TR-301, 1984);
/// NaN when empty or all zero.
double jain_index(const std::vector<double>& values);

/// Tallies over a set of users.
struct UserTally {
  std::uint64_t users = 0, submitted = 0, completed = 0, rejected = 0, abandoned = 0, active = 0, throttled = 0;
  std::vector<double> shares;  ///< served_share of each user with finished demand

  void add(const UserCounters& u);
  /// Share of users with any request who were throttled at least once.
  double throttled_share() const;
  /// completed / (completed + rejected + abandoned) over the set.
  double served() const;
};

/// A plan's price prorated to a simulated duration: price x duration / (365.25/12 days), USD.
double prorated_revenue_usd(double price_usd_per_month, SimTime duration);

/// users.csv: one row per user.
CsvTable users_table(const Scenario& scenario, const Metrics& metrics, const RunInfo& info, const CostAttribution& usage);
/// users.csv as text, written row by row (what the run writes: a million users' cells would take 640 MB).
std::string users_csv(const Scenario& scenario, const Metrics& metrics, const RunInfo& info,
                      const CostAttribution& usage);
std::string users_csv(const Scenario& scenario, const Metrics& metrics, const RunInfo& info,
                      const std::vector<UserUsage>& usage);
/// plans.csv: one row per plan (distribution of cost per user, share of users who cost more than they pay).
CsvTable plans_table(const Scenario& scenario, const Metrics& metrics, const RunInfo& info, const CostAttribution& usage);
/// classes.csv: one row per user class.
CsvTable classes_table(const Scenario& scenario, const Metrics& metrics, const RunInfo& info,
                       const CostAttribution& usage);
/// The same tables from per-user usage already summed (federated runs merge it over sites).
CsvTable users_table(const Scenario& scenario, const Metrics& metrics, const RunInfo& info,
                     const std::vector<UserUsage>& usage);
CsvTable plans_table(const Scenario& scenario, const Metrics& metrics, const RunInfo& info,
                     const std::vector<UserUsage>& usage);
CsvTable classes_table(const Scenario& scenario, const Metrics& metrics, const RunInfo& info,
                       const std::vector<UserUsage>& usage);

}  // namespace infercost
