// SPDX-License-Identifier: MIT
// Loading valid scenarios: defaults filled in, overrides, model profiles, the resolved-config echo.

#include "sim/scenario/load.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "sim/scenario/config_json.h"
#include "tests/support/temp_dir.h"

namespace {

using kubemind::scenario::LoadOptions;
using kubemind::scenario::Override;
using kubemind::scenario::ScenarioConfig;
using kubemind::scenario::ScenarioError;
using kubemind::serve::ServiceDistribution;
using kubemind::traffic::ArrivalProcess;

const std::string kModelsDir = KUBEMIND_SOURCE_DIR "/models";

/// Only the required fields; everything else takes its default.
const std::string kMinimal = R"({
  "kubemind": "v1",
  "name": "minimal",
  "duration_s": 60,
  "clients": [{"name": "load", "target": "gpu-0", "arrival": {"rate_rps": 50}}],
  "pods": [{"name": "gpu-0", "server": {"service_time": {"mean_ms": 4}}}]
})";

/// Every field set, none to its default.
const std::string kFull = R"({
  "kubemind": "v1",
  "name": "full",
  "description": "all fields",
  "seed": 18446744073709551615,
  "duration_s": 120.5,
  "warmup_s": 10.25,
  "slo": {"latency_ms": 25},
  "report": {"interval_s": 0.5},
  "clients": [
    {"name": "a", "target": "resnet", "arrival": {"process": "constant", "rate_rps": 12.5}},
    {"name": "b", "target": "lognormal", "arrival": {"process": "poisson", "rate_rps": 0.1}}
  ],
  "pods": [
    {"name": "resnet", "server": {"model": "resnet50-t4", "instances": 3, "max_queue_size": 64,
                                  "service_time": {"distribution": "exponential"}}},
    {"name": "lognormal", "server": {"instances": 4096, "max_queue_size": 1000000000,
                                     "service_time": {"distribution": "lognormal", "mean_ms": 0.1, "cv": 2.5}}},
    {"name": "bert", "server": {"model": "bert-base-a100"}}
  ]
})";

ScenarioConfig load(const std::string& text, LoadOptions options = {}) {
  options.models_dir = kModelsDir;
  return kubemind::scenario::load_scenario_text(text, "test.json", options);
}

void require_same(const ScenarioConfig& a, const ScenarioConfig& b) {
  CHECK(a.version == b.version);
  CHECK(a.name == b.name);
  CHECK(a.description == b.description);
  CHECK(a.seed == b.seed);
  CHECK(a.duration_s == b.duration_s);
  CHECK(a.warmup_s == b.warmup_s);
  CHECK(a.slo.latency_ms == b.slo.latency_ms);
  CHECK(a.report.interval_s == b.report.interval_s);
  REQUIRE(a.clients.size() == b.clients.size());
  for (size_t i = 0; i < a.clients.size(); ++i) {
    INFO("client " << i);
    CHECK(a.clients[i].client.name == b.clients[i].client.name);
    CHECK(a.clients[i].target == b.clients[i].target);
    CHECK(a.clients[i].client.arrival.process == b.clients[i].client.arrival.process);
    CHECK(a.clients[i].client.arrival.rate_rps == b.clients[i].client.arrival.rate_rps);
  }
  REQUIRE(a.pods.size() == b.pods.size());
  for (size_t i = 0; i < a.pods.size(); ++i) {
    INFO("pod " << i);
    CHECK(a.pods[i].name == b.pods[i].name);
    CHECK(a.pods[i].server.model == b.pods[i].server.model);
    CHECK(a.pods[i].server.instances == b.pods[i].server.instances);
    CHECK(a.pods[i].server.max_queue_size == b.pods[i].server.max_queue_size);
    CHECK(a.pods[i].server.service_time.distribution == b.pods[i].server.service_time.distribution);
    CHECK(a.pods[i].server.service_time.mean_ms == b.pods[i].server.service_time.mean_ms);
    CHECK(a.pods[i].server.service_time.cv == b.pods[i].server.service_time.cv);
  }
}

}  // namespace

TEST_CASE("a minimal scenario loads with every default filled in", "[scenario]") {
  const ScenarioConfig config = load(kMinimal);
  CHECK(config.version == "v1");
  CHECK(config.name == "minimal");
  CHECK(config.description.empty());
  CHECK(config.seed == 1);
  CHECK(config.duration_s == 60.0);
  CHECK(config.warmup_s == 0.0);
  CHECK_FALSE(config.slo.latency_ms.has_value());
  CHECK(config.report.interval_s == 1.0);
  REQUIRE(config.clients.size() == 1);
  CHECK(config.clients[0].client.name == "load");
  CHECK(config.clients[0].target == "pod/gpu-0");  // resolved to kind/name
  CHECK(config.clients[0].client.arrival.process == ArrivalProcess::kPoisson);
  CHECK(config.clients[0].client.arrival.rate_rps == 50.0);
  REQUIRE(config.pods.size() == 1);
  CHECK(config.pods[0].name == "gpu-0");
  CHECK(config.pods[0].server.model.empty());
  CHECK(config.pods[0].server.instances == 1);
  CHECK(config.pods[0].server.max_queue_size == 0);
  CHECK(config.pods[0].server.service_time.distribution == ServiceDistribution::kDeterministic);
  CHECK(config.pods[0].server.service_time.mean_ms == 4.0);
  CHECK(config.pods[0].server.service_time.cv == 0.0);
}

