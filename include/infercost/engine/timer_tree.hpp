#pragma once
// Handlers' timers: at most one pending event per handler, kept in a winner tree (a tournament tree, Knuth,
// TAOCP vol. 3, 5.4.1) indexed by the handler's slot, so that rescheduling replaces the pending event in place.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "infercost/engine/time.hpp"

namespace infercost {

/// A winner tree over one (time, tag) key per leaf: every inner node holds the smaller key of its two children,
/// so the root holds the earliest. Setting a leaf recomputes its path (log2 of the leaves, a comparison of two
/// adjacent 16-byte keys per level, no data-dependent branch but the early stop), and stops where a node is
/// unchanged. Keys order as the engine's events do: time, then tag (whose high bits are the insertion sequence).
/// An empty leaf holds a key after every real one.
class TimerTree {
 public:
  struct Key {
    SimTime time = kTimeNever;
    std::uint64_t tag = ~std::uint64_t{0};
  };

  /// The earliest key (the empty key when no leaf is set).
  Key top() const { return unpack(nodes_[1]); }
  bool empty() const { return nodes_[1] == kEmpty; }
  /// Leaves set now.
  std::size_t size() const { return set_; }

  /// Sets leaf `leaf`'s key (replacing what it held); grows the tree when the leaf is beyond it.
  void set(std::uint32_t leaf, SimTime time, std::uint64_t tag) {
    if (leaf >= leaves_) [[unlikely]] grow(leaf);
    Packed& k = nodes_[leaves_ + leaf];
    set_ += k == kEmpty;
    k = pack(Key{time, tag});
    walk(leaves_ + leaf);
  }
  /// Empties leaf `leaf` (nothing when it is empty or beyond the tree).
  void clear(std::uint32_t leaf) {
    if (leaf >= leaves_) return;
    Packed& k = nodes_[leaves_ + leaf];
    if (k == kEmpty) return;
    --set_;
    k = kEmpty;
    walk(leaves_ + leaf);
  }
  /// Empties leaf `leaf`, which holds the top key (a timer that fires): every node on its path held that key, so
  /// each takes its other child's winner without the early-stop test.
  void clear_top(std::uint32_t leaf) {
    --set_;
    const std::size_t i = leaves_ + leaf;
    nodes_[i] = kEmpty;
    walk<false>(i);
  }
  /// The key at leaf `leaf` (empty key beyond the tree).
  Key at(std::uint32_t leaf) const { return leaf < leaves_ ? unpack(nodes_[leaves_ + leaf]) : Key{}; }
  /// Bytes held.
  std::size_t memory_bytes() const { return nodes_.capacity() * sizeof(Packed); }

 private:
  /// (time, tag) as one unsigned 128-bit number (times are >= 0), so that the order is one comparison and a
  /// node's winner is picked without a branch.
  __extension__ using Packed = unsigned __int128;
  static constexpr Packed kEmpty = (Packed{static_cast<std::uint64_t>(kTimeNever)} << 64) | ~std::uint64_t{0};
  static Packed pack(const Key& k) { return (Packed{static_cast<std::uint64_t>(k.time)} << 64) | k.tag; }
  static Key unpack(Packed p) {
    return Key{static_cast<SimTime>(static_cast<std::uint64_t>(p >> 64)), static_cast<std::uint64_t>(p)};
  }

  /// Recomputes the path above node i, carrying the smallest key of the subtree climbed so far. With
  /// `kStopEarly`, stops at the first node that already holds it (the rest of the path does too); without, every
  /// node is rewritten (clear_top: each held the key just removed).
  template <bool kStopEarly = true>
  void walk(std::size_t i) {
    Packed key = nodes_[i];
    // Walked by byte offset: a sibling is one xor away and a parent one shift and mask, without rescaling an
    // index at every level (three instructions of sixteen per level, at every timer event).
    auto* const base = reinterpret_cast<unsigned char*>(nodes_.data());
    for (std::size_t off = i * sizeof(Packed); off > sizeof(Packed);) {
      Packed sibling;
      std::memcpy(&sibling, base + (off ^ sizeof(Packed)), sizeof sibling);
      key = sibling < key ? sibling : key;
      off = (off >> 1) & ~(sizeof(Packed) - 1);
      if constexpr (kStopEarly) {
        Packed parent;
        std::memcpy(&parent, base + off, sizeof parent);
        if (parent == key) return;
      }
      std::memcpy(base + off, &key, sizeof key);
    }
  }

  void grow(std::uint32_t leaf) {
    std::size_t leaves = leaves_;
    while (leaves <= leaf) leaves *= 2;
    std::vector<Packed> nodes(2 * leaves, kEmpty);
    for (std::size_t j = 0; j < leaves_; ++j) nodes[leaves + j] = nodes_[leaves_ + j];
    for (std::size_t i = leaves - 1; i >= 1; --i) nodes[i] = std::min(nodes[2 * i], nodes[2 * i + 1]);
    nodes_ = std::move(nodes);
    leaves_ = leaves;
  }

  std::size_t leaves_ = 1;
  std::vector<Packed> nodes_ = std::vector<Packed>(2, kEmpty);  ///< [1] the root, [leaves_ + j] leaf j; [0] unused
  std::size_t set_ = 0;
};

}  // namespace infercost
