#include "infercost/analysis/svg_chart.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace infercost::svg {

namespace {

constexpr const char* kFont = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', 'DejaVu Sans', sans-serif";
constexpr const char* kInk = "#1f2937";
constexpr const char* kMuted = "#6b7280";
constexpr const char* kGrid = "#e5e7eb";
constexpr const char* kGridMinor = "#f3f4f6";
constexpr const char* kAxis = "#9ca3af";

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Coordinates with one decimal: enough for a screen, and byte-stable.
std::string px(double v) {
  if (std::abs(v) < 0.05) return "0";
  std::string s = fmt::format("{:.1f}", v);
  if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) s.resize(s.size() - 2);
  return s;
}

/// Approximate rendered width of text in a sans-serif face; layout only needs a safe upper estimate.
double text_width(std::string_view text, double font_px) {
  double units = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if ((c & 0xC0) == 0x80) continue;  // UTF-8 continuation byte
    if (c == ' ' || c == '.' || c == ',' || c == ':' || c == 'i' || c == 'l' || c == '1' || c == '|' || c == '\'') {
      units += 0.32;
    } else if (c >= 'A' && c <= 'Z') {
      units += 0.68;
    } else if (c == 'm' || c == 'w' || c == '%' || c == '@') {
      units += 0.85;
    } else {
      units += 0.57;
    }
  }
  return units * font_px;
}

bool finite(double v) { return std::isfinite(v); }

/// Maps data values to pixels along one axis.
struct Scale {
  double lo, hi;
  bool log;
  double px0, px1;
  double operator()(double v) const {
    if (log) {
      const double l = std::log10(lo), h = std::log10(hi);
      return px0 + (std::log10(v) - l) / (h - l) * (px1 - px0);
    }
    return px0 + (v - lo) / (hi - lo) * (px1 - px0);
  }
};

std::string svg_open(int width, int height, const std::string& title, const std::string& subtitle) {
  std::string out = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 {0} {1}\" width=\"{0}\" "
      "height=\"{1}\" role=\"img\" font-family=\"{2}\" font-size=\"12\" fill=\"{3}\">\n",
      width, height, kFont, kInk);
  out += "<title>" + escape(title) + "</title>\n";
  if (!subtitle.empty()) out += "<desc>" + escape(subtitle) + "</desc>\n";
  out += fmt::format("<text x=\"12\" y=\"22\" font-size=\"15\" font-weight=\"600\">{}</text>\n", escape(title));
  if (!subtitle.empty()) {
    out += fmt::format("<text x=\"12\" y=\"40\" font-size=\"12\" fill=\"{}\">{}</text>\n", kMuted, escape(subtitle));
  }
  return out;
}

int header_height(const std::string& subtitle) { return subtitle.empty() ? 32 : 50; }

std::string text_at(double x, double y, std::string_view anchor, const std::string& body, std::string_view extra = "") {
  return fmt::format("<text x=\"{}\" y=\"{}\"{}{}{}>{}</text>\n", px(x), px(y),
                     anchor == "start" ? "" : fmt::format(" text-anchor=\"{}\"", anchor), extra.empty() ? "" : " ",
                     extra, escape(body));
}

std::string label_of(const AxisSpec& axis, double v, double step) {
  return axis.format ? axis.format(v, step) : tick_label(v, step);
}

/// One legend entry: its swatch kind, colour and text.
struct LegendItem {
  enum Kind { line, dashed, area, dot, box, whisker } kind;
  std::string colour;
  std::string text;
};

/// Lays legend items out left to right, wrapping; returns the SVG and the height used.
std::pair<std::string, double> legend(const std::vector<LegendItem>& items, double x0, double y0, double max_x) {
  std::string out;
  double x = x0, y = y0;
  const double line_h = 18;
  for (const auto& it : items) {
    const double w = 26 + text_width(it.text, 12) + 18;
    if (x > x0 && x + w > max_x) {
      x = x0;
      y += line_h;
    }
    const double cy = y - 4;
    switch (it.kind) {
      case LegendItem::line:
      case LegendItem::dashed:
        out += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"2.5\"{}/>\n",
                           px(x), px(cy), px(x + 20), px(cy), it.colour,
                           it.kind == LegendItem::dashed ? " stroke-dasharray=\"5 3\"" : "");
        break;
      case LegendItem::area:
        out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"20\" height=\"10\" fill=\"{}\" fill-opacity=\"0.55\" "
                           "stroke=\"{}\"/>\n",
                           px(x), px(cy - 5), it.colour, it.colour);
        break;
      case LegendItem::dot:
        out += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"3.5\" fill=\"{}\" fill-opacity=\"0.6\"/>\n", px(x + 10),
                           px(cy), it.colour);
        break;
      case LegendItem::box:
        out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"20\" height=\"10\" fill=\"#ffffff\" fill-opacity=\"0.5\" "
                           "stroke=\"{}\" stroke-width=\"1.2\"/><line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" "
                           "stroke=\"{}\" stroke-width=\"2.5\"/>\n",
                           px(x), px(cy - 5), it.colour, px(x + 9), px(cy - 5), px(x + 9), px(cy + 5), it.colour);
        break;
      case LegendItem::whisker:
        out += fmt::format("<path d=\"M{0} {1}V{2}M{0} {3}H{4}M{4} {1}V{2}\" stroke=\"{5}\" fill=\"none\"/>\n",
                           px(x), px(cy - 4), px(cy + 4), px(cy), px(x + 20), it.colour);
        break;
    }
    out += text_at(x + 26, y, "start", it.text);
    x += w;
  }
  return {out, y - y0 + line_h};
}

