// SPDX-License-Identifier: MIT
#pragma once
// L(b), the time one emulated model instance takes to execute a batch of b, from a models/ profile:
// the same rule as kubemind's sim/serve/latency_curve.h so the testbed and the simulator wait the same
// time for the same batch. Knots' means (ms) made monotone from the right (m_i = min_{j>=i} mean_j);
// below the first knot the first knot's time; between knots linear in b; beyond the last knot the
// last knot plus max(slope, 0) * (b - b_last), slope from an ordinary least-squares line over the
// knots with b >= knee_batch (the last two if fewer than two qualify). Units: batch in requests, ms.
#include <string>
#include <vector>

namespace kubemind::validation {

struct Knot {
  int batch = 1;
  double mean_ms = 0.0;
};

class LatencyCurve {
 public:
  LatencyCurve(std::vector<Knot> knots, int knee_batch);
  /// Reads a models/*.json profile ("latency_ms": [{batch, mean}], "knee_batch"). Throws on error.
  static LatencyCurve from_profile_file(const std::string& path);
  double mean_ms(int batch) const;
  double slope_ms() const { return slope_ms_; }

 private:
  std::vector<int> batch_;
  std::vector<double> mean_ms_;
  double slope_ms_ = 0.0;
};

}  // namespace kubemind::validation
