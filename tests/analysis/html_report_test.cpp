// The HTML report: rendered from tests/fixtures/report (a synthetic but realistic run folder) and from folders
// with files missing or broken; and, where Chromium is installed, loaded in a real browser.
#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>

#include "../test_support.hpp"
#include "infercost/analysis/html_report.hpp"
#include "infercost/io/errors.hpp"
#include "infercost/io/output.hpp"
#include "markup_check.hpp"

using namespace infercost;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

const fs::path kFixture = fs::path(INFERCOST_TEST_DIR) / "fixtures" / "report";

/// The title of every chart the fixture has data for.
const std::vector<std::string> kChartTitles = {
    "IT and cooling power over time, with the electricity price",
    "Utilization of the cluster over time",
    "Running and queued requests",
    "PUE and ambient temperature",
    "Cost of each user over the run, by plan",
    "Users throttled at least once",
    "Requests rejected and abandoned",
    "Requests completed",
    "Time to first token, p99",
    "Total cost",
    "Margin",
    "Jain&#39;s fairness index",
    "Users throttled",
};

/// The fixture folder copied to a fresh temporary folder (removed with the returned object), minus the files named.
test::TempDir fixture_copy(const std::string& name, const std::vector<std::string>& without = {}) {
  test::TempDir dir(name);
  for (const auto& e : fs::directory_iterator(kFixture)) {
    const std::string f = e.path().filename().string();
    if (e.path().extension() == ".py" || std::find(without.begin(), without.end(), f) != without.end()) continue;
    fs::copy_file(e.path(), dir / f);
  }
  return dir;
}

std::string without_svg_namespace(std::string html) {
  const std::string ns = "xmlns=\"http://www.w3.org/2000/svg\"";
  for (auto p = html.find(ns); p != std::string::npos; p = html.find(ns, p)) html.erase(p, ns.size());
  return html;
}

}  // namespace

TEST_CASE("the markup check finds unbalanced tags", "[report]") {
  CHECK(test::markup_problem("<html><body><svg><g></g></svg></body></html>").empty());
  CHECK(test::markup_problem("<p>a<br>b<meta charset=\"x\"></p><path d=\"M0 0\"/>").empty());
  CHECK_FALSE(test::markup_problem("<svg><g></svg>").empty());
  CHECK_FALSE(test::markup_problem("<svg>").empty());
  CHECK_FALSE(test::markup_problem("<p>1 < 2</p>").empty());
  CHECK_FALSE(test::markup_problem("<p title=\"a>b\">x > y</p>").empty());
}

TEST_CASE("the report of a full run folder is well-formed, self-contained and has every chart", "[report]") {
  const std::string html = render_report(kFixture);
  INFO(test::markup_problem(html));
  CHECK(test::markup_problem(html).empty());
  CHECK(html.rfind("<!DOCTYPE html>\n<html lang=\"en\">", 0) == 0);
  for (const char* tag : {"html", "head", "body", "svg", "table", "section"}) {
    INFO(tag);
    CHECK(test::count_of(html, std::string("<") + tag + ">") + test::count_of(html, std::string("<") + tag + " ") ==
          test::count_of(html, std::string("</") + tag + ">"));
  }
  // Every chart is an inline <svg> whose first child is its <title>.
  const std::regex titled_svg("<svg [^>]*>\n<title>([^<]+)</title>");
  std::vector<std::string> titles;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), titled_svg); it != std::sregex_iterator(); ++it) {
    titles.push_back((*it)[1]);
  }
  CHECK(titles.size() == test::count_of(html, "<svg "));
  CHECK(titles.size() == 17);  // 4 over time, cost, 2 throttling, 10 policy panels
  for (const auto& t : kChartTitles) {
    INFO(t);
    CHECK(std::find(titles.begin(), titles.end(), t) != titles.end());
  }
  // Nothing is fetched: no scripts, no links out, no external styles or images.
  const std::string body = without_svg_namespace(html);
  CHECK(body.find("http://") == std::string::npos);
  CHECK(body.find("https://") == std::string::npos);
  CHECK(body.find("<script") == std::string::npos);
  CHECK(body.find("<link") == std::string::npos);
  CHECK(body.find("<img") == std::string::npos);
  CHECK(body.find("url(") == std::string::npos);
  CHECK(body.find("@import") == std::string::npos);
  CHECK_THAT(html, Contains("Content-Security-Policy"));
  // A complete folder needs no notes; its figures appear formatted with units.
  CHECK(html.find("class=\"note\"") == std::string::npos);
  CHECK_THAT(html, Contains("<h1>subscription-247 <small>"));
  CHECK_THAT(html, Contains(">161,842</div>"));
  CHECK_THAT(html, Contains(">2.71 s</div>"));
  CHECK_THAT(html, Contains(">−$41.58</div>"));
  CHECK_THAT(html, Contains(">55.2%</div>"));
  CHECK_THAT(html, Contains("Team, annual"));  // a quoted CSV field with a comma
  CHECK_THAT(html, Contains("pays $0.657"));   // $20/month for one day: 20 * 86400 / 2629800
}

