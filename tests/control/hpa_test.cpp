// SPDX-License-Identifier: MIT
// Test vectors transcribed from kubernetes/kubernetes pkg/controller/podautoscaler/horizontal_test.go
// (each TEST_CASE / section names the Go test or subtest), plus the production-default hold of a
// scale-down over successive syncs (hand-worked from the rules, see the last tests).
//
// How the Go harness (testCase.prepareTestClient / setupController) maps onto HpaSyncInput:
//  - pods test-pod-0..N-1 with N = len(reportedCPURequests), or statusReplicas if that is nil; each
//    pod has two containers requesting request/2 (so the pod request is 2 x (request / 2)); the
//    Ready condition's lastTransitionTime equals the pod's startTime (the zero time unless
//    reportedPodStartTime gives hotCPUCreationTime() = now / coolCPUCreationTime() = now - 3 min);
//  - CPU samples: pod i uses reportedLevels[i], split as level/2 per container (integer division),
//    timestamp now, window 1 min; custom (Pods) metric samples are reportedLevels[i] milli-units;
//    an Object metric is reportedLevels[0]; an External metric returns every reportedLevels entry;
//  - the HPA's metrics are a CPU Utilization metric if CPUTarget > 0, then metricsTarget;
//  - behavior is set iff scaleUpRules or scaleDownRules is set, then API-defaulted
//    (SetDefaults_HorizontalPodAutoscalerBehavior);
//  - the controller runs with tolerance 0.1, CPU initialization 2 min, readiness delay 10 s, the
//    5 min downscale window, and scaleUpLimitFactor = 8 (set in the test file's init());
//  - `recommendations: nil` leaves the controller without history (the sync records
//    (current, now)); `[]timestampedRecommendation{}` is an empty, non-nil history.
// A metric spec of the invalid type "CheddarCheese" cannot be expressed here; the tests that use
// one to produce an invalid metric use a metric whose API call fails instead (same code path:
// an invalid metric in computeReplicasForMetrics).

#include <catch2/catch.hpp>

#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "sim/control/hpa.h"

// Test cases name only the fields a Go test sets, as the Go struct literals do; GCC 12 warns about
// the omitted (default-initialized) members of designated initializers.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace {

using namespace kubemind::control;
using kubemind::engine::Duration;
using kubemind::engine::SimTime;

const SimTime kZero = SimTime{0};
const SimTime kNow = SimTime::from_seconds(1e6);
const SimTime kHot = kNow;
const SimTime kCool = kNow - Duration::seconds(180);

constexpr ConditionStatus T = ConditionStatus::kTrue;
constexpr ConditionStatus F = ConditionStatus::kFalse;
constexpr PodPhase Running = PodPhase::kRunning;
constexpr PodPhase Failed = PodPhase::kFailed;

Duration minutes(int64_t m) { return Duration::seconds(60 * m); }
Duration seconds(int64_t s) { return Duration::seconds(s); }

HpaControllerConfig test_controller() {
  HpaControllerConfig c;
  c.tolerance = 0.1;                                      // defaultTestingTolerance
  c.cpu_initialization_period = minutes(2);               // defaultTestingCPUInitializationPeriod
  c.initial_readiness_delay = seconds(10);                // defaultTestingDelayOfInitialReadinessStatus
  c.downscale_stabilization_window = minutes(5);
  c.scale_up_limit_factor = 8;                            // init() { scaleUpLimitFactor = 8 }
  return c;
}

MetricSpec pods_metric(int64_t average_value_milli) {
  MetricSpec m;
  m.type = MetricSourceType::kPods;
  m.metric_name = "qps";
  m.target.type = MetricTargetType::kAverageValue;
  m.target.average_value_milli = average_value_milli;
  return m;
}
MetricSpec object_metric(int64_t value_milli) {
  MetricSpec m;
  m.type = MetricSourceType::kObject;
  m.metric_name = "qps";
  m.described_object_kind = "Deployment";
  m.target.type = MetricTargetType::kValue;
  m.target.value_milli = value_milli;
  return m;
}
MetricSpec object_average_metric(int64_t average_value_milli) {
  MetricSpec m = object_metric(0);
  m.target.type = MetricTargetType::kAverageValue;
  m.target.average_value_milli = average_value_milli;
  return m;
}
MetricSpec external_metric(int64_t value_milli) {
  MetricSpec m;
  m.type = MetricSourceType::kExternal;
  m.metric_name = "qps";
  m.target.type = MetricTargetType::kValue;
  m.target.value_milli = value_milli;
  return m;
}
MetricSpec external_average_metric(int64_t average_value_milli) {
  MetricSpec m = external_metric(0);
  m.target.type = MetricTargetType::kAverageValue;
  m.target.average_value_milli = average_value_milli;
  return m;
}

/// generateScalingRules(pods, podsPeriod, percent, percentPeriod, stabilizationWindow).
HpaScalingRules generate_scaling_rules(int32_t pods, int32_t pods_period, int32_t percent, int32_t percent_period,
                                       int32_t stabilization_window) {
  HpaScalingRules r;
  r.stabilization_window_seconds = stabilization_window;
  r.select_policy = SelectPolicy::kMax;
  if (pods != 0) r.policies.push_back({ScalingPolicyType::kPods, pods, pods_period});
  if (percent != 0) r.policies.push_back({ScalingPolicyType::kPercent, percent, percent_period});
  return r;
}

/// GenerateHPAScaleUpRules / GenerateHPAScaleDownRules: the user's rules merged over the defaults
/// (fields here are always set except the policies).
HpaScalingRules merge_rules(const std::optional<HpaScalingRules>& user, const HpaScalingRules& defaults) {
  if (!user.has_value()) return defaults;
  HpaScalingRules r = *user;
  if (r.policies.empty()) r.policies = defaults.policies;
  if (!r.stabilization_window_seconds.has_value()) r.stabilization_window_seconds = defaults.stabilization_window_seconds;
  return r;
}

/// generateEventsUniformDistribution: event k of n sits at now - int(period - seg*(k+1) + seg/2) s.
std::vector<TimestampedScaleEvent> generate_events_uniform(const std::vector<int32_t>& raw, int period_seconds) {
  std::vector<TimestampedScaleEvent> events;
  const double seg = static_cast<double>(period_seconds) / static_cast<double>(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    const auto boundary =
        static_cast<int64_t>(static_cast<double>(period_seconds) - seg * static_cast<double>(i + 1) + seg / 2);
    events.push_back({raw[i], kNow - seconds(boundary), false});
  }
  return events;
}

/// horizontal_test.go testCase, restricted to the fields the transcribed tests use.
struct HcCase {
  int32_t min_replicas = 0;
  int32_t max_replicas = 0;
  int32_t spec_replicas = 0;
  int32_t status_replicas = 0;
  int32_t cpu_target = 0;
  std::vector<MetricSpec> metrics_target;
  std::vector<int64_t> reported_levels;
  std::optional<std::vector<int64_t>> reported_cpu_requests;  ///< milli, per pod as in the Go test
  std::vector<ConditionStatus> reported_pod_readiness;
  std::vector<SimTime> reported_pod_start_time;
  std::vector<PodPhase> reported_pod_phase;
  std::vector<bool> reported_pod_deletion;
  std::optional<std::vector<TimestampedRecommendation>> recommendations;
  std::optional<HpaScalingRules> scale_up_rules;
  std::optional<HpaScalingRules> scale_down_rules;
  std::vector<size_t> failing_metrics;  ///< indexes (in the final metric list) whose API call fails
};

