// SPDX-License-Identifier: MIT
#include "sim/control/keda.h"

#include <algorithm>
#include <cmath>

#include "sim/engine/check.h"

namespace kubemind::control {

namespace {

bool is_resource_trigger(const KedaTrigger& t) {
  return t.type == KedaTriggerType::kCpu || t.type == KedaTriggerType::kMemory;
}

const char* type_name(KedaTriggerType t) {
  switch (t) {
    case KedaTriggerType::kPrometheus: return "prometheus";
    case KedaTriggerType::kCpu: return "cpu";
    case KedaTriggerType::kMemory: return "memory";
  }
  return "?";
}

/// The name scale_handler.go reports for an active trigger: triggers[].name, else the Go type of
/// the scaler ("prometheusScaler").
std::string trigger_display_name(const KedaTrigger& t) {
  if (!t.name.empty()) return t.name;
  return is_resource_trigger(t) ? "cpuMemoryScaler" : "prometheusScaler";
}

/// Go's int64(float64): truncation toward zero.
int64_t go_int64(double v) { return static_cast<int64_t>(v); }

std::vector<KedaHealthEntry>::iterator find_health(std::vector<KedaHealthEntry>& health, const std::string& name) {
  return std::lower_bound(health.begin(), health.end(), name,
                          [](const KedaHealthEntry& e, const std::string& n) { return e.metric_name < n; });
}

void put_health(std::vector<KedaHealthEntry>& health, const KedaHealthEntry& entry) {
  auto it = find_health(health, entry.metric_name);
  if (it != health.end() && it->metric_name == entry.metric_name) {
    *it = entry;
  } else {
    health.insert(it, entry);
  }
}

/// fallbackExistsInScaledObject: some metric failing more than failureThreshold times.
bool fallback_exists(const std::vector<KedaHealthEntry>& health, const KedaFallback& fb) {
  return std::any_of(health.begin(), health.end(), [&](const KedaHealthEntry& e) {
    return e.status == KedaHealthStatus::kFailing && e.number_of_failures > fb.failure_threshold;
  });
}

int64_t fallback_replicas(const KedaFallback& fb, int32_t current_replicas) {
  const int64_t fallback = fb.replicas;
  const int64_t current = current_replicas;
  switch (fb.behavior) {
    case KedaFallbackBehavior::kStatic: return fallback;
    case KedaFallbackBehavior::kCurrentReplicas: return current;
    case KedaFallbackBehavior::kCurrentReplicasIfHigher: return std::max(current, fallback);
    case KedaFallbackBehavior::kCurrentReplicasIfLower: return std::min(current, fallback);
  }
  return fallback;
}

/// The Prometheus scaler's reading of a query result: a null result is 0 or an error.
KedaTriggerObservation resolve(const KedaTrigger& t, const KedaTriggerObservation& o) {
  if (o.error || !o.null_result) return o;
  KedaTriggerObservation r;
  r.error = !t.ignore_null_values;
  r.value = 0.0;
  return r;
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0) s += sep;
    s += v[i];
  }
  return s;
}

/// scaleFromZeroOrIdle.
void scale_from_zero_or_idle(const KedaScaledObjectSpec& spec, int32_t current_replicas, engine::SimTime now,
                             KedaPollDecision& out) {
  if (spec.paused_scale_out) {
    out.action = KedaAction::kNoChange;
    out.reason = "Pause Scale Out annotation set on ScaledObject, no scaling out on active trigger";
    return;
  }
  const int32_t replicas = spec.min_replica_count > 0 ? spec.min_replica_count : 1;
  out.action = KedaAction::kScaleFromZeroOrIdle;
  out.target_replicas = replicas;
  out.reason = "Scaled from " + std::to_string(current_replicas) + " to " + std::to_string(replicas) +
               (spec.force_activation ? std::string(", caused by forced activation annotation")
                                      : ", triggered by " + join(out.active_triggers, ";"));
  out.last_active_time = now;
}

/// scaleToZeroOrIdle: strict "Before" comparisons as in Go's time.Time.Before.
void scale_to_zero_or_idle(const KedaScaledObjectSpec& spec, const KedaStatus& status, engine::SimTime creation_time,
                           engine::SimTime now, KedaPollDecision& out) {
  if (spec.paused_scale_in) {
    out.action = KedaAction::kNoChange;
    out.reason = "Pause Scale Down annotation set on ScaledObject, no scaling down on inactive trigger";
    return;
  }
  const engine::Duration initial_cooldown = engine::Duration::seconds(spec.initial_cooldown_period_s);
  const engine::Duration cooldown = engine::Duration::seconds(spec.cooldown_period_s);
  const bool elapsed = status.last_active_time.has_value() ? (*status.last_active_time + cooldown) < now
                                                           : (creation_time + initial_cooldown) < now;
  if (elapsed) {
    out.action = KedaAction::kScaleToZeroOrIdle;
    out.target_replicas = spec.idle_replica_count.value_or(spec.min_replica_count);
    out.reason = spec.idle_replica_count.has_value()
                     ? "Successfully set ScaleTarget replicas count to ScaledObject idleReplicaCount"
                     : "Successfully set ScaleTarget replicas count to ScaledObject minReplicaCount";
    out.active = KedaConditionStatus::kFalse;
    out.active_reason = "ScalerNotActive";
  } else {
    out.action = KedaAction::kCoolingDown;
    out.reason = "ScaleTarget cooling down";
    out.active = KedaConditionStatus::kFalse;
    out.active_reason = "ScalerCooldown";
  }
}

}  // namespace

