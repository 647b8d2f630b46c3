// SPDX-License-Identifier: MIT
// The reference architectures of scenarios/architectures/, each run from its shipped file: every test
// asserts the behaviour that makes the design worth simulating, against an independent figure where
// one exists (the balls-in-bins occupancy law, hand-worked timelines), and that `explain` has a
// finding for it.

#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "sim/scenario/load.h"
#include "sim/scenario/world.h"

using namespace kubemind;

namespace {

report::RunReport run(const std::string& file, uint64_t seed, std::vector<scenario::Override> overrides = {}) {
  scenario::LoadOptions options;
  options.seed = seed;
  options.overrides = std::move(overrides);
  return scenario::run_scenario(scenario::load_scenario_file(
      std::string(KUBEMIND_SOURCE_DIR) + "/scenarios/architectures/" + file, options));
}

bool has_finding(const report::RunReport& r, const std::string& words) {
  for (const auto& f : r.findings) {
    if (f.text.find(words) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

// 50 processes x 2 connections = C = 100 connections, each DNATed by kube-proxy's iptables rules to
// one of N = 40 pods uniformly at random: the pods holding at least one connection number
// N(1 - (1 - 1/N)^C) = 36.82 on average, with variance
// N(N-1)(1-2/N)^C + N(1-1/N)^C - N^2(1-1/N)^(2C) = 2.302 (occupancy of C balls in N bins).
TEST_CASE("kube-mind-loophole-at-scale: pods holding a connection follow the occupancy law") {
  const double n = 40, c = 100;
  const double mean = n * (1 - std::pow(1 - 1 / n, c));
  const double var = n * (n - 1) * std::pow(1 - 2 / n, c) + n * std::pow(1 - 1 / n, c) - n * n * std::pow(1 - 1 / n, 2 * c);
  const int seeds = 20;
  double sum = 0;
  for (int seed = 1; seed <= seeds; ++seed) {
    const report::RunReport r = run("kube-mind-loophole-at-scale.json", seed, {{"/duration_s", "2"}, {"/warmup_s", "0"}});
    int occupied = 0;
    for (const auto& p : r.pods) occupied += p.connections > 0 ? 1 : 0;
    sum += occupied;
  }
  const double got = sum / seeds;
  INFO("mean pods with a connection over " << seeds << " seeds: " << got << " (law " << mean << ", sd of the mean "
                                           << std::sqrt(var / seeds) << ")");
  CHECK(std::abs(mean - 36.82) < 0.01);
  CHECK(std::abs(got - mean) < 3 * std::sqrt(var / seeds));
}

// The HPA averages CPU over all pods, sees the fleet above its 60 % target and scales out; no existing
// connection moves, so the new pods serve nothing while the pods with 4+ connections stay overloaded.
TEST_CASE("kube-mind-loophole-at-scale: the HPA scales out onto pods that no connection reaches") {
#ifdef KUBEMIND_SANITIZED
  const std::vector<scenario::Override> shorter = {{"/duration_s", "60"}};
#else
  const std::vector<scenario::Override> shorter = {};
#endif
  const report::RunReport r = run("kube-mind-loophole-at-scale.json", 1, shorter);
  int new_pods = 0, new_pods_idle = 0, overloaded = 0;
  for (const auto& p : r.pods) {
    if (p.created_s > 0) {
      ++new_pods;
      new_pods_idle += p.ready_s && p.requests == 0 ? 1 : 0;
    }
    overloaded += p.max_queue_depth > 1000 ? 1 : 0;
  }
  INFO("new pods " << new_pods << " (idle " << new_pods_idle << "), overloaded pods " << overloaded << ", p99 "
                   << r.sli.latency_ms.p99 << " ms");
  CHECK(new_pods > 0);
  CHECK(new_pods_idle == new_pods);
  CHECK(overloaded > 0);
  CHECK(r.sli.latency_ms.p99 > 1000);
  CHECK(has_finding(r, "scaling added capacity that traffic did not use"));
}
