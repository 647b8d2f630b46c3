// SPDX-License-Identifier: MIT
// The simulated KEDA ScaledObject: activation 0 -> 1 at the first poll that sees the metric above
// activationThreshold, 1 -> 0 at the first poll after lastActiveTime + cooldownPeriod, and the HPA
// KEDA creates taking over 1 -> N (reference/autoscalers.md 2.2-2.4a). The metric comes from a
// gateway target scraped by Prometheus every 30 s (at 10, 40, 70, ... s); KEDA polls at 0, 30, ...
// s with KEDA's defaults (pollingInterval 30 s, cooldownPeriod 300 s). Times are hand-worked.
#include "sim/control/keda_controller.h"

#include <catch2/catch.hpp>

#include "tests/control/metrics_fake_world.h"

using namespace kubemind;
using control::AppGauge;
using control::HpaControllerConfig;
using control::KedaAction;
using control::KedaController;
using control::KedaScaledObjectSpec;
using control::KedaTrigger;
using control::Prometheus;
using control::PrometheusConfig;
using control::PromQuery;
using control::testing::at_s;
using control::testing::FakePods;
using control::testing::FakeScale;
using engine::Duration;
using engine::SimTime;

namespace {

constexpr auto kQueue = static_cast<size_t>(AppGauge::kQueueDepth);

struct KedaWorld {
  engine::Simulator sim;
  FakePods workload{sim};  // the Deployment's pods (none needed: the metric is external)
  FakePods gateway{sim};   // what Prometheus scrapes: a queue that exists at zero replicas
  FakeScale scale{sim, 0};
  Prometheus prom;
  KedaController keda;

  static PrometheusConfig prom_config() {
    PrometheusConfig c;  // 30 s, phase 10 s
    c.first_scrape_delay = Duration::seconds(10);
    return c;
  }
  static KedaScaledObjectSpec so_spec() {
    KedaScaledObjectSpec s;  // pollingInterval 30, cooldownPeriod 300, min 0, max 100
    s.max_replica_count = 20;
    KedaTrigger t;  // prometheus, AverageValue
    t.threshold = 10;
    t.activation_threshold = 2;
    s.triggers.push_back(t);
    return s;
  }
  explicit KedaWorld(const KedaScaledObjectSpec& spec = so_spec())
      : prom(sim, gateway, prom_config()),
        keda(sim, "inference", spec, {PromQuery{}}, std::nullopt, HpaControllerConfig{}, workload, scale, prom,
             nullptr) {
    auto& g = gateway.add(100);
    g.gauge_present[kQueue] = true;
    g.gauges[kQueue] = 0;
    prom.start();
    keda.start();
  }
  void set_queue(double v) { gateway.at(100).gauges[kQueue] = v; }
};

}  // namespace

TEST_CASE("KEDA activates 0->1 at the first poll after the metric exceeds activationThreshold, 1->0 after cooldown",
          "[control]") {
  KedaWorld w;
  w.sim.run_until(at_s(45));
  w.set_queue(5);  // 2 < 5 <= threshold 10: active, and the HPA wants one replica
  w.sim.run_until(at_s(200));
  w.set_queue(0);
  w.sim.run_until(at_s(700));
  // The 45 s step is first scraped at 70 s; the polls at 30 and 60 s see 0, the 90 s poll sees 5.
  // Last poll that sees 5: 210 s (sample of 190 s; the 220 s sample is 0). Scale to zero needs
  // lastActiveTime + 300 s < now strictly: 510 s is not, 540 s is.
  REQUIRE(w.scale.patches.size() == 2);
  CHECK(w.scale.patches[0] == std::make_pair(at_s(90), 1));
  CHECK(w.scale.patches[1] == std::make_pair(at_s(540), 0));
  REQUIRE(w.keda.status().last_active_time);
  CHECK(*w.keda.status().last_active_time == at_s(210));
  const auto& ev = w.keda.events();
  REQUIRE(ev.size() == 3);
  CHECK(ev[0].time == at_s(90));
  CHECK(ev[0].metrics.at(0).value == 5.0);
  CHECK(ev[1].time == at_s(240));  // the cooldown wait starts (from == to)
  CHECK(ev[1].from_replicas == 1);
  CHECK(ev[1].to_replicas == 1);
  CHECK(ev[2].time == at_s(540));
  // What KEDA saw next to the truth: the 60 s poll saw 0 while the queue already held 5.
  const auto& pts = w.keda.traces().at(0).points;
  REQUIRE(pts.size() >= 4);
  CHECK(pts[2].time == at_s(60));
  CHECK(pts[2].seen == 0.0);
  CHECK(pts[2].truth == 5.0);
  CHECK(pts[3].seen == 5.0);
  // The HPA (value 5, then 0, against 10 per replica) keeps 1: it never rescales; after the queue
  // drained its proposal 0 is held at minReplicas 1 until KEDA parks the target.
  for (const auto& e : w.keda.hpa().events()) {
    CHECK(e.from_replicas == 1);
    CHECK(e.to_replicas == 1);
  }
  CHECK(w.keda.hpa().spec().min_replicas == 1);
  CHECK(w.keda.hpa().spec().max_replicas == 20);
  CHECK(w.keda.hpa().spec().metrics.at(0).metric_name == "s0-prometheus");
}

