// The HTML report. Each section reads its columns by name from a list of accepted spellings, so files written
// by other versions or tools still chart; a section without its data says so in a note instead of failing.
#include "infercost/analysis/html_report.hpp"

#include "infercost/engine/time.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "infercost/analysis/svg_chart.hpp"
#include "infercost/io/csv_reader.hpp"
#include "infercost/io/errors.hpp"
#include "infercost/io/output.hpp"

namespace infercost {

namespace {

namespace fs = std::filesystem;
using svg::escape;
using Names = std::vector<std::string>;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
/// One twelfth of a Julian year: the month used to prorate a monthly price when revenue_usd is absent.
constexpr double kMonthS = kMonthSeconds;
/// Time series are averaged down to at most this many points: enough for a 1,240-pixel-wide chart.
constexpr std::size_t kMaxSeriesPoints = 1200;

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// ---------------------------------------------------------------------------------------------------------
// Number formatting (deterministic: fixed rules, no locale).

std::string group_digits(const std::string& digits) {
  const std::size_t start = digits[0] == '-' ? 1 : 0;
  const std::size_t point = std::min(digits.find('.'), digits.size());
  std::string out = digits.substr(0, start);
  for (std::size_t i = start; i < point; ++i) {
    if (i > start && (point - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out + digits.substr(point);
}

std::string sign_of(double v) { return v < 0 ? "−" : ""; }

std::string money(double usd) {
  if (!std::isfinite(usd)) return svg::format_number(usd);
  const double a = std::abs(usd);
  if (a >= 1e6) return sign_of(usd) + "$" + svg::format_number(a / 1e6, 3) + "M";
  if (a >= 1) return sign_of(usd) + "$" + group_digits(fmt::format("{:.2f}", a));
  return sign_of(usd) + "$" + svg::format_number(a, 3);
}

std::string duration(double s) {
  if (!std::isfinite(s)) return svg::format_number(s);
  const double a = std::abs(s);
  if (a == 0) return "0 s";
  if (a < 1e-3) return svg::format_number(s * 1e6) + " µs";
  if (a < 1) return svg::format_number(s * 1e3) + " ms";
  if (a < 120) return svg::format_number(s) + " s";
  if (a < 7200) return svg::format_number(s / 60) + " min";
  if (a < 3 * 86400) return svg::format_number(s / 3600) + " h";
  return svg::format_number(s / 86400) + " days";
}

std::string scaled(double v, const std::vector<std::pair<double, std::string>>& units) {
  for (const auto& [factor, unit] : units) {
    if (std::abs(v) >= factor * 0.9995 || factor == units.back().first) return svg::format_number(v / factor) + " " + unit;
  }
  return svg::format_number(v);
}

std::string power(double w) { return scaled(w, {{1e6, "MW"}, {1e3, "kW"}, {1, "W"}}); }
std::string energy_kwh(double kwh) { return scaled(kwh, {{1e3, "MWh"}, {1, "kWh"}, {1e-3, "Wh"}}); }
std::string percent(double fraction) { return svg::format_number(fraction * 100, 3) + "%"; }
std::string count(double v) { return group_digits(fmt::format("{:.0f}", v)); }

bool is_fraction_column(std::string_view c) {
  return c == "utilization" || ends_with(c, "_utilization") || starts_with(c, "utilization_") ||
         starts_with(c, "share_") || ends_with(c, "_share") || ends_with(c, "_fraction") ||
         c.find("attainment") != std::string_view::npos || ends_with(c, "_occupancy");
}

/// A cell formatted for people, by the unit its column name ends with (docs/report.md lists the rules).
std::string format_cell(std::string_view column, const std::string& text) {
  if (text.empty()) return "–";
  const auto parsed = parse_number(text);
  if (!parsed || column == "seed" || ends_with(column, "_id") || ends_with(column, "_hash")) return text;
  const double v = *parsed;
  if (!std::isfinite(v)) return svg::format_number(v);
  if (ends_with(column, "_usd_per_kwh")) return money(v) + "/kWh";
  if (const auto p = column.find("_usd_per_"); p != std::string_view::npos) {
    std::string per(column.substr(p + 9));
    std::replace(per.begin(), per.end(), '_', ' ');
    return money(v) + " per " + per;
  }
  if (ends_with(column, "_usd")) return money(v);
  if (ends_with(column, "_g_per_kwh")) return svg::format_number(v) + " g/kWh";
  if (ends_with(column, "_j_per_token")) return svg::format_number(v) + " J/token";
  if (ends_with(column, "_rps")) return svg::format_number(v) + " req/s";
  if (ends_with(column, "_per_s")) return svg::format_number(v) + "/s";
  if (ends_with(column, "_s")) return duration(v);
  if (ends_with(column, "_w")) return power(v);
  if (ends_with(column, "_kwh")) return energy_kwh(v);
  if (ends_with(column, "_j")) return scaled(v, {{1e9, "GJ"}, {1e6, "MJ"}, {1e3, "kJ"}, {1, "J"}});
  if (ends_with(column, "_c")) return svg::format_number(v) + " °C";
  if (ends_with(column, "_kg")) return scaled(v, {{1e3, "t"}, {1, "kg"}});
  if (ends_with(column, "_g")) return scaled(v, {{1e6, "t"}, {1e3, "kg"}, {1, "g"}});
  if (is_fraction_column(column)) return percent(v);
  if (v == std::round(v) && std::abs(v) < 1e15) return count(v);
  return svg::format_number(v, 4);
}

// ---------------------------------------------------------------------------------------------------------
// Inputs.

/// A CSV the report may read: absent, unreadable (with the reason), or parsed.
struct Input {
  std::string name;
  bool present = false;
  std::optional<CsvDocument> doc;
  std::string error;
  bool usable() const { return doc.has_value(); }
};

Input load(const fs::path& dir, const std::string& name) {
  Input in;
  in.name = name;
  const fs::path p = dir / name;
  std::error_code ec;
  in.present = fs::is_regular_file(p, ec);
  if (!in.present) return in;
  // Messages name the file by its name in the folder, so the page does not depend on where the folder is.
  std::ifstream f(p, std::ios::binary);
  if (!f) {
    in.error = "cannot be opened";
    return in;
  }
  std::stringstream ss;
  ss << f.rdbuf();
  try {
    in.doc = CsvDocument::parse(ss.str(), name);
  } catch (const CsvError& e) {
    in.error = e.what();
  }
  return in;
}

/// Values of the flat run.json (strings and numbers), by key.
std::map<std::string, std::string> read_flat_json(const fs::path& file) {
  std::map<std::string, std::string> out;
  std::ifstream f(file, std::ios::binary);
  if (!f) return out;
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string s = ss.str();
  std::size_t i = 0;
  auto read_string = [&](std::size_t& k) {
    std::string v;
    for (++k; k < s.size() && s[k] != '"'; ++k) {
      if (s[k] == '\\' && k + 1 < s.size()) {
        ++k;
        v += s[k] == 'n' ? '\n' : s[k] == 't' ? '\t' : s[k];
      } else {
        v += s[k];
      }
    }
    ++k;
    return v;
  };
  while ((i = s.find('"', i)) != std::string::npos) {
    const std::string key = read_string(i);
    while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r')) ++i;
    if (i >= s.size() || s[i] != ':') continue;
    ++i;
    while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r')) ++i;
    if (i < s.size() && s[i] == '"') {
      out[key] = read_string(i);
    } else {
      const std::size_t end = s.find_first_of(",}\n", i);
      std::string v = s.substr(i, end - i);
      while (!v.empty() && v.back() == ' ') v.pop_back();
      out[key] = v;
      i = end;
    }
  }
  return out;
}

std::string note(const std::string& html) { return "<p class=\"note\">" + html + "</p>\n"; }

std::string code_list(const Names& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + ("<code>" + escape(n) + "</code>");
  return out;
}

std::string missing_note(const Input& in, const std::string& what) {
  if (!in.present) {
    return note(fmt::format("No <code>{}</code> in this folder: {} omitted.", escape(in.name), what));
  }
  return note(fmt::format("<code>{}</code> could not be read: {} omitted. {}", escape(in.name), what,
                          escape(in.error)));
}

std::string columns_note(const std::string& file, const std::string& what, const Names& names) {
  return note(fmt::format("<code>{}</code> has none of the columns for {} ({}): omitted.", escape(file), what,
                          code_list(names)));
}

/// A table of a CSV file, cells formatted by their column's unit; `max_rows` rows at most.
std::string table_html(const CsvDocument& doc, std::size_t max_rows) {
  std::string out = "<div class=\"table-wrap\"><table>\n<thead><tr>";
  for (const auto& h : doc.header()) out += "<th>" + escape(h) + "</th>";
  out += "</tr></thead>\n<tbody>\n";
  for (std::size_t r = 0; r < std::min(doc.rows(), max_rows); ++r) {
    out += "<tr>";
    for (std::size_t c = 0; c < doc.columns(); ++c) {
      const std::string& t = doc.text(r, c);
      const bool numeric = parse_number(t).has_value();
      out += fmt::format("<td{}{}>{}</td>", numeric ? " class=\"num\"" : "",
                         numeric ? " title=\"" + escape(t) + "\"" : "", escape(format_cell(doc.header()[c], t)));
    }
    out += "</tr>\n";
  }
  out += "</tbody></table></div>\n";
  if (doc.rows() > max_rows) {
    out += note(fmt::format("Showing {} of {} rows; the file has them all.", max_rows, doc.rows()));
  }
  return out;
}

std::string details_table(const std::string& summary, const CsvDocument& doc, std::size_t max_rows) {
  return "<details><summary>" + escape(summary) + "</summary>\n" + table_html(doc, max_rows) + "</details>\n";
}

// ---------------------------------------------------------------------------------------------------------
// Time axis.

/// The unit a time axis is drawn in, chosen from the span of the run.
struct TimeUnit {
  double seconds;
  std::string label;
  std::vector<double> steps;
};

TimeUnit time_unit(double span_s) {
  if (span_s <= 180) return {1, "time (s)", {}};
  if (span_s <= 2 * 3600) return {60, "time (min)", {1, 2, 5, 10, 15, 20, 30, 60}};
  if (span_s <= 72 * 3600) return {3600, "time (h)", {0.25, 0.5, 1, 2, 3, 6, 12, 24}};
  return {86400, "time (days)", {0.25, 0.5, 1, 2, 7, 14, 28, 56, 91, 182, 364}};
}

/// The time series, with time converted to the display unit and rows without a time dropped.
struct TimeSeries {
  const CsvDocument* doc = nullptr;
  std::vector<std::size_t> rows;    ///< rows kept, ascending time
  std::vector<double> t;            ///< display units
  std::vector<double> dt_s;         ///< interval length of each row (the last repeats the one before)
  TimeUnit unit{1, "time (s)", {}};

  /// A column by accepted names, aligned with t; empty if no such column.
  std::vector<double> get(const Names& names) const {
    auto c = doc->find_column(names);
    if (!c) return {};
    std::vector<double> out;
    for (std::size_t r : rows) out.push_back(doc->optional_number(r, *c).value_or(kNaN));
    return out;
  }
};

const Names kTimeNames = {"time_s", "t_s", "interval_start_s", "start_s"};

std::optional<TimeSeries> time_series(const CsvDocument& doc) {
  const auto tc = doc.find_column(kTimeNames);
  if (!tc) return std::nullopt;
  TimeSeries ts;
  ts.doc = &doc;
  std::vector<std::pair<double, std::size_t>> order;
  for (std::size_t r = 0; r < doc.rows(); ++r) {
    const auto v = doc.optional_number(r, *tc);
    if (v && std::isfinite(*v)) order.emplace_back(*v, r);
  }
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  if (order.empty()) return std::nullopt;
  std::vector<double> t_s;
  for (const auto& [t, r] : order) {
    t_s.push_back(t);
    ts.rows.push_back(r);
  }
  for (std::size_t i = 0; i < t_s.size(); ++i) {
    if (i + 1 < t_s.size()) ts.dt_s.push_back(t_s[i + 1] - t_s[i]);
    else ts.dt_s.push_back(ts.dt_s.empty() ? 0.0 : ts.dt_s.back());
  }
  ts.unit = time_unit(t_s.back() + ts.dt_s.back() - std::min(0.0, t_s.front()));
  for (double t : t_s) ts.t.push_back(t / ts.unit.seconds);
  return ts;
}

bool any_finite(const std::vector<double>& v) {
  return std::any_of(v.begin(), v.end(), [](double x) { return std::isfinite(x); });
}

/// Time-weighted mean of a column (intervals of unequal length count by their length).
double time_mean(const std::vector<double>& v, const std::vector<double>& dt) {
  double sum = 0, w = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!std::isfinite(v[i])) continue;
    sum += v[i] * dt[i];
    w += dt[i];
  }
  return w > 0 ? sum / w : kNaN;
}

double finite_max(const std::vector<double>& v) {
  double m = kNaN;
  for (double x : v) {
    if (std::isfinite(x) && !(x <= m)) m = x;
  }
  return m;
}

double finite_min(const std::vector<double>& v) {
  double m = kNaN;
  for (double x : v) {
    if (std::isfinite(x) && !(x >= m)) m = x;
  }
  return m;
}

/// The line of facts under a chart; each fact is HTML already.
std::string facts_line(const std::vector<std::string>& facts) {
  std::string line;
  for (const auto& f : facts) line += (line.empty() ? "" : " · ") + f;
  return "<p class=\"facts\">" + line + "</p>\n";
}

/// A series ready for a chart: x in display units, averaged down to a drawable number of points.
svg::Series series(const TimeSeries& ts, std::vector<double> y, std::string name, std::size_t colour,
                   svg::SeriesStyle style) {
  svg::Series s;
  s.name = std::move(name);
  s.x = ts.t;
  s.y = std::move(y);
  svg::downsample_mean(s.x, s.y, kMaxSeriesPoints);
  s.colour = colour;
  s.style = style;
  return s;
}

svg::AxisSpec time_axis(const TimeSeries& ts) {
  svg::AxisSpec a;
  a.label = ts.unit.label;
  a.preferred_steps = ts.unit.steps;
  a.tight = true;
  return a;
}

// ---------------------------------------------------------------------------------------------------------
// Sections.

/// The parsed time series, or why there is none (the file's absence, a parse error, no time column).
struct TimeSeriesInput {
  std::optional<TimeSeries> ts;
  std::string problem_html;
};

TimeSeriesInput read_time_series(const Input& in) {
  TimeSeriesInput out;
  if (!in.usable()) {
    out.problem_html = missing_note(in, "charts over time");
    return out;
  }
  try {
    out.ts = time_series(*in.doc);
    if (!out.ts) out.problem_html = columns_note(in.name, "a time axis", kTimeNames);
  } catch (const CsvError& e) {
    out.problem_html = note("Charts over time could not be drawn: " + escape(e.what()));
  }
  return out;
}

/// A card of the page: anchor id, heading, body HTML, and whether it takes the full width.
struct Section {
  std::string id;
  std::string title;
  std::string body;
  bool wide = true;
};

std::string section_html(const Section& s) {
  return fmt::format("<section id=\"{}\" class=\"card{}\">\n<h2>{}</h2>\n{}</section>\n", s.id, s.wide ? "" : " half",
                     escape(s.title), s.body);
}

// Accepted column names, preferred spelling first.
const Names kItPower = {"it_power_w", "power_it_w", "it_w"};
const Names kCoolingPower = {"cooling_power_w", "power_cooling_w", "cooling_w"};
const Names kFacilityPower = {"facility_power_w", "total_power_w", "power_w"};
const Names kPrice = {"price_usd_per_kwh", "electricity_price_usd_per_kwh", "energy_price_usd_per_kwh"};
const Names kPue = {"pue"};
const Names kAmbient = {"ambient_c", "ambient_temperature_c", "outside_temperature_c"};
const Names kCarbon = {"carbon_g_per_kwh", "carbon_intensity_g_per_kwh"};
const Names kUtilization = {"utilization", "busy_fraction", "gpu_utilization"};
const Names kComputeUtil = {"compute_utilization", "flops_utilization"};
const Names kBandwidthUtil = {"memory_bandwidth_utilization", "bandwidth_utilization", "memory_utilization"};
const Names kKvOccupancy = {"kv_occupancy", "kv_cache_occupancy", "kv_utilization"};
const Names kRunning = {"running", "requests_running", "running_requests"};
const Names kQueued = {"queued", "requests_queued", "queued_requests", "queue_length"};
const Names kThroughput = {"throughput_rps", "completed_per_s", "completions_per_s"};
const Names kRejections = {"rejections", "rejected", "requests_rejected"};

std::string power_body(const Input& in, const TimeSeries& ts) {
  std::string body;
  std::vector<double> it = ts.get(kItPower), cooling = ts.get(kCoolingPower), facility = ts.get(kFacilityPower);
  const std::vector<double> price = ts.get(kPrice);
  if (cooling.empty() && !it.empty() && !facility.empty()) {
    cooling.resize(it.size());
    for (std::size_t i = 0; i < it.size(); ++i) cooling[i] = facility[i] - it[i];
  }
  if (facility.empty() && !it.empty()) {
    facility = it;
    if (!cooling.empty()) {
      for (std::size_t i = 0; i < it.size(); ++i) facility[i] = it[i] + cooling[i];
    }
  }
  if (it.empty() && facility.empty()) {
    Names all = kItPower;
    all.insert(all.end(), kFacilityPower.begin(), kFacilityPower.end());
    body = columns_note(in.name, "the power chart", all);
    return body;
  }
  const double peak_w = std::max(finite_max(facility), finite_max(it));
  double unit = 1;
  std::string unit_name = "W";
  if (peak_w >= 2e6) unit = 1e6, unit_name = "MW";
  else if (peak_w >= 2e3) unit = 1e3, unit_name = "kW";
  auto in_unit = [&](std::vector<double> v) {
    for (double& x : v) x /= unit;
    return v;
  };

  svg::XyChart c;
  c.title = "IT and cooling power over time, with the electricity price";
  c.x = time_axis(ts);
  c.y.label = "power (" + unit_name + ")";
  c.y.min = 0.0;
  if (!it.empty()) {
    c.series.push_back(series(ts, in_unit(it), "IT power (GPUs and servers)", 0, svg::SeriesStyle::step_area));
    if (!cooling.empty()) {
      auto top = series(ts, in_unit(facility), "cooling power (stacked on IT)", 5, svg::SeriesStyle::step_area);
      auto base = series(ts, in_unit(it), "", 0, svg::SeriesStyle::step_area);
      top.base = base.y;
      c.series.push_back(std::move(top));
      c.subtitle = "Stacked: the top edge is the facility's draw (IT + cooling).";
    }
  } else {
    c.series.push_back(series(ts, in_unit(facility), "facility power", 0, svg::SeriesStyle::step_area));
  }
  if (any_finite(price)) {
    auto p = series(ts, price, "electricity price", 3, svg::SeriesStyle::step);
    p.right_axis = true;
    p.width_px = 2.2;
    c.series.push_back(std::move(p));
    svg::AxisSpec right;
    right.label = "electricity price ($/kWh)";
    right.min = 0.0;
    right.format = [](double v, double step) { return "$" + svg::tick_label(v, step); };
    c.y_right = right;
    c.subtitle += std::string(c.subtitle.empty() ? "" : " ") + "Price on the right axis.";
  }
  body += svg::render(c);

  // Facts under the chart: averages are weighted by interval length.
  std::vector<std::string> facts;
  if (!it.empty()) facts.push_back("mean IT power <b>" + escape(power(time_mean(it, ts.dt_s))) + "</b>");
  if (!cooling.empty()) facts.push_back("mean cooling power <b>" + escape(power(time_mean(cooling, ts.dt_s))) + "</b>");
  facts.push_back("peak facility power <b>" + escape(power(finite_max(facility))) + "</b>");
  if (any_finite(price)) {
    double paid = 0, kwh = 0;
    for (std::size_t i = 0; i < facility.size(); ++i) {
      if (!std::isfinite(facility[i]) || !std::isfinite(price[i])) continue;
      const double e_kwh = facility[i] * ts.dt_s[i] / 3.6e6;
      paid += e_kwh * price[i];
      kwh += e_kwh;
    }
    facts.push_back("time-averaged price <b>" + escape(money(time_mean(price, ts.dt_s))) + "/kWh</b>");
    if (kwh > 0) facts.push_back("price paid per kWh drawn <b>" + escape(money(paid / kwh)) + "/kWh</b>");
  }
  body += facts_line(facts);
  return body;
}

std::string cooling_body(const Input& in, const TimeSeries& ts) {
  std::string body;
  const auto pue = ts.get(kPue), ambient = ts.get(kAmbient), carbon = ts.get(kCarbon);
  if (!any_finite(pue) && !any_finite(ambient)) {
    Names all = kPue;
    all.insert(all.end(), kAmbient.begin(), kAmbient.end());
    body = columns_note(in.name, "this chart", all);
    return body;
  }
  svg::XyChart c;
  c.title = "PUE and ambient temperature";
  c.width_px = 610;
  c.height_px = 320;
  c.x = time_axis(ts);
  const bool both = any_finite(pue) && any_finite(ambient);
  if (any_finite(ambient)) {
    c.y.label = "ambient temperature (°C)";
    c.series.push_back(series(ts, ambient, "ambient temperature", 1, svg::SeriesStyle::line));
  }
  if (any_finite(pue)) {
    auto p = series(ts, pue, "PUE = facility / IT power", 0, svg::SeriesStyle::step);
    svg::AxisSpec a;
    a.label = "PUE";
    a.format = [](double v, double step) { return svg::tick_label(v, step); };
    if (both) {
      p.right_axis = true;
      c.y_right = a;
    } else {
      c.y = a;
    }
    c.series.push_back(std::move(p));
  }
  c.subtitle = both ? "Temperature on the left axis, PUE on the right." : "";
  body += svg::render(c);
  std::vector<std::string> facts;
  if (any_finite(pue)) facts.push_back("mean PUE <b>" + escape(svg::format_number(time_mean(pue, ts.dt_s))) + "</b>");
  if (any_finite(ambient)) {
    facts.push_back("ambient " + escape(svg::format_number(finite_min(ambient))) + "–" +
                    escape(svg::format_number(finite_max(ambient))) + " °C");
  }
  if (any_finite(carbon)) {
    facts.push_back("mean grid carbon intensity <b>" + escape(svg::format_number(time_mean(carbon, ts.dt_s))) +
                    " g/kWh</b>");
  }
  body += facts_line(facts);
  return body;
}

std::string utilization_body(const Input& in, const TimeSeries& ts) {
  std::string body;
  struct Candidate {
    const Names* names;
    const char* label;
    std::size_t colour;
  };
  const Candidate candidates[] = {{&kUtilization, "busy (a batch is running)", 0},
                                  {&kComputeUtil, "compute (achieved / peak FLOP/s)", 1},
                                  {&kBandwidthUtil, "memory bandwidth (achieved / peak)", 2},
                                  {&kKvOccupancy, "KV-cache occupancy", 4}};
  svg::XyChart c;
  c.title = "Utilization of the cluster over time";
  c.x = time_axis(ts);
  c.y.label = "utilization (%)";
  c.y.min = 0.0;
  c.y.max = 100.0;
  c.y.preferred_steps = {10, 20, 25, 50};
  c.height_px = 300;
  std::string facts;
  for (const auto& cand : candidates) {
    auto v = ts.get(*cand.names);
    if (!any_finite(v)) continue;
    const double mean = time_mean(v, ts.dt_s);
    if (c.series.empty()) c.references.push_back({mean * 100, "mean " + percent(mean)});
    for (double& x : v) x *= 100;
    c.series.push_back(series(ts, v, cand.label, cand.colour, svg::SeriesStyle::step));
    facts += fmt::format("{}{} mean <b>{}</b>", facts.empty() ? "" : " · ", escape(cand.label), escape(percent(mean)));
  }
  if (c.series.empty()) {
    body = columns_note(in.name, "the utilization chart", kUtilization);
    return body;
  }
  c.subtitle = "Averaged over replicas in each interval; 100% means every replica busy for the whole interval.";
  body += svg::render(c) + "<p class=\"facts\">" + facts + "</p>\n";
  return body;
}

std::string load_body(const Input& in, const TimeSeries& ts) {
  std::string body;
  svg::XyChart c;
  c.title = "Running and queued requests";
  c.width_px = 610;
  c.height_px = 320;
  c.x = time_axis(ts);
  c.y.label = "requests";
  c.y.min = 0.0;
  const auto running = ts.get(kRunning), queued = ts.get(kQueued);
  if (any_finite(running)) c.series.push_back(series(ts, running, "running", 0, svg::SeriesStyle::step));
  if (any_finite(queued)) c.series.push_back(series(ts, queued, "queued", 1, svg::SeriesStyle::step));
  const auto tput = ts.get(kThroughput);
  auto rejections = ts.get(kRejections);
  const bool has_rate = any_finite(tput) || any_finite(rejections);
  if (has_rate) {
    svg::AxisSpec right;
    right.label = "per second";
    right.min = 0.0;
    c.y_right = right;
    if (any_finite(tput)) {
      auto p = series(ts, tput, "completed/s", 2, svg::SeriesStyle::line);
      p.right_axis = true;
      p.dashed = true;
      p.width_px = 1.5;
      c.series.push_back(std::move(p));
    }
    if (any_finite(rejections)) {
      // A count per interval becomes a rate, so intervals of any length compare.
      for (std::size_t i = 0; i < rejections.size(); ++i) {
        rejections[i] = ts.dt_s[i] > 0 ? rejections[i] / ts.dt_s[i] : kNaN;
      }
      auto p = series(ts, rejections, "rejections/s", 3, svg::SeriesStyle::line);
      p.right_axis = true;
      p.width_px = 1.5;
      c.series.push_back(std::move(p));
    }
  }
  if (c.series.empty() || (!any_finite(running) && !any_finite(queued))) {
    if (c.series.empty()) {
      Names all = kRunning;
      all.insert(all.end(), kQueued.begin(), kQueued.end());
      body = columns_note(in.name, "this chart", all);
      return body;
    }
    // Only rates: draw them on the main axis.
    for (auto& x : c.series) x.right_axis = false;
    c.y = *c.y_right;
    c.y_right.reset();
  }
  c.subtitle = has_rate && c.y_right ? "Counts at each interval on the left; rates on the right." : "";
  body += svg::render(c);
  return body;
}

// ---- cost per user --------------------------------------------------------------------------------------

const Names kUserPlan = {"plan", "plan_name", "tier"};
const Names kUserClass = {"class", "user_class", "class_name"};
const Names kUserCost = {"cost_usd", "cost_total_usd", "cost_fully_loaded_usd", "fully_loaded_cost_usd"};
const Names kUserRevenue = {"revenue_usd", "revenue_total_usd"};
const Names kUserThrottled = {"times_throttled", "throttled", "submissions_throttled"};
const Names kPlanName = {"plan", "plan_name", "name", "tier"};
const Names kPlanPrice = {"price_usd_per_month", "monthly_price_usd", "price_usd"};
const Names kDuration = {"duration_s", "simulated_s"};

double median_of(std::vector<double> v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return !std::isfinite(x); }), v.end());
  if (v.empty()) return kNaN;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string cost_body(const Input& users, const Input& plans, std::optional<double> duration_s) {
  std::string body;
  if (!users.usable()) {
    body = missing_note(users, "the cost-per-user chart");
    if (plans.usable()) body += details_table("plans.csv", *plans.doc, 50);
    return body;
  }
  const CsvDocument& u = *users.doc;
  const auto plan_c = u.find_column(kUserPlan);
  const auto cost_c = u.find_column(kUserCost);
  if (!plan_c || !cost_c) {
    Names all = kUserPlan;
    all.insert(all.end(), kUserCost.begin(), kUserCost.end());
    body = columns_note(users.name, "the cost-per-user chart", all);
    return body;
  }
  const auto revenue_c = u.find_column(kUserRevenue);

  // Plan prices from plans.csv, when there.
  std::map<std::string, double> price_per_month;
  if (plans.usable()) {
    const auto pn = plans.doc->find_column(kPlanName), pp = plans.doc->find_column(kPlanPrice);
    if (pn && pp) {
      for (std::size_t r = 0; r < plans.doc->rows(); ++r) {
        if (auto v = plans.doc->optional_number(r, *pp)) price_per_month[plans.doc->text(r, *pn)] = *v;
      }
    }
  }

  struct Plan {
    std::string name;
    std::vector<double> cost, revenue;
  };
  std::vector<Plan> groups;
  std::map<std::string, std::size_t> index;
  for (std::size_t r = 0; r < u.rows(); ++r) {
    const std::string& name = u.text(r, *plan_c);
    auto [it, fresh] = index.emplace(name, groups.size());
    if (fresh) groups.push_back({name, {}, {}});
    Plan& p = groups[it->second];
    p.cost.push_back(u.optional_number(r, *cost_c).value_or(kNaN));
    p.revenue.push_back(revenue_c ? u.optional_number(r, *revenue_c).value_or(kNaN) : kNaN);
  }

  // The marker: what a user of the plan pays for the simulated time.
  std::vector<std::optional<double>> paid(groups.size());
  bool prorated_here = false;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const double m = median_of(groups[g].revenue);
    if (std::isfinite(m)) {
      paid[g] = m;
    } else if (auto it = price_per_month.find(groups[g].name); it != price_per_month.end() && duration_s) {
      paid[g] = it->second * *duration_s / kMonthS;
      prorated_here = true;
    }
  }
  std::vector<std::size_t> order(groups.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    auto key = [&](std::size_t g) {
      if (auto it = price_per_month.find(groups[g].name); it != price_per_month.end()) return it->second;
      return paid[g].value_or(std::numeric_limits<double>::infinity());
    };
    if (key(a) != key(b)) return key(a) < key(b);
    return groups[a].name < groups[b].name;
  });

  svg::DistributionChart c;
  c.title = "Cost of each user over the run, by plan";
  c.subtitle = "Each dot is one user; log scale. Users to the right of their plan's dashed line cost more than they pay.";
  c.x.label = "cost per user over the run (USD, log scale)";
  c.x.log = true;
  c.x.format = [](double v, double step) { return "$" + svg::tick_label(v, step); };
  c.marker_legend = prorated_here ? "plan price prorated to the run (≈, from plans.csv)"
                                  : "what the user pays for the run (plan price, prorated)";
  std::size_t zero_total = 0, users_total = 0, losing_total = 0;
  for (std::size_t g : order) {
    const Plan& p = groups[g];
    svg::DistributionGroup dg;
    dg.name = p.name.empty() ? "(no plan)" : p.name;
    dg.values = p.cost;
    std::size_t n = 0, zero = 0, losing = 0;
    for (double v : p.cost) {
      if (!std::isfinite(v)) continue;
      ++n;
      if (v <= 0) ++zero;
      if (paid[g] && v > *paid[g]) ++losing;
    }
    users_total += n;
    zero_total += zero;
    losing_total += losing;
    dg.annotation = fmt::format("{} user{} · median {}", count(static_cast<double>(n)), n == 1 ? "" : "s",
                                money(median_of(p.cost)));
    if (paid[g]) {
      dg.marker = *paid[g];
      dg.marker_label = "pays " + money(*paid[g]);
      if (*paid[g] <= 0) dg.annotation += "\npays $0, so no price line";
      dg.annotation += fmt::format("\n{} cost more than they pay", n ? percent(static_cast<double>(losing) / n) : "–");
    }
    if (zero) dg.annotation += fmt::format("\n{} at $0 (not on the log axis)", count(static_cast<double>(zero)));
    if (n - zero > c.max_dots_per_group) {
      dg.annotation += fmt::format("\ndots: {} evenly spaced quantiles", count(static_cast<double>(c.max_dots_per_group)));
    }
    c.groups.push_back(std::move(dg));
  }
  if (users_total == zero_total) {
    body = note(fmt::format("<code>{}</code> has no user with a positive cost, so the cost-per-user chart is omitted.",
                              escape(users.name)));
  } else {
    body += svg::render(c);
  }
  if (users_total > 0) {
    std::string facts = fmt::format("{} users", escape(count(static_cast<double>(users_total))));
    if (std::any_of(paid.begin(), paid.end(), [](const auto& p) { return p.has_value(); })) {
      facts += fmt::format(" · <b>{}</b> cost more than they pay",
                           escape(percent(static_cast<double>(losing_total) / static_cast<double>(users_total))));
    }
    body += "<p class=\"facts\">" + facts + "</p>\n";
  }
  if (!revenue_c && !prorated_here) {
    body += note(fmt::format("No {} column, and no plan prices with a run duration: plan prices are not marked.",
                               code_list(kUserRevenue)));
  }
  if (plans.usable()) body += details_table("plans.csv: per-plan aggregates", *plans.doc, 50);
  else if (plans.present) body += missing_note(plans, "the per-plan table");
  return body;
}

