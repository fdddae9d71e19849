// The SVG plotting kit: tick choice, number formatting, downsampling, and charts that are well-formed and stable.
#include <catch2/catch.hpp>

#include <cmath>
#include <regex>

#include "infercost/analysis/svg_chart.hpp"
#include "markup_check.hpp"

using namespace infercost;
using Catch::Matchers::Contains;

namespace {

/// True when `step` is 1, 2, 2.5 or 5 times a power of ten.
bool nice_step(double step) {
  const double mag = std::pow(10.0, std::floor(std::log10(step) + 1e-12));
  const double m = step / mag;
  for (double ok : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (std::abs(m - ok) < 1e-9) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("linear ticks cover the data with a 1-2-5 step and at most the asked count", "[report][svg]") {
  const double ranges[][2] = {{0, 97},       {0, 1},     {-3.2, 7.9}, {0.0013, 0.0042}, {1e6, 1.3e6}, {-50, -2},
                              {12.5, 12.75}, {0, 86400}, {3, 3},      {0, 0},           {-1e-9, 2e-9}};
  for (const auto& r : ranges) {
    for (int max_ticks : {3, 5, 8}) {
      INFO(r[0] << " .. " << r[1] << " max " << max_ticks);
      const auto t = svg::linear_ticks(r[0], r[1], max_ticks);
      REQUIRE(t.values.size() >= 2);
      CHECK(static_cast<int>(t.values.size()) <= max_ticks);
      CHECK(t.values.front() <= r[0]);
      CHECK(t.values.back() >= r[1]);
      CHECK(t.lo == t.values.front());
      CHECK(t.hi == t.values.back());
      CHECK(nice_step(t.step));
      for (std::size_t i = 1; i < t.values.size(); ++i) CHECK(t.values[i] - t.values[i - 1] == Approx(t.step));
      if (r[0] <= 0 && r[1] >= 0) CHECK(std::find(t.values.begin(), t.values.end(), 0.0) != t.values.end());
    }
  }
  const auto t = svg::linear_ticks(0, 97, 6);
  CHECK(t.values == std::vector<double>{0, 20, 40, 60, 80, 100});
  // Hours read better in steps of 6 than of 5.
  const auto hours = svg::linear_ticks(0, 24, 6, {1, 2, 3, 6, 12, 24});
  CHECK(hours.values == std::vector<double>{0, 6, 12, 18, 24});
  // A constant stays readable: a PUE of 1.15 is not drawn on an axis from 0 to 2.5.
  const auto constant = svg::linear_ticks(1.15, 1.15, 6);
  CHECK(constant.lo >= 1.0);
  CHECK(constant.hi <= 1.3);
}

TEST_CASE("log ticks are powers of ten, with 2 and 5 when the range is short", "[report][svg]") {
  const auto wide = svg::log_ticks(0.003, 42);
  CHECK(wide.values == std::vector<double>{0.001, 0.01, 0.1, 1, 10, 100});
  CHECK(wide.lo == 0.001);
  CHECK(wide.hi == 100);
  CHECK(wide.minor.size() == 5 * 8);
  const auto narrow = svg::log_ticks(2, 40);
  REQUIRE(narrow.values.size() == 7);
  const double expected[] = {1, 2, 5, 10, 20, 50, 100};
  for (std::size_t i = 0; i < 7; ++i) CHECK(narrow.values[i] == Approx(expected[i]));
  const auto one = svg::log_ticks(10, 10);
  CHECK(one.lo == 10);
  CHECK(one.hi == 100);
}

TEST_CASE("tick labels and numbers for people", "[report][svg]") {
  CHECK(svg::tick_label(0.25, 0.25) == "0.25");
  CHECK(svg::tick_label(0.5, 0.25) == "0.50");
  CHECK(svg::tick_label(1500, 500) == "1500");
  CHECK(svg::tick_label(20000, 10000) == "20k");
  CHECK(svg::tick_label(2.5e6, 5e5) == "2.5M");
  CHECK(svg::tick_label(-0.2, 0.1) == "−0.2");
  CHECK(svg::tick_label(-20000, 10000) == "−20k");
  CHECK(svg::tick_label(0.001, 0) == "0.001");
  CHECK(svg::tick_label(100, 0) == "100");
  CHECK(svg::format_number(0.012345) == "0.0123");
  CHECK(svg::format_number(0.88) == "0.88");
  CHECK(svg::format_number(0.5) == "0.5");
  CHECK(svg::format_number(9.9951) == "10");
  CHECK(svg::format_number(1234567) == "1,234,567");
  CHECK(svg::format_number(-2.5) == "−2.5");
  CHECK(svg::format_number(54.44) == "54.4");
  CHECK(svg::format_number(0) == "0");
  CHECK(svg::format_number(std::nan("")) == "–");
}

TEST_CASE("escape covers the five characters that matter in HTML and SVG", "[report][svg]") {
  CHECK(svg::escape("<a href=\"x\">&'</a>") == "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
  CHECK(svg::escape("plain é") == "plain é");
}

TEST_CASE("the palette is Okabe-Ito and wraps", "[report][svg]") {
  REQUIRE(svg::palette().size() == 8);
  CHECK(svg::colour(0) == "#0072B2");
  CHECK(svg::colour(8) == svg::colour(0));
}

TEST_CASE("downsampling by bucket means keeps the mean of an evenly sampled series", "[report][svg]") {
  std::vector<double> x, y;
  double sum = 0;
  for (int i = 0; i < 1000; ++i) {
    x.push_back(i * 60.0);
    y.push_back(std::sin(i * 0.05) * 10 + i * 0.01);
    sum += y.back();
  }
  svg::downsample_mean(x, y, 100);
  REQUIRE(x.size() == 100);
  REQUIRE(y.size() == 100);
  double sum2 = 0;
  for (double v : y) sum2 += v;
  CHECK(sum2 / 100 == Approx(sum / 1000).epsilon(1e-12));
  CHECK(x[1] == 600);  // bucket start
  std::vector<double> a = {0, 1, 2, 3}, b = {1, std::nan(""), std::nan(""), std::nan("")};
  svg::downsample_mean(a, b, 2);
  CHECK(b[0] == 1);
  CHECK(std::isnan(b[1]));
  std::vector<double> small_x = {1, 2}, small_y = {3, 4};
  svg::downsample_mean(small_x, small_y, 10);
  CHECK(small_y == std::vector<double>{3, 4});
}

TEST_CASE("an x-y chart is well-formed, titled, stable, and breaks lines at missing values", "[report][svg]") {
  svg::XyChart c;
  c.title = "Power <over> time & price";
  c.subtitle = "sub";
  c.x.label = "time (h)";
  c.y.label = "power (kW)";
  svg::Series a{"IT", {0, 1, 2, 3, 4}, {10, 12, std::nan(""), 11, 9}, {}, svg::SeriesStyle::line, 0, false, false, 2};
  svg::Series p{"price", {0, 1, 2, 3, 4}, {0.1, 0.1, 0.3, 0.3, 0.1}, {}, svg::SeriesStyle::step, 3, true, false, 2};
  c.series = {a, p};
  svg::AxisSpec right;
  right.label = "price ($/kWh)";
  right.min = 0.0;
  c.y_right = right;
  c.references = {{11, "mean"}};
  const std::string out = svg::render(c);
  CHECK(test::markup_problem(out).empty());
  CHECK(out.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0) == 0);
  CHECK_THAT(out, Contains("<title>Power &lt;over&gt; time &amp; price</title>"));
  CHECK_THAT(out, Contains("price (right axis)"));
  CHECK(out == svg::render(c));
  // The line has two runs (the NaN splits it); the step path ends one interval after its last point.
  const std::regex line_path("<path d=\"(M[^\"]*)\" fill=\"none\" stroke=\"#0072B2\"");
  std::smatch m;
  REQUIRE(std::regex_search(out, m, line_path));
  CHECK(test::count_of(m[1].str(), "M") == 2);
  const std::regex step_path("<path d=\"(M[^\"]*)\" fill=\"none\" stroke=\"#D55E00\"");
  REQUIRE(std::regex_search(out, m, step_path));
  CHECK(test::count_of(m[1].str(), "H") == 5);

  // A tight x axis ends where the data ends (the last step's interval included), not at the next round tick.
  c.x.tight = true;
  c.series = {{"s", {0, 1, 2, 3, 4, 5, 6}, {1, 2, 3, 4, 5, 6, 7}, {}, svg::SeriesStyle::step, 2, false, false, 2}};
  c.y_right.reset();
  c.width_px = 300;
  auto last_x_tick = [](const std::string& svg_text) {
    const std::regex tick("text-anchor=\"middle\">([0-9.]+)</text>");
    double last = 0;
    for (auto it = std::sregex_iterator(svg_text.begin(), svg_text.end(), tick); it != std::sregex_iterator(); ++it) {
      last = std::max(last, std::stod((*it)[1]));
    }
    return last;
  };
  CHECK(last_x_tick(svg::render(c)) <= 7);
  c.x.tight = false;
  CHECK(last_x_tick(svg::render(c)) > 7);
  c.width_px = 1240;

  // A step value between two missing ones still shows, held over its interval.
  c.series = {{"lonely", {0, 1, 2}, {std::nan(""), 4, std::nan("")}, {}, svg::SeriesStyle::step, 2, false, false, 2}};
  c.y_right.reset();
  const std::string lonely = svg::render(c);
  const std::regex lonely_path("<path d=\"M([0-9.]+) [0-9.]+H([0-9.]+)\" fill=\"none\" stroke=\"#009E73\"");
  REQUIRE(std::regex_search(lonely, m, lonely_path));
  CHECK(std::stod(m[2]) > std::stod(m[1]) + 100);
}

TEST_CASE("a distribution chart draws every member up to a cap, on a log axis skipping non-positive values",
          "[report][svg]") {
  svg::DistributionChart c;
  c.title = "cost";
  c.x.log = true;
  c.x.label = "USD";
  c.marker_legend = "price";
  svg::DistributionGroup g1{"small", {0.01, 0.02, 0.0, -1, 0.5, std::nan("")}, 0.1, "pays $0.10", "3 users"};
  svg::DistributionGroup g2{"big", {}, std::nullopt, "", "many\nlines"};
  for (int i = 1; i <= 5000; ++i) g2.values.push_back(i * 0.001);
  c.groups = {g1, g2};
  c.max_dots_per_group = 400;
  const std::string out = svg::render(c);
  CHECK(test::markup_problem(out).empty());
  // 3 positive members + 400 quantiles + the legend's dot.
  CHECK(test::count_of(out, "<circle") == 3 + 400 + 1);
  CHECK_THAT(out, Contains("pays $0.10"));
  CHECK_THAT(out, Contains(">many</text>"));
  CHECK(out == svg::render(c));
}

TEST_CASE("a bar chart puts negative values left of zero and labels every bar", "[report][svg]") {
  svg::BarChart c;
  c.title = "margin";
  c.categories = {"a", "b", "c"};
  c.series = {{"margin", {-75, 20, 5}, 0, {}}};
  c.value_label = [](double v) { return svg::format_number(v) + " USD"; };
  c.highlight = 1;
  const std::string out = svg::render(c);
  CHECK(test::markup_problem(out).empty());
  CHECK(test::count_of(out, "<rect") == 3);
  CHECK_THAT(out, Contains("−75 USD"));
  CHECK_THAT(out, Contains("font-weight=\"700\">b</text>"));
  // The bar of -75 ends at the zero line; the bar of 20 starts there.
  const std::regex rect("<rect x=\"([0-9.]+)\" y=\"[0-9.]+\" width=\"([0-9.]+)\"");
  std::vector<std::pair<double, double>> bars;
  for (auto it = std::sregex_iterator(out.begin(), out.end(), rect); it != std::sregex_iterator(); ++it) {
    bars.emplace_back(std::stod((*it)[1]), std::stod((*it)[2]));
  }
  REQUIRE(bars.size() == 3);
  CHECK(bars[0].first + bars[0].second == Approx(bars[1].first).margin(0.11));
  CHECK(bars[0].second == Approx(bars[1].second * 75 / 20).epsilon(0.01));

  // All negative: the axis still reaches zero, where the bars start.
  c.series = {{"margin", {-75, -41, -27}, 0, {}}};
  const std::string negative = svg::render(c);
  CHECK_THAT(negative, Contains(">0</text>"));
  CHECK_THAT(negative, Contains(">−80</text>"));

  c.stacked = true;
  c.series = {{"x", {1, 2, 3}, 0, {}}, {"y", {3, 2, 1}, 1, {}}};
  const std::string stacked = svg::render(c);
  CHECK(test::markup_problem(stacked).empty());
  CHECK(test::count_of(stacked, "<rect") == 6 + 2);  // bars + legend swatches
}
