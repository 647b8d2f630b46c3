// SPDX-License-Identifier: MIT
// The loophole's data-plane half, end to end from scenario files: L4 balancing of one multiplexed
// HTTP/2 connection pins every request to one pod, while per-request L7 balancing, a headless
// Service with gRPC round_robin, or a server max connection age spread the load. Nothing here is
// asserted into the model: pinning has to emerge from the channel, kube-proxy and conntrack.

#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <vector>

#include "sim/scenario/load.h"
#include "sim/scenario/world.h"

using namespace kubemind;

namespace {

report::RunReport run(const std::string& scenario, const std::vector<scenario::Override>& overrides = {},
                      std::optional<uint64_t> seed = {}) {
  scenario::LoadOptions options;
  options.overrides = overrides;
  options.seed = seed;
  return scenario::run_scenario(
      scenario::load_scenario_file(std::string(KUBEMIND_SOURCE_DIR) + "/scenarios/" + scenario, options));
}

size_t busiest_pod(const report::RunReport& r) {
  size_t best = 0;
  for (size_t i = 1; i < r.pods.size(); ++i) {
    if (r.pods[i].requests > r.pods[best].requests) best = i;
  }
  return best;
}

}  // namespace

TEST_CASE("one connection through a ClusterIP pins every request to one pod", "[properties][dataplane]") {
  const report::RunReport r = run("l4-pinning.json", {{"/duration_s", "20"}});
  CHECK(r.sli.imbalance.top_share == 1.0);
  CHECK(r.sli.imbalance.pods_serving == 1);
  const size_t pinned = busiest_pod(r);
  for (size_t i = 0; i < r.pods.size(); ++i) {
    INFO(r.pods[i].name);
    CHECK(r.pods[i].connections == (i == pinned ? 1u : 0u));
    if (i != pinned) CHECK(r.pods[i].utilization == 0.0);
  }
  // 1200/s offered to a pod that serves 1/2.13 ms = 469/s: it is saturated and its queue grows.
  CHECK(r.pods[pinned].utilization > 0.99);
  CHECK(r.sli.throughput_rps < 1.0 / 2.13e-3);
}

TEST_CASE("which pod the connection lands on is kube-proxy's uniform draw", "[properties][dataplane]") {
  // iptables' random rule picks each of the 4 pods with probability 1/4 per new connection; over 40
  // seeds the chance that one pod is never chosen is 4 (3/4)^40 = 4e-5, so all four must appear.
  std::set<size_t> pinned;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    const report::RunReport r = run("l4-pinning.json", {{"/duration_s", "1"}, {"/warmup_s", "0"}}, seed);
    REQUIRE(r.sli.imbalance.pods_serving == 1);
    pinned.insert(busiest_pod(r));
  }
  CHECK(pinned.size() == 4);
}

TEST_CASE("an L7 proxy choosing per request spreads the same load evenly", "[properties][dataplane]") {
  const report::RunReport r = run("l7-least-request.json", {{"/duration_s", "20"}});
  CHECK(r.sli.imbalance.pods_serving == 4);
  // Least request (P2C) over 4 equal pods: shares within a few percent of 1/4 over ~18,000 requests.
  CHECK(r.sli.imbalance.max_over_mean < 1.05);
  CHECK(r.sli.requests.failed == 0);
  // 1200/s on 4 pods at 2.13 ms: utilisation 1200 x 2.13e-3 / 4 = 0.639 each.
  for (const auto& pod : r.pods) {
    CHECK(pod.utilization == Approx(0.639).margin(0.03));
    CHECK(pod.connections == 2);  // one from each of the proxy's 2 workers' pools, none from the client
  }
  CHECK(r.sli.latency_ms.p99 < 20.0);
}

TEST_CASE("a headless Service with gRPC round_robin spreads calls over every pod", "[properties][dataplane]") {
  const report::RunReport r = run("l4-pinning.json", {{"/duration_s", "20"},
                                                       {"/services/0/clusterIP", "None"},
                                                       {"/clients/0/channel/lb_policy", "round_robin"}});
  CHECK(r.sli.imbalance.pods_serving == 4);
  // round_robin rotates calls over one connection per pod: shares differ by at most one call.
  CHECK(r.sli.imbalance.max_over_mean < 1.001);
  for (const auto& pod : r.pods) CHECK(pod.connections == 1);
}

