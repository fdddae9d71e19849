#include "infercost/power/series.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "infercost/io/config.hpp"
#include "infercost/io/units.hpp"

namespace infercost {
namespace {

SimTime floor_div(SimTime a, SimTime b) {
  SimTime q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

SimTime floor_mod(SimTime a, SimTime b) { return a - floor_div(a, b) * b; }

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (char c : line) {
    if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      out.push_back(cur);
      cur.clear();
    } else if (c != '\r') {
      cur += c;
    }
  }
  out.push_back(cur);
  for (auto& s : out) {
    const auto b = s.find_first_not_of(" \t");
    const auto e = s.find_last_not_of(" \t");
    s = b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
  }
  return out;
}

}  // namespace

StepSeries StepSeries::constant(double value) {
  StepSeries s;
  s.kind_ = Kind::kConstant;
  s.constant_ = value;
  return s;
}

StepSeries StepSeries::table(std::vector<SimTime> starts, std::vector<double> values, SimTime period, SimTime phase) {
  if (values.empty()) return constant(0.0);
  if (values.size() == 1 || (!values.empty() && std::all_of(values.begin(), values.end(),
                                                            [&](double v) { return v == values.front(); }))) {
    return constant(values.front());
  }
  StepSeries s;
  s.kind_ = Kind::kTable;
  s.starts_ = std::move(starts);
  s.values_ = std::move(values);
  s.period_ = period;
  s.phase_ = period > 0 ? floor_mod(phase, period) : 0;
  return s;
}

StepSeries StepSeries::sampled(SimTime step, std::function<double(SimTime)> f) {
  StepSeries s;
  s.kind_ = Kind::kSampled;
  s.step_ = step;
  s.f_ = std::move(f);
  return s;
}

std::size_t StepSeries::index_at(SimTime local) const {
  // The last start <= local; before the first start: the first value (aperiodic) or the last one (periodic).
  const auto it = std::upper_bound(starts_.begin(), starts_.end(), local);
  if (it == starts_.begin()) return period_ > 0 ? starts_.size() - 1 : 0;
  return static_cast<std::size_t>(it - starts_.begin()) - 1;
}

double StepSeries::value_at(SimTime t) const {
  switch (kind_) {
    case Kind::kConstant: return constant_;
    case Kind::kTable: {
      const SimTime local = period_ > 0 ? floor_mod(t + phase_, period_) : t;
      return values_[index_at(local)];
    }
    case Kind::kSampled: {
      const SimTime k = floor_div(t, step_);
      return f_(k * step_ + step_ / 2);
    }
  }
  return constant_;
}

SimTime StepSeries::next_change_after(SimTime t) const {
  switch (kind_) {
    case Kind::kConstant: return kTimeNever;
    case Kind::kTable: {
      if (period_ <= 0) {
        const auto it = std::upper_bound(starts_.begin(), starts_.end(), t);
        return it == starts_.end() ? kTimeNever : *it;
      }
      const SimTime shifted = t + phase_;
      const SimTime base = floor_div(shifted, period_) * period_;
      const SimTime local = shifted - base;
      const auto it = std::upper_bound(starts_.begin(), starts_.end(), local);
      const SimTime next_local = it == starts_.end() ? starts_.front() + period_ : *it;
      return base + next_local - phase_;
    }
    case Kind::kSampled: return (floor_div(t, step_) + 1) * step_;
  }
  return kTimeNever;
}

StepSeries read_step_series_csv(const ConfigNode& node, const std::string& path, const std::string& column,
                                SimTime period) {
  std::ifstream in(path, std::ios::binary);
  if (!in) node.fail(fmt::format("cannot open the CSV file '{}'", path));
  std::string line;
  std::size_t line_no = 0;
  std::size_t value_col = 1;
  std::vector<SimTime> starts;
  std::vector<double> values;
  bool header_done = false;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos || line[0] == '#') continue;
    const auto cells = split_csv_line(line);
    if (!header_done) {
      header_done = true;
      if (!column.empty()) {
        const auto it = std::find(cells.begin(), cells.end(), column);
        if (it == cells.end()) node.fail(fmt::format("{}:{}: no column named '{}' in the header", path, line_no, column));
        value_col = static_cast<std::size_t>(it - cells.begin());
        if (value_col == 0) node.fail(fmt::format("{}:{}: the first column is the time; pick another", path, line_no));
      }
      continue;
    }
    if (cells.size() <= value_col) {
      node.fail(fmt::format("{}:{}: expected at least {} columns, got {}", path, line_no, value_col + 1, cells.size()));
    }
    const auto t = parse_duration(cells[0]);
    if (!t) node.fail(fmt::format("{}:{}: expected a time (seconds or a duration such as 1h), got '{}'", path, line_no, cells[0]));
    const auto v = parse_quantity(cells[value_col], UnitKind::kDimensionless);
    if (!v) node.fail(fmt::format("{}:{}: expected a number, got '{}'", path, line_no, cells[value_col]));
    if (!starts.empty() && *t <= starts.back()) {
      node.fail(fmt::format("{}:{}: times must increase (got {} after {})", path, line_no, format_duration(*t),
                            format_duration(starts.back())));
    }
    if (period > 0 && *t >= period) {
      node.fail(fmt::format("{}:{}: time {} is not within the period {}", path, line_no, format_duration(*t),
                            format_duration(period)));
    }
    starts.push_back(*t);
    values.push_back(*v);
  }
  if (values.empty()) node.fail(fmt::format("{}: no data rows", path));
  return StepSeries::table(std::move(starts), std::move(values), period);
}

}  // namespace infercost
