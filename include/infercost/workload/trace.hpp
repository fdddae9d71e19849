#pragma once
// Request traces read from CSV, in two schemas:
//  - Azure LLM inference 2023 (Patel et al., Splitwise, ISCA 2024): `TIMESTAMP,ContextTokens,GeneratedTokens`,
//    TIMESTAMP as `YYYY-MM-DD HH:MM:SS.fffffff` (UTC); times become offsets from the first row.
//  - generic: `time_s,user,input_tokens,output_tokens`; time_s is seconds from the start of the run (decimal,
//    parsed exactly to ns); user is any label, or empty on every row for a trace without users.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "infercost/engine/random.hpp"
#include "infercost/engine/time.hpp"
#include "infercost/io/config.hpp"

namespace infercost {

/// One traced request: its time (ns from the trace's origin, before any speed-up), user and token counts.
struct TraceRow {
  SimTime time = 0;
  std::uint32_t user = 0;           ///< index of the row's user label (in order of first appearance)
  std::uint32_t input_tokens = 0;
  std::uint32_t output_tokens = 0;
};

/// A whole trace, rows in time order (rows with equal times keep their file order).
struct Trace {
  /// The CSV schema a trace was read in.
  enum class Schema : std::uint8_t { kAzure2023, kGeneric };

  std::string path;
  Schema schema = Schema::kAzure2023;
  std::vector<TraceRow> rows;
  std::uint32_t distinct_users = 0;  ///< 0 when the trace names no users
  std::int64_t origin_ns = 0;        ///< Azure: the first row's time, ns since 1970-01-01 UTC; generic: 0
  std::uint64_t input_tokens = 0;    ///< sum over rows
  std::uint64_t output_tokens = 0;   ///< sum over rows

  bool has_users() const { return distinct_users > 0; }
};

/// Zipf-distributed ranks in [1, n]: P(k) proportional to k^-exponent, by rejection-inversion (Hoermann &
/// Derflinger 1996, "Rejection-inversion to generate variates from monotone discrete distributions", ACM TOMACS
/// 6(3)); O(1) memory and expected time, whatever n.
class ZipfSampler {
 public:
  ZipfSampler(std::uint64_t n, double exponent);
  std::uint64_t sample(RandomStream& rng) const;

 private:
  double h(double x) const;
  double h_integral(double x) const;
  double h_integral_inverse(double x) const;

  std::uint64_t n_;
  double exponent_;
  double h_integral_x1_;
  double h_integral_n_;
  double s_;
};

/// Reads a trace file (schema from its header). Errors throw ConfigError at `where`, naming the file and line.
std::shared_ptr<const Trace> read_trace(const std::string& path, const ConfigNode& where);

/// Integer values of one named column of a CSV file (for empirical length distributions).
std::vector<std::uint32_t> read_csv_column(const std::string& path, const std::string& column,
                                           const ConfigNode& where);

/// "YYYY-MM-DD HH:MM:SS[.f...]" (up to 9 fractional digits, UTC) to ns since 1970-01-01; nullopt if malformed.
std::optional<std::int64_t> parse_timestamp_ns(std::string_view text);
/// A non-negative decimal number of seconds ("12.5", "3", "0.000000001") to exact ns; nullopt if malformed or
/// finer than 1 ns.
std::optional<std::int64_t> parse_seconds_ns(std::string_view text);

}  // namespace infercost
