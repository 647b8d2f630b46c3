// SPDX-License-Identifier: MIT
// Autoscalers in scenarios: `metrics` and `autoscalers[]` (HorizontalPodAutoscaler, ScaledObject,
// PodAutoscaler) load into the exact control structs, bad input gives exact issues, and the echo
// loads back to the same config.
// Truth for defaults: kube-controller-manager flags (pkg/controller/podautoscaler/config/v1alpha1/
// defaults.go: sync 15 s, tolerance 0.1, cpu initialization 5 m, initial readiness delay 30 s,
// downscale stabilization 5 m), metrics-server's manifest (--metric-resolution=15s), Prometheus
// (--query.lookback-delta 5 m; Operator scrapeInterval 30 s), KEDA's ScaledObject spec
// (pollingInterval 30, cooldownPeriod 300, maxReplicaCount 100), Knative config-autoscaler
// (reference/autoscalers.md 3.1). Everything else is the value written in the test's input.

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sim/scenario/config_json.h"
#include "sim/scenario/control_readers.h"
#include "sim/scenario/load.h"
#include "sim/scenario/load_autoscalers.h"
#include "sim/scenario/promql.h"

namespace {

namespace ctl = kubemind::control;
using kubemind::scenario::AutoscalerConfig;
using kubemind::scenario::ScenarioConfig;
using kubemind::scenario::ScenarioError;
using Kind = AutoscalerConfig::Kind;

constexpr int64_t kSecond = 1'000'000'000;

/// One Deployment "inference" behind a Service, plus the given top-level fields.
std::string scenario(const std::string& extra) {
  return R"j({"kubemind": "v1", "name": "autoscalers", "duration_s": 60,
    "clients": [{"name": "load", "target": "inference", "arrival": {"rate_rps": 10}}],
    "deployments": [{"name": "inference", "replicas": 2, "server": {"service_time": {"mean_ms": 20}}},
                    {"name": "embedder", "server": {"service_time": {"mean_ms": 5}}}],
    "services": [{"name": "inference", "selector": {"app": "inference"}}])j" +
         (extra.empty() ? "" : ", " + extra) + "}";
}

ScenarioConfig load(const std::string& extra) {
  return kubemind::scenario::load_scenario_text(scenario(extra), "test", {}, KUBEMIND_SOURCE_DIR);
}

/// The issues a bad scenario gives, as "pointer: expected X, got Y" (sorted as ScenarioError sorts).
std::vector<std::string> issues_of(const std::string& extra) {
  try {
    load(extra);
  } catch (const ScenarioError& e) {
    std::vector<std::string> out;
    for (const auto& i : e.issues()) out.push_back(i.pointer + ": expected " + i.expected + ", got " + i.got);
    return out;
  }
  return {"(no error)"};
}

const std::string kLoopholeHpa = R"j("autoscalers": [{"kind": "HorizontalPodAutoscaler", "apiVersion": "autoscaling/v2",
    "metadata": {"name": "inference"},
    "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "inference"},
             "minReplicas": 2, "maxReplicas": 10,
             "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 60}}},
                         {"type": "Resource", "resource": {"name": "memory", "target": {"type": "Utilization", "averageUtilization": 70}}}]}}])j";

const std::string kScaledObject = R"j({"kind": "ScaledObject", "apiVersion": "keda.sh/v1alpha1",
    "metadata": {"name": "inference-queue"},
    "spec": {"scaleTargetRef": {"name": "inference"}, "minReplicaCount": 2, "maxReplicaCount": 10,
             "triggers": [{"type": "prometheus", "metadata": {"serverAddress": "http://prometheus:9090",
                           "query": "sum(queue_depth{app=\"inference\"})", "threshold": "8"}}]}})j";

}  // namespace

