// SPDX-License-Identifier: MIT
#include "sim/serve/latency_curve.h"

#include <Eigen/Dense>
#include <algorithm>

#include "sim/engine/check.h"

namespace kubemind::serve {

AffineFit fit_affine(const std::vector<double>& batch, const std::vector<double>& time_ms) {
  SIM_ASSERT(!batch.empty() && batch.size() == time_ms.size(), "fit needs matching, non-empty points");
  const auto n = static_cast<Eigen::Index>(batch.size());
  AffineFit fit;
  fit.knots = static_cast<int>(n);
  fit.from_batch = static_cast<int>(*std::min_element(batch.begin(), batch.end()));
  Eigen::VectorXd y(n);
  for (Eigen::Index i = 0; i < n; ++i) y(i) = time_ms[static_cast<size_t>(i)];
  if (n == 1) {
    fit.intercept_ms = y(0);
    return fit;
  }
  Eigen::MatrixXd x(n, 2);
  for (Eigen::Index i = 0; i < n; ++i) {
    x(i, 0) = 1.0;
    x(i, 1) = batch[static_cast<size_t>(i)];
  }
  const Eigen::Vector2d c = x.colPivHouseholderQr().solve(y);
  fit.intercept_ms = c(0);
  fit.slope_ms = c(1);
  const double mean = y.mean();
  const double total = (y.array() - mean).square().sum();
  const double residual = (y - x * c).squaredNorm();
  fit.r_squared = total > 0 ? 1.0 - residual / total : 1.0;
  return fit;
}

LatencyCurve::LatencyCurve(const std::vector<LatencyKnot>& knots, int knee_batch) {
  SIM_ASSERT(!knots.empty(), "a latency curve needs at least one knot");
  batch_.reserve(knots.size());
  mean_ms_.reserve(knots.size());
  for (const LatencyKnot& k : knots) {
    SIM_ASSERT(k.batch >= 1 && k.mean_ms > 0, "knot batch >= 1 and mean > 0");
    SIM_ASSERT(batch_.empty() || k.batch > batch_.back(), "knot batches strictly increasing");
    batch_.push_back(k.batch);
    mean_ms_.push_back(k.mean_ms);
  }
  // Monotone envelope, from the right.
  for (size_t i = mean_ms_.size() - 1; i-- > 0;) {
    if (mean_ms_[i] > mean_ms_[i + 1]) {
      mean_ms_[i] = mean_ms_[i + 1];
      ++adjusted_knots_;
    }
  }
  // Fit the measured knots (not the envelope) at and above the knee; at least the last two.
  std::vector<double> b, t;
  for (const LatencyKnot& k : knots) {
    if (k.batch >= knee_batch) {
      b.push_back(k.batch);
      t.push_back(k.mean_ms);
    }
  }
  if (b.size() < 2) {
    b.clear();
    t.clear();
    for (size_t i = knots.size() >= 2 ? knots.size() - 2 : 0; i < knots.size(); ++i) {
      b.push_back(knots[i].batch);
      t.push_back(knots[i].mean_ms);
    }
  }
  fit_ = fit_affine(b, t);
}

double LatencyCurve::mean_ms(int batch) const {
  SIM_ASSERT(!empty() && batch >= 1, "L(b) needs knots and b >= 1");
  if (batch <= batch_.front()) return mean_ms_.front();
  if (batch >= batch_.back()) {
    return mean_ms_.back() + std::max(fit_.slope_ms, 0.0) * static_cast<double>(batch - batch_.back());
  }
  // First knot with batch >= b; b lies in (batch_[i-1], batch_[i]].
  const size_t i = static_cast<size_t>(std::lower_bound(batch_.begin(), batch_.end(), batch) - batch_.begin());
  if (batch_[i] == batch) return mean_ms_[i];
  const double f = static_cast<double>(batch - batch_[i - 1]) / static_cast<double>(batch_[i] - batch_[i - 1]);
  return mean_ms_[i - 1] + f * (mean_ms_[i] - mean_ms_[i - 1]);
}

int LatencyCurve::best_batch(int max_batch) const {
  SIM_ASSERT(max_batch >= 1, "max_batch >= 1");
  int best = 1;
  double best_rate = 1.0 / mean_ms(1);
  for (int b = 2; b <= max_batch; ++b) {
    const double rate = b / mean_ms(b);
    if (rate > best_rate) {
      best = b;
      best_rate = rate;
    }
  }
  return best;
}

}  // namespace kubemind::serve
