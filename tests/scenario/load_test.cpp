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
  const std::string echo = kubemind::scenario::resolved_config_json(load(kMinimal));
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
            "cpu": 1.0
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
