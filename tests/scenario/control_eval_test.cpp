// SPDX-License-Identifier: MIT
// The JSON decision API (sim/scenario/control_eval.h): every vector in tests/control/vectors/
// (transcribed from Kubernetes' replica_calculator_test.go and horizontal_test.go, KEDA's executor
// and fallback tests and Knative's autoscaler_test.go; each names its source test) is read through
// the JSON mapping, decided by the sim/control functions and compared with the expected fields,
// plus the input grammar: quantities, durations, defaults and bad input.
//
// Vector files: {"vectors": [{"name", "source", "input", "expect"} | {"name", "source", "within",
// "steps": [{"input", "expect"}]}]}. `expect` is a subset of the output: objects match key by key,
// arrays element by element with equal length, {"$contains": s} a string containing s,
// {"$nonEmpty": true} a non-empty string, {"$not": v} anything but v; `within` gives an absolute
// tolerance per top-level key (Knative's approxEquateInt32 for the excess burst capacity). A step
// without "state" (kpa) or "history" (hpa) takes it from the previous step's output.

#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "sim/scenario/control_eval.h"
#include "tests/support/vector_match.h"

namespace {

using nlohmann::json;
using kubemind::scenario::ScenarioError;

using kubemind::test::load_vectors;
using kubemind::test::matches;

using EvalFn = std::string (*)(std::string_view, const std::string&);

/// Runs one vector (single or multi-step) through `eval`; returns the number of decisions checked.
int run_vector(const json& v, EvalFn eval, const char* carry) {
  json steps = v.contains("steps") ? v["steps"] : json::array({json{{"input", v["input"]}, {"expect", v["expect"]}}});
  const json within = v.value("within", json::object());
  json previous;
  int checked = 0;
  for (size_t i = 0; i < steps.size(); ++i) {
    json input = steps[i]["input"];
    if (i > 0 && !input.contains(carry)) input[carry] = previous[carry];
    const json out = json::parse(eval(input.dump(), v["name"].get<std::string>()));
    std::string why;
    INFO(v["name"].get<std::string>() << " (" << v["source"].get<std::string>() << "), step " << i);
    const bool ok = matches(steps[i]["expect"], out, within, "", why);
    INFO(why);
    CHECK(ok);
    previous = out;
    ++checked;
  }
  return checked;
}

}  // namespace

TEST_CASE("every HPA vector from replica_calculator_test.go and horizontal_test.go passes through the JSON API",
          "[scenario][control_eval]") {
  const json vectors = load_vectors("hpa.json");
  int rc = 0, hc = 0;
  for (const json& v : vectors) {
    run_vector(v, &kubemind::scenario::run_hpa_eval, "history");
    (v["source"].get<std::string>().find("replica_calculator_test.go") != std::string::npos ? rc : hc) += 1;
  }
  CHECK(vectors.size() >= 60);
  CHECK(rc >= 40);
  CHECK(hc >= 60);
}

TEST_CASE("every KEDA vector from the executor and fallback tests passes through the JSON API", "[scenario][control_eval]") {
  const json vectors = load_vectors("keda.json");
  for (const json& v : vectors) run_vector(v, &kubemind::scenario::run_keda_eval, "status");
  CHECK(vectors.size() >= 15);
}

TEST_CASE("every KPA vector from Knative's autoscaler_test.go passes through the JSON API", "[scenario][control_eval]") {
  const json vectors = load_vectors("kpa.json");
  int decisions = 0;
  for (const json& v : vectors) decisions += run_vector(v, &kubemind::scenario::run_kpa_eval, "state");
  CHECK(vectors.size() >= 10);
  CHECK(decisions >= 50);
}

// ---------------------------------------------------------------------------------------------
// The grammar