HpaSyncInput make_input(const HcCase& tc) {
  HpaSyncInput in;
  in.now = kNow;
  in.controller = test_controller();
  in.scale = ScaleSubresource{tc.spec_replicas, tc.status_replicas};
  in.spec.min_replicas = tc.min_replicas;
  in.spec.max_replicas = tc.max_replicas;
  if (tc.cpu_target > 0) {
    MetricSpec cpu;
    cpu.type = MetricSourceType::kResource;
    cpu.resource = ResourceName::kCpu;
    cpu.target.type = MetricTargetType::kUtilization;
    cpu.target.average_utilization = tc.cpu_target;
    in.spec.metrics.push_back(cpu);
  }
  for (const MetricSpec& m : tc.metrics_target) in.spec.metrics.push_back(m);
  if (in.spec.metrics.empty()) {
    // "manually add in the defaulting logic": a cpu Resource metric (the API default is 80 %).
    MetricSpec cpu;
    cpu.target.average_utilization = 80;
    in.spec.metrics.push_back(cpu);
  }
  if (tc.scale_up_rules.has_value() || tc.scale_down_rules.has_value()) {
    HpaBehavior b;
    b.scale_up = merge_rules(tc.scale_up_rules, default_scale_up_rules());
    b.scale_down = merge_rules(tc.scale_down_rules, default_scale_down_rules());
    in.spec.behavior = b;
  }
  const size_t n = tc.reported_cpu_requests.has_value() ? tc.reported_cpu_requests->size()
                                                        : static_cast<size_t>(tc.status_replicas);
  for (size_t i = 0; i < n; ++i) {
    PodInfo p;
    p.name = "test-pod-" + std::to_string(i);
    const SimTime start = tc.reported_pod_start_time.empty() ? kZero : tc.reported_pod_start_time[i];
    p.start_time = start;
    p.ready = PodReadyCondition{tc.reported_pod_readiness.empty() ? T : tc.reported_pod_readiness[i], start};
    p.phase = tc.reported_pod_phase.empty() ? Running : tc.reported_pod_phase[i];
    p.deleting = tc.reported_pod_deletion.empty() ? false : static_cast<bool>(tc.reported_pod_deletion[i]);
    const int64_t request = tc.reported_cpu_requests.has_value() ? (*tc.reported_cpu_requests)[i] : 1000;
    p.cpu_request_milli = 2 * (request / 2);
    in.pods.push_back(p);
  }
  for (size_t k = 0; k < in.spec.metrics.size(); ++k) {
    const MetricSpec& m = in.spec.metrics[k];
    MetricObservation o;
    o.timestamp = kNow;
    for (size_t f : tc.failing_metrics) {
      if (f == k) o.available = false;
    }
    for (size_t i = 0; i < tc.reported_levels.size(); ++i) {
      const std::string pod = "test-pod-" + std::to_string(i);
      const int64_t level = tc.reported_levels[i];
      if (m.type == MetricSourceType::kResource) {
        o.pod_samples.push_back({pod, 2 * (level / 2), kNow, minutes(1)});
      } else if (m.type == MetricSourceType::kPods) {
        o.pod_samples.push_back({pod, level, kNow, {}});
      } else if (m.type == MetricSourceType::kExternal || i == 0) {
        o.values_milli.push_back(level);
      }
    }
    in.metric_values.push_back(o);
  }
  in.history.recommendations = tc.recommendations;
  return in;
}

HpaDecision run(const HcCase& tc) { return hpa_sync(make_input(tc)); }

const std::vector<TimestampedRecommendation> kEmptyRecs{};

struct Cond {
  const char* type;
  bool status;
  const char* reason;
};

void expect_conditions(const HpaDecision& d, const std::vector<Cond>& expected) {
  REQUIRE(d.conditions.size() == expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    CHECK(d.conditions[i].type == expected[i].type);
    CHECK(d.conditions[i].status == expected[i].status);
    CHECK(d.conditions[i].reason == expected[i].reason);
  }
}

/// statusOkWithOverrides(): SucceededRescale / ValidMetricFound / DesiredWithinRange, with overrides.
std::vector<Cond> status_ok(const char* able = "SucceededRescale", bool limited = false,
                            const char* limit_reason = "DesiredWithinRange") {
  return {{"AbleToScale", true, able}, {"ScalingActive", true, "ValidMetricFound"},
          {"ScalingLimited", limited, limit_reason}};
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Full reconciles (testCase.runTest)

TEST_CASE("TestScaleUp: CPU 50% against 30% scales 3 to 5", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 2, .max_replicas = 6, .spec_replicas = 3, .status_replicas = 3,
                             .cpu_target = 30, .reported_levels = {300, 500, 700},
                             .reported_cpu_requests = std::vector<int64_t>{1000, 1000, 1000}});
  CHECK(d.desired_replicas == 5);
  CHECK(d.rescale);
  REQUIRE(d.proposals.size() == 1);
  CHECK(d.proposals[0].utilization_percent == 50);  // verifyCPUCurrent
  CHECK(d.rescale_reason == "cpu resource utilization (percentage of request) above target");
  expect_conditions(d, status_ok());
}

TEST_CASE("TestScaleUpUnreadyLessScale", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 2, .max_replicas = 6, .spec_replicas = 3, .status_replicas = 3,
                             .cpu_target = 30, .reported_levels = {300, 500, 700},
                             .reported_cpu_requests = std::vector<int64_t>{1000, 1000, 1000},
                             .reported_pod_readiness = {F, T, T}});
  CHECK(d.desired_replicas == 4);
  CHECK(d.proposals[0].utilization_percent == 60);
}

TEST_CASE("TestScaleUpHotCpuLessScale", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 2, .max_replicas = 6, .spec_replicas = 3, .status_replicas = 3,
                             .cpu_target = 30, .reported_levels = {300, 500, 700},
                             .reported_cpu_requests = std::vector<int64_t>{1000, 1000, 1000},
                             .reported_pod_start_time = {kHot, kCool, kCool}});
  CHECK(d.desired_replicas == 4);
  CHECK(d.proposals[0].utilization_percent == 60);
}

TEST_CASE("TestScaleUpUnreadyNoScale", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 2, .max_replicas = 6, .spec_replicas = 3, .status_replicas = 3,
                             .cpu_target = 30, .reported_levels = {400, 500, 700},
                             .reported_cpu_requests = std::vector<int64_t>{1000, 1000, 1000},
                             .reported_pod_readiness = {T, F, F}});
  CHECK(d.desired_replicas == 3);
  CHECK_FALSE(d.rescale);
  CHECK(d.proposals[0].utilization_percent == 40);
  expect_conditions(d, status_ok("ReadyForNewScale"));
}

TEST_CASE("TestScaleUpHotCpuNoScale", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 2, .max_replicas = 6, .spec_replicas = 3, .status_replicas = 3,
                             .cpu_target = 30, .reported_levels = {400, 500, 700},
                             .reported_cpu_requests = std::vector<int64_t>{1000, 1000, 1000},
                             .reported_pod_readiness = {T, F, F},
                             .reported_pod_start_time = {kCool, kHot, kHot}});
  CHECK(d.desired_replicas == 3);
  CHECK(d.proposals[0].utilization_percent == 40);
  expect_conditions(d, status_ok("ReadyForNewScale"));
}

TEST_CASE("TestScaleUpIgnoresFailedPods", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 2, .max_replicas = 6, .spec_replicas = 2, .status_replicas = 2,
                             .cpu_target = 30, .reported_levels = {500, 700},
                             .reported_cpu_requests = std::vector<int64_t>{1000, 1000, 1000, 1000},
                             .reported_pod_readiness = {T, T, F, F},
                             .reported_pod_phase = {Running, Running, Failed, Failed}});
  CHECK(d.desired_replicas == 4);
  CHECK(d.proposals[0].utilization_percent == 60);
}

TEST_CASE("TestScaleUpIgnoresDeletionPods", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 2, .max_replicas = 6, .spec_replicas = 2, .status_replicas = 2,
                             .cpu_target = 30, .reported_levels = {500, 700},
                             .reported_cpu_requests = std::vector<int64_t>{1000, 1000, 1000, 1000},
                             .reported_pod_readiness = {T, T, F, F},
                             .reported_pod_phase = {Running, Running, Running, Running},
                             .reported_pod_deletion = {false, false, true, true}});
  CHECK(d.desired_replicas == 4);
  CHECK(d.proposals[0].utilization_percent == 60);
}

TEST_CASE("TestScaleUpCM: a Pods metric scales 3 to 4", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 2, .max_replicas = 6, .spec_replicas = 3, .status_replicas = 3,
                             .metrics_target = {pods_metric(15000)}, .reported_levels = {20000, 10000, 30000},
                             .reported_cpu_requests = std::vector<int64_t>{1000, 1000, 1000}});
  CHECK(d.desired_replicas == 4);
  CHECK(d.metric_name == "pods metric qps");
}

TEST_CASE("TestScaleUpCMUnreadyAndHotCpuNoLessScale", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 2, .max_replicas = 6, .spec_replicas = 3, .status_replicas = 3,
                             .metrics_target = {pods_metric(15000)}, .reported_levels = {50000, 10000, 30000},
                             .reported_cpu_requests = std::vector<int64_t>{1000, 1000, 1000},
                             .reported_pod_readiness = {T, T, F},
                             .reported_pod_start_time = {kCool, kCool, kHot}});
  CHECK(d.desired_replicas == 6);
}

TEST_CASE("TestScaleUpCMUnreadyandCpuHot: limited by maxReplicas", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 2, .max_replicas = 6, .spec_replicas = 3, .status_replicas = 3,
                             .metrics_target = {pods_metric(15000)}, .reported_levels = {50000, 15000, 30000},
                             .reported_cpu_requests = std::vector<int64_t>{1000, 1000, 1000},
                             .reported_pod_readiness = {F, T, F},
                             .reported_pod_start_time = {kHot, kCool, kHot}});
  CHECK(d.desired_replicas == 6);
  expect_conditions(d, status_ok("SucceededRescale", true, "TooManyReplicas"));
}