TEST_CASE("the report is deterministic and does not depend on where the folder is", "[report]") {
  const std::string a = render_report(kFixture);
  CHECK(a == render_report(kFixture));
  const auto copy = fixture_copy("report-copy");
  CHECK(a == render_report(copy));
}

TEST_CASE("missing files become notes, and the rest of the report still renders", "[report]") {
  SECTION("an empty folder") {
    const auto dir = test::temp_dir("report-empty");
    const std::string html = render_report(dir);
    CHECK(test::markup_problem(html).empty());
    CHECK(test::count_of(html, "<svg") == 0);
    CHECK_THAT(html, Contains("No <code>summary.csv</code> in this folder"));
    CHECK_THAT(html, Contains("No <code>timeseries.csv</code> in this folder"));
    CHECK_THAT(html, Contains("No <code>users.csv</code> in this folder"));
    CHECK_THAT(html, Contains("No <code>compare.csv</code> in this folder"));
    CHECK_THAT(html, Contains("<title>infercost report</title>"));
  }
  SECTION("only what the foundation writes today: summary.csv and run.json") {
    const auto dir = fixture_copy("report-summary-only",
                                      {"timeseries.csv", "users.csv", "plans.csv", "classes.csv", "compare.csv"});
    const std::string html = render_report(dir);
    CHECK(test::markup_problem(html).empty());
    CHECK(test::count_of(html, "<svg") == 0);
    CHECK_THAT(html, Contains(">161,842</div>"));
    CHECK_THAT(html, Contains("fingerprint <code>5be0c1d7a9e24f10</code>"));
    CHECK_THAT(html, Contains("No <code>classes.csv</code> or <code>users.csv</code> in this folder"));
  }
  SECTION("no compare.csv and no classes.csv: throttling falls back to users.csv") {
    const auto dir = fixture_copy("report-no-compare", {"compare.csv", "classes.csv"});
    const std::string html = render_report(dir);
    CHECK(test::markup_problem(html).empty());
    CHECK(test::count_of(html, "<svg") == 7);
    CHECK_THAT(html, Contains("No <code>compare.csv</code> in this folder: the policy comparison omitted."));
    CHECK_THAT(html, Contains("figures are aggregated from <code>users.csv</code>"));
    // The same counts as classes.csv gives: 28 of the 40 agents were throttled.
    CHECK_THAT(html, Contains("70% (28 of 40)"));
  }
  SECTION("no revenue column: prices come from plans.csv, prorated by the run's duration") {
    const auto dir = fixture_copy("report-no-revenue");
    const std::string users = test::read_file(dir / "users.csv");
    std::string edited = std::regex_replace(users, std::regex("revenue_usd"), "income");
    write_file_atomic(dir / "users.csv", edited);
    const std::string html = render_report(dir);
    CHECK_THAT(html, Contains("pays $0.657"));
    CHECK_THAT(html, Contains("plan price prorated to the run (≈, from plans.csv)"));
  }
}

