// SPDX-License-Identifier: MIT
// The simulated HPA controller: loop timing (first sync one period after creation), the default
// down-scale stabilization in time, and the metrics-server lag seen through the HPA. Production
// defaults (HpaControllerConfig{}); expected times and values are hand-worked in the comments
// from reference/autoscalers.md 1.2, 1.6, 1.7 and 1.9.
#include "sim/control/hpa_controller.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <optional>
#include <vector>

#include "tests/control/metrics_fake_world.h"

using namespace kubemind;
using control::AppGauge;
using control::HpaBehavior;
using control::HpaController;
using control::HpaControllerConfig;
using control::HpaSpec;
using control::MetricSourceType;
using control::MetricSpec;
using control::MetricsServer;
using control::MetricsServerConfig;
using control::MetricTargetType;
using control::Prometheus;
using control::PrometheusAdapter;
using control::PrometheusConfig;
using control::PromQuery;
using control::testing::at_s;
using control::testing::FakePods;
using control::testing::FakeScale;
using engine::Duration;
using engine::SimTime;

namespace {

HpaSpec cpu_hpa(int32_t min, int32_t max, int32_t target_percent) {
  HpaSpec s;
  s.min_replicas = min;
  s.max_replicas = max;
  MetricSpec m;  // Resource cpu, Utilization
  m.target.average_utilization = target_percent;
  s.metrics.push_back(m);
  return s;
}

/// n pods with constant CPU usage since long ago, request 1000 m.
void add_pods(FakePods& pods, int n, double cores) {
  for (int i = 1; i <= n; ++i) pods.add(static_cast<uint64_t>(i)).cpu_steps = {{at_s(-600), cores}};
}

/// metrics-server with a point at t = 0 and then scrapes at 5, 20, 35, ... (no tie with HPA syncs).
MetricsServerConfig offset_5s() {
  MetricsServerConfig c;
  c.first_scrape_delay = Duration::seconds(5);
  return c;
}

}  // namespace

TEST_CASE("An HPA created at t=0 first acts at t=15 s", "[control]") {
  engine::Simulator sim;
  FakePods pods(sim);
  add_pods(pods, 2, 1.0);  // 100 % of request against a 50 % target: desired 4
  FakeScale scale(sim, 2);
  MetricsServer ms(sim, pods, offset_5s());
  ms.scrape();
  ms.start();
  HpaController hpa(sim, "hpa/web", cpu_hpa(1, 10, 50), HpaControllerConfig{}, pods, scale, &ms, nullptr);
  hpa.start();
  sim.run_until(SimTime{Duration::seconds(15).ns - 1});
  CHECK(hpa.syncs().empty());
  CHECK(scale.patches.empty());
  sim.run_until(at_s(15));
  REQUIRE(hpa.syncs().size() == 1);
  CHECK(hpa.syncs()[0].time == at_s(15));
  // ratio 100 / 50 = 2 -> ceil(2 * 2) = 4; legacy cap max(2 * 2, 4) = 4.
  REQUIRE(scale.patches.size() == 1);
  CHECK(scale.patches[0] == std::make_pair(at_s(15), 4));
  REQUIRE(hpa.events().size() == 1);
  CHECK(hpa.events()[0].from_replicas == 2);
  CHECK(hpa.events()[0].to_replicas == 4);
  sim.run_until(at_s(30));
  REQUIRE(hpa.syncs().size() == 2);
  CHECK(hpa.syncs()[1].time == at_s(30));
}

TEST_CASE("a scale-down is held for 300 s by the default window", "[control]") {
  // 4 pods at 10 % of request, target 50 %: every sync proposes ceil(4 * 0.2) = 1. The first sync
  // (t = 15 s) records the current count 4 as a recommendation.
  const bool with_behavior = GENERATE(false, true);
  engine::Simulator sim;
  FakePods pods(sim);
  add_pods(pods, 4, 0.1);
  FakeScale scale(sim, 4);
  MetricsServer ms(sim, pods, offset_5s());
  ms.scrape();
  ms.start();
  HpaSpec spec = cpu_hpa(1, 10, 50);
  if (with_behavior) spec.behavior = HpaBehavior{};  // API defaults: scaleDown window nil -> 300 s
  HpaController hpa(sim, "hpa/web", spec, HpaControllerConfig{}, pods, scale, &ms, nullptr);
  hpa.start();
  sim.run_until(at_s(600));
  REQUIRE(scale.patches.size() == 1);
  // Legacy: max over recommendations with t >= now - 300 s keeps (4, 15 s) through the 315 s sync,
  // so the first sync without it is 330 s. Behavior: the window is exclusive (t > now - 300 s), so
  // the 315 s sync already drops it, and the Percent 100 / 15 s policy allows 4 -> 1.
  const SimTime expected = with_behavior ? at_s(315) : at_s(330);
  CHECK(scale.patches[0] == std::make_pair(expected, 1));
  // Every sync before that was a held scale-down.
  const auto& ev = hpa.events();
  REQUIRE(!ev.empty());
  CHECK(ev.front().time == at_s(15));
  CHECK(ev.front().from_replicas == 4);
  CHECK(ev.front().to_replicas == 4);
  CHECK(ev.front().rule == "ScaleDownStabilized");
  CHECK(ev.back().time == expected);
  CHECK(ev.back().to_replicas == 1);
  CHECK(ev.size() == static_cast<size_t>((expected.ns - at_s(15).ns) / Duration::seconds(15).ns + 1));
}

