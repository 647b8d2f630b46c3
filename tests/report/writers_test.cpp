// SPDX-License-Identifier: MIT
// The report writers: JSON checked by parsing it back with an independent parser (nlohmann), the
// text and CSV by content, and the file writer against the string writers and a blocked directory.

#include "sim/report/writers.h"

#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace kubemind::report {
namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

constexpr char kConfigJson[] = R"({
  "schema_version": 1,
  "name": "two-pods",
  "pods": [
    {
      "replicas": 2
    }
  ],
  "slo": {
    "latency_ms": 50.0
  }
})";

RunReport sample_report() {
  RunReport r;
  r.scenario = {"two-pods", std::numeric_limits<uint64_t>::max(), 60.0, 5.5};
  r.config_json = kConfigJson;
  r.sli.requests = {1200, 1190, 6, 4, {{"timeout", 2}, {"overload", 4}}};
  r.sli.latency_ms = {12.25, 0.1, 1.0 / 3.0, 20.0, 41.123456789012345, 80.5, 123456.789};
  r.sli.wait_ms = {1e-300, 5.678, 0.2345};
  r.sli.throughput_rps = 21.636363636363637;
  r.sli.slo = {50.0, 0.987654321};
  r.pods.resize(2);
  r.pods[0].name = "pod-a";
  r.pods[0].requests = 700;
  r.pods[0].share = 700.0 / 1196.0;
  r.pods[0].mean_queue_depth = 0.125;
  r.pods[0].utilization = 0.5;
  r.pods[0].connections = 1;
  r.pods[0].cpu_utilization = 0.25;
  r.pods[0].mean_batch_size = 1.5;
  r.pods[0].batch_size_counts = {0, 2, 1};
  r.pods[1].name = "pod-with-a-long-name";
  r.pods[1].requests = 496;
  r.pods[1].share = 496.0 / 1196.0;
  r.pods[1].mean_queue_depth = 2.0 / 7.0;
  r.pods[1].utilization = 0.0625;
  r.timeseries.interval_s = 1.0;
  r.timeseries.time_s = {1, 2, 3};
  r.timeseries.rps = {20, 21.5, 19};
  r.timeseries.completed_rps = {0, 20, 19.25};
  r.timeseries.latency_mean_ms = {0, 11.1, 12.2};
  r.timeseries.latency_p99_ms = {0, 30.03, 40.04};
  r.timeseries.queue_depth_total = {0.5, 1.75, 0.1};
  r.timeseries.in_system_total = {1.5, 2.75, 1.1};
  r.engine.events = 98765;
  return r;
}

