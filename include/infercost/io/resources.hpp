#pragma once
// What the process has used, for run provenance and benchmarks.
#include <cstdint>

namespace infercost {

/// Peak resident set size of this process so far, in bytes (getrusage ru_maxrss); 0 when unavailable.
std::uint64_t peak_rss_bytes();
/// Bytes of this process's anonymous memory on transparent huge pages now (AnonHugePages in
/// /proc/self/smaps_rollup); 0 when none, or when the kernel does not say.
std::uint64_t huge_page_bytes();

}  // namespace infercost