TEST_CASE("an HPA on cpu 60% and memory 70% reads into the exact HpaSpec", "[scenario]") {
  const ScenarioConfig config = load(kLoopholeHpa);
  REQUIRE(config.autoscalers.size() == 1);
  const AutoscalerConfig& a = config.autoscalers[0];
  CHECK(a.kind == Kind::kHpa);
  CHECK(a.name == "inference");
  CHECK(a.target == "inference");
  CHECK(a.hpa.min_replicas == 2);
  CHECK(a.hpa.max_replicas == 10);
  REQUIRE(a.hpa.metrics.size() == 2);
  CHECK(a.hpa.metrics[0].type == ctl::MetricSourceType::kResource);
  CHECK(a.hpa.metrics[0].resource == ctl::ResourceName::kCpu);
  CHECK(a.hpa.metrics[0].target.type == ctl::MetricTargetType::kUtilization);
  CHECK(a.hpa.metrics[0].target.average_utilization == 60);
  CHECK(a.hpa.metrics[1].type == ctl::MetricSourceType::kResource);
  CHECK(a.hpa.metrics[1].resource == ctl::ResourceName::kMemory);
  CHECK(a.hpa.metrics[1].target.type == ctl::MetricTargetType::kUtilization);
  CHECK(a.hpa.metrics[1].target.average_utilization == 70);
  CHECK(!a.hpa.behavior);  // no behavior: the controller's legacy path, as the API leaves it
  REQUIRE(a.hpa_rules.size() == 2);
  CHECK(!a.hpa_rules[0]);
  CHECK(!a.hpa_rules[1]);
}

TEST_CASE("without a metrics section the pipeline and the HPA flags take the real defaults", "[scenario]") {
  const ScenarioConfig config = load("");
  CHECK(config.autoscalers.empty());
  const auto& m = config.metrics;
  CHECK(m.metrics_server.metric_resolution.ns == 15 * kSecond);
  CHECK(m.prometheus.scrape_interval.ns == 30 * kSecond);
  CHECK(m.prometheus.lookback_delta.ns == 300 * kSecond);
  CHECK(m.prometheus.retention.ns == 900 * kSecond);
  CHECK(m.hpa.sync_period.ns == 15 * kSecond);
  CHECK(m.hpa.tolerance == 0.1);
  CHECK(m.hpa.cpu_initialization_period.ns == 300 * kSecond);
  CHECK(m.hpa.initial_readiness_delay.ns == 30 * kSecond);
  CHECK(m.hpa.downscale_stabilization_window.ns == 300 * kSecond);
  // An HPA without minReplicas gets the API default 1.
  const ScenarioConfig hpa = load(R"j("autoscalers": [{"kind": "HorizontalPodAutoscaler",
      "metadata": {"name": "h"}, "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "inference"}, "maxReplicas": 3}}])j");
  CHECK(hpa.autoscalers[0].hpa.min_replicas == 1);
  REQUIRE(hpa.autoscalers[0].hpa.metrics.size() == 1);  // the API server's default: cpu at 80 %
  CHECK(hpa.autoscalers[0].hpa.metrics[0].target.average_utilization == 80);
}

TEST_CASE("metrics settings read in seconds and widen the Prometheus retention", "[scenario]") {
  const ScenarioConfig config = load(R"j("metrics": {"metrics_server": {"metric_resolution_s": 30},
      "prometheus": {"scrape_interval_s": 15, "lookback_delta_s": 1200},
      "hpa_controller": {"sync_period_s": 30, "tolerance": 0.05, "cpu_initialization_period_s": 120,
                         "initial_readiness_delay_s": 10, "downscale_stabilization_s": 60}})j");
  const auto& m = config.metrics;
  CHECK(m.metrics_server.metric_resolution.ns == 30 * kSecond);
  CHECK(m.prometheus.scrape_interval.ns == 15 * kSecond);
  CHECK(m.prometheus.lookback_delta.ns == 1200 * kSecond);
  CHECK(m.prometheus.retention.ns == 1200 * kSecond);  // the 900 s kept by default would cut the lookback
  CHECK(m.hpa.sync_period.ns == 30 * kSecond);
  CHECK(m.hpa.tolerance == 0.05);
  CHECK(m.hpa.cpu_initialization_period.ns == 120 * kSecond);
  CHECK(m.hpa.initial_readiness_delay.ns == 10 * kSecond);
  CHECK(m.hpa.downscale_stabilization_window.ns == 60 * kSecond);
}

