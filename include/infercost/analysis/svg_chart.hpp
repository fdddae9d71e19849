#pragma once
// A small SVG plotting kit for the HTML report: nice ticks, linear and log axes, line/step/area charts with
// an optional second y axis, per-group distributions (dots, box, marker) and horizontal bar charts.
// Output is plain SVG text with no scripts, fonts or links, and the same inputs always give the same bytes.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace infercost::svg {

/// The Okabe–Ito palette (Okabe & Ito, "Color Universal Design", 2002/2008), distinguishable with any common form
/// of colour blindness; ordered so that the first colours contrast most on white.
const std::vector<std::string>& palette();
/// Colour `i` of the palette (wraps around).
const std::string& colour(std::size_t i);

/// Escapes text for HTML and SVG content and attribute values (& < > " ').
std::string escape(std::string_view text);

/// Tick positions for an axis and the range they cover (first tick <= data min, last >= data max).
struct Ticks {
  std::vector<double> values;  ///< labelled ticks, ascending
  std::vector<double> minor;   ///< unlabelled grid positions (log axes: 2..9 x 10^k)
  double lo = 0;               ///< axis range start
  double hi = 1;               ///< axis range end
  double step = 0;             ///< linear step between ticks (0 on log axes)
};

/// Linear ticks with a 1-2-5 step (or the smallest of `preferred_steps` giving at most `max_ticks` ticks).
Ticks linear_ticks(double lo, double hi, int max_ticks = 6, const std::vector<double>& preferred_steps = {});
/// Log ticks at powers of ten (and 2, 5 x 10^k when the range spans less than three decades); lo, hi > 0.
Ticks log_ticks(double lo, double hi);
/// A tick label: as many decimals as the step needs; k/M/G suffixes from ten thousand up; a true minus sign.
std::string tick_label(double value, double step);
/// A number with `significant` significant digits and thousands separators ("1,234", "0.0123", "12.3k").
std::string format_number(double value, int significant = 3);

/// Averages consecutive points into at most `max_points` buckets of equal count (x: bucket start; y: mean of
/// the finite values, NaN when none). Keeps the time-average of an evenly sampled series.
void downsample_mean(std::vector<double>& x, std::vector<double>& y, std::size_t max_points);

/// One axis of a chart: label (with unit), scale and tick formatting.
struct AxisSpec {
  std::string label;
  bool log = false;
  std::optional<double> min;               ///< a value the range must include (e.g. 0 for bars)
  std::optional<double> max;               ///< another (e.g. 100 for a percentage)
  std::vector<double> preferred_steps;     ///< e.g. 1, 2, 3, 6, 12, 24 for hours
  bool tight = false;                      ///< the range is the data's, not widened to the outer ticks
  std::function<std::string(double value, double step)> format;  ///< tick labels; default tick_label
};

/// How a series is drawn: `step` and `step_area` hold each value until the next x (and the last one for one
/// more interval), which is how interval averages should look.
enum class SeriesStyle { line, step, area, step_area, points };

/// One series of an x-y chart.
struct Series {
  std::string name;
  std::vector<double> x;
  std::vector<double> y;
  std::vector<double> base;     ///< area: lower edge (empty: zero)
  SeriesStyle style = SeriesStyle::line;
  std::size_t colour = 0;       ///< palette index
  bool right_axis = false;
  bool dashed = false;
  double width_px = 2.0;
};

/// A horizontal reference line (e.g. capacity) on the left axis.
struct ReferenceLine {
  double y = 0;
  std::string label;
};

/// An x-y chart: time series with an optional second y axis.
struct XyChart {
  std::string title;
  std::string subtitle;
  AxisSpec x;
  AxisSpec y;
  std::optional<AxisSpec> y_right;
  std::vector<Series> series;
  std::vector<ReferenceLine> references;
  int width_px = 1240;
  int height_px = 340;
};
std::string render(const XyChart& chart);

/// One group (row) of a distribution chart.
struct DistributionGroup {
  std::string name;
  std::vector<double> values;       ///< one per member (e.g. cost per user); non-positive ones skipped on log axes
  std::optional<double> marker;     ///< a reference value drawn as a vertical line (e.g. the plan's price)
  std::string marker_label;
  std::string annotation;           ///< text right of the row (counts, shares)
};

/// Distributions of one quantity by group: each member a dot, a box (p25-p75, median) with p5-p95 whiskers,
/// and an optional marker per group.
struct DistributionChart {
  std::string title;
  std::string subtitle;
  AxisSpec x;
  std::vector<DistributionGroup> groups;
  std::string marker_legend;        ///< legend text for the markers
  std::size_t max_dots_per_group = 1500;  ///< beyond this, dots are drawn at evenly spaced quantiles
  int width_px = 1240;
};
std::string render(const DistributionChart& chart);

/// One series of a bar chart: a value per category, and optionally the text to print at each bar's end.
struct BarSeries {
  std::string name;
  std::vector<double> values;
  std::size_t colour = 0;
  std::vector<std::string> labels;  ///< per category; empty: BarChart::value_label
};

/// Horizontal bars, one row per category; several series are stacked (or grouped when not stacked).
struct BarChart {
  std::string title;
  std::string subtitle;
  AxisSpec x;
  std::vector<std::string> categories;
  std::vector<BarSeries> series;
  bool stacked = false;
  std::function<std::string(double)> value_label;  ///< text at the end of each bar (not stacked); none if empty
  std::optional<std::size_t> highlight;            ///< a category to draw with a heavier outline
  int width_px = 600;
  int row_height_px = 26;
};
std::string render(const BarChart& chart);

}  // namespace infercost::svg
