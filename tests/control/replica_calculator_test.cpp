// SPDX-License-Identifier: MIT
// Test vectors transcribed from kubernetes/kubernetes
// pkg/controller/podautoscaler/replica_calculator_test.go (the v2 / per-container-level version):
// each TEST_CASE names the Go test it reproduces, inputs and expected values as there.
//
// How the Go harness maps onto our inputs (replicaCalcTestCase.prepareTestClientSet / runTest):
//  - pods test-pod-0..N-1, N = max(currentReplicas, len(podPhase)); phase Running, Ready=True unless
//    given; the Ready condition's lastTransitionTime is the zero time; startTime is the zero time
//    unless podStartTime gives hotCPUCreationTime() = now or coolCPUCreationTime() = now - 3 min;
//  - every pod has two containers each requesting `requests[i]`, so the pod request is 2x; the
//    resource metric of pod i is 2 x levels[i] (makePodMetricLevels), timestamp = the zero time
//    (tc.timestamp is unset), window 1 min;
//  - controller constants of the test binary: tolerance 0.1, CPU initialization period 2 min,
//    initial readiness delay 10 s (defaultTesting* in replica_calculator.go).
// The Go zero time is SimTime 0 here and "now" is 10^6 s later; every duration the rules compare
// is minutes, so only the order matters.
// ContainerResource variants (TestReplicaCalcContainer*, *Container*) are not transcribed: the
// model takes a pod's request and usage already summed over its containers.

#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "sim/control/replica_calculator.h"

// Test cases are written with designated initializers naming only the fields a Go test sets, as the
// Go struct literals do; GCC 12 warns about the omitted (default-initialized) members.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace {

using namespace kubemind::control;
using kubemind::engine::Duration;
using kubemind::engine::SimTime;

const SimTime kZero = SimTime{0};
const SimTime kNow = SimTime::from_seconds(1e6);
const SimTime kHot = kNow;                                  // hotCPUCreationTime()
const SimTime kCool = kNow - Duration::seconds(3 * 60);     // coolCPUCreationTime()
const Tolerances kTestTolerances{0.1, 0.1};                 // defaultTestingTolerance
const PodReadinessRules kTestRules{Duration::seconds(120), Duration::seconds(10)};

constexpr ConditionStatus T = ConditionStatus::kTrue;
constexpr ConditionStatus F = ConditionStatus::kFalse;
constexpr PodPhase Running = PodPhase::kRunning;
constexpr PodPhase Pending = PodPhase::kPending;
constexpr PodPhase Failed = PodPhase::kFailed;

/// replicaCalcTestCase, restricted to the fields the transcribed tests use.
struct RcCase {
  int32_t current_replicas = 0;
  std::vector<ConditionStatus> pod_readiness;
  std::vector<SimTime> pod_start_time;
  std::vector<PodPhase> pod_phase;
  std::vector<bool> pod_deletion;
  std::vector<int64_t> requests_milli;  ///< per container, as resource.MustParse in the Go test
  std::vector<std::string> pod_names;   ///< names of the metric samples, if not test-pod-i
};

std::string pod_name(size_t i) { return "test-pod-" + std::to_string(i); }

std::vector<PodInfo> make_pods(const RcCase& tc) {
  size_t n = static_cast<size_t>(tc.current_replicas);
  if (tc.pod_phase.size() > n) n = tc.pod_phase.size();
  std::vector<PodInfo> pods;
  for (size_t i = 0; i < n; ++i) {
    PodInfo p;
    p.name = pod_name(i);
    p.phase = tc.pod_phase.empty() ? Running : tc.pod_phase[i];
    p.start_time = tc.pod_start_time.empty() ? kZero : tc.pod_start_time[i];
    p.ready = PodReadyCondition{i < tc.pod_readiness.size() ? tc.pod_readiness[i] : T, kZero};
    p.deleting = tc.pod_deletion.empty() ? false : static_cast<bool>(tc.pod_deletion[i]);
    if (i < tc.requests_milli.size()) p.cpu_request_milli = 2 * tc.requests_milli[i];  // two containers
    pods.push_back(p);
  }
  return pods;
}

