// SPDX-License-Identifier: MIT
// Knative KPA decider. Vectors transcribed from knative/serving
// pkg/autoscaler/scaling/autoscaler_test.go, with that file's constants: targetUtilization 0.75
// (TotalValue = target / 0.75), activatorCapacity 150, stableWindow 60 s, PanicThreshold 2,
// MaxScaleUpRate 10, MaxScaleDownRate 10, Reachable true (newTestAutoscaler); their expectedEBC and
// expectedNA formulas are the truth for EBC and the number of activators (EBC compared within +-1,
// as their approxEquateInt32 does). The rest are hand-worked.
#include "sim/control/kpa.h"

#include <catch2/catch.hpp>
#include <cmath>

using namespace kubemind;
using control::KpaDeciderSpec;
using control::KpaDeciderState;
using control::KpaScaleInput;
using control::KpaScaleResult;
using control::KpaWindowBuckets;
using engine::Duration;
using engine::SimTime;

namespace {

constexpr double kTestTargetUtilization = 0.75;
constexpr double kTestActivatorCapacity = 150;

/// newTestAutoscalerWithScalingMetric.
KpaDeciderSpec test_spec(double target, double tbc) {
  KpaDeciderSpec s;
  s.target_value = target;
  s.total_value = target / kTestTargetUtilization;
  s.target_burst_capacity = tbc;
  s.panic_threshold = 2;
  s.max_scale_up_rate = 10;
  s.max_scale_down_rate = 10;
  s.activator_capacity = kTestActivatorCapacity;
  s.stable_window = Duration::seconds(60);
  s.reachable = true;
  return s;
}

/// expectedEBC(totCap, targetBC, recordedConcurrency, numPods).
int32_t expected_ebc(double tot_cap, double target_bc, double recorded, double num_pods) {
  return static_cast<int32_t>(std::floor(tot_cap / kTestTargetUtilization * num_pods - target_bc - recorded));
}

/// expectedNA(a, numP).
int32_t expected_na(const KpaDeciderSpec& s, double num_pods) {
  return static_cast<int32_t>(
      std::max(2.0, std::ceil((s.total_value * num_pods + s.target_burst_capacity) / s.activator_capacity)));
}

/// A decider with its state threaded through calls, like the Go autoscaler object.
struct Decider {
  explicit Decider(const KpaDeciderSpec& s, int32_t ready_pods = 1) : spec(s), ready(ready_pods) {}
  KpaDeciderSpec spec;
  KpaDeciderState state;
  int32_t ready;  // fakePodCounter{readyCount: 1} by default

  KpaScaleResult scale(double stable, double panic, SimTime now) {
    KpaScaleInput in;
    in.state = state;
    in.ready_pods = ready;
    in.observed_stable_value = stable;
    in.observed_panic_value = panic;
    in.now = now;
    KpaScaleResult r = control::kpa_scale(spec, in);
    state = r.state;
    return r;
  }
};

void expect(const KpaScaleResult& r, int32_t desired, int32_t ebc, int32_t na) {
  CHECK(r.scale_valid);
  CHECK(r.desired_pod_count == desired);
  CHECK(std::abs(r.excess_burst_capacity - ebc) <= 1);
  CHECK(r.num_activators == na);
}

const SimTime kT0 = SimTime{0} + Duration::seconds(1000);
SimTime at(SimTime t, double s) { return t + Duration::from_seconds(s); }

}  // namespace

