// SPDX-License-Identifier: MIT
#pragma once
// KEDA ScaledObject: the operator's part of the decision, as pure functions over plain structs.
//
// What is modelled (kedacore/keda, read at the newest stored versions):
// - The scale loop's activity test (pkg/scaling/scale_handler.go, getScaledObjectState): a trigger
//   is active when its value is strictly above `activationThreshold` (Prometheus scaler:
//   `value > activationThreshold`); the object is active when any trigger is (OR); a failed query
//   makes the poll an error poll; an object whose triggers are all cpu/memory is always active
//   unless a query failed (`len(triggers) <= cpuMemCount && !isError`).
// - The executor (pkg/scaling/executor/scale_scaledobjects.go, RequestScale / scaleToZeroOrIdle /
//   scaleFromZeroOrIdle): only the 0 <-> 1 (or idle <-> min) moves, "below min -> min", the paused
//   replica count and the cooldown. Every 1 <-> N move is the HPA's, which KEDA creates with
//   minReplicas = max(1, minReplicaCount) and maxReplicas = maxReplicaCount.
// - The external metric the HPA sees (pkg/fallback/fallback.go, GetMetricsWithFallback, called by
//   the metrics adapter at HPA query time): each non-cpu/memory trigger i becomes the External
//   metric "s<i>-<type>" with target int64(threshold*1000) milli and the value int64(v*1000)
//   milli; after `failureThreshold` consecutive failures (strictly more) the value is replaced by
//   int64(target) * replicas, where replicas follows fallback.behavior.
// Units: times are engine::SimTime (ns); spec periods are whole seconds as in the CRD (`_s`).
// Invariants: status.health is kept sorted by metric name (deterministic, like a JSON object);
//   decisions depend only on the input struct.
// Simplifications: one metric per trigger; scalingModifiers, ScaledJobs, useCachedMetrics
//   caching and the paused-scale annotations on the HPA itself are not modelled; timestamps keep
//   full precision (the API server would store lastActiveTime at whole seconds).
// Source: /work/shared/reference/autoscalers.md section 2, and the files named above.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/engine/time.h"