/// makePodMetricLevels: both containers at the level, so the pod sample is 2x.
std::vector<PodMetricSample> resource_samples(const RcCase& tc, const std::vector<int64_t>& levels) {
  std::vector<PodMetricSample> s;
  for (size_t i = 0; i < levels.size(); ++i) {
    const std::string name = i < tc.pod_names.size() ? tc.pod_names[i] : pod_name(i);
    s.push_back(PodMetricSample{name, 2 * levels[i], kZero, Duration::seconds(60)});
  }
  return s;
}

/// Custom (Pods) metric samples: one value per pod, as the fake custom metrics client returns.
std::vector<PodMetricSample> custom_samples(const std::vector<int64_t>& levels) {
  std::vector<PodMetricSample> s;
  for (size_t i = 0; i < levels.size(); ++i) s.push_back(PodMetricSample{pod_name(i), levels[i], kZero, {}});
  return s;
}

ReplicaCalcResult run_resource(const RcCase& tc, const std::vector<int64_t>& levels, int32_t target) {
  const std::vector<PodInfo> pods = make_pods(tc);
  const std::vector<PodMetricSample> samples = resource_samples(tc, levels);
  return get_resource_replicas(tc.current_replicas, target, ResourceName::kCpu, kTestTolerances, pods, samples,
                               kTestRules, kNow);
}

ReplicaCalcResult run_pods_metric(const RcCase& tc, const std::vector<int64_t>& levels, int64_t target) {
  const std::vector<PodInfo> pods = make_pods(tc);
  const std::vector<PodMetricSample> samples = custom_samples(levels);
  return get_metric_replicas(tc.current_replicas, target, kTestTolerances, pods, samples, kTestRules, kNow);
}

ReplicaCalcResult run_object(const RcCase& tc, int64_t level, int64_t target) {
  const std::vector<PodInfo> pods = make_pods(tc);
  return get_object_metric_replicas(tc.current_replicas, target, kTestTolerances, level, kZero, pods);
}

ReplicaCalcResult run_external(const RcCase& tc, std::vector<int64_t> levels, int64_t target) {
  const std::vector<PodInfo> pods = make_pods(tc);
  return get_external_metric_replicas(tc.current_replicas, target, kTestTolerances, levels, kZero, pods);
}

void expect_resource(const ReplicaCalcResult& r, int32_t replicas, int32_t utilization, int64_t raw_value) {
  REQUIRE(r.ok);
  CHECK(r.replicas == replicas);
  REQUIRE(r.utilization_percent.has_value());
  CHECK(*r.utilization_percent == utilization);
  CHECK(r.usage_milli == raw_value);
}

void expect_usage(const ReplicaCalcResult& r, int32_t replicas, int64_t usage) {
  REQUIRE(r.ok);
  CHECK(r.replicas == replicas);
  CHECK(r.usage_milli == usage);
}

constexpr int64_t kNumContainersPerPod = 2;

}  // namespace

// ---------------------------------------------------------------------------------------------
// Resource (CPU utilization)

TEST_CASE("TestReplicaCalcDisjointResourcesMetrics: metrics for unknown pods only is an error", "[control][hpa]") {
  RcCase tc{.current_replicas = 1, .requests_milli = {1000}, .pod_names = {"an-older-pod-name"}};
  const ReplicaCalcResult r = run_resource(tc, {100}, 100);
  REQUIRE_FALSE(r.ok);
  CHECK_THAT(r.error, Catch::Contains("no metrics returned matched known pods"));
}

TEST_CASE("TestReplicaCalcScaleUp: 50% of a 30% target on 3 pods gives 5", "[control][hpa]") {
  RcCase tc{.current_replicas = 3, .requests_milli = {1000, 1000, 1000}};
  expect_resource(run_resource(tc, {300, 500, 700}, 30), 5, 50, kNumContainersPerPod * 500);
}

TEST_CASE("TestReplicaCalcScaleUpUnreadyLessScale: an unready pod counts as 0 on scale-up", "[control][hpa]") {
  RcCase tc{.current_replicas = 3, .pod_readiness = {F, T, T}, .requests_milli = {1000, 1000, 1000}};
  expect_resource(run_resource(tc, {300, 500, 700}, 30), 4, 60, kNumContainersPerPod * 600);
}

