// SPDX-License-Identifier: MIT
// LatencyCurve: exact at knots, linear between them, monotone, and the least-squares line above the
// knee, each against hand-worked values.

#include "sim/serve/latency_curve.h"

#include <catch2/catch.hpp>
#include <vector>

using kubemind::serve::fit_affine;
using kubemind::serve::LatencyCurve;
using kubemind::serve::LatencyKnot;

namespace {

// A small table: flat-ish below the knee (b = 2), affine above it.
const std::vector<LatencyKnot> kSmall{{1, 2.0, 0.0}, {2, 3.0, 0.0}, {4, 4.0, 0.0}, {8, 8.0, 0.0}};

}  // namespace

TEST_CASE("the least-squares line over the knots at and above the knee matches a hand-computed fit", "[serve]") {
  const LatencyCurve curve(kSmall, /*knee_batch=*/2);
  // Points (2,3), (4,4), (8,8): mean b = 14/3, mean t = 5, Sxx = 168/9, Sxy = 16,
  // slope = 16 / (168/9) = 6/7, intercept = 5 - (6/7)(14/3) = 1; residuals 2/7, -3/7, 1/7,
  // SSR = 14/49 = 2/7, SST = 4 + 1 + 9 = 14, R^2 = 1 - (2/7)/14 = 48/49.
  CHECK(curve.fit().slope_ms == Approx(6.0 / 7.0).epsilon(1e-12));
  CHECK(curve.fit().intercept_ms == Approx(1.0).epsilon(1e-12));
  CHECK(curve.fit().r_squared == Approx(48.0 / 49.0).epsilon(1e-12));
  CHECK(curve.fit().knots == 3);
  CHECK(curve.fit().from_batch == 2);
  // With every knot (knee 1): points (1,2),(2,3),(4,4),(8,8): mean b = 15/4, mean t = 17/4,
  // Sxx = 7.5625+3.0625+0.0625+18.0625 = 28.75, Sxy = (-2.75)(-2.25)+(-1.75)(-1.25)+(0.25)(-0.25)+(4.25)(3.75)
  // = 6.1875+2.1875-0.0625+15.9375 = 24.25; slope = 24.25/28.75 = 97/115.
  const LatencyCurve all(kSmall, 1);
  CHECK(all.fit().slope_ms == Approx(97.0 / 115.0).epsilon(1e-12));
  CHECK(all.fit().intercept_ms == Approx(17.0 / 4 - 97.0 / 115 * 15.0 / 4).epsilon(1e-12));
}

TEST_CASE("the curve is exact at knots, linear between them and extends with the fitted slope", "[serve]") {
  const LatencyCurve curve(kSmall, 2);
  CHECK(curve.adjusted_knots() == 0);
  for (const auto& k : kSmall) CHECK(curve.mean_ms(k.batch) == k.mean_ms);
  CHECK(curve.mean_ms(3) == 3.5);  // halfway from (2,3) to (4,4)
  CHECK(curve.mean_ms(6) == 6.0);  // halfway from (4,4) to (8,8)
  CHECK(curve.mean_ms(7) == 7.0);
  // Beyond the last knot: L(8) + (6/7)(b - 8), continuous at b = 8.
  CHECK(curve.mean_ms(15) == Approx(14.0).epsilon(1e-12));
  CHECK(curve.mean_ms(9) == Approx(8.0 + 6.0 / 7.0).epsilon(1e-12));
  CHECK(curve.duration(3).ns == 3'500'000);
  for (int b = 1; b < 40; ++b) CHECK(curve.mean_ms(b + 1) >= curve.mean_ms(b));
}

TEST_CASE("a dip in a measured table is lowered to the monotone envelope", "[serve]") {
  // Vidur's Llama-2-7B A100 rows: 1 token 9.28 ms, 2 tokens 8.96 ms, 4 tokens 9.02 ms.
  const LatencyCurve curve({{1, 9.28, 0}, {2, 8.96, 0}, {4, 9.02, 0}}, 1);
  CHECK(curve.adjusted_knots() == 1);
  CHECK(curve.mean_ms(1) == 8.96);  // padded up to a batch of 2
  CHECK(curve.mean_ms(2) == 8.96);
  CHECK(curve.mean_ms(4) == 9.02);
  CHECK(curve.mean_ms(3) == Approx(8.99).epsilon(1e-12));
}

TEST_CASE("a single knot is a flat curve and fit_affine reproduces an exact line", "[serve]") {
  const LatencyCurve flat({{1, 5.0, 0}}, 1);
  CHECK(flat.mean_ms(1) == 5.0);
  CHECK(flat.mean_ms(64) == 5.0);
  CHECK(flat.fit().slope_ms == 0.0);
  CHECK(flat.fit().r_squared == 1.0);
  const auto line = fit_affine({1, 2, 3, 10}, {1.5, 2.0, 2.5, 6.0});  // t = 1 + b / 2
  CHECK(line.intercept_ms == Approx(1.0).epsilon(1e-12));
  CHECK(line.slope_ms == Approx(0.5).epsilon(1e-12));
  CHECK(line.r_squared == Approx(1.0).epsilon(1e-12));
}

TEST_CASE("the saturated throughput is the best b / L(b) of the ResNet-50 A100 table", "[serve]") {
  // NVIDIA/DeepLearningExamples triton/resnet50 README, A100-80GB avg (reference/dataplane.md 6.4(e)).
  const LatencyCurve curve({{1, 2.13, 0},
                            {2, 2.19, 0},
                            {4, 2.76, 0},
                            {8, 3.90, 0},
                            {16, 5.79, 0},
                            {32, 11.19, 0},
                            {64, 25.24, 0},
                            {128, 48.09, 0}},
                           16);
  // By hand: b / L(b) at the knots: 16 -> 2.763, 32 -> 2.860, 64 -> 2.536, 128 -> 2.662 per ms. Between
  // 16 and 32, L = 5.79 + 0.3375 (b - 16) and b / L rises to b = 32 (31 -> 2.8565); above 32 it falls
  // (33 -> 33 / 11.629 = 2.838) until the 64..128 segment, whose best is 128 -> 2.662.
  CHECK(curve.best_batch(128) == 32);
  CHECK(curve.max_throughput_per_s(128) == Approx(32 / 11.19e-3).epsilon(1e-12));
  CHECK(curve.best_batch(8) == 8);
  CHECK(curve.best_batch(1) == 1);
}
