// SPDX-License-Identifier: MIT
#include "sim/control/hpa.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "sim/engine/check.h"

namespace kubemind::control {
namespace {

const char* resource_string(ResourceName r) { return r == ResourceName::kCpu ? "cpu" : "memory"; }

/// setConditionInList: replace the condition of that type, else append.
void set_condition(std::vector<HpaCondition>& conditions, const char* type, bool status, std::string reason,
                   std::string message) {
  for (HpaCondition& c : conditions) {
    if (c.type == type) {
      c.status = status;
      c.reason = std::move(reason);
      c.message = std::move(message);
      return;
    }
  }
  conditions.push_back(HpaCondition{type, status, std::move(reason), std::move(message)});
}

SimTime cutoff_seconds(SimTime now, int32_t seconds) { return now - Duration::seconds(seconds); }

MetricProposal failed(std::string reason, std::string error) {
  MetricProposal p;
  p.valid = false;
  p.failure_reason = std::move(reason);
  p.error = std::move(error);
  p.rule = "error";
  return p;
}

MetricProposal from_calc(const ReplicaCalcResult& r, const char* failure_reason, std::string metric_name) {
  if (!r.ok) return failed(failure_reason, r.error);
  MetricProposal p;
  p.valid = true;
  p.replicas = r.replicas;
  p.utilization_percent = r.utilization_percent;
  p.value_milli = r.usage_milli;
  p.timestamp = r.timestamp;
  p.metric_name = std::move(metric_name);
  p.rule = r.rule;
  p.groups = r.groups;
  return p;
}

}  // namespace

Tolerances tolerances_for_hpa(const HpaSpec& spec, const HpaControllerConfig& controller) {
  Tolerances t{controller.tolerance, controller.tolerance};
  if (!spec.behavior.has_value() || !controller.configurable_tolerance) return t;
  if (spec.behavior->scale_down.tolerance.has_value()) t.scale_down = *spec.behavior->scale_down.tolerance;
  if (spec.behavior->scale_up.tolerance.has_value()) t.scale_up = *spec.behavior->scale_up.tolerance;
  return t;
}

MetricProposal compute_replicas_for_metric(const MetricSpec& spec, const MetricObservation& observed,
                                           const ScaleSubresource& scale, std::span<const PodInfo> pods,
                                           const Tolerances& tolerances, const PodReadinessRules& rules,
                                           SimTime now) {
  const int32_t spec_replicas = scale.spec_replicas;
  const int32_t status_replicas = scale.status_replicas;
  switch (spec.type) {
    case MetricSourceType::kResource: {
      const std::string res = resource_string(spec.resource);
      if (!observed.available) {
        return failed("FailedGetResourceMetric", "unable to get metrics for resource " + res);
      }
      if (spec.target.type == MetricTargetType::kAverageValue) {
        return from_calc(get_raw_resource_replicas(spec_replicas, spec.target.average_value_milli, spec.resource,
                                                   tolerances, pods, observed.pod_samples, rules, now),
                         "FailedGetResourceMetric", res + " resource");
      }
      if (spec.target.type != MetricTargetType::kUtilization) {
        return failed("FailedGetResourceMetric",
                      "invalid resource metric source: neither an average utilization target nor an average value "
                      "(usage) target was set");
      }
      return from_calc(get_resource_replicas(spec_replicas, spec.target.average_utilization, spec.resource,
                                             tolerances, pods, observed.pod_samples, rules, now),
                       "FailedGetResourceMetric", res + " resource utilization (percentage of request)");
    }
    case MetricSourceType::kPods: {
      if (!observed.available) return failed("FailedGetPodsMetric", "unable to get metric " + spec.metric_name);
      return from_calc(get_metric_replicas(spec_replicas, spec.target.average_value_milli, tolerances, pods,
                                           observed.pod_samples, rules, now),
                       "FailedGetPodsMetric", "pods metric " + spec.metric_name);
    }
    case MetricSourceType::kObject: {
      if (!observed.available || observed.values_milli.empty()) {
        return failed("FailedGetObjectMetric", "unable to get metric " + spec.metric_name);
      }
      if (spec.target.type == MetricTargetType::kValue) {
        return from_calc(get_object_metric_replicas(spec_replicas, spec.target.value_milli, tolerances,
                                                    observed.values_milli.front(), observed.timestamp, pods),
                         "FailedGetObjectMetric", spec.described_object_kind + " metric " + spec.metric_name);
      }
      if (spec.target.type == MetricTargetType::kAverageValue) {
        return from_calc(get_object_per_pod_metric_replicas(status_replicas, spec.target.average_value_milli,
                                                            tolerances, observed.values_milli.front(),
                                                            observed.timestamp),
                         "FailedGetObjectMetric", "external metric " + spec.metric_name + "(<nil>)");
      }
      return failed("FailedGetObjectMetric",
                    "invalid object metric source: neither a value target nor an average value target was set");
    }
    case MetricSourceType::kExternal: {
      if (!observed.available) {
        return failed("FailedGetExternalMetric", "unable to get external metric " + spec.metric_name);
      }
      if (spec.target.type == MetricTargetType::kAverageValue) {
        return from_calc(get_external_per_pod_metric_replicas(status_replicas, spec.target.average_value_milli,
                                                              tolerances, observed.values_milli, observed.timestamp),
                         "FailedGetExternalMetric", "external metric " + spec.metric_name + "(<nil>)");
      }
      if (spec.target.type == MetricTargetType::kValue) {
        return from_calc(get_external_metric_replicas(spec_replicas, spec.target.value_milli, tolerances,
                                                      observed.values_milli, observed.timestamp, pods),
                         "FailedGetExternalMetric", "external metric " + spec.metric_name + "(<nil>)");
      }
      return failed("FailedGetExternalMetric",
                    "invalid external metric source: neither a value target nor an average value target was set");
    }
  }
  return failed("InvalidMetricSourceType", "unknown metric source type");
}

// ---------------------------------------------------------------------------------------------
// legacy path

int32_t stabilize_recommendation(std::vector<TimestampedRecommendation>& recommendations,
                                 int32_t prenormalized_desired, Duration window, SimTime now) {
  int32_t max_recommendation = prenormalized_desired;
  bool found_old_sample = false;
  size_t old_sample_index = 0;
  const SimTime cutoff = now - window;
  for (size_t i = 0; i < recommendations.size(); ++i) {
    const TimestampedRecommendation& rec = recommendations[i];
    if (rec.timestamp < cutoff) {
      found_old_sample = true;
      old_sample_index = i;
    } else if (rec.recommendation > max_recommendation) {
      max_recommendation = rec.recommendation;
    }
  }
  const TimestampedRecommendation fresh{prenormalized_desired, now};
  if (found_old_sample) {
    recommendations[old_sample_index] = fresh;
  } else {
    recommendations.push_back(fresh);
  }
  return max_recommendation;
}

int32_t calculate_scale_up_limit(int32_t current_replicas, double factor, double minimum) {
  return static_cast<int32_t>(std::max(factor * static_cast<double>(current_replicas), minimum));
}

NormalizedReplicas convert_desired_replicas_with_rules(int32_t current_replicas, int32_t desired_replicas,
                                                       int32_t min_replicas, int32_t max_replicas,
                                                       double scale_up_limit_factor, double scale_up_limit_minimum) {
  const int32_t minimum_allowed = min_replicas;
  const int32_t scale_up_limit = calculate_scale_up_limit(current_replicas, scale_up_limit_factor, scale_up_limit_minimum);
  int32_t maximum_allowed = 0;
  NormalizedReplicas limiting;
  if (max_replicas > scale_up_limit) {
    maximum_allowed = scale_up_limit;
    limiting = {0, "ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate"};
  } else {
    maximum_allowed = max_replicas;
    limiting = {0, "TooManyReplicas", "the desired replica count is more than the maximum replica count"};
  }
  if (desired_replicas < minimum_allowed) {
    return {minimum_allowed, "TooFewReplicas", "the desired replica count is less than the minimum replica count"};
  }
  if (desired_replicas > maximum_allowed) {
    limiting.replicas = maximum_allowed;
    return limiting;
  }
  return {desired_replicas, "DesiredWithinRange", "the desired count is within the acceptable range"};
}

// ---------------------------------------------------------------------------------------------
// behavior path

NormalizationArg make_normalization_arg(const HpaBehavior& behavior, const HpaControllerConfig& controller,
                                        int32_t min_replicas, int32_t max_replicas, int32_t current_replicas,
                                        int32_t desired_replicas) {
  NormalizationArg a;
  a.scale_up = behavior.scale_up;
  a.scale_down = behavior.scale_down;
  // API defaulting sets scaleUp's window to 0; maybeInitScaleDownStabilizationWindow fills scaleDown's.
  if (!a.scale_up.stabilization_window_seconds.has_value()) a.scale_up.stabilization_window_seconds = 0;
  if (!a.scale_down.stabilization_window_seconds.has_value()) {
    a.scale_down.stabilization_window_seconds =
        static_cast<int32_t>(controller.downscale_stabilization_window.ns / Duration::seconds(1).ns);
  }
  a.min_replicas = min_replicas;
  a.max_replicas = max_replicas;
  a.current_replicas = current_replicas;
  a.desired_replicas = desired_replicas;
  return a;
}

NormalizedReplicas stabilize_recommendation_with_behaviors(std::vector<TimestampedRecommendation>& recommendations,
                                                           const NormalizationArg& args, SimTime now) {
  bool found_old_sample = false;
  size_t old_sample_index = 0;
  int32_t up_recommendation = args.desired_replicas;
  const SimTime up_cutoff = cutoff_seconds(now, args.scale_up.stabilization_window_seconds.value_or(0));
  int32_t down_recommendation = args.desired_replicas;
  const SimTime down_cutoff = cutoff_seconds(now, args.scale_down.stabilization_window_seconds.value_or(0));

  for (size_t i = 0; i < recommendations.size(); ++i) {
    const TimestampedRecommendation& rec = recommendations[i];
    if (rec.timestamp > up_cutoff) up_recommendation = std::min(rec.recommendation, up_recommendation);
    if (rec.timestamp > down_cutoff) down_recommendation = std::max(rec.recommendation, down_recommendation);
    if (rec.timestamp < up_cutoff && rec.timestamp < down_cutoff) {
      found_old_sample = true;
      old_sample_index = i;
    }
  }
  // Start from the current size and pull it into [up, down].
  int32_t recommendation = args.current_replicas;
  if (recommendation < up_recommendation) recommendation = up_recommendation;
  if (recommendation > down_recommendation) recommendation = down_recommendation;

  const TimestampedRecommendation fresh{args.desired_replicas, now};
  if (found_old_sample) {
    recommendations[old_sample_index] = fresh;
  } else {
    recommendations.push_back(fresh);
  }
  if (args.desired_replicas >= args.current_replicas) {
    return {recommendation, "ScaleUpStabilized",
            "recent recommendations were lower than current one, applying the lowest recent recommendation"};
  }
  return {recommendation, "ScaleDownStabilized",
          "recent recommendations were higher than current one, applying the highest recent recommendation"};
}

int32_t get_replicas_change_per_period(int32_t period_seconds, std::span<const TimestampedScaleEvent> events,
                                       SimTime now) {
  const SimTime cutoff = cutoff_seconds(now, period_seconds);
  int32_t replicas = 0;
  for (const TimestampedScaleEvent& e : events) {
    if (e.timestamp > cutoff) replicas += e.replica_change;
  }
  return replicas;
}

int32_t calculate_scale_up_limit_with_scaling_rules(int32_t current_replicas,
                                                    std::span<const TimestampedScaleEvent> scale_up_events,
                                                    std::span<const TimestampedScaleEvent> scale_down_events,
                                                    const HpaScalingRules& rules, SimTime now) {
  if (rules.select_policy == SelectPolicy::kDisabled) return current_replicas;
  const bool pick_min = rules.select_policy == SelectPolicy::kMin;
  int32_t result = pick_min ? std::numeric_limits<int32_t>::max() : std::numeric_limits<int32_t>::min();
  for (const HpaScalingPolicy& policy : rules.policies) {
    const int32_t added = get_replicas_change_per_period(policy.period_seconds, scale_up_events, now);
    const int32_t deleted = get_replicas_change_per_period(policy.period_seconds, scale_down_events, now);
    const int32_t period_start = current_replicas - added + deleted;
    int32_t proposed = 0;
    if (policy.type == ScalingPolicyType::kPods) {
      proposed = period_start + policy.value;
    } else {
      // Rounded up so that a small percentage can still add a pod.
      proposed = static_cast<int32_t>(
          std::ceil(static_cast<double>(period_start) * (1.0 + static_cast<double>(policy.value) / 100.0)));
    }
    result = pick_min ? std::min(result, proposed) : std::max(result, proposed);
  }
  return result;
}

int32_t calculate_scale_down_limit_with_behaviors(int32_t current_replicas,
                                                  std::span<const TimestampedScaleEvent> scale_up_events,
                                                  std::span<const TimestampedScaleEvent> scale_down_events,
                                                  const HpaScalingRules& rules, SimTime now) {
  if (rules.select_policy == SelectPolicy::kDisabled) return current_replicas;
  // For a scale-down the smallest change ('Min') is the highest floor.
  const bool pick_max = rules.select_policy == SelectPolicy::kMin;
  int32_t result = pick_max ? std::numeric_limits<int32_t>::min() : std::numeric_limits<int32_t>::max();
  for (const HpaScalingPolicy& policy : rules.policies) {
    const int32_t added = get_replicas_change_per_period(policy.period_seconds, scale_up_events, now);
    const int32_t deleted = get_replicas_change_per_period(policy.period_seconds, scale_down_events, now);
    const int32_t period_start = current_replicas - added + deleted;
    int32_t proposed = 0;
    if (policy.type == ScalingPolicyType::kPods) {
      proposed = period_start - policy.value;
    } else {
      proposed = static_cast<int32_t>(static_cast<double>(period_start) *
                                      (1.0 - static_cast<double>(policy.value) / 100.0));  // truncation
    }
    result = pick_max ? std::max(result, proposed) : std::min(result, proposed);
  }
  return result;
}

NormalizedReplicas convert_desired_replicas_with_behavior_rate(const NormalizationArg& args,
                                                               std::span<const TimestampedScaleEvent> scale_up_events,
                                                               std::span<const TimestampedScaleEvent> scale_down_events,
                                                               SimTime now) {
  if (args.desired_replicas > args.current_replicas) {
    int32_t scale_up_limit = calculate_scale_up_limit_with_scaling_rules(args.current_replicas, scale_up_events,
                                                                         scale_down_events, args.scale_up, now);
    if (scale_up_limit < args.current_replicas) scale_up_limit = args.current_replicas;
    int32_t maximum_allowed = args.max_replicas;
    NormalizedReplicas limiting;
    if (maximum_allowed > scale_up_limit) {
      maximum_allowed = scale_up_limit;
      limiting = {0, "ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate"};
    } else {
      limiting = {0, "TooManyReplicas", "the desired replica count is more than the maximum replica count"};
    }
    if (args.desired_replicas > maximum_allowed) {
      limiting.replicas = maximum_allowed;
      return limiting;
    }
  } else if (args.desired_replicas < args.current_replicas) {
    int32_t scale_down_limit = calculate_scale_down_limit_with_behaviors(args.current_replicas, scale_up_events,
                                                                         scale_down_events, args.scale_down, now);
    if (scale_down_limit > args.current_replicas) scale_down_limit = args.current_replicas;
    int32_t minimum_allowed = args.min_replicas;
    NormalizedReplicas limiting;
    if (minimum_allowed < scale_down_limit) {
      minimum_allowed = scale_down_limit;
      limiting = {0, "ScaleDownLimit", "the desired replica count is decreasing faster than the maximum scale rate"};
    } else {
      limiting = {0, "TooFewReplicas", "the desired replica count is less than the minimum replica count"};
    }
    if (args.desired_replicas < minimum_allowed) {
      limiting.replicas = minimum_allowed;
      return limiting;
    }
  }
  return {args.desired_replicas, "DesiredWithinRange", "the desired count is within the acceptable range"};
}

void store_scale_event(const std::optional<HpaBehavior>& behavior, HpaHistory& history, int32_t prev_replicas,
                       int32_t new_replicas, SimTime now) {
  if (!behavior.has_value()) return;  // the legacy path never reads events
  const bool up = new_replicas > prev_replicas;
  const HpaScalingRules& rules = up ? behavior->scale_up : behavior->scale_down;
  std::vector<TimestampedScaleEvent>& events = up ? history.scale_up_events : history.scale_down_events;
  int32_t longest_period = 0;
  for (const HpaScalingPolicy& p : rules.policies) longest_period = std::max(longest_period, p.period_seconds);
  const SimTime cutoff = cutoff_seconds(now, longest_period);
  for (TimestampedScaleEvent& e : events) {
    if (e.timestamp < cutoff) e.outdated = true;
  }
  bool found_old_sample = false;
  size_t old_sample_index = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    if (events[i].outdated) {
      found_old_sample = true;
      old_sample_index = i;
    }
  }
  const TimestampedScaleEvent fresh{up ? new_replicas - prev_replicas : prev_replicas - new_replicas, now, false};
  if (found_old_sample) {
    events[old_sample_index] = fresh;
  } else {
    events.push_back(fresh);
  }
}

