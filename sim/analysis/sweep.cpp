// Parameter sweeps (sweep.hpp): points -> scenario overrides -> runs -> rows of compare.csv's columns.
// Columns, seeds, confidence intervals and the resume rule: docs/sweeps.md.
#include "infercost/analysis/sweep.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <fstream>
#include <limits>
#include <mutex>
#include <numbers>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "infercost/core/parallel.hpp"
#include "infercost/core/scenario.hpp"
#include "infercost/engine/random.hpp"
#include "infercost/io/csv_reader.hpp"
#include "infercost/io/errors.hpp"
#include "infercost/io/output.hpp"
#include "infercost/policy/compare.hpp"

namespace infercost {
namespace {

namespace fs = std::filesystem;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr const char* kJournalName = "sweep.csv.partial";

/// compare.csv columns that identify a run rather than measure it: not averaged over replicas.
bool is_identity_column(const std::string& name) {
  return name == "policy" || name == "scenario" || name == "seed" || name == "event_fingerprint";
}

/// Cells go one row per line (the journal is read line by line): line breaks in text become spaces.
std::string one_line(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  std::replace(s.begin(), s.end(), '\r', ' ');
  return s;
}

std::string render_line(const std::vector<CsvCell>& cells) {
  std::string out;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (i) out += ',';
    out += format_csv_cell(cells[i]);
  }
  out += '\n';
  return out;
}

std::string header_line(const SweepSpec& spec) {
  std::vector<CsvCell> cells;
  for (const auto& h : sweep_header(spec)) cells.emplace_back(h);
  return render_line(cells);
}

double as_double(const CsvCell& cell) {
  if (const auto* d = std::get_if<double>(&cell)) return *d;
  if (const auto* i = std::get_if<std::int64_t>(&cell)) return static_cast<double>(*i);
  return kNaN;
}

/// P(|T| <= t) for Student's t with integer dof (Abramowitz & Stegun 26.7.3-26.7.4, finite series).
double student_t_two_sided_cdf(double t, unsigned dof) {
  const double theta = std::atan(t / std::sqrt(static_cast<double>(dof)));
  const double c2 = std::cos(theta) * std::cos(theta);
  const double s = std::sin(theta);
  if (dof % 2 == 1) {
    if (dof == 1) return 2.0 * theta / std::numbers::pi;
    double term = std::cos(theta), sum = term;  // cos, (2/3) cos^3, (2*4)/(3*5) cos^5, ... up to cos^(dof-2)
    for (unsigned k = 3; k <= dof - 2; k += 2) {
      term *= c2 * static_cast<double>(k - 1) / static_cast<double>(k);
      sum += term;
    }
    return 2.0 / std::numbers::pi * (theta + s * sum);
  }
  double term = 1.0, sum = 1.0;  // 1, (1/2) cos^2, (1*3)/(2*4) cos^4, ... up to cos^(dof-2)
  for (unsigned k = 2; k <= dof - 2; k += 2) {
    term *= c2 * static_cast<double>(k - 1) / static_cast<double>(k);
    sum += term;
  }
  return s * sum;
}

/// An exception's message; never empty, since an empty `error` cell means success.
std::string message_of(const std::exception& e) {
  const std::string what = e.what();
  return what.empty() ? "the run failed (no message)" : what;
}

/// The runs of one point under one policy set: compare.csv rows, one per replica.
struct SetRuns {
  std::string policy;
  std::vector<std::vector<CsvCell>> rows;
  std::string error;
};

}  // namespace

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : text + ",") {
    if (c != ',') {
      cur += c;
    } else if (!cur.empty()) {
      out.push_back(cur);
      cur.clear();
    }
  }
  return out;
}

std::vector<std::size_t> pending_points(const SweepSpec& spec, const std::map<std::size_t, std::string>& done) {
  std::vector<std::size_t> pending;
  for (std::size_t i = 0; i < spec.points.size(); ++i) {
    if (!done.count(i)) pending.push_back(i);
  }
  return pending;
}

