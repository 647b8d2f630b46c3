// SPDX-License-Identifier: MIT
#pragma once
// A deterministic log-linear histogram of non-negative durations in nanoseconds (HdrHistogram's
// bucketing idea): exact below 2048 ns, then 1024 equal sub-buckets per power of two, so any
// reported quantile is within 0.1% of the exact order statistic. Fixed memory, O(1) record, no
// allocation after construction.
//
// Buckets: values 0..2047 have one bucket each. A value v >= 2048 with bit width b (12..63) falls in
// one of 1024 buckets of width 2^(b - 11) that split [2^(b-1), 2^b), so width / v <= 1/1024. That is
// 2048 + 52 * 1024 = 55296 buckets (432 KiB), covering 0..INT64_MAX. Negative input is clamped to 0.

#include <cstdint>
#include <vector>

namespace kubemind::report {

class LatencyHistogram {
 public:
  LatencyHistogram();

  void record(int64_t ns);
  void clear();

  uint64_t count() const { return count_; }
  /// Exact while the sum of the recorded values stays below 2^53 ns (about 104 days).
  double mean_ns() const { return count_ == 0 ? 0.0 : sum_ns_ / static_cast<double>(count_); }
  int64_t max_ns() const { return max_ns_; }
  /// Nearest-rank quantile: the smallest recorded value v with at least ceil(q * count) values <= v,
  /// reported as the midpoint of its bucket (exact for values below 2048 ns), clamped to the recorded
  /// [min, max]; rank 1 (q = 0) is the exact minimum and rank count (q = 1) the exact maximum.
  /// q in [0, 1]; 0 if empty.
  double quantile_ns(double q) const;
  /// Number of recorded values <= ns, at bucket resolution: whole buckets up to and including the
  /// one that contains ns. Exact below 2048 ns, when ns < the minimum and when ns >= the maximum;
  /// otherwise it may also count values in (ns, ns * (1 + 1/1024)] that share ns's bucket.
  uint64_t count_at_or_below(int64_t ns) const;

 private:
  std::vector<uint64_t> buckets_;
  uint64_t count_ = 0;
  double sum_ns_ = 0.0;
  int64_t min_ns_ = 0;  // kept so that rank 1 is exact and bucket scans start at the first filled one
  int64_t max_ns_ = 0;
};

}  // namespace kubemind::report