double legend_height(const std::vector<LegendItem>& items, double x0, double max_x) {
  if (items.empty()) return 0;
  return legend(items, x0, 0, max_x).second;
}

/// Data range of finite values (optionally positive only), widened to include forced bounds.
std::pair<double, double> data_range(const std::vector<const std::vector<double>*>& columns, bool positive_only,
                                     const AxisSpec& axis) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const auto* c : columns) {
    for (double v : *c) {
      if (!finite(v) || (positive_only && v <= 0)) continue;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  }
  // A forced bound is a value the range must include, on whichever side it falls.
  for (const auto& bound : {axis.min, axis.max}) {
    if (!bound || (positive_only && *bound <= 0)) continue;
    lo = std::min(lo, *bound);
    hi = std::max(hi, *bound);
  }
  if (!finite(lo)) {
    lo = positive_only ? 1 : 0;
    hi = positive_only ? 10 : 1;
  }
  return {lo, hi};
}

Ticks ticks_for(const AxisSpec& axis, double lo, double hi, int max_ticks) {
  Ticks t = axis.log ? log_ticks(lo, hi) : linear_ticks(lo, hi, max_ticks, axis.preferred_steps);
  if (axis.tight && hi > lo) {
    // The range is the data's; only the ticks inside it stay.
    const double eps = (hi - lo) * 1e-9;
    auto outside = [&](double v) { return v < lo - eps || v > hi + eps; };
    t.values.erase(std::remove_if(t.values.begin(), t.values.end(), outside), t.values.end());
    t.minor.erase(std::remove_if(t.minor.begin(), t.minor.end(), outside), t.minor.end());
    t.lo = lo;
    t.hi = hi;
  }
  return t;
}

double max_label_width(const AxisSpec& axis, const Ticks& t) {
  double w = 0;
  for (double v : t.values) w = std::max(w, text_width(label_of(axis, v, t.step), 12));
  return w;
}

/// Quantile by linear interpolation between order statistics (type 7); `sorted` ascending, non-empty.
double quantile_sorted(const std::vector<double>& sorted, double q) {
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const auto i = static_cast<std::size_t>(std::floor(pos));
  const double frac = pos - static_cast<double>(i);
  if (i + 1 >= sorted.size()) return sorted.back();
  return sorted[i] + frac * (sorted[i + 1] - sorted[i]);
}

}  // namespace

const std::vector<std::string>& palette() {
  // Blue, orange, bluish green, vermillion, reddish purple, sky blue, yellow, black.
  static const std::vector<std::string> colours = {"#0072B2", "#E69F00", "#009E73", "#D55E00",
                                                   "#CC79A7", "#56B4E9", "#F0E442", "#000000"};
  return colours;
}

const std::string& colour(std::size_t i) { return palette()[i % palette().size()]; }

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

Ticks linear_ticks(double lo, double hi, int max_ticks, const std::vector<double>& preferred_steps) {
  Ticks t;
  if (!finite(lo) || !finite(hi)) lo = 0, hi = 1;
  if (lo > hi) std::swap(lo, hi);
  if (hi - lo <= std::abs(hi) * 1e-12) {
    // A constant series: centre it in a range a tenth of its magnitude either side.
    const double pad = lo == 0 ? 1 : std::pow(10.0, std::floor(std::log10(std::abs(lo))) - 1);
    if (lo != 0) lo -= pad;
    hi += pad;
  }
  max_ticks = std::max(max_ticks, 2);
  auto count_for = [&](double step) {
    return std::ceil(hi / step - 1e-9) - std::floor(lo / step + 1e-9) + 1;
  };
  double step = 0;
  for (double s : preferred_steps) {
    if (s > 0 && count_for(s) <= max_ticks) {
      step = s;
      break;
    }
  }
  if (step == 0) {
    const double raw = (hi - lo) / (max_ticks - 1);
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    for (double m : {1.0, 2.0, 2.5, 5.0, 10.0, 20.0}) {
      step = m * mag;
      if (count_for(step) <= max_ticks) break;
    }
  }
  const double first = std::floor(lo / step + 1e-9);
  const double last = std::ceil(hi / step - 1e-9);
  for (double k = first; k <= last + 0.5; k += 1) {
    double v = k * step;
    if (std::abs(v) < step * 1e-9) v = 0;
    t.values.push_back(v);
  }
  t.step = step;
  t.lo = t.values.front();
  t.hi = t.values.back();
  return t;
}