// ---- throttling by class ---------------------------------------------------------------------------------

const Names kClassName = {"class", "name", "user_class", "class_name"};
const Names kUsers = {"users", "user_count"};
const Names kUsersThrottled = {"users_throttled", "throttled_users"};
const Names kShareThrottled = {"share_users_throttled", "users_throttled_share", "throttled_user_share"};
const Names kSubmitted = {"requests_submitted", "submitted"};
const Names kCompleted = {"requests_completed", "completed"};
const Names kRejected = {"requests_rejected", "rejected"};
const Names kAbandoned = {"requests_abandoned", "abandoned"};

/// Per-class figures for the throttling charts; NaN where no file gives them.
struct ClassStats {
  std::string name;
  double users = kNaN, throttled_users = kNaN, share_throttled = kNaN;
  double submitted = kNaN, completed = kNaN, rejected = kNaN, abandoned = kNaN;
};

std::vector<ClassStats> class_stats(const Input& classes, const Input& users) {
  std::vector<ClassStats> out;
  std::map<std::string, std::size_t> index;
  auto at = [&](const std::string& name) -> ClassStats& {
    auto [it, fresh] = index.emplace(name, out.size());
    if (fresh) out.push_back(ClassStats{name});
    return out[it->second];
  };
  if (classes.usable()) {
    const CsvDocument& d = *classes.doc;
    if (const auto nc = d.find_column(kClassName)) {
      const std::pair<const Names*, double ClassStats::*> fields[] = {
          {&kUsers, &ClassStats::users},         {&kUsersThrottled, &ClassStats::throttled_users},
          {&kShareThrottled, &ClassStats::share_throttled}, {&kSubmitted, &ClassStats::submitted},
          {&kCompleted, &ClassStats::completed}, {&kRejected, &ClassStats::rejected},
          {&kAbandoned, &ClassStats::abandoned}};
      for (std::size_t r = 0; r < d.rows(); ++r) {
        ClassStats& cs = at(d.text(r, *nc));
        for (const auto& [names, member] : fields) {
          if (auto c = d.find_column(*names)) cs.*member = d.optional_number(r, *c).value_or(kNaN);
        }
      }
    }
  }
  if (users.usable()) {
    const CsvDocument& d = *users.doc;
    if (const auto cc = d.find_column(kUserClass)) {
      // Aggregate users.csv, filling only what classes.csv did not give.
      std::vector<ClassStats> agg;
      std::map<std::string, std::size_t> agg_index;
      const auto th = d.find_column(kUserThrottled), sub = d.find_column(kSubmitted), com = d.find_column(kCompleted),
                 rej = d.find_column(kRejected), ab = d.find_column(kAbandoned);
      auto add = [&](double& total, std::optional<std::size_t> col, std::size_t r) {
        if (!col) return;
        const double v = d.optional_number(r, *col).value_or(0.0);
        total = std::isnan(total) ? v : total + v;
      };
      for (std::size_t r = 0; r < d.rows(); ++r) {
        const std::string& name = d.text(r, *cc);
        auto [it, fresh] = agg_index.emplace(name, agg.size());
        if (fresh) agg.push_back(ClassStats{name, 0});
        ClassStats& a = agg[it->second];
        a.users += 1;
        if (th) {
          const double v = d.optional_number(r, *th).value_or(0.0);
          a.throttled_users = (std::isnan(a.throttled_users) ? 0 : a.throttled_users) + (v > 0 ? 1 : 0);
        }
        add(a.submitted, sub, r);
        add(a.completed, com, r);
        add(a.rejected, rej, r);
        add(a.abandoned, ab, r);
      }
      for (const ClassStats& a : agg) {
        ClassStats& cs = at(a.name);
        for (double ClassStats::*m : {&ClassStats::users, &ClassStats::throttled_users, &ClassStats::submitted,
                                      &ClassStats::completed, &ClassStats::rejected, &ClassStats::abandoned}) {
          if (std::isnan(cs.*m)) cs.*m = a.*m;
        }
      }
    }
  }
  for (ClassStats& cs : out) {
    if (std::isnan(cs.share_throttled) && cs.users > 0 && std::isfinite(cs.throttled_users)) {
      cs.share_throttled = cs.throttled_users / cs.users;
    }
  }
  return out;
}