TEST_CASE("a scenario with every field set keeps every value", "[scenario]") {
  const ScenarioConfig config = load(kFull);
  CHECK(config.description == "all fields");
  CHECK(config.seed == UINT64_MAX);
  CHECK(config.duration_s == 120.5);
  CHECK(config.warmup_s == 10.25);
  CHECK(config.slo.latency_ms == 25.0);
  CHECK(config.report.interval_s == 0.5);
  CHECK(config.clients[0].client.arrival.process == ArrivalProcess::kConstant);
  CHECK(config.clients[1].client.arrival.rate_rps == 0.1);
  REQUIRE(config.pods.size() == 3);
  const auto& resnet = config.pods[0].server;
  CHECK(resnet.model == "resnet50-t4");
  CHECK(resnet.instances == 3);
  CHECK(resnet.max_queue_size == 64);
  CHECK(resnet.service_time.distribution == ServiceDistribution::kExponential);
  CHECK(resnet.service_time.mean_ms == 3.00);
  CHECK(resnet.service_time.cv == 1.0);
  const auto& lognormal = config.pods[1].server;
  CHECK(lognormal.instances == 4096);
  CHECK(lognormal.max_queue_size == 1000000000);
  CHECK(lognormal.service_time.distribution == ServiceDistribution::kLognormal);
  CHECK(lognormal.service_time.mean_ms == 0.1);
  CHECK(lognormal.service_time.cv == 2.5);
  CHECK(config.pods[2].server.service_time.mean_ms == 0.78);
}

TEST_CASE("a model reference takes the profile's batch-1 mean latency as a deterministic service time", "[scenario]") {
  const std::string text = R"({"kubemind": "v1", "name": "t4", "duration_s": 1,
    "clients": [{"name": "c", "target": "p", "arrival": {"rate_rps": 1}}],
    "pods": [{"name": "p", "server": {"model": "resnet50-t4"}}]})";
  const auto server = load(text).pods.at(0).server;
  CHECK(server.model == "resnet50-t4");
  CHECK(server.service_time.distribution == ServiceDistribution::kDeterministic);
  CHECK(server.service_time.mean_ms == 3.00);  // models/resnet50-t4.json, batch 1 "mean"
  CHECK(server.service_time.cv == 0.0);
}

TEST_CASE("overrides set numbers, fall back to strings, append to arrays and replace whole objects", "[scenario]") {
  LoadOptions options;
  SECTION("a number") {
    options.overrides = {{"/clients/0/arrival/rate_rps", "300"}, {"/duration_s", "7.5"}};
    const auto config = load(kMinimal, options);
    CHECK(config.clients[0].client.arrival.rate_rps == 300.0);
    CHECK(config.duration_s == 7.5);
  }
  SECTION("text that is not JSON becomes a string") {
    options.overrides = {{"/name", "renamed run"}, {"/description", ""}};
    const auto config = load(kMinimal, options);
    CHECK(config.name == "renamed run");
    CHECK(config.description.empty());
  }
  SECTION("a quoted JSON string stays a string") {
    options.overrides = {{"/clients/0/arrival/process", "\"constant\""}};
    CHECK(load(kMinimal, options).clients[0].client.arrival.process == ArrivalProcess::kConstant);
  }
  SECTION("\"-\" and index = size append to an array") {
    options.overrides = {
        {"/pods/-", R"({"name": "gpu-1", "server": {"service_time": {"mean_ms": 8}}})"},
        {"/clients/1", R"({"name": "second", "target": "gpu-1", "arrival": {"rate_rps": 5}})"},
    };
    const auto config = load(kMinimal, options);
    REQUIRE(config.pods.size() == 2);
    CHECK(config.pods[1].name == "gpu-1");
    CHECK(config.pods[1].server.service_time.mean_ms == 8.0);
    REQUIRE(config.clients.size() == 2);
    CHECK(config.clients[1].target == "pod/gpu-1");
  }
  SECTION("a whole object is replaced") {
    options.overrides = {{"/pods/0/server", R"({"model": "resnet50-a100", "instances": 2})"}};
    const auto server = load(kMinimal, options).pods[0].server;
    CHECK(server.model == "resnet50-a100");
    CHECK(server.instances == 2);
    CHECK(server.service_time.mean_ms == 2.13);
  }
  SECTION("a new field is added, and overrides apply in order") {
    options.overrides = {{"/slo", R"({"latency_ms": 1})"}, {"/slo/latency_ms", "40"}};
    CHECK(load(kMinimal, options).slo.latency_ms == 40.0);
  }
}

TEST_CASE("parse_override splits at the first '='", "[scenario]") {
  const Override o = kubemind::scenario::parse_override("/pods/0/server/instances=4");
  CHECK(o.pointer == "/pods/0/server/instances");
  CHECK(o.value_text == "4");
  const Override with_equals = kubemind::scenario::parse_override("/description=a=b");
  CHECK(with_equals.pointer == "/description");
  CHECK(with_equals.value_text == "a=b");
  CHECK(kubemind::scenario::parse_override("/name=").value_text.empty());
}

TEST_CASE("parse_override rejects text without '=' or a leading '/'", "[scenario]") {
  for (const char* bad : {"x", "duration_s=5", "", "=5"}) {
    INFO(bad);
    try {
      kubemind::scenario::parse_override(bad);
      FAIL("accepted");
    } catch (const ScenarioError& error) {
      CHECK(error.source() == "--set");
      REQUIRE(error.issues().size() == 1);
      CHECK_THAT(error.what(), Catch::Contains("POINTER=VALUE"));
    }
  }
}