Ticks log_ticks(double lo, double hi) {
  Ticks t;
  if (!(lo > 0) || !finite(lo)) lo = 1;
  if (!(hi > 0) || !finite(hi)) hi = lo * 10;
  if (lo > hi) std::swap(lo, hi);
  const int e_lo = static_cast<int>(std::floor(std::log10(lo) + 1e-12));
  int e_hi = static_cast<int>(std::ceil(std::log10(hi) - 1e-12));
  if (e_hi == e_lo) ++e_hi;
  const bool dense = e_hi - e_lo < 3;
  for (int e = e_lo; e <= e_hi; ++e) {
    const double p = std::pow(10.0, e);
    t.values.push_back(p);
    if (e == e_hi) break;
    for (int m = 2; m <= 9; ++m) {
      if (dense && (m == 2 || m == 5)) t.values.push_back(m * p);
      else t.minor.push_back(m * p);
    }
  }
  t.lo = std::pow(10.0, e_lo);
  t.hi = std::pow(10.0, e_hi);
  t.step = 0;
  return t;
}

std::string tick_label(double value, double step) {
  if (value == 0) return "0";
  const double a = std::abs(value);
  if (a >= 1e4) {
    const char* suffix = "k";
    double div = 1e3;
    if (a >= 1e9) suffix = "G", div = 1e9;
    else if (a >= 1e6) suffix = "M", div = 1e6;
    return tick_label(value / div, step > 0 ? step / div : 0) + suffix;
  }
  int decimals = 0;
  if (step > 0) {
    // Enough decimals that consecutive ticks differ (2.5 needs one more than 5).
    decimals = std::max(0, static_cast<int>(std::ceil(-std::log10(step) - 1e-9)));
    const double scaled = step * std::pow(10.0, decimals);
    if (std::abs(scaled - std::round(scaled)) > 1e-6) ++decimals;
  } else {
    // Log ticks: 1, 2, 5 x 10^k.
    decimals = std::max(0, static_cast<int>(std::ceil(-std::log10(a) - 1e-9)));
  }
  std::string out = fmt::format("{:.{}f}", std::abs(value), std::min(decimals, 12));
  return (value < 0 ? "−" : "") + out;
}

std::string format_number(double value, int significant) {
  if (!finite(value)) return std::isnan(value) ? "–" : (value > 0 ? "∞" : "−∞");
  if (value == 0) return "0";
  const double a = std::abs(value);
  const int magnitude = static_cast<int>(std::floor(std::log10(a)));
  int decimals = std::max(0, significant - 1 - magnitude);
  std::string digits = fmt::format("{:.{}f}", a, decimals);
  // Rounding can carry into a new digit (9.995 -> 10.00): drop the now-excess decimal.
  if (decimals > 0 && std::floor(std::log10(std::stod(digits))) > magnitude) {
    digits = fmt::format("{:.{}f}", a, decimals - 1);
  }
  if (digits.find('.') != std::string::npos) {
    // Trailing zeros after the point carry no information for a reader.
    while (digits.back() == '0') digits.pop_back();
    if (digits.back() == '.') digits.pop_back();
  }
  const std::size_t point = std::min(digits.find('.'), digits.size());
  std::string grouped;
  for (std::size_t i = 0; i < point; ++i) {
    if (i > 0 && (point - i) % 3 == 0) grouped += ',';
    grouped += digits[i];
  }
  grouped += digits.substr(point);
  return (value < 0 ? "−" : "") + grouped;
}

void downsample_mean(std::vector<double>& x, std::vector<double>& y, std::size_t max_points) {
  const std::size_t n = std::min(x.size(), y.size());
  if (max_points == 0 || n <= max_points) return;
  const std::size_t per = (n + max_points - 1) / max_points;
  std::vector<double> xs, ys;
  for (std::size_t i = 0; i < n; i += per) {
    double sum = 0;
    std::size_t count = 0;
    for (std::size_t j = i; j < std::min(n, i + per); ++j) {
      if (finite(y[j])) sum += y[j], ++count;
    }
    xs.push_back(x[i]);
    ys.push_back(count ? sum / static_cast<double>(count) : kNaN);
  }
  x = std::move(xs);
  y = std::move(ys);
}

