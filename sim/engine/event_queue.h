// SPDX-License-Identifier: MIT
#pragma once
// The pending-event set: a 4-ary min-heap of 16-byte keys ordered by (time, seq).
// seq is a per-simulator counter, so events scheduled for the same instant pop in the order they
// were scheduled (FIFO ties, as in ns-3's EventKey). The key packs seq and the event's payload slot
// into one word (seq in the high 38 bits, slot in the low 26), so comparing (time, seq) is comparing
// (time, order) as one 128-bit unsigned number: branch-free, which matters because the outcome of
// heap comparisons is unpredictable. Limits: 2^26 (67 M) simultaneously pending events and 2^38
// (2.7e11) events scheduled per run, both checked.
// Complexity: push and pop O(log4 n); top O(1). Storage grows to the high-water mark and is reused.

#include <cstdint>
#include <vector>

namespace kubemind::engine {

__extension__ typedef unsigned __int128 PackedEventKey;  // GCC/Clang built-in 128-bit integer

struct EventKey {
  static constexpr int kSlotBits = 26;
  static constexpr uint64_t kMaxSlots = uint64_t{1} << kSlotBits;
  static constexpr uint64_t kMaxSeq = uint64_t{1} << (64 - kSlotBits);

  int64_t time_ns;  // >= 0
  uint64_t order;   // seq << kSlotBits | slot

  static EventKey make(int64_t time_ns, uint64_t seq, uint32_t slot) {
    return EventKey{time_ns, seq << kSlotBits | slot};
  }
  uint32_t slot() const { return static_cast<uint32_t>(order & (kMaxSlots - 1)); }
  PackedEventKey packed() const {
    return static_cast<PackedEventKey>(static_cast<uint64_t>(time_ns)) << 64 | order;
  }
  bool before(const EventKey& o) const { return packed() < o.packed(); }
};

class EventQueue {
 public:
  bool empty() const { return heap_.empty(); }
  size_t size() const { return heap_.size(); }
  const EventKey& top() const { return heap_.front(); }
  void reserve(size_t n) { heap_.reserve(n); }

  void push(const EventKey& key) {
    // Sift up with a hole: parents move down until the key's place is found.
    size_t hole = heap_.size();
    heap_.push_back(key);
    const PackedEventKey k = key.packed();
    while (hole > 0) {
      const size_t parent = (hole - 1) / kArity;
      if (k >= heap_[parent].packed()) break;
      heap_[hole] = heap_[parent];
      hole = parent;
    }
    heap_[hole] = key;
  }

  void pop() {
    const EventKey last = heap_.back();
    heap_.pop_back();
    const size_t n = heap_.size();
    if (n == 0) return;
    const PackedEventKey last_key = last.packed();
    // Sift the former last key down from the root with a hole.
    size_t hole = 0;
    for (;;) {
      const size_t first = hole * kArity + 1;
      if (first >= n) break;
      size_t best = first;
      PackedEventKey best_key = heap_[first].packed();
      const size_t end = first + kArity < n ? first + kArity : n;
      for (size_t c = first + 1; c < end; ++c) {
        const PackedEventKey ck = heap_[c].packed();
        const bool smaller = ck < best_key;
        best = smaller ? c : best;
        best_key = smaller ? ck : best_key;
      }
      if (best_key >= last_key) break;
      heap_[hole] = heap_[best];
      hole = best;
    }
    heap_[hole] = last;
  }

 private:
  static constexpr size_t kArity = 4;
  std::vector<EventKey> heap_;
};

}  // namespace kubemind::engine