TEST_CASE("TestScaleUpHotCpuNoScaleWouldScaleDown: limited by maxReplicas", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 2, .max_replicas = 6, .spec_replicas = 3, .status_replicas = 3,
                             .metrics_target = {pods_metric(15000)}, .reported_levels = {50000, 15000, 30000},
                             .reported_cpu_requests = std::vector<int64_t>{1000, 1000, 1000},
                             .reported_pod_start_time = {kHot, kCool, kHot}});
  CHECK(d.desired_replicas == 6);
  expect_conditions(d, status_ok("SucceededRescale", true, "TooManyReplicas"));
}

TEST_CASE("TestScaleUpCMObject", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 2, .max_replicas = 6, .spec_replicas = 3, .status_replicas = 3,
                             .metrics_target = {object_metric(15000)}, .reported_levels = {20000}});
  CHECK(d.desired_replicas == 4);
  CHECK(d.metric_name == "Deployment metric qps");
}

TEST_CASE("TestScaleUpCMExternal", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 2, .max_replicas = 6, .spec_replicas = 3, .status_replicas = 3,
                             .metrics_target = {external_metric(6666)}, .reported_levels = {8600}});
  CHECK(d.desired_replicas == 4);
}

TEST_CASE("TestScaleUpPerPodCMExternal", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 2, .max_replicas = 6, .spec_replicas = 3, .status_replicas = 3,
                             .metrics_target = {external_average_metric(2222)}, .reported_levels = {8600}});
  CHECK(d.desired_replicas == 4);
}

TEST_CASE("TestScaleDown", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 2, .max_replicas = 6, .spec_replicas = 5, .status_replicas = 5,
                             .cpu_target = 50, .reported_levels = {100, 300, 500, 250, 250},
                             .reported_cpu_requests = std::vector<int64_t>{1000, 1000, 1000, 1000, 1000},
                             .recommendations = kEmptyRecs});
  CHECK(d.desired_replicas == 3);
  CHECK(d.proposals[0].utilization_percent == 28);
  CHECK(d.rescale_reason == "All metrics below target");
  expect_conditions(d, status_ok());
}

TEST_CASE("TestScaleDownWithScalingRules: behavior set, default scale-down rules", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 2, .max_replicas = 6, .spec_replicas = 5, .status_replicas = 5,
                             .cpu_target = 50, .reported_levels = {100, 300, 500, 250, 250},
                             .reported_cpu_requests = std::vector<int64_t>{1000, 1000, 1000, 1000, 1000},
                             .recommendations = kEmptyRecs,
                             .scale_up_rules = generate_scaling_rules(0, 0, 100, 15, 30)});
  CHECK(d.desired_replicas == 3);
  // storeScaleEvent keeps the change for the next sync's policies.
  REQUIRE(d.history.scale_down_events.size() == 1);
  CHECK(d.history.scale_down_events[0].replica_change == 2);
}

TEST_CASE("TestScaleDownStabilizeInitialSize: the first sync's own sample holds the scale-down", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 2, .max_replicas = 6, .spec_replicas = 5, .status_replicas = 5,
                             .cpu_target = 50, .reported_levels = {100, 300, 500, 250, 250},
                             .reported_cpu_requests = std::vector<int64_t>{1000, 1000, 1000, 1000, 1000},
                             .recommendations = std::nullopt});
  CHECK(d.desired_replicas == 5);
  CHECK(d.metric_desired_replicas == 3);
  CHECK_FALSE(d.rescale);
  expect_conditions(d, status_ok("ScaleDownStabilized"));
}

TEST_CASE("TestScaleDownCM", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 2, .max_replicas = 6, .spec_replicas = 5, .status_replicas = 5,
                             .metrics_target = {pods_metric(20000)},
                             .reported_levels = {12000, 12000, 12000, 12000, 12000},
                             .reported_cpu_requests = std::vector<int64_t>{1000, 1000, 1000, 1000, 1000},
                             .recommendations = kEmptyRecs});
  CHECK(d.desired_replicas == 3);
}

TEST_CASE("TestScaleDownCMObject", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 2, .max_replicas = 6, .spec_replicas = 5, .status_replicas = 5,
                             .metrics_target = {object_metric(20000)}, .reported_levels = {12000},
                             .reported_cpu_requests = std::vector<int64_t>{1000, 1000, 1000, 1000, 1000},
                             .recommendations = kEmptyRecs});
  CHECK(d.desired_replicas == 3);
}

TEST_CASE("TestScaleDownToZeroCMObject: minReplicas 0 and an object value of 0", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 0, .max_replicas = 6, .spec_replicas = 5, .status_replicas = 5,
                             .metrics_target = {object_metric(20000)}, .reported_levels = {0},
                             .reported_cpu_requests = std::vector<int64_t>{1000, 1000, 1000, 1000, 1000},
                             .recommendations = kEmptyRecs});
  CHECK(d.desired_replicas == 0);
}

TEST_CASE("TestScaleDownPerPodCMObject", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 2, .max_replicas = 6, .spec_replicas = 5, .status_replicas = 5,
                             .metrics_target = {object_average_metric(20000)}, .reported_levels = {60000},
                             .reported_cpu_requests = std::vector<int64_t>{1000, 1000, 1000, 1000, 1000},
                             .recommendations = kEmptyRecs});
  CHECK(d.desired_replicas == 3);
}

TEST_CASE("TestScaleDownCMExternal", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 2, .max_replicas = 6, .spec_replicas = 5, .status_replicas = 5,
                             .metrics_target = {external_metric(14400)}, .reported_levels = {8600},
                             .recommendations = kEmptyRecs});
  CHECK(d.desired_replicas == 3);
}

TEST_CASE("TestScaleDownToZeroCMExternal", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 0, .max_replicas = 6, .spec_replicas = 5, .status_replicas = 5,
                             .metrics_target = {external_metric(14400)}, .reported_levels = {0},
                             .recommendations = kEmptyRecs});
  CHECK(d.desired_replicas == 0);
}

TEST_CASE("TestScaleDownPerPodCMExternal", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 2, .max_replicas = 6, .spec_replicas = 5, .status_replicas = 5,
                             .metrics_target = {external_average_metric(3000)}, .reported_levels = {8600},
                             .recommendations = kEmptyRecs});
  CHECK(d.desired_replicas == 3);
}

TEST_CASE("TestScaleDownIncludeUnreadyPods", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 2, .max_replicas = 6, .spec_replicas = 5, .status_replicas = 5,
                             .cpu_target = 50, .reported_levels = {100, 300, 500, 250, 250},
                             .reported_cpu_requests = std::vector<int64_t>{1000, 1000, 1000, 1000, 1000},
                             .reported_pod_readiness = {T, T, T, F, F}, .recommendations = kEmptyRecs});
  CHECK(d.desired_replicas == 2);
  CHECK(d.proposals[0].utilization_percent == 30);
}

TEST_CASE("TestScaleDownIgnoreHotCpuPods", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 2, .max_replicas = 6, .spec_replicas = 5, .status_replicas = 5,
                             .cpu_target = 50, .reported_levels = {100, 300, 500, 250, 250},
                             .reported_cpu_requests = std::vector<int64_t>{1000, 1000, 1000, 1000, 1000},
                             .reported_pod_start_time = {kCool, kCool, kCool, kHot, kHot},
                             .recommendations = kEmptyRecs});
  CHECK(d.desired_replicas == 2);
  CHECK(d.proposals[0].utilization_percent == 30);
}

TEST_CASE("TestScaleDownIgnoresFailedPods", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 2, .max_replicas = 6, .spec_replicas = 5, .status_replicas = 5,
                             .cpu_target = 50, .reported_levels = {100, 300, 500, 250, 250},
                             .reported_cpu_requests = std::vector<int64_t>{1000, 1000, 1000, 1000, 1000, 1000, 1000},
                             .reported_pod_readiness = {T, T, T, T, T, F, F},
                             .reported_pod_phase = {Running, Running, Running, Running, Running, Failed, Failed},
                             .recommendations = kEmptyRecs});
  CHECK(d.desired_replicas == 3);
  CHECK(d.proposals[0].utilization_percent == 28);
}

