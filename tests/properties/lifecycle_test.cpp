// SPDX-License-Identifier: MIT
// The cluster and the control plane inside scenarios, end to end: pods that do not fit wait for the
// Cluster Autoscaler and then pass through every cold-start stage; the CPU an HPA reads comes out of
// the server's per-request work as metrics-server serves it, late by its window; an HPA acts one sync
// period after it is created. Every expected number is worked out by hand from the scenario's own
// settings (stage lengths, rates, windows), not taken from a run.

#include <catch2/catch.hpp>
#include <cmath>
#include <string>

#include "sim/scenario/load.h"
#include "sim/scenario/world.h"

using namespace kubemind;

namespace {

report::RunReport run_text(const std::string& text, std::optional<uint64_t> seed = {}) {
  scenario::LoadOptions options;
  options.seed = seed;
  options.models_dir = std::string(KUBEMIND_SOURCE_DIR) + "/models";
  return scenario::run_scenario(scenario::load_scenario_text(text, "test.json", options));
}

const report::PodReport& pod_named(const report::RunReport& r, const std::string& name) {
  for (const auto& p : r.pods) {
    if (p.name == name) return p;
  }
  FAIL("no pod " << name);
  return r.pods.front();
}

const report::ControllerTraceReport& trace_of(const report::RunReport& r, const std::string& controller,
                                              const std::string& metric) {
  for (const auto& t : r.autoscaling.traces) {
    if (t.controller == controller && t.metric == metric) return t;
  }
  FAIL("no trace " << controller << " " << metric);
  return r.autoscaling.traces.front();
}

/// The value a trace recorded at simulated time `t_s`.
double seen_at(const report::ControllerTraceReport& t, double t_s) {
  for (size_t i = 0; i < t.time_s.size(); ++i) {
    if (std::abs(t.time_s[i] - t_s) < 1e-9) return t.seen[i];
  }
  FAIL("no sample at " << t_s);
  return 0;
}

}  // namespace

TEST_CASE("a pod that fits no node waits for the Cluster Autoscaler, then passes every cold-start stage",
          "[properties][cluster]") {
  // One GPU node holds one pod (1 GPU each). The Deployment asks for 2: inference-0 starts warm,
  // inference-1 is Pending until the CA's node is Ready. Stages, from the scenario:
  //   image 4 GB / 200 MB/s = 20 s; container start 2 s; weights 16 GB / 2 GB/s = 8 s (in process);
  //   warm-up 5 s; app up 35 s after admission; probes every 5 s from admission -> Ready at +35 s;
  //   scheduling latency 50 ms; endpoint published 100 ms after Ready.
  const std::string text = R"({
    "kubemind": "v1", "name": "ca-cold-start", "duration_s": 400,
    "clients": [ { "name": "c", "target": "service/inference", "arrival": { "process": "constant", "rate_rps": 10 },
                   "channel": { "lb_policy": "round_robin" } } ],
    "cluster": {
      "node_pools": [ { "name": "gpu", "gpus": 1, "cpu": "8", "memory": "32Gi", "initial_nodes": 1, "max_nodes": 2,
                        "provision_delay_s": 240, "image_pull_mb_per_s": 200 } ],
      "autoscaler": { "scan_interval_s": 10 },
      "scheduling_latency_ms": 50, "endpoint_publish_delay_ms": 100
    },
    "deployments": [ { "name": "inference", "replicas": 2,
      "server": { "model": "resnet50-a100", "resources": { "requests": { "cpu": "4", "memory": "16Gi", "nvidia.com/gpu": 1 } } },
      "pod": { "image": { "name": "triton", "size_gb": 4 }, "container_start_s": 2,
               "weights": { "size_gb": 16, "load_gb_per_s": 2 }, "warm_up_s": 5,
               "readinessProbe": { "periodSeconds": 5 } } } ],
    "services": [ { "name": "inference", "selector": { "app": "inference" }, "clusterIP": "None" } ]
  })";
  const report::RunReport r = run_text(text);
  const report::PodReport& warm = pod_named(r, "inference-0");
  CHECK_FALSE(warm.cold_start.has_value());
  CHECK(warm.ready_s == Approx(0.0));
  const report::PodReport& cold = pod_named(r, "inference-1");
  REQUIRE(cold.cold_start.has_value());
  const report::ColdStartReport& c = *cold.cold_start;
  CHECK(c.node_provisioning_s == Approx(240.0));
  CHECK(c.admission_s == Approx(0.050));
  CHECK(c.image_pull_s == Approx(20.0));
  CHECK(c.container_start_s == Approx(2.0));
  CHECK(c.weight_load_s == Approx(8.0));
  CHECK(c.warm_up_s == Approx(5.0));
  CHECK(c.readiness_wait_s == Approx(0.0));  // app up at admission + 35 s, a probe tick
  CHECK(c.endpoint_publish_s == Approx(0.1));
  // Ready = Pending (scan alignment) + provisioning + admission + 35 s of stages.
  CHECK(c.to_ready_s == Approx(c.pending_s + 240.0 + 0.05 + 35.0));
  CHECK(c.pending_s < 10.0 + 1e-9);  // the CA's next scan, at most one scan interval later
  CHECK(r.cluster.nodes_provisioned == 1);
  REQUIRE(r.cluster.pools.size() == 1);
  CHECK(r.cluster.pools[0].nodes_at_end == 2);
  // Published, yet the client's round_robin channel never learns of it: gRPC re-resolves DNS only
  // when a connection is lost or GOAWAY'd, never on a timer (the headless-Service signature).
  CHECK(cold.requests == 0);
  CHECK(warm.requests > 0);
}