TEST_CASE("TestAutoscalerScaleDownDelay: the desired count is the maximum of the last 5 minutes", "[control][kpa]") {
  // DeciderSpec{TargetValue 10, MaxScaleDownRate 10, MaxScaleUpRate 10, PanicThreshold 100,
  // ScaleDownDelay 5m}; TBC 0 (EBC 0), not Reachable (maxDown 0), no ready pods; now = time.Time{}.
  KpaDeciderSpec s;
  s.target_value = 10;
  s.total_value = 0;
  s.max_scale_down_rate = 10;
  s.max_scale_up_rate = 10;
  s.panic_threshold = 100;
  s.scale_down_delay = Duration::seconds(300);
  s.target_burst_capacity = 0;
  s.reachable = false;
  Decider d{s, 0};
  const SimTime now{0};
  SECTION("simple") {
    expect(d.scale(40, 40, at(now, 2)), 4, 0, 2);
    expect(d.scale(0, 0, at(now, 300)), 4, 0, 2);  // five minutes: still 4
    expect(d.scale(0, 0, at(now, 302)), 0, 0, 2);  // five minutes and 2 s: down
  }
  SECTION("gradual") {
    expect(d.scale(40, 40, at(now, 2)), 4, 0, 2);
    expect(d.scale(0, 0, at(now, 300)), 4, 0, 2);
    expect(d.scale(0, 0, at(now, 302)), 0, 0, 2);
    expect(d.scale(40, 40, at(now, 9 * 60)), 4, 0, 2);
    expect(d.scale(30, 30, at(now, 10 * 60)), 4, 0, 2);  // 4 still dominates
    expect(d.scale(0, 0, at(now, 11 * 60)), 4, 0, 2);
    expect(d.scale(0, 0, at(now, 14 * 60)), 3, 0, 2);  // 4 scrolls out
    expect(d.scale(0, 0, at(now, 15 * 60)), 0, 0, 2);  // everything scrolled out
  }
}

TEST_CASE("TestAutoscalerScaleDownDelayZero: with no delay the decider scales down at once", "[control][kpa]") {
  KpaDeciderSpec s;
  s.target_value = 10;
  s.total_value = 0;
  s.max_scale_down_rate = 10;
  s.max_scale_up_rate = 10;
  s.panic_threshold = 100;
  s.target_burst_capacity = 0;
  s.reachable = false;
  Decider d{s, 0};
  expect(d.scale(40, 40, SimTime{0}), 4, 0, 2);
  expect(d.scale(20, 20, at(SimTime{0}, 0.5)), 2, 0, 2);
}

TEST_CASE("TestAutoscalerNoDataNoAutoscale and TestCantCountPods: invalid results", "[control][kpa]") {
  KpaScaleInput in;
  in.ready_pods = 1;
  in.no_metric_data = true;
  auto r = control::kpa_scale(test_spec(10, 100), in);
  CHECK_FALSE(r.scale_valid);
  CHECK(r.desired_pod_count == 0);
  CHECK(r.excess_burst_capacity == 0);
  CHECK(r.num_activators == control::kKpaMinActivators);
  in.no_metric_data = false;
  in.ready_count_error = true;
  r = control::kpa_scale(test_spec(10, 81), in);
  CHECK_FALSE(r.scale_valid);
}

TEST_CASE("TestAutoscalerMetrics: 50 concurrent at target 10 wants 5 pods and panics", "[control][kpa]") {
  Decider d{test_spec(10, 100)};
  const auto r = d.scale(50, 50, kT0);
  expect(r, 5, expected_ebc(10, 100, 50, 1), expected_na(d.spec, 1));
  CHECK(r.in_panic);  // panicM recorded 1: ceil(50/10) / 1 >= 2
}

TEST_CASE("TestAutoscalerMetricsWithRPS: 100 RPS at target 10 wants 10 pods, again 61 s later", "[control][kpa]") {
  Decider d{test_spec(10, 100)};
  d.spec.scaling_metric = control::KpaScalingMetric::kRps;
  const int32_t ebc = expected_ebc(10, 100, 99, 1);
  const int32_t na = expected_na(d.spec, 1);
  expect(d.scale(100, 99, kT0), 10, ebc, na);
  const auto r = d.scale(100, 99, at(kT0, 61));
  expect(r, 10, ebc, na);
  CHECK(r.in_panic);
}

TEST_CASE("TestAutoscalerStableModeIncreaseWithConcurrencyDefault: stable mode follows the stable average up",
          "[control][kpa]") {
  Decider d{test_spec(10, 101)};
  const int32_t na = expected_na(d.spec, 1);
  expect(d.scale(50, 10, kT0), 5, expected_ebc(10, 101, 10, 1), na);
  expect(d.scale(100, 10, kT0), 10, expected_ebc(10, 101, 10, 1), na);
}

TEST_CASE("TestAutoscalerStableModeIncreaseWithRPS: the RPS metric scales the same way", "[control][kpa]") {
  Decider d{test_spec(10, 101)};
  d.spec.scaling_metric = control::KpaScalingMetric::kRps;
  const int32_t na = expected_na(d.spec, 1);
  expect(d.scale(50, 50, kT0), 5, expected_ebc(10, 101, 50, 1), na);
  expect(d.scale(100, 99, kT0), 10, expected_ebc(10, 101, 99, 1), na);
}