TEST_CASE("TestScaleDownIgnoresDeletionPods", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 2, .max_replicas = 6, .spec_replicas = 5, .status_replicas = 5,
                             .cpu_target = 50, .reported_levels = {100, 300, 500, 250, 250},
                             .reported_cpu_requests = std::vector<int64_t>{1000, 1000, 1000, 1000, 1000, 1000, 1000},
                             .reported_pod_readiness = {T, T, T, T, T, F, F},
                             .reported_pod_phase = {Running, Running, Running, Running, Running, Running, Running},
                             .reported_pod_deletion = {false, false, false, false, false, true, true},
                             .recommendations = kEmptyRecs});
  CHECK(d.desired_replicas == 3);
  CHECK(d.proposals[0].utilization_percent == 28);
}

TEST_CASE("TestScaleUpOneMetricInvalid: a broken metric does not block a scale-up", "[control][hpa]") {
  // Go: a second metric of invalid type "CheddarCheese"; here a second metric whose API call fails.
  const HpaDecision d = run({.min_replicas = 2, .max_replicas = 6, .spec_replicas = 3, .status_replicas = 3,
                             .cpu_target = 30, .metrics_target = {external_metric(100)},
                             .reported_levels = {300, 400, 500},
                             .reported_cpu_requests = std::vector<int64_t>{1000, 1000, 1000},
                             .failing_metrics = {1}});
  CHECK(d.desired_replicas == 4);
  CHECK(d.proposals[0].utilization_percent == 40);
  CHECK_FALSE(d.error.empty());  // the partial error is reported; scaling still happens
}

TEST_CASE("TestScaleUpOneMetricEmpty: an external metric that errors does not block a scale-up", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 2, .max_replicas = 6, .spec_replicas = 3, .status_replicas = 3,
                             .cpu_target = 30, .metrics_target = {external_metric(100)},
                             .reported_levels = {300, 400, 500},
                             .reported_cpu_requests = std::vector<int64_t>{1000, 1000, 1000},
                             .failing_metrics = {1}});
  CHECK(d.desired_replicas == 4);
}

TEST_CASE("TestScaleUpFromZeroOneMetricInvalid: minReplicas 0, current 0, one broken metric", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 0, .max_replicas = 6, .spec_replicas = 0, .status_replicas = 0,
                             .cpu_target = 30, .metrics_target = {external_metric(100)},
                             .reported_levels = {300, 400, 500},
                             .reported_cpu_requests = std::vector<int64_t>{1000, 1000, 1000},
                             .recommendations = kEmptyRecs, .failing_metrics = {1}});
  CHECK(d.desired_replicas == 4);
}

TEST_CASE("TestNoScaleDownOneMetricEmpty: a broken metric blocks a scale-down", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 2, .max_replicas = 6, .spec_replicas = 5, .status_replicas = 5,
                             .cpu_target = 50, .metrics_target = {external_metric(1000)},
                             .reported_levels = {100, 300, 500, 250, 250},
                             .reported_cpu_requests = std::vector<int64_t>{1000, 1000, 1000, 1000, 1000},
                             .recommendations = kEmptyRecs, .failing_metrics = {1}});
  CHECK(d.desired_replicas == 5);
  CHECK(d.metric_desired_replicas == -1);
  expect_conditions(d, {{"AbleToScale", true, "SucceededGetScale"}, {"ScalingActive", false, "FailedGetExternalMetric"}});
}

TEST_CASE("TestScaleUpBothMetricsEmpty: every metric broken, no scaling", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 2, .max_replicas = 6, .spec_replicas = 3, .status_replicas = 3,
                             .metrics_target = {external_metric(100)},
                             .reported_cpu_requests = std::vector<int64_t>{1000, 1000, 1000},
                             .failing_metrics = {0}});
  CHECK(d.desired_replicas == 3);
  CHECK_FALSE(d.rescale);
  CHECK(d.conditions[1].type == "ScalingActive");
  CHECK_FALSE(d.conditions[1].status);
}

TEST_CASE("TestTolerance", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 1, .max_replicas = 5, .spec_replicas = 3, .status_replicas = 3,
                             .cpu_target = 100, .reported_levels = {1010, 1030, 1020},
                             .reported_cpu_requests = std::vector<int64_t>{900, 1000, 1100}});
  CHECK(d.desired_replicas == 3);
  CHECK(d.proposals[0].rule == "within tolerance");
  expect_conditions(d, status_ok("ReadyForNewScale"));
}

TEST_CASE("TestToleranceCM", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 1, .max_replicas = 5, .spec_replicas = 3, .status_replicas = 3,
                             .metrics_target = {pods_metric(20000)}, .reported_levels = {20000, 20001, 21000},
                             .reported_cpu_requests = std::vector<int64_t>{900, 1000, 1100}});
  CHECK(d.desired_replicas == 3);
  expect_conditions(d, status_ok("ReadyForNewScale"));
}

TEST_CASE("TestToleranceCMObject", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 1, .max_replicas = 5, .spec_replicas = 3, .status_replicas = 3,
                             .metrics_target = {object_metric(20000)}, .reported_levels = {20050},
                             .reported_cpu_requests = std::vector<int64_t>{900, 1000, 1100}});
  CHECK(d.desired_replicas == 3);
  expect_conditions(d, status_ok("ReadyForNewScale"));
}

TEST_CASE("TestToleranceCMExternal", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 2, .max_replicas = 6, .spec_replicas = 4, .status_replicas = 4,
                             .metrics_target = {external_metric(8666)}, .reported_levels = {8600}});
  CHECK(d.desired_replicas == 4);
  expect_conditions(d, status_ok("ReadyForNewScale"));
}

TEST_CASE("TestTolerancePerPodCMExternal", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 2, .max_replicas = 6, .spec_replicas = 4, .status_replicas = 4,
                             .metrics_target = {external_average_metric(2200)}, .reported_levels = {8600}});
  CHECK(d.desired_replicas == 4);
  expect_conditions(d, status_ok("ReadyForNewScale"));
}

TEST_CASE("TestMinReplicas", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 2, .max_replicas = 5, .spec_replicas = 3, .status_replicas = 3,
                             .cpu_target = 90, .reported_levels = {10, 95, 10},
                             .reported_cpu_requests = std::vector<int64_t>{900, 1000, 1100},
                             .recommendations = kEmptyRecs});
  CHECK(d.desired_replicas == 2);
  expect_conditions(d, status_ok("SucceededRescale", true, "TooFewReplicas"));
}

TEST_CASE("TestMinReplicasDesiredZero", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 2, .max_replicas = 5, .spec_replicas = 3, .status_replicas = 3,
                             .cpu_target = 90, .reported_levels = {0, 0, 0},
                             .reported_cpu_requests = std::vector<int64_t>{900, 1000, 1100},
                             .recommendations = kEmptyRecs});
  CHECK(d.desired_replicas == 2);
  expect_conditions(d, status_ok("SucceededRescale", true, "TooFewReplicas"));
}

TEST_CASE("TestZeroReplicas: spec.replicas 0 with minReplicas 3 disables scaling", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 3, .max_replicas = 5, .spec_replicas = 0, .status_replicas = 0,
                             .cpu_target = 90, .reported_cpu_requests = std::vector<int64_t>{}});
  CHECK(d.desired_replicas == 0);
  CHECK_FALSE(d.rescale);
  expect_conditions(d, {{"AbleToScale", true, "SucceededGetScale"}, {"ScalingActive", false, "ScalingDisabled"}});
}

TEST_CASE("TestTooFewReplicas: below minReplicas goes straight to min", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 3, .max_replicas = 5, .spec_replicas = 2, .status_replicas = 2,
                             .cpu_target = 90, .reported_cpu_requests = std::vector<int64_t>{}});
  CHECK(d.desired_replicas == 3);
  expect_conditions(d, {{"AbleToScale", true, "SucceededRescale"}});
}

TEST_CASE("TestTooManyReplicas: above maxReplicas goes straight to max", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 3, .max_replicas = 5, .spec_replicas = 10, .status_replicas = 10,
                             .cpu_target = 90, .reported_cpu_requests = std::vector<int64_t>{}});
  CHECK(d.desired_replicas == 5);
  expect_conditions(d, {{"AbleToScale", true, "SucceededRescale"}});
}

TEST_CASE("TestMaxReplicas", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 2, .max_replicas = 5, .spec_replicas = 3, .status_replicas = 3,
                             .cpu_target = 90, .reported_levels = {8000, 9500, 1000},
                             .reported_cpu_requests = std::vector<int64_t>{900, 1000, 1100}});
  CHECK(d.desired_replicas == 5);
  expect_conditions(d, status_ok("SucceededRescale", true, "TooManyReplicas"));
}

TEST_CASE("TestSuperfluousMetrics", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 2, .max_replicas = 6, .spec_replicas = 4, .status_replicas = 4,
                             .cpu_target = 100, .reported_levels = {4000, 9500, 3000, 7000, 3200, 2000},
                             .reported_cpu_requests = std::vector<int64_t>{1000, 1000, 1000, 1000}});
  CHECK(d.desired_replicas == 6);
  expect_conditions(d, status_ok("SucceededRescale", true, "TooManyReplicas"));
}

