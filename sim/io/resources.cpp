#include "infercost/io/resources.hpp"

#include <sys/resource.h>

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

}  // namespace infercost
