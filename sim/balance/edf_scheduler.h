// SPDX-License-Identifier: MIT
#pragma once
// Earliest-deadline-first weighted scheduling, as Envoy's EdfScheduler (source/common/upstream/
// edf_scheduler.h): each entry has a deadline; a pick takes the entry with the smallest deadline,
// advances the scheduler's clock to it and re-inserts the entry at clock + 1 / weight, where the
// weight is read at re-insertion time (so Envoy's weighted least-request can use a weight that
// depends on the host's current load). Over any run of picks with constant weights, each entry's
// pick count is within one of its weight share.
// Tie rule: equal deadlines go to the entry inserted earlier (Envoy orders its heap by
// (deadline, insertion order)); here insertion order is tracked by a sequence number.
// Simplification: a linear scan instead of a heap (host lists are tens of entries); Envoy's
// createWithPicks random pre-picks (to desynchronise proxies) are not modelled: every scheduler
// starts at deadline 1 / weight for each entry in host order.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kubemind::balance {

class EdfScheduler {
 public:
  /// Resets to `count` entries with the given initial weights (all > 0).
  template <class WeightOf>
  void reset(size_t count, WeightOf weight_of) {
    entries_.resize(count);
    clock_ = 0.0;
    sequence_ = 0;
    for (size_t i = 0; i < count; ++i) entries_[i] = Entry{1.0 / weight_of(i), sequence_++};
  }

  size_t size() const { return entries_.size(); }

  /// Picks the entry with the earliest deadline and re-inserts it with weight_of(picked).
  template <class WeightOf>
  size_t pick(WeightOf weight_of) {
    size_t best = 0;
    for (size_t i = 1; i < entries_.size(); ++i) {
      const Entry& e = entries_[i];
      const Entry& b = entries_[best];
      if (e.deadline < b.deadline || (e.deadline == b.deadline && e.sequence < b.sequence)) best = i;
    }
    clock_ = entries_[best].deadline;
    entries_[best] = Entry{clock_ + 1.0 / weight_of(best), sequence_++};
    return best;
  }

 private:
  struct Entry {
    double deadline = 0.0;
    uint64_t sequence = 0;
  };
  std::vector<Entry> entries_;
  double clock_ = 0.0;
  uint64_t sequence_ = 0;
};

}  // namespace kubemind::balance