std::string keda_metric_name(const KedaTrigger& trigger, size_t index) {
  if (is_resource_trigger(trigger)) return type_name(trigger.type);
  return "s" + std::to_string(index) + "-" + type_name(trigger.type);
}

void keda_activity(const KedaScaledObjectSpec& spec, const std::vector<KedaTriggerObservation>& observations,
                   KedaPollDecision& out) {
  SIM_CHECK(observations.size() == spec.triggers.size(), "one observation per trigger");
  const size_t cpu_mem = static_cast<size_t>(std::count_if(
      spec.triggers.begin(), spec.triggers.end(), [](const KedaTrigger& t) { return is_resource_trigger(t); }));
  out.is_active = false;
  out.is_error = false;
  out.active_triggers.clear();
  for (size_t i = 0; i < spec.triggers.size(); ++i) {
    const KedaTrigger& t = spec.triggers[i];
    if (is_resource_trigger(t)) continue;  // no External spec: KEDA does not query it
    const KedaTriggerObservation o = resolve(t, observations[i]);
    if (o.error) {
      out.is_error = true;
    } else if (o.value > t.activation_threshold) {
      out.is_active = true;
      out.active_triggers.push_back(trigger_display_name(t));
    }
  }
  if (spec.triggers.size() <= cpu_mem && !out.is_error) out.is_active = true;
}

void keda_request_scale(const KedaScaledObjectSpec& spec, const KedaStatus& status, int32_t current_replicas,
                        engine::SimTime creation_time, engine::SimTime now, KedaPollDecision& out) {
  out.action = KedaAction::kNoChange;
  out.target_replicas = current_replicas;
  out.last_active_time = status.last_active_time;
  out.ready = KedaConditionStatus::kTrue;
  out.ready_reason = "ScaledObjectReady";

  if (spec.paused_replicas.has_value()) {
    // The paused count wins over everything; the Active condition is left as it was.
    out.action = KedaAction::kSetPausedReplicas;
    out.target_replicas = *spec.paused_replicas;
    out.reason = "Successfully scaled target to paused replicas count";
    return;
  }
  if (spec.paused) {
    out.reason = "ScaledObject is paused";
    return;
  }

  const int32_t min_replicas = spec.min_replica_count;
  const bool idle_mode = spec.idle_replica_count.has_value();
  if (out.is_active || spec.force_activation) {
    out.active = KedaConditionStatus::kTrue;
    out.active_reason = "ScalerActive";
    if ((idle_mode && current_replicas < min_replicas) || current_replicas == 0) {
      scale_from_zero_or_idle(spec, current_replicas, now, out);
    } else if (out.is_error) {
      // LastActiveTime is deliberately not refreshed here.
      out.ready = KedaConditionStatus::kUnknown;
      out.ready_reason = "PartialTriggerError";
      out.reason = "Some triggers defined in ScaledObject are not working correctly";
    } else {
      out.last_active_time = now;
      out.reason = "triggers are active, replica count > 0: lastActiveTime updated";
    }
    return;
  }

  out.active = KedaConditionStatus::kFalse;
  out.active_reason = "ScalerNotActive";
  if (out.is_error && spec.fallback.has_value() && spec.fallback->replicas != 0) {
    out.action = KedaAction::kHoldForFallback;
    out.reason = "ScaleTarget will fallback to Fallback.Replicas after Fallback.FailureThreshold";
  } else if (out.is_error && !spec.fallback.has_value()) {
    out.ready = KedaConditionStatus::kFalse;
    out.ready_reason = "TriggerError";
    out.reason = "Triggers defined in ScaledObject are not working correctly";
  } else if ((idle_mode && current_replicas > *spec.idle_replica_count) ||
             (current_replicas > 0 && min_replicas == 0)) {
    scale_to_zero_or_idle(spec, status, creation_time, now, out);
  } else if (!idle_mode && current_replicas < min_replicas) {
    out.action = KedaAction::kScaleToMinReplicas;
    out.target_replicas = min_replicas;
    out.reason = "Successfully set ScaleTarget replicas count to ScaledObject minReplicaCount";
  } else {
    out.reason = "ScaleTarget no change";
  }
}

