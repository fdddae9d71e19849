// CSV request traces. Timestamps are parsed field by field into integer nanoseconds (days from the civil date by
// Hinnant's algorithm, "chrono-Compatible Low-Level Date Algorithms"), never through floating point, so a replay
// reproduces every arrival to the nanosecond.
#include "infercost/workload/trace.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include <fmt/format.h>

namespace infercost {
namespace {

constexpr std::string_view kAzureHeader = "TIMESTAMP,ContextTokens,GeneratedTokens";
constexpr std::string_view kGenericHeader = "time_s,user,input_tokens,output_tokens";

/// Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (Hinnant, days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool parse_digits(std::string_view s, std::int64_t& out) {
  if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

bool parse_u32(std::string_view s, std::uint32_t& out) {
  std::int64_t v = 0;
  if (!parse_digits(s, v) || v > 0xffffffffLL) return false;
  out = static_cast<std::uint32_t>(v);
  return true;
}

/// Fractional seconds "f..." (1 to 9 digits) to ns.
bool parse_fraction_ns(std::string_view s, std::int64_t& ns) {
  if (s.empty() || s.size() > 9) return false;
  std::int64_t v = 0;
  if (!parse_digits(s, v)) return false;
  for (std::size_t i = s.size(); i < 9; ++i) v *= 10;
  ns = v;
  return true;
}

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = line.find(',', start);
    if (comma == std::string_view::npos) {
      out.push_back(line.substr(start));
      return out;
    }
    out.push_back(line.substr(start, comma - start));
    start = comma + 1;
  }
}

/// Reads a text file's lines, without line terminators (LF or CRLF) and without a UTF-8 byte-order mark.
std::vector<std::string> read_lines(const std::string& path, const ConfigNode& where) {
  std::ifstream in(path, std::ios::binary);
  if (!in) where.fail(fmt::format("cannot open '{}'", path));
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  if (text.rfind("\xEF\xBB\xBF", 0) == 0) text.erase(0, 3);
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::size_t stop = end;
    if (stop > start && text[stop - 1] == '\r') --stop;
    lines.emplace_back(text, start, stop - start);
    start = end + 1;
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

/// log1p(x) / x, accurate near 0.
double helper1(double x) { return std::fabs(x) > 1e-8 ? std::log1p(x) / x : 1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x)); }
/// expm1(x) / x, accurate near 0.
double helper2(double x) {
  return std::fabs(x) > 1e-8 ? std::expm1(x) / x : 1.0 + x * 0.5 * (1.0 + x / 3.0 * (1.0 + 0.25 * x));
}

}  // namespace

// Rejection-inversion as in Apache Commons Math's ZipfDistribution (ZipfRejectionInversionSampler):
// H(x) = integral of h(t) = t^-e, inverted in closed form; k is accepted when it falls in the hat's part
// that belongs to it.
ZipfSampler::ZipfSampler(std::uint64_t n, double exponent) : n_(n), exponent_(exponent) {
  h_integral_x1_ = h_integral(1.5) - 1.0;
  h_integral_n_ = h_integral(static_cast<double>(n) + 0.5);
  s_ = 2.0 - h_integral_inverse(h_integral(2.5) - h(2.0));
}

double ZipfSampler::h(double x) const { return std::exp(-exponent_ * std::log(x)); }

double ZipfSampler::h_integral(double x) const {
  const double log_x = std::log(x);
  return helper2((1.0 - exponent_) * log_x) * log_x;
}

double ZipfSampler::h_integral_inverse(double x) const {
  double t = x * (1.0 - exponent_);
  if (t < -1.0) t = -1.0;  // rounding only
  return std::exp(helper1(t) * x);
}

std::uint64_t ZipfSampler::sample(RandomStream& rng) const {
  for (;;) {
    const double u = h_integral_n_ + rng.uniform() * (h_integral_x1_ - h_integral_n_);
    const double x = h_integral_inverse(u);
    double k = std::floor(x + 0.5);
    if (k < 1.0) k = 1.0;
    else if (k > static_cast<double>(n_)) k = static_cast<double>(n_);
    if (k - x <= s_ || u >= h_integral(k + 0.5) - h(k)) return static_cast<std::uint64_t>(k);
  }
}