TEST_CASE("TestAutoscalerUnpanicAfterSlowIncrease: panic ends a stable window after it began", "[control][kpa]") {
  Decider d{test_spec(1, 98)};
  d.ready = 10;
  const SimTime start = kT0;
  expect(d.scale(11, 25, start), 25, expected_ebc(1, 98, 25, 10), expected_na(d.spec, 10));
  CHECK(d.state.panic_time == start);
  d.ready = 25 + 15;
  expect(d.scale(30, 41, at(start, 30)), 41, expected_ebc(1, 98, 41, 40), expected_na(d.spec, 40));
  CHECK(d.state.panic_time == start);  // not over the threshold: panic time does not move
  d.ready = 25 + 30;
  const auto r = d.scale(50, 56, at(start, 30 + 30 + 2));  // stableWindow/2 + tickInterval later
  expect(r, 50, expected_ebc(1, 98, 56, 55), expected_na(d.spec, 55));
  CHECK_FALSE(d.state.panic_time.has_value());
  CHECK_FALSE(r.in_panic);
}

TEST_CASE("TestAutoscalerExtendPanicWindow: a still-surging panic window moves the panic time", "[control][kpa]") {
  Decider d{test_spec(1, 98)};
  d.ready = 10;
  expect(d.scale(11, 25, kT0), 25, expected_ebc(1, 98, 25, 10), expected_na(d.spec, 10));
  d.ready = 25 + 15;
  const SimTime tm = at(kT0, 30);
  expect(d.scale(30, 80, tm), 80, expected_ebc(1, 98, 80, 40), expected_na(d.spec, 40));
  CHECK(d.state.panic_time == tm);
}

TEST_CASE("TestAutoscalerStableModeDecrease: stable mode follows the stable average down", "[control][kpa]") {
  Decider d{test_spec(10, 98)};
  d.ready = 8;
  const int32_t na = expected_na(d.spec, 8);
  expect(d.scale(100, 100, kT0), 10, expected_ebc(10, 98, 100, 8), na);
  expect(d.scale(50, 50, kT0), 5, expected_ebc(10, 98, 50, 8), na);
}

TEST_CASE("TestAutoscalerStableModeNoTrafficScaleToZero: no traffic proposes zero pods", "[control][kpa]") {
  Decider d{test_spec(10, 75)};
  const int32_t na = expected_na(d.spec, 1);
  expect(d.scale(1, 0, kT0), 1, expected_ebc(10, 75, 0, 1), na);
  expect(d.scale(0, 0, kT0), 0, expected_ebc(10, 75, 0, 1), na);
}

TEST_CASE("TestAutoscalerPanicModeExponentialTrackAndStabilize: panic tracks x6 growth, then holds", "[control][kpa]") {
  Decider d{test_spec(1, 101)};
  expect(d.scale(6, 6, kT0), 6, expected_ebc(1, 101, 6, 1), expected_na(d.spec, 1));
  SimTime tm = kT0;
  d.ready = 6;
  expect(d.scale(36, 36, tm), 36, expected_ebc(1, 101, 36, 6), expected_na(d.spec, 6));
  CHECK(d.state.panic_time == tm);
  d.ready = 36;
  tm = at(tm, 1);
  expect(d.scale(216, 216, tm), 216, expected_ebc(1, 101, 216, 36), expected_na(d.spec, 36));
  CHECK(d.state.panic_time == tm);
  d.ready = 216;
  expect(d.scale(1296, 1296, tm), 1296, expected_ebc(1, 101, 1296, 216), expected_na(d.spec, 216));
  CHECK(d.state.panic_time == tm);
  d.ready = 1296;
  tm = at(tm, 1);
  expect(d.scale(1296, 1296, tm), 1296, expected_ebc(1, 101, 1296, 1296), expected_na(d.spec, 1296));
}