TEST_CASE("Kubernetes quantities read as milli-units, rounded up like Quantity.MilliValue", "[scenario][control_eval]") {
  using kubemind::scenario::parse_quantity_milli;
  CHECK(parse_quantity_milli("500m") == 500);
  CHECK(parse_quantity_milli("2") == 2000);
  CHECK(parse_quantity_milli("1.5") == 1500);
  CHECK(parse_quantity_milli("0.1") == 100);
  CHECK(parse_quantity_milli("1k") == 1'000'000);
  CHECK(parse_quantity_milli("1Ki") == 1'024'000);
  CHECK(parse_quantity_milli("1Gi") == 1'073'741'824'000);
  CHECK(parse_quantity_milli("1e3") == 1'000'000);
  CHECK(parse_quantity_milli("100u") == 1);   // 0.0001 -> 0.1 milli, rounded up to 1
  CHECK(parse_quantity_milli("1n") == 1);
  CHECK(parse_quantity_milli("0") == 0);
  CHECK(parse_quantity_milli("-250m") == -250);
  CHECK(parse_quantity_milli("-1u") == 0);  // ceil(-0.001)
  CHECK_FALSE(parse_quantity_milli("").has_value());
  CHECK_FALSE(parse_quantity_milli("m").has_value());
  CHECK_FALSE(parse_quantity_milli("5x").has_value());
  CHECK_FALSE(parse_quantity_milli("1Xi").has_value());
  CHECK_FALSE(parse_quantity_milli("99999999999999999E").has_value());  // overflows int64
}

TEST_CASE("Go durations read as nanoseconds", "[scenario][control_eval]") {
  using kubemind::scenario::parse_go_duration_ns;
  CHECK(parse_go_duration_ns("90s") == 90'000'000'000);
  CHECK(parse_go_duration_ns("5m") == 300'000'000'000);
  CHECK(parse_go_duration_ns("1m30s") == 90'000'000'000);
  CHECK(parse_go_duration_ns("500ms") == 500'000'000);
  CHECK(parse_go_duration_ns("1h") == 3'600'000'000'000);
  CHECK(parse_go_duration_ns("0") == 0);
  CHECK_FALSE(parse_go_duration_ns("5").has_value());
  CHECK_FALSE(parse_go_duration_ns("s").has_value());
  CHECK_FALSE(parse_go_duration_ns("5d").has_value());
}

namespace {

std::string minimal_hpa(const std::string& spec_extra = "", const std::string& extra = "") {
  return R"({"hpa": {"spec": {"maxReplicas": 10)" + spec_extra + R"(}},
    "scale": {"spec": {"replicas": 2}},
    "pods": [{"name": "a", "startTime": 0, "ready": {"status": "True"}, "requests": {"cpu": "1"}},
             {"name": "b", "startTime": 0, "ready": {"status": "True"}, "requests": {"cpu": "1"}}],
    "metrics": [{"pods": [{"pod": "a", "value": "1600m"}, {"pod": "b", "value": 1.6}]}],
    "now": 1000)" + extra + "}";
}

enum class Kind { kHpa, kKeda, kKpa };

/// The lines of the ScenarioError the input raises (empty if it is accepted).
std::vector<std::string> issue_lines(const std::string& text, Kind kind) {
  try {
    switch (kind) {
      case Kind::kHpa: kubemind::scenario::run_hpa_eval(text, "in.json"); break;
      case Kind::kKeda: kubemind::scenario::run_keda_eval(text, "in.json"); break;
      case Kind::kKpa: kubemind::scenario::run_kpa_eval(text, "in.json"); break;
    }
  } catch (const ScenarioError& e) {
    std::vector<std::string> lines;
    std::stringstream s(e.what());
    for (std::string line; std::getline(s, line);) lines.push_back(line);
    return lines;
  }
  return {};
}

}  // namespace

TEST_CASE("hpa-eval applies the API defaults: minReplicas 1, cpu at 80 %, behavior defaults per direction",
          "[scenario][control_eval]") {
  // Hand-worked: 2 pods at 1600m of 1000m = 160 % against the default 80 % target -> ratio 2,
  // ceil(2 x 2) = 4; no history (first sync): the legacy path, cap max(2 x 2, 4) = 4.
  const json out = json::parse(kubemind::scenario::run_hpa_eval(minimal_hpa(), "in.json"));
  CHECK(out["proposals"][0]["utilization"] == 160);
  CHECK(out["desiredReplicas"] == 4);
  // The first sync records (currentReplicas, now), then the new recommendation.
  REQUIRE(out["history"]["recommendations"].size() == 2);
  CHECK(out["history"]["recommendations"][0]["replicas"] == 2);
  CHECK(out["history"]["recommendations"][1]["replicas"] == 4);
  CHECK(out["history"]["recommendations"][1]["timestamp"] == 1000.0);
  // behavior {} -> scaleUp defaults (4 pods or 100 % per 15 s): from 2 the cap is max(2 + 4, 2 x 2) = 6.
  const json b = json::parse(kubemind::scenario::run_hpa_eval(minimal_hpa(R"(, "behavior": {})"), "in.json"));
  CHECK(b["desiredReplicas"] == 4);
  CHECK(b["history"]["scaleUpEvents"].size() == 1);
  CHECK(b["history"]["scaleUpEvents"][0]["replicaChange"] == 2);
}

TEST_CASE("hpa-eval reports every problem by JSON pointer, with did-you-mean", "[scenario][control_eval]") {
  const std::string bad = R"({"hpa": {"spec": {"maxReplica": 3, "minReplicas": 2,
      "metrics": [{"type": "Resource", "resource": {"name": "gpu", "target": {"type": "Utilization"}}},
                  {"type": "Pods", "pods": {"metric": {"name": "q"}, "target": {"type": "Value", "value": "1"}}}]}},
    "scale": {"spec": {"replicas": -1}},
    "pods": [{"name": "a", "requests": {"cpu": "1x"}}, {"name": "a"}],
    "metrics": [{"pods": []}],
    "now": "soon"})";
  const auto lines = issue_lines(bad, Kind::kHpa);
  const std::vector<std::string> expected = {
      "in.json: /hpa/spec/maxReplica: expected one of the fields [\"scaleTargetRef\",\"minReplicas\",\"maxReplicas\","
      "\"metrics\",\"behavior\"] (did you mean \"maxReplicas\"?), got unknown field",
      "in.json: /hpa/spec/maxReplicas: expected integer in [1, 2147483647], got nothing",
      "in.json: /hpa/spec/metrics/0/resource/name: expected one of [\"cpu\",\"memory\"] (did you mean \"cpu\"?), got \"gpu\"",
      "in.json: /hpa/spec/metrics/0/resource/target/averageUtilization: expected integer in [1, 2147483647], got nothing",
      "in.json: /hpa/spec/metrics/1/pods/target/type: expected AverageValue for Pods, got \"Value\"",
      "in.json: /metrics: expected one observation per hpa.spec.metrics entry (2), got an array of 1",
      "in.json: /now: expected number in [-9e+09, 9e+09], got \"soon\"",
      "in.json: /pods/0/requests/cpu: expected a Kubernetes quantity (e.g. \"500m\", \"2\", \"1Gi\") or a number >= 0, got \"1x\"",
      "in.json: /pods/1/name: expected a pod name not used before, got \"a\"",
      "in.json: /scale/spec/replicas: expected integer in [0, 2147483647], got -1",
  };
  CHECK(lines == expected);
}

