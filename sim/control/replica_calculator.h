// SPDX-License-Identifier: MIT
#pragma once
// The HPA replica calculator: for one metric, from the pods and the samples the metrics APIs
// returned, the replica count that metric proposes. Pure functions of their arguments.
//
// Modelled exactly as kubernetes/kubernetes pkg/controller/podautoscaler/replica_calculator.go
// (GetResourceReplicas, GetRawResourceReplicas, GetMetricReplicas / calcPlainMetricReplicas,
// GetObjectMetricReplicas, GetObjectPerPodMetricReplicas, GetExternalMetricReplicas,
// GetExternalPerPodMetricReplicas, groupPods) and metrics/utilization.go:
//  - pods are grouped into ready / unready (Pending; for CPU also the initialization rules) /
//    missing (no sample) / ignored (deleting or Failed);
//  - utilization = int32(sum usage * 100 / sum request), truncated BEFORE the ratio to the target;
//  - the ratio is compared with the tolerance band [1 - down, 1 + up] (inclusive);
//  - missing pods count as 100 % of request (or the target if above 100 %; for plain metrics, the
//    target) on a scale-down and as 0 on a scale-up; unready pods count as 0, only on a scale-up;
//    a result that would flip direction keeps the current count;
//  - the multiplier is the number of pods that contributed a sample, not spec.replicas.
// Units: milli-units (int64), percent (int32), SimTime. Iteration over pods follows the input order;
// per-pod samples are keyed by pod name in an ordered map (sums are order-independent integers).
// Simplification: the timestamp returned for Object/External Value metrics is the observation's
// timestamp (the Go code returns a zero time there; it only reaches logs).

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "sim/control/hpa_types.h"

namespace kubemind::control {

/// Tolerances{scaleDown, scaleUp}.isWithin: (1 - down) <= ratio <= (1 + up).
struct Tolerances {
  double scale_down = 0.1;
  double scale_up = 0.1;
  bool is_within(double usage_ratio) const {
    return (1.0 - scale_down) <= usage_ratio && usage_ratio <= (1.0 + scale_up);
  }
};

/// The two durations groupPods reads (kube-controller-manager flags).
struct PodReadinessRules {
  Duration cpu_initialization_period = Duration::seconds(300);
  Duration initial_readiness_delay = Duration::seconds(30);
};

/// One calculator answer. `utilization_percent` is set by get_resource_replicas only.
struct ReplicaCalcResult {
  bool ok = false;
  std::string error;
  int32_t replicas = 0;
  std::optional<int32_t> utilization_percent;
  int64_t usage_milli = 0;  ///< raw average (resource), average (plain), value or per-pod average
  SimTime timestamp;
  std::string rule;
  PodGroups groups;
};

/// groupPods. `cpu` selects the CPU readiness rules; `samples` are the per-pod samples.
PodGroups group_pods(std::span<const PodInfo> pods, std::span<const PodMetricSample> samples, bool cpu,
                     const PodReadinessRules& rules, SimTime now);

/// GetResourceReplicas (Resource metric, Utilization target).
ReplicaCalcResult get_resource_replicas(int32_t current_replicas, int32_t target_utilization,
                                        ResourceName resource, const Tolerances& tolerances,
                                        std::span<const PodInfo> pods,
                                        std::span<const PodMetricSample> samples,
                                        const PodReadinessRules& rules, SimTime now);

/// GetRawResourceReplicas (Resource metric, AverageValue target).
ReplicaCalcResult get_raw_resource_replicas(int32_t current_replicas, int64_t target_usage_milli,
                                            ResourceName resource, const Tolerances& tolerances,
                                            std::span<const PodInfo> pods,
                                            std::span<const PodMetricSample> samples,
                                            const PodReadinessRules& rules, SimTime now);

/// GetMetricReplicas (Pods metric, AverageValue target).
ReplicaCalcResult get_metric_replicas(int32_t current_replicas, int64_t target_usage_milli,
                                      const Tolerances& tolerances, std::span<const PodInfo> pods,
                                      std::span<const PodMetricSample> samples,
                                      const PodReadinessRules& rules, SimTime now);

/// GetObjectMetricReplicas (Object metric, Value target): multiplier = Running and Ready pods.
ReplicaCalcResult get_object_metric_replicas(int32_t current_replicas, int64_t target_usage_milli,
                                             const Tolerances& tolerances, int64_t usage_milli,
                                             SimTime timestamp, std::span<const PodInfo> pods);

/// GetObjectPerPodMetricReplicas (Object metric, AverageValue target): uses status.replicas.
ReplicaCalcResult get_object_per_pod_metric_replicas(int32_t status_replicas,
                                                     int64_t target_average_usage_milli,
                                                     const Tolerances& tolerances,
                                                     int64_t usage_milli, SimTime timestamp);

/// GetExternalMetricReplicas (External metric, Value target): the sum of all series.
ReplicaCalcResult get_external_metric_replicas(int32_t current_replicas, int64_t target_usage_milli,
                                               const Tolerances& tolerances,
                                               std::span<const int64_t> values_milli,
                                               SimTime timestamp, std::span<const PodInfo> pods);

/// GetExternalPerPodMetricReplicas (External metric, AverageValue target): uses status.replicas.
ReplicaCalcResult get_external_per_pod_metric_replicas(int32_t status_replicas,
                                                       int64_t target_usage_per_pod_milli,
                                                       const Tolerances& tolerances,
                                                       std::span<const int64_t> values_milli,
                                                       SimTime timestamp);

}  // namespace kubemind::control