TEST_CASE("TestMissingMetrics", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 2, .max_replicas = 6, .spec_replicas = 4, .status_replicas = 4,
                             .cpu_target = 100, .reported_levels = {400, 95},
                             .reported_cpu_requests = std::vector<int64_t>{1000, 1000, 1000, 1000},
                             .recommendations = kEmptyRecs});
  CHECK(d.desired_replicas == 3);
}

TEST_CASE("TestEmptyMetrics", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 2, .max_replicas = 6, .spec_replicas = 4, .status_replicas = 4,
                             .cpu_target = 100, .reported_levels = {},
                             .reported_cpu_requests = std::vector<int64_t>{1000, 1000, 1000, 1000}});
  CHECK(d.desired_replicas == 4);
  expect_conditions(d, {{"AbleToScale", true, "SucceededGetScale"}, {"ScalingActive", false, "FailedGetResourceMetric"}});
}

TEST_CASE("TestEmptyCPURequest", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 1, .max_replicas = 5, .spec_replicas = 1, .status_replicas = 1,
                             .cpu_target = 100, .reported_levels = {200},
                             .reported_cpu_requests = std::vector<int64_t>{}});
  CHECK(d.desired_replicas == 1);
  expect_conditions(d, {{"AbleToScale", true, "SucceededGetScale"}, {"ScalingActive", false, "FailedGetResourceMetric"}});
}

TEST_CASE("TestEventCreated", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 1, .max_replicas = 5, .spec_replicas = 1, .status_replicas = 1,
                             .cpu_target = 50, .reported_levels = {200},
                             .reported_cpu_requests = std::vector<int64_t>{200}});
  CHECK(d.desired_replicas == 2);
}

TEST_CASE("TestEventNotCreated", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 1, .max_replicas = 5, .spec_replicas = 2, .status_replicas = 2,
                             .cpu_target = 50, .reported_levels = {200, 200},
                             .reported_cpu_requests = std::vector<int64_t>{400, 400}});
  CHECK(d.desired_replicas == 2);
  expect_conditions(d, status_ok("ReadyForNewScale"));
}

TEST_CASE("TestMissingReports: the multiplier is the pods that reported", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 1, .max_replicas = 5, .spec_replicas = 4, .status_replicas = 4,
                             .cpu_target = 50, .reported_levels = {200},
                             .reported_cpu_requests = std::vector<int64_t>{200}, .recommendations = kEmptyRecs});
  CHECK(d.desired_replicas == 2);
}

TEST_CASE("TestUpscaleCap: the legacy cap max(8 x current, 4) in the test binary", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 1, .max_replicas = 100, .spec_replicas = 3, .status_replicas = 3,
                             .cpu_target = 10, .reported_levels = {100, 200, 300},
                             .reported_cpu_requests = std::vector<int64_t>{100, 100, 100}});
  CHECK(d.desired_replicas == 24);
  expect_conditions(d, status_ok("SucceededRescale", true, "ScaleUpLimit"));
}

TEST_CASE("TestUpscaleCapGreaterThanMaxReplicas", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 1, .max_replicas = 20, .spec_replicas = 3, .status_replicas = 3,
                             .cpu_target = 10, .reported_levels = {100, 200, 300},
                             .reported_cpu_requests = std::vector<int64_t>{100, 100, 100}});
  CHECK(d.desired_replicas == 20);
  expect_conditions(d, status_ok("SucceededRescale", true, "TooManyReplicas"));
}

TEST_CASE("TestConditionFailedGetMetrics: each metric type's failure reason", "[control][hpa]") {
  struct Row {
    const char* reason;
    std::vector<MetricSpec> specs;
  };
  const std::vector<Row> rows = {{"FailedGetResourceMetric", {}},
                                 {"FailedGetPodsMetric", {pods_metric(15000)}},
                                 {"FailedGetObjectMetric", {object_metric(15000)}},
                                 {"FailedGetExternalMetric", {external_metric(300)}}};
  for (const Row& row : rows) {
    DYNAMIC_SECTION(row.reason) {
      const HpaDecision d = run({.min_replicas = 1, .max_replicas = 100, .spec_replicas = 3, .status_replicas = 3,
                                 .cpu_target = row.specs.empty() ? 10 : 0, .metrics_target = row.specs,
                                 .reported_levels = {100, 200, 300},
                                 .reported_cpu_requests = std::vector<int64_t>{100, 100, 100},
                                 .failing_metrics = {0}});
      CHECK(d.desired_replicas == 3);
      expect_conditions(d, {{"AbleToScale", true, "SucceededGetScale"}, {"ScalingActive", false, row.reason}});
    }
  }
}

TEST_CASE("TestNoBackoffUpscaleCM", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 1, .max_replicas = 5, .spec_replicas = 3, .status_replicas = 3,
                             .metrics_target = {pods_metric(15000)}, .reported_levels = {20000, 10000, 30000},
                             .reported_cpu_requests = std::vector<int64_t>{1000, 1000, 1000}});
  CHECK(d.desired_replicas == 4);
  expect_conditions(d, status_ok("SucceededRescale", false, "DesiredWithinRange"));
}

TEST_CASE("TestNoBackoffUpscaleCMNoBackoffCpu: the larger of two metrics, capped at max", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 1, .max_replicas = 5, .spec_replicas = 3, .status_replicas = 3,
                             .cpu_target = 10, .metrics_target = {pods_metric(15000)},
                             .reported_levels = {20000, 10000, 30000},
                             .reported_cpu_requests = std::vector<int64_t>{1000, 1000, 1000}});
  CHECK(d.desired_replicas == 5);
  expect_conditions(d, status_ok("SucceededRescale", true, "TooManyReplicas"));
}

TEST_CASE("TestStabilizeDownscale: a recommendation of 4 a minute ago holds 4", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 1, .max_replicas = 5, .spec_replicas = 4, .status_replicas = 4,
                             .cpu_target = 100, .reported_levels = {50, 50, 50},
                             .reported_cpu_requests = std::vector<int64_t>{100, 100, 100},
                             .recommendations = std::vector<TimestampedRecommendation>{{10, kNow - minutes(10)},
                                                                                       {4, kNow - minutes(1)}}});
  CHECK(d.desired_replicas == 4);
  expect_conditions(d, status_ok("ScaleDownStabilized"));
}

TEST_CASE("TestComputedToleranceAlgImplementation (horizontal_test.go)", "[control][hpa]") {
  const int32_t start_pods = 10;
  const int64_t total_used = int64_t{start_pods} * 150;
  const int32_t total_requested = static_cast<int32_t>(2 * total_used);
  const double requested_to_used = static_cast<double>(total_requested / static_cast<int32_t>(total_used));
  const int32_t per_pod_requested = total_requested / start_pods;
  double target = std::abs(1 / (requested_to_used * (1 - 0.1))) + .01;
  const double resources_used_ratio =
      static_cast<double>(total_used) / (static_cast<double>(total_requested) * target);
  const int32_t final_pods = static_cast<int32_t>(std::ceil(resources_used_ratio * static_cast<double>(start_pods)));
  const int64_t r = per_pod_requested;
  HcCase tc{.min_replicas = 0, .max_replicas = 1000, .spec_replicas = start_pods, .status_replicas = start_pods,
            .cpu_target = static_cast<int32_t>(target * 100),
            .reported_levels = std::vector<int64_t>(10, total_used / 10),
            .reported_cpu_requests = std::vector<int64_t>{r + 100, r - 100, r + 10, r - 10, r + 2, r - 2, r + 1,
                                                          r - 1, r, r},
            .recommendations = kEmptyRecs};
  CHECK(run(tc).desired_replicas == final_pods);

  target = std::abs(1 / (requested_to_used * (1 - 0.1))) + .004;
  tc.cpu_target = static_cast<int32_t>(target * 100);
  const HpaDecision d = run(tc);
  CHECK(d.desired_replicas == start_pods);
  expect_conditions(d, status_ok("ReadyForNewScale"));
}

TEST_CASE("TestScaleUpRCImmediately: below min skips metrics", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 2, .max_replicas = 6, .spec_replicas = 1, .status_replicas = 1,
                             .reported_levels = {0, 0, 0, 0},
                             .reported_cpu_requests = std::vector<int64_t>{1000, 1000, 1000, 1000}});
  CHECK(d.desired_replicas == 2);
  expect_conditions(d, {{"AbleToScale", true, "SucceededRescale"}});
}

