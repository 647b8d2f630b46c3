// SPDX-License-Identifier: MIT
#pragma once
// What kube-controller-manager's HorizontalPodAutoscaler controller holds at one sync, and what it
// decides. Plain value types, one field per autoscaling/v2 / core/v1 field the decision reads, so a
// JSON document (`kubemind hpa-eval`) maps onto them 1:1.
//
// Units: every metric quantity is an int64 in milli-units (Kubernetes `Quantity.MilliValue()`, e.g.
// 1 CPU = 1000, a queue depth of 12 = 12000); utilization is an int32 percentage of the request;
// times are simulated time (SimTime / Duration, int64 ns).
//
// Defaults are the production defaults (kube-controller-manager flags in
// pkg/controller/podautoscaler/config/v1alpha1/defaults.go, API defaulting in
// pkg/apis/autoscaling/v2/defaults.go). The Kubernetes unit tests run with different constants
// (tolerance 0.1, CPU initialization 2 min, initial readiness delay 10 s, scale-up factor 8 in some
// horizontal tests): tests set those explicitly.
//
// Simplifications: ContainerResource metrics are not modelled (a pod's request is already the sum
// over its containers and restartable init containers); label selectors are not modelled (the pod
// list and metric values given are the ones the selectors matched).
// Source: kubernetes/kubernetes pkg/controller/podautoscaler/{horizontal.go, replica_calculator.go,
// metrics/utilization.go}; reference/autoscalers.md section 1.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/engine/time.h"