std::vector<std::string> keys_of(const ordered_json& object) {
  std::vector<std::string> keys;
  for (const auto& item : object.items()) keys.push_back(item.key());
  return keys;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::set<std::string> names_in(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.insert(entry.path().filename().string());
  return names;
}

/// A fresh directory under the system temp directory, removed with everything in it at scope exit.
struct ScratchDir {
  explicit ScratchDir(const std::string& tag)
      : path(fs::temp_directory_path() / fmt::format("kubemind-report-test-{}-{}", ::getpid(), tag)) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~ScratchDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  fs::path path;
};

TEST_CASE("the JSON report keeps the member order of run_report.h", "[report][json]") {
  const ordered_json j = ordered_json::parse(to_json(sample_report()));
  CHECK(keys_of(j) == std::vector<std::string>{"scenario", "config", "sli", "pods", "proxies", "timeseries", "cluster",
                                               "autoscaling", "findings", "engine"});
  CHECK(keys_of(j["scenario"]) == std::vector<std::string>{"name", "seed", "duration_s", "warmup_s"});
  CHECK(keys_of(j["sli"]) ==
        std::vector<std::string>{"requests", "latency_ms", "wait_ms", "throughput_rps", "served_rps", "slo",
                                 "imbalance"});
  CHECK(keys_of(j["sli"]["imbalance"]) ==
        std::vector<std::string>{"max_over_mean", "cv", "top_share", "pods_serving"});
  CHECK(keys_of(j["sli"]["requests"]) ==
        std::vector<std::string>{"sent", "completed", "failed", "unfinished", "failed_by_reason"});
  CHECK(keys_of(j["sli"]["requests"]["failed_by_reason"]) == std::vector<std::string>{"overload", "timeout"});
  CHECK(keys_of(j["sli"]["latency_ms"]) ==
        std::vector<std::string>{"mean", "p50", "p90", "p95", "p99", "p999", "max"});
  CHECK(keys_of(j["sli"]["wait_ms"]) == std::vector<std::string>{"mean", "p99", "waited_fraction"});
  CHECK(keys_of(j["sli"]["slo"]) == std::vector<std::string>{"target_ms", "attainment"});
  CHECK(keys_of(j["pods"][0]) ==
        std::vector<std::string>{"name", "deployment", "node", "created_s", "ready_s", "gone_s", "cold_start",
                                 "requests", "share", "mean_queue_depth", "utilization", "connections",
                                 "cpu_utilization", "mean_batch_size", "batch_size_counts", "max_queue_depth",
                                 "degraded_requests"});
  CHECK(keys_of(j["timeseries"]) ==
        std::vector<std::string>{"interval_s", "time_s", "rps", "completed_rps", "latency_mean_ms",
                                 "latency_p99_ms", "queue_depth_total", "in_system_total", "pod_rps"});
  CHECK(keys_of(j["engine"]) == std::vector<std::string>{"events"});
}

TEST_CASE("every number in the JSON report reads back exactly", "[report][json]") {
  const RunReport r = sample_report();
  const ordered_json j = ordered_json::parse(to_json(r));
  CHECK(j["scenario"]["name"] == "two-pods");
  CHECK(j["scenario"]["seed"].get<uint64_t>() == std::numeric_limits<uint64_t>::max());
  CHECK(j["scenario"]["duration_s"].get<double>() == 60.0);
  CHECK(j["scenario"]["warmup_s"].get<double>() == 5.5);

  const ordered_json& sli = j["sli"];
  CHECK(sli["requests"]["sent"].get<uint64_t>() == 1200);
  CHECK(sli["requests"]["completed"].get<uint64_t>() == 1190);
  CHECK(sli["requests"]["failed"].get<uint64_t>() == 6);
  CHECK(sli["requests"]["unfinished"].get<uint64_t>() == 4);
  CHECK(sli["requests"]["failed_by_reason"]["timeout"].get<uint64_t>() == 2);
  const LatencySummary& l = r.sli.latency_ms;
  CHECK(sli["latency_ms"]["mean"].get<double>() == l.mean);
  CHECK(sli["latency_ms"]["p50"].get<double>() == l.p50);
  CHECK(sli["latency_ms"]["p90"].get<double>() == l.p90);
  CHECK(sli["latency_ms"]["p95"].get<double>() == l.p95);
  CHECK(sli["latency_ms"]["p99"].get<double>() == l.p99);
  CHECK(sli["latency_ms"]["p999"].get<double>() == l.p999);
  CHECK(sli["latency_ms"]["max"].get<double>() == l.max);
  CHECK(sli["wait_ms"]["mean"].get<double>() == 1e-300);
  CHECK(sli["wait_ms"]["p99"].get<double>() == r.sli.wait_ms.p99);
  CHECK(sli["wait_ms"]["waited_fraction"].get<double>() == r.sli.wait_ms.waited_fraction);
  CHECK(sli["throughput_rps"].get<double>() == r.sli.throughput_rps);
  CHECK(sli["slo"]["target_ms"].get<double>() == 50.0);
  CHECK(sli["slo"]["attainment"].get<double>() == *r.sli.slo.attainment);

  REQUIRE(j["pods"].size() == 2);
  for (size_t i = 0; i < r.pods.size(); ++i) {
    const ordered_json& p = j["pods"][i];
    CHECK(p["name"] == r.pods[i].name);
    CHECK(p["requests"].get<uint64_t>() == r.pods[i].requests);
    CHECK(p["share"].get<double>() == r.pods[i].share);
    CHECK(p["mean_queue_depth"].get<double>() == r.pods[i].mean_queue_depth);
    CHECK(p["utilization"].get<double>() == r.pods[i].utilization);
  }

  const ordered_json& t = j["timeseries"];
  CHECK(t["interval_s"].get<double>() == 1.0);
  CHECK(t["time_s"].get<std::vector<double>>() == r.timeseries.time_s);
  CHECK(t["rps"].get<std::vector<double>>() == r.timeseries.rps);
  CHECK(t["completed_rps"].get<std::vector<double>>() == r.timeseries.completed_rps);
  CHECK(t["latency_mean_ms"].get<std::vector<double>>() == r.timeseries.latency_mean_ms);
  CHECK(t["latency_p99_ms"].get<std::vector<double>>() == r.timeseries.latency_p99_ms);
  CHECK(t["queue_depth_total"].get<std::vector<double>>() == r.timeseries.queue_depth_total);
  CHECK(t["in_system_total"].get<std::vector<double>>() == r.timeseries.in_system_total);
  CHECK(j["engine"]["events"].get<uint64_t>() == 98765);
}

TEST_CASE("non-finite numbers and absent optionals are written as null", "[report][json]") {
  RunReport r = sample_report();
  r.sli.latency_ms.mean = std::numeric_limits<double>::quiet_NaN();
  r.sli.latency_ms.max = std::numeric_limits<double>::infinity();
  r.sli.throughput_rps = -std::numeric_limits<double>::infinity();
  r.sli.slo = {};
  r.timeseries.latency_p99_ms = {1.0, std::nan(""), -std::nan("")};
  const ordered_json j = ordered_json::parse(to_json(r));
  CHECK(j["sli"]["latency_ms"]["mean"].is_null());
  CHECK(j["sli"]["latency_ms"]["max"].is_null());
  CHECK(j["sli"]["throughput_rps"].is_null());
  CHECK(j["sli"]["slo"]["target_ms"].is_null());
  CHECK(j["sli"]["slo"]["attainment"].is_null());
  CHECK(j["timeseries"]["latency_p99_ms"] == ordered_json::parse("[1, null, null]"));

  SECTION("a target without an attainment") {
    r.sli.slo.target_ms = 20.0;
    const ordered_json k = ordered_json::parse(to_json(r));
    CHECK(k["sli"]["slo"]["target_ms"].get<double>() == 20.0);
    CHECK(k["sli"]["slo"]["attainment"].is_null());
  }
}

TEST_CASE("strings are JSON-escaped", "[report][json]") {
  RunReport r = sample_report();
  const std::string nasty = "a \"quoted\" back\\slash\nnew line\x01\x1f\ttab caf\xc3\xa9";
  r.scenario.name = nasty;
  r.pods[0].name = nasty;
  r.sli.requests.failed_by_reason = {{nasty, 3}};
  const std::string text = to_json(r);
  const ordered_json j = ordered_json::parse(text);
  CHECK(j["scenario"]["name"] == nasty);
  CHECK(j["pods"][0]["name"] == nasty);
  CHECK(j["sli"]["requests"]["failed_by_reason"][nasty].get<uint64_t>() == 3);
  CHECK(text.find(R"("a \"quoted\" back\\slash\nnew line\u0001\u001f\ttab café")") != std::string::npos);
  // No raw control character survives anywhere except the structural newlines.
  for (const char c : text) CHECK((static_cast<unsigned char>(c) >= 0x20 || c == '\n'));
}

TEST_CASE("the resolved config is embedded verbatim and re-indented", "[report][json]") {
  RunReport r = sample_report();
  const std::string text = to_json(r);
  const ordered_json j = ordered_json::parse(text);
  CHECK(j["config"] == ordered_json::parse(kConfigJson));
  CHECK(j["config"].dump(2) == ordered_json::parse(kConfigJson).dump(2));  // order kept too
  // One level deeper: 2 more spaces on each continuation line.
  CHECK(text.find("  \"config\": {\n    \"schema_version\": 1,\n    \"name\": \"two-pods\",\n"
                  "    \"pods\": [\n      {\n        \"replicas\": 2\n      }\n    ],\n") != std::string::npos);
  CHECK(text.find("\n      \"latency_ms\": 50.0\n    }\n  },\n  \"sli\": {\n") != std::string::npos);

  SECTION("trailing newlines are dropped") {
    r.config_json = std::string(kConfigJson) + "\n\n";
    CHECK(to_json(r) == text);
  }
  SECTION("an empty config is null") {
    r.config_json.clear();
    CHECK(ordered_json::parse(to_json(r))["config"].is_null());
  }
}

TEST_CASE("the JSON layout is fixed: 2-space indent, number arrays on one line", "[report][json]") {
  RunReport r;
  r.scenario = {"s", 7, 2.0, 0.5};
  r.config_json = "{\n  \"seed\": 7\n}";
  r.sli.requests.sent = 3;
  r.sli.slo.target_ms = 10.0;
  r.timeseries.interval_s = 1.0;
  r.timeseries.time_s = {1, 2};
  r.timeseries.rps = {1.5, 1};
  r.timeseries.completed_rps = {1, 0};
  r.timeseries.latency_mean_ms = {2.25, 0};
  r.timeseries.latency_p99_ms = {3, 0};
  r.timeseries.queue_depth_total = {0, 0};
  r.timeseries.in_system_total = {0.5, 0};
  r.timeseries.pod_names = {"p"};
  r.timeseries.pod_rps = {{1, 0}};
  r.engine.events = 42;
  const std::string expected = R"({
  "scenario": {
    "name": "s",
    "seed": 7,
    "duration_s": 2,
    "warmup_s": 0.5
  },
  "config": {
    "seed": 7
  },
  "sli": {
    "requests": {
      "sent": 3,
      "completed": 0,
      "failed": 0,
      "unfinished": 0,
      "failed_by_reason": {}
    },
    "latency_ms": {
      "mean": 0,
      "p50": 0,
      "p90": 0,
      "p95": 0,
      "p99": 0,
      "p999": 0,
      "max": 0
    },
    "wait_ms": {
      "mean": 0,
      "p99": 0,
      "waited_fraction": 0
    },
    "throughput_rps": 0,
    "served_rps": 0,
    "slo": {
      "target_ms": 10,
      "attainment": null
    },
    "imbalance": {
      "max_over_mean": 0,
      "cv": 0,
      "top_share": 0,
      "pods_serving": 0
    }
  },
  "pods": [],
  "proxies": [],
  "timeseries": {
    "interval_s": 1,
    "time_s": [1, 2],
    "rps": [1.5, 1],
    "completed_rps": [1, 0],
    "latency_mean_ms": [2.25, 0],
    "latency_p99_ms": [3, 0],
    "queue_depth_total": [0, 0],
    "in_system_total": [0.5, 0],
    "pod_rps": {
      "p": [1, 0]
    }
  },
  "cluster": {
    "unlimited": true,
    "pools": [],
    "gpu_hours": 0,
    "cost_usd": 0,
    "pods_created": 0,
    "nodes_provisioned": 0,
    "nodes_scaled_down": 0,
    "spot_interruptions": 0,
    "preemptions": 0,
    "nodes_failed": 0,
    "pods_evicted_unreachable": 0,
    "quota_rejections": 0,
    "quotas": [],
    "node_failures": []
  },
  "autoscaling": {
    "events": [],
    "traces": []
  },
  "findings": [],
  "engine": {
    "events": 42
  }
}
)";
  CHECK(to_json(r) == expected);
}