TEST_CASE("the seed option replaces the scenario's seed", "[scenario]") {
  LoadOptions options;
  options.seed = 42;
  CHECK(load(kMinimal, options).seed == 42);
  CHECK(load(kFull, options).seed == 42);
  CHECK(load(kMinimal).seed == 1);
}

TEST_CASE("the resolved config echo loads again to the same config", "[scenario]") {
  for (const std::string& text : {kMinimal, kFull}) {
    const ScenarioConfig first = load(text);
    const std::string echo = kubemind::scenario::resolved_config_json(first);
    INFO(echo);
    const ScenarioConfig second = load(echo);
    require_same(first, second);
    CHECK(kubemind::scenario::resolved_config_json(second) == echo);
  }
}

TEST_CASE("the resolved config echo lists every field in schema order", "[scenario]") {
  const std::string full_echo = kubemind::scenario::resolved_config_json(load(kMinimal));
  // `metrics` (always written, last here) is the control layer's; its own test checks its fields.
  const auto metrics_at = full_echo.find(",\n  \"metrics\": {");
  REQUIRE(metrics_at != std::string::npos);
  const std::string echo = full_echo.substr(0, metrics_at) + "\n}";
  CHECK(echo == R"({
  "kubemind": "v1",
  "name": "minimal",
  "description": "",
  "seed": 1,
  "duration_s": 60.0,
  "warmup_s": 0.0,
  "report": {
    "interval_s": 1.0
  },
  "kube_proxy": {
    "mode": "iptables",
    "ipvs_scheduler": "rr",
    "min_sync_period_s": 1.0
  },
  "clients": [
    {
      "name": "load",
      "target": "pod/gpu-0",
      "arrival": {
        "process": "poisson",
        "rate_rps": 50.0
      },
      "deadline_ms": 0.0,
      "key_space": 0,
      "retry_policy": {
        "max_attempts": 1,
        "initial_backoff_s": 0.1,
        "max_backoff_s": 1.0,
        "backoff_multiplier": 2.0
      }
    }
  ],
  "pods": [
    {
      "name": "gpu-0",
      "server": {
        "instances": 1,
        "max_queue_size": 0,
        "default_timeout_microseconds": 0,
        "max_batch_size": 1,
        "resources": {
          "requests": {
            "cpu": 1.0,
            "memory": 0,
            "nvidia.com/gpu": 0
          }
        },
        "cpu": {
          "baseline_cores": 0.0,
          "preprocess_ms": 0.0,
          "postprocess_ms": 0.0
        },
        "memory": {
          "runtime_gb": 0.0,
          "per_request_bytes": 0.0
        },
        "service_time": {
          "distribution": "deterministic",
          "mean_ms": 4.0
        },
        "grpc": {
          "max_concurrent_streams": null,
          "max_connection_age_s": null,
          "max_connection_age_grace_s": null
        }
      },
      "pod": {
        "priority": 0,
        "tolerations": [],
        "topologySpreadConstraints": [],
        "readinessProbe": {
          "initialDelaySeconds": 0,
          "periodSeconds": 10,
          "successThreshold": 1
        },
        "terminationGracePeriodSeconds": 30,
        "lifecycle": {
          "preStop": {
            "sleep": {
              "seconds": 0
            }
          }
        },
        "image": {
          "name": "inference-server",
          "size_gb": 0.0
        },
        "container_start_s": 0.5,
        "weights": {
          "size_gb": 0.0,
          "load_gb_per_s": 1.0,
          "load": "in_process"
        },
        "warm_up_s": 0.0,
        "drain": "until_idle"
      }
    }
  ]
})");
}

TEST_CASE("a scenario file finds models/ beside its folder", "[scenario]") {
  kubemind::test::TempDir dir;
  std::filesystem::copy(kModelsDir, dir.path() / "models");
  const std::string text = R"({"kubemind": "v1", "name": "file", "duration_s": 1,
    "clients": [{"name": "c", "target": "p", "arrival": {"rate_rps": 1}}],
    "pods": [{"name": "p", "server": {"model": "bert-base-t4"}}]})";
  SECTION("<scenario folder>/../models") {
    const auto path = dir.write("scenarios/s.json", text);
    CHECK(kubemind::scenario::load_scenario_file(path).pods[0].server.service_time.mean_ms == 1.76);
  }
  SECTION("<scenario folder>/models") {
    const auto path = dir.write("s.json", text);
    CHECK(kubemind::scenario::load_scenario_file(path).pods[0].server.service_time.mean_ms == 1.76);
  }
}

TEST_CASE("the shipped example scenarios load", "[scenario]") {
  for (const char* name : {"md1.json", "mmc.json"}) {
    const std::string path = KUBEMIND_SOURCE_DIR "/scenarios/" + std::string(name);
    if (!std::filesystem::exists(path)) continue;
    INFO(path);
    CHECK_NOTHROW(kubemind::scenario::load_scenario_file(path));
  }
}