TEST_CASE("TestAutoscalerScale table: one decision per row", "[control][kpa]") {
  struct Row {
    const char* label;
    double target, tbc, stable, panic;
    int32_t base_scale, want_scale, want_ebc;
    bool panic_prep;  // panicTime = now - 5 s, maxPanicPods = 5
    double msur, msdr;
    bool reachable;
  };
  const Row rows[] = {
      {"AutoscalerNoDataAtZeroNoAutoscale", 10, 100, 0, 0, 1, 0, expected_ebc(10, 100, 0, 1), false, 10, 10, true},
      {"AutoscalerNoDataAtZeroNoAutoscaleWithExplicitEPs", 10, 100, 0, 0, 1, 0, expected_ebc(10, 100, 0, 1), false, 10,
       10, true},
      {"AutoscalerStableModeUnlimitedTBC", 181, -1, 21, 26, 1, 1, -1, false, 10, 10, true},
      {"Autoscaler0TBC", 10, 0, 50, 49, 1, 5, 0, false, 10, 10, true},
      {"AutoscalerStableModeNoChange", 10, 100, 50, 50, 1, 5, expected_ebc(10, 100, 50, 1), false, 10, 10, true},
      {"AutoscalerPanicStableLargerThanPanic", 1, 100, 50, 30, 5, 50, expected_ebc(1, 100, 30, 5), true, 10, 10, true},
      {"AutoscalerPanicStableLessThanPanic", 1, 100, 20, 30, 5, 30, expected_ebc(1, 100, 30, 5), true, 10, 10, true},
      {"AutoscalerStableModeNoChangeAlreadyScaled", 10, 100, 50, 50, 5, 5, expected_ebc(10, 100, 50, 5), false, 10, 10,
       true},
      {"AutoscalerStableModeIncreaseWithSmallScaleUpRate", 1, 1982, 3, 3.1, 2, 3, expected_ebc(1, 1982, 3.1, 2), false,
       1.1, 10, true},
      {"AutoscalerStableModeDecreaseWithSmallScaleDownRate", 10, 1982, 1, 1, 100, 90, expected_ebc(10, 1982, 1, 100),
       false, 10, 1.1, true},
      {"AutoscalerStableModeDecreaseNonReachable", 10, 1982, 1, 1, 100, 1, expected_ebc(10, 1982, 1, 100), false, 10,
       1.1, false},
      {"AutoscalerPanicModeDoublePodCount", 10, 84, 50, 100, 1, 10, expected_ebc(10, 84, 100, 1), false, 10, 10, true},
  };
  for (const Row& row : rows) {
    INFO(row.label);
    Decider d{test_spec(row.target, row.tbc)};
    d.spec.max_scale_up_rate = row.msur;
    d.spec.max_scale_down_rate = row.msdr;
    d.spec.reachable = row.reachable;
    d.ready = row.base_scale;
    if (row.panic_prep) {
      d.state.panic_time = at(kT0, -5);
      d.state.max_panic_pods = 5;
    }
    expect(d.scale(row.stable, row.panic, kT0), row.want_scale, row.want_ebc, expected_na(d.spec, row.base_scale));
  }
}

TEST_CASE("TestAutoscalerPanicThenUnPanicScaleDown: panic holds 100 pods until the stable window passes",
          "[control][kpa]") {
  Decider d{test_spec(10, 93)};
  expect(d.scale(100, 100, kT0), 10, expected_ebc(10, 93, 100, 1), expected_na(d.spec, 1));
  d.ready = 10;
  const int32_t na = expected_na(d.spec, 10);
  const SimTime panic_time = at(kT0, 1);
  expect(d.scale(100, 1000, panic_time), 100, expected_ebc(10, 93, 1000, 10), na);
  expect(d.scale(1, 1, at(panic_time, 30)), 100, expected_ebc(10, 93, 1, 10), na);  // still in panic
  expect(d.scale(1, 1, at(panic_time, 61)), 1, expected_ebc(10, 93, 1, 10), na);    // after StableWindow
}

TEST_CASE("TestAutoscalerRateLimitScaleUp: x10 per decision", "[control][kpa]") {
  Decider d{test_spec(10, 61)};
  expect(d.scale(1000, 1001, kT0), 10, expected_ebc(10, 61, 1001, 1), expected_na(d.spec, 1));
  d.ready = 10;
  expect(d.scale(1000, 1001, kT0), 100, expected_ebc(10, 61, 1001, 10), expected_na(d.spec, 10));
}

TEST_CASE("TestAutoscalerRateLimitScaleDown: /10 per decision", "[control][kpa]") {
  Decider d{test_spec(10, 61)};
  d.ready = 100;
  expect(d.scale(1, 1, kT0), 10, expected_ebc(10, 61, 1, 100), expected_na(d.spec, 100));
  d.ready = 10;
  expect(d.scale(1, 1, kT0), 1, expected_ebc(10, 61, 1, 10), expected_na(d.spec, 10));
}

