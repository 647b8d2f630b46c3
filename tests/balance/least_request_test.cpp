// SPDX-License-Identifier: MIT
#include "sim/balance/least_request.h"

#include <catch2/catch.hpp>
#include <vector>

using namespace kubemind;
using balance::HostView;

namespace {

std::vector<double> shares(balance::LeastRequestPolicy& lr, const std::vector<HostView>& hosts, int picks,
                           engine::RngStream& rng) {
  lr.on_host_set_changed(hosts);
  std::vector<double> counts(hosts.size(), 0.0);
  for (int i = 0; i < picks; ++i) counts[*lr.choose(hosts, {}, rng.engine())] += 1.0;
  for (double& c : counts) c /= picks;
  return counts;
}

}  // namespace

TEST_CASE("least request P2C picks the one busy host of three with probability 1/9", "[balance]") {
  // Envoy test/extensions/load_balancing_policies/least_request/least_request_lb_simulation_test.cc
  // expects 44.45 / 44.45 / 11.1 % for three hosts, one busier: with two draws with replacement the
  // busy host wins only if both draws hit it (1/3)^2; the idle two share the rest equally.
  engine::RngStream rng(7, "proxy", "lb");
  balance::LeastRequestPolicy lr(balance::LeastRequestConfig{});
  const auto s = shares(lr, {{0, 1, 0}, {1, 1, 0}, {2, 1, 1}}, 100000, rng);
  CHECK(s[2] == Approx(1.0 / 9).margin(0.01));
  CHECK(s[0] == Approx(4.0 / 9).margin(0.01));
  CHECK(s[1] == Approx(4.0 / 9).margin(0.01));
}

TEST_CASE("least request P2C picks the one busy host of four with probability 1/16", "[balance]") {
  engine::RngStream rng(8, "proxy", "lb");
  balance::LeastRequestPolicy lr(balance::LeastRequestConfig{});
  const auto s = shares(lr, {{0, 1, 2}, {1, 1, 2}, {2, 1, 5}, {3, 1, 2}}, 100000, rng);
  CHECK(s[2] == Approx(1.0 / 16).margin(0.01));
}

TEST_CASE("least request with three choices picks the busy host of three with probability 1/27", "[balance]") {
  engine::RngStream rng(9, "proxy", "lb");
  balance::LeastRequestPolicy lr(balance::LeastRequestConfig{3, 1.0});
  const auto s = shares(lr, {{0, 1, 0}, {1, 1, 0}, {2, 1, 4}}, 100000, rng);
  CHECK(s[2] == Approx(1.0 / 27).margin(0.01));
}

TEST_CASE("weighted least request schedules by weight over active requests plus one", "[balance]") {
  engine::RngStream rng(10, "proxy", "lb");
  balance::LeastRequestPolicy lr(balance::LeastRequestConfig{});
  // Idle hosts: effective weights 2/1 and 1/1, a 2:1 split (EDF: within one pick of 2000 of 3000).
  auto idle = shares(lr, {{0, 2, 0}, {1, 1, 0}}, 3000, rng);
  CHECK(idle[0] * 3000 == Approx(2000).margin(1));
  // Host 0 has 3 active: 2/(3+1) = 0.5 against 1/(0+1) = 1, a 1:2 split.
  auto busy = shares(lr, {{0, 2, 3}, {1, 1, 0}}, 3000, rng);
  CHECK(busy[0] * 3000 == Approx(1000).margin(1));
  // Bias 0 ignores load: plain weighted round robin, 2:1 again.
  balance::LeastRequestPolicy wrr(balance::LeastRequestConfig{2, 0.0});
  auto plain = shares(wrr, {{0, 2, 3}, {1, 1, 0}}, 3000, rng);
  CHECK(plain[0] * 3000 == Approx(2000).margin(1));
  CHECK(balance::LeastRequestPolicy::effective_weight({0, 4, 3}, 2.0) == Approx(4.0 / 16));
}