TEST_CASE("the same report gives byte-identical output", "[report][json][text][csv]") {
  const RunReport a = sample_report();
  const RunReport b = sample_report();
  CHECK(to_json(a) == to_json(b));
  CHECK(to_text(a) == to_text(b));
  CHECK(to_csv(a.timeseries) == to_csv(b.timeseries));
  const std::string json = to_json(a);
  REQUIRE(!json.empty());
  CHECK(json.back() == '\n');
  CHECK(json.find("\"time_s\": [1, 2, 3],") != std::string::npos);
}

TEST_CASE("the CSV has the fixed header and one row per interval", "[report][csv]") {
  RunReport r = sample_report();
  r.timeseries.latency_p99_ms[2] = std::numeric_limits<double>::quiet_NaN();
  const std::string csv = to_csv(r.timeseries);
  std::istringstream in(csv);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  REQUIRE(lines.size() == 1 + r.timeseries.time_s.size());
  CHECK(lines[0] == "time_s,rps,completed_rps,latency_mean_ms,latency_p99_ms,queue_depth_total,in_system_total");
  CHECK(lines[1] == "1,20,0,0,0,0.5,1.5");
  CHECK(lines[2] == "2,21.5,20,11.1,30.03,1.75,2.75");
  CHECK(lines[3] == "3,19,19.25,12.2,,0.1,1.1");  // NaN: empty cell
  CHECK(csv.back() == '\n');

  SECTION("an empty series is just the header") {
    CHECK(to_csv(TimeSeries{}) ==
          "time_s,rps,completed_rps,latency_mean_ms,latency_p99_ms,queue_depth_total,in_system_total\n");
  }
}