TEST_CASE("the CPU an HPA reads is the server's per-request work, whatever its GPU queue holds",
          "[properties][control]") {
  // 2 ms of CPU per request received, a 1-CPU request: 400 rps use 0.8 cores = 80 %, 40 rps 8 %. The
  // GPU serves 1 request per 5 ms (200/s), so at 400 rps its queue grows without bound: the CPU the
  // HPA sees does not move with it. maxReplicas 1 keeps the pod count fixed.
  const auto scenario = [](int rate_rps) {
    return std::string(R"({
      "kubemind": "v1", "name": "cpu-view", "duration_s": 120,
      "clients": [ { "name": "c", "target": "pod/inference-0", "arrival": { "process": "constant", "rate_rps": )") +
           std::to_string(rate_rps) + R"( } } ],
      "deployments": [ { "name": "inference", "replicas": 1,
        "server": { "service_time": { "mean_ms": 5 }, "cpu": { "preprocess_ms": 2 },
                    "resources": { "requests": { "cpu": "1" } } } } ],
      "autoscalers": [ { "kind": "HorizontalPodAutoscaler", "metadata": { "name": "inference" },
        "spec": { "scaleTargetRef": { "kind": "Deployment", "name": "inference" }, "minReplicas": 1, "maxReplicas": 1,
                  "metrics": [ { "type": "Resource", "resource": { "name": "cpu",
                                 "target": { "type": "Utilization", "averageUtilization": 60 } } } ] } } ]
    })";
  };
  for (const int rate : {400, 40}) {
    INFO(rate << " rps");
    const report::RunReport r = run_text(scenario(rate));
    const report::ControllerTraceReport& cpu = trace_of(r, "hpa/inference", "cpu");
    // metrics-server scrapes at 0, 15, 30 ...: from the sync at 45 s on, every window is full of load.
    for (size_t i = 0; i < cpu.time_s.size(); ++i) {
      if (cpu.time_s[i] < 45) continue;
      INFO("sync at " << cpu.time_s[i]);
      CHECK(cpu.seen[i] == Approx(rate * 0.2).margin(1.0));  // percent of the 1-CPU request
    }
    if (rate == 400) {
      // The GPU queue grew by 200 requests a second: ~24,000 waiting at the end.
      CHECK(r.pods[0].max_queue_depth > 20000);
    }
  }
}

TEST_CASE("an HPA created at t = 0 first syncs at t = 15 s and sees a load step 15 to 30 s late",
          "[properties][control]") {
  // 40 rps until 62 s, then 400 rps (2 ms CPU each, 1-CPU request, the GPU keeps up: 1 ms each).
  // metrics-server (15 s resolution, scrapes at 0, 15, ...) serves the rate between its last two
  // scrapes; a sync at the same instant as a scrape runs first (the HPA was created first), so it
  // reads data 15 to 30 s old: at the 75 s sync the window is [45, 60] (8 %), at 90 s it is
  // [60, 75] with 2 s at 8 % and 13 s at 80 % -> 70.4 %, while the truth at 90 s is 80 %.
  const std::string text = R"({
    "kubemind": "v1", "name": "hpa-step", "duration_s": 100,
    "clients": [ { "name": "c", "target": "pod/inference-0",
                   "arrival": { "process": "schedule", "points": [ { "at_s": 0, "rate_rps": 40 }, { "at_s": 62, "rate_rps": 400 } ] } } ],
    "deployments": [ { "name": "inference", "replicas": 1,
      "server": { "service_time": { "mean_ms": 1 }, "cpu": { "preprocess_ms": 2 }, "resources": { "requests": { "cpu": "1" } } } } ],
    "autoscalers": [ { "kind": "HorizontalPodAutoscaler", "metadata": { "name": "inference" },
      "spec": { "scaleTargetRef": { "kind": "Deployment", "name": "inference" }, "minReplicas": 1, "maxReplicas": 4,
                "metrics": [ { "type": "Resource", "resource": { "name": "cpu",
                               "target": { "type": "Utilization", "averageUtilization": 50 } } } ] } } ]
  })";
  const report::RunReport r = run_text(text);
  const report::ControllerTraceReport& cpu = trace_of(r, "hpa/inference", "cpu");
  REQUIRE_FALSE(cpu.time_s.empty());
  CHECK(cpu.time_s.front() == Approx(15.0));
  // Poisson arrivals: +/- ~2 points of sampling noise over 15 s windows.
  CHECK(seen_at(cpu, 60) == Approx(8.0).margin(2.0));
  CHECK(seen_at(cpu, 75) == Approx(8.0).margin(2.0));
  CHECK(seen_at(cpu, 90) == Approx(70.4).margin(3.0));
  // The truth at 90 s (CPU over the last second) is the new load's.
  for (size_t i = 0; i < cpu.time_s.size(); ++i) {
    if (std::abs(cpu.time_s[i] - 90) < 1e-9) CHECK(cpu.truth[i] == Approx(80.0).margin(8.0));
  }
  // The first rescale: at the first sync that sees 70 % (> 50 % x 1.1): 90 s, to ceil(1 x 70.4/50) = 2.
  REQUIRE_FALSE(r.autoscaling.events.empty());
  const report::ScalingEventReport* first = nullptr;
  for (const auto& e : r.autoscaling.events) {
    if (e.to_replicas != e.from_replicas) {
      first = &e;
      break;
    }
  }
  REQUIRE(first != nullptr);
  CHECK(first->time_s == Approx(90.0));
  CHECK(first->from_replicas == 1);
  CHECK(first->to_replicas == 2);
}

