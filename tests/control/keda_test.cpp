// SPDX-License-Identifier: MIT
// KEDA operator decisions. Vectors transcribed from kedacore/keda:
//   pkg/scaling/executor/scale_scaledobjects_test.go (12 tests, RequestScale is called with
//     isActive/isError given, so these call keda_request_scale the same way), and
//   pkg/fallback/fallback_test.go (10 `It` cases; their metric "some_metric_name" is our trigger's
//     metric "s0-prometheus", their createMetricSpec(n) is a Prometheus trigger with threshold n).
// The rest are hand-worked from the code paths quoted in sim/control/keda.h.
#include "sim/control/keda.h"

#include <catch2/catch.hpp>

using namespace kubemind;
using control::KedaAction;
using control::KedaConditionStatus;
using control::KedaEvalInput;
using control::KedaFallback;
using control::KedaHealthEntry;
using control::KedaHealthStatus;
using control::KedaMetricType;
using control::KedaPollDecision;
using control::KedaScaledObjectSpec;
using control::KedaStatus;
using control::KedaTrigger;
using control::KedaTriggerObservation;
using control::KedaTriggerType;
using engine::Duration;
using engine::SimTime;

namespace {

/// The executor tests build the ScaledObject without a creation timestamp (Go's zero time, long
/// before now), so the initial cooldown has always elapsed.
constexpr SimTime kCreated{0};
const SimTime kNow = SimTime{0} + Duration::seconds(3600);

KedaPollDecision request_scale(const KedaScaledObjectSpec& spec, int32_t current, bool is_active, bool is_error,
                               std::vector<std::string> active_triggers = {}) {
  KedaPollDecision d;
  d.is_active = is_active;
  d.is_error = is_error;
  d.active_triggers = std::move(active_triggers);
  control::keda_request_scale(spec, KedaStatus{}, current, kCreated, kNow, d);
  return d;
}

KedaScaledObjectSpec min_idle(int32_t min, std::optional<int32_t> idle = std::nullopt) {
  KedaScaledObjectSpec s;
  s.min_replica_count = min;
  s.idle_replica_count = idle;
  return s;
}

/// A ScaledObject with one Prometheus trigger (threshold = the test's createMetricSpec target).
KedaEvalInput fallback_input(std::optional<KedaFallback> fb, double target, KedaTriggerObservation obs,
                             std::vector<KedaHealthEntry> health = {}) {
  KedaEvalInput in;
  KedaTrigger t;
  t.type = KedaTriggerType::kPrometheus;
  t.threshold = target;
  in.spec.triggers.push_back(t);
  in.spec.fallback = fb;
  in.status.health = std::move(health);
  in.observations.push_back(obs);
  in.current_replicas = 1;
  in.now = kNow;
  return in;
}

const KedaHealthEntry* health_of(const std::vector<KedaHealthEntry>& h, const std::string& name) {
  for (const auto& e : h) {
    if (e.metric_name == name) return &e;
  }
  return nullptr;
}

const KedaTriggerObservation kError{true, false, 0.0};

/// A successful query returning `v`.
KedaTriggerObservation ok(double v) { return KedaTriggerObservation{false, false, v}; }

}  // namespace

// ---------------------------------------------------------------- executor vectors (12)

TEST_CASE("TestScaleToMinReplicasWhenNotActive: inactive, min 0, 10 replicas go to 0", "[control][keda]") {
  const auto d = request_scale(min_idle(0), 10, false, false);
  CHECK(d.action == KedaAction::kScaleToZeroOrIdle);
  CHECK(d.target_replicas == 0);
  CHECK(d.active == KedaConditionStatus::kFalse);
}

TEST_CASE("TestScaleToMinReplicasFromLowerInitialReplicaCount: inactive, 1 replica below min 5 goes to 5",
          "[control][keda]") {
  const auto d = request_scale(min_idle(5), 1, false, false);
  CHECK(d.action == KedaAction::kScaleToMinReplicas);
  CHECK(d.target_replicas == 5);
  CHECK(d.active == KedaConditionStatus::kFalse);
}

