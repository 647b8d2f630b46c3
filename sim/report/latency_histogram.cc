// SPDX-License-Identifier: MIT
#include "sim/report/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>

#include "sim/engine/check.h"

namespace kubemind::report {
namespace {

// 2^kSubBits sub-buckets per power of two; values below 2^(kSubBits + 1) get one bucket each.
constexpr int kSubBits = 10;
constexpr uint64_t kSubBuckets = uint64_t{1} << kSubBits;  // 1024
constexpr uint64_t kExactLimit = kSubBuckets * 2;          // 2048
// Bucket index of v >= 1024 with bit width b is (b - 11) * 1024 + (v >> (b - 11)); the top of the
// int64 range (b = 63) ends at index 52 * 1024 + 2047.
constexpr size_t kBucketCount = static_cast<size_t>((63 - kSubBits - 1) * kSubBuckets + kExactLimit);

size_t bucket_index(uint64_t v) {
  if (v < kExactLimit) return static_cast<size_t>(v);
  const int shift = static_cast<int>(std::bit_width(v)) - (kSubBits + 1);
  return static_cast<size_t>(static_cast<uint64_t>(shift) * kSubBuckets + (v >> shift));
}

/// Midpoint of the integer values a bucket holds: [lower, lower + width - 1].
double bucket_midpoint(size_t index) {
  if (index < kExactLimit) return static_cast<double>(index);
  const int shift = static_cast<int>(index / kSubBuckets) - 1;
  const uint64_t mantissa = index % kSubBuckets + kSubBuckets;  // in [1024, 2048)
  const uint64_t lower = mantissa << shift;
  const uint64_t width = uint64_t{1} << shift;
  return static_cast<double>(lower) + static_cast<double>(width - 1) * 0.5;
}

}  // namespace

LatencyHistogram::LatencyHistogram() : buckets_(kBucketCount, 0) {}

void LatencyHistogram::record(int64_t ns) {
  ns = std::max<int64_t>(ns, 0);
  ++buckets_[bucket_index(static_cast<uint64_t>(ns))];
  if (count_ == 0 || ns < min_ns_) min_ns_ = ns;
  if (count_ == 0 || ns > max_ns_) max_ns_ = ns;
  ++count_;
  sum_ns_ += static_cast<double>(ns);
}

void LatencyHistogram::clear() {
  std::fill(buckets_.begin(), buckets_.end(), uint64_t{0});
  count_ = 0;
  sum_ns_ = 0.0;
  min_ns_ = 0;
  max_ns_ = 0;
}

double LatencyHistogram::quantile_ns(double q) const {
  SIM_ASSERT(q >= 0.0 && q <= 1.0, "quantile outside [0, 1]");
  if (count_ == 0) return 0.0;
  // Nearest rank, 1-based: ceil(q * count), at least 1 (q = 0 is the minimum).
  uint64_t rank = 1;
  if (q >= 1.0) {
    rank = count_;
  } else if (q > 0.0) {
    rank = std::clamp<uint64_t>(static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_))), 1, count_);
  }
  if (rank == 1) return static_cast<double>(min_ns_);
  if (rank == count_) return static_cast<double>(max_ns_);
  uint64_t seen = 0;
  const size_t last = bucket_index(static_cast<uint64_t>(max_ns_));
  size_t i = bucket_index(static_cast<uint64_t>(min_ns_));
  for (; i < last; ++i) {
    seen += buckets_[i];
    if (seen >= rank) break;
  }
  // A bucket shared with the minimum or maximum must not report a value outside those recorded.
  return std::clamp(bucket_midpoint(i), static_cast<double>(min_ns_), static_cast<double>(max_ns_));
}

uint64_t LatencyHistogram::count_at_or_below(int64_t ns) const {
  if (count_ == 0 || ns < min_ns_) return 0;
  if (ns >= max_ns_) return count_;
  uint64_t total = 0;
  const size_t last = bucket_index(static_cast<uint64_t>(ns));
  for (size_t i = bucket_index(static_cast<uint64_t>(min_ns_)); i <= last; ++i) total += buckets_[i];
  return total;
}

}  // namespace kubemind::report