namespace {

/// Remembers the first request sent and its answer.
struct FirstRequest final : traffic::RequestObserver {
  bool seen = false;
  double sent_s = 0, answered_s = -1;
  traffic::Outcome outcome = traffic::Outcome::kPending;
  uint64_t first_id = 0;
  void on_sent(const traffic::Request& r) override {
    if (seen) return;
    seen = true;
    sent_s = r.sent_at.seconds_f();
  }
  void on_answered(const traffic::Request& r) override {
    if (answered_s >= 0 || std::abs(r.sent_at.seconds_f() - sent_s) > 1e-12) return;
    answered_s = r.finished_at.seconds_f();
    outcome = r.outcome;
  }
};

FirstRequest first_request(const std::vector<scenario::Override>& overrides) {
  scenario::LoadOptions options;
  options.overrides = overrides;
  const scenario::ScenarioConfig config =
      scenario::load_scenario_file(std::string(KUBEMIND_SOURCE_DIR) + "/scenarios/scale-from-zero.json", options);
  FirstRequest first;
  scenario::RunOptions run;
  run.observer = &first;
  scenario::run_scenario(config, run);
  return first;
}

}  // namespace

TEST_CASE("from zero, the first request waits exactly for the cold start, a cached image skips the pull",
          "[properties][cluster][control]") {
  // scenarios/scale-from-zero.json: the activator holds the first request (sent at s); the KPA's
  // collector scrapes every 1 s from t = 0 and a stat while at zero pokes the decider at once, so the
  // pod is created at ceil(s). Then: scheduling 50 ms, image 12 GB / 400 MB/s = 30 s, container start
  // 5 s, weights 16 GB / 0.4 GB/s = 40 s, warm-up 15 s; probes every 1 s from admission find the app
  // up at admission + 90 s exactly; published 100 ms later; served in L(1) = 0.78 ms
  // (models/bert-base-a100.json, batch 1).
  const FirstRequest cold = first_request({});
  REQUIRE(cold.outcome == traffic::Outcome::kOk);
  const double created = std::ceil(cold.sent_s);
  const double expected = created - cold.sent_s + 0.050 + 30 + 5 + 40 + 15 + 0.100 + 0.78e-3;
  CHECK(cold.answered_s - cold.sent_s == Approx(expected).margin(1e-3));
  // The same with the image already on the nodes: exactly the 30 s pull less.
  const FirstRequest cached = first_request({{"/cluster/node_pools/0/cached_images",
                                              R"(["nvcr.io/nvidia/tritonserver:24.08-trtllm-python-py3"])"}});
  REQUIRE(cached.outcome == traffic::Outcome::kOk);
  CHECK(cached.sent_s == cold.sent_s);  // the same arrivals
  CHECK(cached.answered_s - cached.sent_s == Approx(expected - 30).margin(1e-3));
}