TEST_CASE("the text summary names every pod and shows the latency percentiles", "[report][text]") {
  RunReport r = sample_report();
  const std::string text = to_text(r);
  CHECK(text.back() == '\n');
  CHECK(text.find("two-pods") != std::string::npos);
  for (const PodReport& p : r.pods) CHECK(text.find(p.name) != std::string::npos);
  CHECK(text.find(fmt::format("{:.3f}", r.sli.latency_ms.p99)) != std::string::npos);
  CHECK(text.find("41.123") != std::string::npos);
  CHECK(text.find("timeout") != std::string::npos);
  CHECK(text.find("overload") != std::string::npos);
  CHECK(text.find("SLO: latency <= 50 ms, attainment 98.765 %") != std::string::npos);
  CHECK(text.find("98765") != std::string::npos);  // engine events

  r.sli.slo = {};
  CHECK(to_text(r).find("SLO: none set\n") != std::string::npos);
}

/// A report with a cluster, two Deployments, cold starts and autoscaling, every value chosen by hand.
RunReport cluster_report() {
  RunReport r;
  r.scenario = {"scale-up", 3, 600.0, 0.0};
  r.pods.resize(2);
  r.pods[0].name = "web-0";
  r.pods[0].deployment = "web";
  r.pods[0].node = "gpu-a100-0";
  r.pods[0].requests = 10;
  r.pods[0].share = 1.0;
  r.pods[0].max_queue_depth = 7.0;
  r.pods[1].name = "web-1";
  r.pods[1].deployment = "web";
  r.pods[1].node = "gpu-a100-1";
  r.pods[1].created_s = 15.0;
  r.pods[1].ready_s = 107.0;
  r.pods[1].gone_s = 500.5;
  r.pods[1].cold_start = ColdStartReport{0.5, 30, 0.25, 12, 45.5, 1, 2, 0, 0.75, 92};  // stages sum to 92
  r.timeseries.interval_s = 300.0;
  r.timeseries.time_s = {300, 600};
  r.timeseries.rps = {1, 2};
  r.timeseries.completed_rps = {1, 2};
  r.timeseries.latency_mean_ms = {5, 6};
  r.timeseries.latency_p99_ms = {7, 8};
  r.timeseries.queue_depth_total = {0, 0.5};
  r.timeseries.in_system_total = {1, 1.5};
  r.timeseries.deployment_names = {"web", "chat"};
  r.timeseries.replicas = {{2, 4}, {1, 1}};
  r.timeseries.ready_replicas = {{1, 4}, {1, 0}};
  r.cluster.unlimited = false;
  r.cluster.pools = {{"gpu-a100", "A100", 3, 12.5, 25.0, 50.0}, {"cpu", "", 2, 4.0, 0.0, 0.4}};
  r.cluster.gpu_hours = 25.0;
  r.cluster.cost_usd = 50.4;
  r.cluster.pods_created = 5;
  r.cluster.nodes_provisioned = 3;
  r.cluster.nodes_scaled_down = 1;
  r.cluster.spot_interruptions = 2;
  r.cluster.preemptions = 0;
  r.autoscaling.events = {{15.0, "hpa/web", 2, 4, "ScaleUpLimit", {{"cpu", 75, 60, true}}},
                          {330.0, "keda-hpa/chat", 4, 4, "ScaleDownStabilized", {{"queue", 0, 10, false}}}};
  const double nan = std::numeric_limits<double>::quiet_NaN();
  r.autoscaling.traces = {{"hpa/web", "cpu", "percent", {15, 30, 45}, {30, 32, nan}, {40, 50, 45}},
                          {"keda/chat", "queue", "requests", {30, 60}, {nan, nan}, {nan, nan}}};
  return r;
}

