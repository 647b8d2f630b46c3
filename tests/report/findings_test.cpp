// SPDX-License-Identifier: MIT
// Automatic findings: hand-built reports that trigger, and just fail to trigger, each rule. Every
// expected number is worked by hand from the inputs (shares = requests / total requests, means of the
// listed values, NaN syncs skipped); the thresholds are the ones findings.h documents.

#include "sim/report/findings.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "sim/report/writers.h"

namespace kubemind::report {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<std::string> ids_of(const std::vector<Finding>& findings) {
  std::vector<std::string> ids;
  for (const Finding& f : findings) ids.push_back(f.id);
  return ids;
}

/// The one finding with `id`; fails the test when there is not exactly one.
Finding only(const std::vector<Finding>& findings, const std::string& id) {
  std::vector<Finding> matching;
  for (const Finding& f : findings) {
    if (f.id == id) matching.push_back(f);
  }
  REQUIRE(matching.size() == 1);
  return matching.front();
}

bool has(const std::vector<Finding>& findings, const std::string& id) {
  for (const Finding& f : findings) {
    if (f.id == id) return true;
  }
  return false;
}

PodReport pod(const std::string& name, uint64_t requests, uint64_t total) {
  PodReport p;
  p.name = name;
  p.ready_s = 0.0;
  p.requests = requests;
  p.share = total > 0 ? static_cast<double>(requests) / static_cast<double>(total) : 0.0;
  return p;
}

/// The loophole: one connection, six Ready pods, every request on inference-0.
RunReport pinned_report() {
  RunReport r;
  r.scenario = {"loophole", 1, 600.0, 60.0};
  for (int i = 0; i < 6; ++i) r.pods.push_back(pod("inference-" + std::to_string(i), i == 0 ? 1000 : 0, 1000));
  r.pods[0].connections = 1;
  r.sli.imbalance = {6.0, std::sqrt(5.0), 1.0, 1};  // 1000 / (1000 / 6); cv of {1000, 0 x5}; 1000 / 1000
  return r;
}

TEST_CASE("one connection on six Ready pods is named as L4 pinning", "[report][findings]") {
  const std::vector<Finding> f = find_findings(pinned_report());
  CHECK(ids_of(f) == std::vector<std::string>{"imbalance", "idle-ready-pods"});
  const Finding imbalance = only(f, "imbalance");
  CHECK(imbalance.severity == "problem");
  CHECK(imbalance.text ==
        "100% of requests went to 1 of 6 pods (inference-0): clients held 1 connection for 6 pods, so an L4 "
        "Service (which balances connections, not requests) pinned them. Balance per request at L7 (a gRPC-aware "
        "proxy or client-side balancing).");
  CHECK(imbalance.numbers.at("top_share") == 1.0);
  CHECK(imbalance.numbers.at("ready_pods") == 6.0);
  CHECK(imbalance.numbers.at("connections") == 1.0);
  CHECK(imbalance.numbers.at("busiest_pod_requests") == 1000.0);

  const Finding idle = only(f, "idle-ready-pods");
  CHECK(idle.severity == "problem");
  CHECK(idle.text ==
        "5 of 6 Ready pods received no requests (inference-1, inference-2, inference-3, inference-4 and "
        "inference-5).");
  CHECK(idle.numbers.at("idle_pods") == 5.0);
  CHECK(idle.numbers.at("ready_pods") == 6.0);
  CHECK(idle.numbers.at("idle_pods_from_scaling") == 0.0);
}

TEST_CASE("imbalance with enough connections says so instead of blaming L4", "[report][findings]") {
  RunReport r;
  // 600 + 200 + 100 + 100 = 1000 requests on 4 Ready pods over 8 connections: top share 0.6.
  r.pods = {pod("a", 600, 1000), pod("b", 200, 1000), pod("c", 100, 1000), pod("d", 100, 1000)};
  for (PodReport& p : r.pods) p.connections = 2;
  r.sli.imbalance.top_share = 0.6;
  const Finding f = only(find_findings(r), "imbalance");
  CHECK(f.text == "60% of requests went to 1 of 4 pods (a), though requests were spread over 8 connections.");
  CHECK(f.numbers.at("connections") == 8.0);
  CHECK(f.numbers.at("ready_pods") == 4.0);

  SECTION("with no connection open at the end no cause is named") {
    for (PodReport& p : r.pods) p.connections = 0;
    CHECK(only(find_findings(r), "imbalance").text ==
          "60% of requests went to 1 of 4 pods (a); no client connection was open at the end of the run to tell why.");
  }
  SECTION("a top share just under one half is not a finding") {
    r.sli.imbalance.top_share = 0.49;
    CHECK(!has(find_findings(r), "imbalance"));
  }
  SECTION("one Ready pod cannot be imbalanced, whatever its share") {
    for (size_t i = 1; i < r.pods.size(); ++i) r.pods[i].ready_s.reset();
    r.sli.imbalance.top_share = 1.0;
    CHECK(!has(find_findings(r), "imbalance"));
  }
}

TEST_CASE("idle Ready pods name those started by scaling and cap the list", "[report][findings]") {
  RunReport r;
  r.scenario = {"s", 1, 600.0, 60.0};
  r.pods.push_back(pod("busy", 100, 100));
  for (int i = 0; i < 7; ++i) {
    PodReport p = pod("idle-" + std::to_string(i), 0, 100);
    if (i >= 4) {
      p.created_s = 100.0;  // three started by scaling
      p.ready_s = 200.0;
    }
    r.pods.push_back(p);
  }
  PodReport late = pod("late", 0, 100);  // Ready only at the end: not Ready during the run
  late.ready_s = 600.0;
  r.pods.push_back(late);
  PodReport never = pod("never", 0, 100);
  never.ready_s.reset();
  r.pods.push_back(never);
  PodReport gone = pod("gone", 0, 100);  // gone before warm-up ended
  gone.gone_s = 30.0;
  r.pods.push_back(gone);

  const Finding f = only(find_findings(r), "idle-ready-pods");
  CHECK(f.text ==
        "7 of 8 Ready pods received no requests (idle-0, idle-1, idle-2, idle-3, idle-4 and 2 more); 3 of them were "
        "started by scaling during the run.");
  CHECK(f.numbers.at("idle_pods") == 7.0);
  CHECK(f.numbers.at("ready_pods") == 8.0);
  CHECK(f.numbers.at("idle_pods_from_scaling") == 3.0);

  SECTION("every Ready pod served something: no finding") {
    for (PodReport& p : r.pods) p.requests = std::max<uint64_t>(p.requests, 1);
    CHECK(!has(find_findings(r), "idle-ready-pods"));
  }
}

/// An HPA on CPU at 60 % that saw 20 % and 30 % (a third sync had no metric) while the real queue
/// reached 240; the one pod that batched ran batches of 4 on average, so the threshold is 10 x 4 = 40.
RunReport blind_report() {
  RunReport r;
  r.pods = {pod("inference-0", 500, 1000), pod("inference-1", 500, 1000)};
  r.pods[0].mean_batch_size = 4.0;
  r.autoscaling.events = {{15.0, "hpa/inference", 2, 2, "ScaleDownStabilized", {{"cpu", 20, 60, true}}}};
  r.autoscaling.traces = {{"hpa/inference", "cpu", "percent", {15, 30, 45}, {20, 30, kNaN}, {20, 30, 28}},
                          {"hpa/inference", "queue_depth", "units", {15, 30, 45}, {kNaN, kNaN, kNaN}, {50, 240, 180}}};
  return r;
}

TEST_CASE("a CPU HPA below target while the queue grows is blind to the bottleneck", "[report][findings]") {
  RunReport r = blind_report();
  const Finding f = only(find_findings(r), "scaling-metric-blind");
  CHECK(f.severity == "problem");
  CHECK(f.text ==
        "The HPA hpa/inference saw 25% CPU on average (target 60%) while the queue depth reached 240: the scaling "
        "metric does not measure the bottleneck (the GPU queue). Scale on queue depth instead (e.g. KEDA).");
  CHECK(f.numbers.at("seen_mean_percent") == 25.0);  // (20 + 30) / 2, the NaN sync skipped
  CHECK(f.numbers.at("target_percent") == 60.0);
  CHECK(f.numbers.at("max_queue_depth") == 240.0);
  CHECK(f.numbers.at("queue_depth_threshold") == 40.0);

  SECTION("the target comes from the controller's last event with the metric") {
    r.autoscaling.events.push_back({30.0, "hpa/inference", 2, 2, "ScaleDownStabilized", {{"cpu", 30, 24, true}}});
    CHECK(!has(find_findings(r), "scaling-metric-blind"));  // 25 % >= 24 %
  }
  SECTION("a mean just below the target keeps a decimal rather than print the target") {
    r.autoscaling.traces[0].seen = {59.5, 59.9, kNaN};  // mean 59.7
    CHECK(only(find_findings(r), "scaling-metric-blind").text.starts_with(
        "The HPA hpa/inference saw 59.7% CPU on average (target 60%) while"));
  }
  SECTION("a queue of exactly 10 batches is not enough") {
    r.autoscaling.traces[1].truth = {10, 40, 20};
    CHECK(!has(find_findings(r), "scaling-metric-blind"));
  }
  SECTION("without batching the threshold is 10 x 10") {
    r.pods[0].mean_batch_size = 0.0;
    r.autoscaling.traces[1].truth = {100, 100, 100};
    CHECK(!has(find_findings(r), "scaling-metric-blind"));
    r.autoscaling.traces[1].truth = {100, 101, 100};
    CHECK(only(find_findings(r), "scaling-metric-blind").numbers.at("queue_depth_threshold") == 100.0);
  }
  SECTION("KEDA's HPA on memory counts; KEDA itself and a queue metric do not") {
    for (ControllerTraceReport& t : r.autoscaling.traces) t.controller = "keda-hpa-inference";
    r.autoscaling.traces[0].metric = "memory";
    r.autoscaling.events[0].controller = "keda-hpa-inference";
    r.autoscaling.events[0].metrics[0].metric = "memory";
    const Finding k = only(find_findings(r), "scaling-metric-blind");
    CHECK(k.text.starts_with("The HPA keda-hpa-inference saw 25% memory on average (target 60%)"));
    for (ControllerTraceReport& t : r.autoscaling.traces) t.controller = "keda/inference";
    CHECK(!has(find_findings(r), "scaling-metric-blind"));
    for (ControllerTraceReport& t : r.autoscaling.traces) t.controller = "hpa/inference";
    r.autoscaling.traces[0].metric = "queue";
    r.autoscaling.traces[0].unit = "units";
    CHECK(!has(find_findings(r), "scaling-metric-blind"));
  }
  SECTION("an HPA with no event never scaled: no target to cite") {
    r.autoscaling.events.clear();
    const Finding n = only(find_findings(r), "scaling-metric-blind");
    CHECK(n.text ==
          "The HPA hpa/inference saw 25% CPU on average and never scaled while the queue depth reached 240: the "
          "scaling metric does not measure the bottleneck (the GPU queue). Scale on queue depth instead (e.g. KEDA).");
    CHECK(n.numbers.count("target_percent") == 0);
  }
  SECTION("events that carried only another metric give nothing to compare with") {
    r.autoscaling.events[0].metrics[0].metric = "qps";
    CHECK(!has(find_findings(r), "scaling-metric-blind"));
  }
}

/// web scaled 2 -> 6; the four pods it started served 3 + 3 + 2 + 2 = 10 of 1000 requests.
RunReport scaled_report() {
  RunReport r;
  const std::vector<uint64_t> requests = {600, 390, 3, 3, 2, 2};
  for (size_t i = 0; i < requests.size(); ++i) {
    PodReport p = pod("web-" + std::to_string(i), requests[i], 1000);
    p.deployment = "web";
    p.ready_s.reset();
    if (i >= 2) p.created_s = 100.0;
    r.pods.push_back(p);
  }
  r.timeseries.deployment_names = {"web"};
  r.timeseries.replicas = {{2, 4, 6, 6}};
  r.timeseries.ready_replicas = {{2, 2, 6, 6}};
  return r;
}

TEST_CASE("replicas that grew but served almost nothing are flagged", "[report][findings]") {
  RunReport r = scaled_report();
  const Finding f = only(find_findings(r), "scaled-but-unused");
  CHECK(f.severity == "warning");
  CHECK(f.text ==
        "web scaled from 2 to 6 replicas, but the 4 pods started during the run served 1% of requests (10 of "
        "1000): scaling added capacity that traffic did not use.");
  CHECK(f.numbers.at("replicas_first") == 2.0);
  CHECK(f.numbers.at("replicas_max") == 6.0);
  CHECK(f.numbers.at("pods_added") == 4.0);
  CHECK(f.numbers.at("pods_added_share") == Approx(0.01).epsilon(1e-12));
  CHECK(f.numbers.at("pods_added_requests") == 10.0);

  SECTION("new pods that served 5 % are used") {
    r.pods[0].requests = 560;  // 560 + 390 + (43 + 3 + 2 + 2) = 1000, the new pods 50 = 5 %
    r.pods[2].requests = 43;
    CHECK(!has(find_findings(r), "scaled-but-unused"));
  }
  SECTION("replicas that never grew are not a scale-up") {
    r.timeseries.replicas = {{6, 6, 4, 2}};
    CHECK(!has(find_findings(r), "scaled-but-unused"));
  }
}

TEST_CASE("a queue of a thousand requests names the worst pod", "[report][findings]") {
  RunReport r;
  r.pods = {pod("a", 250, 1000), pod("b", 750, 1000), pod("c", 0, 1000)};
  r.pods[0].max_queue_depth = 999;
  r.pods[1].max_queue_depth = 4520;
  r.pods[2].max_queue_depth = 4520;  // a tie: the first pod wins
  r.pods[2].ready_s.reset();
  const Finding f = only(find_findings(r), "queue-explosion");
  CHECK(f.text ==
        "The queue of pod b reached 4520 waiting requests while it took 75% of requests: requests arrived faster "
        "than it could serve them.");
  CHECK(f.numbers.at("max_queue_depth") == 4520.0);
  CHECK(f.numbers.at("share") == 0.75);

  r.pods[1].max_queue_depth = 999;
  r.pods[2].max_queue_depth = 999;
  CHECK(!has(find_findings(r), "queue-explosion"));
}

TEST_CASE("the SLO is met with 99 % attainment and p99 within target, missed otherwise", "[report][findings]") {
  RunReport r;
  r.sli.slo = {200.0, 0.71};
  r.sli.latency_ms.p99 = 1840.0;
  const Finding missed = only(find_findings(r), "slo-missed");
  CHECK(missed.severity == "problem");
  CHECK(missed.text ==
        "The SLO (latency <= 200 ms for 99% of requests) was missed: 71% of answered requests were within it; p99 "
        "was 1840 ms (9.2x the target).");
  CHECK(missed.numbers.at("attainment") == 0.71);
  CHECK(missed.numbers.at("p99_ms") == 1840.0);
  CHECK(missed.numbers.at("target_ms") == 200.0);
  CHECK(missed.numbers.at("p99_over_target") == 9.2);

  r.sli.slo.attainment = 0.998;
  r.sli.latency_ms.p99 = 150.0;
  const Finding met = only(find_findings(r), "slo-met");
  CHECK(met.severity == "info");
  // 99.8 % would round to "100%": one decimal is kept so the text stays true.
  CHECK(met.text ==
        "The SLO (latency <= 200 ms for 99% of requests) was met: 99.8% of answered requests were within it; p99 "
        "was 150 ms (0.75x the target).");

  r.sli.slo.attainment = 0.99;  // the boundaries are met
  r.sli.latency_ms.p99 = 200.0;
  CHECK(has(find_findings(r), "slo-met"));
  r.sli.latency_ms.p99 = 200.5;
  CHECK(has(find_findings(r), "slo-missed"));

  r.sli.slo.attainment.reset();  // nothing answered: nothing to say
  CHECK(find_findings(r).empty());
  r.sli.slo = {};
  CHECK(find_findings(r).empty());
}

TEST_CASE("cold starts report the mean time to Ready and the largest stage", "[report][findings]") {
  RunReport r;
  PodReport a = pod("web-1", 1, 3);
  a.created_s = 15.0;
  a.ready_s = 107.0;
  a.cold_start = ColdStartReport{0.5, 30, 0.25, 12, 45.5, 1, 2, 0, 0.75, 92};  // stages sum to 92
  PodReport b = pod("web-2", 1, 3);
  b.created_s = 15.0;
  b.ready_s = 99.0;
  b.cold_start = ColdStartReport{0, 0, 0, 20, 59.9, 1, 1, 0, 2.1, 84};  // stages sum to 84
  PodReport c = pod("web-3", 0, 3);  // never Ready: counted, left out of the means
  c.created_s = 15.0;
  c.ready_s.reset();
  c.cold_start = ColdStartReport{0, 0, 0, 500, 0, 0, 0, 0, 0, 0};
  r.pods = {pod("web-0", 1, 3), a, b, c};
  const Finding f = only(find_findings(r), "cold-starts");
  CHECK(f.severity == "info");
  // Mean to Ready (92 + 84) / 2 = 88; weight load (45.5 + 59.9) / 2 = 52.7 s, 52.7 / 88 = 59.9 % -> 60 %.
  CHECK(f.text ==
        "3 pods started during the run (2 became Ready), taking 88.0 s on average from creation to Ready; the "
        "largest stage was weight load (52.7 s on average, 60% of it).");
  CHECK(f.numbers.at("pods") == 3.0);
  CHECK(f.numbers.at("pods_ready") == 2.0);
  CHECK(f.numbers.at("mean_to_ready_s") == 88.0);
  CHECK(f.numbers.at("largest_stage_mean_s") == Approx(52.7).epsilon(1e-12));
  CHECK(f.numbers.at("largest_stage_share") == Approx(52.7 / 88.0).epsilon(1e-12));

  r.pods = {pod("web-0", 1, 1), c};
  CHECK(only(find_findings(r), "cold-starts").text == "1 pod started during the run; none became Ready.");
  r.pods = {pod("web-0", 1, 1)};
  CHECK(!has(find_findings(r), "cold-starts"));
}

TEST_CASE("failed requests give their share and the top three reasons", "[report][findings]") {
  RunReport r;
  r.sli.requests = {1500, 1490, 6, 4, {{"timeout", 2}, {"overload", 4}}};
  Finding f = only(find_findings(r), "errors");
  CHECK(f.severity == "warning");
  // 6 / 1500 = 0.4 %: "0%" would be false, so one decimal.
  CHECK(f.text == "6 of 1500 requests failed (0.4%): overload 4, timeout 2.");
  CHECK(f.numbers.at("failed") == 6.0);
  CHECK(f.numbers.at("sent") == 1500.0);
  CHECK(f.numbers.at("failed_share") == 0.004);
  CHECK(f.numbers.at("failed_overload") == 4.0);
  CHECK(f.numbers.at("failed_timeout") == 2.0);

  r.sli.requests = {100, 91, 9, 0, {{"a", 1}, {"b", 3}, {"c", 3}, {"d", 2}}};
  f = only(find_findings(r), "errors");
  CHECK(f.text == "9 of 100 requests failed (9%): b 3, c 3, d 2 and 1 other reason(s).");  // ties by name
  CHECK(f.numbers.count("failed_a") == 0);

  r.sli.requests = {100, 100, 0, 0, {}};
  CHECK(!has(find_findings(r), "errors"));
}

TEST_CASE("a sized cluster reports GPU-hours and cost, an unlimited one does not", "[report][findings]") {
  RunReport r;
  r.cluster.unlimited = false;
  r.cluster.gpu_hours = 25.0;
  r.cluster.cost_usd = 50.4;
  const Finding f = only(find_findings(r), "cost");
  CHECK(f.severity == "info");
  CHECK(f.text == "The cluster used 25.0 GPU-hours, costing $50.40.");
  CHECK(f.numbers.at("gpu_hours") == 25.0);
  CHECK(f.numbers.at("cost_usd") == 50.4);
  r.cluster.unlimited = true;
  CHECK(find_findings(r).empty());
}

TEST_CASE("findings come in rule order and the same report gives the same findings", "[report][findings]") {
  RunReport r = pinned_report();
  const RunReport blind = blind_report();
  r.autoscaling = blind.autoscaling;
  r.pods[0].mean_batch_size = 4.0;
  r.pods[0].max_queue_depth = 1500;
  r.sli.slo = {200.0, 0.5};
  r.sli.requests = {1000, 990, 10, 0, {{"timeout", 10}}};
  r.cluster.unlimited = false;
  r.timeseries.deployment_names = {"inference"};
  r.timeseries.replicas = {{2, 6}};
  for (PodReport& p : r.pods) p.deployment = "inference";
  r.pods[5].created_s = 50.0;
  r.pods[5].cold_start = ColdStartReport{};
  const std::vector<Finding> f = find_findings(r);
  CHECK(ids_of(f) == std::vector<std::string>{"imbalance", "idle-ready-pods", "scaling-metric-blind",
                                               "scaled-but-unused", "queue-explosion", "slo-missed", "cold-starts",
                                               "errors", "cost"});
  const std::vector<Finding> again = find_findings(r);
  REQUIRE(again.size() == f.size());
  for (size_t i = 0; i < f.size(); ++i) {
    CHECK(again[i].text == f[i].text);
    CHECK(again[i].numbers == f[i].numbers);
  }
  CHECK(find_findings(RunReport{}).empty());
}

TEST_CASE("explain prints a report's findings as bullets or as the JSON array", "[report][findings][explain]") {
  RunReport r = pinned_report();
  r.findings = find_findings(r);
  const std::string json = to_json(r);
  CHECK(explain_report(json, "r.json", false) ==
        "- [problem] 100% of requests went to 1 of 6 pods (inference-0): clients held 1 connection for 6 pods, so "
        "an L4 Service (which balances connections, not requests) pinned them. Balance per request at L7 (a "
        "gRPC-aware proxy or client-side balancing).\n"
        "- [problem] 5 of 6 Ready pods received no requests (inference-1, inference-2, inference-3, inference-4 and "
        "inference-5).\n");
  const nlohmann::json array = nlohmann::json::parse(explain_report(json, "r.json", true));
  REQUIRE(array.is_array());
  REQUIRE(array.size() == 2);
  CHECK(array[0]["id"] == "imbalance");
  CHECK(array[0]["severity"] == "problem");
  CHECK(array[0]["numbers"]["connections"] == 1);
  CHECK(array[1]["numbers"]["idle_pods"] == 5);

  CHECK(explain_report(R"({"sli": {}, "findings": []})", "clean.json", false) == "(no findings)\n");
  CHECK(explain_report(R"({"findings": []})", "clean.json", true) == "[]\n");
  // A number written as null (non-finite) reads back; a finding without numbers is fine too.
  CHECK(explain_report(R"({"findings": [{"id": "x", "severity": "info", "text": "t", "numbers": {"n": null}},
                                        {"id": "y", "severity": "info", "text": "u"}]})",
                       "f.json", false) == "- [info] t\n- [info] u\n");
}