TEST_CASE("clients: a trace CSV, a closed loop and a retry policy load and echo back", "[scenario]") {
  kubemind::test::TempDir dir;
  dir.write("traces/chat.csv", "at_s,class,input_size,output_size\n0.5,chat,100,20\n0.5,embed,7,\n2.25,chat,300,80\n");
  const auto path = dir.write("s.json", R"({"kubemind": "v1", "name": "clients", "duration_s": 10,
    "clients": [
      {"name": "replay", "target": "p", "arrival": {"process": "trace", "file": "traces/chat.csv"}},
      {"name": "callers", "target": "p", "closed_loop": {"concurrency": 8, "think_time": {"distribution": "exponential", "mean_ms": 20}},
       "deadline_ms": 250, "retry_policy": {"max_attempts": 3}},
      {"name": "ramp", "target": "p", "arrival": {"process": "schedule", "shape": "linear",
       "points": [{"at_s": 0, "rate_rps": 0}, {"at_s": 5, "rate_rps": 100}]}}
    ],
    "pods": [{"name": "p", "server": {"service_time": {"mean_ms": 5}}}]})");
  const ScenarioConfig config = kubemind::scenario::load_scenario_file(path);
  const auto& trace = config.clients[0].client.arrival;
  REQUIRE(trace.trace.size() == 3);
  CHECK(trace.trace_classes == std::vector<std::string>{"chat", "embed"});
  CHECK(trace.trace[1].request_class == 1);
  CHECK(trace.trace[1].input_size == 7);
  CHECK(trace.trace[1].output_size == 0);  // left empty
  CHECK(trace.trace[2].at_s == 2.25);
  const auto& callers = config.clients[1].client;
  CHECK(callers.load == kubemind::traffic::LoadModel::kClosedLoop);
  CHECK(callers.concurrency == 8);
  CHECK(callers.think.exponential);
  CHECK(callers.deadline_ms == 250);
  CHECK(callers.retry.max_attempts == 3);
  CHECK(callers.retry.initial_backoff_s == 0.1);  // the defaults fill in
  CHECK(config.clients[2].client.arrival.schedule_linear);
  // The echo names the trace file as written, so it loads again from the scenario's folder.
  const std::string echo = kubemind::scenario::resolved_config_json(config);
  const ScenarioConfig again = kubemind::scenario::load_scenario_text(echo, "echo", {}, dir.path().string());
  CHECK(kubemind::scenario::resolved_config_json(again) == echo);
  CHECK(again.clients[0].client.arrival.trace.size() == 3);
}

TEST_CASE("a malformed trace line is reported with its line number", "[scenario]") {
  kubemind::test::TempDir dir;
  dir.write("t.csv", "at_s,class\n1,a\n0.5,a\n");
  const auto path = dir.write("s.json", R"({"kubemind": "v1", "name": "t", "duration_s": 10,
    "clients": [{"name": "r", "target": "p", "arrival": {"process": "trace", "file": "t.csv"}}],
    "pods": [{"name": "p", "server": {"service_time": {"mean_ms": 5}}}]})");
  try {
    kubemind::scenario::load_scenario_file(path);
    FAIL("no error");
  } catch (const kubemind::scenario::ScenarioError& e) {
    REQUIRE(e.issues().size() == 1);
    CHECK(e.issues()[0].pointer == "/clients/0/arrival/file");
    CHECK_THAT(e.issues()[0].expected, Catch::Contains("at_s non-decreasing"));
    CHECK_THAT(e.issues()[0].got, Catch::StartsWith("line 3 of"));
  }
}

TEST_CASE("deployments, services, proxies and channels load, resolve and echo back", "[scenario]") {
  const std::string text = R"({"kubemind": "v1", "name": "dataplane", "duration_s": 10,
    "kube_proxy": {"mode": "ipvs", "ipvs_scheduler": "lc"},
    "clients": [
      {"name": "direct", "target": "pod/solo", "arrival": {"rate_rps": 1}},
      {"name": "l4", "target": "resnet", "arrival": {"rate_rps": 1}, "channel": {"connections": 3, "tls": true}},
      {"name": "l7", "target": "proxy/envoy", "arrival": {"rate_rps": 1}}
    ],
    "pods": [{"name": "solo", "labels": {"app": "other"}, "server": {"service_time": {"mean_ms": 5}}}],
    "deployments": [{"name": "resnet", "replicas": 3,
      "server": {"service_time": {"mean_ms": 2}, "grpc": {"max_connection_age_s": 30, "max_concurrent_streams": 100}}}],
    "services": [{"name": "resnet", "selector": {"app": "resnet"}}, {"name": "headless", "selector": {"app": "resnet"}, "clusterIP": "None"}],
    "proxies": [{"name": "envoy", "upstream_service": "resnet", "lb_policy": "LEAST_REQUEST",
                 "circuit_breakers": {"max_pending_requests": 10}, "replicas": 2, "eds_delay_ms": 50,
                 "retry_policy": {"retry_back_off": {"base_interval_ms": 10}}, "outlier_detection": {"consecutive_5xx": 3}},
                {"name": "ingress", "upstream_proxy": "envoy", "lb_policy": "ENDPOINT_PICKER", "metrics_refresh_ms": 200}]})";
  const ScenarioConfig config = load(text);
  REQUIRE(config.pods.size() == 4);  // the bare pod, then resnet-0..2
  CHECK(config.pods[1].name == "resnet-0");
  CHECK(config.pods[3].labels.at("app") == "resnet");
  CHECK(config.pods[2].grpc.max_connection_age_s == 30);
  CHECK(config.pods[0].grpc.max_connection_age_s == kubemind::net::kInfinite);
  CHECK(config.clients[0].target == "pod/solo");
  CHECK(!config.clients[0].channel);
  CHECK(config.clients[1].target == "service/resnet");  // a bare name that names one object
  CHECK(config.clients[1].channel->connections_per_address == 3);
  CHECK(config.clients[1].channel->connection.tls);
  CHECK(config.services[1].headless);
  CHECK(config.proxies[0].proxy.circuit_breakers.max_pending_requests == 10);
  CHECK(config.proxies[0].proxy.circuit_breakers.max_requests == 1024);  // Envoy's default fills in
  CHECK(config.kube_proxy.mode == kubemind::balance::ProxyMode::kIpvs);
  CHECK(config.proxies[0].replicas == 2);
  CHECK(config.proxies[0].proxy.eds_delay_ms == 50);
  CHECK(config.proxies[0].proxy.retry_policy.num_retries == 1);  // Envoy: a retry policy retries once by default
  CHECK(config.proxies[0].proxy.retry_policy.base_interval_ms == 10);
  CHECK(config.proxies[0].proxy.outlier_detection.enabled);
  CHECK(config.proxies[0].proxy.outlier_detection.consecutive_5xx == 3);
  CHECK(config.proxies[0].proxy.outlier_detection.interval_ms == 10000);  // the default fills in
  CHECK(config.proxies[1].upstream_proxy == "envoy");
  CHECK(config.proxies[1].metrics_refresh_ms == 200);
  const std::string echo = kubemind::scenario::resolved_config_json(config);
  CHECK(kubemind::scenario::resolved_config_json(load(echo)) == echo);
}