SweepAxis parse_grid_axis(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) throw ConfigError(fmt::format("--grid {}: expected key.path=v1,v2,...", text));
  SweepAxis axis{text.substr(0, eq), split_list(text.substr(eq + 1))};
  if (axis.values.empty()) throw ConfigError(fmt::format("--grid {}: no values after '='", text));
  return axis;
}

std::vector<std::vector<std::string>> grid_points(const std::vector<SweepAxis>& axes) {
  std::vector<std::vector<std::string>> points{{}};
  for (const auto& axis : axes) {
    std::vector<std::vector<std::string>> next;
    for (const auto& p : points) {
      for (const auto& v : axis.values) {
        next.push_back(p);
        next.back().push_back(v);
      }
    }
    points = std::move(next);
  }
  return points;
}

void read_points_csv(const fs::path& path, std::vector<std::string>& keys,
                     std::vector<std::vector<std::string>>& points) {
  const CsvDocument doc = CsvDocument::read(path);
  for (const auto& k : doc.header()) {
    if (k.empty()) throw CsvError(fmt::format("{}: a column of the header has no name (expected key paths)", path.string()));
    keys.push_back(k);
  }
  for (std::size_t r = 0; r < doc.rows(); ++r) {
    std::vector<std::string> p;
    for (std::size_t c = 0; c < doc.columns(); ++c) p.push_back(doc.text(r, c));
    points.push_back(std::move(p));
  }
}

void check_sweep_keys(const SweepSpec& spec) {
  for (std::size_t i = 0; i < spec.keys.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (spec.keys[i] == spec.keys[j]) throw ConfigError(fmt::format("sweep: key '{}' is swept twice", spec.keys[i]));
    }
  }
}

std::uint64_t replica_seed(std::uint64_t base, unsigned k) {
  return StreamFactory(base).stream("replica-seed", k).next_u64();
}

