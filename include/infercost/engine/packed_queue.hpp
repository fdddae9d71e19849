#pragma once
// A 4-ary min-heap of 16-byte keys (time, sequence << 24 | slot) whose payloads (the tag's handler slot and
// kind, data) sit in a slab indexed by slot. Sifting moves 16 bytes instead of 32, and the four children of a node share
// one 64-byte cache line (the array is offset so that index 1 starts a line).
// Push O(log4 n), pop O(log4 n); 32 bytes per pending event (16 key + 16 payload). Measured no faster than
// the binary heap below 1e6 pending (docs/performance.md): the sift-down's branches, not the bytes moved,
// bound a heap here.
// Limits: 2^24 pending events and 2^40 events scheduled over the queue's life (the engine's own limit).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <stdexcept>

#include "infercost/engine/event.hpp"
#include "infercost/engine/quad_heap.hpp"

namespace infercost {

/// A 4-ary heap of packed 16-byte keys with a payload slab; see the header comment for its limits.
class PackedHeapQueue {
 public:
  PackedHeapQueue() = default;
  PackedHeapQueue(const PackedHeapQueue&) = delete;
  PackedHeapQueue& operator=(const PackedHeapQueue&) = delete;
  PackedHeapQueue(PackedHeapQueue&&) noexcept = default;
  PackedHeapQueue& operator=(PackedHeapQueue&&) noexcept = default;

  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }

  void push(const Event& e) {
    static_assert(Event::kSeqShift == 24, "the key's slot field reuses the tag's low 24 bits");
    const std::uint64_t seq = e.seq();
    std::uint32_t slot;
    if (free_head_ != kNoSlot) {
      slot = free_head_;
      free_head_ = static_cast<std::uint32_t>(slab_[slot].data);
    } else {
      if (slots_used_ == kMaxSlots) throw std::length_error("PackedHeapQueue: more than 2^24 pending events");
      if (slots_used_ == slab_capacity_) grow_slab(slab_capacity_ ? slab_capacity_ * 2 : 64);
      slot = slots_used_++;
    }
    slab_[slot] = Payload{e.tag & kSlotMask, e.data};
    if (size_ == key_capacity_) grow_keys(key_capacity_ ? key_capacity_ * 2 : 64);
    const Key k{e.time, (seq << 24) | slot};
    quad_heap_sift_up(keys_.get(), size_++, k, before);
  }

  /// The earliest event, rebuilt from its key and payload.
  Event top() const { return event_of(keys_[0]); }
  SimTime top_time() const { return keys_[0].time; }

  Event pop() {
    const Event result = event_of(keys_[0]);
    const auto slot = static_cast<std::uint32_t>(keys_[0].tag & kSlotMask);
    slab_[slot].data = free_head_;
    free_head_ = slot;
    const Key last = keys_[--size_];
    if (size_ > 0) quad_heap_sift_down(keys_.get(), size_, last, before);
    return result;
  }

  /// Calls f(event) for every pending event, in no particular order.
  template <class F>
  void for_each(F&& f) const {
    for (std::size_t i = 0; i < size_; ++i) f(event_of(keys_[i]));
  }

  void reserve(std::size_t n) {
    if (n > key_capacity_) grow_keys(n);
    if (n > slab_capacity_) grow_slab(n);
  }

  std::size_t memory_bytes() const { return key_capacity_ * sizeof(Key) + slab_capacity_ * sizeof(Payload); }

 private:
  struct Key {
    SimTime time;
    std::uint64_t tag;  ///< sequence (40 bits) << 24 | slot (24 bits)
  };
  struct Payload {
    std::uint64_t low_tag;  ///< the event tag's low 24 bits (handler slot, kind); free slots: unused
    std::uint64_t data;          ///< the event's data; free slots: the next free slot
  };
  struct AlignedFree {
    void operator()(Key* p) const { std::free(reinterpret_cast<char*>(p) - kKeyOffsetBytes); }
  };
  static constexpr std::uint64_t kSlotMask = (std::uint64_t{1} << 24) - 1;
  static constexpr std::uint32_t kMaxSlots = std::uint32_t{1} << 24;
  static constexpr std::uint32_t kNoSlot = ~std::uint32_t{0};
  // Index 0 sits 48 bytes into a 64-byte line so that children 4i+1..4i+4 share a line.
  static constexpr std::size_t kKeyOffsetBytes = 48;

  static bool before(const Key& a, const Key& b) { return a.time < b.time || (a.time == b.time && a.tag < b.tag); }

  Event event_of(const Key& k) const {
    const Payload& p = slab_[k.tag & kSlotMask];
    return Event{k.time, ((k.tag >> 24) << Event::kSeqShift) | p.low_tag, p.data};
  }

  void grow_keys(std::size_t n) {
    void* raw = std::aligned_alloc(64, ((n * sizeof(Key) + kKeyOffsetBytes + 63) / 64) * 64);
    if (raw == nullptr) throw std::bad_alloc();
    Key* fresh = reinterpret_cast<Key*>(static_cast<char*>(raw) + kKeyOffsetBytes);
    for (std::size_t i = 0; i < size_; ++i) fresh[i] = keys_[i];
    keys_.reset(fresh);
    key_capacity_ = n;
  }
  void grow_slab(std::size_t n) {
    auto fresh = std::make_unique<Payload[]>(n);
    for (std::size_t i = 0; i < slots_used_; ++i) fresh[i] = slab_[i];
    slab_ = std::move(fresh);
    slab_capacity_ = n;
  }

  std::unique_ptr<Key[], AlignedFree> keys_;
  std::unique_ptr<Payload[]> slab_;
  std::size_t size_ = 0;
  std::size_t key_capacity_ = 0;
  std::size_t slab_capacity_ = 0;
  std::uint32_t slots_used_ = 0;
  std::uint32_t free_head_ = kNoSlot;
};

}  // namespace infercost