TEST_CASE("broken files and missing columns become notes naming the file, row and column", "[report]") {
  const auto dir = fixture_copy("report-broken");
  std::string ts = test::read_file(dir / "timeseries.csv");
  const auto line3 = ts.find('\n', ts.find('\n') + 1) + 1;  // the second data row
  ts.replace(ts.find(',', line3) + 1, 0, "lots");           // "36000" -> "lots36000" in it_power_w
  write_file_atomic(dir / "timeseries.csv", ts);
  write_file_atomic(dir / "compare.csv", "policy,colour\nA,\"unterminated\n");
  write_file_atomic(dir / "users.csv", "user_id,class,plan,spend\nu1,a,free,3\n");
  const std::string html = render_report(dir);
  CHECK(test::markup_problem(html).empty());
  CHECK_THAT(html, Contains("timeseries.csv:3: row 2, column &#39;it_power_w&#39;: expected a number"));
  CHECK_THAT(html, Contains("<code>compare.csv</code> could not be read"));
  CHECK_THAT(html, Contains("compare.csv:2: a quoted field is never closed"));
  CHECK_THAT(html, Contains("<code>users.csv</code> has none of the columns for the cost-per-user chart"));
  // The sections that do not read timeseries.csv's power column still draw.
  CHECK_THAT(html, Contains("<title>Users throttled at least once</title>"));
  CHECK_THAT(html, Contains("<title>PUE and ambient temperature</title>"));
}

TEST_CASE("degenerate data still gives a well-formed page", "[report]") {
  const auto dir = test::temp_dir("report-degenerate");
  // One interval, a constant, an empty column, and times out of order.
  write_file_atomic(dir / "timeseries.csv",
                    "time_s,it_power_w,price_usd_per_kwh,utilization,running\n600,5,,0.5,\n0,5,0.1,0.5,3\n");
  // Header only.
  write_file_atomic(dir / "users.csv", "user_id,class,plan,cost_usd,revenue_usd,times_throttled\n");
  write_file_atomic(dir / "classes.csv", "class,users\nsolo,0\n");
  // One policy, every metric empty but one, and a negative margin.
  write_file_atomic(dir / "compare.csv", "policy,ttft_p99_s,margin_usd\nonly,,-3\n");
  write_file_atomic(dir / "summary.csv", "scenario,duration_s\n");
  const std::string html = render_report(dir);
  INFO(test::markup_problem(html));
  CHECK(test::markup_problem(html).empty());
  CHECK_FALSE(std::regex_search(html, std::regex(R"(\b(nan|inf)\b)", std::regex::icase)));
  CHECK_THAT(html, Contains("<title>Margin</title>"));
  CHECK(html.find("<title>Time to first token, p99</title>") == std::string::npos);
  CHECK_THAT(html, Contains("<code>summary.csv</code> has no rows."));
  CHECK_THAT(html, Contains("has no user with a positive cost"));
  CHECK(html == render_report(dir));

  // Only zero costs; a single user.
  write_file_atomic(dir / "users.csv", "user_id,class,plan,cost_usd\nu1,a,free,0\n");
  CHECK(test::markup_problem(render_report(dir)).empty());
  write_file_atomic(dir / "users.csv", "user_id,class,plan,cost_usd\nu1,a,free,0.3\n");
  const std::string one = render_report(dir);
  CHECK(test::markup_problem(one).empty());
  CHECK_THAT(one, Contains("<title>Cost of each user over the run, by plan</title>"));
}

TEST_CASE("text from the files is escaped", "[report]") {
  const auto dir = test::temp_dir("report-escape");
  write_file_atomic(dir / "summary.csv", "scenario,seed,requests_completed\n\"<b>x</b> & \"\"y\"\"\",1,5\n");
  write_file_atomic(dir / "users.csv",
                    "user_id,class,plan,cost_usd,revenue_usd,times_throttled\n"
                    "u1,<script>alert(1)</script>,p&q,0.5,1,2\nu2,c,p&q,2,1,0\n");
  const std::string html = render_report(dir);
  CHECK(test::markup_problem(html).empty());
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("<b>x") == std::string::npos);
  CHECK_THAT(html, Contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
  CHECK_THAT(html, Contains("&lt;b&gt;x&lt;/b&gt; &amp; &quot;y&quot;"));
  CHECK_THAT(html, Contains(">p&amp;q</text>"));
}

TEST_CASE("render_report refuses a folder that is not there", "[report]") {
  CHECK_THROWS_AS(render_report("/nonexistent/run"), ConfigError);
}