TEST_CASE("explain rejects what is not a report with findings in one line", "[report][findings][explain]") {
  const auto message = [](const std::string& text) {
    try {
      explain_report(text, "old.json", false);
    } catch (const ExplainError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(message(R"({"sli": {}, "engine": {"events": 1}})") ==
        "old.json: expected a kubemind report with findings (run it with this version)");
  CHECK(message(R"({"findings": {}})") ==
        "old.json: expected a kubemind report with findings (run it with this version)");
  CHECK(message("not json {") ==
        "old.json: expected a kubemind report (JSON from kubemind run --format json), got text that is not JSON");
  CHECK(message("") ==
        "old.json: expected a kubemind report (JSON from kubemind run --format json), got text that is not JSON");
  CHECK(message("[1, 2]") == "old.json: expected a kubemind report (a JSON object), got an array");
  CHECK(message(R"({"findings": [{"id": "x", "severity": "info"}]})") ==
        "old.json: /findings/0: expected a finding with \"text\", got none");
  CHECK(message(R"({"findings": [{"id": "x", "severity": "info", "text": "t"}, 3]})") ==
        "old.json: /findings/1: expected a finding (an object), got a number");
  CHECK(message(R"({"findings": [{"id": 1, "severity": "info", "text": "t"}]})") ==
        "old.json: /findings/0/id: expected a string, got a number");
  CHECK(message(R"({"findings": [{"id": "x", "severity": "info", "text": "t", "numbers": {"n": "1"}}]})") ==
        "old.json: /findings/0/numbers/n: expected a number, got a string");
}

}  // namespace
}  // namespace kubemind::report