std::string throttling_body(const Input& classes, const Input& users) {
  std::string body;
  if (!classes.usable() && !users.usable()) {
    body = classes.present || users.present
                 ? missing_note(classes, "the throttling charts") + missing_note(users, "the per-user fallback")
                 : note("No <code>classes.csv</code> or <code>users.csv</code> in this folder: throttling charts "
                        "omitted.");
    return body;
  }
  const auto stats = class_stats(classes, users);
  if (stats.empty()) {
    body = note(fmt::format("Neither <code>classes.csv</code> nor <code>users.csv</code> has a class column ({}), "
                              "so the throttling charts are omitted.",
                              code_list(kClassName)));
    return body;
  }
  std::vector<std::string> names;
  for (const auto& cs : stats) names.push_back(cs.name.empty() ? "(no class)" : cs.name);
  std::string charts;
  const bool has_share = std::any_of(stats.begin(), stats.end(), [](const auto& c) { return std::isfinite(c.share_throttled); });
  if (has_share) {
    svg::BarChart b;
    b.title = "Users throttled at least once";
    b.subtitle = "Share of each class's users refused by the policy at least once.";
    b.x.label = "users throttled (%)";
    b.categories = names;
    svg::BarSeries bs{"throttled", {}, 3, {}};
    for (const auto& cs : stats) bs.values.push_back(cs.share_throttled * 100);
    b.series.push_back(bs);
    for (const auto& cs : stats) {
      std::string l = std::isfinite(cs.share_throttled) ? percent(cs.share_throttled) : "–";
      if (std::isfinite(cs.throttled_users) && std::isfinite(cs.users)) {
        l += fmt::format(" ({} of {})", count(cs.throttled_users), count(cs.users));
      }
      b.series[0].labels.push_back(l);
    }
    b.width_px = 610;
    charts += "<div>" + svg::render(b) + "</div>\n";
  }
  const bool has_outcomes = std::any_of(stats.begin(), stats.end(), [](const auto& c) {
    return std::isfinite(c.rejected) || std::isfinite(c.abandoned);
  });
  if (has_outcomes) {
    svg::BarChart b;
    b.title = "Requests rejected and abandoned";
    b.subtitle = "Counts over the run; the share is of the class's submitted requests.";
    b.x.label = "requests";
    b.categories = names;
    svg::BarSeries rejected{"rejected (refused for good)", {}, 3, {}}, abandoned{"abandoned (the client gave up)", {}, 1, {}};
    for (const auto& cs : stats) {
      for (auto [series, v] : {std::pair{&rejected, cs.rejected}, std::pair{&abandoned, cs.abandoned}}) {
        series->values.push_back(v);
        std::string l = std::isfinite(v) ? count(v) : "–";
        if (std::isfinite(v) && cs.submitted > 0) l += " · " + percent(v / cs.submitted);
        series->labels.push_back(l);
      }
    }
    b.series = {rejected, abandoned};
    b.row_height_px = 40;
    b.width_px = 610;
    charts += "<div>" + svg::render(b) + "</div>\n";
  }
  if (charts.empty()) {
    Names all = kUsersThrottled;
    all.insert(all.end(), kUserThrottled.begin(), kUserThrottled.end());
    all.insert(all.end(), kRejected.begin(), kRejected.end());
    body = note("Neither classes.csv nor users.csv has throttling or outcome columns (" + code_list(all) +
                  "), so the throttling charts are omitted.");
    return body;
  }
  body += "<div class=\"pair\">\n" + charts + "</div>\n";

  // Counts as a small table, since the shares hide them.
  body += "<div class=\"table-wrap\"><table><thead><tr><th>class</th><th>users</th><th>throttled users</th>"
            "<th>requests submitted</th><th>completed</th><th>rejected</th><th>abandoned</th></tr></thead><tbody>\n";
  auto cell = [](double v) {
    return std::string("<td class=\"num\">") + (std::isfinite(v) ? escape(count(v)) : "–") + "</td>";
  };
  for (std::size_t i = 0; i < stats.size(); ++i) {
    const auto& cs = stats[i];
    body += "<tr><td>" + escape(names[i]) + "</td>" + cell(cs.users) + cell(cs.throttled_users) + cell(cs.submitted) +
              cell(cs.completed) + cell(cs.rejected) + cell(cs.abandoned) + "</tr>\n";
  }
  body += "</tbody></table></div>\n";
  if (!classes.usable()) {
    body += note(classes.present ? "classes.csv could not be read (" + escape(classes.error) +
                                         "); figures are aggregated from users.csv."
                                   : "No <code>classes.csv</code>: figures are aggregated from <code>users.csv</code>.");
  }
  return body;
}