TEST_CASE("infercost report DIR [-o FILE] and run --report write the page atomically", "[report][cli]") {
  const auto dir = fixture_copy("report-cli");
  std::string err, out;
  REQUIRE(test::run_cli("report " + dir.string(), &err, &out) == 0);
  CHECK(fs::exists(dir / "report.html"));
  CHECK(test::read_file(dir / "report.html") == render_report(dir));
  REQUIRE(test::run_cli("report " + dir.string() + " -o " + (dir / "elsewhere" / "r.html").string(), &err, &out) == 0);
  CHECK(fs::exists(dir / "elsewhere" / "r.html"));
  CHECK(test::run_cli("report /nonexistent/run", &err, &out) == 2);
  CHECK_THAT(err, Contains("/nonexistent/run: not a folder of run outputs"));

  const auto run_dir = test::temp_dir("report-run");
  REQUIRE(test::run_cli("run " + test::repo_path("scenarios/md1.yaml") + " -q --report --set duration=10m --set warmup=0 -o " +
                            run_dir.string(),
                        &err, &out) == 0);
  const std::string html = test::read_file(run_dir / "report.html");
  CHECK(test::markup_problem(html).empty());
  CHECK_THAT(html, Contains("<h1>md1 <small>"));
  for (const auto& e : fs::directory_iterator(run_dir)) CHECK(e.path().string().find(".tmp.") == std::string::npos);
}

TEST_CASE("the page loads in headless Chromium without errors and shows its charts", "[report][chromium]") {
  // CI machines may have no browser: the check is skipped there, never installed from a test.
  std::string browser;
  for (const char* name : {"chromium", "chromium-browser"}) {
    if (std::system(("command -v " + std::string(name) + " >/dev/null 2>&1").c_str()) == 0) {
      browser = name;
      break;
    }
  }
  if (browser.empty()) {
    WARN("chromium is not installed: skipping the browser check (apt-get install chromium to run it)");
    return;
  }
  const auto dir = fixture_copy("report-chromium");
  write_report(dir);
  const auto profile = test::temp_dir("report-chromium-profile");
  // Loads a page; returns its DOM as the browser built it, and the browser's log.
  auto load = [&](const fs::path& html) {
    const fs::path dom = dir / "dom.html", log = dir / "chromium.log";
    // The resolver rule makes any attempt to reach the network fail loudly instead of quietly succeeding.
    const std::string cmd = "timeout 90 " + browser +
                            " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
                            " --disable-background-networking --disable-component-update --disable-sync"
                            " --host-resolver-rules='MAP * ~NOTFOUND' --enable-logging=stderr --v=0"
                            " --user-data-dir=" + profile.string() + " --dump-dom file://" + html.string() + " >" +
                            dom.string() + " 2>" + log.string();
    const int status = std::system(cmd.c_str());
    return std::make_tuple(WIFEXITED(status) ? WEXITSTATUS(status) : -1, test::read_file(dom), test::read_file(log));
  };
  // No console messages (the page runs no script, so any is an error: a refused load, a CSP violation) and no
  // failed resource loads.
  auto problems = [](const std::string& messages) {
    std::string found;
    for (const char* bad : {"CONSOLE", "Refused to", "violates", "net::ERR_", "Uncaught"}) {
      if (messages.find(bad) != std::string::npos) found += std::string(found.empty() ? "" : ", ") + bad;
    }
    return found;
  };

  const auto [rc, page, messages] = load(dir / "report.html");
  INFO(messages);
  REQUIRE(rc == 0);
  // The browser's DOM has every chart: the parser kept each <svg> and its title.
  CHECK(test::count_of(page, "<svg ") == 17);
  for (const auto& t : kChartTitles) {
    INFO(t);
    CHECK_THAT(page, Contains("<title>" + std::regex_replace(t, std::regex("&#39;"), "'") + "</title>"));
  }
  CHECK_THAT(page, Contains("</body></html>"));
  CHECK(problems(messages).empty());

  // The same check sees a page that tries to load something: the report's own header with an image added.
  std::string bad = test::read_file(dir / "report.html");
  bad.insert(bad.find("<main>"), "<img src=\"missing.png\" alt=\"\">");
  write_file_atomic(dir / "bad.html", bad);
  const auto [bad_rc, bad_page, bad_messages] = load(dir / "bad.html");
  CHECK(bad_rc == 0);
  CHECK_FALSE(problems(bad_messages).empty());
}