TEST_CASE("TestScaleFromMinReplicasWhenActive: active at 0 replicas with min 0 goes to 1", "[control][keda]") {
  const auto d = request_scale(min_idle(0), 0, true, false);
  CHECK(d.action == KedaAction::kScaleFromZeroOrIdle);
  CHECK(d.target_replicas == 1);
  CHECK(d.active == KedaConditionStatus::kTrue);
  CHECK(d.active_reason == "ScalerActive");
  CHECK(d.last_active_time == kNow);
}

TEST_CASE("TestScaleToIdleReplicasWhenNotActive: inactive, idle 0 and min 5, 10 replicas go to idle 0",
          "[control][keda]") {
  const auto d = request_scale(min_idle(5, 0), 10, false, false);
  CHECK(d.action == KedaAction::kScaleToZeroOrIdle);
  CHECK(d.target_replicas == 0);
  CHECK(d.active == KedaConditionStatus::kFalse);
}

TEST_CASE("TestScaleFromIdleToMinReplicasWhenActive: active at idle 0 goes to min 5", "[control][keda]") {
  const auto d = request_scale(min_idle(5, 0), 0, true, false);
  CHECK(d.action == KedaAction::kScaleFromZeroOrIdle);
  CHECK(d.target_replicas == 5);
  CHECK(d.active == KedaConditionStatus::kTrue);
  CHECK(d.active_reason == "ScalerActive");
}

TEST_CASE("TestScaleToPausedReplicasCount: paused-replicas 0 wins over an active trigger", "[control][keda]") {
  KedaScaledObjectSpec s;
  s.paused_replicas = 0;
  const auto d = request_scale(s, 2, true, false);
  CHECK(d.action == KedaAction::kSetPausedReplicas);
  CHECK(d.target_replicas == 0);
  CHECK(d.active != KedaConditionStatus::kTrue);
}

TEST_CASE("TestEventWitTriggerInfo: the activation event names the trigger, from 2 to 5", "[control][keda]") {
  const auto d = request_scale(min_idle(5, 0), 2, true, false, {"testTrigger"});
  CHECK(d.target_replicas == 5);
  CHECK(d.reason == "Scaled from 2 to 5, triggered by testTrigger");
}

TEST_CASE("TestNoScaleToMinReplicasWhenNotActiveAndPauseScaleInAnnotationSet: 10 replicas stay", "[control][keda]") {
  auto s = min_idle(0);
  s.paused_scale_in = true;
  const auto d = request_scale(s, 10, false, false);
  CHECK(d.action == KedaAction::kNoChange);
  CHECK(d.target_replicas == 10);
  CHECK(d.active == KedaConditionStatus::kFalse);
}

TEST_CASE("TestNoScaleToIdleReplicasWhenNotActiveAndPauseScaleInAnnotationSet: 10 replicas stay", "[control][keda]") {
  auto s = min_idle(5, 0);
  s.paused_scale_in = true;
  const auto d = request_scale(s, 10, false, false);
  CHECK(d.target_replicas == 10);
  CHECK(d.active == KedaConditionStatus::kFalse);
}

TEST_CASE("TestScaleFromMinReplicasWhenActivationForced: force-activation scales 0 to 1 while inactive",
          "[control][keda]") {
  auto s = min_idle(0);
  s.force_activation = true;
  const auto d = request_scale(s, 0, false, false);
  CHECK(d.target_replicas == 1);
  CHECK(d.active == KedaConditionStatus::kTrue);
  CHECK(d.active_reason == "ScalerActive");
  CHECK(d.reason.find("caused by forced activation annotation") != std::string::npos);
}

TEST_CASE("TestNoScaleFromMinReplicasWhenActiveAndPausedScaleOutAnnotationSet: stays at 0", "[control][keda]") {
  auto s = min_idle(0);
  s.paused_scale_out = true;
  const auto d = request_scale(s, 0, true, false);
  CHECK(d.target_replicas == 0);
  CHECK(d.active == KedaConditionStatus::kTrue);
}

