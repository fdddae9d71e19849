#pragma once
// What the process has used, for run provenance and benchmarks.
#include <cstdint>

namespace infercost {

/// Peak resident set size of this process so far, in bytes (getrusage ru_maxrss); 0 when unavailable.
std::uint64_t peak_rss_bytes();

}  // namespace infercost
