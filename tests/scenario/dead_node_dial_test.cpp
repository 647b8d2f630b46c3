// SPDX-License-Identifier: MIT
// A failed node seen from a gRPC client behind a ClusterIP, end to end: the pod on the dead node
// stays a kube-proxy endpoint until the node lifecycle controller marks the node NotReady (50 s
// grace + its 5 s monitor period, then the endpoint publish), so connections dialled meanwhile may be
// DNATed to it; the dead machine answers no SYN and each such dial fails only at gRPC's
// MIN_CONNECT_TIMEOUT, 20 s (grpc/grpc doc/connection-backoff.md), holding the channel's calls until
// then (wait_for_ready off: they fail UNAVAILABLE).

#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <string>

#include "sim/scenario/load.h"
#include "sim/scenario/world.h"

namespace {

// Two nodes in two zones, one pod on each (topology spread); IPVS rr, so successive connections
// alternate between the two pods; the servers send GOAWAY every 10 s (+/-10%) and the client dials
// again. 100 rps open loop, 60 s deadline (longer than the connect timeout). zone-a fails at 15 s.
const std::string kDeadNode = R"({
  "kubemind": "v1", "name": "dead-node-dial", "seed": 1, "duration_s": 120, "warmup_s": 0,
  "report": {"interval_s": 5},
  "kube_proxy": {"mode": "ipvs", "ipvs_scheduler": "rr"},
  "clients": [{"name": "gateway", "target": "service/inference", "arrival": {"rate_rps": 100},
               "deadline_ms": 60000, "channel": {"lb_policy": "pick_first", "connections": 1}}],
  "cluster": {"node_pools": [
    {"name": "a", "zone": "zone-a", "cpu": "8", "memory": "32Gi", "initial_nodes": 1, "max_nodes": 1},
    {"name": "b", "zone": "zone-b", "cpu": "8", "memory": "32Gi", "initial_nodes": 1, "max_nodes": 1}]},
  "deployments": [{"name": "inference", "replicas": 2,
    "server": {"service_time": {"mean_ms": 5}, "resources": {"requests": {"cpu": "4", "memory": "8Gi"}},
               "grpc": {"max_connection_age_s": 10}},
    "pod": {"topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
                                           "whenUnsatisfiable": "DoNotSchedule"}]}}],
  "services": [{"name": "inference", "selector": {"app": "inference"}}],
  "events": [{"at_s": 15, "zone_failure": {"zone": "zone-a"}}]
})";

}  // namespace

TEST_CASE("dials DNATed to a dead node's pod time out after 20 s each, and the client recovers once its endpoint is gone") {
  const auto r = kubemind::scenario::run_scenario(kubemind::scenario::load_scenario_text(kDeadNode, "dead_node_dial_test"));
  // The timeline (GOAWAY instants T = previous connection's start + 10 s +/- 1 s):
  //   0 s        connection 1 -> inference-0 (zone-a, rr's first)    served until T1 in [9, 11)
  //   T1         connection 2 -> inference-1                         served until T2 in [18, 22)
  //   15 s       zone-a fails; its endpoint stays published until 15 + 55 + 0.1 s = 70.1 s
  //   T2         connection 3 -> inference-0: no answer; calls wait; all fail UNAVAILABLE at T2 + 20
  //   T2 + 20    connection 4 -> inference-1                         served until T4 = T2 + 30 +/- 1
  //   T4 < 70.1  connection 5 -> inference-0: no answer until T4 + 20
  //   T4 + 20    connection 6 -> inference-1 (rr; the endpoint is gone by 70.1 s)  served to the end
  // Two 20-s windows of calls fail: 2 x 20 s x 100 rps = 4000 (Poisson: sd 63).
  REQUIRE(r.cluster.node_failures.size() == 1);
  REQUIRE(r.cluster.node_failures[0].not_ready_s.has_value());
  CHECK(*r.cluster.node_failures[0].not_ready_s - 15.0 == Approx(55.0).margin(1e-9));
  const auto& failed = r.sli.requests.failed_by_reason;
  INFO("failed " << r.sli.requests.failed << ", sent " << r.sli.requests.sent);
  CHECK(failed.count("timeout") == 0);  // no connection ever came up to the dead machine
  REQUIRE(failed.count("no_healthy_upstream") == 1);
  CHECK(std::abs(static_cast<double>(failed.at("no_healthy_upstream")) - 4000.0) < 4 * std::sqrt(4000.0));
  CHECK(r.sli.requests.failed == failed.at("no_healthy_upstream"));
  REQUIRE(r.pods.size() == 2);
  CHECK(r.pods[0].name == "inference-0");
  CHECK(r.pods[0].requests > 850);    // its first connection's 9-11 s of calls
  CHECK(r.pods[0].requests < 1150);
  const auto finding = std::find_if(r.findings.begin(), r.findings.end(), [](const auto& f) { return f.id == "node-failure"; });
  REQUIRE(finding != r.findings.end());
  CHECK(finding->numbers.at("no_healthy_upstream") == static_cast<double>(failed.at("no_healthy_upstream")));
  CHECK(finding->text.find("connect timeout") != std::string::npos);
  // From 95 s (T4 + 20 < 93 s) every call is answered: the 5-s rows after it complete what was sent.
  const auto& ts = r.timeseries;
  for (size_t i = 0; i < ts.time_s.size(); ++i) {
    if (ts.time_s[i] - ts.interval_s < 95.0) continue;
    INFO("interval ending at " << ts.time_s[i] << " s");
    CHECK(ts.completed_rps[i] > 70.0);
  }
}