TEST_CASE("a server max connection age re-rolls the L4 choice", "[properties][dataplane]") {
  // gRFC A9: every ~5 s (+/-10%) the server sends GOAWAY; the client's next connection is a new
  // kube-proxy draw, so over 60 s the one connection visits several pods.
  const report::RunReport r = run("l4-pinning.json", {{"/clients/0/arrival/rate_rps", "300"},
                                                       {"/deployments/0/server/grpc",
                                                        R"({"max_connection_age_s": 5, "max_connection_age_grace_s": 30})"}});
  CHECK(r.sli.imbalance.pods_serving >= 3);
  CHECK(r.sli.requests.failed == 0);
  // At any instant, though, one connection serves everything: the load is still not spread.
  CHECK(r.sli.imbalance.max_over_mean > 1.1);
}

TEST_CASE("a proxy chain reaches every pod and costs one more proxy's CPU and hop", "[properties][dataplane]") {
  const report::RunReport single = run("l7-least-request.json", {{"/duration_s", "20"}});
  const report::RunReport chain = run("l7-least-request.json",
                                      {{"/duration_s", "20"},
                                       {"/proxies/-", R"({"name": "ingress", "upstream_proxy": "envoy"})"},
                                       {"/clients/0/target", "proxy/ingress"}});
  CHECK(chain.sli.imbalance.pods_serving == 4);
  CHECK(chain.sli.requests.failed == 0);
  // The ingress adds its worker CPU (0.35 ms) and one upstream hop each way (2 x 0.25 ms) = 0.85 ms.
  CHECK(chain.sli.latency_ms.p50 - single.sli.latency_ms.p50 == Approx(0.85).margin(0.1));
}

TEST_CASE("a queue-aware picker balances on fresh metrics and herds on stale ones", "[properties][dataplane]") {
  // 1700/s on 4 pods at 2.13 ms: 90% busy. The picker sends each request to the pod whose scraped
  // queue is shortest; between scrapes every pick sees the same numbers, so the staler the view,
  // the more requests pile onto one pod (Gateway API Inference Extension, RefreshMetricsInterval).
  const auto picker = [](const std::string& refresh_ms) {
    return run("l7-least-request.json", {{"/duration_s", "30"},
                                         {"/clients/0/arrival/rate_rps", "1700"},
                                         {"/proxies/0/lb_policy", "ENDPOINT_PICKER"},
                                         {"/proxies/0/metrics_refresh_ms", refresh_ms}});
  };
  const report::RunReport fresh = picker("50");
  const report::RunReport stale = picker("2000");
  CHECK(fresh.sli.imbalance.max_over_mean < 1.05);
  CHECK(stale.sli.imbalance.max_over_mean > 1.2);
  CHECK(stale.sli.latency_ms.p99 > 10 * fresh.sli.latency_ms.p99);
}

TEST_CASE("replicated proxies sit behind their own ClusterIP, so a client pins to one proxy pod", "[properties][dataplane]") {
  // Three Envoy pods behind a ClusterIP: the client's one connection lands on one of them, but that
  // proxy still balances per request, so all four model pods serve.
  const report::RunReport r = run("l7-least-request.json", {{"/duration_s", "20"}, {"/proxies/0/replicas", "3"}});
  CHECK(r.sli.imbalance.pods_serving == 4);
  CHECK(r.sli.imbalance.max_over_mean < 1.05);
  // Only the proxy pod the client landed on has upstream connections: 2 workers -> 2 per model pod.
  for (const auto& pod : r.pods) CHECK(pod.connections == 2);
}

TEST_CASE("ring hash keeps each key on one pod and spreads the key space", "[properties][dataplane]") {
  const report::RunReport r = run("l7-least-request.json", {{"/duration_s", "20"},
                                                            {"/proxies/0/lb_policy", "RING_HASH"},
                                                            {"/clients/0/key_space", "1000"}});
  CHECK(r.sli.imbalance.pods_serving == 4);
  // 1000 keys on a 1024-entry ring over 4 hosts: each host's share is its arc of the ring, which
  // varies (Envoy's ring hash is consistent, not even); no pod carries more than half.
  CHECK(r.sli.imbalance.top_share < 0.5);
  const report::RunReport one_key = run("l7-least-request.json", {{"/duration_s", "20"}, {"/proxies/0/lb_policy", "RING_HASH"}});
  CHECK(one_key.sli.imbalance.pods_serving == 1);  // without keys every call hashes alike
}