double student_t_975(unsigned dof) {
  if (dof == 0) return kNaN;
  // Bisection on the exact two-sided CDF: 200 halvings of [0, 1e3] reach the last bit of a double.
  double lo = 0.0, hi = 1e3;
  for (int i = 0; i < 200 && hi - lo > 0; ++i) {
    const double mid = 0.5 * (lo + hi);
    if (mid == lo || mid == hi) break;
    (student_t_two_sided_cdf(mid, dof) < 0.95 ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

std::vector<std::string> sweep_header(const SweepSpec& spec) {
  std::vector<std::string> h{"point"};
  const CsvTable compare = compare_runs_table();
  const auto& results = compare.header();
  for (const auto& key : spec.keys) {
    // A key named like a result column (`seed`) gets a prefix, so that no two columns share a name.
    const bool clash = key == "point" || key == "replicas" || key == "error" ||
                       std::find(results.begin(), results.end(), key) != results.end();
    h.push_back(clash ? "swept." + key : key);
  }
  for (const auto& c : results) {
    if (spec.replicas <= 1 || is_identity_column(c)) {
      h.push_back(c);
      if (c == "seed" && spec.replicas > 1) h.push_back("replicas");
    } else {
      h.push_back(c);
      h.push_back(c + "_ci95");
    }
  }
  h.push_back("error");
  return h;
}

std::size_t sweep_rows_per_point(const SweepSpec& spec) { return std::max<std::size_t>(1, spec.policies.size()); }

std::string run_sweep_point(const SweepSpec& spec, const Registries& registries, std::size_t index) {
  const std::vector<std::string>& values = spec.points.at(index);
  const unsigned replicas = std::max(1u, spec.replicas);
  std::vector<SetRuns> sets;
  std::string scenario_name;
  std::uint64_t base_seed = 0;
  try {
    std::vector<std::string> overrides = spec.overrides;
    for (std::size_t k = 0; k < spec.keys.size(); ++k) overrides.push_back(spec.keys[k] + "=" + values.at(k));
    const Scenario scenario = load_scenario(spec.file, overrides, registries);
    scenario_name = scenario.name;
    base_seed = spec.seed.value_or(scenario.seed);
    std::vector<NamedPolicyConfig> chosen;
    if (spec.policies.empty()) {
      chosen.push_back({scenario.policy_name, scenario.policy});
    } else {
      for (const auto& name : spec.policies) {
        const auto it = std::find_if(scenario.policy_sets.begin(), scenario.policy_sets.end(),
                                     [&](const NamedPolicyConfig& s) { return s.name == name; });
        chosen.push_back(it == scenario.policy_sets.end() ? NamedPolicyConfig{name, nullptr} : *it);
      }
    }
    for (const auto& set : chosen) {
      SetRuns runs{set.name, {}, {}};
      if (!set.config) {
        runs.error = fmt::format("'{}' is not a policy set of {}", set.name, spec.file);
        sets.push_back(std::move(runs));
        continue;
      }
      try {
        for (unsigned k = 0; k < replicas; ++k) {
          CsvTable table = compare_runs_table();
          CsvTable plans = compare_plans_table();
          run_policy_set(scenario, set, replicas == 1 ? base_seed : replica_seed(base_seed, k), table, plans);
          runs.rows.push_back(table.data().front());
        }
      } catch (const std::exception& e) {
        runs.rows.clear();
        runs.error = message_of(e);
      }
      sets.push_back(std::move(runs));
    }
  } catch (const std::exception& e) {
    // The point's scenario did not load: every row it owes says why.
    sets.clear();
    if (spec.policies.empty()) {
      sets.push_back({"", {}, message_of(e)});
    } else {
      for (const auto& name : spec.policies) sets.push_back({name, {}, message_of(e)});
    }
  }

  const std::vector<std::string> header = compare_runs_table().header();
  const std::size_t width = sweep_header(spec).size();
  std::string out;
  for (const SetRuns& set : sets) {
    std::vector<CsvCell> cells{static_cast<std::int64_t>(index)};
    for (const auto& v : values) cells.emplace_back(one_line(v));
    if (!set.error.empty()) {
      cells.emplace_back(set.policy);
      cells.emplace_back(scenario_name);
      while (cells.size() + 1 < width) cells.emplace_back(std::string());
      cells.emplace_back(one_line(set.error));
      out += render_line(cells);
      continue;
    }
    if (replicas == 1) {
      const auto& row = set.rows.front();
      cells.insert(cells.end(), row.begin(), row.end());
    } else {
      for (std::size_t c = 0; c < header.size(); ++c) {
        if (header[c] == "seed") {
          cells.emplace_back(static_cast<std::int64_t>(base_seed));
          cells.emplace_back(static_cast<std::int64_t>(replicas));
        } else if (header[c] == "event_fingerprint") {
          // One hash over the replicas' fingerprints in replica order: equal iff every replica ran the same.
          std::uint64_t h = fnv1a64("");
          for (const auto& row : set.rows) h = fnv1a64(std::get<std::string>(row[c]), h);
          cells.emplace_back(fmt::format("{:016x}", h));
        } else if (is_identity_column(header[c])) {
          cells.push_back(set.rows.front()[c]);
        } else {
          double sum = 0;
          for (const auto& row : set.rows) sum += as_double(row[c]);
          const double mean = sum / replicas;
          double ss = 0;
          for (const auto& row : set.rows) ss += (as_double(row[c]) - mean) * (as_double(row[c]) - mean);
          const double sd = std::sqrt(ss / (replicas - 1));
          cells.emplace_back(mean);
          cells.emplace_back(student_t_975(replicas - 1) * sd / std::sqrt(static_cast<double>(replicas)));
        }
      }
    }
    cells.emplace_back(std::string());
    out += render_line(cells);
  }
  return out;
}

std::map<std::size_t, std::string> read_completed_points(const SweepSpec& spec, const fs::path& dir) {
  const std::string header = header_line(spec);
  const std::size_t per_point = sweep_rows_per_point(spec);
  std::map<std::size_t, std::string> done;
  for (const char* name : {"sweep.csv", kJournalName}) {
    std::ifstream in(dir / name, std::ios::binary);
    if (!in) continue;
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    if (text.compare(0, header.size(), header) != 0) continue;  // another sweep's file
    std::map<std::size_t, std::vector<std::string>> lines;
    for (std::size_t pos = header.size(); pos < text.size();) {
      const std::size_t end = text.find('\n', pos);
      if (end == std::string::npos) break;  // the last line was cut short: not a row
      const std::string line = text.substr(pos, end + 1 - pos);
      pos = end + 1;
      try {
        const CsvDocument row = CsvDocument::parse(header + line, name);
        if (row.rows() != 1) continue;
        const auto point = parse_number(row.text(0, 0));
        if (!point || *point < 0 || *point >= static_cast<double>(spec.points.size())) continue;
        const auto index = static_cast<std::size_t>(*point);
        bool same = true;
        for (std::size_t k = 0; k < spec.keys.size(); ++k) same = same && row.text(0, k + 1) == one_line(spec.points[index][k]);
        if (same) lines[index].push_back(line);
      } catch (const CsvError&) {
        continue;  // a torn line
      }
    }
    for (auto& [index, rows] : lines) {
      if (rows.size() != per_point || done.count(index)) continue;
      std::string all;
      for (const auto& r : rows) all += r;
      done[index] = all;
    }
  }
  return done;
}

SweepJournal::SweepJournal(const SweepSpec& spec, const fs::path& dir, const std::map<std::size_t, std::string>& done)
    : header_line_(header_line(spec)), dir_(dir) {
  fs::create_directories(dir_);
  std::string start = header_line_;
  for (const auto& [index, rows] : done) start += rows;
  write_file_atomic(dir_ / kJournalName, start);
  file_ = std::fopen((dir_ / kJournalName).c_str(), "ab");
  if (file_ == nullptr) throw OutputError(fmt::format("cannot append to {}", (dir_ / kJournalName).string()));
}

SweepJournal::~SweepJournal() {
  if (file_ != nullptr) std::fclose(file_);
}

void SweepJournal::append(const std::string& rows) {
  if (std::fwrite(rows.data(), 1, rows.size(), file_) != rows.size() || std::fflush(file_) != 0) {
    throw OutputError(fmt::format("cannot write {}", (dir_ / kJournalName).string()));
  }
}

void SweepJournal::finish(const std::map<std::size_t, std::string>& rows_by_point) {
  std::string all = header_line_;
  for (const auto& [index, rows] : rows_by_point) all += rows;
  write_file_atomic(dir_ / "sweep.csv", all);
  std::fclose(file_);
  file_ = nullptr;
  fs::remove(dir_ / kJournalName);
}

std::size_t run_sweep(const SweepSpec& spec, const SweepRunOptions& options) {
  std::map<std::size_t, std::string> rows = options.resume ? read_completed_points(spec, options.dir)
                                                           : std::map<std::size_t, std::string>{};
  SweepJournal journal(spec, options.dir, rows);
  const std::vector<std::size_t> pending = pending_points(spec, rows);
  std::mutex mutex;
  std::atomic<std::size_t> next{0};
  std::exception_ptr failure;
  const auto worker = [&]() {
    try {
      const Registries registries = builtin_registries();
      for (std::size_t i = next++; i < pending.size(); i = next++) {
        std::string text = run_sweep_point(spec, registries, pending[i]);
        const std::lock_guard<std::mutex> lock(mutex);
        journal.append(text);
        rows[pending[i]] = std::move(text);
        if (options.progress) options.progress(rows.size(), spec.points.size());
      }
    } catch (...) {
      const std::lock_guard<std::mutex> lock(mutex);
      if (!failure) failure = std::current_exception();
      next = pending.size();
    }
  };
  run_workers(options.jobs, pending.size(), worker);
  if (failure) std::rethrow_exception(failure);
  journal.finish(rows);
  return pending.size();
}

}  // namespace infercost