TEST_CASE("a ScaledObject on a queue-depth query reads exactly", "[scenario]") {
  const ScenarioConfig config = load(R"j("autoscalers": [)j" + kScaledObject + "]");
  REQUIRE(config.autoscalers.size() == 1);
  const AutoscalerConfig& a = config.autoscalers[0];
  CHECK(a.kind == Kind::kScaledObject);
  CHECK(a.name == "inference-queue");
  CHECK(a.target == "inference");
  CHECK(a.keda.polling_interval_s == 30);
  CHECK(a.keda.cooldown_period_s == 300);
  CHECK(a.keda.initial_cooldown_period_s == 0);
  CHECK(a.keda.min_replica_count == 2);
  CHECK(a.keda.max_replica_count == 10);
  CHECK(!a.keda.idle_replica_count);
  CHECK(!a.keda.fallback);
  CHECK(!a.keda.paused);
  REQUIRE(a.keda.triggers.size() == 1);
  const ctl::KedaTrigger& t = a.keda.triggers[0];
  CHECK(t.type == ctl::KedaTriggerType::kPrometheus);
  CHECK(t.metric_type == ctl::KedaMetricType::kAverageValue);
  CHECK(t.threshold == 8.0);
  CHECK(t.activation_threshold == 0.0);
  CHECK(t.ignore_null_values);
  REQUIRE(a.keda_queries.size() == 1);
  REQUIRE(a.keda_queries[0]);
  CHECK(a.keda_queries[0]->kind == ctl::PromQueryKind::kSumGauge);
  CHECK(a.keda_queries[0]->gauge == ctl::AppGauge::kQueueDepth);
  CHECK(!a.keda_behavior);
}

TEST_CASE("a ScaledObject with a cpu trigger, fallback and HPA behavior reads exactly", "[scenario]") {
  const ScenarioConfig config = load(R"j("autoscalers": [{"kind": "ScaledObject",
      "metadata": {"name": "so", "annotations": {"autoscaling.keda.sh/paused-scale-in": "true", "team": "ml"}},
      "spec": {"scaleTargetRef": {"name": "inference"}, "pollingInterval": 15, "idleReplicaCount": 0,
               "minReplicaCount": 1, "maxReplicaCount": 8, "fallback": {"failureThreshold": 3, "replicas": 4},
               "advanced": {"horizontalPodAutoscalerConfig": {"behavior": {"scaleDown": {"stabilizationWindowSeconds": 60}}}},
               "triggers": [{"type": "cpu", "metricType": "Utilization", "metadata": {"value": "60"}},
                            {"type": "prometheus", "metadata": {"threshold": "50", "activationThreshold": "5",
                             "query": "sum(rate(requests_total[2m]))"}}]}}])j");
  const AutoscalerConfig& a = config.autoscalers.at(0);
  CHECK(a.keda.polling_interval_s == 15);
  CHECK(a.keda.idle_replica_count == 0);
  CHECK(a.keda.paused_scale_in);
  REQUIRE(a.keda.fallback);
  CHECK(a.keda.fallback->failure_threshold == 3);
  CHECK(a.keda.fallback->replicas == 4);
  REQUIRE(a.keda_behavior);
  CHECK(a.keda_behavior->scale_down.stabilization_window_seconds == 60);
  CHECK(a.keda_behavior->scale_up.policies.size() == 2);  // scaleUp defaulted
  REQUIRE(a.keda.triggers.size() == 2);
  CHECK(a.keda.triggers[0].type == ctl::KedaTriggerType::kCpu);
  CHECK(a.keda.triggers[0].threshold == 60.0);
  CHECK(a.keda.triggers[1].activation_threshold == 5.0);
  REQUIRE(a.keda_queries.size() == 2);
  CHECK(!a.keda_queries[0]);
  REQUIRE(a.keda_queries[1]);
  CHECK(a.keda_queries[1]->kind == ctl::PromQueryKind::kSumRate);
  CHECK(a.keda_queries[1]->window.ns == 120 * kSecond);
}