TEST_CASE("TestReplicaCalcScaleUpHotCpuLessScale: a pod in CPU initialization counts as 0 on scale-up", "[control][hpa]") {
  RcCase tc{.current_replicas = 3, .pod_start_time = {kHot, kCool, kCool}, .requests_milli = {1000, 1000, 1000}};
  expect_resource(run_resource(tc, {300, 500, 700}, 30), 4, 60, kNumContainersPerPod * 600);
}

TEST_CASE("TestReplicaCalcScaleUpUnreadyNoScale: zero-filled unready pods cancel the scale-up", "[control][hpa]") {
  RcCase tc{.current_replicas = 3, .pod_readiness = {T, F, F}, .requests_milli = {1000, 1000, 1000}};
  expect_resource(run_resource(tc, {400, 500, 700}, 30), 3, 40, kNumContainersPerPod * 400);
}

TEST_CASE("TestReplicaCalcScaleHotCpuNoScale: zero-filled initializing pods cancel the scale-up", "[control][hpa]") {
  RcCase tc{.current_replicas = 3,
            .pod_readiness = {T, F, F},
            .pod_start_time = {kCool, kHot, kHot},
            .requests_milli = {1000, 1000, 1000}};
  expect_resource(run_resource(tc, {400, 500, 700}, 30), 3, 40, kNumContainersPerPod * 400);
}

TEST_CASE("TestReplicaCalcScaleUpIgnoresFailedPods: Failed pods are ignored", "[control][hpa]") {
  RcCase tc{.current_replicas = 2,
            .pod_readiness = {T, T, F, F},
            .pod_phase = {Running, Running, Failed, Failed},
            .requests_milli = {1000, 1000, 1000, 1000}};
  expect_resource(run_resource(tc, {500, 700}, 30), 4, 60, kNumContainersPerPod * 600);
}

TEST_CASE("TestReplicaCalcScaleUpIgnoresDeletionPods: deleting pods are ignored", "[control][hpa]") {
  RcCase tc{.current_replicas = 2,
            .pod_readiness = {T, T, F, F},
            .pod_phase = {Running, Running, Running, Running},
            .pod_deletion = {false, false, true, true},
            .requests_milli = {1000, 1000, 1000, 1000}};
  expect_resource(run_resource(tc, {500, 700}, 30), 4, 60, kNumContainersPerPod * 600);
}

TEST_CASE("TestReplicaCalcScaleDown: 28% of a 50% target on 5 pods gives 3", "[control][hpa]") {
  RcCase tc{.current_replicas = 5, .requests_milli = {1000, 1000, 1000, 1000, 1000}};
  expect_resource(run_resource(tc, {100, 300, 500, 250, 250}, 50), 3, 28, kNumContainersPerPod * 280);
}

TEST_CASE("TestReplicaCalcScaleDownExcludeUnreadyPods: unready pods are dropped on scale-down", "[control][hpa]") {
  RcCase tc{.current_replicas = 5, .pod_readiness = {T, T, T, F, F}, .requests_milli = {1000, 1000, 1000, 1000, 1000}};
  expect_resource(run_resource(tc, {100, 300, 500, 250, 250}, 50), 2, 30, kNumContainersPerPod * 300);
}

TEST_CASE("TestReplicaCalcScaleDownExcludeUnscheduledPods: Pending pods are dropped on scale-down", "[control][hpa]") {
  RcCase tc{.current_replicas = 5,
            .pod_readiness = {T, F, F, F, F},
            .pod_phase = {Running, Pending, Pending, Pending, Pending},
            .requests_milli = {1000, 1000, 1000, 1000, 1000}};
  expect_resource(run_resource(tc, {100}, 50), 1, 10, kNumContainersPerPod * 100);
}

TEST_CASE("TestReplicaCalcScaleDownIgnoreHotCpuPods: initializing pods are dropped on scale-down", "[control][hpa]") {
  RcCase tc{.current_replicas = 5,
            .pod_start_time = {kCool, kCool, kCool, kHot, kHot},
            .requests_milli = {1000, 1000, 1000, 1000, 1000}};
  expect_resource(run_resource(tc, {100, 300, 500, 250, 250}, 50), 2, 30, kNumContainersPerPod * 300);
}