TEST_CASE("TestAutoscalerUseOnePodAsMinimumIfEndpointsNotFound: zero ready pods count as one for rate limits",
          "[control][kpa]") {
  Decider d{test_spec(10, 81)};
  d.ready = 0;
  expect(d.scale(1000, 888, kT0), 10, expected_ebc(10, 81, 888, 0), control::kKpaMinActivators);
}

TEST_CASE("TestAutoscalerUpdateTarget: a new spec applies at the next decision", "[control][kpa]") {
  Decider d{test_spec(10, 77)};
  expect(d.scale(100, 101, kT0), 10, expected_ebc(10, 77, 101, 1), expected_na(d.spec, 1));
  d.ready = 10;
  KpaDeciderSpec s;  // Update(&DeciderSpec{...}): Reachable left false
  s.target_value = 1;
  s.total_value = 1 / kTestTargetUtilization;
  s.activator_capacity = 21;
  s.target_burst_capacity = 71;
  s.panic_threshold = 2;
  s.max_scale_down_rate = 10;
  s.max_scale_up_rate = 10;
  s.stable_window = Duration::seconds(60);
  s.reachable = false;
  d.spec = s;
  expect(d.scale(100, 101, kT0), 100, expected_ebc(1, 71, 101, 10), expected_na(d.spec, 10));
}

TEST_CASE("TestStartInPanicMode and TestNewFail: a decider created above one ready pod starts in panic",
          "[control][kpa]") {
  for (int32_t i = 0; i < 2; ++i) {
    const auto s = control::kpa_initial_state(i, kT0);
    CHECK_FALSE(s.panic_time.has_value());
    CHECK(s.max_panic_pods == i);
  }
  const auto s = control::kpa_initial_state(2, kT0);
  CHECK(s.panic_time == kT0);
  CHECK(s.max_panic_pods == 2);
  CHECK(control::kpa_initial_state(0, kT0).max_panic_pods == 0);  // pod counter error -> 0
}

// ---------------------------------------------------------------- hand-worked cases

TEST_CASE("KPA defaults resolve to target 70 of 100 per pod, panic window 6 s, threshold 2", "[control][kpa]") {
  const control::KpaConfig cfg;
  const auto s = control::kpa_decider_spec(cfg, control::KpaRevision{});
  CHECK(s.target_value == Approx(70.0));
  CHECK(s.total_value == 100.0);
  CHECK(s.panic_threshold == 2.0);
  CHECK(s.max_scale_up_rate == 1000.0);
  CHECK(s.max_scale_down_rate == 2.0);
  CHECK(s.target_burst_capacity == 200.0);
  CHECK(s.stable_window == Duration::seconds(60));
  CHECK(control::kpa_panic_window(cfg) == Duration::seconds(6));
  control::KpaRevision rev;
  rev.container_concurrency = 10;
  CHECK(control::kpa_decider_spec(cfg, rev).target_value == Approx(7.0));
  rev.target = 50;  // the annotation is capped by containerConcurrency
  CHECK(control::kpa_decider_spec(cfg, rev).total_value == 10.0);
  rev = control::KpaRevision{};
  rev.metric = control::KpaScalingMetric::kRps;
  CHECK(control::kpa_decider_spec(cfg, rev).target_value == Approx(140.0));
}

TEST_CASE("KPA enters panic on a 3x burst and holds the panic maximum for a stable window", "[control][kpa]") {
  Decider d{control::kpa_decider_spec(control::KpaConfig{}, control::KpaRevision{})};
  d.ready = 2;
  // Steady: 140 concurrent on 2 pods = the target (70 each). dppc 2, 2/2 = 1 < 2: stable mode.
  auto r = d.scale(140, 140, kT0);
  CHECK(r.desired_pod_count == 2);
  CHECK_FALSE(r.in_panic);
  // A 3x burst shows in the 6 s panic window first: dppc = ceil(420/70) = 6, 6/2 = 3 >= 2.
  const SimTime burst = at(kT0, 2);
  r = d.scale(160, 420, burst);
  CHECK(r.in_panic);
  CHECK(r.desired_pod_count == 6);  // max(ceil(160/70) = 3, 6)
  // EBC = floor(2 * 100 - 200 - 420) = -420: the activator stays in the path.
  CHECK(r.excess_burst_capacity == -420);
  // The burst ends: 6 pods ready, the panic window reads 140 (dppc 2, 2/6 < 2), the stable window
  // still 200 (dspc 3). In panic the decider never scales down: 6 holds.
  d.ready = 6;
  r = d.scale(200, 140, at(burst, 30));
  CHECK(r.in_panic);
  CHECK(r.desired_pod_count == 6);
  r = d.scale(200, 140, at(burst, 60));  // panicTime + 60 s is not before now
  CHECK(r.in_panic);
  CHECK(r.desired_pod_count == 6);
  // Two seconds later the stable window has passed: stable mode, ceil(200/70) = 3 (maxDown 6/2 = 3).
  r = d.scale(200, 140, at(burst, 62));
  CHECK_FALSE(r.in_panic);
  CHECK(r.desired_pod_count == 3);
  CHECK(r.state.max_panic_pods == 0);
}

