// SPDX-License-Identifier: MIT
// The simulated KPA: the collector feeding the decider, the scaler and the PA's Active condition
// in time, with Knative's defaults (stable window 60 s, panic 6 s, target 70 = 100 x 0.7, TBC 200,
// grace 30 s). Scrapes every 1 s from t = 0 (the first only sets each pod's baseline), ticks every
// 2 s from t = 2 s; expected times and values are hand-worked from the rules in
// sim/control/kpa_controller.h and reference/autoscalers.md 3.3-3.4.
#include "sim/control/kpa_controller.h"

#include <catch2/catch.hpp>

#include "tests/control/metrics_fake_world.h"

using namespace kubemind;
using control::AppCounter;
using control::AppGauge;
using control::KpaController;
using control::KpaControllerConfig;
using control::KpaPaActive;
using control::testing::at_s;
using control::testing::FakePods;
using control::testing::FakeScale;
using engine::Duration;
using engine::SimTime;

namespace {

constexpr auto kInflightSeconds = static_cast<size_t>(AppCounter::kInflightSecondsTotal);
constexpr auto kInflight = static_cast<size_t>(AppGauge::kInflight);

/// One ready pod holding `concurrency` requests in flight since long ago.
void steady_pod(FakePods& pods, double concurrency) {
  auto& p = pods.add(1);
  p.counter_present[kInflightSeconds] = true;
  p.counter_rate[kInflightSeconds] = concurrency;
  p.counter_start[kInflightSeconds] = at_s(-1000);
  p.gauge_present[kInflight] = true;
  p.gauges[kInflight] = concurrency;
}

}  // namespace

TEST_CASE("the KPA scales one pod holding 350 requests to 5 at its first tick, in panic", "[control]") {
  engine::Simulator sim;
  FakePods pods(sim);
  steady_pod(pods, 350);
  FakeScale scale(sim, 1);
  KpaController kpa(sim, "kpa/rev", KpaControllerConfig{}, pods, scale, nullptr);
  kpa.start();
  sim.run_until(at_s(2));
  // Tick at 2 s runs before the 2 s scrape: one record (t = 1 s, 350). stable = panic = 350;
  // dspc = dppc = ceil(350 / 70) = 5; 5 / 1 ready >= 2: panic; desired max(5, 5) = 5.
  REQUIRE(scale.patches.size() == 1);
  CHECK(scale.patches[0] == std::make_pair(at_s(2), 5));
  REQUIRE(kpa.last_decision());
  CHECK(kpa.last_decision()->in_panic);
  CHECK(kpa.pa_active() == KpaPaActive::kActive);
  const auto& pts = kpa.traces().at(0).points;
  REQUIRE(pts.size() == 1);
  CHECK(pts[0].seen == 350.0);
  CHECK(pts[0].truth == 350.0);
  REQUIRE(kpa.events().size() == 1);
  CHECK(kpa.events()[0].rule.rfind("panic", 0) == 0);
}

TEST_CASE("an idle revision goes inactive after a stable window and to zero through the activator", "[control]") {
  // Concurrency 0 throughout; the decider proposes 0 from the first tick. PA: Activating holds at
  // 2 s (want -1) and becomes Active (ready 1 >= minReady 1); Active for < 60 s keeps 1; at 62 s
  // (active for 60 s) the scaler reports 0 without applying: the PA goes Inactive and the SKS to
  // Proxy. TBC 200: EBC = floor(1 x 100 - 200 - 0) < 0 put the SKS in Proxy from 2 s, so at 64 s it
  // has proxied for the 30 s grace: scale to 0. TBC 0: Proxy only from 62 s: zero at 92 s.
  const double tbc = GENERATE(200.0, 0.0);
  engine::Simulator sim;
  FakePods pods(sim);
  steady_pod(pods, 0);
  FakeScale scale(sim, 1);
  KpaControllerConfig cfg;
  cfg.autoscaler.target_burst_capacity = tbc;
  KpaController kpa(sim, "kpa/rev", cfg, pods, scale, nullptr);
  kpa.start();
  sim.run_until(at_s(61));
  CHECK(kpa.pa_active() == KpaPaActive::kActive);
  sim.run_until(at_s(62));
  CHECK(kpa.pa_active() == KpaPaActive::kInactive);
  sim.run_until(at_s(120));
  REQUIRE(scale.patches.size() == 1);
  CHECK(scale.patches[0] == std::make_pair(tbc > 0 ? at_s(64) : at_s(92), 0));
}

TEST_CASE("the activator's stat at zero pokes the decider before the next tick", "[control]") {
  // As above with TBC 200: zero at 64 s (the pod is then removed). The activator reports 10
  // buffered requests from t = 100 s: the 101 s scrape sees a non-zero stat while the last desired
  // scale is 0 and runs the decider at once: stable = 10 / 60 buckets, panic = 10 / 6, both give
  // ceil(x / 70) = 1; ready 0 -> rp 1, 1 / 1 < 2: no panic; the Inactive PA's scaler applies 1.
  engine::Simulator sim;
  FakePods pods(sim);
  steady_pod(pods, 0);
  FakePods activator(sim);
  auto& a = activator.add(500);
  a.counter_present[kInflightSeconds] = true;
  a.counter_rate[kInflightSeconds] = 10;
  a.counter_start[kInflightSeconds] = at_s(100);
  FakeScale scale(sim, 1);
  KpaController kpa(sim, "kpa/rev", KpaControllerConfig{}, pods, scale, &activator);
  kpa.start();
  sim.run_until(at_s(64));
  REQUIRE(scale.patches.size() == 1);
  CHECK(scale.patches[0] == std::make_pair(at_s(64), 0));
  pods.remove(1);
  sim.run_until(at_s(101));
  REQUIRE(scale.patches.size() == 2);
  CHECK(scale.patches[1] == std::make_pair(at_s(101), 1));
  CHECK(kpa.pa_active() == KpaPaActive::kActivating);
}