TEST_CASE("keda-eval and kpa-eval report bad input the same way", "[scenario][control_eval]") {
  const auto keda = issue_lines(R"({"scaledObject": {"spec": {"triggers": [{"type": "prometheus",
      "metadata": {"treshold": "10"}}]}}, "currentReplicas": 1, "observations": [{}], "now": 0})",
                                Kind::kKeda);
  REQUIRE(keda.size() == 3);
  CHECK(keda[0] == "in.json: /observations/0/value: expected number (or \"error\": true, or \"nullResult\": true) for a "
                   "prometheus trigger, got nothing");
  CHECK(keda[1].find("/scaledObject/spec/triggers/0/metadata/threshold: expected number > 0") != std::string::npos);
  CHECK(keda[2].find("/scaledObject/spec/triggers/0/metadata/treshold") != std::string::npos);
  CHECK(keda[2].find("did you mean \"threshold\"") != std::string::npos);

  const auto kpa = issue_lines(R"({"config": {"stable-window": "90.5s"}, "deciderSpec": {"targetValue": 1, "totalValue": 2},
      "readyPods": 1, "metrics": {"stable": 1}, "now": 0})",
                               Kind::kKpa);
  REQUIRE(kpa.size() == 2);
  CHECK(kpa[0] == "in.json: /config: expected no config when deciderSpec is given, got object");
  CHECK(kpa[1] == "in.json: /metrics/panic: expected number >= 0, got nothing");
}