TEST_CASE("TestReplicaCalcScaleDownIgnoresFailedPods: Failed pods do not count on scale-down", "[control][hpa]") {
  RcCase tc{.current_replicas = 5,
            .pod_readiness = {T, T, T, T, T, F, F},
            .pod_phase = {Running, Running, Running, Running, Running, Failed, Failed},
            .requests_milli = {1000, 1000, 1000, 1000, 1000, 1000, 1000}};
  expect_resource(run_resource(tc, {100, 300, 500, 250, 250}, 50), 3, 28, kNumContainersPerPod * 280);
}

TEST_CASE("TestReplicaCalcScaleDownIgnoresDeletionPods: deleting pods do not count on scale-down", "[control][hpa]") {
  RcCase tc{.current_replicas = 5,
            .pod_readiness = {T, T, T, T, T, F, F},
            .pod_phase = {Running, Running, Running, Running, Running, Running, Running},
            .pod_deletion = {false, false, false, false, false, true, true},
            .requests_milli = {1000, 1000, 1000, 1000, 1000, 1000, 1000}};
  expect_resource(run_resource(tc, {100, 300, 500, 250, 250}, 50), 3, 28, kNumContainersPerPod * 280);
}

TEST_CASE("TestReplicaCalcTolerance: 102% of a 100% target is within tolerance", "[control][hpa]") {
  RcCase tc{.current_replicas = 3, .requests_milli = {900, 1000, 1100}};
  expect_resource(run_resource(tc, {1010, 1030, 1020}, 100), 3, 102, kNumContainersPerPod * 1020);
}

TEST_CASE("TestReplicaCalcSuperfluousMetrics: samples for pods not in the list are skipped", "[control][hpa]") {
  RcCase tc{.current_replicas = 4, .requests_milli = {1000, 1000, 1000, 1000}};
  expect_resource(run_resource(tc, {4000, 9500, 3000, 7000, 3200, 2000}, 100), 24, 587, kNumContainersPerPod * 5875);
}

TEST_CASE("TestReplicaCalcMissingMetrics: missing pods count as 100% of request on scale-down", "[control][hpa]") {
  RcCase tc{.current_replicas = 4, .requests_milli = {1000, 1000, 1000, 1000}};
  expect_resource(run_resource(tc, {400, 95}, 100), 3, 24, 495);
}

TEST_CASE("TestReplicaCalcEmptyMetrics: no samples is an error", "[control][hpa]") {
  RcCase tc{.current_replicas = 4, .requests_milli = {1000, 1000, 1000}};
  const ReplicaCalcResult r = run_resource(tc, {}, 100);
  REQUIRE_FALSE(r.ok);
  CHECK_THAT(r.error,
             Catch::Contains("unable to get metrics for resource cpu: no metrics returned from resource metrics API"));
}

TEST_CASE("TestReplicaCalcEmptyCPURequest: a pod without a cpu request is an error", "[control][hpa]") {
  RcCase tc{.current_replicas = 1, .requests_milli = {}};
  const ReplicaCalcResult r = run_resource(tc, {200}, 100);
  REQUIRE_FALSE(r.ok);
  CHECK_THAT(r.error, Catch::Contains("missing request for"));
}

TEST_CASE("TestReplicaCalcMissingMetricsNoChangeEq: a missing pod at ratio 1 keeps the count", "[control][hpa]") {
  RcCase tc{.current_replicas = 2, .requests_milli = {1000, 1000}};
  expect_resource(run_resource(tc, {1000}, 100), 2, 100, kNumContainersPerPod * 1000);
}

TEST_CASE("TestReplicaCalcMissingMetricsNoChangeGt: a zero-filled missing pod brings 190% into tolerance", "[control][hpa]") {
  RcCase tc{.current_replicas = 2, .requests_milli = {1000, 1000}};
  expect_resource(run_resource(tc, {1900}, 100), 2, 190, kNumContainersPerPod * 1900);
}

TEST_CASE("TestReplicaCalcMissingMetricsNoChangeLt: a 100%-filled missing pod brings 60% into tolerance", "[control][hpa]") {
  RcCase tc{.current_replicas = 2, .requests_milli = {1000, 1000}};
  expect_resource(run_resource(tc, {600}, 100), 2, 60, kNumContainersPerPod * 600);
}