TEST_CASE("KPA activation scale lifts a non-zero demand but still allows zero", "[control][kpa]") {
  auto spec = control::kpa_decider_spec(control::KpaConfig{}, control::KpaRevision{});
  spec.activation_scale = 3;
  Decider d{spec};
  d.ready = 0;
  CHECK(d.scale(5, 5, kT0).desired_pod_count == 3);  // ceil(5/70) = 1, raised to 3
  d.state = {};
  d.ready = 1;
  CHECK(d.scale(0, 0, kT0).desired_pod_count == 0);  // no demand: 0, not 3
}

TEST_CASE("KPA window average covers the buckets written since the first write", "[control][kpa]") {
  KpaWindowBuckets w(Duration::seconds(6));
  const SimTime t0 = SimTime{0} + Duration::seconds(100);
  CHECK(w.window_average(t0) == 0.0);
  CHECK(w.is_empty(t0));
  // Partial window: 10 then 20 in consecutive seconds average 15.
  w.record(at(t0, 0.5), 10);
  w.record(at(t0, 1.2), 20);
  CHECK(w.window_average(at(t0, 1.9)) == 15.0);
  // Two quiet seconds: the average is over the buckets that held data (divisor min(2, 6 - 2)).
  CHECK(w.window_average(at(t0, 3.0)) == 15.0);
  // A gap inside the data counts as zero: 10, 20, 0, 0, 30 over 5 buckets = 12.
  w.record(at(t0, 4.0), 30);
  CHECK(w.window_average(at(t0, 4.0)) == 12.0);
  // A full window of 7s averages 7.
  KpaWindowBuckets full(Duration::seconds(6));
  for (int s = 0; s < 10; ++s) full.record(at(t0, s), 7);
  CHECK(full.window_average(at(t0, 9.5)) == 7.0);
  // Silence for more than a window: 0, and empty.
  CHECK(full.window_average(at(t0, 9 + 7)) == 0.0);
  CHECK(full.is_empty(at(t0, 9 + 7)));
  // Results are floored to 6 decimals: 1, 0, 0 -> 0.333333.
  KpaWindowBuckets third(Duration::seconds(6));
  third.record(t0, 1);
  third.record(at(t0, 2), 0);
  CHECK(third.window_average(at(t0, 2)) == 0.333333);
}

TEST_CASE("KPA window average after a silence shorter than the window drops the stale buckets", "[control][kpa]") {
  // Writes of 6 at t = 0..5 s, then nothing: at t = 8 s the ring slots of t = 6, 7, 8 still hold
  // t = 0, 1, 2's values and are subtracted; the rest (t = 3..5) average 6 over min(6, 6 - 3) = 3 buckets.
  KpaWindowBuckets w(Duration::seconds(6));
  const SimTime t0 = SimTime{0} + Duration::seconds(60);
  for (int s = 0; s < 6; ++s) w.record(at(t0, s), 6);
  CHECK(w.window_average(at(t0, 8)) == 6.0);
  CHECK_FALSE(w.is_empty(at(t0, 8)));
}

// ---------------------------------------------------------------- scaler vectors
// Transcribed from knative/serving pkg/reconciler/autoscaling/kpa/scaler_test.go TestScaler (17
// rows) and TestDisableScaleToZero (2 of 3 rows; its "-1 (initial value)" row belongs to an older
// scaler without the activating exception and is left out). Their constants: stableWindow 60 s,
// gracePeriod 30 s; a fresh PA (InitializeConditions) is activating; the prober answers true
// unless the row says otherwise; "wantCBCount 1" is a re-enqueue. One version skew: the stored test
// expects no re-enqueue for the three rows where the PA is activating ("does not scale while
// activating", "... with no metrics", "negative scale ..."); the newest scaler.go re-enqueues those
// after the activation timeout, and we follow the code (want_requeue true there).

