// SPDX-License-Identifier: MIT
#pragma once
// The pure, inspectable autoscaler decision API behind `kubemind hpa-eval`, `keda-eval` and
// `kpa-eval`: one JSON document describing exactly what a controller holds at one sync is read
// into the sim/control input structs (1:1, with the real objects' field names), the same decision
// functions the simulated controllers call are run, and the decision is written back as JSON with
// a stable key order, including the updated controller memory to feed the next call.
//
// Input schemas (full text in `kubemind help hpa-eval` etc. and README.md, "Autoscaler decisions"):
//  - hpa-eval: {"hpa": HorizontalPodAutoscaler (autoscaling/v2), "scale": {spec, status},
//    "pods": [...], "metrics": [one observation per spec.metrics entry], "history": {...},
//    "controller": {kube-controller-manager flags}, "now": seconds};
//  - keda-eval: {"scaledObject": ScaledObject (keda.sh/v1alpha1, metadata + spec + status),
//    "currentReplicas", "observations": [one per trigger], "now": seconds};
//  - kpa-eval: {"config": config-autoscaler keys, "revision": {containerConcurrency, annotations}
//    | "deciderSpec": {...}, "readyPods", "metrics": {stable, panic} | {samples} | {noData},
//    "state": {...}, "now": seconds}.
// Units in the documents: times and durations in seconds (durations also as Go duration strings
// "2m", "90s"); Kubernetes quantities ("500m", "1Gi", or a JSON number in whole units) where
// Kubernetes uses quantities; decision outputs give quantities as integer milli-units ("...Milli").
// Bad input: every problem is collected and thrown as one ScenarioError (JSON pointer, expected,
// got, did-you-mean for unknown fields); the CLI prints it and exits 2.
// nlohmann stays inside control_eval.cc.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/control/hpa_types.h"
#include "sim/control/keda.h"
#include "sim/control/kpa.h"
#include "sim/scenario/scenario_error.h"

namespace kubemind::scenario {

/// Parses an hpa-eval document; `source` names it in error messages. Throws ScenarioError.
control::HpaSyncInput parse_hpa_eval(std::string_view text, const std::string& source);
/// The decision as JSON (2-space indent, trailing newline).
std::string hpa_decision_json(const control::HpaDecision& decision);
/// parse -> hpa_sync -> JSON.
std::string run_hpa_eval(std::string_view text, const std::string& source);

control::KedaEvalInput parse_keda_eval(std::string_view text, const std::string& source);
std::string keda_result_json(const control::KedaEvalResult& result);
std::string run_keda_eval(std::string_view text, const std::string& source);

/// Everything kpa-eval reads: the resolved decider spec and the Scale(now) input.
struct KpaEvalInput {
  control::KpaDeciderSpec spec;
  control::KpaScaleInput scale;
  engine::Duration panic_window = engine::Duration::seconds(6);
};
KpaEvalInput parse_kpa_eval(std::string_view text, const std::string& source);
std::string kpa_result_json(const KpaEvalInput& input, const control::KpaScaleResult& result);
std::string run_kpa_eval(std::string_view text, const std::string& source);

/// Reads a whole input file; throws ScenarioError ("/": expected a readable file) if it cannot.
std::string read_eval_file(const std::string& path);

/// A Kubernetes quantity ("500m", "1.5", "2Gi", "1e3") in milli-units, rounded up as
/// Quantity.MilliValue() does; nullopt if the text is not a quantity or overflows int64.
std::optional<int64_t> parse_quantity_milli(std::string_view text);
/// A Go duration ("90s", "2m", "1m30s", "500ms", "1h") in nanoseconds; nullopt if malformed.
std::optional<int64_t> parse_go_duration_ns(std::string_view text);

}  // namespace kubemind::scenario
