// SPDX-License-Identifier: MIT
#include "sim/balance/round_robin.h"

#include <catch2/catch.hpp>
#include <vector>

using namespace kubemind;
using balance::HostView;

TEST_CASE("round robin with equal weights picks every host once per rotation", "[balance]") {
  engine::RngStream rng(1, "proxy", "lb");
  balance::RoundRobinPolicy rr(rng.engine());
  const std::vector<HostView> hosts{{0, 1, 0}, {1, 1, 0}, {2, 1, 0}, {3, 1, 0}, {4, 1, 0}};
  rr.on_host_set_changed(hosts);
  std::vector<int> counts(hosts.size(), 0);
  std::vector<size_t> order;
  for (int i = 0; i < 1000; ++i) {
    const size_t pick = *rr.choose(hosts, {}, rng.engine());
    ++counts[pick];
    order.push_back(pick);
  }
  // 1000 picks over 5 hosts: exactly 200 each, and pick i+1 follows pick i cyclically.
  for (int c : counts) CHECK(c == 200);
  for (size_t i = 1; i < order.size(); ++i) CHECK(order[i] == (order[i - 1] + 1) % hosts.size());
}

TEST_CASE("round robin with weights 3 and 1 picks in a 3 to 1 ratio", "[balance]") {
  engine::RngStream rng(1, "proxy", "lb");
  balance::RoundRobinPolicy rr(rng.engine());
  const std::vector<HostView> hosts{{0, 3, 0}, {1, 1, 0}};
  rr.on_host_set_changed(hosts);
  int first = 0;
  for (int i = 0; i < 4000; ++i) first += *rr.choose(hosts, {}, rng.engine()) == 0 ? 1 : 0;
  // EDF keeps each host within one pick of its weight share: 3000 of 4000.
  CHECK(first >= 2999);
  CHECK(first <= 3001);
}

TEST_CASE("round robin has no host to pick from an empty set", "[balance]") {
  engine::RngStream rng(1, "proxy", "lb");
  balance::RoundRobinPolicy rr(rng.engine());
  rr.on_host_set_changed({});
  CHECK_FALSE(rr.choose({}, {}, rng.engine()).has_value());
}