namespace {

struct ScalerRow {
  const char* label;
  int32_t start_replicas, scale_to, min_scale, max_scale, want_replicas;
  bool want_scaling;
  control::KpaPaActive active;
  double since_transition_s;  // now - lastTransitionTime
  bool probe_ok;
  bool want_requeue, want_async_probe;
};

}  // namespace

TEST_CASE("TestScaler and TestDisableScaleToZero tables: the scaler bounds and gates scale to zero", "[control][kpa]") {
  using A = control::KpaPaActive;
  const ScalerRow rows[] = {
      {"waits to scale to zero (just before idle period)", 1, 0, 0, 0, 1, false, A::kActive, 59, true, true, false},
      {"scale to 1 waiting for idle expires", 10, 0, 0, 0, 1, true, A::kActive, 59, true, true, false},
      {"waits to scale to zero after idle period", 1, 0, 0, 0, 0, false, A::kActive, 60, true, false, false},
      {"scale to zero after grace period", 1, 0, 0, 0, 0, true, A::kInactive, 30, true, false, false},
      {"waits to scale to zero (just before grace period)", 1, 0, 0, 0, 0, false, A::kInactive, 29, true, true, false},
      {"scale to zero after grace period, but fail prober", 1, 0, 0, 0, 0, false, A::kInactive, 30, false, false, true},
      {"scale to zero after grace period, but wrong prober response", 1, 0, 0, 0, 0, false, A::kInactive, 30, false,
       false, true},
      {"does not scale while activating", 1, 0, 0, 0, -1, false, A::kActivating, 0, true, true, false},
      {"scale down to minScale before grace period", 10, 0, 2, 0, 2, true, A::kInactive, 29, true, false, false},
      {"scale down to minScale after grace period", 10, 0, 2, 0, 2, true, A::kInactive, 30, true, false, false},
      {"scales up", 1, 10, 0, 0, 10, true, A::kActivating, 0, true, false, false},
      {"scales up to maxScale", 1, 10, 0, 8, 8, true, A::kActivating, 0, true, false, false},
      {"scale up inactive revision", 1, 10, 0, 0, 10, true, A::kInactive, 15, true, false, false},
      {"does not scale up from zero with no metrics", 0, -1, 0, 0, -1, false, A::kActivating, 0, true, true, false},
      {"scales up from zero to desired one", 0, 1, 0, 0, 1, true, A::kActivating, 0, true, false, false},
      {"scales up from zero to desired high scale", 0, 10, 0, 0, 10, true, A::kActivating, 0, true, false, false},
      {"negative scale does not scale", 12, -1, 0, 0, -1, false, A::kActivating, 0, true, true, false},
  };
  for (const ScalerRow& row : rows) {
    INFO(row.label);
    control::KpaScalerInput in;
    in.current_scale = row.start_replicas;
    in.desired_scale = row.scale_to;
    in.min_scale = row.min_scale;
    in.max_scale = row.max_scale;
    in.pa_active = row.active;
    in.in_status_for = Duration::from_seconds(row.since_transition_s);
    in.activator_probe_ok = row.probe_ok;
    const auto d = control::kpa_apply_scale(in);
    CHECK(d.desired_scale == row.want_replicas);
    CHECK(d.patch == row.want_scaling);
    CHECK(d.requeue_after.has_value() == row.want_requeue);
    CHECK(d.async_probe == row.want_async_probe);
  }
  SECTION("EnableScaleToZero == false") {
    control::KpaScalerInput in;
    in.enable_scale_to_zero = false;
    in.current_scale = 10;
    in.desired_scale = 0;
    auto d = control::kpa_apply_scale(in);  // minScale == 0
    CHECK(d.desired_scale == 1);
    CHECK(d.patch);
    in.min_scale = 2;  // minScale == 2
    d = control::kpa_apply_scale(in);
    CHECK(d.desired_scale == 2);
    CHECK(d.patch);
  }
}