std::optional<std::int64_t> parse_timestamp_ns(std::string_view s) {
  // YYYY-MM-DD HH:MM:SS[.f...]
  if (s.size() < 19 || s[4] != '-' || s[7] != '-' || (s[10] != ' ' && s[10] != 'T') || s[13] != ':' ||
      s[16] != ':') {
    return std::nullopt;
  }
  std::int64_t y, mo, d, h, mi, sec, frac = 0;
  if (!parse_digits(s.substr(0, 4), y) || !parse_digits(s.substr(5, 2), mo) || !parse_digits(s.substr(8, 2), d) ||
      !parse_digits(s.substr(11, 2), h) || !parse_digits(s.substr(14, 2), mi) || !parse_digits(s.substr(17, 2), sec)) {
    return std::nullopt;
  }
  if (s.size() > 19) {
    if (s[19] != '.' || !parse_fraction_ns(s.substr(20), frac)) return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  const std::int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return ((days * 24 + h) * 60 + mi) * 60 * kSecond + sec * kSecond + frac;
}

std::optional<std::int64_t> parse_seconds_ns(std::string_view s) {
  const std::size_t dot = s.find('.');
  std::int64_t whole = 0, frac = 0;
  const std::string_view whole_text = s.substr(0, dot);
  if (!parse_digits(whole_text, whole) || whole > 9'000'000'000LL) return std::nullopt;
  if (dot != std::string_view::npos) {
    std::string_view f = s.substr(dot + 1);
    while (f.size() > 9 && f.back() == '0') f.remove_suffix(1);  // trailing zeros below 1 ns are harmless
    if (!parse_fraction_ns(f, frac)) return std::nullopt;
  }
  return whole * kSecond + frac;
}

std::shared_ptr<const Trace> read_trace(const std::string& path, const ConfigNode& where) {
  const auto lines = read_lines(path, where);
  const auto fail_at = [&](std::size_t line, const std::string& msg) {
    where.fail(fmt::format("{}:{}: {}", path, line + 1, msg));
  };
  if (lines.empty()) where.fail(fmt::format("{}: the trace is empty", path));
  auto trace = std::make_shared<Trace>();
  trace->path = path;
  if (lines[0] == kAzureHeader) {
    trace->schema = Trace::Schema::kAzure2023;
  } else if (lines[0] == kGenericHeader) {
    trace->schema = Trace::Schema::kGeneric;
  } else {
    fail_at(0, fmt::format("expected the header '{}' (Azure 2023) or '{}' (generic), got '{}'", kAzureHeader,
                           kGenericHeader, lines[0]));
  }
  const bool azure = trace->schema == Trace::Schema::kAzure2023;
  std::unordered_map<std::string, std::uint32_t> user_ids;
  std::size_t rows_with_user = 0;
  std::vector<std::int64_t> times;
  trace->rows.reserve(lines.size() - 1);
  times.reserve(lines.size() - 1);
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto f = split_fields(lines[i]);
    const std::size_t expected = azure ? 3 : 4;
    if (f.size() != expected) fail_at(i, fmt::format("expected {} comma-separated fields, got {}", expected, f.size()));
    TraceRow row;
    std::optional<std::int64_t> t = azure ? parse_timestamp_ns(f[0]) : parse_seconds_ns(f[0]);
    if (!t) {
      fail_at(i, azure ? fmt::format("expected a timestamp YYYY-MM-DD HH:MM:SS.fffffff, got '{}'", f[0])
                       : fmt::format("expected time_s as a non-negative decimal number of seconds, got '{}'", f[0]));
    }
    const std::string_view in = azure ? f[1] : f[2];
    const std::string_view out = azure ? f[2] : f[3];
    if (!parse_u32(in, row.input_tokens)) fail_at(i, fmt::format("expected an input token count, got '{}'", in));
    if (!parse_u32(out, row.output_tokens)) fail_at(i, fmt::format("expected an output token count, got '{}'", out));
    if (!azure && !f[1].empty()) {
      ++rows_with_user;
      const auto [it, added] = user_ids.emplace(std::string(f[1]), static_cast<std::uint32_t>(user_ids.size()));
      row.user = it->second;
    }
    if (!azure && rows_with_user != 0 && rows_with_user != i) {
      fail_at(i, "expected a user on every row or on none (rows without a user get a seeded assignment)");
    }
    times.push_back(*t);
    trace->input_tokens += row.input_tokens;
    trace->output_tokens += row.output_tokens;
    trace->rows.push_back(row);
  }
  if (trace->rows.empty()) where.fail(fmt::format("{}: the trace has a header but no rows", path));
  trace->distinct_users = static_cast<std::uint32_t>(user_ids.size());
  if (azure) trace->origin_ns = *std::min_element(times.begin(), times.end());
  for (std::size_t i = 0; i < times.size(); ++i) trace->rows[i].time = times[i] - trace->origin_ns;
  std::stable_sort(trace->rows.begin(), trace->rows.end(),
                   [](const TraceRow& a, const TraceRow& b) { return a.time < b.time; });
  return trace;
}

std::vector<std::uint32_t> read_csv_column(const std::string& path, const std::string& column,
                                           const ConfigNode& where) {
  const auto lines = read_lines(path, where);
  if (lines.empty()) where.fail(fmt::format("{}: the file is empty", path));
  const auto header = split_fields(lines[0]);
  std::size_t index = header.size();
  std::string names;
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (header[i] == column) index = i;
    names += fmt::format("{}'{}'", i ? ", " : "", header[i]);
  }
  if (index == header.size()) where.fail(fmt::format("{}: no column '{}' (columns: {})", path, column, names));
  std::vector<std::uint32_t> values;
  values.reserve(lines.size() - 1);
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto f = split_fields(lines[i]);
    std::uint32_t v = 0;
    if (f.size() != header.size() || !parse_u32(f[index], v)) {
      where.fail(fmt::format("{}:{}: expected a token count in column '{}'", path, i + 1, column));
    }
    values.push_back(v);
  }
  if (values.empty()) where.fail(fmt::format("{}: the file has a header but no rows", path));
  return values;
}

}  // namespace infercost
