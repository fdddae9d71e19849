#pragma once
// The simulation's requests, by pool index: fixed-size chunks that never move, so references stay valid as the
// pool grows, and finding a request costs one load from a table of chunk pointers small enough to stay in cache
// (a std::deque's map of 512-byte blocks grew to 115 KB on fleet-hour and missed at every lookup).
#include <cstdint>
#include <memory>
#include <vector>

#include "infercost/core/request.hpp"

namespace infercost {

class RequestPool {
 public:
  static constexpr unsigned kChunkBits = 12;  ///< 4,096 requests per chunk

  Request& operator[](std::uint32_t index) { return chunks_[index >> kChunkBits]->items[index & kChunkMask]; }
  const Request& operator[](std::uint32_t index) const {
    return chunks_[index >> kChunkBits]->items[index & kChunkMask];
  }
  std::uint32_t size() const { return size_; }
  /// Appends a default request; returns its index.
  std::uint32_t grow() {
    if ((size_ & kChunkMask) == 0) chunks_.push_back(std::make_unique<Chunk>());
    return size_++;
  }

 private:
  static constexpr std::uint32_t kChunkMask = (std::uint32_t{1} << kChunkBits) - 1;
  /// Line-aligned: malloc puts a chunk this large 16 bytes into a page, which left every other 96-byte request
  /// across three cache lines instead of two (and its middle line outside prefetch_request's two).
  struct alignas(64) Chunk {
    Request items[std::size_t{1} << kChunkBits];
  };
  std::vector<std::unique_ptr<Chunk>> chunks_;
  std::uint32_t size_ = 0;
};

}  // namespace infercost
