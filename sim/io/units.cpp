#include "infercost/io/units.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace infercost {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

/// Splits "3.35TB/s" into 3.35 and "TB/s"; nullopt if there is no leading number.
std::optional<std::pair<double, std::string_view>> split_number(std::string_view s) {
  s = trim(s);
  if (s.empty()) return std::nullopt;
  const char* begin = s.data();
  if (*begin == '+') ++begin;
  double value = 0;
  auto [ptr, ec] = std::from_chars(begin, s.data() + s.size(), value);
  if (ec != std::errc() || !std::isfinite(value)) return std::nullopt;
  return std::make_pair(value, trim(std::string_view(ptr, static_cast<std::size_t>(s.data() + s.size() - ptr))));
}

/// Consumes a decimal or binary prefix at the start of `unit`; returns its factor (1 if none).
double take_prefix(std::string_view& unit, std::string_view base) {
  // Only treat leading letters as a prefix if what follows is exactly the base unit.
  static const std::vector<std::pair<std::string_view, double>> prefixes = {
      {"Ki", 1024.0}, {"Mi", 1048576.0}, {"Gi", 1073741824.0}, {"Ti", 1099511627776.0},
      {"Pi", 1125899906842624.0}, {"k", 1e3}, {"K", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12},
      {"P", 1e15}, {"m", 1e-3}, {"u", 1e-6}, {"n", 1e-9}};
  if (unit == base) {
    unit = {};
    return 1.0;
  }
  for (const auto& [p, f] : prefixes) {
    if (unit.size() == p.size() + base.size() && unit.substr(0, p.size()) == p && unit.substr(p.size()) == base) {
      unit = {};
      return f;
    }
  }
  return std::nan("");
}

std::optional<double> parse_with_bases(std::string_view text,
                                       const std::vector<std::pair<std::string_view, double>>& bases,
                                       bool bare_ok) {
  auto split = split_number(text);
  if (!split) return std::nullopt;
  auto [value, unit] = *split;
  if (unit.empty()) return bare_ok ? std::optional<double>(value) : std::nullopt;
  for (const auto& [base, factor] : bases) {
    std::string_view u = unit;
    const double prefix = take_prefix(u, base);
    if (!std::isnan(prefix)) return value * prefix * factor;
  }
  return std::nullopt;
}

std::optional<double> parse_duration_seconds(std::string_view text) {
  // Accepts "90s", "1.5h", "1h30m", or a bare number of seconds.
  static const std::vector<std::pair<std::string_view, double>> units = {
      {"ns", 1e-9}, {"us", 1e-6}, {"µs", 1e-6}, {"ms", 1e-3}, {"sec", 1.0}, {"s", 1.0}, {"min", 60.0},
      {"m", 60.0}, {"hr", 3600.0}, {"h", 3600.0}, {"d", 86400.0}, {"w", 604800.0}};
  std::string_view s = trim(text);
  if (s.empty()) return std::nullopt;
  double total = 0;
  bool any = false;
  while (!s.empty()) {
    auto split = split_number(s);
    if (!split) return std::nullopt;
    auto [value, rest] = *split;
    if (rest.empty()) {
      if (any) return std::nullopt;  // "1h30" is ambiguous
      return value;
    }
    bool matched = false;
    for (const auto& [u, f] : units) {
      if (rest.substr(0, u.size()) == u) {
        const std::string_view after = rest.substr(u.size());
        // The unit must end here or be followed by the next number.
        if (!after.empty() && !std::isdigit(static_cast<unsigned char>(after.front())) && after.front() != '.') continue;
        total += value * f;
        s = after;
        matched = true;
        any = true;
        break;
      }
    }
    if (!matched) return std::nullopt;
  }
  return total;
}

}  // namespace

std::string unit_kind_help(UnitKind kind) {
  switch (kind) {
    case UnitKind::kDimensionless: return "a number";
    case UnitKind::kDuration: return "a duration such as 90s, 250ms, 15m, 5h, 7d or 1h30m; bare numbers are seconds";
    case UnitKind::kBytes: return "a size such as 80GiB, 141GB or 512MiB; bare numbers are bytes";
    case UnitKind::kBandwidth: return "a bandwidth such as 3.35TB/s or 900GB/s; bare numbers are bytes/s";
    case UnitKind::kPower: return "a power such as 700W or 10.2kW; bare numbers are watts";
    case UnitKind::kEnergy: return "an energy such as 3.6MJ or 1.5kWh; bare numbers are joules";
    case UnitKind::kRate: return "a rate such as 10/s, 600/min or 2/h; bare numbers are per second";
    case UnitKind::kFlops: return "a compute rate such as 989TFLOP/s; bare numbers are FLOP/s";
  }
  return "a value";
}

std::optional<double> parse_quantity(std::string_view text, UnitKind kind) {
  switch (kind) {
    case UnitKind::kDimensionless:
      return parse_with_bases(text, {{"", 1.0}}, true);
    case UnitKind::kDuration:
      return parse_duration_seconds(text);
    case UnitKind::kBytes:
      return parse_with_bases(text, {{"B", 1.0}}, true);
    case UnitKind::kBandwidth:
      return parse_with_bases(text, {{"B/s", 1.0}, {"Bps", 1.0}}, true);
    case UnitKind::kPower:
      return parse_with_bases(text, {{"W", 1.0}}, true);
    case UnitKind::kEnergy:
      return parse_with_bases(text, {{"J", 1.0}, {"Wh", 3600.0}}, true);
    case UnitKind::kRate: {
      auto split = split_number(text);
      if (!split) return std::nullopt;
      auto [value, unit] = *split;
      if (unit.empty() || unit == "/s" || unit == "rps") return value;
      if (unit == "/min" || unit == "/m" || unit == "rpm") return value / 60.0;
      if (unit == "/h") return value / 3600.0;
      if (unit == "/d") return value / 86400.0;
      if (unit == "/w") return value / 604800.0;
      return std::nullopt;
    }
    case UnitKind::kFlops:
      return parse_with_bases(text, {{"FLOP/s", 1.0}, {"FLOPS", 1.0}}, true);
  }
  return std::nullopt;
}

std::optional<SimTime> parse_duration(std::string_view text) {
  auto s = parse_duration_seconds(text);
  if (!s) return std::nullopt;
  return from_seconds(*s);
}

std::string format_duration(SimTime t) {
  if (t == kTimeNever) return "never";
  if (t < kMicrosecond) return fmt::format("{}ns", t);
  if (t < kMillisecond) return fmt::format("{:g}us", static_cast<double>(t) / 1e3);
  if (t < kSecond) return fmt::format("{:g}ms", static_cast<double>(t) / 1e6);
  if (t < kMinute) return fmt::format("{:g}s", to_seconds(t));
  std::string out;
  SimTime rest = t;
  const std::pair<SimTime, const char*> parts[] = {{kDay, "d"}, {kHour, "h"}, {kMinute, "m"}, {kSecond, "s"}};
  for (const auto& [unit, name] : parts) {
    if (rest >= unit) {
      out += fmt::format("{}{}", rest / unit, name);
      rest %= unit;
    }
  }
  if (rest > 0) out += fmt::format("{}ns", rest);
  return out;
}

}  // namespace infercost
