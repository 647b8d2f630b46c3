// SPDX-License-Identifier: MIT
#pragma once
// Private to sim/scenario: the field readers behind `kubemind hpa-eval`, `keda-eval` and
// `kpa-eval` (defined in control_eval.cc), shared with the scenario loader's `autoscalers` reader
// (load_autoscalers.cc) so that an object reads the same in both places. Each reads real object
// fields (autoscaling/v2, keda.sh/v1alpha1, Knative annotations and config-autoscaler keys) into
// the sim/control structs and reports problems as Issues on the reader; none calls finish() on the
// reader it is given (read_hpa and read_revision finish the nested objects they open).

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "sim/control/hpa_types.h"
#include "sim/control/keda.h"
#include "sim/control/kpa.h"
#include "sim/engine/time.h"
#include "sim/scenario/json_reader.h"
#include "sim/scenario/scenario_config.h"

namespace kubemind::scenario {

/// true/false, or the strings "true"/"false" (annotations, ConfigMaps).
std::optional<bool> string_boolean(ObjectReader& r, std::string_view key, Presence presence);
/// A number in `range`, as a JSON number or a string holding one.
std::optional<double> string_number(ObjectReader& r, std::string_view key, NumberRange range, Presence presence);
/// An integer in [min, max], as a JSON integer or a string holding one.
std::optional<int64_t> string_integer(ObjectReader& r, std::string_view key, int64_t min, int64_t max,
                                      Presence presence);
/// Seconds >= 0 as a number, or a Go duration string ("90s", "5m").
std::optional<engine::Duration> duration_field(ObjectReader& r, std::string_view key, Presence presence);
/// A Kubernetes quantity in milli-units: a string ("500m", "2Gi") or a JSON number in whole units.
std::optional<int64_t> quantity_of(const Json& v);

// HorizontalPodAutoscaler (autoscaling/v2)
/// One spec.metrics entry (Resource, Pods, Object, External).
control::MetricSpec read_metric_spec(ObjectReader& r);
/// behavior.scaleUp / scaleDown, API defaulting from `defaults`.
control::HpaScalingRules read_rules(ObjectReader& r, const control::HpaScalingRules& defaults);
/// autoscaling/v2 `behavior` (scaleUp, scaleDown) with the API defaults for what is left out.
control::HpaBehavior read_behavior(ObjectReader& behavior);
/// The whole object: apiVersion, kind, metadata and status accepted unread; spec read
/// (scaleTargetRef accepted unread; no metrics -> cpu 80 %).
control::HpaSpec read_hpa(ObjectReader& hpa);

// ScaledObject (keda.sh/v1alpha1)
/// One spec.triggers entry (prometheus, cpu, memory); metadata.query is accepted unread.
control::KedaTrigger read_trigger(ObjectReader& r);
/// metadata.annotations autoscaling.keda.sh/* (others ignored).
void read_annotations(ObjectReader& metadata, control::KedaScaledObjectSpec& spec);
/// spec: pollingInterval, cooldownPeriod, initialCooldownPeriod, min/max/idleReplicaCount,
/// fallback, triggers (required, non-empty). scaleTargetRef and advanced are the caller's.
void read_keda_spec(ObjectReader& spec_reader, control::KedaScaledObjectSpec& spec);

// Knative
/// config-autoscaler keys.
void read_kpa_config(ObjectReader& r, control::KpaConfig& c);
/// {containerConcurrency, annotations}: the revision as kpa-eval reads it (finishes annotations).
void read_revision(ObjectReader& r, control::KpaConfig& c, control::KpaRevision& rev);
/// The autoscaling.knative.dev/* annotations the decider reads (metric, target,
/// target-utilization-percentage, activation-scale, window, panic-window-percentage,
/// panic-threshold-percentage, scale-down-delay, class), from the annotations object itself; the
/// window keys override `c`. Does not finish `annotations`.
void read_revision_annotations(ObjectReader& annotations, control::KpaConfig& c, control::KpaRevision& rev);

// Scenario echo (load_autoscalers.cc)
/// metrics.prometheus_adapter as the autoscalers use it: {"rules": {metric name: query}} for every
/// HPA Pods / Object / External metric, sorted by name. MetricsConfig keeps no rules (each HPA
/// holds its resolved queries), so metrics_json() cannot write them: the resolved-config echo adds
/// this object as /metrics/prometheus_adapter for the echo to load again. Rules no HPA used are
/// not kept.
nlohmann::ordered_json prometheus_adapter_json(const std::vector<AutoscalerConfig>& autoscalers);

}  // namespace kubemind::scenario