TEST_CASE("TestScaleDownRCImmediately: above max skips metrics", "[control][hpa]") {
  const HpaDecision d = run({.min_replicas = 2, .max_replicas = 5, .spec_replicas = 6, .status_replicas = 6,
                             .cpu_target = 50, .reported_levels = {8000, 9500, 1000},
                             .reported_cpu_requests = std::vector<int64_t>{900, 1000, 1100}});
  CHECK(d.desired_replicas == 5);
  expect_conditions(d, {{"AbleToScale", true, "SucceededRescale"}});
}

// ---------------------------------------------------------------------------------------------
// Normalization unit tests

TEST_CASE("TestConvertDesiredReplicasWithRules (legacy clamps, scaleUpLimitFactor 8)", "[control][hpa]") {
  struct Row {
    int32_t current, desired, min, max, expected;
    const char* condition;
  };
  const std::vector<Row> rows = {{5, 7, 3, 8, 7, "DesiredWithinRange"},
                                 {3, 1, 2, 8, 2, "TooFewReplicas"},
                                 {1, 0, 0, 10, 0, "DesiredWithinRange"},  // "prenormalized desired zeroed replicas"
                                 {20, 1000, 1, 10, 10, "TooManyReplicas"},
                                 {3, 1000, 1, 2000, 24, "ScaleUpLimit"}};  // calculateScaleUpLimit(3) = 24
  for (const Row& row : rows) {
    const NormalizedReplicas n = convert_desired_replicas_with_rules(row.current, row.desired, row.min, row.max, 8, 4);
    CHECK(n.replicas == row.expected);
    CHECK(n.reason == row.condition);
  }
}

TEST_CASE("TestNormalizeDesiredReplicas (legacy stabilization over 5 min)", "[control][hpa]") {
  struct Row {
    const char* name;
    std::vector<TimestampedRecommendation> recs;
    int32_t prenormalized, expected;
    size_t log_length;
  };
  const std::vector<Row> rows = {
      {"empty log", {}, 5, 5, 1},
      {"stabilize", {{4, kNow - minutes(2)}, {5, kNow - minutes(1)}}, 3, 5, 3},
      {"no stabilize", {{1, kNow - minutes(2)}, {2, kNow - minutes(1)}}, 3, 3, 3},
      {"no stabilize - old recommendations", {{10, kNow - minutes(10)}, {9, kNow - minutes(9)}}, 3, 3, 2},
      {"stabilize - old recommendations",
       {{10, kNow - minutes(10)}, {4, kNow - minutes(1)}, {5, kNow - minutes(2)}, {9, kNow - minutes(9)}}, 3, 5, 4},
  };
  for (const Row& row : rows) {
    DYNAMIC_SECTION(row.name) {
      std::vector<TimestampedRecommendation> recs = row.recs;
      CHECK(stabilize_recommendation(recs, row.prenormalized, minutes(5), kNow) == row.expected);
      CHECK(recs.size() == row.log_length);
    }
  }
}

TEST_CASE("TestNormalizeDesiredReplicasWithBehavior (stabilization windows)", "[control][hpa]") {
  struct Row {
    const char* name;
    std::vector<TimestampedRecommendation> recs;
    int32_t current, prenormalized, expected;
    std::vector<int32_t> expected_recs;  // empty: not checked (as in the Go table)
    int32_t up_window, down_window;
  };
  const std::vector<Row> rows = {
      {"empty recommendations for scaling down", {}, 100, 5, 5, {5}, 0, 0},
      {"simple scale down stabilization", {{4, kNow - minutes(2)}, {5, kNow - minutes(1)}}, 100, 3, 5, {4, 5, 3}, 0,
       180},
      {"simple scale up stabilization", {{4, kNow - minutes(2)}, {5, kNow - minutes(1)}}, 1, 7, 4, {4, 5, 7}, 300, 0},
      {"no scale down stabilization", {{1, kNow - minutes(2)}, {2, kNow - minutes(1)}}, 100, 3, 3, {1, 2, 3}, 300, 0},
      {"no scale up stabilization", {{4, kNow - minutes(2)}, {5, kNow - minutes(1)}}, 1, 3, 3, {4, 5, 3}, 0, 300},
      {"no scale down stabilization, reuse recommendation element",
       {{10, kNow - minutes(10)}, {9, kNow - minutes(9)}}, 100, 3, 3, {10, 3}, 0, 0},
      {"no scale up stabilization, reuse recommendation element",
       {{10, kNow - minutes(10)}, {9, kNow - minutes(9)}}, 1, 100, 100, {10, 100}, 0, 0},
      {"scale down stabilization, reuse one of obsolete recommendation element",
       {{10, kNow - minutes(10)}, {4, kNow - minutes(1)}, {5, kNow - minutes(2)}, {9, kNow - minutes(9)}}, 100, 3, 5,
       {10, 4, 5, 3}, 0, 180},
      {"scale up stabilization, reuse one of obsolete recommendation element",
       {{10, kNow - minutes(100)}, {6, kNow - minutes(1)}, {5, kNow - minutes(2)}, {9, kNow - minutes(3)}}, 1, 100, 5,
       {100, 6, 5, 9}, 300, 0},
      {"scale up and down stabilization, do not scale up when prenormalized rec goes down",
       {{2, kNow - minutes(100)}, {3, kNow - minutes(3)}}, 2, 1, 2, {}, 300, 300},
      {"scale up and down stabilization, do not scale down when prenormalized rec goes up",
       {{2, kNow - minutes(100)}, {1, kNow - minutes(3)}}, 2, 3, 2, {}, 300, 300},
  };
  for (const Row& row : rows) {
    DYNAMIC_SECTION(row.name) {
      std::vector<TimestampedRecommendation> recs = row.recs;
      NormalizationArg args;
      args.current_replicas = row.current;
      args.desired_replicas = row.prenormalized;
      args.scale_up.stabilization_window_seconds = row.up_window;
      args.scale_down.stabilization_window_seconds = row.down_window;
      CHECK(stabilize_recommendation_with_behaviors(recs, args, kNow).replicas == row.expected);
      if (!row.expected_recs.empty()) {
        REQUIRE(recs.size() == row.expected_recs.size());
        for (size_t i = 0; i < recs.size(); ++i) CHECK(recs[i].recommendation == row.expected_recs[i]);
      }
    }
  }
}