TEST_CASE("TestReplicaCalcMissingMetricsUnreadyChange: missing and unready pods, no change", "[control][hpa]") {
  RcCase tc{.current_replicas = 3, .pod_readiness = {F, T, T}, .requests_milli = {1000, 1000, 1000}};
  expect_resource(run_resource(tc, {100, 450}, 50), 3, 45, kNumContainersPerPod * 450);
}

TEST_CASE("TestReplicaCalcMissingMetricsHotCpuNoChange: missing and initializing pods, no change", "[control][hpa]") {
  RcCase tc{.current_replicas = 3, .pod_start_time = {kHot, kCool, kCool}, .requests_milli = {1000, 1000, 1000}};
  expect_resource(run_resource(tc, {100, 450}, 50), 3, 45, kNumContainersPerPod * 450);
}

TEST_CASE("TestReplicaCalcMissingMetricsUnreadyScaleUp: missing and unready pods filled with 0", "[control][hpa]") {
  RcCase tc{.current_replicas = 3, .pod_readiness = {F, T, T}, .requests_milli = {1000, 1000, 1000}};
  expect_resource(run_resource(tc, {100, 2000}, 50), 4, 200, kNumContainersPerPod * 2000);
}

TEST_CASE("TestReplicaCalcMissingMetricsHotCpuScaleUp: missing and initializing pods filled with 0", "[control][hpa]") {
  RcCase tc{.current_replicas = 3,
            .pod_readiness = {F, T, T},
            .pod_start_time = {kHot, kCool, kCool},
            .requests_milli = {1000, 1000, 1000}};
  expect_resource(run_resource(tc, {100, 2000}, 50), 4, 200, kNumContainersPerPod * 2000);
}

TEST_CASE("TestReplicaCalcMissingMetricsUnreadyScaleDown: unready dropped, missing at 100%", "[control][hpa]") {
  RcCase tc{.current_replicas = 4, .pod_readiness = {F, T, T, T}, .requests_milli = {1000, 1000, 1000, 1000}};
  expect_resource(run_resource(tc, {100, 100, 100}, 50), 3, 10, kNumContainersPerPod * 100);
}

TEST_CASE("TestReplicaCalcMissingMetricsScaleDownTargetOver100: missing pods filled at the target above 100%",
          "[control][hpa]") {
  RcCase tc{.current_replicas = 4, .pod_readiness = {F, T, T, T}, .requests_milli = {1000, 1000, 2000, 2000}};
  expect_resource(run_resource(tc, {200, 100, 100}, 300), 2, 6, kNumContainersPerPod * 100);
}

TEST_CASE("TestReplicaCalcDuringRollingUpdateWithMaxSurge: a surge pod without metrics does not scale up",
          "[control][hpa]") {
  RcCase tc{.current_replicas = 2, .pod_phase = {Running, Running, Running}, .requests_milli = {1000, 1000, 1000}};
  expect_resource(run_resource(tc, {100, 100}, 50), 2, 10, kNumContainersPerPod * 100);
}

TEST_CASE("TestReplicaCalcComputedToleranceAlgImplementation: just outside and just inside the tolerance",
          "[control][hpa]") {
  // The Go test derives its inputs from the tolerance; the same arithmetic, transcribed.
  const int32_t start_pods = 10;
  const int64_t total_used = int64_t{start_pods} * 150;
  const int32_t total_requested = static_cast<int32_t>(2 * total_used);
  const double requested_to_used = static_cast<double>(total_requested / static_cast<int32_t>(total_used));
  const int32_t per_pod_requested = total_requested / start_pods;
  double target = std::abs(1 / (requested_to_used * (1 - 0.1))) + .01;
  int32_t final_cpu_percent_target = static_cast<int32_t>(target * 100);
  const double resources_used_ratio =
      static_cast<double>(total_used) / (static_cast<double>(total_requested) * target);
  const int32_t final_pods = static_cast<int32_t>(std::ceil(resources_used_ratio * static_cast<double>(start_pods)));
  REQUIRE(final_cpu_percent_target == 56);
  REQUIRE(final_pods == 9);

  const int64_t r = per_pod_requested;
  RcCase tc{.current_replicas = start_pods,
            .requests_milli = {r + 100, r - 100, r + 10, r - 10, r + 2, r - 2, r + 1, r - 1, r, r}};
  const std::vector<int64_t> levels(10, total_used / 10);
  const int32_t expected_utilization = static_cast<int32_t>(total_used * 100) / total_requested;
  expect_resource(run_resource(tc, levels, final_cpu_percent_target), final_pods, expected_utilization,
                  kNumContainersPerPod * total_used / 10);

  // "Now, we test that no scaling happens if we are in a very close margin to the tolerance"
  target = std::abs(1 / (requested_to_used * (1 - 0.1))) + .004;
  final_cpu_percent_target = static_cast<int32_t>(target * 100);
  expect_resource(run_resource(tc, levels, final_cpu_percent_target), start_pods, expected_utilization,
                  kNumContainersPerPod * total_used / 10);
}