namespace {

/// Where the interval of point k of a step series ends: at the next x, or one interval after the last.
double step_end(const Series& s, std::size_t k) {
  const std::size_t n = std::min(s.x.size(), s.y.size());
  if (k + 1 < n && finite(s.x[k + 1])) return s.x[k + 1];
  if (k >= 1 && finite(s.x[k - 1])) return s.x[k] + (s.x[k] - s.x[k - 1]);
  return s.x[k];
}

}  // namespace

std::string render(const XyChart& c) {
  const double W = c.width_px, H = c.height_px;
  std::vector<const std::vector<double>*> xs, yl, yr;
  bool any_step = false;
  for (const auto& s : c.series) {
    xs.push_back(&s.x);
    (s.right_axis ? yr : yl).push_back(&s.y);
    if (!s.base.empty()) (s.right_axis ? yr : yl).push_back(&s.base);
    any_step = any_step || s.style == SeriesStyle::step || s.style == SeriesStyle::step_area;
  }
  std::vector<double> ref_values;
  for (const auto& r : c.references) ref_values.push_back(r.y);
  yl.push_back(&ref_values);

  // A step series holds its last value for one more interval: the x range has to include that.
  std::vector<double> step_ends;
  for (const auto& s : c.series) {
    const std::size_t n = std::min(s.x.size(), s.y.size());
    if ((s.style == SeriesStyle::step || s.style == SeriesStyle::step_area) && n > 0) {
      step_ends.push_back(step_end(s, n - 1));
    }
  }
  if (any_step) xs.push_back(&step_ends);

  const auto [x_lo, x_hi] = data_range(xs, c.x.log, c.x);
  const auto [yl_lo, yl_hi] = data_range(yl, c.y.log, c.y);
  const Ticks yt = ticks_for(c.y, yl_lo, yl_hi, 6);
  std::optional<Ticks> yrt;
  if (c.y_right) {
    const auto [lo, hi] = data_range(yr, c.y_right->log, *c.y_right);
    yrt = ticks_for(*c.y_right, lo, hi, 6);
  }

  const double left = 28 + std::max(24.0, max_label_width(c.y, yt)) + 10;
  const double right = W - (yrt ? 28 + std::max(24.0, max_label_width(*c.y_right, *yrt)) + 10 : 24);
  const Ticks xt = ticks_for(c.x, x_lo, x_hi, std::max(3, static_cast<int>((right - left) / 90)));

  std::vector<LegendItem> items;
  for (const auto& s : c.series) {
    LegendItem::Kind k = s.dashed ? LegendItem::dashed : LegendItem::line;
    if (s.style == SeriesStyle::area || s.style == SeriesStyle::step_area) k = LegendItem::area;
    if (s.style == SeriesStyle::points) k = LegendItem::dot;
    items.push_back({k, colour(s.colour), s.name + (s.right_axis && c.y_right ? " (right axis)" : "")});
  }
  const double head = header_height(c.subtitle);
  const double leg_h = legend_height(items, 12, W - 12);
  const double top = head + leg_h + 14;
  const double bottom = H - 44;

  const Scale sx{xt.lo, xt.hi, c.x.log, left, right};
  const Scale sy{yt.lo, yt.hi, c.y.log, bottom, top};
  std::optional<Scale> syr;
  if (yrt) syr = Scale{yrt->lo, yrt->hi, c.y_right->log, bottom, top};

  std::string out = svg_open(c.width_px, c.height_px, c.title, c.subtitle);
  out += legend(items, 12, head + 14, W - 12).first;

  // Grid and ticks.
  out += "<g stroke-width=\"1\">\n";
  for (double v : yt.minor) {
    out += fmt::format("<line x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" stroke=\"{}\"/>\n", px(left), px(right), px(sy(v)),
                       px(sy(v)), kGridMinor);
  }
  for (double v : yt.values) {
    out += fmt::format("<line x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" stroke=\"{}\"/>\n", px(left), px(right), px(sy(v)),
                       px(sy(v)), kGrid);
  }
  for (double v : xt.values) {
    out += fmt::format("<line x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" stroke=\"{}\"/>\n", px(sx(v)), px(sx(v)), px(top),
                       px(bottom), kGridMinor);
  }
  out += "</g>\n";
  out += fmt::format("<line x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" stroke=\"{}\"/>\n", px(left), px(right), px(bottom),
                     px(bottom), kAxis);
  out += fmt::format("<g font-size=\"11\" fill=\"{}\">\n", kMuted);
  for (double v : yt.values) out += text_at(left - 8, sy(v) + 4, "end", label_of(c.y, v, yt.step));
  for (double v : xt.values) out += text_at(sx(v), bottom + 16, "middle", label_of(c.x, v, xt.step));
  if (yrt) {
    for (double v : yrt->values) out += text_at(right + 8, (*syr)(v) + 4, "start", label_of(*c.y_right, v, yrt->step));
  }
  out += "</g>\n";
  out += text_at((left + right) / 2, H - 10, "middle", c.x.label, fmt::format("fill=\"{}\"", kMuted));
  out += fmt::format("<text transform=\"translate(16 {}) rotate(-90)\" text-anchor=\"middle\" fill=\"{}\">{}</text>\n",
                     px((top + bottom) / 2), kMuted, escape(c.y.label));
  if (c.y_right) {
    std::string col = kMuted;
    std::size_t right_series = 0;
    for (const auto& s : c.series) {
      if (s.right_axis) ++right_series, col = colour(s.colour);
    }
    if (right_series != 1) col = kMuted;
    out += fmt::format("<text transform=\"translate({} {}) rotate(90)\" text-anchor=\"middle\" fill=\"{}\">{}</text>\n",
                       px(W - 14), px((top + bottom) / 2), col, escape(c.y_right->label));
  }

  // Series, in order: areas first so that lines stay on top.
  for (int pass = 0; pass < 2; ++pass) {
    for (const auto& s : c.series) {
      const bool is_area = s.style == SeriesStyle::area || s.style == SeriesStyle::step_area;
      const bool steps = s.style == SeriesStyle::step || s.style == SeriesStyle::step_area;
      if ((pass == 0) != is_area) continue;
      const Scale& y = s.right_axis && syr ? *syr : sy;
      const std::size_t n = std::min(s.x.size(), s.y.size());
      auto ok = [&](double xv, double yv) {
        return finite(xv) && finite(yv) && (!c.x.log || xv > 0) && (!y.log || yv > 0);
      };
      if (s.style == SeriesStyle::points) {
        out += fmt::format("<g fill=\"{}\" fill-opacity=\"0.7\">\n", colour(s.colour));
        for (std::size_t i = 0; i < n; ++i) {
          if (ok(s.x[i], s.y[i])) {
            out += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"2.5\"/>\n", px(sx(s.x[i])), px(y(s.y[i])));
          }
        }
        out += "</g>\n";
        continue;
      }
      if (is_area) {
        // One closed polygon per run of defined points, between the series and its base.
        std::size_t i = 0;
        while (i < n) {
          while (i < n && !ok(s.x[i], s.y[i])) ++i;
          std::size_t j = i;
          while (j < n && ok(s.x[j], s.y[j])) ++j;
          if (j > i) {
            // Upper edge left to right, then the base right to left; steps hold each value to the next x.
            std::string upper, lower;
            for (std::size_t k = i; k < j; ++k) {
              const double b = s.base.empty() ? (y.log ? y.lo : 0.0) : s.base[k];
              const double x_start = sx(s.x[k]);
              const double x_end = steps ? sx(step_end(s, k)) : x_start;
              upper += fmt::format("{}{} {}", upper.empty() ? "M" : "L", px(x_start), px(y(s.y[k])));
              if (steps) upper += fmt::format("H{}", px(x_end));
              lower = fmt::format("L{} {}", px(steps ? x_end : x_start), px(y(b))) +
                      (steps ? fmt::format("H{}", px(x_start)) : std::string()) + lower;
            }
            out += fmt::format("<path d=\"{}{}Z\" fill=\"{}\" fill-opacity=\"0.45\" stroke=\"{}\" "
                               "stroke-width=\"1.5\" stroke-linejoin=\"round\"/>\n",
                               upper, lower, colour(s.colour), colour(s.colour));
          }
          i = j;
        }
        continue;
      }
      std::string d;
      bool pen_down = false;
      for (std::size_t i = 0; i < n; ++i) {
        if (!ok(s.x[i], s.y[i])) {
          pen_down = false;
          continue;
        }
        const double X = sx(s.x[i]), Y = y(s.y[i]);
        if (steps) {
          // Each value holds over its interval, even when its neighbours are missing.
          d += pen_down ? fmt::format("V{}", px(Y)) : fmt::format("M{} {}", px(X), px(Y));
          d += fmt::format("H{}", px(sx(step_end(s, i))));
        } else {
          d += fmt::format("{}{} {}", pen_down ? "L" : "M", px(X), px(Y));
        }
        pen_down = true;
      }
      if (d.empty()) continue;
      out += fmt::format("<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"{}\" stroke-linejoin=\"round\"{}/>\n",
                         d, colour(s.colour), px(s.width_px), s.dashed ? " stroke-dasharray=\"6 4\"" : "");
    }
  }

  for (const auto& r : c.references) {
    if (c.y.log && r.y <= 0) continue;
    out += fmt::format("<line x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-dasharray=\"3 3\"/>\n",
                       px(left), px(right), px(sy(r.y)), px(sy(r.y)), kInk);
    out += text_at(right - 4, sy(r.y) - 5, "end", r.label, "font-size=\"11\"");
  }
  out += "</svg>\n";
  return out;
}