// ---- policy comparison ----------------------------------------------------------------------------------

/// A metric of compare.csv worth a panel: accepted names, and which direction is better.
struct CompareMetric {
  std::string label;
  Names names;
  bool higher_is_better;
};

const std::vector<CompareMetric>& compare_metrics() {
  static const std::vector<CompareMetric> metrics = {
      {"Requests completed", {"requests_completed", "completed"}, true},
      {"Requests rejected", {"requests_rejected", "rejected"}, false},
      {"Time to first token, p99", {"ttft_p99_s"}, false},
      {"End-to-end latency, p99", {"latency_p99_s", "e2e_p99_s"}, false},
      {"Total cost", {"cost_total_usd", "cost_usd", "total_cost_usd"}, false},
      {"Revenue", {"revenue_usd", "revenue_total_usd"}, true},
      {"Margin", {"margin_usd", "margin_total_usd"}, true},
      {"Cost per million tokens", {"cost_per_million_tokens_usd", "cost_usd_per_million_tokens"}, false},
      {"Jain's fairness index", {"jain_fairness", "jain_index", "fairness_jain"}, true},
      {"Users throttled", {"share_users_throttled", "users_throttled_share"}, false},
      {"Utilization", {"utilization", "busy_fraction"}, true},
      {"Energy", {"energy_kwh", "facility_energy_kwh", "it_energy_kwh"}, false},
  };
  return metrics;
}