// ---------------------------------------------------------------------------------------------
// Pods (custom) metrics: calcPlainMetricReplicas

TEST_CASE("TestReplicaCalcScaleUpCM: a pods metric averaging 20 against 15 gives 4", "[control][hpa]") {
  RcCase tc{.current_replicas = 3};
  expect_usage(run_pods_metric(tc, {20000, 10000, 30000}, 15000), 4, 20000);
}

TEST_CASE("TestReplicaCalcScaleUpCMUnreadyHotCpuNoLessScale: readiness does not filter a pods metric",
          "[control][hpa]") {
  RcCase tc{.current_replicas = 3, .pod_readiness = {T, T, F}, .pod_start_time = {kCool, kCool, kHot}};
  expect_usage(run_pods_metric(tc, {50000, 10000, 30000}, 15000), 6, 30000);
}

TEST_CASE("TestReplicaCalcScaleUpCMUnreadyHotCpuScaleWouldScaleDown: unready pods still count", "[control][hpa]") {
  RcCase tc{.current_replicas = 3, .pod_readiness = {F, T, F}, .pod_start_time = {kHot, kCool, kHot}};
  expect_usage(run_pods_metric(tc, {50000, 15000, 30000}, 15000), 7, 31666);
}

TEST_CASE("TestReplicaCalcScaleUpCMExternal: (a pods metric in the Go test) 8.6 against 4.4 on 1 pod", "[control][hpa]") {
  RcCase tc{.current_replicas = 1};
  expect_usage(run_pods_metric(tc, {8600}, 4400), 2, 8600);
}

TEST_CASE("TestReplicaCalcScaleUpCMExternalNoLabels: (a pods metric in the Go test) 8.6 against 4.4", "[control][hpa]") {
  RcCase tc{.current_replicas = 1};
  expect_usage(run_pods_metric(tc, {8600}, 4400), 2, 8600);
}

TEST_CASE("TestReplicaCalcScaleDownCM: a pods metric at 12 against 20 on 5 pods gives 3", "[control][hpa]") {
  RcCase tc{.current_replicas = 5};
  expect_usage(run_pods_metric(tc, {12000, 12000, 12000, 12000, 12000}, 20000), 3, 12000);
}

TEST_CASE("TestReplicaCalcToleranceCM: a pods metric 3.3% above target is within tolerance", "[control][hpa]") {
  RcCase tc{.current_replicas = 3};
  expect_usage(run_pods_metric(tc, {20000, 21000, 21000}, 20000), 3, 20666);
}

TEST_CASE("TestPlainMetricReplicaCalcMissingMetricsNoChangeEq: missing pods filled with the target", "[control][hpa]") {
  RcCase tc{.current_replicas = 5};
  expect_usage(run_pods_metric(tc, {20000, 19000, 21000}, 20000), 5, 20000);
}

TEST_CASE("TestReplicaCalcDuringRollingUpdateWithMaxSurgeCM: a surge pod without a pods metric", "[control][hpa]") {
  RcCase tc{.current_replicas = 2, .pod_phase = {Running, Running, Running}};
  expect_usage(run_pods_metric(tc, {10000, 10000}, 17000), 2, 10000);
}

// ---------------------------------------------------------------------------------------------
// Object and External metrics

TEST_CASE("TestReplicaCalcScaleUpCMObject: an object value 20 against 15 on 3 ready pods gives 4", "[control][hpa]") {
  RcCase tc{.current_replicas = 3};
  expect_usage(run_object(tc, 20000, 15000), 4, 20000);
}