TEST_CASE("TestScalingWithRules (policies over scale events, selectPolicy, min/max)", "[control][hpa]") {
  struct Row {
    const char* name;
    std::vector<TimestampedScaleEvent> up_events, down_events;
    int32_t min, max;
    std::optional<HpaScalingRules> up_rules, down_rules;
    int32_t current, prenormalized, expected;
    const char* condition;
  };
  const auto g = generate_scaling_rules;
  const auto ev = generate_events_uniform;
  const std::vector<Row> rows = {
      {"prenormalized desired replicas within range", {}, {}, 3, 8, {}, {}, 5, 7, 7, "DesiredWithinRange"},
      {"prenormalized desired replicas < minReplicas", {}, {}, 2, 8, {}, {}, 3, 1, 2, "TooFewReplicas"},
      {"prenormalized desired replicas within range when minReplicas is 0", {}, {}, 0, 10, {}, {}, 1, 0, 0,
       "DesiredWithinRange"},
      {"maxReplicas is the limit because maxReplicas < scaleUpLimit", {}, {}, 1, 10, {}, {}, 20, 1000, 10,
       "TooManyReplicas"},
      {"desired replica count is more than the maximum replica count", {}, {}, 100, 150, {}, {}, 100, 1000, 150,
       "TooManyReplicas"},
      {"scaleUpLimit is the limit because scaleUpLimit < maxReplicas with user policies", {}, {}, 1, 2000,
       g(0, 0, 1, 60, 0), {}, 3, 1000, 4, "ScaleUpLimit"},
      // testThis: true in the Go table, which makes the Go subtest return early; kept, the value holds.
      {"scaleDownLimit is the limit because scaleDownLimit > minReplicas with user defined policies", {}, {}, 3, 2000,
       {}, g(20, 60, 0, 0, 0), 1000, 3, 980, "ScaleDownLimit"},
      {"scaleUp with default behavior", {}, {}, 1, 1000, {}, {}, 10, 50, 20, "ScaleUpLimit"},
      {"scaleUp with pods policy larger than percent policy", {}, {}, 1, 1000, g(100, 60, 100, 60, 0), {}, 10, 500,
       110, "ScaleUpLimit"},
      {"scaleUp with percent policy larger than pods policy", {}, {}, 1, 1000, g(2, 60, 100, 60, 0), {}, 10, 500, 20,
       "ScaleUpLimit"},
      {"scaleUp with spec MaxReplicas limitation with large pod policy", {}, {}, 1, 1000, g(100, 60, 0, 0, 0), {}, 10,
       50, 50, "DesiredWithinRange"},
      {"scaleUp with spec MaxReplicas limitation with large percent policy", {}, {}, 1, 1000, g(10000, 60, 0, 0, 0),
       {}, 10, 50, 50, "DesiredWithinRange"},
      {"scaleUp with pod policy limitation", {}, {}, 1, 1000, g(30, 60, 0, 0, 0), {}, 10, 50, 40, "ScaleUpLimit"},
      {"scaleUp with percent policy limitation", {}, {}, 1, 1000, g(0, 0, 200, 60, 0), {}, 10, 50, 30,
       "ScaleUpLimit"},
      {"scaleDown with percent policy larger than pod policy", {}, {}, 1, 1000, {}, g(20, 60, 1, 60, 300), 100, 2, 80,
       "ScaleDownLimit"},
      {"scaleDown with pod policy larger than percent policy", {}, {}, 1, 1000, {}, g(2, 60, 1, 60, 300), 100, 2, 98,
       "ScaleDownLimit"},
      {"scaleDown with spec MinReplicas=nil limitation with large pod policy", {}, {}, 1, 1000, {},
       g(100, 60, 0, 0, 300), 10, 0, 1, "TooFewReplicas"},
      {"scaleDown with spec MinReplicas limitation with large pod policy", {}, {}, 1, 1000, {}, g(100, 60, 0, 0, 300),
       10, 0, 1, "TooFewReplicas"},
      {"scaleDown with spec MinReplicas limitation with large percent policy", {}, {}, 5, 1000, {},
       g(0, 0, 100, 60, 300), 10, 2, 5, "TooFewReplicas"},
      {"scaleDown with pod policy limitation", {}, {}, 1, 1000, {}, g(5, 60, 0, 0, 300), 10, 2, 5, "ScaleDownLimit"},
      {"scaleDown with percent policy limitation", {}, {}, 1, 1000, {}, g(0, 0, 50, 60, 300), 10, 5, 5,
       "DesiredWithinRange"},
      {"scaleUp with spec MaxReplicas limitation with large pod policy and events", ev({1, 5, 9}, 120), {}, 1, 200,
       g(300, 60, 0, 0, 0), {}, 100, 500, 200, "TooManyReplicas"},
      {"scaleUp with spec MaxReplicas limitation with large percent policy and events", ev({1, 5, 9}, 120), {}, 1, 200,
       g(0, 0, 10000, 60, 0), {}, 100, 500, 200, "TooManyReplicas"},
      {"scaleUp with currentReplicas limitation with rate.PeriodSeconds with a lot of recent scale up events",
       ev({1, 5, 9}, 120), {}, 1, 1000, g(5, 120, 0, 0, 0), {}, 100, 500, 100, "ScaleUpLimit"},
      {"scaleUp with pod policy and previous scale up events", ev({1, 5, 9}, 120), {}, 1, 1000, g(150, 120, 0, 0, 0),
       {}, 100, 500, 235, "ScaleUpLimit"},
      {"scaleUp with percent policy and previous scale up events", ev({1, 5, 9}, 120), {}, 1, 1000,
       g(0, 0, 200, 120, 0), {}, 100, 500, 255, "ScaleUpLimit"},
      {"scaleUp with percent policy and previous scale up and down events", ev({4}, 120), ev({2}, 120), 1, 1000,
       g(0, 0, 300, 300, 0), {}, 6, 24, 16, "ScaleUpLimit"},
      {"scaleDown with default policy and previous events", {}, ev({1, 5, 9}, 120), 1, 1000, {}, {}, 10, 5, 5,
       "DesiredWithinRange"},
      {"scaleDown with spec MinReplicas=nil limitation with large pod policy and previous events", {},
       ev({1, 5, 9}, 120), 1, 1000, {}, g(115, 120, 0, 0, 300), 100, 0, 1, "TooFewReplicas"},
      {"scaleDown with spec MinReplicas limitation with large pod policy and previous events", {}, ev({1, 5, 9}, 120),
       5, 1000, {}, g(130, 120, 0, 0, 300), 100, 0, 5, "TooFewReplicas"},
      {"scaleDown with spec MinReplicas limitation with large percent policy and previous events", {},
       ev({1, 5, 9}, 120), 5, 1000, {}, g(0, 0, 100, 120, 300), 100, 2, 5, "TooFewReplicas"},
      {"scaleDown with pod policy limitation and previous events", {}, ev({1, 5, 9}, 120), 1, 1000, {},
       g(5, 120, 0, 0, 300), 100, 2, 100, "ScaleDownLimit"},
      {"scaleDown with percent policy limitation and previous events", {}, ev({2, 4, 6}, 120), 1, 1000, {},
       g(0, 0, 50, 120, 300), 100, 0, 56, "ScaleDownLimit"},
      {"scaleDown with percent policy and previous scale up and down events", ev({2}, 120), ev({4}, 120), 1, 1000, {},
       g(0, 0, 50, 180, 0), 10, 1, 6, "ScaleDownLimit"},
      {"scaleDown with previous events preventing further scale down", {}, ev({10, 10, 10}, 120), 1, 1000, {},
       g(0, 0, 10, 120, 300), 100, 0, 100, "ScaleDownLimit"},
      {"scaleDown with with previous events still allowing more scale down", {}, ev({10, 10, 10}, 120), 1, 1000, {},
       g(0, 0, 1000, 120, 300), 10, 5, 5, "DesiredWithinRange"},
      {"check 'outdated' flag for events for one behavior for up", ev({8, 12, 9, 11}, 120), {}, 1, 1000,
       g(1000, 60, 0, 0, 0), {}, 100, 200, 200, "DesiredWithinRange"},
      {"check that events were not marked 'outdated' for two different policies in the behavior for up",
       ev({8, 12, 9, 11}, 120), {}, 1, 1000, g(1000, 120, 100, 60, 0), {}, 100, 200, 200, "DesiredWithinRange"},
      {"check that events were marked 'outdated' for two different policies in the behavior for up",
       ev({8, 12, 9, 11}, 120), {}, 1, 1000, g(1000, 30, 100, 60, 0), {}, 100, 200, 200, "DesiredWithinRange"},
      {"check 'outdated' flag for events for one behavior for down", {}, ev({8, 12, 9, 11}, 120), 1, 1000, {},
       g(1000, 60, 0, 0, 300), 100, 5, 5, "DesiredWithinRange"},
      {"check that events were not marked 'outdated' for two different policies in the behavior for down", {},
       ev({8, 12, 9, 11}, 120), 1, 1000, {}, g(1000, 120, 100, 60, 300), 100, 5, 5, "DesiredWithinRange"},
      {"check that events were marked 'outdated' for two different policies in the behavior for down", {},
       ev({8, 12, 9, 11}, 120), 1, 1000, {}, g(1000, 30, 100, 60, 300), 100, 5, 5, "DesiredWithinRange"},
  };
  for (const Row& row : rows) {
    DYNAMIC_SECTION(row.name) {
      NormalizationArg args;
      args.scale_up = merge_rules(row.up_rules, default_scale_up_rules());
      args.scale_down = merge_rules(row.down_rules, default_scale_down_rules());
      args.min_replicas = row.min;
      args.max_replicas = row.max;
      args.current_replicas = row.current;
      args.desired_replicas = row.prenormalized;
      const NormalizedReplicas n = convert_desired_replicas_with_behavior_rate(args, row.up_events, row.down_events, kNow);
      CHECK(n.replicas == row.expected);
      CHECK(n.reason == row.condition);
    }
  }
}