std::string compare_body(const Input& in) {
  std::string body;
  if (!in.usable()) {
    body = missing_note(in, "the policy comparison");
    return body;
  }
  const CsvDocument& d = *in.doc;
  if (d.rows() == 0) {
    body = note("<code>compare.csv</code> has no rows.");
    return body;
  }
  const std::size_t name_c = d.find_column({"policy", "policy_name", "name", "label", "scenario"}).value_or(0);
  std::vector<std::string> policies;
  for (std::size_t r = 0; r < d.rows(); ++r) policies.push_back(d.text(r, name_c));
  std::string panels;
  for (const auto& m : compare_metrics()) {
    const auto col = d.find_column(m.names);
    if (!col) continue;
    const std::vector<double> v = d.numbers(*col);
    if (!any_finite(v)) continue;
    const std::string column = d.header()[*col];
    const bool fraction = is_fraction_column(column);
    svg::BarChart b;
    b.title = m.label;
    b.subtitle = (m.higher_is_better ? "higher is better" : "lower is better") + std::string(" · ") + column;
    b.categories = policies;
    svg::BarSeries bs{m.label, v, 0, {}};
    if (fraction) {
      for (double& x : bs.values) x *= 100;
      b.x.label = "%";
    } else if (ends_with(column, "_s")) {
      b.x.label = "seconds";
    } else if (ends_with(column, "_usd")) {
      b.x.label = "USD";
    } else if (ends_with(column, "_kwh")) {
      b.x.label = "kWh";
    } else {
      b.x.label = "";
    }
    b.series.push_back(bs);
    b.value_label = [column, fraction](double x) {
      return format_cell(column, fmt::format("{}", fraction ? x / 100 : x));
    };
    std::optional<std::size_t> best;
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (!std::isfinite(v[i])) continue;
      if (!best || (m.higher_is_better ? v[i] > v[*best] : v[i] < v[*best])) best = i;
    }
    b.highlight = best;
    b.width_px = 400;
    b.row_height_px = 24;
    panels += "<div>" + svg::render(b) + "</div>\n";
  }
  if (panels.empty()) {
    Names all;
    for (const auto& m : compare_metrics()) all.push_back(m.names.front());
    body = columns_note(in.name, "the comparison charts", all);
  } else {
    body += "<p class=\"lede\">One row of <code>compare.csv</code> per policy; the best policy on each metric is "
              "outlined.</p>\n<div class=\"grid3\">\n" + panels + "</div>\n";
  }
  body += details_table("compare.csv: every column", d, 100);
  return body;
}

