#pragma once
// Parsing of quantities with units: durations ("90s", "15m", "5h", "7d"), sizes ("80GiB"), bandwidths
// ("3.35TB/s"), power ("700W"), rates ("10/s", "600/min"), FLOP/s ("989TFLOP/s"), energy ("1.5kWh").
#include <optional>
#include <string>
#include <string_view>

#include "infercost/engine/time.hpp"

namespace infercost {

/// The dimension a scenario value is expected to have; bare numbers are in the base unit.
enum class UnitKind {
  kDimensionless,  ///< plain number, SI prefixes allowed ("2k")
  kDuration,       ///< base: seconds; ns us ms s m/min h d w
  kBytes,          ///< base: bytes; B with SI (kB, GB) or IEC (KiB, GiB) prefixes
  kBandwidth,      ///< base: bytes/s; "3.35TB/s"
  kPower,          ///< base: watts; W, kW, MW
  kEnergy,         ///< base: joules; J, kJ, MJ, Wh, kWh, MWh
  kRate,           ///< base: per second; "/s", "/min", "/h", "/d", also "rps", "rpm"
  kFlops,          ///< base: FLOP/s; "989TFLOP/s", "989TFLOPS"
};

/// Human name of a unit kind, with examples, for error messages.
std::string unit_kind_help(UnitKind kind);

/// Parses text as a quantity of `kind` in its base unit; nullopt when it does not parse.
std::optional<double> parse_quantity(std::string_view text, UnitKind kind);

/// Parses a duration to integer nanoseconds; nullopt when it does not parse.
std::optional<SimTime> parse_duration(std::string_view text);

/// Formats a duration compactly ("1h30m", "250ms") for messages and summaries.
std::string format_duration(SimTime t);

}  // namespace infercost