TEST_CASE("TestStoreScaleEvents (outdated events are reused, both directions)", "[control][hpa]") {
  struct Row {
    const char* name;
    std::vector<TimestampedScaleEvent> prev;
    std::vector<TimestampedScaleEvent> expected;  // timestamps not compared, as in Go
    std::optional<HpaScalingRules> rules;
    int32_t expected_change;
  };
  const auto g = generate_scaling_rules;
  const std::vector<Row> rows = {
      {"empty entries with default behavior", {}, {}, std::nullopt, 0},
      {"empty entries with two-policy-behavior", {}, {{5, kNow, false}}, g(10, 60, 100, 60, 0), 0},
      {"one outdated entry to be kept untouched without behavior", {{7, kNow - seconds(61), false}},
       {{7, kNow, false}}, std::nullopt, 0},
      {"one outdated entry to be replaced with behavior", {{7, kNow - seconds(61), false}}, {{5, kNow, false}},
       g(10, 60, 100, 60, 0), 0},
      {"one actual entry to be not touched with behavior", {{7, kNow - seconds(58), false}},
       {{7, kNow, false}, {5, kNow, false}}, g(10, 60, 100, 60, 0), 7},
      {"two entries, one of them to be replaced",
       {{7, kNow - seconds(61), false}, {6, kNow - seconds(59), false}},
       {{5, kNow, false}, {6, kNow, false}}, g(10, 60, 0, 0, 0), 6},
      {"replace one entry, use policies with different periods",
       {{8, kNow - seconds(29), false}, {6, kNow - seconds(59), false}, {7, kNow - seconds(61), false},
        {9, kNow - seconds(61), false}},
       {{8, kNow, false}, {6, kNow, false}, {7, kNow, true}, {5, kNow, false}}, g(10, 60, 100, 30, 0), 14},
      {"two entries, both actual", {{7, kNow - seconds(58), false}, {6, kNow - seconds(59), false}},
       {{7, kNow, false}, {6, kNow, false}, {5, kNow, false}}, g(10, 120, 100, 30, 0), 13},
  };
  for (const Row& row : rows) {
    for (const bool up : {true, false}) {
      DYNAMIC_SECTION(row.name << (up ? " (up)" : " (down)")) {
        HpaHistory h;
        (up ? h.scale_up_events : h.scale_down_events) = row.prev;
        const std::vector<TimestampedScaleEvent>& events = up ? h.scale_up_events : h.scale_down_events;
        CHECK(get_replicas_change_per_period(60, events, kNow) == row.expected_change);
        std::optional<HpaBehavior> behavior;
        if (row.rules.has_value()) {
          behavior = HpaBehavior{};
          (up ? behavior->scale_up : behavior->scale_down) = *row.rules;
        }
        store_scale_event(behavior, h, 10, up ? 10 + 5 : 10 - 5, kNow);
        // Without behavior nothing is stored: the list is what it was.
        const std::vector<TimestampedScaleEvent> expected = row.rules.has_value() ? row.expected : row.prev;
        REQUIRE(events.size() == expected.size());
        for (size_t i = 0; i < events.size(); ++i) {
          CHECK(events[i].replica_change == expected[i].replica_change);
          CHECK(events[i].outdated == expected[i].outdated);
        }
      }
    }
  }
}

TEST_CASE("TestCalculateScaleUpLimitWithScalingRules: selectPolicy Min picks the smallest increase", "[control][hpa]") {
  HpaScalingRules rules = generate_scaling_rules(2, 60, 50, 60, 300);
  rules.select_policy = SelectPolicy::kMin;
  CHECK(calculate_scale_up_limit_with_scaling_rules(1, {}, {}, rules, kNow) == 2);
}

TEST_CASE("TestCalculateScaleDownLimitWithBehaviors: selectPolicy Min picks the smallest decrease", "[control][hpa]") {
  HpaScalingRules rules = generate_scaling_rules(2, 60, 50, 60, 300);
  rules.select_policy = SelectPolicy::kMin;
  CHECK(calculate_scale_down_limit_with_behaviors(5, {}, {}, rules, kNow) == 3);
}

// ---------------------------------------------------------------------------------------------
// Production defaults over successive syncs (hand-worked from the rules above, not a Go vector)

namespace {

/// 5 Running, Ready pods started an hour ago, each using 300m of a 1000m request: 30 % against a
/// 50 % target proposes ceil(0.6 x 5) = 3 at every sync.
HpaSyncInput production_input(std::optional<HpaBehavior> behavior) {
  HpaSyncInput in;  // HpaControllerConfig{} = production flags: tolerance 0.1, 5 min windows
  in.spec.min_replicas = 1;
  in.spec.max_replicas = 10;
  MetricSpec cpu;
  cpu.target.average_utilization = 50;
  in.spec.metrics.push_back(cpu);
  in.spec.behavior = std::move(behavior);
  in.scale = ScaleSubresource{5, 5};
  in.metric_values.resize(1);
  for (int i = 0; i < 5; ++i) {
    PodInfo p;
    p.name = "pod-" + std::to_string(i);
    p.start_time = SimTime::from_seconds(-3600);
    p.ready = PodReadyCondition{T, SimTime::from_seconds(-3590)};
    p.cpu_request_milli = 1000;
    in.pods.push_back(p);
  }
  return in;
}

/// Syncs every 15 s from t = 15 s (the HPA was created at t = 0); returns the first sync time at
/// which the scale-down to 3 happens, checking every earlier sync holds 5.
double first_scale_down_s(std::optional<HpaBehavior> behavior) {
  HpaSyncInput in = production_input(std::move(behavior));
  for (int k = 1; k <= 40; ++k) {
    in.now = SimTime::from_seconds(15.0 * k);
    in.metric_values[0].pod_samples.clear();
    for (const PodInfo& p : in.pods) {
      in.metric_values[0].pod_samples.push_back({p.name, 300, in.now - Duration::seconds(5), Duration::seconds(15)});
    }
    const HpaDecision d = hpa_sync(in);
    REQUIRE(d.metric_desired_replicas == 3);
    in.history = d.history;
    if (d.rescale) {
      CHECK(d.desired_replicas == 3);
      return in.now.seconds_f();
    }
    CHECK(d.desired_replicas == 5);
    CHECK(d.stabilization_reason == "ScaleDownStabilized");
  }
  return -1;
}

}  // namespace

TEST_CASE("an HPA at the production defaults (no behavior) holds a scale-down for 300 s", "[control][hpa]") {
  // The first sync (t = 15 s) records (5, 15 s). The legacy window keeps samples with
  // t >= now - 300 s (inclusive), so 5 is still in the window at t = 315 s and the first sync that
  // can scale down is t = 330 s: 300 s after the first sync, plus one period for the boundary.
  CHECK(first_scale_down_s(std::nullopt) == Approx(330.0));
}

TEST_CASE("an HPA with the default behavior holds a scale-down for exactly the 300 s window", "[control][hpa]") {
  // Behavior path: samples count only if t > now - 300 s (exclusive), so (5, 15 s) leaves the
  // window at t = 315 s, and the default scale-down policy (100 % per 15 s) lets 5 -> 3 at once.
  CHECK(first_scale_down_s(HpaBehavior{}) == Approx(315.0));
}

TEST_CASE("behavior.scaleUp.tolerance overrides the global tolerance for scale-up only", "[control][hpa]") {
  // Hand-worked: 3 pods at 1080m of 1000m against 100 % -> utilization 108, ratio 1.08. Within the
  // global 0.1 band; outside a 0.05 scale-up tolerance -> ceil(1.08 x 3) = 4 (K8s >= 1.33).
  HpaSyncInput in = production_input(HpaBehavior{});
  in.spec.metrics[0].target.average_utilization = 100;
  in.scale = ScaleSubresource{3, 3};
  in.pods.resize(3);
  in.now = SimTime::from_seconds(60);
  in.metric_values[0].pod_samples.clear();
  for (const PodInfo& p : in.pods) {
    in.metric_values[0].pod_samples.push_back({p.name, 1080, in.now, Duration::seconds(15)});
  }
  CHECK(hpa_sync(in).desired_replicas == 3);
  in.spec.behavior->scale_up.tolerance = 0.05;
  const HpaDecision d = hpa_sync(in);
  CHECK(d.proposals[0].utilization_percent == 108);
  CHECK(d.desired_replicas == 4);
  in.spec.behavior->scale_up.tolerance.reset();
  in.spec.behavior->scale_down.tolerance = 0.05;  // the other direction: still within [0.95, 1.1]
  CHECK(hpa_sync(in).desired_replicas == 3);
}

TEST_CASE("default behavior: a scale-up from 4 is capped at max(4 + 4, 2 x 4) per 15 s", "[control][hpa]") {
  // SetDefaults scaleUp policies Pods 4 / 15 s and Percent 100 / 15 s, selectPolicy Max.
  NormalizationArg args = make_normalization_arg(HpaBehavior{}, HpaControllerConfig{}, 1, 100, 4, 50);
  const NormalizedReplicas n = convert_desired_replicas_with_behavior_rate(args, {}, {}, kNow);
  CHECK(n.replicas == 8);
  CHECK(n.reason == "ScaleUpLimit");
  // One sync later the 4 added replicas are still within the 15 s periods only if < 15 s old.
  const std::vector<TimestampedScaleEvent> recent{{4, kNow - seconds(10), false}};
  args.current_replicas = 8;
  CHECK(convert_desired_replicas_with_behavior_rate(args, recent, {}, kNow).replicas == 8);  // start 4 -> cap 8
  const std::vector<TimestampedScaleEvent> expired{{4, kNow - seconds(15), false}};
  CHECK(convert_desired_replicas_with_behavior_rate(args, expired, {}, kNow).replicas == 16);
}