TEST_CASE("A simulated load step shows the HPA's view of CPU lagging the true CPU by the metrics-server window",
          "[control]") {
  // 4 pods step from 0.1 to 0.5 cores (10 % -> 50 % of request) at t0 = 22 s. metrics-server
  // points at 0, 5, 20, 35, 50 s; HPA syncs at 15, 30, 45, 60 s. minReplicas 4 keeps the count.
  engine::Simulator sim;
  FakePods pods(sim);
  for (uint64_t i = 1; i <= 4; ++i) {
    auto& p = pods.add(i);
    p.cpu_steps = {{at_s(-600), 0.1}, {at_s(22), 0.5}};
    p.gauge_present[static_cast<size_t>(AppGauge::kQueueDepth)] = true;
    p.gauges[static_cast<size_t>(AppGauge::kQueueDepth)] = static_cast<double>(i);  // 1 + 2 + 3 + 4
  }
  FakeScale scale(sim, 4);
  MetricsServer ms(sim, pods, offset_5s());
  ms.scrape();
  ms.start();
  HpaController hpa(sim, "hpa/web", cpu_hpa(4, 10, 50), HpaControllerConfig{}, pods, scale, &ms, nullptr);
  hpa.add_truth_gauge("queue_depth", PromQuery{}, pods);  // sum(queue_depth), never read by the HPA
  hpa.start();
  sim.run_until(at_s(60));
  REQUIRE(hpa.traces().size() == 2);
  for (const auto& q : hpa.traces()[1].points) {
    CHECK_FALSE(q.seen_valid);
    CHECK(q.truth == 10.0);
  }
  const auto& pts = hpa.traces().at(0).points;
  REQUIRE(pts.size() == 4);
  CHECK(hpa.traces()[0].metric == "cpu");
  CHECK(hpa.traces()[0].unit == "percent");
  for (const auto& p : pts) CHECK(p.seen_valid);
  // t = 15: window [0, 5]; t = 30: window [5, 20], the step at 22 s is not seen though true CPU is 50 %.
  CHECK(pts[0].time == at_s(15));
  CHECK(pts[0].seen == 10.0);
  CHECK(pts[0].truth == Approx(10.0));
  CHECK(pts[1].seen == 10.0);
  CHECK(pts[1].truth == Approx(50.0));
  // t = 45: the first scrape after t0 (35 s) covers [20, 35]: (2 * 0.1 + 13 * 0.5) / 15 = 0.44667
  // cores -> 447 m per pod -> int32(4 * 447 * 100 / 4000) = 44 %.
  CHECK(pts[2].seen == 44.0);
  CHECK(pts[2].truth == Approx(50.0));
  // t = 60: [35, 50] lies wholly after the step: the full 50 %, 38 s after the step.
  CHECK(pts[3].seen == 50.0);
  CHECK(scale.patches.empty());
}

TEST_CASE("a Pods metric served from Prometheus is as old as the last scrape", "[control]") {
  // Two pods with queue_depth 20 each; Pods metric "queue_depth" AverageValue 5 through
  // prometheus-adapter (per-pod instant value). Prometheus scrapes at 5, 35 s.
  engine::Simulator sim;
  FakePods pods(sim);
  for (uint64_t i = 1; i <= 2; ++i) {
    auto& p = pods.add(i);
    p.gauge_present[static_cast<size_t>(AppGauge::kQueueDepth)] = true;
    p.gauges[static_cast<size_t>(AppGauge::kQueueDepth)] = 20;
  }
  FakeScale scale(sim, 2);
  PrometheusConfig pc;
  pc.first_scrape_delay = Duration::seconds(5);
  Prometheus prom(sim, pods, pc);
  prom.start();
  PromQuery q;  // queue_depth (the adapter evaluates it per pod for a Pods metric)
  PrometheusAdapter adapter(prom, pods, {q});
  HpaSpec spec;
  spec.min_replicas = 1;
  spec.max_replicas = 10;
  MetricSpec m;
  m.type = MetricSourceType::kPods;
  m.metric_name = "queue_depth";
  m.target.type = MetricTargetType::kAverageValue;
  m.target.average_value_milli = 5000;
  spec.metrics.push_back(m);
  HpaController hpa(sim, "hpa/web", spec, HpaControllerConfig{}, pods, scale, nullptr, &adapter);
  hpa.start();
  sim.run_until(at_s(20));
  // 15 s: average 20 against 5 -> ratio 4 -> ceil(2 x 4) = 8, legacy cap max(2 x 2, 4) = 4.
  REQUIRE(scale.patches.size() == 1);
  CHECK(scale.patches[0] == std::make_pair(at_s(15), 4));
  for (uint64_t i = 1; i <= 2; ++i) pods.at(i).gauges[static_cast<size_t>(AppGauge::kQueueDepth)] = 2;
  sim.run_until(at_s(30));
  // 30 s: the queues drained at 20 s, but the last scrape (5 s) still says 20.
  const auto& pts = hpa.traces().at(0).points;
  REQUIRE(pts.size() == 2);
  CHECK(pts[1].seen == 20.0);
  CHECK(pts[1].truth == 2.0);
  CHECK(hpa.traces()[0].metric == "queue_depth");
}