TEST_CASE("a target that names two objects must say which", "[scenario]") {
  const std::string text = R"({"kubemind": "v1", "name": "x", "duration_s": 10,
    "clients": [{"name": "c", "target": "web", "arrival": {"rate_rps": 1}}],
    "deployments": [{"name": "web", "server": {"service_time": {"mean_ms": 2}}}],
    "pods": [{"name": "web", "server": {"service_time": {"mean_ms": 2}}}],
    "services": [{"name": "web", "selector": {"app": "web"}}]})";
  try {
    load(text);
    FAIL("no error");
  } catch (const kubemind::scenario::ScenarioError& e) {
    CHECK_THAT(e.what(), Catch::Contains("/clients/0/target: expected one object; say which with kind/name, one of "
                                         "[\"pod/web\",\"service/web\"], got \"web\""));
  }
}

// --- Cluster: pod template, rollout strategy, node pools -------------------------------------------

namespace {

using kubemind::cluster::DrainMode;
using kubemind::cluster::Duration;
using kubemind::cluster::NodeSelectorRequirement;
using kubemind::cluster::PodSpec;
using kubemind::cluster::ScoringStrategy;
using kubemind::cluster::TaintEffect;
using kubemind::cluster::Toleration;
using kubemind::cluster::TopologySpreadConstraint;
using kubemind::cluster::WeightLoad;

/// A Deployment and a bare pod with full pod blocks, and a cluster section with every field set.
const std::string kCluster = R"({"kubemind": "v1", "name": "cluster", "duration_s": 10,
  "clients": [{"name": "c", "target": "llm-0", "arrival": {"rate_rps": 1}}],
  "pods": [{"name": "solo", "server": {"service_time": {"mean_ms": 5},
              "resources": {"requests": {"memory": 1000000000}, "limits": {"nvidia.com/gpu": 2}}},
            "pod": {"readinessProbe": null, "nodeSelector": {"disk": "ssd"}}}],
  "deployments": [{"name": "llm", "replicas": 2,
    "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": "0%"}},
    "server": {"model": "bert-base-t4",
               "resources": {"requests": {"cpu": "500m", "memory": "16Gi", "nvidia.com/gpu": 1},
                             "limits": {"nvidia.com/gpu": 1}}},
    "pod": {"priority": 1000,
            "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"},
                            {"key": "team", "value": "ml"}],
            "nodeSelector": {"pool": "gpu", "disk": "ssd"},
            "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
              {"matchExpressions": [{"key": "topology.kubernetes.io/zone", "operator": "In", "values": ["zone-a", "zone-b"]}]},
              {"matchExpressions": [{"key": "spot", "operator": "DoesNotExist"}]}]}}},
            "topologySpreadConstraints": [{"maxSkew": 2, "topologyKey": "kubernetes.io/hostname",
                                           "whenUnsatisfiable": "ScheduleAnyway"}],
            "readinessProbe": {"initialDelaySeconds": 5, "periodSeconds": 3, "successThreshold": 2},
            "terminationGracePeriodSeconds": 90,
            "lifecycle": {"preStop": {"sleep": {"seconds": 15}}},
            "image": {"name": "vllm/vllm-openai:v0.6.3", "size_gb": 8.5},
            "container_start_s": 1.25,
            "weights": {"size_gb": 2, "load_gb_per_s": 1, "load": "init_container"},
            "warm_up_s": 20,
            "drain": "full_grace_period"}}],
  "cluster": {
    "node_pools": [
      {"name": "gpu", "zone": "zone-b", "gpu_type": "NVIDIA-A100-SXM4-80GB", "gpus": 8, "cpu": "15500m",
       "memory": "1.5Gi", "taints": [{"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}],
       "labels": {"pool": "gpu", "disk": "ssd"}, "spot": true, "hourly_price_usd": 32.77, "initial_nodes": 1,
       "min_nodes": 1, "max_nodes": 4, "provision_delay_s": 300, "image_pull_mb_per_s": 250,
       "cached_images": ["vllm/vllm-openai:v0.6.3"], "spot_notice_s": 30},
      {"name": "cpu", "cpu": 96, "memory": "512Mi", "initial_nodes": 2}
    ],
    "autoscaler": {"enabled": false, "scan_interval_s": 5, "new_pod_scale_up_delay_s": 2, "scale_down_enabled": false,
                   "scale_down_unneeded_time_s": 120, "scale_down_delay_after_add_s": 60,
                   "scale_down_utilization_threshold": 0.25, "scale_down_gpu_utilization_threshold": 0.75,
                   "max_graceful_termination_s": 45},
    "scoring": "MostAllocated",
    "scheduling_latency_ms": 20,
    "endpoint_publish_delay_ms": 250,
    "serialize_image_pulls": false,
    "spot_interruptions": [{"pool": "gpu", "node": 3, "at_s": 7.5}]
  }
})";