namespace kubemind::control {

/// `triggers[].type`. cpu and memory become HPA Resource metrics and are never queried by KEDA.
enum class KedaTriggerType : uint8_t { kPrometheus, kCpu, kMemory };
/// `triggers[].metricType`; AverageValue is KEDA's default (Utilization only for cpu/memory).
enum class KedaMetricType : uint8_t { kAverageValue, kValue, kUtilization };
/// `fallback.behavior` (default static).
enum class KedaFallbackBehavior : uint8_t {
  kStatic,
  kCurrentReplicas,
  kCurrentReplicasIfHigher,
  kCurrentReplicasIfLower
};
/// `status.health[*].status`.
enum class KedaHealthStatus : uint8_t { kHappy, kFailing };
/// A Kubernetes condition status.
enum class KedaConditionStatus : uint8_t { kUnknown, kTrue, kFalse };

/// One entry of `spec.triggers`.
struct KedaTrigger {
  KedaTriggerType type = KedaTriggerType::kPrometheus;
  std::string name;  ///< `triggers[].name` (optional); the active-trigger list uses it, else the metric name
  KedaMetricType metric_type = KedaMetricType::kAverageValue;
  double threshold = 0.0;             ///< metadata.threshold (Prometheus) or metadata.value (cpu/memory)
  double activation_threshold = 0.0;  ///< metadata.activationThreshold, default 0
  bool ignore_null_values = true;     ///< metadata.ignoreNullValues (Prometheus), default true
};

/// `spec.fallback`.
struct KedaFallback {
  int32_t failure_threshold = 0;  ///< required in the CRD
  int32_t replicas = 0;           ///< required in the CRD
  KedaFallbackBehavior behavior = KedaFallbackBehavior::kStatic;
};

/// The ScaledObject spec plus the annotations the executor reads. Defaults are KEDA's.
struct KedaScaledObjectSpec {
  int64_t polling_interval_s = 30;            ///< pollingInterval
  int64_t cooldown_period_s = 300;            ///< cooldownPeriod
  int64_t initial_cooldown_period_s = 0;      ///< initialCooldownPeriod
  int32_t min_replica_count = 0;              ///< minReplicaCount (nil behaves as 0 everywhere)
  int32_t max_replica_count = 100;            ///< maxReplicaCount
  std::optional<int32_t> idle_replica_count;  ///< idleReplicaCount (nil = idle mode off)
  std::optional<KedaFallback> fallback;       ///< fallback (nil = off)
  std::vector<KedaTrigger> triggers;
  // metadata.annotations
  std::optional<int32_t> paused_replicas;  ///< autoscaling.keda.sh/paused-replicas
  bool paused = false;                     ///< autoscaling.keda.sh/paused: "true"
  bool paused_scale_in = false;            ///< autoscaling.keda.sh/paused-scale-in: "true"
  bool paused_scale_out = false;           ///< autoscaling.keda.sh/paused-scale-out: "true"
  bool force_activation = false;           ///< autoscaling.keda.sh/force-activation: "true"
};

/// One entry of `status.health` (a map keyed by metric name in KEDA).
struct KedaHealthEntry {
  std::string metric_name;
  int32_t number_of_failures = 0;
  KedaHealthStatus status = KedaHealthStatus::kHappy;
};

/// The parts of `status` the decisions read and write.
struct KedaStatus {
  std::optional<engine::SimTime> last_active_time;  ///< nil until the first active poll
  std::vector<KedaHealthEntry> health;              ///< sorted by metric_name
};

/// What one query of one trigger returned (the Prometheus result, or an error).
struct KedaTriggerObservation {
  bool error = false;        ///< HTTP status outside 2xx, more than one series, timeout, ...
  bool null_result = false;  ///< 0 series, an empty value, NaN or +-Inf: 0 if ignoreNullValues, else an error
  double value = 0.0;        ///< ignored when error or null_result; cpu/memory triggers are not queried
};

/// Everything the operator has at one poll (and the adapter at the HPA query that uses the same
/// scaler results).
struct KedaEvalInput {
  KedaScaledObjectSpec spec;
  KedaStatus status;
  int32_t current_replicas = 0;                      ///< the scale target's spec.replicas
  std::vector<KedaTriggerObservation> observations;  ///< one per trigger, same order
  engine::SimTime creation_time;                     ///< metadata.creationTimestamp
  engine::SimTime now;
};

/// What the executor does at this poll.
enum class KedaAction : uint8_t {
  kNoChange,             ///< nothing to do (incl. active with replicas > 0: lastActiveTime refreshed)
  kScaleFromZeroOrIdle,  ///< 0 (or idle) -> max(1, minReplicaCount)
  kScaleToZeroOrIdle,    ///< N -> idleReplicaCount, else minReplicaCount (0)
  kCoolingDown,          ///< would scale to zero/idle, but the cooldown has not elapsed
  kScaleToMinReplicas,   ///< inactive and below minReplicaCount (idle mode off)
  kHoldForFallback,      ///< inactive with an error and a fallback: leave it to the HPA
  kSetPausedReplicas,    ///< paused-replicas annotation
};

/// The operator's decision at one poll.
struct KedaPollDecision {
  bool is_active = false;  ///< OR over triggers (or forced / cpu-memory-only)
  bool is_error = false;   ///< some trigger query failed
  std::vector<std::string> active_triggers;
  KedaAction action = KedaAction::kNoChange;
  int32_t target_replicas = 0;  ///< the replicas after this poll (== current when nothing is set)
  std::string reason;           ///< KEDA's log/event text for the branch taken
  KedaConditionStatus ready = KedaConditionStatus::kTrue;
  std::string ready_reason = "ScaledObjectReady";
  KedaConditionStatus active = KedaConditionStatus::kUnknown;
  std::string active_reason;
  std::optional<engine::SimTime> last_active_time;  ///< the updated status.lastActiveTime
};

/// One metric of the HPA KEDA creates, with the value the adapter serves for it.
struct KedaHpaMetric {
  std::string metric_name;  ///< "s<i>-<type>" for external metrics, "cpu"/"memory" for Resource
  bool external = true;     ///< false for cpu/memory Resource metrics (served by metrics-server)
  KedaMetricType target_type = KedaMetricType::kAverageValue;
  int64_t target_milli = 0;  ///< int64(threshold * 1000)
  bool has_value = false;    ///< false when the query error reaches the HPA (or for Resource)
  int64_t value_milli = 0;   ///< what the HPA reads, in milli-units
  bool fallback_applied = false;
};

/// The adapter's answer to the HPA: the metrics, the updated health and the Fallback condition.
struct KedaHpaView {
  int32_t hpa_min_replicas = 1;  ///< max(1, minReplicaCount)
  int32_t hpa_max_replicas = 100;
  std::vector<KedaHpaMetric> metrics;   ///< trigger order
  std::vector<KedaHealthEntry> health;  ///< updated status.health, sorted by name
  KedaConditionStatus fallback_condition = KedaConditionStatus::kUnknown;
  bool any_error = false;  ///< some metric returned an error to the HPA
};

struct KedaEvalResult {
  KedaPollDecision poll;
  KedaHpaView hpa;
  KedaStatus status;  ///< status after both (lastActiveTime from the poll, health from the adapter)
};

/// "s<index>-<type>", KEDA's external metric name for trigger `index`.
std::string keda_metric_name(const KedaTrigger& trigger, size_t index);

/// The scale loop's activity test over one poll's observations.
void keda_activity(const KedaScaledObjectSpec& spec, const std::vector<KedaTriggerObservation>& observations,
                   KedaPollDecision& out);

/// RequestScale: the executor's branch for (isActive, isError). Reads/writes only `out`'s
/// action, target, reason, conditions and last_active_time.
void keda_request_scale(const KedaScaledObjectSpec& spec, const KedaStatus& status, int32_t current_replicas,
                        engine::SimTime creation_time, engine::SimTime now, KedaPollDecision& out);

/// The operator's whole poll: activity, then RequestScale.
KedaPollDecision keda_poll(const KedaEvalInput& in);

/// GetMetricsWithFallback for every trigger, in trigger order, as the metrics adapter answers
/// one HPA query made with these observations.
KedaHpaView keda_hpa_view(const KedaEvalInput& in);

/// Both halves with the same observations: what `kubemind keda-eval` prints.
KedaEvalResult keda_evaluate(const KedaEvalInput& in);

const char* to_string(KedaAction a);
const char* to_string(KedaConditionStatus s);

}  // namespace kubemind::control
