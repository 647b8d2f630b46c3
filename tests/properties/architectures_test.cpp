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

// REST -> ingress-nginx -> Envoy (transcoding) -> gRPC pods. Envoy's two pods serve 2 x 1 worker /
// 0.9 ms = 2222.2 requests/s; the spike sends 2400 for 20 s, so Envoy's worker queues grow by
// (2400 - 2222.2) x 20 = 3556 requests in all, 1778 per pod, while the GPUs (3 x ~950/s) keep up. The
// HTTP/1.1 hop from ingress-nginx opens a connection per request in flight; Envoy's HTTP/2 pools hold
// one connection per worker per pod.
TEST_CASE("ingress-envoy-grpc: under the spike the queue builds in Envoy's workers, not at the GPUs") {
  const report::RunReport r = run("ingress-envoy-grpc.json", 1);
  REQUIRE(r.proxies.size() == 3);
  const double expected_peak = (2400.0 - 2.0 / 0.9e-3) * 20.0 / 2.0;
  double pods_max_queue = 0;
  for (const auto& p : r.pods) pods_max_queue = std::max(pods_max_queue, p.max_queue_depth);
  for (const auto& x : r.proxies) {
    INFO(x.name << ": max worker queue " << x.max_worker_queue << " (fluid estimate " << expected_peak << "), hop "
                << x.hop_ms << " ms, upstream connections " << x.upstream_connections_opened);
    if (x.name.rfind("envoy", 0) == 0) {
      CHECK(std::abs(x.max_worker_queue - expected_peak) < 0.1 * expected_peak);
      CHECK(x.upstream_connections_opened <= 3);  // 1 worker x 3 pods, HTTP/2
    } else {
      CHECK(x.max_worker_queue < 50);
      CHECK(x.hop_ms == Approx(0.2 + 2 * 0.25).margin(0.05));  // CPU + round trip, little wait
      CHECK(x.upstream_connections_opened > 1000);             // HTTP/1.1: one per request in flight
    }
  }
  INFO("pods' max queue " << pods_max_queue);
  CHECK(pods_max_queue < 50);
  CHECK(has_finding(r, "Requests queued for a worker of proxy envoy-0"));
  CHECK_FALSE(has_finding(r, "worker of proxy ingress-nginx"));
}