TEST_CASE("a PodAutoscaler reads its annotations, spec and config-autoscaler keys", "[scenario]") {
  const ScenarioConfig config = load(R"j("autoscalers": [{"kind": "PodAutoscaler",
      "metadata": {"name": "inference-kpa", "annotations": {
          "autoscaling.knative.dev/class": "kpa.autoscaling.knative.dev",
          "autoscaling.knative.dev/min-scale": "1", "autoscaling.knative.dev/max-scale": "20",
          "autoscaling.knative.dev/target": "10", "autoscaling.knative.dev/window": "30s",
          "autoscaling.knative.dev/scale-down-delay": "1m", "autoscaling.knative.dev/initial-scale": "2",
          "example.com/owner": "team"}},
      "spec": {"scaleTargetRef": {"name": "inference"}, "containerConcurrency": 16},
      "config": {"stable-window": "90s", "max-scale-down-rate": 4, "enable-scale-to-zero": "false"}}])j");
  const AutoscalerConfig& a = config.autoscalers.at(0);
  CHECK(a.kind == Kind::kKpa);
  CHECK(a.target == "inference");
  CHECK(a.kpa.min_scale == 1);
  CHECK(a.kpa.max_scale == 20);
  CHECK(a.kpa.revision.container_concurrency == 16);
  CHECK(a.kpa.revision.target == 10.0);
  CHECK(!a.kpa.revision.target_utilization_percentage);
  CHECK(a.kpa.revision.metric == ctl::KpaScalingMetric::kConcurrency);
  CHECK(a.kpa.autoscaler.stable_window_s == 30);  // the annotation overrides the ConfigMap
  CHECK(a.kpa.autoscaler.scale_down_delay_s == 60);
  CHECK(a.kpa.autoscaler.initial_scale == 2);
  CHECK(a.kpa.autoscaler.max_scale_down_rate == 4.0);
  CHECK(!a.kpa.autoscaler.enable_scale_to_zero);
  CHECK(a.kpa.autoscaler.panic_window_percentage == 10.0);  // untouched defaults
  CHECK(a.kpa.autoscaler.container_concurrency_target_percentage == 70.0);
  CHECK(a.kpa.autoscaler.scale_to_zero_grace_period_s == 30);
}

