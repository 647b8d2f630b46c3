// SPDX-License-Identifier: MIT
#include "sim/balance/random_policy.h"

#include <catch2/catch.hpp>
#include <vector>

using namespace kubemind;

TEST_CASE("random picks each of four hosts a quarter of the time and ignores weights", "[balance]") {
  engine::RngStream rng(3, "proxy", "lb");
  balance::RandomPolicy random;
  const std::vector<balance::HostView> hosts{{0, 1, 0}, {1, 5, 0}, {2, 1, 9}, {3, 1, 0}};
  random.on_host_set_changed(hosts);
  std::vector<int> counts(4, 0);
  const int n = 100000;
  for (int i = 0; i < n; ++i) ++counts[*random.choose(hosts, {}, rng.engine())];
  // Binomial(1e5, 1/4): sd = 137 picks; 1 percentage point is 7 sd.
  for (int c : counts) CHECK(c / double(n) == Approx(0.25).margin(0.01));
  CHECK_FALSE(random.choose({}, {}, rng.engine()).has_value());
}
