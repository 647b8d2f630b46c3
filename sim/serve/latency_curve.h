// SPDX-License-Identifier: MIT
#pragma once
// The time one model instance takes to execute a batch of b, L(b), from a profile's measured knots.
// - Between knots: linear in b. Below the first knot: the first knot's time.
// - Exact at the knots when their means do not decrease with b (every request-batched table shipped).
//   Where a table dips (measurement noise, e.g. Vidur's Llama-2-7B rows 1 -> 2 tokens), the curve uses
//   the monotone envelope m_i = min over j >= i of mean_j: a batch can always be padded up to a larger
//   measured size, so it never takes longer than that. adjusted_knots() counts the knots lowered.
// - Beyond the last knot: the slope of an ordinary least-squares line t = intercept + slope * b over the
//   knots with b >= knee (the affine, compute-bound part of the roofline, reference/dataplane.md 6.4),
//   anchored at the last knot so the curve stays continuous and non-decreasing:
//   L(b) = L(b_last) + max(slope, 0) * (b - b_last). The fit (intercept, slope, R^2, knots used) is
//   reported by fit(). If fewer than two knots lie at or above the knee, the last two knots are fitted;
//   a single-knot table gives a flat line (slope 0, R^2 1).
// Units: batch in requests (or tokens for LLM profiles), times in ms. Invariant: L is non-decreasing.

#include <vector>

#include "sim/engine/time.h"
#include "sim/serve/model_profile.h"

namespace kubemind::serve {

struct AffineFit {
  double intercept_ms = 0.0;
  double slope_ms = 0.0;   // ms per unit of batch
  double r_squared = 1.0;  // 1 when the fitted times are all equal (nothing left to explain)
  int knots = 0;           // knots used
  int from_batch = 0;      // smallest batch among them
};

class LatencyCurve {
 public:
  /// An empty curve (no knots).
  LatencyCurve() = default;
  /// `knots`: batch >= 1 strictly increasing, mean_ms > 0, at least one. p99 is not used.
  explicit LatencyCurve(const std::vector<LatencyKnot>& knots, int knee_batch = 1);
  static LatencyCurve from_profile(const ModelProfile& profile) {
    return LatencyCurve(profile.latency_ms, profile.knee_batch);
  }

  bool empty() const { return batch_.empty(); }
  /// L(b) in ms, b >= 1.
  double mean_ms(int batch) const;
  engine::Duration duration(int batch) const { return engine::Duration::from_milliseconds(mean_ms(batch)); }
  const AffineFit& fit() const { return fit_; }
  int first_batch() const { return batch_.front(); }
  int last_batch() const { return batch_.back(); }
  int adjusted_knots() const { return adjusted_knots_; }
  /// The batch size b in [1, max_batch] maximising b / L(b) (smallest such b on a tie).
  int best_batch(int max_batch) const;
  /// One instance's saturated throughput with batches of up to max_batch: max_b b / L(b), per second.
  double max_throughput_per_s(int max_batch) const {
    const int b = best_batch(max_batch);
    return b / (mean_ms(b) * 1e-3);
  }

 private:
  std::vector<int> batch_;
  std::vector<double> mean_ms_;  // monotone envelope of the knots' means
  AffineFit fit_;
  int adjusted_knots_ = 0;
};

/// Ordinary least squares t = intercept + slope * b over the given points (at least one), via Eigen.
AffineFit fit_affine(const std::vector<double>& batch, const std::vector<double>& time_ms);

}  // namespace kubemind::serve