TEST_CASE("pods carry their Deployment, node, lifetime and cold-start stages", "[report][json]") {
  const std::string text = to_json(cluster_report());
  CHECK(text.find(R"(    {
      "name": "web-0",
      "deployment": "web",
      "node": "gpu-a100-0",
      "created_s": 0,
      "ready_s": null,
      "gone_s": null,
      "cold_start": null,
      "requests": 10,)") != std::string::npos);
  CHECK(text.find(R"(      "batch_size_counts": [],
      "max_queue_depth": 7,
      "degraded_requests": 0
    },)") != std::string::npos);
  CHECK(text.find(R"(      "name": "web-1",
      "deployment": "web",
      "node": "gpu-a100-1",
      "created_s": 15,
      "ready_s": 107,
      "gone_s": 500.5,
      "cold_start": {
        "pending_s": 0.5,
        "node_provisioning_s": 30,
        "admission_s": 0.25,
        "image_pull_s": 12,
        "weight_load_s": 45.5,
        "container_start_s": 1,
        "warm_up_s": 2,
        "readiness_wait_s": 0,
        "endpoint_publish_s": 0.75,
        "to_ready_s": 92
      },
      "requests": 0,)") != std::string::npos);
}

TEST_CASE("replica series are objects keyed by Deployment, left out without Deployments", "[report][json]") {
  RunReport r = cluster_report();
  CHECK(to_json(r).find(R"(    "pod_rps": {},
    "replicas": {
      "web": [2, 4],
      "chat": [1, 1]
    },
    "ready_replicas": {
      "web": [1, 4],
      "chat": [1, 0]
    }
  },
  "cluster": {)") != std::string::npos);
  r.timeseries.deployment_names.clear();
  r.timeseries.replicas.clear();
  r.timeseries.ready_replicas.clear();
  const ordered_json j = ordered_json::parse(to_json(r));
  CHECK(!j["timeseries"].contains("replicas"));
  CHECK(!j["timeseries"].contains("ready_replicas"));
  CHECK(keys_of(j["timeseries"]).back() == "pod_rps");
}

TEST_CASE("the cluster and autoscaling objects sit between timeseries and engine", "[report][json]") {
  const std::string text = to_json(cluster_report());
  CHECK(text.find(R"(  "cluster": {
    "unlimited": false,
    "pools": [
      {
        "name": "gpu-a100",
        "gpu_type": "A100",
        "nodes_at_end": 3,
        "node_hours": 12.5,
        "gpu_hours": 25,
        "cost_usd": 50
      },
      {
        "name": "cpu",
        "gpu_type": "",
        "nodes_at_end": 2,
        "node_hours": 4,
        "gpu_hours": 0,
        "cost_usd": 0.4
      }
    ],
    "gpu_hours": 25,
    "cost_usd": 50.4,
    "pods_created": 5,
    "nodes_provisioned": 3,
    "nodes_scaled_down": 1,
    "spot_interruptions": 2,
    "preemptions": 0,
    "nodes_failed": 0,
    "pods_evicted_unreachable": 0,
    "quota_rejections": 0,
    "quotas": [],
    "node_failures": []
  },
  "autoscaling": {
    "events": [
      {
        "time_s": 15,
        "controller": "hpa/web",
        "from_replicas": 2,
        "to_replicas": 4,
        "rule": "ScaleUpLimit",
        "metrics": [
          {
            "metric": "cpu",
            "value": 75,
            "target": 60,
            "valid": true
          }
        ]
      },
      {
        "time_s": 330,
        "controller": "keda-hpa/chat",
        "from_replicas": 4,
        "to_replicas": 4,
        "rule": "ScaleDownStabilized",
        "metrics": [
          {
            "metric": "queue",
            "value": 0,
            "target": 10,
            "valid": false
          }
        ]
      }
    ],
    "traces": [
      {
        "controller": "hpa/web",
        "metric": "cpu",
        "unit": "percent",
        "time_s": [15, 30, 45],
        "seen": [30, 32, null],
        "truth": [40, 50, 45]
      },
      {
        "controller": "keda/chat",
        "metric": "queue",
        "unit": "requests",
        "time_s": [30, 60],
        "seen": [null, null],
        "truth": [null, null]
      }
    ]
  },
  "findings": [],
  "engine": {
    "events": 0
  }
}
)") != std::string::npos);
  const ordered_json j = ordered_json::parse(text);  // and it parses
  CHECK(j["cluster"]["pools"].size() == 2);
}

TEST_CASE("ResourceQuotas list the resources they bound, hard and used, in JSON and text", "[report][json][text]") {
  RunReport r = cluster_report();
  r.cluster.quota_rejections = 7;
  QuotaReport q;
  q.name = "gpus";
  q.ns = "team-b";
  q.hard_gpus = 4;
  q.used_gpus = 4;
  q.hard_pods = 20;
  q.used_pods = 4;
  q.hard_memory_bytes = int64_t{3} << 30;
  q.used_memory_bytes = int64_t{3} << 29;  // 1.5 GiB
  q.rejections = 7;
  r.cluster.quotas.push_back(q);
  CHECK(to_json(r).find(R"(    "quota_rejections": 7,
    "quotas": [
      {
        "name": "gpus",
        "namespace": "team-b",
        "requests.memory_bytes": {
          "hard": 3221225472,
          "used": 1610612736
        },
        "requests.nvidia.com/gpu": {
          "hard": 4,
          "used": 4
        },
        "pods": {
          "hard": 20,
          "used": 4
        },
        "rejections": 7
      }
    ],
    "node_failures": [])") != std::string::npos);
  CHECK(to_text(r).find("  pod creations refused by ResourceQuota 7\n"
                        "  quota team-b/gpus: refused 7 | memory 1.50/3.00 GiB | GPUs 4/4 | pods 4/20\n\n") != std::string::npos);
  r.cluster.unlimited = true;  // no pools to show: the block holds the quotas only
  CHECK(to_text(r).find("Cluster\n"
                        "  pod creations refused by ResourceQuota 7\n"
                        "  quota team-b/gpus: refused 7 | memory 1.50/3.00 GiB | GPUs 4/4 | pods 4/20\n\n") != std::string::npos);
}

TEST_CASE("the CSV adds replicas and ready replicas columns per Deployment", "[report][csv]") {
  const std::string csv = to_csv(cluster_report().timeseries);
  CHECK(csv ==
        "time_s,rps,completed_rps,latency_mean_ms,latency_p99_ms,queue_depth_total,in_system_total,"
        "replicas:web,replicas:chat,ready_replicas:web,ready_replicas:chat\n"
        "300,1,1,5,7,0,1,2,1,1,1\n"
        "600,2,2,6,8,0.5,1.5,4,1,4,0\n");
}

TEST_CASE("the text report shows the cluster, the cold starts and the autoscaling", "[report][text]") {
  const std::string text = to_text(cluster_report());
  CHECK(text.find("Cold starts (s)\n"
                  "  pod      pending provision admission     image   weights     start   warm-up readiness  endpoint"
                  "   to Ready\n"
                  "  web-1       0.50     30.00      0.25     12.00     45.50      1.00      2.00      0.00      0.75"
                  "      92.00\n\n") != std::string::npos);
  // web-0 was running at t = 0: in the pod table, not in the cold-start table.
  const size_t cold = text.find("Cold starts (s)\n");
  CHECK(text.find("web-0") < cold);
  CHECK(text.find("web-0", cold) == std::string::npos);
  CHECK(text.find("Cluster\n"
                  "  pool      GPU   nodes at end  node-hours   GPU-hours      cost $\n"
                  "  gpu-a100  A100             3      12.500      25.000       50.00\n"
                  "  cpu       -                2       4.000       0.000        0.40\n"
                  "  total                                         25.000       50.40\n"
                  "  pods created 5 | nodes provisioned 3, scaled down 1 | spot interruptions 2 | preemptions 0\n\n") !=
        std::string::npos);
  // Mean of the valid syncs only: (30 + 32) / 2 = 31 of 3 syncs; truth (40 + 50 + 45) / 3 = 45; target
  // from hpa/web's event. keda/chat never saw its metric.
  CHECK(text.find("Autoscaling: 2 scaling events\n"
                  "      time s  controller         replicas  rule                 metrics (seen / target)\n"
                  "        15.0  hpa/web              2 -> 4  ScaleUpLimit         cpu 75 / 60\n"
                  "       330.0  keda-hpa/chat        4 -> 4  ScaleDownStabilized  queue invalid\n"
                  "  hpa/web saw cpu 31.0 % (mean over 2 of 3 syncs; target 60.0 %), truth 45.0 %\n"
                  "  keda/chat saw no queue at any of its 2 syncs, truth unknown\n\n"
                  "Engine\n") != std::string::npos);

  SECTION("an unlimited cluster and no autoscaling print neither block") {
    RunReport r = cluster_report();
    r.cluster.unlimited = true;
    r.autoscaling = {};
    const std::string plain = to_text(r);
    CHECK(plain.find("Cluster") == std::string::npos);
    CHECK(plain.find("Autoscaling") == std::string::npos);
  }
}

TEST_CASE("the text report lists the first 50 scaling events and counts the rest", "[report][text]") {
  RunReport r;
  for (int i = 0; i < 53; ++i) {
    r.autoscaling.events.push_back({static_cast<double>(15 * i), "hpa/a", i, i + 1, "", {}});
  }
  const std::string text = to_text(r);
  CHECK(text.find("Autoscaling: 53 scaling events\n") != std::string::npos);
  CHECK(text.find("\n       735.0  hpa/a           49 -> 50  -     -\n") != std::string::npos);  // the 50th (i = 49)
  CHECK(text.find("50 -> 51") == std::string::npos);
  CHECK(text.find("  ... 3 more events not listed (all are in report.json)\n") != std::string::npos);
}

TEST_CASE("report files are written whole and equal the string writers", "[report][files]") {
  const ScratchDir scratch("whole");
  const fs::path dir = scratch.path / "nested" / "out";
  RunReport r = sample_report();
  write_report_files(dir.string(), r);
  CHECK(names_in(dir) == std::set<std::string>{"report.json", "report.txt", "timeseries.csv"});
  CHECK(read_file(dir / "report.json") == to_json(r));
  CHECK(read_file(dir / "report.txt") == to_text(r));
  CHECK(read_file(dir / "timeseries.csv") == to_csv(r.timeseries));

  SECTION("a second write replaces the files") {
    r.scenario.name = "second";
    r.timeseries = {};
    write_report_files(dir.string(), r);
    CHECK(names_in(dir) == std::set<std::string>{"report.json", "report.txt", "timeseries.csv"});
    CHECK(read_file(dir / "report.json") == to_json(r));
    CHECK(read_file(dir / "report.txt") == to_text(r));
    CHECK(read_file(dir / "timeseries.csv") == to_csv(r.timeseries));
  }
}

TEST_CASE("writing under a regular file throws and leaves nothing behind", "[report][files]") {
  const ScratchDir scratch("blocked");
  const fs::path blocker = scratch.path / "not-a-dir";
  std::ofstream(blocker) << "x";
  const fs::path dir = blocker / "out";
  try {
    write_report_files(dir.string(), sample_report());
    FAIL("no exception");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()).rfind("cannot write " + dir.string() + ": ", 0) == 0);
  }
  CHECK(names_in(scratch.path) == std::set<std::string>{"not-a-dir"});
  CHECK(read_file(blocker) == "x");
}

TEST_CASE("a rename that fails removes the temporaries and the files already renamed", "[report][files]") {
  const ScratchDir scratch("rename");
  // A directory where the last file should go: writing the temporaries works, the rename does not.
  fs::create_directories(scratch.path / "timeseries.csv" / "keep");
  try {
    write_report_files(scratch.path.string(), sample_report());
    FAIL("no exception");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()).rfind("cannot write " + (scratch.path / "timeseries.csv").string() + ": ", 0) ==
          0);
  }
  CHECK(names_in(scratch.path) == std::set<std::string>{"timeseries.csv"});
  CHECK(names_in(scratch.path / "timeseries.csv") == std::set<std::string>{"keep"});
}