// ---- headline ---------------------------------------------------------------------------------------------

/// A headline figure: label, the accepted column names, an optional line under it, whether it takes two
/// columns, and columns whose presence makes it redundant (another tile already says it).
struct Tile {
  std::string label;
  Names names;
  std::function<std::string(const std::function<std::optional<double>(const Names&)>&)> sub;
  bool wide = false;
  Names unless = {};
};

std::string headline(const Input& in) {
  std::string out;
  if (!in.usable() || in.doc->rows() == 0) {
    out += in.usable() ? note("<code>summary.csv</code> has no rows.") : missing_note(in, "the headline figures");
    return out;
  }
  const CsvDocument& d = *in.doc;
  auto num = [&](const Names& names) -> std::optional<double> {
    if (auto c = d.find_column(names)) return d.optional_number(0, *c);
    return std::nullopt;
  };
  auto shown = [&](const Names& names) -> std::string {
    if (auto c = d.find_column(names)) return format_cell(d.header()[*c], d.text(0, *c));
    return "–";
  };
  using Num = std::function<std::optional<double>(const Names&)>;
  const std::vector<Tile> tiles = {
      {"Requests completed", {"requests_completed"},
       [&](const Num& n) {
         const auto sub = n({"requests_submitted"}), rej = n({"requests_rejected"}), ab = n({"requests_abandoned"});
         std::string out = sub ? "of " + count(*sub) : "";
         if (rej) out += (out.empty() ? "" : " · ") + count(*rej) + " rejected";
         if (ab) out += (out.empty() ? "" : " · ") + count(*ab) + " abandoned";
         return out;
       },
       true},
      {"Throughput", {"throughput_rps"},
       [&](const Num& n) {
         const auto t = n({"output_tokens_per_s"});
         return t ? svg::format_number(*t) + " output tokens/s" : std::string();
       }},
      {"TTFT, p99", {"ttft_p99_s"},
       [&](const Num& n) {
         const auto m = n({"ttft_p50_s"});
         return m ? "median " + duration(*m) : std::string();
       }},
      {"Latency, p99", {"latency_p99_s"},
       [&](const Num& n) {
         const auto m = n({"latency_p50_s"});
         return m ? "median " + duration(*m) : std::string();
       }},
      {"TPOT, p99", {"tpot_p99_s"},
       [&](const Num& n) {
         const auto m = n({"tpot_p50_s"});
         return m ? "median " + duration(*m) : std::string();
       }},
      {"Utilization", {"utilization", "busy_fraction"},
       [&](const Num& n) {
         const auto r = n({"replicas"}), g = n({"gpus"});
         if (!r) return std::string();
         const auto plural = [](double v, const char* noun) { return count(v) + " " + noun + (v == 1 ? "" : "s"); };
         return plural(*r, "replica") + (g ? ", " + plural(*g, "GPU") : "");
       }},
      {"Energy", {"facility_energy_kwh", "energy_kwh", "it_energy_kwh"},
       [&](const Num& n) {
         const auto p = n({"pue_mean", "pue", "pue_avg"});
         return p ? "PUE " + svg::format_number(*p) : std::string();
       }},
      {"Cost", {"cost_total_usd", "cost_usd", "total_cost_usd", "bill_usd"},
       [&](const Num& n) {
         const auto c = n({"cost_per_million_tokens_usd", "cost_usd_per_million_tokens"});
         return c ? money(*c) + " per M tokens" : std::string();
       }},
      {"Revenue", {"revenue_usd", "revenue_total_usd"}, {}, false, {"margin_usd", "margin_total_usd"}},
      {"Margin", {"margin_usd", "margin_total_usd"},
       [&](const Num& n) {
         const auto m = n({"margin_usd", "margin_total_usd"}), r = n({"revenue_usd", "revenue_total_usd"});
         return m && r && *r != 0 ? percent(*m / *r) + " of " + money(*r) : std::string();
       }},
      {"Emissions", {"emissions_kg", "co2_kg", "emissions_kg_co2e", "emissions_g"}, {}},
      {"Energy per token", {"energy_per_token_j", "energy_j_per_token", "j_per_token"}, {}},
      {"Jain's fairness", {"jain_fairness", "jain_index", "fairness_jain"}, {}},
      {"Users throttled", {"share_users_throttled", "users_throttled_share"}, {}},
  };
  out += "<div class=\"tiles\">\n";
  for (const auto& t : tiles) {
    const auto c = d.find_column(t.names);
    if (!c || (!t.unless.empty() && d.find_column(t.unless))) continue;
    const auto v = d.optional_number(0, *c);
    const bool negative = v && *v < 0;
    out += fmt::format("<div class=\"tile{}\"><div class=\"label\">{}</div><div class=\"value{}\" title=\"{}: {}\">{}</div>",
                       t.wide ? " wide" : "", escape(t.label), negative ? " neg" : "", escape(d.header()[*c]),
                       escape(d.text(0, *c)),
                       escape(shown(t.names)));
    const std::string sub = t.sub ? t.sub(num) : "";
    if (!sub.empty()) out += "<div class=\"sub\">" + escape(sub) + "</div>";
    out += "</div>\n";
  }
  out += "</div>\n";

  // Every column, for completeness: name, formatted value, exact value.
  out += fmt::format("<details><summary>All {} columns of summary.csv</summary>\n<div class=\"table-wrap\"><table class=\"kv\">"
                     "<thead><tr><th>column</th><th>value</th><th>as written</th></tr></thead><tbody>\n",
                     d.columns());
  for (std::size_t c = 0; c < d.columns(); ++c) {
    const bool numeric = parse_number(d.text(0, c)).has_value();
    out += fmt::format("<tr><td><code>{}</code></td><td{}>{}</td><td class=\"{}raw\">{}</td></tr>\n",
                       escape(d.header()[c]), numeric ? " class=\"num\"" : "",
                       escape(format_cell(d.header()[c], d.text(0, c))), numeric ? "num " : "", escape(d.text(0, c)));
  }
  out += "</tbody></table></div></details>\n";
  if (d.rows() > 1) out += note(fmt::format("summary.csv has {} rows; the figures above are from the first.", d.rows()));
  return out;
}