std::string render(const DistributionChart& c) {
  const double W = c.width_px;
  std::vector<const std::vector<double>*> columns;
  std::vector<double> markers;
  for (const auto& g : c.groups) {
    columns.push_back(&g.values);
    if (g.marker) markers.push_back(*g.marker);
  }
  columns.push_back(&markers);
  const auto [lo, hi] = data_range(columns, c.x.log, c.x);

  double label_w = 0;
  std::vector<std::vector<std::string>> notes;
  for (const auto& g : c.groups) {
    label_w = std::max(label_w, text_width(g.name, 13) * 1.08);
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start <= g.annotation.size() && !g.annotation.empty()) {
      const std::size_t end = std::min(g.annotation.find('\n', start), g.annotation.size());
      lines.push_back(g.annotation.substr(start, end - start));
      label_w = std::max(label_w, text_width(lines.back(), 11));
      start = end + 1;
    }
    notes.push_back(std::move(lines));
  }
  const double left = 16 + std::min(label_w, 320.0) + 20;
  const double right = W - 28;

  std::vector<LegendItem> items = {{LegendItem::dot, kMuted, "one member"},
                                   {LegendItem::box, kInk, "middle half (p25–p75), line at the median"},
                                   {LegendItem::whisker, kInk, "p5–p95"}};
  if (!markers.empty()) items.push_back({LegendItem::dashed, colour(3), c.marker_legend});
  const double head = header_height(c.subtitle);
  const double top = head + legend_height(items, 12, W - 12) + 18;

  std::vector<double> row_h;
  double plot_h = 0;
  for (const auto& n : notes) {
    row_h.push_back(std::max(70.0, 44.0 + 14.0 * static_cast<double>(n.size())));
    plot_h += row_h.back();
  }
  const double bottom = top + plot_h;
  const double H = bottom + 46;
  const Ticks xt = ticks_for(c.x, lo, hi, std::max(3, static_cast<int>((right - left) / 90)));
  const Scale sx{xt.lo, xt.hi, c.x.log, left, right};

  std::string out = svg_open(c.width_px, static_cast<int>(std::ceil(H)), c.title, c.subtitle);
  out += legend(items, 12, head + 14, W - 12).first;
  for (double v : xt.minor) {
    out += fmt::format("<line x1=\"{0}\" x2=\"{0}\" y1=\"{1}\" y2=\"{2}\" stroke=\"{3}\"/>\n", px(sx(v)), px(top),
                       px(bottom), kGridMinor);
  }
  for (double v : xt.values) {
    out += fmt::format("<line x1=\"{0}\" x2=\"{0}\" y1=\"{1}\" y2=\"{2}\" stroke=\"{3}\"/>\n", px(sx(v)), px(top),
                       px(bottom), kGrid);
  }
  out += fmt::format("<line x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" stroke=\"{}\"/>\n", px(left), px(right), px(bottom),
                     px(bottom), kAxis);
  out += fmt::format("<g font-size=\"11\" fill=\"{}\">\n", kMuted);
  for (double v : xt.values) out += text_at(sx(v), bottom + 16, "middle", label_of(c.x, v, xt.step));
  out += "</g>\n";
  out += text_at((left + right) / 2, H - 10, "middle", c.x.label, fmt::format("fill=\"{}\"", kMuted));

  double y0 = top;
  for (std::size_t gi = 0; gi < c.groups.size(); ++gi) {
    const auto& g = c.groups[gi];
    const double h = row_h[gi];
    const double mid = y0 + h / 2;
    if (gi % 2 == 1) {
      out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#f9fafb\"/>\n", px(left), px(y0),
                         px(right - left), px(h));
    }
    out += text_at(16, y0 + 20, "start", g.name, "font-size=\"13\" font-weight=\"600\"");
    for (std::size_t k = 0; k < notes[gi].size(); ++k) {
      out += text_at(16, y0 + 36 + 14.0 * static_cast<double>(k), "start", notes[gi][k],
                     fmt::format("font-size=\"11\" fill=\"{}\"", kMuted));
    }
    std::vector<double> v;
    for (double x : g.values) {
      if (finite(x) && (!c.x.log || x > 0)) v.push_back(x);
    }
    std::sort(v.begin(), v.end());
    if (!v.empty()) {
      // Dots: every member, or evenly spaced quantiles when there are too many to draw; spread vertically by a
      // low-discrepancy sequence (golden ratio), which is deterministic and keeps neighbours apart.
      std::vector<double> dots = v;
      if (v.size() > c.max_dots_per_group && c.max_dots_per_group > 1) {
        dots.clear();
        for (std::size_t k = 0; k < c.max_dots_per_group; ++k) {
          dots.push_back(quantile_sorted(v, static_cast<double>(k) / static_cast<double>(c.max_dots_per_group - 1)));
        }
      }
      const double spread = h * 0.32;
      out += fmt::format("<g fill=\"{}\" fill-opacity=\"{}\">\n", colour(gi), dots.size() > 300 ? "0.25" : "0.45");
      for (std::size_t k = 0; k < dots.size(); ++k) {
        const double u = std::fmod(static_cast<double>(k) * 0.6180339887498949, 1.0) - 0.5;
        out += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"2.6\"/>\n", px(sx(dots[k])), px(mid + u * 2 * spread));
      }
      out += "</g>\n";
      const double p5 = quantile_sorted(v, 0.05), p25 = quantile_sorted(v, 0.25), p50 = quantile_sorted(v, 0.5),
                   p75 = quantile_sorted(v, 0.75), p95 = quantile_sorted(v, 0.95);
      const double bh = h * 0.42;
      out += fmt::format("<g stroke=\"{}\" fill=\"none\" stroke-width=\"1.3\">\n", kInk);
      out += fmt::format("<path d=\"M{0} {2}V{3}M{0} {4}H{5}M{6} {4}H{1}M{1} {2}V{3}\"/>\n", px(sx(p5)), px(sx(p95)),
                         px(mid - bh / 4), px(mid + bh / 4), px(mid), px(sx(p25)), px(sx(p75)));
      out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#ffffff\" fill-opacity=\"0.55\"/>\n",
                         px(sx(p25)), px(mid - bh / 2), px(std::max(1.0, sx(p75) - sx(p25))), px(bh));
      out += fmt::format("<line x1=\"{0}\" x2=\"{0}\" y1=\"{1}\" y2=\"{2}\" stroke-width=\"3\"/>\n", px(sx(p50)),
                         px(mid - bh / 2), px(mid + bh / 2));
      out += "</g>\n";
    }
    if (g.marker && (!c.x.log || *g.marker > 0)) {
      const double X = sx(*g.marker);
      out += fmt::format("<line x1=\"{0}\" x2=\"{0}\" y1=\"{1}\" y2=\"{2}\" stroke=\"{3}\" stroke-width=\"2\" "
                         "stroke-dasharray=\"5 3\"/>\n",
                         px(X), px(y0 + 14), px(y0 + h - 4), colour(3));
      const bool flip = X + text_width(g.marker_label, 11) + 6 > right;
      out += text_at(flip ? X - 5 : X + 5, y0 + 12, flip ? "end" : "start", g.marker_label,
                     fmt::format("font-size=\"11\" font-weight=\"600\" fill=\"{}\" stroke=\"#ffffff\" "
                                 "stroke-width=\"3\" paint-order=\"stroke\"", colour(3)));
    }
    y0 += h;
  }
  out += "</svg>\n";
  return out;
}