TEST_CASE("findings are written after autoscaling with their numbers by name", "[report][json]") {
  RunReport r = sample_report();
  r.findings = {{"imbalance", "problem", "92% of requests went to \"p0\"", {{"top_share", 0.92}, {"connections", 1}}},
                {"cost", "info", "no numbers", {}}};
  const std::string text = to_json(r);
  CHECK(text.find(R"(  "findings": [
    {
      "id": "imbalance",
      "severity": "problem",
      "text": "92% of requests went to \"p0\"",
      "numbers": {
        "connections": 1,
        "top_share": 0.92
      }
    },
    {
      "id": "cost",
      "severity": "info",
      "text": "no numbers",
      "numbers": {}
    }
  ],
  "engine": {)") != std::string::npos);
  const ordered_json j = ordered_json::parse(text);
  CHECK(keys_of(j["findings"][0]) == std::vector<std::string>{"id", "severity", "text", "numbers"});
  CHECK(j["findings"][0]["numbers"]["top_share"].get<double>() == 0.92);
}

TEST_CASE("the text report ends with a Findings block, one tagged bullet each", "[report][text]") {
  RunReport r = sample_report();
  CHECK(to_text(r).ends_with("Engine\n  events  98765\n\nFindings\n  (none)\n"));
  r.findings = {{"imbalance", "problem", "92% of requests went to 1 of 6 pods.", {{"top_share", 0.92}}},
                {"cost", "info", "The cluster used 25.0 GPU-hours, costing $50.40.", {}}};
  CHECK(to_text(r).ends_with("\nFindings\n"
                             "  - [problem] 92% of requests went to 1 of 6 pods.\n"
                             "  - [info] The cluster used 25.0 GPU-hours, costing $50.40.\n"));
}

}  // namespace
}  // namespace kubemind::report
