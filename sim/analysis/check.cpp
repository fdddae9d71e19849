#include "infercost/analysis/check.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "infercost/io/config.hpp"
#include "infercost/io/errors.hpp"

namespace infercost {
namespace {

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ConfigError(fmt::format("{}: cannot read", file.string()));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// RFC 4180 records: quoted cells may hold commas, doubled quotes and newlines.
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string cell;
  bool quoted = false, any = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        cell += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cell += c;
      }
    } else if (c == '"') {
      quoted = true;
      any = true;
    } else if (c == ',') {
      row.push_back(std::move(cell));
      cell.clear();
      any = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      if (any || !cell.empty()) {
        row.push_back(std::move(cell));
        rows.push_back(std::move(row));
      }
      row.clear();
      cell.clear();
      any = false;
    } else {
      cell += c;
      any = true;
    }
  }
  if (any || !cell.empty()) {
    row.push_back(std::move(cell));
    rows.push_back(std::move(row));
  }
  return rows;
}

bool is_integer_text(const std::string& s) {
  static const std::regex kInteger("^[-+]?[0-9]+$");
  return std::regex_match(s, kInteger);
}

std::optional<double> parse_number(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size()) return std::nullopt;
  return v;
}

// A YAML scalar that reads back as the same text: plain when it is a number, else double-quoted.
std::string yaml_scalar(const std::string& s) {
  if (!s.empty() && parse_number(s) && s.find_first_of(" :#") == std::string::npos &&
      s.find_first_not_of("0123456789+-.eE") == std::string::npos) {
    return s;
  }
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string format_tolerance(double tol) { return fmt::format("{}", tol); }

}  // namespace

Baseline read_baseline(const std::filesystem::path& file) {
  const ConfigNode root = ConfigNode::load_file(file.string());
  root.require_map();
  Baseline b;
  b.scenario = root.get_string("scenario", "");
  if (const auto args = root.optional_child("run_args")) {
    for (const ConfigNode& a : args->elements()) b.run_args.push_back(a.as_string());
  }
  b.default_relative_tolerance = root.get_double("default_relative_tolerance", 1e-9, 0.0, 1e6);
  if (const auto tol = root.optional_child("relative_tolerance")) {
    tol->require_map();
    for (const std::string& key : tol->keys()) b.relative_tolerance[key] = tol->get_double(key, std::nullopt, 0.0, 1e6);
  }
  if (const auto fp = root.optional_child("event_fingerprint")) {
    const std::string text = fp->as_string();
    if (!std::regex_match(text, std::regex("^[0-9a-f]{16}$"))) fp->fail("expected 16 lower-case hex digits");
    b.event_fingerprint = text;
  }
  const ConfigNode summary = root.child("summary");
  summary.require_map();
  for (const std::string& key : summary.keys()) {
    const ConfigNode v = summary.child(key);
    b.summary.emplace_back(key, v.is_null() ? std::string() : v.as_string());
  }
  if (b.summary.empty()) summary.fail("expected at least one column");
  for (const auto& [column, tol] : b.relative_tolerance) {
    // Named captures: Clang before 16 cannot capture a structured binding with [&].
    const auto is_column = [&column = column](const auto& kv) { return kv.first == column; };
    const bool known = std::any_of(b.summary.begin(), b.summary.end(), is_column);
    if (!known) root.child("relative_tolerance").child(column).fail("not a column of `summary`");
  }
  root.check_unknown_keys();
  return b;
}

RunOutputs read_run_outputs(const std::filesystem::path& out_dir) {
  RunOutputs out;
  const std::filesystem::path csv = out_dir / "summary.csv";
  const auto rows = parse_csv(read_text(csv));
  if (rows.size() != 2) throw ConfigError(fmt::format("{}: expected a header and one row, found {} rows", csv.string(), rows.size()));
  if (rows[0].size() != rows[1].size()) {
    throw ConfigError(fmt::format("{}: header has {} cells, row has {}", csv.string(), rows[0].size(), rows[1].size()));
  }
  for (std::size_t i = 0; i < rows[0].size(); ++i) out.summary.emplace_back(rows[0][i], rows[1][i]);
  const std::filesystem::path json = out_dir / "run.json";
  if (std::filesystem::exists(json)) {
    static const std::regex kFingerprint("\"event_fingerprint\"\\s*:\\s*\"([0-9a-f]{16})\"");
    const std::string text = read_text(json);
    std::smatch m;
    if (std::regex_search(text, m, kFingerprint)) out.event_fingerprint = m[1].str();
    // run.json quotes the path with json_quote; paths with escapes are rare enough to leave them escaped.
    static const std::regex kScenarioFile("\"scenario_file\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");
    if (std::regex_search(text, m, kScenarioFile)) out.scenario_file = m[1].str();
  }
  return out;
}

/// Columns that are a remainder of the column they map to.
const std::map<std::string, std::string> kRemainderOf = {
    {"cost_unallocated_usd", "cost_total_usd"},
    {"cost_marginal_unallocated_usd", "cost_total_usd"},
};