TEST_CASE("a canary Deployment behind a shared Service takes connections in proportion to its pods",
          "[properties][cluster]") {
  // 9 stable pods and 1 canary pod share the label tier=inference that the Service selects. A
  // round_robin client holding 400 connections to the ClusterIP: kube-proxy draws each connection's
  // pod uniformly from the 10, so the canary gets Binomial(400, 0.1) connections (sd 6, 1.5 points)
  // and, as calls rotate over connections, that share of the calls: 10 % +/- 5 points (> 3 sd).
  const std::string text = R"({
    "kubemind": "v1", "name": "canary", "duration_s": 20,
    "clients": [ { "name": "c", "target": "service/inference", "arrival": { "process": "poisson", "rate_rps": 2000 },
                   "channel": { "lb_policy": "round_robin", "connections": 400 } } ],
    "deployments": [
      { "name": "stable", "replicas": 9, "labels": { "tier": "inference", "track": "stable" },
        "server": { "service_time": { "mean_ms": 1 }, "instances": 4 } },
      { "name": "canary", "replicas": 1, "labels": { "tier": "inference", "track": "canary" },
        "server": { "service_time": { "mean_ms": 1 }, "instances": 4 } } ],
    "services": [ { "name": "inference", "selector": { "tier": "inference" } } ]
  })";
  const report::RunReport r = run_text(text);
  const report::PodReport& canary = pod_named(r, "canary-0");
  CHECK(canary.share == Approx(0.10).margin(0.05));
  CHECK(r.sli.imbalance.pods_serving == 10);
}

TEST_CASE("an LLM pod on the vllm engine: one request's TTFT and TPOT are the profile's prefill and decode steps",
          "[properties][serve]") {
  // models/llama-3-8b-a100.json (batch_unit tokens): a 512-token prompt is one prefill step of
  // L(512) = 34.64 ms, which samples the first token; each of the 127 further tokens is a decode step
  // of L(1) = 9.70 ms (no KV-read term configured). End to end: 34.64 + 127 x 9.70 = 1266.54 ms.
  // Constant arrivals at 0.5 rps over 4 s: one request, at t = 2 s.
  const std::string text = R"({
    "kubemind": "v1", "name": "llm-one", "duration_s": 4,
    "clients": [ { "name": "c", "target": "pod/llm-0", "arrival": { "process": "constant", "rate_rps": 0.5 } } ],
    "deployments": [ { "name": "llm", "replicas": 1,
      "server": { "engine": "vllm", "model": "llama-3-8b-a100", "gpu_memory_gb": 80,
                  "prompt_tokens": 512, "output_tokens": 128 } } ]
  })";
  const report::RunReport r = run_text(text);
  REQUIRE(r.sli.requests.completed == 1);
  REQUIRE(r.sli.ttft_ms.has_value());
  CHECK(r.sli.ttft_ms->p50 == Approx(34.64).epsilon(0.002));
  CHECK(r.sli.tpot_ms->p50 == Approx(9.70).epsilon(0.002));
  CHECK(r.sli.latency_ms.p50 == Approx(34.64 + 127 * 9.70).epsilon(0.002));
  // vLLM sizes the KV cache as 0.9 x 80 GB - 16.06 GB of weights = 55.94 GB / 128 KiB per token.
  CHECK(r.config_json.find("\"kv_cache_tokens\": 426788") != std::string::npos);
}