TEST_CASE("KPA scaler: initial scale raises the minimum until the target is initialised, retention delays zero",
          "[control][kpa]") {
  control::KpaScalerInput in;
  in.initial_scale = 3;
  in.scale_target_initialized = false;
  in.desired_scale = 1;
  in.current_scale = 0;
  auto d = control::kpa_apply_scale(in);
  CHECK(d.desired_scale == 3);
  CHECK(d.patch);
  in.scale_target_initialized = true;  // attained once: ignored afterwards
  CHECK(control::kpa_apply_scale(in).desired_scale == 1);
  // Inactive 40 s with a 90 s pod retention: 0 waits 50 s more, even though the grace period passed.
  control::KpaScalerInput z;
  z.desired_scale = 0;
  z.current_scale = 1;
  z.pa_active = control::KpaPaActive::kInactive;
  z.in_status_for = Duration::seconds(40);
  z.scale_to_zero_pod_retention_period = Duration::seconds(90);
  d = control::kpa_apply_scale(z);
  CHECK_FALSE(d.apply);
  CHECK(d.requeue_after == Duration::seconds(50));
  z.in_status_for = Duration::seconds(90);
  d = control::kpa_apply_scale(z);
  CHECK(d.desired_scale == 0);
  CHECK(d.patch);
  // Inactive only 10 s, but the SKS has proxied for 30 s: the fast path scales to 0.
  z.scale_to_zero_pod_retention_period = Duration{};
  z.in_status_for = Duration::seconds(10);
  z.sks_proxy_for = Duration::seconds(30);
  CHECK(control::kpa_apply_scale(z).patch);
  // Activating for longer than 610 s: give up and scale to 0.
  control::KpaScalerInput a;
  a.desired_scale = 0;
  a.current_scale = 1;
  a.pa_active = control::KpaPaActive::kActivating;
  a.in_status_for = Duration::seconds(611);
  d = control::kpa_apply_scale(a);
  CHECK(d.desired_scale == 0);
  CHECK(d.patch);
}

// Transcribed from knative/serving pkg/autoscaler/aggregation/bucketing_test.go (granularity 1 s).
TEST_CASE("TestTimedFloat64BucketsWindowAverage: partial windows, lagging reads, holes and late writes",
          "[control][kpa]") {
  KpaWindowBuckets b(Duration::seconds(5));
  SimTime now = SimTime{0} + Duration::seconds(1000) + Duration::milliseconds(250);
  auto plus = [](SimTime t, double s) { return t + Duration::from_seconds(s); };
  b.record(now, 1);
  CHECK(b.window_average(now) == 1.0);  // firstWrite is honoured: not 0.2
  for (int i = 1; i < 5; ++i) b.record(plus(now, i), i + 1);
  CHECK(b.window_average(plus(now, 4)) == 15.0 / 5);
  CHECK(b.window_average(plus(now, 3.6)) == 15.0 / 5);                // now lags behind
  CHECK(b.window_average(plus(now, 6)) == (15.0 - 1 - 2) / (5 - 2));  // short hole
  CHECK(b.window_average(plus(now, 10)) == 0.0);                      // long hole
  b.record(plus(now, 6), 91);                                         // write with holes
  CHECK(b.window_average(plus(now, 6)) == (15.0 - 1 - 2 + 91) / 5);
  now = plus(now, 60);  // advance much farther
  b.record(now, 1984);
  CHECK(b.window_average(now) == 1984.0);
  b.record(plus(now, -3), 4);  // an earlier time
  CHECK(b.window_average(now) == (4.0 + 1984) / 4);
  now = plus(now, 1);
  b.record(now, 5);
  CHECK(b.window_average(now) == (4.0 + 1984 + 5) / 5);
  b.record(plus(now, -3), 10);  // an earlier time again
  CHECK(b.window_average(now) == (4.0 + 10 + 1984 + 5) / 5);
  b.record(plus(now, -6), 10);  // too early: ignored
  CHECK(b.window_average(now) == (4.0 + 10 + 1984 + 5) / 5);
}

TEST_CASE("TestDescendingRecord: writes in descending time order still average 5", "[control][kpa]") {
  KpaWindowBuckets b(Duration::seconds(5));
  const SimTime now = SimTime{0} + Duration::seconds(500);
  for (int s = 8; s >= 0; --s) b.record(now + Duration::seconds(s), 5);
  CHECK(b.window_average(now + Duration::seconds(5)) == 5.0);
}