TEST_CASE("TestReplicaCalcScaleUpCMObjectIgnoresUnreadyPods: only Running and Ready pods multiply", "[control][hpa]") {
  RcCase tc{.current_replicas = 3, .pod_readiness = {F, T, F}};
  expect_usage(run_object(tc, 50000, 10000), 5, 50000);
}

TEST_CASE("TestReplicaCalcScaleDownCMObject: an object value 12 against 20 on 5 pods gives 3", "[control][hpa]") {
  RcCase tc{.current_replicas = 5};
  expect_usage(run_object(tc, 12000, 20000), 3, 12000);
}

TEST_CASE("TestReplicaCalcToleranceCMObject: an object value 3.3% above target is within tolerance", "[control][hpa]") {
  RcCase tc{.current_replicas = 3};
  expect_usage(run_object(tc, 20666, 20000), 3, 20666);
}

TEST_CASE("TestReplicaCalcScaleUpCMPerPodObject: an object AverageValue uses status.replicas", "[control][hpa]") {
  expect_usage(get_object_per_pod_metric_replicas(3, 5000, kTestTolerances, 20000, kZero), 4, 6667);
}

TEST_CASE("TestReplicaCalcScaleDownPerPodCMObject: object 6 / 5 pods against 2 per pod gives 3", "[control][hpa]") {
  expect_usage(get_object_per_pod_metric_replicas(5, 2000, kTestTolerances, 6000, kZero), 3, 1200);
}

TEST_CASE("TestReplicaCalcTolerancePerPodCMObject: object AverageValue within tolerance", "[control][hpa]") {
  expect_usage(get_object_per_pod_metric_replicas(4, 5000, kTestTolerances, 20166, kZero), 4, 5042);
}

TEST_CASE("TestReplicaCalcScaleUpCMExternalIgnoresUnreadyPods: an external value times ready pods", "[control][hpa]") {
  RcCase tc{.current_replicas = 3, .pod_readiness = {F, T, F}};
  expect_usage(run_external(tc, {8600}, 4400), 2, 8600);
}

TEST_CASE("TestReplicaCalcScaleDownCMExternal: an external value 8.6 against 14.334 on 5 pods gives 3",
          "[control][hpa]") {
  RcCase tc{.current_replicas = 5};
  expect_usage(run_external(tc, {8600}, 14334), 3, 8600);
}

TEST_CASE("TestReplicaCalcToleranceCMExternal: an external value within tolerance", "[control][hpa]") {
  RcCase tc{.current_replicas = 3};
  expect_usage(run_external(tc, {8600}, 8888), 3, 8600);
}

TEST_CASE("TestReplicaCalcScaleUpPerPodCMExternal: external AverageValue, ceil(8.6 / 2.15)", "[control][hpa]") {
  const std::vector<int64_t> levels{8600};
  expect_usage(get_external_per_pod_metric_replicas(3, 2150, kTestTolerances, levels, kZero), 4, 2867);
}

TEST_CASE("TestReplicaCalcScaleDownPerPodCMExternal: external AverageValue scale-down", "[control][hpa]") {
  const std::vector<int64_t> levels{8600};
  expect_usage(get_external_per_pod_metric_replicas(5, 2867, kTestTolerances, levels, kZero), 3, 1720);
}

TEST_CASE("TestReplicaCalcTolerancePerPodCMExternal: external AverageValue within tolerance", "[control][hpa]") {
  const std::vector<int64_t> levels{8600};
  expect_usage(get_external_per_pod_metric_replicas(3, 2900, kTestTolerances, levels, kZero), 3, 2867);
}

// ---------------------------------------------------------------------------------------------
// TestGroupPods (table; one section per Go subtest)

namespace {

struct GroupCase {
  const char* name;
  std::vector<PodInfo> pods;
  std::vector<PodMetricSample> metrics;
  bool cpu;
  int32_t ready;
  std::vector<std::string> unready, missing, ignored;
};

PodInfo group_pod(const char* name, PodPhase phase, std::optional<SimTime> start,
                  std::optional<PodReadyCondition> ready, bool deleting = false) {
  PodInfo p;
  p.name = name;
  p.phase = phase;
  p.start_time = start;
  p.ready = ready;
  p.deleting = deleting;
  return p;
}

Duration minutes(int64_t m) { return Duration::seconds(60 * m); }

}  // namespace