CheckResult check_run(const RunOutputs& run, const Baseline& baseline) {
  CheckResult result;
  std::map<std::string, std::string> actual(run.summary.begin(), run.summary.end());
  std::set<std::string> expected_columns;
  for (const auto& [column, expected] : baseline.summary) {
    expected_columns.insert(column);
    ++result.compared;
    const auto it = actual.find(column);
    if (it == actual.end()) {
      result.differences.push_back({column, expected, "(missing)", "column absent from summary.csv"});
      continue;
    }
    const std::string& got = it->second;
    if (got == expected) continue;
    const auto tol_it = baseline.relative_tolerance.find(column);
    const auto e = parse_number(expected), a = parse_number(got);
    if (tol_it == baseline.relative_tolerance.end() && is_integer_text(expected) && is_integer_text(got)) {
      result.differences.push_back({column, expected, got, "integer, must match exactly"});
      continue;
    }
    if (!e || !a) {
      result.differences.push_back({column, expected, got, "text, must match exactly"});
      continue;
    }
    const double tol = tol_it != baseline.relative_tolerance.end() ? tol_it->second : baseline.default_relative_tolerance;
    if (*e == *a) continue;
    double scale = std::max(std::abs(*e), std::abs(*a));
    // A remainder (the bill less what users were attributed) is the rounding noise of two large sums when
    // everything was attributed: it is compared relative to the bill, not to itself.
    const auto of = kRemainderOf.find(column);
    if (of != kRemainderOf.end()) {
      const auto bill = std::find_if(baseline.summary.begin(), baseline.summary.end(),
                                     [&](const auto& cell) { return cell.first == of->second; });
      if (bill != baseline.summary.end()) {
        if (const auto b = parse_number(bill->second)) scale = std::max(scale, std::abs(*b));
      }
    }
    const double rel = std::abs(*a - *e) / scale;  // NaN when either is infinite and they differ
    if (!(rel <= tol)) {
      result.differences.push_back({column, expected, got, fmt::format("{} difference {:.3g} > {}",
                                                                       of == kRemainderOf.end() ? "relative" : "bill-relative",
                                                                       rel, format_tolerance(tol))});
    }
  }
  for (const auto& [column, value] : run.summary) {
    if (expected_columns.count(column) == 0) result.new_columns.push_back(column);
  }
  if (baseline.event_fingerprint) {
    ++result.compared;
    const std::string got = run.event_fingerprint.value_or("(missing)");
    if (got != *baseline.event_fingerprint) {
      result.differences.push_back({"event_fingerprint", *baseline.event_fingerprint, got, "must match exactly"});
    }
  }
  return result;
}

std::string format_check_report(const CheckResult& result, const std::string& baseline_name) {
  std::string out;
  if (result.ok()) {
    out += fmt::format("check: OK: {} values match {}\n", result.compared, baseline_name);
  } else {
    std::size_t w_col = 6, w_exp = 8, w_act = 6;
    for (const auto& d : result.differences) {
      w_col = std::max(w_col, d.column.size());
      w_exp = std::max(w_exp, d.expected.size());
      w_act = std::max(w_act, d.actual.size());
    }
    out += fmt::format("check: {} of {} values differ from {}\n", result.differences.size(), result.compared, baseline_name);
    out += fmt::format("{:<{}}  {:<{}}  {:<{}}  {}\n", "column", w_col, "expected", w_exp, "actual", w_act, "rule");
    for (const auto& d : result.differences) {
      out += fmt::format("{:<{}}  {:<{}}  {:<{}}  {}\n", d.column, w_col, d.expected, w_exp, d.actual, w_act, d.rule);
    }
  }
  if (!result.new_columns.empty()) {
    std::string names;
    for (const auto& c : result.new_columns) names += (names.empty() ? "" : ", ") + c;
    out += fmt::format("note: {} column(s) not in the baseline (not compared; --update adds them): {}\n",
                       result.new_columns.size(), names);
  }
  return out;
}

std::string baseline_yaml(const RunOutputs& run, const std::optional<Baseline>& previous, bool with_fingerprint) {
  std::string out =
      "# infercost baseline: the expected summary.csv row (and event fingerprint) of a run, for\n"
      "#   infercost check OUT_DIR --baseline THIS_FILE\n"
      "# Integers must match exactly, other numbers within the relative tolerance. Refresh with --update (keeps\n"
      "# the tolerances below) and give the reason in the commit message.\n";
  const std::string scenario = previous && !previous->scenario.empty() ? previous->scenario : run.scenario_file;
  if (!scenario.empty()) out += fmt::format("scenario: {}\n", yaml_scalar(scenario));
  if (previous && !previous->run_args.empty()) {
    out += "run_args: [";
    for (std::size_t i = 0; i < previous->run_args.size(); ++i) {
      out += (i ? ", " : "") + yaml_scalar(previous->run_args[i]);
    }
    out += "]\n";
  }
  out += fmt::format("default_relative_tolerance: {}\n",
                     format_tolerance(previous ? previous->default_relative_tolerance : 1e-9));
  if (previous && !previous->relative_tolerance.empty()) {
    out += "relative_tolerance:\n";
    for (const auto& [column, tol] : previous->relative_tolerance) {
      const auto is_column = [&column = column](const auto& kv) { return kv.first == column; };
      const bool present = std::any_of(run.summary.begin(), run.summary.end(), is_column);
      if (present) out += fmt::format("  {}: {}\n", column, format_tolerance(tol));
    }
  }
  if (with_fingerprint && run.event_fingerprint) out += fmt::format("event_fingerprint: \"{}\"\n", *run.event_fingerprint);
  out += "summary:\n";
  for (const auto& [column, value] : run.summary) out += fmt::format("  {}: {}\n", column, yaml_scalar(value));
  return out;
}

}  // namespace infercost
