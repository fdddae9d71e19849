#pragma once
// Running a worker loop on several threads (compare, sweep): the workers pull their own work items.
#include <cstddef>
#include <functional>

namespace infercost {

/// Runs `worker` on min(threads, items) threads (at least one; on the calling thread when that is one) and
/// returns when all have returned. Workers share their work through their own atomic counter.
void run_workers(std::size_t threads, std::size_t items, const std::function<void()>& worker);

}  // namespace infercost