TEST_CASE("TestNoScaleFromIdleReplicasToMinReplicasWhenActiveAndPausedScaleOutAnnotationSet: stays at idle 0",
          "[control][keda]") {
  auto s = min_idle(5, 0);
  s.max_replica_count = 10;
  s.paused_scale_out = true;
  const auto d = request_scale(s, 0, true, false);
  CHECK(d.target_replicas == 0);
  CHECK(d.active == KedaConditionStatus::kTrue);
}

// ---------------------------------------------------------------- fallback vectors (10)

TEST_CASE("fallback_test: should return the expected metric when fallback is disabled", "[control][keda]") {
  const auto v = control::keda_hpa_view(fallback_input(std::nullopt, 3, ok(5.0)));
  REQUIRE(v.metrics.size() == 1);
  CHECK(v.metrics[0].has_value);
  CHECK(v.metrics[0].value_milli == 5000);
  CHECK_FALSE(v.any_error);
}

TEST_CASE("fallback_test: should reset the health status when scaler metrics are available", "[control][keda]") {
  const auto v = control::keda_hpa_view(fallback_input(KedaFallback{3, 10, control::KedaFallbackBehavior::kStatic}, 3,
                                                       ok(6.0), {{"s0-prometheus", 5, KedaHealthStatus::kFailing}}));
  CHECK(v.metrics[0].value_milli == 6000);
  const auto* h = health_of(v.health, "s0-prometheus");
  REQUIRE(h != nullptr);
  CHECK(h->number_of_failures == 0);
  CHECK(h->status == KedaHealthStatus::kHappy);
}

TEST_CASE("fallback_test: should propagate the error when fallback is disabled", "[control][keda]") {
  const auto v = control::keda_hpa_view(fallback_input(std::nullopt, 3, kError));
  CHECK_FALSE(v.metrics[0].has_value);
  CHECK(v.any_error);
}

TEST_CASE("fallback_test: should bump the number of failures when metrics call fails", "[control][keda]") {
  const auto v = control::keda_hpa_view(fallback_input(KedaFallback{3, 10, control::KedaFallbackBehavior::kStatic}, 10,
                                                       kError, {{"s0-prometheus", 0, KedaHealthStatus::kHappy}}));
  CHECK(v.any_error);
  const auto* h = health_of(v.health, "s0-prometheus");
  REQUIRE(h != nullptr);
  CHECK(h->number_of_failures == 1);
  CHECK(h->status == KedaHealthStatus::kFailing);
}

TEST_CASE("fallback_test: should return a normalised metric when number of failures are beyond threshold",
          "[control][keda]") {
  const auto v = control::keda_hpa_view(fallback_input(KedaFallback{3, 10, control::KedaFallbackBehavior::kStatic}, 10,
                                                       kError, {{"s0-prometheus", 3, KedaHealthStatus::kHappy}}));
  CHECK_FALSE(v.any_error);
  CHECK(v.metrics[0].fallback_applied);
  CHECK(v.metrics[0].value_milli == 100 * 1000);  // expectedMetricValue 100
  const auto* h = health_of(v.health, "s0-prometheus");
  REQUIRE(h != nullptr);
  CHECK(h->number_of_failures == 4);
  CHECK(h->status == KedaHealthStatus::kFailing);
}

TEST_CASE("fallback_test: should behave as if fallback is disabled when the target type is not average value",
          "[control][keda]") {
  auto in = fallback_input(KedaFallback{3, 10, control::KedaFallbackBehavior::kStatic}, 3, kError,
                           {{"s0-prometheus", 5, KedaHealthStatus::kFailing}});
  in.spec.triggers[0].metric_type = KedaMetricType::kUtilization;
  const auto v = control::keda_hpa_view(in);
  CHECK_FALSE(v.metrics[0].fallback_applied);
  CHECK(v.any_error);
  CHECK(health_of(v.health, "s0-prometheus")->number_of_failures == 5);  // not persisted
}