std::string render(const BarChart& c) {
  const double W = c.width_px;
  const std::size_t n = c.categories.size();
  std::vector<const std::vector<double>*> columns;
  std::vector<double> stacked_tops(n, 0.0), stacked_bottoms(n, 0.0);
  for (const auto& s : c.series) {
    columns.push_back(&s.values);
    for (std::size_t i = 0; i < std::min(n, s.values.size()); ++i) {
      if (!finite(s.values[i])) continue;
      (s.values[i] >= 0 ? stacked_tops[i] : stacked_bottoms[i]) += s.values[i];
    }
  }
  if (c.stacked) columns = {&stacked_tops, &stacked_bottoms};
  AxisSpec x = c.x;
  if (!x.log && !x.min) x.min = 0.0;  // bars start at zero
  const auto [lo, hi] = data_range(columns, x.log, x);

  double label_w = 0;
  for (const auto& cat : c.categories) label_w = std::max(label_w, text_width(cat, 12));
  const double left_labels = 16 + std::min(label_w, 260.0) + 12;
  // Text at the end of each bar: the series' own labels, else value_label; stacked bars have none.
  auto bar_text = [&](const BarSeries& s, std::size_t i) -> std::string {
    if (c.stacked) return "";
    if (i < s.labels.size()) return s.labels[i];
    return c.value_label ? c.value_label(s.values[i]) : "";
  };
  double value_w = 0;
  for (const auto& s : c.series) {
    for (std::size_t i = 0; i < std::min(n, s.values.size()); ++i) {
      value_w = std::max(value_w, text_width(bar_text(s, i), 11));
    }
  }
  const double right = W - 20 - (value_w > 0 ? value_w + 8 : 0);
  // Labels of negative bars sit left of the bar, so the plot starts further right.
  const double left = left_labels + (value_w > 0 && lo < 0 ? value_w + 8 : 0);

  std::vector<LegendItem> items;
  if (c.series.size() > 1) {
    for (const auto& s : c.series) items.push_back({LegendItem::area, colour(s.colour), s.name});
  }
  const double head = header_height(c.subtitle);
  const double top = head + legend_height(items, 12, W - 12) + 12;
  const double band = c.row_height_px;
  const double bottom = top + band * static_cast<double>(n);
  const double H = bottom + 44;
  const Ticks xt = ticks_for(x, lo, hi, std::max(4, static_cast<int>((right - left) / 55)));
  const Scale sx{xt.lo, xt.hi, x.log, left, right};

  std::string out = svg_open(c.width_px, static_cast<int>(std::ceil(H)), c.title, c.subtitle);
  out += legend(items, 12, head + 14, W - 12).first;
  for (double v : xt.values) {
    out += fmt::format("<line x1=\"{0}\" x2=\"{0}\" y1=\"{1}\" y2=\"{2}\" stroke=\"{3}\"/>\n", px(sx(v)), px(top),
                       px(bottom), v == 0 ? kAxis : kGrid);
  }
  out += fmt::format("<g font-size=\"11\" fill=\"{}\">\n", kMuted);
  for (double v : xt.values) out += text_at(sx(v), bottom + 16, "middle", label_of(x, v, xt.step));
  out += "</g>\n";
  out += text_at((left + right) / 2, H - 10, "middle", x.label, fmt::format("fill=\"{}\"", kMuted));

  const double zero = x.log ? left : sx(std::clamp(0.0, xt.lo, xt.hi));
  const std::size_t groups = c.stacked ? 1 : std::max<std::size_t>(1, c.series.size());
  for (std::size_t i = 0; i < n; ++i) {
    const double y0 = top + band * static_cast<double>(i);
    std::string cat = c.categories[i];
    if (text_width(cat, 12) > 260) cat = cat.substr(0, 36) + "…";
    out += text_at(left_labels - 8, y0 + band / 2 + 4, "end", cat,
                   c.highlight == i ? std::string_view("font-weight=\"700\"") : std::string_view());
    double pos = 0, neg = 0;
    for (std::size_t si = 0; si < c.series.size(); ++si) {
      const auto& s = c.series[si];
      if (i >= s.values.size() || !finite(s.values[i])) continue;
      const double v = s.values[i];
      double a, b;
      if (c.stacked) {
        a = v >= 0 ? pos : neg;
        b = a + v;
        (v >= 0 ? pos : neg) = b;
      } else {
        a = 0;
        b = v;
      }
      const double xa = x.log ? (a > 0 ? sx(a) : left) : sx(a);
      const double xb = x.log ? (b > 0 ? sx(b) : left) : sx(b);
      const double inner = (band - 8) / static_cast<double>(groups);
      const double yb = y0 + 4 + (c.stacked ? 0 : inner * static_cast<double>(si));
      const std::string label = bar_text(s, i);
      std::string tip = c.categories[i] + (c.series.size() > 1 ? " — " + s.name : "") + ": " +
                        (!label.empty() ? label : c.value_label ? c.value_label(v) : format_number(v));
      out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"{}><title>{}</title></rect>\n",
                         px(std::min(xa, xb)), px(yb), px(std::max(0.8, std::abs(xb - xa))), px(inner - 2),
                         colour(s.colour),
                         c.highlight == i ? fmt::format(" stroke=\"{}\" stroke-width=\"2\"", kInk) : "", escape(tip));
      if (!label.empty()) {
        const bool negative = v < 0;
        out += text_at(negative ? std::min(xa, xb) - 4 : std::max(xa, xb) + 4, yb + inner / 2 + 3,
                       negative ? "end" : "start", label, "font-size=\"11\"");
      }
    }
  }
  out += fmt::format("<line x1=\"{0}\" x2=\"{0}\" y1=\"{1}\" y2=\"{2}\" stroke=\"{3}\"/>\n", px(zero), px(top),
                     px(bottom), kAxis);
  out += "</svg>\n";
  return out;
}

}  // namespace infercost::svg