void check_default_pod(const PodSpec& p) {
  CHECK(p.priority == 0);
  CHECK(p.tolerations.empty());
  CHECK(p.required_node_affinity.empty());
  CHECK(p.topology_spread.empty());
  CHECK(p.has_readiness_probe);                          // absent: a probe with the API defaults
  CHECK(p.readiness_probe.initial_delay_seconds == 0);   // core/v1 Probe defaults
  CHECK(p.readiness_probe.period_seconds == 10);
  CHECK(p.readiness_probe.success_threshold == 1);
  CHECK(p.termination_grace_period == Duration::seconds(30));  // terminationGracePeriodSeconds 30
  CHECK(p.pre_stop_sleep == Duration{});
  CHECK(p.image_size_bytes == 0);
  CHECK(p.container_start == Duration::milliseconds(500));
  CHECK(p.weight_load_bandwidth_bytes_per_s == 1e9);
  CHECK(p.weight_load == WeightLoad::kInProcess);
  CHECK(p.warm_up == Duration{});
  CHECK(p.drain == DrainMode::kUntilIdle);
}

}  // namespace

TEST_CASE("without cluster, strategy or pod blocks, Kubernetes' defaults fill in", "[scenario]") {
  const ScenarioConfig minimal = load(kMinimal);
  CHECK(minimal.cluster.unlimited);
  CHECK(minimal.cluster.cluster.pools.empty());
  CHECK(minimal.cluster.spot_interruptions.empty());
  const PodSpec& bare = minimal.pods[0].pod;
  CHECK(bare.app == "gpu-0");  // a bare pod is its own app
  CHECK(bare.requests.cpu_millicores == 1000);  // the server's default request of 1 core
  CHECK(bare.requests.memory_bytes == 0);
  CHECK(bare.requests.gpus == 0);
  CHECK(bare.image == "inference-server");
  CHECK(bare.weights_bytes == 0);
  check_default_pod(bare);

  const ScenarioConfig deployment = load(R"({"kubemind": "v1", "name": "d", "duration_s": 10,
    "clients": [{"name": "c", "target": "web-0", "arrival": {"rate_rps": 1}}],
    "deployments": [{"name": "web", "replicas": 2, "server": {"model": "bert-base-t4"}}],
    "cluster": {"node_pools": [{"name": "pool"}]}})");
  const auto& d = deployment.deployments[0];
  CHECK(d.max_surge.value == 25);  // apps/v1 RollingUpdateDeployment defaults 25% / 25%
  CHECK(d.max_surge.percent);
  CHECK(d.max_unavailable.value == 25);
  CHECK(d.max_unavailable.percent);
  CHECK(d.pod.app == "web");
  CHECK(d.pod.image == "bert-base-t4");        // the model's name
  CHECK(d.pod.weights_bytes == 220'000'000);   // bert-base-t4.json weights_gb 0.22
  check_default_pod(d.pod);
  REQUIRE(deployment.pods.size() == 2);
  CHECK(deployment.pods[1].pod.app == "web");  // every replica carries the template
  CHECK(deployment.pods[1].pod.weights_bytes == 220'000'000);

  const auto& cluster = deployment.cluster;
  CHECK_FALSE(cluster.unlimited);
  REQUIRE(cluster.cluster.pools.size() == 1);
  const auto& pool = cluster.cluster.pools[0];
  CHECK(pool.name == "pool");
  CHECK(pool.zone == "zone-a");
  CHECK(pool.gpu_type.empty());
  CHECK(pool.gpu_count == 0);
  CHECK(pool.allocatable_cpu_millicores == 8000);            // "8"
  CHECK(pool.allocatable_memory_bytes == 34'359'738'368);    // "32Gi" = 32 x 2^30
  CHECK(pool.taints.empty());
  CHECK(pool.labels.empty());
  CHECK_FALSE(pool.spot);
  CHECK(pool.hourly_price_usd == 0.0);
  CHECK(pool.initial_nodes == 0);
  CHECK(pool.min_nodes == 0);
  CHECK(pool.max_nodes == 0);  // = initial_nodes
  CHECK(pool.provision_delay == Duration::seconds(240));
  CHECK(pool.image_pull_bandwidth_bytes_per_s == 100e6);
  CHECK(pool.cached_images.empty());
  CHECK(pool.spot_notice == Duration::seconds(120));
  const auto& ca = cluster.cluster.autoscaler;  // cluster-autoscaler FAQ defaults
  CHECK(ca.enabled);
  CHECK(ca.scan_interval == Duration::seconds(10));
  CHECK(ca.new_pod_scale_up_delay == Duration{});
  CHECK(ca.scale_down_enabled);
  CHECK(ca.scale_down_unneeded_time == Duration::seconds(600));
  CHECK(ca.scale_down_delay_after_add == Duration::seconds(600));
  CHECK(ca.scale_down_utilization_threshold == 0.5);
  CHECK(ca.scale_down_gpu_utilization_threshold == 0.5);
  CHECK(ca.max_graceful_termination == Duration::seconds(600));
  CHECK(cluster.cluster.scoring == ScoringStrategy::kLeastAllocated);
  CHECK(cluster.cluster.scheduling_latency == Duration::milliseconds(50));
  CHECK(cluster.cluster.endpoint_publish_delay == Duration::milliseconds(100));
  CHECK(cluster.cluster.serialize_image_pulls);
}

