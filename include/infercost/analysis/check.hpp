#pragma once
// Regression checks: a run's summary.csv (and event fingerprint) against a committed baseline file
// (tests/baselines/*.yaml; format in docs/performance.md, "Regression baselines").
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace infercost {

/// An expected run: summary values as text, tolerances, optional fingerprint, and how to reproduce it.
struct Baseline {
  std::string scenario;                          ///< scenario file the run came from (repository-relative)
  std::vector<std::string> run_args;             ///< extra `infercost run` arguments that reproduce it
  double default_relative_tolerance = 1e-9;      ///< for non-integer columns without their own
  std::map<std::string, double> relative_tolerance;  ///< per-column overrides (integers too, when listed)
  std::optional<std::string> event_fingerprint;  ///< 16 hex digits; compared exactly when present
  std::vector<std::pair<std::string, std::string>> summary;  ///< column -> expected text, in file order
};

/// A run's outputs as the check reads them.
struct RunOutputs {
  std::vector<std::pair<std::string, std::string>> summary;  ///< column -> text of the one row
  std::optional<std::string> event_fingerprint;              ///< from run.json, when present
  std::string scenario_file;                                 ///< from run.json, when present
};

/// One mismatch.
struct CheckDifference {
  std::string column;    ///< a summary column, or "event_fingerprint"
  std::string expected;
  std::string actual;
  std::string rule;      ///< why it fails, e.g. "relative difference 1.2e-3 > 1e-9"
};

/// The outcome of comparing a run with a baseline.
struct CheckResult {
  std::size_t compared = 0;                ///< columns (and fingerprint) compared
  std::vector<CheckDifference> differences;
  std::vector<std::string> new_columns;    ///< in the run but not in the baseline (reported, not failed)
  bool ok() const { return differences.empty(); }
};

/// Reads a baseline file; throws ConfigError (file:line:column) when malformed.
Baseline read_baseline(const std::filesystem::path& file);
/// Reads OUT_DIR/summary.csv (one row) and OUT_DIR/run.json; throws ConfigError when missing or malformed.
RunOutputs read_run_outputs(const std::filesystem::path& out_dir);
/// Compares: integers (text of both integral) exactly unless the column has a tolerance; other numbers
/// within the relative tolerance; text exactly; the fingerprint exactly when the baseline has one.
CheckResult check_run(const RunOutputs& run, const Baseline& baseline);
/// A fixed-width table of the differences (and a note on new columns), for the terminal.
std::string format_check_report(const CheckResult& result, const std::string& baseline_name);
/// A baseline for `run`, keeping scenario, run_args and tolerances of `previous` when given (else the
/// scenario is run.json's scenario_file).
std::string baseline_yaml(const RunOutputs& run, const std::optional<Baseline>& previous, bool with_fingerprint);

}  // namespace infercost