TEST_CASE("HPA Pods and External metrics take their query from the prometheus-adapter rules", "[scenario]") {
  const ScenarioConfig config = load(R"j("metrics": {"prometheus_adapter": {"rules": {
        "queue_depth": "avg(queue_depth{app=\"inference\"})",
        "p99_latency": "histogram_quantile(0.99, sum by (le) (rate(request_duration_seconds_bucket[20m])))"}}},
      "autoscalers": [{"kind": "HorizontalPodAutoscaler", "metadata": {"name": "h"},
        "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "inference"}, "maxReplicas": 6,
          "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 60}}},
                      {"type": "Pods", "pods": {"metric": {"name": "queue_depth"}, "target": {"type": "AverageValue", "averageValue": "4"}}},
                      {"type": "External", "external": {"metric": {"name": "p99_latency"}, "target": {"type": "Value", "value": "500m"}}}],
          "behavior": {"scaleDown": {"stabilizationWindowSeconds": 120, "policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}]}}}}])j");
  const AutoscalerConfig& a = config.autoscalers.at(0);
  REQUIRE(a.hpa_rules.size() == 3);
  CHECK(!a.hpa_rules[0]);
  REQUIRE(a.hpa_rules[1]);
  CHECK(a.hpa_rules[1]->kind == ctl::PromQueryKind::kAvgGauge);
  CHECK(a.hpa_rules[1]->gauge == ctl::AppGauge::kQueueDepth);
  REQUIRE(a.hpa_rules[2]);
  CHECK(a.hpa_rules[2]->kind == ctl::PromQueryKind::kHistogramQuantile);
  CHECK(a.hpa_rules[2]->quantile == 0.99);
  CHECK(a.hpa.metrics[1].target.average_value_milli == 4000);
  CHECK(a.hpa.metrics[2].target.value_milli == 500);
  REQUIRE(a.hpa.behavior);
  CHECK(a.hpa.behavior->scale_down.stabilization_window_seconds == 120);
  CHECK(config.metrics.prometheus.retention.ns == 1200 * kSecond);  // the 20 m range must stay in memory
}

TEST_CASE("bad autoscalers are reported at their pointers with what was expected", "[scenario]") {
  // Unknown target.
  CHECK(issues_of(R"j("autoscalers": [{"kind": "ScaledObject", "metadata": {"name": "so"},
      "spec": {"scaleTargetRef": {"name": "inferense"}, "triggers": [{"type": "cpu", "metricType": "Utilization",
      "metadata": {"value": "50"}}]}}])j") ==
        std::vector<std::string>{"/autoscalers/0/spec/scaleTargetRef/name: expected name of a Deployment in "
                                 "/deployments, one of [\"inference\",\"embedder\"] (did you mean \"inference\"?), "
                                 "got \"inferense\""});
  // Two autoscalers for one Deployment; a repeated name.
  std::string two = kScaledObject;
  CHECK(issues_of(R"j("autoscalers": [)j" + kScaledObject + ", " + two + "]") ==
        std::vector<std::string>{
            "/autoscalers/1/metadata/name: expected a name no other autoscaler has (/autoscalers/0 has it), got "
            "\"inference-queue\"",
            "/autoscalers/1/spec/scaleTargetRef/name: expected a Deployment no other autoscaler scales "
            "(/autoscalers/0 scales it), got \"inference\""});
  // A prometheus trigger without a query, one with a query outside the subset, one on other pods.
  CHECK(issues_of(R"j("autoscalers": [{"kind": "ScaledObject", "metadata": {"name": "so"},
      "spec": {"scaleTargetRef": {"name": "inference"}, "triggers": [
        {"type": "prometheus", "metadata": {"threshold": "8"}},
        {"type": "prometheus", "metadata": {"threshold": "8", "query": "sum(rate(queue_depth[1m]))"}},
        {"type": "prometheus", "metadata": {"threshold": "8", "query": "sum(queue_depth{app=\"embedder\"})"}}]}}])j") ==
        std::vector<std::string>{
            "/autoscalers/0/spec/triggers/0/metadata/query: expected a PromQL query (a prometheus trigger needs "
            "metadata.query), got nothing",
            "/autoscalers/0/spec/triggers/1/metadata/query: expected a counter inside rate() (requests_total or "
            "inflight_request_seconds_total), not the gauge queue_depth, got \"sum(rate(queue_depth[1m]))\"",
            "/autoscalers/0/spec/triggers/2/metadata/query: expected a query whose app matcher names the "
            "scaleTargetRef's name (app=\"inference\"), got app=\"embedder\""});
  // A Pods metric no adapter rule serves; a rule that does not parse.
  CHECK(issues_of(R"j("metrics": {"prometheus_adapter": {"rules": {"queue_depht": "sum(queue_depth)", "bad": "sum(foo)"}}},
      "autoscalers": [{"kind": "HorizontalPodAutoscaler", "metadata": {"name": "h"},
        "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "inference"}, "maxReplicas": 6,
          "metrics": [{"type": "Pods", "pods": {"metric": {"name": "queue_depth"}, "target": {"type": "AverageValue", "averageValue": "4"}}}]}}])j") ==
        std::vector<std::string>{
            "/autoscalers/0/spec/metrics/0/pods/metric/name: expected a metric served by a rule in "
            "/metrics/prometheus_adapter/rules, one of [\"bad\",\"queue_depht\"] (did you mean \"queue_depht\"?), got "
            "\"queue_depth\"",
            "/metrics/prometheus_adapter/rules/bad: expected a metric the pods export (gauges queue_depth, "
            "inflight_requests, gpu_utilization; counters requests_total, inflight_request_seconds_total; histogram "
            "request_duration_seconds_bucket), not \"foo\", got \"sum(foo)\""});
  // An HPA scaling something other than a Deployment; an unknown kind.
  CHECK(issues_of(R"j("autoscalers": [{"kind": "HorizontalPodAutoscaler", "metadata": {"name": "h"},
        "spec": {"scaleTargetRef": {"kind": "StatefulSet", "name": "inference"}, "maxReplicas": 2}},
      {"kind": "VerticalPodAutoscaler", "metadata": {"name": "v"}}])j") ==
        std::vector<std::string>{
            "/autoscalers/0/spec/scaleTargetRef/kind: expected one of [\"Deployment\"], got \"StatefulSet\"",
            "/autoscalers/1/kind: expected one of [\"HorizontalPodAutoscaler\",\"ScaledObject\",\"PodAutoscaler\"], "
            "got \"VerticalPodAutoscaler\""});
  // Knative bounds.
  CHECK(issues_of(R"j("autoscalers": [{"kind": "PodAutoscaler", "metadata": {"name": "k", "annotations": {
        "autoscaling.knative.dev/min-scale": "5", "autoscaling.knative.dev/max-scale": "3",
        "autoscaling.knative.dev/initial-scale": "0"}}, "spec": {"scaleTargetRef": {"name": "inference"}}}])j") ==
        std::vector<std::string>{
            "/autoscalers/0/metadata/annotations/autoscaling.knative.dev~1initial-scale: expected initial-scale >= 1 "
            "(0 needs allow-zero-initial-scale: \"true\" in /config), got 0",
            "/autoscalers/0/metadata/annotations/autoscaling.knative.dev~1max-scale: expected max-scale >= min-scale "
            "(5), or 0 (no limit), got \"3\""});
}