// ---------------------------------------------------------------------------------------------
// reconcile

HpaDecision hpa_sync(const HpaSyncInput& in) {
  SIM_CHECK(!in.spec.metrics.empty(), "HPA spec.metrics must be non-empty (the API server defaults it)");
  SIM_CHECK(in.metric_values.size() == in.spec.metrics.size(), "one metric observation per spec.metrics entry");

  HpaDecision d;
  d.history = in.history;
  const SimTime now = in.now;
  const int32_t current = in.scale.spec_replicas;
  d.current_replicas = current;
  set_condition(d.conditions, "AbleToScale", true, "SucceededGetScale",
                "the HPA controller was able to get the target's current scale");
  // recordInitialRecommendation
  if (!d.history.recommendations.has_value()) {
    d.history.recommendations = std::vector<TimestampedRecommendation>{{current, now}};
  }
  std::vector<TimestampedRecommendation>& recommendations = *d.history.recommendations;

  const int32_t min_replicas = in.spec.min_replicas.value_or(1);
  const int32_t max_replicas = in.spec.max_replicas;
  int32_t desired = 0;
  bool rescale = true;

  if (current == 0 && min_replicas != 0) {
    desired = 0;
    rescale = false;
    set_condition(d.conditions, "ScalingActive", false, "ScalingDisabled",
                  "scaling is disabled since the replica count of the target is zero");
  } else if (current > max_replicas) {
    d.rescale_reason = "Current number of replicas above Spec.MaxReplicas";
    desired = max_replicas;
  } else if (current < min_replicas) {
    d.rescale_reason = "Current number of replicas below Spec.MinReplicas";
    desired = min_replicas;
  } else {
    // computeReplicasForMetrics
    const Tolerances tolerances = tolerances_for_hpa(in.spec, in.controller);
    const PodReadinessRules rules{in.controller.cpu_initialization_period, in.controller.initial_readiness_delay};
    int32_t replicas = 0;
    std::string metric;
    size_t invalid = 0;
    const MetricProposal* first_invalid = nullptr;
    for (size_t i = 0; i < in.spec.metrics.size(); ++i) {
      d.proposals.push_back(compute_replicas_for_metric(in.spec.metrics[i], in.metric_values[i], in.scale, in.pods,
                                                        tolerances, rules, now));
    }
    for (const MetricProposal& p : d.proposals) {
      if (!p.valid) {
        if (invalid == 0) first_invalid = &p;
        ++invalid;
        continue;
      }
      if (replicas == 0 || p.replicas > replicas) {
        replicas = p.replicas;
        metric = p.metric_name;
      }
    }
    std::string invalid_error;
    if (first_invalid != nullptr) {
      invalid_error = "invalid metrics (" + std::to_string(invalid) + " invalid out of " +
                      std::to_string(in.spec.metrics.size()) + "), first error is: " + first_invalid->error;
    }
    if (invalid >= in.spec.metrics.size() || (invalid > 0 && replicas < current)) {
      // No scaling: every metric failed, or a failed metric might be hiding a higher proposal.
      set_condition(d.conditions, "ScalingActive", false, first_invalid->failure_reason,
                    "the HPA was unable to compute the replica count: " + first_invalid->error);
      d.metric_desired_replicas = -1;
      d.error = invalid_error;
      d.desired_replicas = current;
      d.stabilized_replicas = current;
      d.rescale = false;
      return d;
    }
    set_condition(d.conditions, "ScalingActive", true, "ValidMetricFound",
                  "the HPA was able to successfully calculate a replica count from " + metric);
    d.error = invalid_error;  // partial failure: scale on the valid metrics, report the error
    d.metric_desired_replicas = replicas;
    d.metric_name = metric;

    std::string rescale_metric;
    if (replicas > desired) {
      desired = replicas;
      rescale_metric = metric;
    }
    if (desired > current) d.rescale_reason = rescale_metric + " above target";
    if (desired < current) d.rescale_reason = "All metrics below target";

    const int32_t prenormalized = desired;
    NormalizedReplicas limited;
    if (!in.spec.behavior.has_value()) {
      // normalizeDesiredReplicas
      const int32_t stabilized = stabilize_recommendation(recommendations, prenormalized,
                                                          in.controller.downscale_stabilization_window, now);
      d.stabilized_replicas = stabilized;
      if (stabilized != prenormalized) {
        d.stabilization_reason = "ScaleDownStabilized";
        set_condition(d.conditions, "AbleToScale", true, "ScaleDownStabilized",
                      "recent recommendations were higher than current one, applying the highest recent "
                      "recommendation");
      } else {
        d.stabilization_reason = "ReadyForNewScale";
        set_condition(d.conditions, "AbleToScale", true, "ReadyForNewScale", "recommended size matches current size");
      }
      limited = convert_desired_replicas_with_rules(current, stabilized, min_replicas, max_replicas,
                                                    in.controller.scale_up_limit_factor,
                                                    in.controller.scale_up_limit_minimum);
    } else {
      // normalizeDesiredReplicasWithBehaviors
      NormalizationArg args = make_normalization_arg(*in.spec.behavior, in.controller, min_replicas, max_replicas,
                                                     current, prenormalized);
      const NormalizedReplicas stabilized = stabilize_recommendation_with_behaviors(recommendations, args, now);
      d.stabilized_replicas = stabilized.replicas;
      args.desired_replicas = stabilized.replicas;
      if (stabilized.replicas != prenormalized) {
        d.stabilization_reason = stabilized.reason;
        set_condition(d.conditions, "AbleToScale", true, stabilized.reason, stabilized.message);
      } else {
        d.stabilization_reason = "ReadyForNewScale";
        set_condition(d.conditions, "AbleToScale", true, "ReadyForNewScale", "recommended size matches current size");
      }
      limited = convert_desired_replicas_with_behavior_rate(args, d.history.scale_up_events,
                                                            d.history.scale_down_events, now);
    }
    d.limited = limited.replicas != d.stabilized_replicas;
    d.limit_reason = limited.reason;
    set_condition(d.conditions, "ScalingLimited", d.limited, limited.reason, limited.message);
    desired = limited.replicas;
    rescale = desired != current;
  }

  if (d.stabilization_reason.empty()) d.stabilized_replicas = desired;
  if (rescale) {
    set_condition(d.conditions, "AbleToScale", true, "SucceededRescale",
                  "the HPA controller was able to update the target scale to " + std::to_string(desired));
    store_scale_event(in.spec.behavior, d.history, current, desired, now);
  } else {
    desired = current;
  }
  d.rescale = rescale;
  d.desired_replicas = desired;
  return d;
}

}  // namespace kubemind::control
