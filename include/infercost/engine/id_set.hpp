#pragma once
// A set of 64-bit ids in one flat array (open addressing, linear probing, backward-shift deletion): the engine's
// cancelled events. Lookups touch one or two cache lines of a table kept at most half full, with no node to
// allocate per insert, which matters when a fleet cancels an event per arrival.
#include <bit>
#include <cstdint>
#include <vector>

namespace infercost {

/// A set of ids below 2^64 - 1 (the empty-slot marker).
class IdSet {
 public:
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }

  /// Adds `id`; false when it was there already.
  bool insert(std::uint64_t id) {
    if (2 * (size_ + 1) > slots_.size()) grow();
    std::size_t i = home(id);
    while (slots_[i] != kEmpty) {
      if (slots_[i] == id) return false;
      i = (i + 1) & mask_;
    }
    slots_[i] = id;
    ++size_;
    return true;
  }

  /// Removes `id`; false when it was not there.
  bool erase(std::uint64_t id) {
    if (size_ == 0) return false;
    std::size_t i = home(id);
    while (slots_[i] != id) {
      if (slots_[i] == kEmpty) return false;
      i = (i + 1) & mask_;
    }
    // Backward-shift deletion: later entries of the probe run move up so no tombstone is needed.
    std::size_t hole = i;
    for (std::size_t j = (i + 1) & mask_; slots_[j] != kEmpty; j = (j + 1) & mask_) {
      const std::size_t h = home(slots_[j]);
      // Move slots_[j] into the hole when its home is not in (hole, j] cyclically.
      if (((j - h) & mask_) >= ((j - hole) & mask_)) {
        slots_[hole] = slots_[j];
        hole = j;
      }
    }
    slots_[hole] = kEmpty;
    --size_;
    return true;
  }

  bool contains(std::uint64_t id) const {
    if (size_ == 0) return false;
    for (std::size_t i = home(id); slots_[i] != kEmpty; i = (i + 1) & mask_) {
      if (slots_[i] == id) return true;
    }
    return false;
  }

  template <class F>
  void for_each(F&& f) const {
    for (std::uint64_t id : slots_) {
      if (id != kEmpty) f(id);
    }
  }

  void clear() {
    std::fill(slots_.begin(), slots_.end(), kEmpty);
    size_ = 0;
  }

  std::size_t memory_bytes() const { return slots_.capacity() * sizeof(std::uint64_t); }

 private:
  static constexpr std::uint64_t kEmpty = ~std::uint64_t{0};

  std::size_t home(std::uint64_t id) const {
    return static_cast<std::size_t>((id * 0x9e3779b97f4a7c15ULL) >> shift_);
  }

  void grow() {
    std::vector<std::uint64_t> old = std::move(slots_);
    const std::size_t capacity = old.empty() ? 64 : 2 * old.size();
    slots_.assign(capacity, kEmpty);
    mask_ = capacity - 1;
    shift_ = 64 - static_cast<unsigned>(std::countr_zero(capacity));
    size_ = 0;
    for (std::uint64_t id : old) {
      if (id != kEmpty) insert(id);
    }
  }

  std::vector<std::uint64_t> slots_;
  std::size_t mask_ = 0;
  unsigned shift_ = 64;
  std::size_t size_ = 0;
};

}  // namespace infercost