TEST_CASE("the autoscalers echo loads back to the same config", "[scenario]") {
  const std::string extra = R"j("metrics": {"prometheus": {"scrape_interval_s": 10},
        "prometheus_adapter": {"rules": {"queue_depth": "avg(queue_depth)", "unused": "sum(gpu_utilization)"}}},
      "autoscalers": [
        {"kind": "HorizontalPodAutoscaler", "metadata": {"name": "h"},
         "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "embedder"}, "maxReplicas": 6,
          "metrics": [{"type": "Pods", "pods": {"metric": {"name": "queue_depth"}, "target": {"type": "AverageValue", "averageValue": "1500m"}}}],
          "behavior": {"scaleUp": {"tolerance": "0.05", "selectPolicy": "Min"}}}},
        )j" + kScaledObject + "]";
  const ScenarioConfig first = load(extra);
  // The document the echo functions write (what config_json.cc puts under /metrics and /autoscalers).
  const auto echo = [](const ScenarioConfig& c) {
    nlohmann::ordered_json out;
    out["metrics"] = kubemind::scenario::metrics_json(c.metrics);
    out["metrics"]["prometheus_adapter"] = kubemind::scenario::prometheus_adapter_json(c.autoscalers);
    out["autoscalers"] = kubemind::scenario::autoscalers_json(c.autoscalers);
    return out;
  };
  const nlohmann::ordered_json once = echo(first);
  std::string text = once.dump();
  text = text.substr(1, text.size() - 2);  // the two fields, for the skeleton
  const ScenarioConfig second = load(text);
  CHECK(echo(second).dump(2) == once.dump(2));
  CHECK(once["metrics"]["prometheus_adapter"].dump() == R"j({"rules":{"queue_depth":"avg(queue_depth)"}})j");
  CHECK(once["autoscalers"][1]["spec"]["triggers"][0]["metadata"]["query"] == "sum(queue_depth{app=\"inference\"})");
  REQUIRE(second.autoscalers.size() == 2);
  CHECK(second.autoscalers[0].hpa.metrics[0].target.average_value_milli == 1500);
  CHECK(second.autoscalers[0].hpa.behavior->scale_up.tolerance == 0.05);
  CHECK(second.autoscalers[0].hpa.behavior->scale_up.select_policy == ctl::SelectPolicy::kMin);
  CHECK(second.autoscalers[0].hpa_rules[0]->kind == ctl::PromQueryKind::kAvgGauge);
  CHECK(second.metrics.prometheus.scrape_interval.ns == 10 * kSecond);
  CHECK(second.autoscalers[1].keda.triggers[0].threshold == 8.0);

  // A PodAutoscaler: every default written out (config and annotations) reads back the same.
  const ScenarioConfig kpa = load(R"j("autoscalers": [{"kind": "PodAutoscaler", "metadata": {"name": "k",
      "annotations": {"autoscaling.knative.dev/target-utilization-percentage": "85", "autoscaling.knative.dev/metric": "rps"}},
      "spec": {"scaleTargetRef": {"name": "inference"}}}])j");
  const nlohmann::ordered_json kpa_once = echo(kpa);
  std::string kpa_text = kpa_once.dump();
  const ScenarioConfig kpa_again = load(kpa_text.substr(1, kpa_text.size() - 2));
  CHECK(echo(kpa_again).dump(2) == kpa_once.dump(2));
  CHECK(kpa_once["autoscalers"][0]["config"]["stable-window"] == "60s");
  CHECK(kpa_again.autoscalers[0].kpa.revision.target_utilization_percentage == 85.0);
  CHECK(kpa_again.autoscalers[0].kpa.revision.metric == ctl::KpaScalingMetric::kRps);
}

TEST_CASE("the resolved-config echo of a scenario with autoscalers loads back the same", "[scenario]") {
  const ScenarioConfig first = load(R"j("autoscalers": [)j" + kScaledObject + R"j(,
      {"kind": "PodAutoscaler", "metadata": {"name": "k"}, "spec": {"scaleTargetRef": {"name": "embedder"}}}])j");
  const std::string echo = kubemind::scenario::resolved_config_json(first);
  const ScenarioConfig again = kubemind::scenario::load_scenario_text(echo, "echo", {}, KUBEMIND_SOURCE_DIR);
  CHECK(kubemind::scenario::resolved_config_json(again) == echo);
  REQUIRE(again.autoscalers.size() == 2);
  CHECK(again.autoscalers[0].keda_queries[0]->gauge == ctl::AppGauge::kQueueDepth);
  CHECK(again.autoscalers[1].target == "embedder");
}