// ---------------------------------------------------------------------------------------------------------

constexpr const char* kCss = R"CSS(
:root { --ink: #1f2937; --muted: #6b7280; --line: #e5e7eb; --bg: #f6f7f9; --card: #ffffff; --accent: #0072B2; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "DejaVu Sans", sans-serif; }
main { max-width: 1320px; margin: 0 auto; padding: 24px 28px 40px; }
header.top { display: flex; justify-content: space-between; align-items: flex-end; gap: 24px; flex-wrap: wrap;
  border-bottom: 3px solid var(--accent); padding-bottom: 12px; margin-bottom: 18px; }
h1 { font-size: 26px; margin: 0; letter-spacing: -0.01em; }
h1 small { font-weight: 400; color: var(--muted); font-size: 15px; margin-left: 6px; }
.meta { color: var(--muted); font-size: 12.5px; margin-top: 4px; }
.meta code { font-size: 12px; }
nav a { color: var(--accent); text-decoration: none; margin-left: 14px; font-size: 13px; white-space: nowrap; }
nav a:hover { text-decoration: underline; }
h2 { font-size: 18px; margin: 0 0 10px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 16px 18px 14px;
  margin-bottom: 18px; box-shadow: 0 1px 2px rgba(0,0,0,0.04); }
.row2 { display: grid; grid-template-columns: 1fr 1fr; gap: 18px; }
.row2 > .card { margin-bottom: 18px; min-width: 0; }
svg.chart { display: block; max-width: 100%; height: auto; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; align-items: start; }
.grid3 { display: grid; grid-template-columns: repeat(3, 1fr); gap: 6px 14px; }
.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(165px, 1fr)); gap: 10px; margin-bottom: 8px; }
.tile { border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; background: #fbfcfd; }
.tile.wide { grid-column: span 2; }
.tile .label { color: var(--muted); font-size: 12px; }
.tile .value { font-size: 21px; font-weight: 650; font-variant-numeric: tabular-nums; letter-spacing: -0.01em; }
.tile .value.neg { color: #b23b00; }
.tile .sub { color: var(--muted); font-size: 12px; }
.facts { color: var(--ink); font-size: 13px; margin: 6px 0 2px; }
.lede { color: var(--muted); margin: 0 0 8px; }
.note { background: #fff8e6; border-left: 4px solid #E69F00; padding: 8px 12px; margin: 8px 0; font-size: 13px;
  border-radius: 0 6px 6px 0; }
code { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12.5px;
  background: #f1f3f5; padding: 0 3px; border-radius: 3px; }
details { margin-top: 10px; }
summary { cursor: pointer; color: var(--accent); font-size: 13px; }
.table-wrap { overflow-x: auto; margin-top: 8px; }
table { border-collapse: collapse; font-size: 12.5px; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 10px; border-bottom: 1px solid var(--line); text-align: left; white-space: nowrap; }
th { background: #f3f4f6; font-weight: 600; }
td.num { text-align: right; }
td.raw { color: var(--muted); }
tbody tr:nth-child(even) { background: #fafafa; }
footer { color: var(--muted); font-size: 12px; text-align: center; margin-top: 8px; }
@media (max-width: 1100px) { .row2, .pair { grid-template-columns: 1fr; } .grid3 { grid-template-columns: 1fr 1fr; } }
@media print { body { background: #fff; } .card { box-shadow: none; break-inside: avoid; } }
)CSS";

}  // namespace

std::string render_report(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw ConfigError(fmt::format("{}: not a folder of run outputs", dir.string()));
  }
  const Input summary = load(dir, "summary.csv"), timeseries = load(dir, "timeseries.csv"),
              users = load(dir, "users.csv"), plans = load(dir, "plans.csv"), classes = load(dir, "classes.csv"),
              compare = load(dir, "compare.csv");
  const auto run = read_flat_json(dir / "run.json");

  auto summary_text = [&](const Names& names) -> std::string {
    if (!summary.usable() || summary.doc->rows() == 0) return "";
    if (auto c = summary.doc->find_column(names)) return summary.doc->text(0, *c);
    return "";
  };
  std::string scenario = summary_text({"scenario", "name"});
  if (scenario.empty() && run.count("scenario")) scenario = run.at("scenario");
  std::optional<double> duration_s;
  if (auto v = parse_number(summary_text(kDuration))) duration_s = *v;
  else if (run.count("simulated_s")) {
    if (auto w = parse_number(run.at("simulated_s"))) duration_s = *w;
  }

  // Each card is built on its own: a file that cannot be parsed, or a cell that is not a number, turns into a
  // note in that card only.
  auto card = [](std::string id, std::string title, bool wide, const auto& build) -> Section {
    Section s{std::move(id), std::move(title), "", wide};
    try {
      s.body = build();
    } catch (const CsvError& e) {
      s.body = note("This section could not be drawn: " + escape(e.what()));
    }
    return s;
  };
  const TimeSeriesInput ts = read_time_series(timeseries);
  auto over_time = [&](auto body) {
    return [&ts, &timeseries, body] { return ts.ts ? body(timeseries, *ts.ts) : ts.problem_html; };
  };
  const Section power = card("power", "Power and electricity price", true, over_time(power_body));
  const Section util = card("utilization", "Utilization over time", true, over_time(utilization_body));
  const Section load_s = card("load", "Requests in the system", false, over_time(load_body));
  const Section cooling = card("cooling", "Cooling efficiency and outside temperature", false, over_time(cooling_body));
  const Section cost = card("cost", "Cost per user, by plan", true, [&] { return cost_body(users, plans, duration_s); });
  const Section throttling = card("throttling", "Throttling by user class", true, [&] { return throttling_body(classes, users); });
  const Section comparison = card("compare", "Policy comparison", true, [&] { return compare_body(compare); });
  std::string head_html;
  try {
    head_html = headline(summary);
  } catch (const CsvError& e) {
    head_html = note("The headline figures could not be drawn: " + escape(e.what()));
  }

  const std::string title = "infercost report" + (scenario.empty() ? "" : ": " + scenario);
  std::string html;
  html += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  // Nothing may be fetched: styles and images are inline, and the policy forbids everything else.
  html += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
          "img-src data:\">\n";
  html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  html += "<meta name=\"generator\" content=\"infercost " + escape(INFERCOST_VERSION) + "\">\n";
  html += "<title>" + escape(title) + "</title>\n<style>" + kCss + "</style>\n</head>\n<body>\n<main>\n";

  html += "<header class=\"top\">\n<div>\n<h1>" + escape(scenario.empty() ? "infercost report" : scenario) +
          (scenario.empty() ? "" : " <small>infercost report</small>") + "</h1>\n";
  std::vector<std::string> meta;
  if (duration_s) meta.push_back(escape(duration(*duration_s)) + " simulated");
  if (auto seed = summary_text({"seed"}); !seed.empty()) meta.push_back("seed " + escape(seed));
  else if (run.count("seed")) meta.push_back("seed " + escape(run.at("seed")));
  if (run.count("scenario_file")) meta.push_back("<code>" + escape(run.at("scenario_file")) + "</code>");
  if (run.count("scenario_hash")) meta.push_back("scenario hash <code>" + escape(run.at("scenario_hash")) + "</code>");
  if (run.count("event_fingerprint")) meta.push_back("fingerprint <code>" + escape(run.at("event_fingerprint")) + "</code>");
  if (run.count("infercost_version")) meta.push_back("infercost " + escape(run.at("infercost_version")));
  std::string meta_line;
  for (const auto& m : meta) meta_line += (meta_line.empty() ? "" : " · ") + m;
  if (!meta_line.empty()) html += "<div class=\"meta\">" + meta_line + "</div>\n";
  html += "</div>\n<nav>";
  for (const auto& [id, label] : std::vector<std::pair<std::string, std::string>>{
           {"headline", "Headline"}, {"power", "Power"}, {"utilization", "Utilization"}, {"cost", "Cost per user"},
           {"throttling", "Throttling"}, {"compare", "Policies"}, {"files", "Files"}}) {
    html += "<a href=\"#" + id + "\">" + label + "</a>";
  }
  html += "</nav>\n</header>\n";

  html += section_html({"headline", "Headline figures", head_html});
  html += section_html(power);
  html += section_html(util);
  html += "<div class=\"row2\">\n" + section_html(load_s) + section_html(cooling) + "</div>\n";
  html += section_html(cost);
  html += section_html(throttling);
  html += section_html(comparison);

  std::string files = "<div class=\"table-wrap\"><table><thead><tr><th>file</th><th>status</th><th>rows</th>"
                      "<th>used for</th></tr></thead><tbody>\n";
  const std::vector<std::pair<const Input*, std::string>> inputs = {
      {&summary, "headline figures"},
      {&timeseries, "power, cooling, utilization and load over time"},
      {&users, "cost per user; throttling by class (fallback)"},
      {&plans, "plan prices and the per-plan table"},
      {&classes, "throttling by class"},
      {&compare, "policy comparison"}};
  for (const auto& [in, use] : inputs) {
    const std::string status = in->usable() ? "read" : in->present ? "unreadable: " + in->error : "not present";
    files += fmt::format("<tr><td><code>{}</code></td><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>\n",
                         escape(in->name), escape(status), in->usable() ? count(static_cast<double>(in->doc->rows())) : "–",
                         escape(use));
  }
  files += fmt::format("<tr><td><code>run.json</code></td><td>{}</td><td class=\"num\">–</td><td>provenance in the "
                       "page header</td></tr>\n",
                       run.empty() ? "not present" : "read");
  files += "</tbody></table></div>\n";
  html += section_html({"files", "Files in this folder", files});
  html += "<footer>Made by <code>infercost report</code> from the files above. The page is self-contained: "
          "it needs no network and runs no scripts.</footer>\n";
  html += "</main>\n</body>\n</html>\n";
  return html;
}

fs::path write_report(const fs::path& dir, const fs::path& out) {
  const fs::path path = out.empty() ? dir / "report.html" : out;
  write_file_atomic(path, render_report(dir));
  return path;
}

}  // namespace infercost