TEST_CASE("keda-eval reads a ScaledObject in the CRD's shape and returns the status to carry",
          "[scenario][control_eval]") {
  // Hand-worked (autoscalers.md 2.4a): threshold 10, activation 2, value 35 at 0 replicas ->
  // active, 0 -> 1; the HPA sees s0-prometheus = 35000m against 10000m.
  const std::string doc = R"({"scaledObject": {"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
      "metadata": {"name": "llm", "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}},
      "spec": {"scaleTargetRef": {"name": "llm"}, "maxReplicaCount": 20,
               "triggers": [{"type": "prometheus", "metadata": {"serverAddress": "http://p:9090",
                             "query": "queue_depth", "threshold": "10", "activationThreshold": "2"}}]}},
    "currentReplicas": 0, "observations": [{"value": 35}], "now": 60})";
  const json out = json::parse(kubemind::scenario::run_keda_eval(doc, "in.json"));
  CHECK(out["poll"]["action"] == "scale_from_zero_or_idle");
  CHECK(out["poll"]["targetReplicas"] == 1);
  CHECK(out["hpa"]["metrics"][0]["metricName"] == "s0-prometheus");
  CHECK(out["hpa"]["metrics"][0]["targetMilli"] == 10000);
  CHECK(out["hpa"]["metrics"][0]["valueMilli"] == 35000);
  CHECK(out["status"]["lastActiveTime"] == 60.0);
  // A typo in KEDA's own annotation prefix is reported.
  std::string typo = doc;
  typo.replace(typo.find("kubectl.kubernetes.io/last-applied-configuration"), 48, "autoscaling.keda.sh/pause");
  const auto lines = issue_lines(typo, Kind::kKeda);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find("/scaledObject/metadata/annotations/autoscaling.keda.sh~1pause") != std::string::npos);
}

TEST_CASE("kpa-eval resolves config-autoscaler keys and revision annotations like Knative", "[scenario][control_eval]") {
  // Hand-worked: defaults 70 % of containerConcurrency 10 = 7 per pod; 50 concurrent on 1 pod ->
  // ceil(50 / 7) = 8, and 8 / 1 >= 2: panic. Panic window = 10 % of the 60 s stable window.
  const json out = json::parse(kubemind::scenario::run_kpa_eval(
      R"({"revision": {"containerConcurrency": 10}, "readyPods": 1, "metrics": {"stable": 50, "panic": 50}, "now": 1000})",
      "in.json"));
  CHECK(out["deciderSpec"]["targetValue"] == Approx(7.0));
  CHECK(out["deciderSpec"]["totalValue"] == 10.0);
  CHECK(out["deciderSpec"]["panicWindow"] == 6.0);
  CHECK(out["desiredPodCount"] == 8);
  CHECK(out["inPanic"] == true);
  // String ConfigMap values, the per-revision window annotation and an RPS target.
  const json rps = json::parse(kubemind::scenario::run_kpa_eval(
      R"({"config": {"container-concurrency-target-percentage": "50", "stable-window": "2m"},
          "revision": {"annotations": {"autoscaling.knative.dev/metric": "rps", "autoscaling.knative.dev/target": "40",
                                       "autoscaling.knative.dev/window": "30s"}},
          "readyPods": 2, "metrics": {"stable": 100, "panic": 100}, "state": {}, "now": 10})",
      "in.json"));
  CHECK(rps["deciderSpec"]["scalingMetric"] == "rps");
  CHECK(rps["deciderSpec"]["targetValue"] == 20.0);  // 40 x 50 %
  CHECK(rps["deciderSpec"]["stableWindow"] == 30.0);
  CHECK(rps["deciderSpec"]["panicWindow"] == 3.0);
  CHECK(rps["desiredPodCount"] == 5);  // ceil(100 / 20); 5 / 2 >= 2 -> panic
  CHECK(rps["inPanic"] == true);
}

TEST_CASE("kpa-eval averages per-second samples over the stable and panic windows", "[scenario][control_eval]") {
  // Hand-worked: samples 10 at t = 1..54 and 40 at t = 55..60; at now = 60 the stable window
  // (60 s, buckets 1..60 hold data) averages (54 x 10 + 6 x 40) / 60 = 13, the panic window (6 s)
  // averages 40. Target 7 (cc 10): stable ceil(13 / 7) = 2, panic ceil(40 / 7) = 6.
  json doc = {{"revision", {{"containerConcurrency", 10}}}, {"readyPods", 1}, {"state", json::object()}, {"now", 60}};
  json samples = json::array();
  for (int t = 1; t <= 60; ++t) samples.push_back({{"time", t}, {"value", t <= 54 ? 10 : 40}});
  doc["metrics"] = {{"samples", samples}};
  const json out = json::parse(kubemind::scenario::run_kpa_eval(doc.dump(), "in.json"));
  CHECK(out["observedStableValue"] == Approx(13.0));
  CHECK(out["observedPanicValue"] == Approx(40.0));
  CHECK(out["desiredStablePodCountRaw"] == 2.0);
  CHECK(out["desiredPanicPodCountRaw"] == 6.0);
}