TEST_CASE("a full cluster section and pod blocks read into exactly the values written", "[scenario]") {
  const ScenarioConfig config = load(kCluster);
  const auto& d = config.deployments[0];
  CHECK(d.max_surge.value == 1);
  CHECK_FALSE(d.max_surge.percent);
  CHECK(d.max_unavailable.value == 0);
  CHECK(d.max_unavailable.percent);
  CHECK(d.server.cpu.request_cores == 0.5);
  const PodSpec& p = d.pod;
  CHECK(p.app == "llm");
  CHECK(p.requests.cpu_millicores == 500);             // "500m"
  CHECK(p.requests.memory_bytes == 17'179'869'184);    // "16Gi" = 16 x 2^30
  CHECK(p.requests.gpus == 1);
  CHECK(p.priority == 1000);
  REQUIRE(p.tolerations.size() == 2);
  CHECK(p.tolerations[0].key == "nvidia.com/gpu");
  CHECK(p.tolerations[0].op == Toleration::Operator::kExists);
  CHECK_FALSE(p.tolerations[0].any_effect);
  CHECK(p.tolerations[0].effect == TaintEffect::kNoSchedule);
  CHECK(p.tolerations[1].op == Toleration::Operator::kEqual);  // the default operator
  CHECK(p.tolerations[1].value == "ml");
  CHECK(p.tolerations[1].any_effect);  // no effect: matches every effect
  // nodeSelector's pairs (in key order) join each of the two terms.
  using Op = NodeSelectorRequirement::Operator;
  REQUIRE(p.required_node_affinity.size() == 2);
  const auto& t0 = p.required_node_affinity[0];
  REQUIRE(t0.size() == 3);
  CHECK(t0[0].key == "topology.kubernetes.io/zone");
  CHECK(t0[0].op == Op::kIn);
  CHECK(t0[0].values == std::vector<std::string>{"zone-a", "zone-b"});
  CHECK(t0[1].key == "disk");
  CHECK(t0[1].values == std::vector<std::string>{"ssd"});
  CHECK(t0[2].key == "pool");
  CHECK(t0[2].op == Op::kIn);
  const auto& t1 = p.required_node_affinity[1];
  REQUIRE(t1.size() == 3);
  CHECK(t1[0].key == "spot");
  CHECK(t1[0].op == Op::kDoesNotExist);
  CHECK(t1[0].values.empty());
  REQUIRE(p.topology_spread.size() == 1);
  CHECK(p.topology_spread[0].max_skew == 2);
  CHECK(p.topology_spread[0].topology_key == "kubernetes.io/hostname");
  CHECK(p.topology_spread[0].when_unsatisfiable == TopologySpreadConstraint::WhenUnsatisfiable::kScheduleAnyway);
  CHECK(p.has_readiness_probe);
  CHECK(p.readiness_probe.initial_delay_seconds == 5);
  CHECK(p.readiness_probe.period_seconds == 3);
  CHECK(p.readiness_probe.success_threshold == 2);
  CHECK(p.termination_grace_period == Duration::seconds(90));
  CHECK(p.pre_stop_sleep == Duration::seconds(15));
  CHECK(p.image == "vllm/vllm-openai:v0.6.3");
  CHECK(p.image_size_bytes == 8'500'000'000);  // 8.5 GB
  CHECK(p.container_start == Duration::milliseconds(1250));
  CHECK(p.weights_bytes == 2'000'000'000);     // 2 GB (replaces the profile's 0.22 GB)...
  CHECK(p.weight_load_bandwidth_bytes_per_s == 1e9);  // ...at 1 GB/s: a 2 s load
  CHECK(p.weight_load == WeightLoad::kInitContainer);
  CHECK(p.warm_up == Duration::seconds(20));
  CHECK(p.drain == DrainMode::kFullGracePeriod);
  REQUIRE(config.pods.size() == 3);
  CHECK(config.pods[2].name == "llm-1");
  CHECK(config.pods[2].pod.requests.memory_bytes == 17'179'869'184);
  CHECK(config.pods[2].pod.image == "vllm/vllm-openai:v0.6.3");

  const PodSpec& solo = config.pods[0].pod;
  CHECK(solo.app == "solo");
  CHECK(solo.requests.memory_bytes == 1'000'000'000);  // a plain number of bytes
  CHECK(solo.requests.gpus == 2);                      // a limit alone sets the request
  CHECK_FALSE(solo.has_readiness_probe);               // readinessProbe: null
  REQUIRE(solo.required_node_affinity.size() == 1);    // nodeSelector alone: one term
  REQUIRE(solo.required_node_affinity[0].size() == 1);
  CHECK(solo.required_node_affinity[0][0].key == "disk");
  CHECK(solo.required_node_affinity[0][0].values == std::vector<std::string>{"ssd"});

  const auto& c = config.cluster;
  CHECK_FALSE(c.unlimited);
  REQUIRE(c.cluster.pools.size() == 2);
  const auto& gpu = c.cluster.pools[0];
  CHECK(gpu.zone == "zone-b");
  CHECK(gpu.gpu_type == "NVIDIA-A100-SXM4-80GB");
  CHECK(gpu.gpu_count == 8);
  CHECK(gpu.allocatable_cpu_millicores == 15'500);
  CHECK(gpu.allocatable_memory_bytes == 1'610'612'736);  // 1.5 x 2^30
  REQUIRE(gpu.taints.size() == 1);
  CHECK(gpu.taints[0].key == "nvidia.com/gpu");
  CHECK(gpu.taints[0].value == "present");
  CHECK(gpu.taints[0].effect == TaintEffect::kNoSchedule);
  CHECK(gpu.labels == std::vector<kubemind::cluster::Label>{{"disk", "ssd"}, {"pool", "gpu"}});
  CHECK(gpu.spot);
  CHECK(gpu.hourly_price_usd == 32.77);
  CHECK(gpu.initial_nodes == 1);
  CHECK(gpu.min_nodes == 1);
  CHECK(gpu.max_nodes == 4);
  CHECK(gpu.provision_delay == Duration::seconds(300));
  CHECK(gpu.image_pull_bandwidth_bytes_per_s == 250e6);
  CHECK(gpu.cached_images == std::vector<std::string>{"vllm/vllm-openai:v0.6.3"});
  CHECK(gpu.spot_notice == Duration::seconds(30));
  const auto& cpu = c.cluster.pools[1];
  CHECK(cpu.allocatable_cpu_millicores == 96'000);
  CHECK(cpu.allocatable_memory_bytes == 536'870'912);  // 512 x 2^20
  CHECK(cpu.max_nodes == 2);                           // = initial_nodes
  const auto& ca = c.cluster.autoscaler;
  CHECK_FALSE(ca.enabled);
  CHECK(ca.scan_interval == Duration::seconds(5));
  CHECK(ca.new_pod_scale_up_delay == Duration::seconds(2));
  CHECK_FALSE(ca.scale_down_enabled);
  CHECK(ca.scale_down_unneeded_time == Duration::seconds(120));
  CHECK(ca.scale_down_delay_after_add == Duration::seconds(60));
  CHECK(ca.scale_down_utilization_threshold == 0.25);
  CHECK(ca.scale_down_gpu_utilization_threshold == 0.75);
  CHECK(ca.max_graceful_termination == Duration::seconds(45));
  CHECK(c.cluster.scoring == ScoringStrategy::kMostAllocated);
  CHECK(c.cluster.scheduling_latency == Duration::milliseconds(20));
  CHECK(c.cluster.endpoint_publish_delay == Duration::milliseconds(250));
  CHECK_FALSE(c.cluster.serialize_image_pulls);
  REQUIRE(c.spot_interruptions.size() == 1);
  CHECK(c.spot_interruptions[0].pool == "gpu");
  CHECK(c.spot_interruptions[0].node_index == 3);
  CHECK(c.spot_interruptions[0].at_s == 7.5);
}

TEST_CASE("memory quantities read as Kubernetes reads them", "[scenario]") {
  const auto memory = [](const std::string& quantity) {
    std::string text = kMinimal;
    const std::string from = "{\"service_time\"";
    text.replace(text.find(from), from.size(), "{\"resources\": {\"requests\": {\"memory\": " + quantity + "}}, \"service_time\"");
    return load(text).pods[0].pod.requests.memory_bytes;
  };
  CHECK(memory("\"16Gi\"") == 17'179'869'184);  // 16 x 2^30
  CHECK(memory("\"512Mi\"") == 536'870'912);    // 512 x 2^20
  CHECK(memory("\"1G\"") == 1'000'000'000);
  CHECK(memory("\"128k\"") == 128'000);
  CHECK(memory("\"1Ki\"") == 1024);
  CHECK(memory("\"5e3\"") == 5000);
  CHECK(memory("\"0.5Ki\"") == 512);
  CHECK(memory("\"1.5\"") == 2);  // a fraction of a byte rounds up (Quantity.Value())
  CHECK(memory("123") == 123);
}

TEST_CASE("a cluster section and pod blocks echo back to the same config", "[scenario]") {
  const ScenarioConfig first = load(kCluster);
  const std::string echo = kubemind::scenario::resolved_config_json(first);
  INFO(echo);
  const ScenarioConfig second = load(echo);
  CHECK(kubemind::scenario::resolved_config_json(second) == echo);
  CHECK(second.deployments[0].pod.required_node_affinity.size() == 2);  // nodeSelector folded in, not doubled
  CHECK(second.deployments[0].pod.required_node_affinity[0].size() == 3);
  CHECK(second.pods[0].pod.requests.gpus == 2);
  CHECK_FALSE(second.pods[0].pod.has_readiness_probe);
  CHECK(second.cluster.cluster.pools[0].allocatable_memory_bytes == 1'610'612'736);
  CHECK(second.cluster.cluster.pools[1].allocatable_cpu_millicores == 96'000);
  CHECK(second.deployments[0].pod.image_size_bytes == 8'500'000'000);
  CHECK(second.deployments[0].max_unavailable.percent);
  CHECK(second.cluster.spot_interruptions[0].at_s == 7.5);
}

TEST_CASE("a pod that fits no node pool loads: staying Pending is an outcome, not an error", "[scenario]") {
  const ScenarioConfig config = load(R"({"kubemind": "v1", "name": "pending", "duration_s": 10,
    "clients": [{"name": "c", "target": "big", "arrival": {"rate_rps": 1}}],
    "pods": [{"name": "big", "server": {"service_time": {"mean_ms": 5},
              "resources": {"requests": {"cpu": 64, "memory": "1Ti", "nvidia.com/gpu": 8}}}}],
    "cluster": {"node_pools": [{"name": "small", "initial_nodes": 1}]}})");
  CHECK(config.pods[0].pod.requests.cpu_millicores == 64'000);
  CHECK(config.pods[0].pod.requests.memory_bytes == 1'099'511'627'776);  // 2^40
  CHECK(config.pods[0].pod.requests.gpus == 8);
  CHECK(config.cluster.cluster.pools[0].gpu_count == 0);
}
