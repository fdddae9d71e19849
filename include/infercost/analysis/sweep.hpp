#pragma once
// Parameter sweeps: one scenario run at many points (values of scenario keys, as `--set` would apply them),
// tabulated in sweep.csv with the columns of compare.csv plus the swept keys (docs/sweeps.md). A point's rows
// are rendered to text by the process that ran it, so threads and MPI ranks produce the same bytes; the
// final file lists points in index order whatever order they finished in.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "infercost/core/registries.hpp"

namespace infercost {

/// One `--grid key.path=v1,v2,...` axis.
struct SweepAxis {
  std::string key;
  std::vector<std::string> values;
};

/// What to sweep: the scenario, the swept keys and their points, and how each point runs.
struct SweepSpec {
  std::string file;                                ///< scenario YAML file
  std::vector<std::string> keys;                   ///< swept key paths (leading columns of sweep.csv)
  std::vector<std::vector<std::string>> points;    ///< one value per key for each point, in point order
  std::vector<std::string> overrides;              ///< `--set` assignments applied before each point's own
  std::vector<std::string> policies;               ///< policy sets per point; empty: the active set only
  std::optional<std::uint64_t> seed;               ///< overrides every point's scenario seed
  unsigned replicas = 1;                           ///< runs per point with derived seeds (means and CIs when > 1)
};

/// How a sweep executes (none of it changes sweep.csv).
struct SweepRunOptions {
  unsigned jobs = 1;                    ///< points at once (threads)
  std::filesystem::path dir;            ///< output folder (sweep.csv, sweep.csv.partial)
  bool resume = false;                  ///< reuse rows of an earlier run of the same sweep found in `dir`
  /// Called after each point with (points done, points in total); serialized, from any thread.
  std::function<void(std::size_t, std::size_t)> progress;
};

/// "a,b,,c" -> {a, b, c}: a comma-separated list, empty items dropped.
std::vector<std::string> split_list(const std::string& text);
/// Parses "key.path=v1,v2,..." (throws ConfigError on a missing '=' or an empty value list).
SweepAxis parse_grid_axis(const std::string& text);
/// The cartesian product of the axes: the first axis varies slowest, the last fastest.
std::vector<std::vector<std::string>> grid_points(const std::vector<SweepAxis>& axes);
/// Reads a points CSV: its header names the keys, each data row is one point.
void read_points_csv(const std::filesystem::path& path, std::vector<std::string>& keys,
                     std::vector<std::vector<std::string>>& points);

/// Throws ConfigError when a key is swept twice.
void check_sweep_keys(const SweepSpec& spec);

/// The seed of replica `k` (0-based) of a point whose own seed is `base`: the first draw of
/// StreamFactory(base).stream("replica-seed", k); with one replica the point runs with `base` itself.
std::uint64_t replica_seed(std::uint64_t base, unsigned k);
/// The two-sided 95% Student t critical value t_{0.975, dof} (dof >= 1).
double student_t_975(unsigned dof);

/// The header of sweep.csv (and of its journal) for this spec.
std::vector<std::string> sweep_header(const SweepSpec& spec);
/// Rows of sweep.csv per point: one per policy set asked for (one when none is).
std::size_t sweep_rows_per_point(const SweepSpec& spec);
/// Runs point `index` and renders its rows as CSV text (each row one line, '\n'-terminated). Never throws for
/// a bad point or a failed run: its rows carry the message in the `error` column and empty metrics.
std::string run_sweep_point(const SweepSpec& spec, const Registries& registries, std::size_t index);

/// Rows of points already done, from sweep.csv and sweep.csv.partial in `dir` (point index -> its rows'
/// text); a row counts only when its header, point index and key values match `spec`, and a point only when
/// all its rows are there and complete.
std::map<std::size_t, std::string> read_completed_points(const SweepSpec& spec, const std::filesystem::path& dir);

/// Indices of the points not in `done`, in order.
std::vector<std::size_t> pending_points(const SweepSpec& spec, const std::map<std::size_t, std::string>& done);

/// Appends points' rows to DIR/sweep.csv.partial as they finish (flushed per point), so a killed sweep can
/// resume. Not thread-safe: callers serialize.
class SweepJournal {
 public:
  /// Starts the journal: rewritten with the header and `done`'s rows (those kept from before, if resuming).
  SweepJournal(const SweepSpec& spec, const std::filesystem::path& dir, const std::map<std::size_t, std::string>& done);
  ~SweepJournal();
  SweepJournal(const SweepJournal&) = delete;
  SweepJournal& operator=(const SweepJournal&) = delete;
  void append(const std::string& rows);
  /// Writes sweep.csv atomically (header, then every point's rows in index order) and removes the journal.
  void finish(const std::map<std::size_t, std::string>& rows_by_point);

 private:
  std::string header_line_;
  std::filesystem::path dir_;
  std::FILE* file_ = nullptr;
};

/// Runs every point not already done (with options.resume) on options.jobs threads and writes DIR/sweep.csv.
/// Returns the number of points run now.
std::size_t run_sweep(const SweepSpec& spec, const SweepRunOptions& options);

}  // namespace infercost
