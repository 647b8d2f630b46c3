// SPDX-License-Identifier: MIT
// Prints L(b) for b = 1..N from a models/ profile: `kmval_curve_check PROFILE N`. validation/test.sh
// checks the knots against the profile's own numbers (exact at the knots of a monotone table).
#include <cstdio>
#include <cstdlib>

#include "backend/latency_curve.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: kmval_curve_check PROFILE MAX_BATCH\n");
    return 2;
  }
  const auto curve = kubemind::validation::latency_curve_from_profile_file(argv[1]);
  const int n = std::atoi(argv[2]);
  for (int b = 1; b <= n; ++b) std::printf("%d %.6f\n", b, curve.mean_ms(b));
  return 0;
}
