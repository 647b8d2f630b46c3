// SPDX-License-Identifier: MIT
// LatencyHistogram against exact truths: order statistics of a sorted sample, exact sums, exact
// counts.

#include "sim/report/latency_histogram.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include <boost/random/lognormal_distribution.hpp>
#include <boost/random/mersenne_twister.hpp>
#include <catch2/catch.hpp>

namespace kubemind::report {
namespace {

/// 1-based nearest rank of quantile q among n values: ceil(q * n), at least 1.
size_t nearest_rank(double q, size_t n) {
  const auto rank = static_cast<size_t>(std::ceil(q * static_cast<double>(n)));
  return std::clamp<size_t>(rank, 1, n);
}

/// Number of values <= ns in a sorted sample.
uint64_t exact_count_at_or_below(const std::vector<int64_t>& sorted, int64_t ns) {
  return static_cast<uint64_t>(std::upper_bound(sorted.begin(), sorted.end(), ns) - sorted.begin());
}

/// A fixed-seed lognormal sample in ns: median e^11.5 ns (about 0.1 ms), sigma 3, so the million
/// values run from tens of ns to hundreds of seconds and many fall in the exact range below 2048.
std::vector<int64_t> lognormal_sample_ns(size_t n) {
  boost::random::mt19937_64 engine(20240601);
  boost::random::lognormal_distribution<double> dist(11.5, 3.0);
  std::vector<int64_t> values(n);
  for (auto& v : values) v = std::llround(dist(engine));
  return values;
}

bool within_relative(double got, double want, double tolerance) {
  return std::abs(got - want) <= tolerance * std::abs(want);
}

TEST_CASE("quantiles of a million lognormal latencies are within 0.1% of the exact order statistics",
          "[report][histogram]") {
  const std::vector<int64_t> values = lognormal_sample_ns(1'000'000);
  LatencyHistogram h;
  for (const int64_t v : values) h.record(v);
  std::vector<int64_t> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  // The sample really spans ns to seconds, with both bucket regimes well populated.
  REQUIRE(sorted.front() < 100);
  REQUIRE(sorted.back() > 1'000'000'000);
  REQUIRE(exact_count_at_or_below(sorted, 2047) > 10'000);

  REQUIRE(h.count() == values.size());
  CHECK(h.max_ns() == sorted.back());

  for (const double q : {0.0, 0.5, 0.9, 0.99, 0.999, 1.0}) {
    const auto truth = static_cast<double>(sorted[nearest_rank(q, sorted.size()) - 1]);
    INFO("q = " << q << ", exact = " << truth << ", histogram = " << h.quantile_ns(q));
    CHECK(within_relative(h.quantile_ns(q), truth, 1e-3));
  }
  // The extremes are exact, not just close.
  CHECK(h.quantile_ns(0.0) == static_cast<double>(sorted.front()));
  CHECK(h.quantile_ns(1.0) == static_cast<double>(sorted.back()));
  // And so is every quantile that lands below 2048 ns.
  for (int k = 0; k <= 1000; ++k) {
    const double q = k / 1000.0;
    const int64_t truth = sorted[nearest_rank(q, sorted.size()) - 1];
    INFO("q = " << q << ", exact = " << truth << ", histogram = " << h.quantile_ns(q));
    CHECK(within_relative(h.quantile_ns(q), static_cast<double>(truth), 1e-3));
    if (truth < 2048) CHECK(h.quantile_ns(q) == static_cast<double>(truth));
  }
}

TEST_CASE("the mean is exact and counts at or below a threshold follow the documented bucket rule",
          "[report][histogram]") {
  const std::vector<int64_t> values = lognormal_sample_ns(1'000'000);
  LatencyHistogram h;
  uint64_t sum = 0;
  for (const int64_t v : values) {
    h.record(v);
    sum += static_cast<uint64_t>(v);
  }
  REQUIRE(sum < (uint64_t{1} << 53));  // so the exact integer mean is the reference
  const double exact_mean = static_cast<double>(sum) / static_cast<double>(values.size());
  CHECK(within_relative(h.mean_ns(), exact_mean, 1e-12));

  std::vector<int64_t> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  // Exact below 2048 ns, below the minimum and at or above the maximum.
  for (const int64_t ns : {int64_t{-1}, int64_t{0}, int64_t{1}, int64_t{37}, int64_t{1000}, int64_t{2047},
                           sorted.front() - 1, sorted.back(), std::numeric_limits<int64_t>::max()}) {
    INFO("ns = " << ns);
    CHECK(h.count_at_or_below(ns) == exact_count_at_or_below(sorted, ns));
  }
  // Above: at least the exact count, at most the exact count up to ns * (1 + 1/1024).
  for (const int64_t ns : {int64_t{2048}, int64_t{5001}, int64_t{123'457}, int64_t{10'000'000},
                           int64_t{987'654'321}, int64_t{5'000'000'000}}) {
    INFO("ns = " << ns);
    const uint64_t got = h.count_at_or_below(ns);
    CHECK(got >= exact_count_at_or_below(sorted, ns));
    CHECK(got <= exact_count_at_or_below(sorted, ns + ns / 1024));
  }
}

TEST_CASE("values below 2048 ns are recorded exactly", "[report][histogram]") {
  LatencyHistogram h;
  // Each value v in 0..2047 recorded (v % 3) + 1 times, in descending order.
  std::vector<int64_t> sorted;
  for (int64_t v = 2047; v >= 0; --v) {
    for (int64_t k = 0; k <= v % 3; ++k) h.record(v);
  }
  for (int64_t v = 0; v < 2048; ++v) sorted.insert(sorted.end(), static_cast<size_t>(v % 3 + 1), v);
  REQUIRE(h.count() == sorted.size());
  for (size_t rank = 1; rank <= sorted.size(); ++rank) {
    // The q whose nearest rank is exactly `rank`.
    const double q = (static_cast<double>(rank) - 0.5) / static_cast<double>(sorted.size());
    REQUIRE(h.quantile_ns(q) == static_cast<double>(sorted[rank - 1]));
  }
  for (int64_t ns = 0; ns < 2048; ++ns) REQUIRE(h.count_at_or_below(ns) == exact_count_at_or_below(sorted, ns));
}

TEST_CASE("zero, INT64_MAX and values at every power of two are recorded", "[report][histogram]") {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  LatencyHistogram h;
  h.record(0);
  h.record(kMax);
  CHECK(h.count() == 2);
  CHECK(h.max_ns() == kMax);
  CHECK(h.quantile_ns(0.0) == 0.0);
  CHECK(h.quantile_ns(0.5) == 0.0);
  CHECK(h.quantile_ns(1.0) == static_cast<double>(kMax));
  CHECK(h.count_at_or_below(0) == 1);
  CHECK(h.count_at_or_below(kMax - 1) == 2);  // shares INT64_MAX's bucket: counted by bucket
  CHECK(h.count_at_or_below(kMax) == 2);
  CHECK(h.mean_ns() == static_cast<double>(kMax) / 2.0);

  // A middle value between 0 and INT64_MAX is reported from its bucket, within 1/2048 of itself.
  for (int bits = 1; bits <= 62; ++bits) {
    for (const int64_t v : {(int64_t{1} << bits) - 1, int64_t{1} << bits, (int64_t{1} << bits) + 1,
                            (int64_t{1} << bits) + (int64_t{1} << (bits - 1)) + 12345 % (int64_t{1} << bits)}) {
      LatencyHistogram three;
      three.record(0);
      three.record(v);
      three.record(kMax);
      INFO("v = " << v);
      CHECK(std::abs(three.quantile_ns(0.5) - static_cast<double>(v)) <= static_cast<double>(v) / 2048.0);
      CHECK(three.count_at_or_below(v) == 2);
      if (v < 2048) CHECK(three.quantile_ns(0.5) == static_cast<double>(v));
    }
  }
}

TEST_CASE("negative input is clamped to zero and clear empties the histogram", "[report][histogram]") {
  LatencyHistogram h;
  CHECK(h.quantile_ns(0.5) == 0.0);
  CHECK(h.count_at_or_below(1'000'000) == 0);
  CHECK(h.mean_ns() == 0.0);

  h.record(-5);
  CHECK(h.count() == 1);
  CHECK(h.max_ns() == 0);
  CHECK(h.quantile_ns(0.99) == 0.0);
  CHECK(h.count_at_or_below(0) == 1);
  CHECK(h.count_at_or_below(-1) == 0);

  h.record(3'000'000);
  h.clear();
  CHECK(h.count() == 0);
  CHECK(h.max_ns() == 0);
  CHECK(h.mean_ns() == 0.0);
  CHECK(h.quantile_ns(1.0) == 0.0);
  CHECK(h.count_at_or_below(std::numeric_limits<int64_t>::max()) == 0);
  h.record(7);
  CHECK(h.quantile_ns(0.0) == 7.0);
  CHECK(h.quantile_ns(1.0) == 7.0);
  CHECK(h.max_ns() == 7);
}

}  // namespace
}  // namespace kubemind::report
