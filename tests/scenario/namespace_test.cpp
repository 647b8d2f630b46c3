// SPDX-License-Identifier: MIT
// Namespaces at scenario level: a Service selects only pods of its own namespace (the EndpointSlice
// controller lists pods in the Service's namespace), the namespace and resource_quotas round-trip
// through the resolved-config echo, and a quota bounds a Deployment in a whole run.

#include <catch2/catch.hpp>
#include <algorithm>
#include <string>

#include "sim/scenario/config_json.h"
#include "sim/scenario/load.h"
#include "sim/scenario/world.h"

namespace {

using kubemind::scenario::load_scenario_text;

/// Two Deployments whose pods carry the same label tier=llm, one in namespace "team-a" and one in
/// "team-b"; a Service "llm" in team-a selects tier=llm. 100 rps for 10 s, no warm-up.
const std::string kTwoNamespaces = R"({
  "kubemind": "v1", "name": "namespaces", "duration_s": 10, "seed": 3,
  "clients": [{"name": "load", "target": "service/llm", "arrival": {"rate_rps": 100}}],
  "deployments": [
    {"name": "a", "namespace": "team-a", "replicas": 2, "labels": {"tier": "llm"},
     "server": {"service_time": {"mean_ms": 5}}},
    {"name": "b", "namespace": "team-b", "replicas": 3, "labels": {"tier": "llm"},
     "server": {"service_time": {"mean_ms": 5}}}
  ],
  "services": [{"name": "llm", "namespace": "team-a", "selector": {"tier": "llm"}}],
  "resource_quotas": [{"metadata": {"name": "b-pods", "namespace": "team-b"},
                       "spec": {"hard": {"pods": "2", "cpu": "8", "requests.memory": "64Gi"}}}]
})";

kubemind::report::RunReport run(const std::string& text) {
  return kubemind::scenario::run_scenario(load_scenario_text(text, "namespace_test"));
}

uint64_t requests_of(const kubemind::report::RunReport& r, const std::string& deployment) {
  uint64_t n = 0;
  for (const auto& p : r.pods) n += p.deployment == deployment ? p.requests : 0;
  return n;
}

TEST_CASE("a Service selects only pods of its own namespace, whatever their labels") {
  const auto r = run(kTwoNamespaces);
  // Every request (~100 rps x 10 s, Poisson: sd ~32) reached one of team-a's 2 pods; team-b's 3 pods,
  // same label, got none.
  CHECK(requests_of(r, "a") > 850);
  CHECK(requests_of(r, "a") < 1150);
  CHECK(requests_of(r, "b") == 0);
}

TEST_CASE("a namespace's ResourceQuota bounds its Deployment and the report says so") {
  const auto r = run(kTwoNamespaces);
  // team-b: pods 2 -> 2 of its 3 replicas; team-a has no quota: both of its pods.
  int a = 0, b = 0;
  for (const auto& p : r.pods) {
    a += p.deployment == "a" ? 1 : 0;
    b += p.deployment == "b" ? 1 : 0;
  }
  CHECK(a == 2);
  CHECK(b == 2);
  CHECK(r.cluster.quota_rejections > 0);
  REQUIRE(r.cluster.quotas.size() == 1);
  const auto& q = r.cluster.quotas[0];
  CHECK(q.ns == "team-b");
  CHECK(q.hard_pods == 2);
  CHECK(q.used_pods == 2);
  CHECK(q.hard_cpu_millicores == 8000);          // "cpu" is requests.cpu's alias
  CHECK(q.hard_memory_bytes == (int64_t{64} << 30));
  CHECK(q.hard_gpus == -1);
  CHECK(q.rejections == r.cluster.quota_rejections);
  CHECK(q.blocked_deployments == std::vector<std::string>{"b"});
  const auto f = std::find_if(r.findings.begin(), r.findings.end(), [](const auto& x) { return x.id == "quota-blocked"; });
  REQUIRE(f != r.findings.end());
  CHECK(f->severity == "warning");
  CHECK(f->text.find("namespace team-b") != std::string::npos);
  CHECK(f->text.find("the Deployment b stayed below its desired replicas") != std::string::npos);
}

TEST_CASE("namespaces and resource_quotas survive the resolved-config echo") {
  const auto config = load_scenario_text(kTwoNamespaces, "namespace_test");
  CHECK(config.deployments[0].pod.ns == "team-a");
  CHECK(config.services[0].ns == "team-a");
  REQUIRE(config.cluster.cluster.quotas.size() == 1);
  const std::string echo = kubemind::scenario::resolved_config_json(config);
  CHECK(echo.find("\"namespace\": \"team-b\"") != std::string::npos);
  const auto again = load_scenario_text(echo, "echo");
  CHECK(kubemind::scenario::resolved_config_json(again) == echo);
  CHECK(again.cluster.cluster.quotas[0].pods == 2);
  CHECK(again.cluster.cluster.quotas[0].cpu_millicores == 8000);
}

TEST_CASE("objects without a namespace are in the default namespace") {
  const auto config = load_scenario_text(R"({"kubemind": "v1", "name": "n", "duration_s": 1,
    "clients": [{"name": "c", "target": "service/s", "arrival": {"rate_rps": 1}}],
    "pods": [{"name": "p", "labels": {"app": "x"}, "server": {"service_time": {"mean_ms": 1}}}],
    "services": [{"name": "s", "selector": {"app": "x"}}]})", "default_ns");
  CHECK(config.pods[0].pod.ns == "default");
  CHECK(config.services[0].ns == "default");
}

}  // namespace
