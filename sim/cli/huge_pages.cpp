#include "infercost/cli/huge_pages.hpp"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

namespace infercost {

std::string huge_page_tunables(const HugePageEnvironment& env) {
  if (env.opt_out != nullptr && std::string_view(env.opt_out) == "0") return {};
  if (env.ld_preload != nullptr && std::string_view(env.ld_preload).find("vgpreload") != std::string_view::npos) {
    return {};
  }
  // "always [madvise] never": the bracket marks the mode in force. Under "always" malloc's memory is eligible
  // already; under "never" nothing is.
  if (env.thp_enabled.find("[madvise]") == std::string::npos) return {};
  const std::string_view current = env.glibc_tunables != nullptr ? env.glibc_tunables : "";
  if (current.find("glibc.malloc.hugetlb") != std::string_view::npos) return {};
  std::string tunables(current);
  if (!tunables.empty()) tunables += ':';
  tunables += "glibc.malloc.hugetlb=1";
  // glibc advises huge pages for the heap and for mappings of 2 MiB and more, not for the 128 KiB-2 MiB blocks
  // it maps apart by default (the request pool's chunks, the users' streams: about 5 MB of fleet-hour's 35 MB).
  // Below this threshold they come from the heap too (docs/performance.md, "Twelfth session").
  if (current.find("glibc.malloc.mmap_threshold") == std::string_view::npos) {
    tunables += ":glibc.malloc.mmap_threshold=" + std::to_string(kHeapMappingLimitBytes);
  }
  return tunables;
}

void reexec_with_huge_pages(char** argv) {
  HugePageEnvironment env;
  env.glibc_tunables = std::getenv("GLIBC_TUNABLES");
  env.opt_out = std::getenv("INFERCOST_HUGE_PAGES");
  env.ld_preload = std::getenv("LD_PRELOAD");
  std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
  env.thp_enabled.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  const std::string tunables = huge_page_tunables(env);
  if (tunables.empty()) return;
  const bool had = env.glibc_tunables != nullptr;
  const std::string before = had ? env.glibc_tunables : "";
  // The new image sees the tunable set and does not come back here; if exec fails, nothing has changed.
  if (::setenv("GLIBC_TUNABLES", tunables.c_str(), 1) != 0) return;
  // The resolved path, not /proc/self/exe, so that the process keeps its name (ps, top, pgrep).
  char path[4096];
  const ssize_t n = ::readlink("/proc/self/exe", path, sizeof path - 1);
  if (n > 0) {
    path[n] = '\0';
    ::execv(path, argv);
  }
  if (had) ::setenv("GLIBC_TUNABLES", before.c_str(), 1);
  else ::unsetenv("GLIBC_TUNABLES");
}

}  // namespace infercost