TEST_CASE("TestGroupPods: ready, unready, missing and ignored pods", "[control][hpa]") {
  const PodPhase Succeeded = PodPhase::kSucceeded;
  const std::vector<GroupCase> cases = {
      {"void", {}, {}, true, 0, {}, {}, {}},
      {"count in a ready pod - memory",
       {group_pod("bentham", Succeeded, std::nullopt, std::nullopt)},
       {{"bentham", 1, kNow, minutes(1)}},
       false, 1, {}, {}, {}},
      {"unready a pod without ready condition - CPU",
       {group_pod("lucretius", Succeeded, kNow, std::nullopt)},
       {{"lucretius", 1, kZero, {}}},
       true, 0, {"lucretius"}, {}, {}},
      {"count in a ready pod with fresh metrics during initialization period - CPU",
       {group_pod("bentham", Succeeded, kNow - minutes(1), PodReadyCondition{T, kNow - Duration::seconds(30)})},
       {{"bentham", 1, kNow, Duration::seconds(30)}},
       true, 1, {}, {}, {}},
      {"unready a ready pod without fresh metrics during initialization period - CPU",
       {group_pod("bentham", Succeeded, kNow - minutes(1), PodReadyCondition{T, kNow - Duration::seconds(30)})},
       {{"bentham", 1, kNow, Duration::seconds(60)}},
       true, 0, {"bentham"}, {}, {}},
      {"unready an unready pod during initialization period - CPU",
       {group_pod("lucretius", Succeeded, kNow - minutes(10),
                  PodReadyCondition{F, kNow - minutes(9) - Duration::seconds(54)})},
       {{"lucretius", 1, kZero, {}}},
       true, 0, {"lucretius"}, {}, {}},
      {"count in a ready pod without fresh metrics after initialization period - CPU",
       {group_pod("bentham", Succeeded, kNow - minutes(3), PodReadyCondition{T, kNow - minutes(3)})},
       {{"bentham", 1, kNow - minutes(2), minutes(1)}},
       true, 1, {}, {}, {}},
      {"count in an unready pod that was ready after initialization period - CPU",
       {group_pod("lucretius", Succeeded, kNow - minutes(10), PodReadyCondition{F, kNow - minutes(9)})},
       {{"lucretius", 1, kZero, {}}},
       true, 1, {}, {}, {}},
      {"unready pod that has never been ready after initialization period - CPU",
       {group_pod("lucretius", Succeeded, kNow - minutes(10),
                  PodReadyCondition{F, kNow - minutes(9) - Duration::seconds(50)})},
       {{"lucretius", 1, kZero, {}}},
       true, 1, {}, {}, {}},
      {"a missing pod", {group_pod("epicurus", Succeeded, kNow - minutes(3), std::nullopt)}, {}, true, 0, {},
       {"epicurus"}, {}},
      {"several pods",
       {group_pod("lucretius", Succeeded, kNow, std::nullopt),
        group_pod("niccolo", Succeeded, kNow - minutes(3), PodReadyCondition{T, kNow - minutes(3)}),
        group_pod("epicurus", Succeeded, kNow - minutes(3), std::nullopt)},
       {{"lucretius", 1, kZero, {}}, {"niccolo", 1, kZero, {}}},
       true, 1, {"lucretius"}, {"epicurus"}, {}},
      {"pending pods are unreadied", {group_pod("unscheduled", Pending, std::nullopt, std::nullopt)}, {}, true, 0,
       {"unscheduled"}, {}, {}},
      {"ignore pods with deletion timestamps",
       {group_pod("deleted", Pending, std::nullopt, std::nullopt, /*deleting=*/true)},
       {{"deleted", 1, kZero, {}}},
       true, 0, {}, {}, {"deleted"}},
      {"ignore pods in a failed state", {group_pod("failed", Failed, std::nullopt, std::nullopt)},
       {{"failed", 1, kZero, {}}}, true, 0, {}, {}, {"failed"}},
  };
  for (const GroupCase& c : cases) {
    DYNAMIC_SECTION(c.name) {
      const PodGroups g = group_pods(c.pods, c.metrics, c.cpu, kTestRules, kNow);
      CHECK(g.ready_count == c.ready);
      CHECK(g.unready == c.unready);
      CHECK(g.missing == c.missing);
      CHECK(g.ignored == c.ignored);
    }
  }
}