TEST_CASE("the HPA KEDA creates takes a ScaledObject from 1 to N at its next sync", "[control]") {
  // reference/autoscalers.md 2.4a: value 35, threshold 10, no behavior (legacy path).
  KedaWorld w;
  w.sim.run_until(at_s(45));
  w.set_queue(35);
  w.sim.run_until(at_s(120));
  // KEDA: 0 -> 1 at the 90 s poll. The HPA also syncs at 90 s, after the poll (same instant: the
  // poll was scheduled first, see keda_controller.h), so it sees 35 against 10 x 1 status replica
  // -> ceil(35 / 10) = 4, legacy cap max(2 x 1, 4) = 4.
  REQUIRE(w.scale.patches.size() == 2);
  CHECK(w.scale.patches[0] == std::make_pair(at_s(90), 1));
  CHECK(w.scale.patches[1] == std::make_pair(at_s(90), 4));
  const auto& hev = w.keda.hpa().events();
  REQUIRE(hev.size() == 1);
  CHECK(hev[0].metrics.at(0).metric == "s0-prometheus");
  CHECK(hev[0].metrics.at(0).value == 35.0);
  CHECK(hev[0].metrics.at(0).target == 10.0);
  // While the target sat at 0 the HPA synced but stayed out (ScalingDisabled): no events.
  CHECK(w.keda.hpa().syncs().front().time == at_s(15));
  CHECK(w.keda.hpa().syncs().front().rescale == false);
}

TEST_CASE("KEDA's fallback drives the HPA after failureThreshold failed queries", "[control]") {
  // fallback {failureThreshold 3, replicas 6}; queue 5 (HPA keeps 1); Prometheus fails from 100 s.
  // HPA syncs at 105, 120, 135 s count failures 1..3 (no decision: the only metric is invalid); at
  // 150 s the 4th failure (> 3) returns 6 x 10 = 60, so ceil(60 / 10) = 6 capped by the legacy
  // max(2 x 1, 4) = 4; at 165 s ceil(60 / 10) = 6 (cap max(2 x 4, 4) = 8). KEDA's polls see an
  // error while not active and leave the replicas to the HPA.
  KedaScaledObjectSpec spec = KedaWorld::so_spec();
  spec.fallback = control::KedaFallback{3, 6, control::KedaFallbackBehavior::kStatic};
  KedaWorld w(spec);
  w.sim.run_until(at_s(45));
  w.set_queue(5);
  w.sim.run_until(at_s(100));
  w.prom.set_unavailable(true);
  w.sim.run_until(at_s(200));
  REQUIRE(w.scale.patches.size() == 3);
  CHECK(w.scale.patches[0] == std::make_pair(at_s(90), 1));
  CHECK(w.scale.patches[1] == std::make_pair(at_s(150), 4));
  CHECK(w.scale.patches[2] == std::make_pair(at_s(165), 6));
  REQUIRE(w.keda.status().health.size() == 1);
  CHECK(w.keda.status().health[0].number_of_failures == 7);  // HPA queries at 105 ... 195 s
  REQUIRE(w.keda.last_poll());
  CHECK(w.keda.last_poll()->action == KedaAction::kHoldForFallback);
}
