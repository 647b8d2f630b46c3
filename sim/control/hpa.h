// SPDX-License-Identifier: MIT
#pragma once
// The HorizontalPodAutoscaler decision at one sync, as a pure function: hpa_sync(HpaSyncInput)
// returns the HpaDecision (desired replicas, per-metric proposals, conditions and reasons, and the
// recommendation / scale-event history to carry to the next sync). No Simulator: the simulated
// controller and `kubemind hpa-eval` both call it, so what is tested is what runs.
//
// Modelled exactly as kubernetes/kubernetes pkg/controller/podautoscaler/horizontal.go
// (reconcileAutoscaler, computeReplicasForMetrics, normalizeDesiredReplicas [legacy, behavior nil],
// normalizeDesiredReplicasWithBehaviors, stabilizeRecommendation[WithBehaviors],
// convertDesiredReplicasWithRules / WithBehaviorRate, calculateScaleUp/DownLimit*, storeScaleEvent):
//  - currentReplicas = scale.spec.replicas; the first sync records (current, now) as a
//    recommendation, so a scale-down is held for the whole down-scale window after start;
//  - current == 0 with minReplicas != 0: ScalingDisabled; current outside [min, max]: straight to
//    the bound, no metrics, no stabilization;
//  - multiple metrics -> the maximum; any invalid metric blocks a scale-down, all invalid blocks all;
//  - legacy: max over recommendations with t >= now - window (inclusive), then cap
//    max(factor * current, minimum) and [min, max];
//  - behavior: up = min, down = max over recommendations with t > now - window (exclusive), the
//    result is current clamped into [up, down]; then policies over scale events of BOTH directions
//    within each policy's period, selectPolicy Max / Min / Disabled, and [min, max];
//  - scale events are stored only when behavior is set, overwriting the last outdated slot.
// Invariants: spec.metrics is non-empty and metric_values has the same size; min <= max.
// Source: horizontal.go (~v1.30-1.33), reference/autoscalers.md 1.3-1.8.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sim/control/hpa_types.h"
#include "sim/control/replica_calculator.h"

namespace kubemind::control {

/// The tolerances one HPA uses: the global flag, overridden per direction by behavior.*.tolerance
/// when behavior is set and the HPAConfigurableTolerance gate is on.
Tolerances tolerances_for_hpa(const HpaSpec& spec, const HpaControllerConfig& controller);

/// computeReplicasForMetric for one spec.metrics entry.
MetricProposal compute_replicas_for_metric(const MetricSpec& spec, const MetricObservation& observed,
                                           const ScaleSubresource& scale, std::span<const PodInfo> pods,
                                           const Tolerances& tolerances, const PodReadinessRules& rules,
                                           SimTime now);

/// A replica count and the condition reason / message that explain it.
struct NormalizedReplicas {
  int32_t replicas = 0;
  std::string reason;
  std::string message;
};

// --- legacy path (spec.behavior == nil) ---

/// stabilizeRecommendation: max over recommendations not older than `window` (t >= now - window),
/// then records `prenormalized` (overwriting the last old sample, else appending).
int32_t stabilize_recommendation(std::vector<TimestampedRecommendation>& recommendations,
                                 int32_t prenormalized_desired, Duration window, SimTime now);

/// calculateScaleUpLimit: int32(max(factor * current, minimum)).
int32_t calculate_scale_up_limit(int32_t current_replicas, double factor, double minimum);

/// convertDesiredReplicasWithRules.
NormalizedReplicas convert_desired_replicas_with_rules(int32_t current_replicas, int32_t desired_replicas,
                                                       int32_t min_replicas, int32_t max_replicas,
                                                       double scale_up_limit_factor, double scale_up_limit_minimum);

// --- behavior path ---

/// NormalizationArg, with both stabilization windows resolved (scaleDown nil -> the flag).
struct NormalizationArg {
  HpaScalingRules scale_up;
  HpaScalingRules scale_down;
  int32_t min_replicas = 1;
  int32_t max_replicas = 1;
  int32_t current_replicas = 0;
  int32_t desired_replicas = 0;
};

/// Builds the NormalizationArg as normalizeDesiredReplicasWithBehaviors does.
NormalizationArg make_normalization_arg(const HpaBehavior& behavior, const HpaControllerConfig& controller,
                                        int32_t min_replicas, int32_t max_replicas, int32_t current_replicas,
                                        int32_t desired_replicas);

/// stabilizeRecommendationWithBehaviors: reason ScaleUpStabilized (desired >= current) or
/// ScaleDownStabilized; records the unstabilized recommendation.
NormalizedReplicas stabilize_recommendation_with_behaviors(std::vector<TimestampedRecommendation>& recommendations,
                                                           const NormalizationArg& args, SimTime now);

/// getReplicasChangePerPeriod: sum of changes with t > now - period.
int32_t get_replicas_change_per_period(int32_t period_seconds, std::span<const TimestampedScaleEvent> events,
                                       SimTime now);

/// calculateScaleUpLimitWithScalingRules.
int32_t calculate_scale_up_limit_with_scaling_rules(int32_t current_replicas,
                                                    std::span<const TimestampedScaleEvent> scale_up_events,
                                                    std::span<const TimestampedScaleEvent> scale_down_events,
                                                    const HpaScalingRules& rules, SimTime now);

/// calculateScaleDownLimitWithBehaviors.
int32_t calculate_scale_down_limit_with_behaviors(int32_t current_replicas,
                                                  std::span<const TimestampedScaleEvent> scale_up_events,
                                                  std::span<const TimestampedScaleEvent> scale_down_events,
                                                  const HpaScalingRules& rules, SimTime now);

/// convertDesiredReplicasWithBehaviorRate: rate limits, then [min, max].
NormalizedReplicas convert_desired_replicas_with_behavior_rate(const NormalizationArg& args,
                                                               std::span<const TimestampedScaleEvent> scale_up_events,
                                                               std::span<const TimestampedScaleEvent> scale_down_events,
                                                               SimTime now);

/// storeScaleEvent: no-op without behavior; else marks events older than the direction's longest
/// policy period outdated and overwrites the last outdated one, else appends.
void store_scale_event(const std::optional<HpaBehavior>& behavior, HpaHistory& history, int32_t prev_replicas,
                       int32_t new_replicas, SimTime now);

/// One reconcile of one HPA.
HpaDecision hpa_sync(const HpaSyncInput& input);

}  // namespace kubemind::control