namespace kubemind::control {

using engine::Duration;
using engine::SimTime;

// ---------------------------------------------------------------------------------------------
// HPA spec (autoscaling/v2)

enum class MetricSourceType { kResource, kPods, kObject, kExternal };
/// MetricTarget.type.
enum class MetricTargetType { kUtilization, kValue, kAverageValue };
enum class ResourceName { kCpu, kMemory };

struct MetricTarget {
  MetricTargetType type = MetricTargetType::kUtilization;
  int32_t average_utilization = 0;  ///< percent of request (Resource + Utilization)
  int64_t value_milli = 0;          ///< Object / External + Value
  int64_t average_value_milli = 0;  ///< Resource / Pods / Object / External + AverageValue
};

/// One entry of spec.metrics. `resource` is read for Resource metrics, `metric_name` for the others.
struct MetricSpec {
  MetricSourceType type = MetricSourceType::kResource;
  ResourceName resource = ResourceName::kCpu;
  std::string metric_name;
  std::string described_object_kind;  ///< Object metrics: describedObject.kind (status text only)
  MetricTarget target;
};

enum class ScalingPolicyType { kPods, kPercent };
struct HpaScalingPolicy {
  ScalingPolicyType type = ScalingPolicyType::kPods;
  int32_t value = 0;
  int32_t period_seconds = 0;
};
enum class SelectPolicy { kMax, kMin, kDisabled };

/// behavior.scaleUp / behavior.scaleDown after API defaulting.
struct HpaScalingRules {
  /// nil on scaleDown means "use --horizontal-pod-autoscaler-downscale-stabilization".
  std::optional<int32_t> stabilization_window_seconds;
  SelectPolicy select_policy = SelectPolicy::kMax;
  std::vector<HpaScalingPolicy> policies;
  /// Per-direction tolerance (K8s >= 1.33, gate HPAConfigurableTolerance); nil = the global flag.
  std::optional<double> tolerance;
};

/// SetDefaults_HorizontalPodAutoscalerBehavior: scaleUp window 0, Max, [Pods 4/15 s, Percent 100/15 s].
inline HpaScalingRules default_scale_up_rules() {
  return HpaScalingRules{0, SelectPolicy::kMax,
                         {{ScalingPolicyType::kPods, 4, 15}, {ScalingPolicyType::kPercent, 100, 15}},
                         std::nullopt};
}
/// scaleDown: window nil (-> controller flag, 300 s), Max, [Percent 100/15 s].
inline HpaScalingRules default_scale_down_rules() {
  return HpaScalingRules{std::nullopt, SelectPolicy::kMax, {{ScalingPolicyType::kPercent, 100, 15}},
                         std::nullopt};
}

struct HpaBehavior {
  HpaScalingRules scale_up = default_scale_up_rules();
  HpaScalingRules scale_down = default_scale_down_rules();
};

struct HpaSpec {
  std::optional<int32_t> min_replicas;  ///< nil -> 1
  int32_t max_replicas = 1;
  std::vector<MetricSpec> metrics;      ///< non-empty (the API server defaults it to cpu 80 %)
  std::optional<HpaBehavior> behavior;  ///< nil -> the legacy normalization path
};

// ---------------------------------------------------------------------------------------------
// The world as the controller sees it

/// The scale subresource of the target: spec.replicas ("currentReplicas") and status.replicas.
struct ScaleSubresource {
  int32_t spec_replicas = 0;
  int32_t status_replicas = 0;
};

enum class PodPhase { kPending, kRunning, kSucceeded, kFailed, kUnknown };
enum class ConditionStatus { kTrue, kFalse, kUnknown };

struct PodReadyCondition {
  ConditionStatus status = ConditionStatus::kTrue;
  SimTime last_transition_time;
};

/// One pod matched by the target's selector.
struct PodInfo {
  std::string name;
  PodPhase phase = PodPhase::kRunning;
  std::optional<SimTime> start_time;          ///< status.startTime
  std::optional<PodReadyCondition> ready;     ///< the Ready condition; nil = absent
  bool deleting = false;                      ///< metadata.deletionTimestamp set
  std::optional<int64_t> cpu_request_milli;   ///< nil = a counted container has no cpu request
  std::optional<int64_t> memory_request_milli;
};

/// One per-pod sample from the resource or custom metrics API.
struct PodMetricSample {
  std::string pod;
  int64_t value_milli = 0;
  SimTime timestamp;
  Duration window;  ///< metrics-server window (only the CPU initialization rule reads it)
};

/// What the metrics APIs returned for one spec.metrics entry at this sync (index-aligned).
struct MetricObservation {
  /// false: the metrics API call failed (adapter down, metric unknown): the metric is invalid.
  bool available = true;
  std::vector<PodMetricSample> pod_samples;  ///< Resource and Pods metrics
  std::vector<int64_t> values_milli;         ///< Object: one value; External: every series (summed)
  SimTime timestamp;                         ///< Object / External sample time
};

// ---------------------------------------------------------------------------------------------
// Controller memory carried between syncs (lost on controller restart)

struct TimestampedRecommendation {
  int32_t recommendation = 0;
  SimTime timestamp;
};
struct TimestampedScaleEvent {
  int32_t replica_change = 0;  ///< |new - old|
  SimTime timestamp;
  bool outdated = false;
};
struct HpaHistory {
  /// nil = the controller has no entry for this HPA yet (first sync after creation or restart):
  /// the sync then records (currentReplicas, now). An empty list is not nil.
  std::optional<std::vector<TimestampedRecommendation>> recommendations;
  std::vector<TimestampedScaleEvent> scale_up_events;
  std::vector<TimestampedScaleEvent> scale_down_events;
};

/// kube-controller-manager flags and constants (production defaults).
struct HpaControllerConfig {
  Duration sync_period = Duration::seconds(15);                          ///< --horizontal-pod-autoscaler-sync-period
  double tolerance = 0.1;                                                ///< --horizontal-pod-autoscaler-tolerance
  Duration cpu_initialization_period = Duration::seconds(300);           ///< --...-cpu-initialization-period
  Duration initial_readiness_delay = Duration::seconds(30);              ///< --...-initial-readiness-delay
  Duration downscale_stabilization_window = Duration::seconds(300);      ///< --...-downscale-stabilization
  double scale_up_limit_factor = 2.0;   ///< legacy path only
  double scale_up_limit_minimum = 4.0;  ///< legacy path only
  bool configurable_tolerance = true;   ///< feature gate HPAConfigurableTolerance
};

/// Everything one reconcile reads.
struct HpaSyncInput {
  HpaSpec spec;
  ScaleSubresource scale;
  std::vector<PodInfo> pods;
  std::vector<MetricObservation> metric_values;  ///< one per spec.metrics entry
  HpaHistory history;
  HpaControllerConfig controller;
  SimTime now;
};

// ---------------------------------------------------------------------------------------------
// The decision

/// How groupPods sorted the pods for one metric (counts; names in the same order as the input).
struct PodGroups {
  int32_t ready_count = 0;
  std::vector<std::string> unready;
  std::vector<std::string> missing;
  std::vector<std::string> ignored;
};

/// computeReplicasForMetric's result for one spec.metrics entry.
struct MetricProposal {
  bool valid = false;
  std::string failure_reason;  ///< e.g. FailedGetResourceMetric (ScalingActive=False reason)
  std::string error;           ///< the calculator's error text
  int32_t replicas = 0;
  std::optional<int32_t> utilization_percent;  ///< Resource Utilization: status averageUtilization
  int64_t value_milli = 0;  ///< status averageValue (Resource, Pods, AverageValue) or value (Value)
  SimTime timestamp;
  std::string metric_name;  ///< as the controller names it, e.g. "cpu resource utilization (percentage of request)"
  /// Which rule of the calculator produced `replicas`: "within tolerance", "scaled by ready pods",
  /// "direction flip after filling missing/unready pods", "scaled with missing/unready pods",
  /// "scale from zero", "error".
  std::string rule;
  PodGroups groups;
};

struct HpaCondition {
  std::string type;  ///< AbleToScale, ScalingActive, ScalingLimited
  bool status = false;
  std::string reason;
  std::string message;
};

struct HpaDecision {
  int32_t current_replicas = 0;  ///< scale.spec.replicas
  /// The new size if rescaled, else current_replicas. (When every metric failed, the controller
  /// leaves status.desiredReplicas at its previous value; this reports current_replicas.)
  int32_t desired_replicas = 0;
  bool rescale = false;
  /// The maximum over valid metric proposals (-1: no decision because metrics failed).
  int32_t metric_desired_replicas = 0;
  std::string metric_name;     ///< the metric that gave the maximum
  std::string rescale_reason;  ///< e.g. "cpu resource utilization (percentage of request) above target"
  std::vector<MetricProposal> proposals;
  /// After stabilization, before rate limits and min/max (= the normalized input when skipped).
  int32_t stabilized_replicas = 0;
  /// AbleToScale reason of the stabilization step: ReadyForNewScale, ScaleUpStabilized,
  /// ScaleDownStabilized; empty when normalization was skipped.
  std::string stabilization_reason;
  /// ScalingLimited reason: DesiredWithinRange, ScaleUpLimit, ScaleDownLimit, TooManyReplicas,
  /// TooFewReplicas; empty when normalization was skipped.
  std::string limit_reason;
  bool limited = false;  ///< ScalingLimited status
  /// Conditions as the controller leaves them in status after this sync (setCondition order).
  std::vector<HpaCondition> conditions;
  std::string error;      ///< reconcile's returned error, if any
  HpaHistory history;     ///< the controller memory to pass to the next sync
};

}  // namespace kubemind::control
