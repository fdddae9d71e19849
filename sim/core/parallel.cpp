// Worker threads (parallel.hpp).
#include "infercost/core/parallel.hpp"

#include <algorithm>
#include <thread>
#include <vector>

namespace infercost {

void run_workers(std::size_t threads, std::size_t items, const std::function<void()>& worker) {
  const std::size_t n = std::min(std::max<std::size_t>(threads, 1), items);
  if (n <= 1) {
    worker();
    return;
  }
  std::vector<std::thread> pool;
  for (std::size_t t = 0; t < n; ++t) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
}

}  // namespace infercost