KedaPollDecision keda_poll(const KedaEvalInput& in) {
  KedaPollDecision out;
  keda_activity(in.spec, in.observations, out);
  keda_request_scale(in.spec, in.status, in.current_replicas, in.creation_time, in.now, out);
  return out;
}

KedaHpaView keda_hpa_view(const KedaEvalInput& in) {
  SIM_CHECK(in.observations.size() == in.spec.triggers.size(), "one observation per trigger");
  KedaHpaView view;
  view.hpa_min_replicas = in.spec.min_replica_count > 0 ? in.spec.min_replica_count : 1;
  view.hpa_max_replicas = in.spec.max_replica_count;
  view.health = in.status.health;
  std::sort(view.health.begin(), view.health.end(),
            [](const KedaHealthEntry& a, const KedaHealthEntry& b) { return a.metric_name < b.metric_name; });

  for (size_t i = 0; i < in.spec.triggers.size(); ++i) {
    const KedaTrigger& t = in.spec.triggers[i];
    KedaHpaMetric m;
    m.metric_name = keda_metric_name(t, i);
    m.target_type = t.metric_type;
    if (is_resource_trigger(t)) {
      // A Resource metric: the HPA reads it from metrics-server, KEDA serves nothing.
      m.external = false;
      m.target_milli =
          t.metric_type == KedaMetricType::kUtilization ? go_int64(t.threshold) : go_int64(t.threshold * 1000.0);
      view.metrics.push_back(m);
      continue;
    }
    m.target_milli = go_int64(t.threshold * 1000.0);
    const KedaTriggerObservation o = resolve(t, in.observations[i]);

    // isFallbackEnabled and HasValidFallback; the health status is persisted only when both hold.
    const bool enabled = in.spec.fallback.has_value() && t.metric_type == KedaMetricType::kAverageValue;
    const bool valid = enabled && in.spec.fallback->failure_threshold >= 0 && in.spec.fallback->replicas >= 0;
    KedaHealthEntry entry{m.metric_name, 0, KedaHealthStatus::kHappy};
    if (auto it = find_health(view.health, m.metric_name);
        it != view.health.end() && it->metric_name == m.metric_name) {
      entry = *it;
    }
    if (valid) {
      // updateStatus computes the condition from the status as it was before this call.
      view.fallback_condition =
          fallback_exists(view.health, *in.spec.fallback) ? KedaConditionStatus::kTrue : KedaConditionStatus::kFalse;
    }
    if (!o.error) {
      entry.number_of_failures = 0;
      entry.status = KedaHealthStatus::kHappy;
      if (valid) put_health(view.health, entry);
      m.has_value = true;
      m.value_milli = go_int64(o.value * 1000.0);
      view.metrics.push_back(m);
      continue;
    }
    entry.number_of_failures += 1;
    entry.status = KedaHealthStatus::kFailing;
    if (valid) put_health(view.health, entry);
    if (valid && entry.number_of_failures > in.spec.fallback->failure_threshold) {
      // doFallback: normalisation value int64(target AverageValue), times 1000 milli, times replicas.
      const int64_t normalisation = go_int64(t.threshold);
      m.has_value = true;
      m.fallback_applied = true;
      m.value_milli = normalisation * 1000 * fallback_replicas(*in.spec.fallback, in.current_replicas);
    } else {
      m.has_value = false;
      view.any_error = true;
    }
    view.metrics.push_back(m);
  }
  return view;
}

KedaEvalResult keda_evaluate(const KedaEvalInput& in) {
  KedaEvalResult r;
  r.poll = keda_poll(in);
  r.hpa = keda_hpa_view(in);
  r.status.last_active_time = r.poll.last_active_time;
  r.status.health = r.hpa.health;
  return r;
}

const char* to_string(KedaAction a) {
  switch (a) {
    case KedaAction::kNoChange: return "no_change";
    case KedaAction::kScaleFromZeroOrIdle: return "scale_from_zero_or_idle";
    case KedaAction::kScaleToZeroOrIdle: return "scale_to_zero_or_idle";
    case KedaAction::kCoolingDown: return "cooling_down";
    case KedaAction::kScaleToMinReplicas: return "scale_to_min_replicas";
    case KedaAction::kHoldForFallback: return "hold_for_fallback";
    case KedaAction::kSetPausedReplicas: return "set_paused_replicas";
  }
  return "?";
}

const char* to_string(KedaConditionStatus s) {
  switch (s) {
    case KedaConditionStatus::kUnknown: return "Unknown";
    case KedaConditionStatus::kTrue: return "True";
    case KedaConditionStatus::kFalse: return "False";
  }
  return "?";
}

}  // namespace kubemind::control
