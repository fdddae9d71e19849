// Trace parsing and replay, checked against the real Azure 2023 traces parsed independently here.
#include <catch2/catch.hpp>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "../test_support.hpp"
#include "infercost/workload/trace.hpp"
#include "workload_support.hpp"

using namespace infercost;
using namespace infercost::workload_test;

namespace {

struct RawRow {
  std::int64_t time_ns;
  std::uint64_t input, output;
};

/// An independent reading of an Azure trace: sscanf and timegm, not the simulator's parser.
std::vector<RawRow> read_azure_independently(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string line;
  std::getline(in, line);  // header
  std::vector<RawRow> rows;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::tm tm{};
    char frac[16] = {0};
    unsigned long long input = 0, output = 0;
    REQUIRE(std::sscanf(line.c_str(), "%d-%d-%d %d:%d:%d.%7[0-9],%llu,%llu", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                        &tm.tm_hour, &tm.tm_min, &tm.tm_sec, frac, &input, &output) == 9);
    REQUIRE(std::string(frac).size() == 7);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    const std::int64_t seconds = timegm(&tm);
    rows.push_back({seconds * 1'000'000'000LL + std::stoll(frac) * 100, input, output});
  }
  return rows;
}

std::string replay_yaml(const std::string& file, double speedup, std::uint32_t users) {
  std::ostringstream y;
  y << "duration: 2h\ncluster: {replicas: 1, serving: {type: fixed, service_time: 1s}}\nworkload:\n  classes:\n"
    << "    - name: replay\n      users: " << users << "\n      arrival: {type: trace, file: " << file
    << ", speedup: " << speedup << "}\n";
  return y.str();
}

std::string write_temp(const std::string& name, const std::string& text) {
  static const infercost::test::TempDir root("trace");  // removed, with every file, when the process exits
  const auto p = root / name;
  std::ofstream(p, std::ios::binary) << text;
  return p.string();
}

}  // namespace

TEST_CASE("timestamps and decimal seconds parse to exact nanoseconds", "[workload][trace]") {
  CHECK(parse_timestamp_ns("1970-01-01 00:00:00.0000001") == 100);
  CHECK(parse_timestamp_ns("1970-01-02 00:00:01") == kDay + kSecond);
  CHECK(parse_timestamp_ns("2000-03-01 00:00:00.000000001") == 951868800LL * kSecond + 1);
  CHECK(parse_timestamp_ns("2023-11-16 18:17:03.9799600") == 1700158623LL * kSecond + 979960000);
  CHECK_FALSE(parse_timestamp_ns("2023-13-16 18:17:03.97"));
  CHECK_FALSE(parse_timestamp_ns("2023-11-16 18:17"));
  CHECK_FALSE(parse_timestamp_ns("2023-11-16 18:17:03.1234567890"));
  CHECK(parse_seconds_ns("0.000000001") == 1);
  CHECK(parse_seconds_ns("12.5") == 12'500'000'000LL);
  CHECK(parse_seconds_ns("3") == 3 * kSecond);
  CHECK(parse_seconds_ns("1.1000000000") == 1'100'000'000LL);
  CHECK_FALSE(parse_seconds_ns("1.0000000001"));
  CHECK_FALSE(parse_seconds_ns("-1"));
  CHECK_FALSE(parse_seconds_ns("1e3"));
}

TEST_CASE("the shipped Azure traces read with their published row counts and token totals", "[workload][trace]") {
  const ConfigNode where = ConfigNode::load_string("x: 1", "t.yaml");
  const auto code = read_trace(repo_path("scenarios/traces/AzureLLMInferenceTrace_code.csv"), where);
  CHECK(code->rows.size() == 8819);
  CHECK(code->input_tokens == 18059974);
  CHECK(code->output_tokens == 245896);
  CHECK_FALSE(code->has_users());
  const auto conv = read_trace(repo_path("scenarios/traces/AzureLLMInferenceTrace_conv.csv"), where);
  CHECK(conv->rows.size() == 19366);
  CHECK(conv->input_tokens == 22361870);
  CHECK(conv->output_tokens == 4088665);
}

TEST_CASE("trace replay reproduces count, tokens and arrival times to the nanosecond", "[workload][trace]") {
  for (const std::string name : {"code", "conv"}) {
    const std::string rel = "traces/AzureLLMInferenceTrace_" + name + ".csv";
    const auto raw = read_azure_independently(repo_path("scenarios/" + rel));
    REQUIRE(!raw.empty());
    for (const double speedup : {1.0, 2.0}) {
      INFO(name << " speedup " << speedup);
      const Scenario s = load_text(replay_yaml(rel, speedup, 100));
      Harness h(s, 1, 2 * kHour);
      h.run();
      REQUIRE(h.created.size() == raw.size());
      std::uint64_t in = 0, out = 0, in_raw = 0, out_raw = 0;
      std::size_t time_mismatches = 0, token_mismatches = 0;
      for (std::size_t i = 0; i < raw.size(); ++i) {
        const std::int64_t offset = raw[i].time_ns - raw[0].time_ns;
        // Round half up: with speedup 2, an odd offset of k ns arrives at (k + 1) / 2 ns.
        const std::int64_t expected = speedup == 1.0 ? offset : (offset + 1) / 2;
        time_mismatches += h.created[i].at != expected;
        token_mismatches += h.created[i].input_tokens != raw[i].input || h.created[i].output_tokens != raw[i].output;
        in += h.created[i].input_tokens;
        out += h.created[i].output_tokens;
        in_raw += raw[i].input;
        out_raw += raw[i].output;
      }
      CHECK(time_mismatches == 0);
      CHECK(token_mismatches == 0);
      CHECK(in == in_raw);
      CHECK(out == out_raw);
      // Replay is lazy: one pending arrival at a time.
      Harness lazy(s, 1, 2 * kHour);
      lazy.start();
      CHECK(lazy.engine.pending() == 1);
    }
  }
}

TEST_CASE("rows without users are assigned uniformly over the class by a seeded stream", "[workload][trace]") {
  const Scenario s = load_text(replay_yaml("traces/AzureLLMInferenceTrace_conv.csv", 1, 50));
  Harness a(s, 11, 2 * kHour), b(s, 11, 2 * kHour), c(s, 12, 2 * kHour);
  a.run();
  b.run();
  c.run();
  std::vector<double> counts(50, 0.0);
  std::size_t same_as_b = 0, same_as_c = 0;
  for (std::size_t i = 0; i < a.created.size(); ++i) {
    ++counts[a.created[i].user];
    same_as_b += a.created[i].user == b.created[i].user;
    same_as_c += a.created[i].user == c.created[i].user;
  }
  CHECK(same_as_b == a.created.size());   // seeded: reproducible
  CHECK(same_as_c < a.created.size() / 10);  // another seed, another assignment
  const std::vector<double> expected(50, static_cast<double>(a.created.size()) / 50);
  CHECK(chi_squared(counts, expected) < chi_squared_critical_001(49));
}

TEST_CASE("Zipf user assignment follows its probability mass function", "[workload][trace]") {
  for (const auto& [n, e] : std::vector<std::pair<std::uint64_t, double>>{{20, 1.1}, {1000, 0.8}, {5, 2.5}}) {
    INFO("n " << n << " exponent " << e);
    const ZipfSampler z(n, e);
    RandomStream rng(n);
    const int draws = 200000;
    const std::uint64_t bins = std::min<std::uint64_t>(n, 30);  // the last bin holds the tail
    std::vector<double> observed(bins, 0.0), expected(bins, 0.0);
    double norm = 0.0;
    for (std::uint64_t k = 1; k <= n; ++k) norm += std::pow(static_cast<double>(k), -e);
    for (std::uint64_t k = 1; k <= n; ++k) {
      expected[std::min(k, bins) - 1] += draws * std::pow(static_cast<double>(k), -e) / norm;
    }
    for (int i = 0; i < draws; ++i) {
      const std::uint64_t k = z.sample(rng);
      REQUIRE(k >= 1);
      REQUIRE(k <= n);
      ++observed[std::min(k, bins) - 1];
    }
    CHECK(chi_squared(observed, expected) < chi_squared_critical_001(bins - 1));
  }
}

TEST_CASE("generic traces: exact decimal times, user labels in order of appearance", "[workload][trace]") {
  const std::string path = write_temp("generic.csv",
                                      "time_s,user,input_tokens,output_tokens\n"
                                      "0.5,alice,100,10\n"
                                      "2.000000001,bob,200,20\r\n"
                                      "1.25,alice,300,30\n"
                                      "1.25,carol,400,40\n");
  const std::string yaml = "duration: 1h\ncluster: {replicas: 1, serving: {type: fixed, service_time: 1s}}\n"
                           "workload:\n  classes:\n    - name: g\n      arrival: {type: trace, file: " + path +
                           ", speedup: 0.5}\n";
  const Scenario s = load_text(yaml);
  CHECK(s.classes[0].users == 3);  // one per distinct label by default
  Harness h(s, 1, kHour);
  h.run();
  REQUIRE(h.created.size() == 4);
  CHECK(h.created[0].at == kSecond);  // 0.5 s replayed at half speed
  CHECK(h.created[0].user == 0);
  CHECK(h.created[1].at == 2'500'000'000LL);
  CHECK(h.created[1].input_tokens == 300);  // equal times keep their file order
  CHECK(h.created[2].user == 2);
  CHECK(h.created[3].at == 4'000'000'002LL);
  CHECK(h.created[3].user == 1);
  CHECK_THROWS_WITH(load_text(yaml, {"workload.classes.0.users=2"}), Catch::Contains("expected an integer in [3,"));
  CHECK_THROWS_WITH(load_text(yaml, {"workload.classes.0.input_tokens=5"}),
                    Catch::Contains("takes token counts from its trace"));
  CHECK_THROWS_WITH(load_text(yaml, {"workload.classes.0.arrival.assignment=zipf"}),
                    Catch::Contains("names its users"));
}

TEST_CASE("bad trace files fail with the file and line", "[workload][trace]") {
  const auto attempt = [](const std::string& text) {
    const std::string path = write_temp("bad.csv", text);
    load_text("duration: 1h\ncluster: {replicas: 1, serving: {type: fixed, service_time: 1s}}\n"
              "workload:\n  classes:\n    - name: g\n      arrival: {type: trace, file: " + path + "}\n");
  };
  CHECK_THROWS_WITH(attempt("when,what\n1,2\n"), Catch::Contains("bad.csv:1: expected the header"));
  CHECK_THROWS_WITH(attempt("TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:17:03.1,5\n"),
                    Catch::Contains("bad.csv:2: expected 3 comma-separated fields"));
  CHECK_THROWS_WITH(attempt("TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:17:03.1,5,6\nyesterday,5,6\n"),
                    Catch::Contains("bad.csv:3: expected a timestamp"));
  CHECK_THROWS_WITH(attempt("time_s,user,input_tokens,output_tokens\n1,a,5,6\n2,,5,6\n"),
                    Catch::Contains("bad.csv:3: expected a user on every row or on none"));
  CHECK_THROWS_WITH(attempt("time_s,user,input_tokens,output_tokens\n1,a,-5,6\n"),
                    Catch::Contains("expected an input token count"));
  CHECK_THROWS_WITH(load_text(replay_yaml("traces/nope.csv", 1, 1)), Catch::Contains("cannot open"));
}
