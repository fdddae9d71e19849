#include "infercost/io/resources.hpp"

#include <sys/resource.h>

#include <fstream>
#include <string>

namespace infercost {

std::uint64_t peak_rss_bytes() {
  rusage usage{};
  if (::getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  // Linux reports kilobytes (getrusage(2)); macOS would report bytes.
#if defined(__APPLE__)
  return static_cast<std::uint64_t>(usage.ru_maxrss);
#else
  return static_cast<std::uint64_t>(usage.ru_maxrss) * 1024u;
#endif
}

std::uint64_t huge_page_bytes() {
  std::ifstream in("/proc/self/smaps_rollup");
  std::string key;
  std::uint64_t kb = 0;
  while (in >> key) {
    if (key == "AnonHugePages:") return in >> kb ? kb * 1024u : 0;
    in.ignore(4096, '\n');
  }
  return 0;
}

}  // namespace infercost
