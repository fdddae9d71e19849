#pragma once
// Transparent huge pages for the simulator's heap: where the kernel gives them only on request (THP "madvise"
// mode), the process re-executes itself once with glibc's hugetlb tunable set, so that malloc requests them for
// every arena, and with its mmap threshold raised, so that mid-sized blocks come from that advised heap too.
// Fleet-scale runs are bound by TLB and cache misses (docs/performance.md, "Ninth session", "Twelfth session").
#include <cstddef>
#include <string>
#include <string_view>

namespace infercost {

/// What the process environment says about huge pages; plain values so the decision is testable.
struct HugePageEnvironment {
  const char* glibc_tunables = nullptr;  ///< GLIBC_TUNABLES, or null
  const char* opt_out = nullptr;         ///< INFERCOST_HUGE_PAGES ("0" turns the re-execution off), or null
  const char* ld_preload = nullptr;      ///< LD_PRELOAD (valgrind's tools preload vgpreload_*), or null
  std::string thp_enabled;               ///< /sys/kernel/mm/transparent_hugepage/enabled, empty if unreadable
};

/// Allocations below this many bytes come from the (huge-page advised) heap rather than from mappings of their own.
inline constexpr std::size_t kHeapMappingLimitBytes = std::size_t{32} << 20;

/// The GLIBC_TUNABLES value to re-execute with (hugetlb=1, and mmap_threshold unless the user set one), or an
/// empty string when the process should run as it is: THP not in "madvise" mode, the tunable already set, turned
/// off, or under valgrind (which would run the new image natively and lose the profile).
std::string huge_page_tunables(const HugePageEnvironment& env);

/// Re-executes its own binary (/proc/self/exe) with huge_page_tunables() when that says so; returns when it does
/// not, or when the re-execution fails (the run goes on with ordinary pages).
void reexec_with_huge_pages(char** argv);

}  // namespace infercost
