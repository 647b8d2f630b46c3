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

// KUBE-MIND with zone-b failing at t = 600 s. Hand-worked timeline: the node lifecycle controller
// passes every 5 s from t = 0 and marks a node NotReady at the first pass strictly after the last
// heartbeat + 50 s (node-monitor-grace-period, v1.32): 655 s; pods are evicted 300 s after the
// unreachable:NoExecute taint (the first node of a zone at once, then one per 10 s): from 955 s. A
// gateway whose one HTTP/2 connection sits on a zone-b pod gets no answer and no RST, so every call it
// sends from 600 s on times out at its 2 s deadline: timeouts = (connections on zone-b CV pods) x
// 7.5 calls/s x (1200 - 600 - 2) s, up to Poisson noise and the Envoy-fronted services' few.
TEST_CASE("kube-mind: a zone failure times out the gateways pinned to it until the end, Envoy's traffic moves") {
  const report::RunReport r = run("kube-mind.json", 1);
  const auto& failures = r.cluster.node_failures;
  REQUIRE(!failures.empty());
  std::vector<std::string> dead_nodes;
  for (const auto& f : failures) {
    CHECK(f.zone == "zone-b");
    CHECK(f.failed_s == 600.0);
    REQUIRE(f.not_ready_s);
    CHECK(*f.not_ready_s == 655.0);
    dead_nodes.push_back(f.node);
  }
  uint64_t pinned = 0;  // gateway connections held by CV pods on zone-b nodes
  int replacements = 0;
  double first_replacement_s = 1e9;
  for (const auto& p : r.pods) {
    const bool dead = std::find(dead_nodes.begin(), dead_nodes.end(), p.node) != dead_nodes.end();
    if (dead && p.name.rfind("cv", 0) == 0) pinned += p.connections;
    if (p.created_s > 600) {
      ++replacements;
      first_replacement_s = std::min(first_replacement_s, p.created_s);
    }
  }
  const double expected = static_cast<double>(pinned) * 7.5 * (1200 - 600 - 2);
  const auto it = r.sli.requests.failed_by_reason.find("timeout");
  const double timeouts = it == r.sli.requests.failed_by_reason.end() ? 0.0 : static_cast<double>(it->second);
  INFO("gateway connections on zone-b CV pods " << pinned << ", timeouts " << timeouts << " (expected from them "
                                                << expected << "), replacements " << replacements);
  CHECK(pinned > 0);
  CHECK(timeouts >= expected - 4 * std::sqrt(expected));
  CHECK(timeouts <= expected + 4 * std::sqrt(expected) + 2000);  // + the Envoy-fronted services' first seconds
  CHECK(replacements == static_cast<int>(r.cluster.pods_evicted_unreachable));
  CHECK(first_replacement_s == 955.0);
  // Envoy moved the embeddings traffic: in the last minute the embeddings pods answer the offered 300/s.
  const report::TimeSeries& ts = r.timeseries;
  double embeddings_rps = 0;
  int rows = 0;
  for (size_t i = 0; i < ts.time_s.size(); ++i) {
    if (ts.time_s[i] <= 1140) continue;
    ++rows;
    for (size_t p = 0; p < ts.pod_names.size(); ++p) {
      if (ts.pod_names[p].rfind("embeddings", 0) == 0) embeddings_rps += ts.pod_rps[p][i];
    }
  }
  REQUIRE(rows > 0);
  embeddings_rps /= rows;
  INFO("embeddings answered " << embeddings_rps << " /s in the last minute");
  CHECK(std::abs(embeddings_rps - 300) < 15);
  CHECK(has_finding(r, "nodes failed (zone zone-b; first at 600 s)"));
}

namespace {
const report::ClientReport* client(const report::RunReport& r, const std::string& name) {
  for (const auto& c : r.clients) {
    if (c.name == name) return &c;
  }
  return nullptr;
}
}  // namespace

// KAI platform. The on-demand T4 pool starts full (2 interactive QA pods + 2 preemptible embedding
// pods on its 4 nodes). When the burst makes the HPA add QA pods (priority 100000), the scheduler
// preempts the priority-0 pods at once: each of the first new QA pods lands on the node its victim
// leaves and is Ready in seconds, while the later ones wait for the Cluster Autoscaler's nodes
// (provision_delay_s 240). The quality tier holds the interactive SLO during the burst: the same run
// with a threshold that is never crossed misses it.
TEST_CASE("kai-platform: preemption places interactive pods at once and the quality tier holds the SLO") {
  const report::RunReport r = run("kai-platform.json", 1);
  CHECK(r.cluster.preemptions >= 1);
  CHECK(r.cluster.spot_interruptions == 1);
  int preempted = 0, placed_on_victims = 0;
  for (const auto& victim : r.pods) {
    if (victim.deployment != "batch-embeddings" || victim.created_s > 0 || !victim.gone_s) continue;
    ++preempted;
    for (const auto& p : r.pods) {
      if (p.deployment == "qa-interactive" && p.node == victim.node && p.created_s == *victim.gone_s && p.ready_s) {
        ++placed_on_victims;
        CHECK(*p.ready_s - p.created_s < 30.0);  // no node provisioning (240 s) on the way
      }
    }
  }
  INFO("preemptions " << r.cluster.preemptions << ", initial embedding pods gone " << preempted
                      << ", QA pods placed on their nodes " << placed_on_victims);
  CHECK(preempted == static_cast<int>(r.cluster.preemptions));
  CHECK(placed_on_victims == preempted);
  for (const auto& p : r.pods) {  // no interactive pod was ever a victim
    if (p.deployment == "qa-interactive") CHECK_FALSE(p.gone_s);
  }
  uint64_t degraded = 0;
  for (const auto& p : r.pods) {
    if (p.deployment != "qa-interactive") CHECK(p.degraded_requests == 0);
    degraded += p.degraded_requests;
  }
  const report::ClientReport* qa = client(r, "qa");
  REQUIRE(qa != nullptr);
  REQUIRE(qa->slo_attainment);
  const report::RunReport no_tier =
      run("kai-platform.json", 1, {{"/deployments/0/server/degraded/queue_depth_above", "100000"}});
  const report::ClientReport* qa_no_tier = client(no_tier, "qa");
  REQUIRE(qa_no_tier != nullptr);
  INFO("degraded answers " << degraded << "; QA p99 " << qa->latency_ms.p99 << " ms with the tier, "
                           << qa_no_tier->latency_ms.p99 << " ms without");
  CHECK(degraded > 0);
  CHECK(qa->latency_ms.p99 <= 500.0);
  CHECK(qa_no_tier->latency_ms.p99 > 2 * 500.0);
  CHECK(has_finding(r, "answered by the cheaper quality tier"));
  CHECK(has_finding(r, "The scheduler preempted"));
  // behavior.scaleDown.stabilizationWindowSeconds 300: no scale-down before 300 s after the burst.
  for (const auto& e : r.autoscaling.events) {
    if (e.to_replicas < e.from_replicas) CHECK(e.time_s >= 360.0 + 300.0);
  }
}