TEST_CASE("scaling out mid-run: an L4-pinned connection never reaches the new pods, an L7 proxy uses them",
          "[properties][cluster]") {
  // events[]: kubectl scale 1 -> 4 at 20 s. The new pods are created at 20 s, start 0.5 s later and
  // pass their first readiness probe (every 10 s from admission) at 30 s; published 100 ms later.
  const auto scenario = [](const std::string& target) {
    return std::string(R"({
      "kubemind": "v1", "name": "scale-out", "duration_s": 60,
      "clients": [ { "name": "c", "target": ")") + target + R"(", "arrival": { "process": "poisson", "rate_rps": 400 },
                     "channel": { "lb_policy": "pick_first", "connections": 1 } } ],
      "deployments": [ { "name": "inference", "replicas": 1, "server": { "service_time": { "mean_ms": 1 } } } ],
      "services": [ { "name": "inference", "selector": { "app": "inference" } } ],
      "proxies": [ { "name": "envoy", "upstream_service": "inference", "lb_policy": "LEAST_REQUEST" } ],
      "events": [ { "at_s": 20, "scale": { "deployment": "inference", "replicas": 4 } },
                  { "at_s": 45, "delete_pod": { "name": "inference-0" } } ]
    })";
  };
  const report::RunReport l4 = run_text(scenario("service/inference"));
  const report::RunReport l7 = run_text(scenario("proxy/envoy"));
  for (const report::RunReport* r : {&l4, &l7}) {
    for (const char* name : {"inference-1", "inference-2", "inference-3"}) {
      INFO(r->scenario.name << " " << name);
      const report::PodReport& p = pod_named(*r, name);
      CHECK(p.created_s == Approx(20.0));
      REQUIRE(p.ready_s.has_value());
      CHECK(*p.ready_s == Approx(30.0));
    }
    // The deleted pod is gone (it drains, then exits) and its ReplicaSet replaced it.
    CHECK(pod_named(*r, "inference-0").gone_s.has_value());
    CHECK(pod_named(*r, "inference-4").created_s == Approx(45.0));
  }
  // L4: until inference-0 is deleted at 45 s its one connection carries everything; the new pods
  // serve nothing before that. L7: the proxy spreads over all four from their publication.
  const auto served_between = [](const report::RunReport& r, const std::string& pod, double from_s, double to_s) {
    double n = 0;
    for (size_t p = 0; p < r.pods.size(); ++p) {
      if (r.pods[p].name != pod) continue;
      for (size_t i = 0; i < r.timeseries.time_s.size(); ++i) {
        if (r.timeseries.time_s[i] > from_s && r.timeseries.time_s[i] <= to_s) n += r.timeseries.pod_rps[p][i];
      }
    }
    return n;
  };
  for (const char* name : {"inference-1", "inference-2", "inference-3"}) {
    INFO(name);
    CHECK(served_between(l4, name, 31, 45) == 0);
    CHECK(served_between(l7, name, 31, 45) > 0);
  }
  // After the deletion the L4 client's connection is GOAWAY'd and reset; it reconnects through
  // kube-proxy and some pod serves it again.
  double after = 0;
  for (const char* name : {"inference-1", "inference-2", "inference-3", "inference-4"}) after += served_between(l4, name, 47, 60);
  CHECK(after > 0);
}