TEST_CASE("fallback_test: should ignore error if we fail to update kubernetes status", "[control][keda]") {
  // The status patch failing does not change the answer: 100, and 4 failures in memory.
  const auto v = control::keda_hpa_view(fallback_input(KedaFallback{3, 10, control::KedaFallbackBehavior::kStatic}, 10,
                                                       kError, {{"s0-prometheus", 3, KedaHealthStatus::kHappy}}));
  CHECK(v.metrics[0].value_milli == 100 * 1000);
  CHECK(health_of(v.health, "s0-prometheus")->number_of_failures == 4);
}

TEST_CASE("fallback_test: should return error when fallback is enabled but scaledobject has invalid parameter",
          "[control][keda]") {
  const auto v = control::keda_hpa_view(fallback_input(KedaFallback{-3, 10, control::KedaFallbackBehavior::kStatic}, 10,
                                                       kError, {{"s0-prometheus", 3, KedaHealthStatus::kHappy}}));
  CHECK_FALSE(v.metrics[0].has_value);
  CHECK(v.any_error);
}

TEST_CASE("fallback_test: should set the fallback condition when a fallback exists in the scaled object",
          "[control][keda]") {
  const auto v = control::keda_hpa_view(fallback_input(
      KedaFallback{3, 10, control::KedaFallbackBehavior::kStatic}, 10, kError,
      {{"another metric name", 6, KedaHealthStatus::kFailing}, {"s0-prometheus", 3, KedaHealthStatus::kHappy}}));
  CHECK_FALSE(v.any_error);
  CHECK(v.fallback_condition == KedaConditionStatus::kTrue);
}

TEST_CASE("fallback_test: should set the fallback condition to false if the config is invalid", "[control][keda]") {
  const auto v = control::keda_hpa_view(fallback_input(
      KedaFallback{-3, 10, control::KedaFallbackBehavior::kStatic}, 10, kError,
      {{"another metric name", 6, KedaHealthStatus::kFailing}, {"s0-prometheus", 3, KedaHealthStatus::kHappy}}));
  CHECK(v.any_error);
  CHECK(v.fallback_condition != KedaConditionStatus::kTrue);
}

// ---------------------------------------------------------------- hand-worked cases

namespace {

/// Worked example of autoscalers.md 2.4a: Prometheus threshold 10, activationThreshold 2, min 0, max 20.
KedaEvalInput worked(int32_t current, double value, SimTime now, std::optional<SimTime> last_active) {
  KedaEvalInput in;
  KedaTrigger t;
  t.threshold = 10;
  t.activation_threshold = 2;
  in.spec.triggers.push_back(t);
  in.spec.max_replica_count = 20;
  in.current_replicas = current;
  in.observations.push_back(ok(value));
  in.status.last_active_time = last_active;
  in.creation_time = SimTime{0};
  in.now = now;
  return in;
}

SimTime at_s(int64_t s) { return SimTime{0} + Duration::seconds(s); }

}  // namespace

TEST_CASE("KEDA activates 0 -> 1 only when the metric is strictly above activationThreshold", "[control][keda]") {
  // At the threshold (2 > 2 is false): inactive, and at 0 replicas there is nothing to do.
  auto r = control::keda_evaluate(worked(0, 2.0, at_s(30), std::nullopt));
  CHECK_FALSE(r.poll.is_active);
  CHECK(r.poll.action == KedaAction::kNoChange);
  CHECK(r.poll.target_replicas == 0);
  // Above it: active, 0 -> max(1, min 0) = 1, lastActiveTime stamped with the poll time.
  r = control::keda_evaluate(worked(0, 35.0, at_s(60), std::nullopt));
  CHECK(r.poll.is_active);
  CHECK(r.poll.action == KedaAction::kScaleFromZeroOrIdle);
  CHECK(r.poll.target_replicas == 1);
  CHECK(r.status.last_active_time == at_s(60));
  CHECK(r.poll.active_triggers == std::vector<std::string>{"prometheusScaler"});
  // The HPA KEDA created: min max(1, 0) = 1, max 20; External metric s0-prometheus, target 10 (AverageValue),
  // value 35, so the HPA proposes ceil(35 / 10) = 4 from status.replicas 1.
  REQUIRE(r.hpa.metrics.size() == 1);
  CHECK(r.hpa.hpa_min_replicas == 1);
  CHECK(r.hpa.hpa_max_replicas == 20);
  CHECK(r.hpa.metrics[0].metric_name == "s0-prometheus");
  CHECK(r.hpa.metrics[0].target_milli == 10'000);
  CHECK(r.hpa.metrics[0].value_milli == 35'000);
}

TEST_CASE("KEDA refreshes lastActiveTime on every active poll and scales 1 -> 0 only after the cooldown",
          "[control][keda]") {
  // Active at 4 replicas (the HPA's doing): no change, lastActiveTime = now.
  auto r = control::keda_evaluate(worked(4, 35.0, at_s(100), at_s(70)));
  CHECK(r.poll.action == KedaAction::kNoChange);
  CHECK(r.poll.target_replicas == 4);
  CHECK(r.status.last_active_time == at_s(100));
  // 1.5 is above 0 but below activation: inactive. lastActiveTime 100 + cooldown 300 = 400.
  r = control::keda_evaluate(worked(1, 1.5, at_s(130), at_s(100)));
  CHECK(r.poll.action == KedaAction::kCoolingDown);
  CHECK(r.poll.active_reason == "ScalerCooldown");
  CHECK(r.poll.target_replicas == 1);
  CHECK(r.status.last_active_time == at_s(100));  // not refreshed while inactive
  // Exactly at 400 s: 400 < 400 is false, still cooling down (Go's Before is strict).
  r = control::keda_evaluate(worked(1, 1.5, at_s(400), at_s(100)));
  CHECK(r.poll.action == KedaAction::kCoolingDown);
  // The next poll, 30 s later: 1 -> 0.
  r = control::keda_evaluate(worked(1, 1.5, at_s(430), at_s(100)));
  CHECK(r.poll.action == KedaAction::kScaleToZeroOrIdle);
  CHECK(r.poll.target_replicas == 0);
  CHECK(r.poll.active_reason == "ScalerNotActive");
}

TEST_CASE("KEDA's initialCooldownPeriod counts from creation while lastActiveTime is nil", "[control][keda]") {
  auto in = worked(3, 0.0, at_s(60), std::nullopt);
  in.spec.initial_cooldown_period_s = 120;
  CHECK(control::keda_poll(in).action == KedaAction::kCoolingDown);  // 0 + 120 < 60 is false
  in.now = at_s(121);
  const auto d = control::keda_poll(in);
  CHECK(d.action == KedaAction::kScaleToZeroOrIdle);
  CHECK(d.target_replicas == 0);
}

TEST_CASE("KEDA trigger errors: partial error keeps lastActiveTime, full error without fallback marks Ready False",
          "[control][keda]") {
  // Two Prometheus triggers, one active and one failing, at 3 replicas.
  KedaEvalInput in = worked(3, 35.0, at_s(200), at_s(170));
  in.spec.triggers.push_back(in.spec.triggers[0]);
  in.observations.push_back(kError);
  auto d = control::keda_poll(in);
  CHECK(d.is_active);
  CHECK(d.is_error);
  CHECK(d.ready == KedaConditionStatus::kUnknown);
  CHECK(d.ready_reason == "PartialTriggerError");
  CHECK(d.last_active_time == at_s(170));
  CHECK(d.target_replicas == 3);
  // Both failing, no fallback: Ready False TriggerError and no scale to zero.
  in.observations[0] = kError;
  d = control::keda_poll(in);
  CHECK_FALSE(d.is_active);
  CHECK(d.ready == KedaConditionStatus::kFalse);
  CHECK(d.ready_reason == "TriggerError");
  CHECK(d.target_replicas == 3);
  // With a fallback (replicas 6): the executor holds, so that the HPA can apply the fallback.
  in.spec.fallback = KedaFallback{2, 6, control::KedaFallbackBehavior::kStatic};
  d = control::keda_poll(in);
  CHECK(d.action == KedaAction::kHoldForFallback);
  CHECK(d.target_replicas == 3);
}

TEST_CASE("KEDA fallback behaviours pick the replicas multiplied into the synthetic metric", "[control][keda]") {
  // Target 10, fallback replicas 10, third failure beyond threshold 2; current replicas 12 or 7.
  const std::vector<KedaHealthEntry> failing{{"s0-prometheus", 2, KedaHealthStatus::kFailing}};
  auto value_for = [&](control::KedaFallbackBehavior b, int32_t current) {
    auto in = fallback_input(KedaFallback{2, 10, b}, 10, kError, failing);
    in.current_replicas = current;
    return control::keda_hpa_view(in).metrics[0].value_milli / 1000;
  };
  using B = control::KedaFallbackBehavior;
  CHECK(value_for(B::kStatic, 12) == 100);
  CHECK(value_for(B::kCurrentReplicas, 12) == 120);
  CHECK(value_for(B::kCurrentReplicasIfHigher, 12) == 120);
  CHECK(value_for(B::kCurrentReplicasIfHigher, 7) == 100);
  CHECK(value_for(B::kCurrentReplicasIfLower, 7) == 70);
  CHECK(value_for(B::kCurrentReplicasIfLower, 12) == 100);
  // The normalisation value is int64(target): a 2.5 target falls back to 2 x 10 = 20.
  auto in = fallback_input(KedaFallback{2, 10, control::KedaFallbackBehavior::kStatic}, 2.5, kError, failing);
  CHECK(control::keda_hpa_view(in).metrics[0].value_milli == 20'000);
}

TEST_CASE("KEDA treats an all-cpu/memory ScaledObject as always active, a mixed one by its external triggers",
          "[control][keda]") {
  KedaEvalInput in;
  KedaTrigger cpu;
  cpu.type = KedaTriggerType::kCpu;
  cpu.metric_type = KedaMetricType::kUtilization;
  cpu.threshold = 60;
  in.spec.triggers = {cpu};
  in.spec.min_replica_count = 1;
  in.observations = {KedaTriggerObservation{}};
  in.current_replicas = 2;
  in.now = at_s(100);
  auto r = control::keda_evaluate(in);
  CHECK(r.poll.is_active);
  CHECK(r.poll.target_replicas == 2);
  CHECK_FALSE(r.hpa.metrics[0].external);
  CHECK(r.hpa.metrics[0].metric_name == "cpu");
  CHECK(r.hpa.metrics[0].target_milli == 60);
  // Add a Prometheus trigger reading 0 with min 0: the object is inactive and can go to zero.
  KedaTrigger prom;
  prom.threshold = 5;
  in.spec.triggers.push_back(prom);
  in.spec.min_replica_count = 0;
  in.observations.push_back(ok(0.0));
  r = control::keda_evaluate(in);
  CHECK_FALSE(r.poll.is_active);
  CHECK(r.poll.action == KedaAction::kScaleToZeroOrIdle);  // lastActiveTime nil, creation 0 < 100
  CHECK(r.hpa.metrics[1].metric_name == "s1-prometheus");
}

TEST_CASE("KEDA's Prometheus trigger reads a null result as 0 unless ignoreNullValues is false", "[control][keda]") {
  KedaEvalInput in = worked(2, 0.0, at_s(500), at_s(100));
  in.observations[0].null_result = true;
  auto r = control::keda_evaluate(in);
  CHECK_FALSE(r.poll.is_error);
  CHECK_FALSE(r.poll.is_active);
  CHECK(r.poll.action == KedaAction::kScaleToZeroOrIdle);  // 100 + 300 < 500
  CHECK(r.hpa.metrics[0].value_milli == 0);
  in.spec.triggers[0].ignore_null_values = false;
  r = control::keda_evaluate(in);
  CHECK(r.poll.is_error);
  CHECK(r.poll.ready_reason == "TriggerError");
  CHECK(r.poll.target_replicas == 2);
  CHECK_FALSE(r.hpa.metrics[0].has_value);
}
