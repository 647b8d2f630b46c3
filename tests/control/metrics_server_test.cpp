// SPDX-License-Identifier: MIT
// metrics-server: rate between the last two scrapes, the fresh-container rule and the lag of a CPU
// step. Every expected number is hand-worked from the rules in sim/control/metrics_server.h
// (kubernetes-sigs/metrics-server pkg/storage/pod.go, resourceUsage).
#include "sim/control/metrics_server.h"

#include <catch2/catch.hpp>

#include "tests/control/metrics_fake_world.h"

using namespace kubemind;
using control::MetricsServer;
using control::MetricsServerConfig;
using control::ResourceMetricPoint;
using control::testing::at_s;
using control::testing::FakePods;
using engine::Duration;
using engine::SimTime;

TEST_CASE("metrics-server serves the CPU rate between its last two scrapes", "[control]") {
  engine::Simulator sim;
  FakePods pods(sim);
  auto& p = pods.add(1);
  p.cpu_steps = {{SimTime{0} - Duration::seconds(600), 0.25}};
  p.memory_bytes = 3'000'000;
  MetricsServer ms(sim, pods);  // resolution 15 s, first scrape at start
  ms.start();
  ResourceMetricPoint m;
  sim.run_until(at_s(1));
  CHECK_FALSE(ms.pod_metrics(1, m));  // one point only: the pod is "missing"
  sim.run_until(at_s(15));
  REQUIRE(ms.pod_metrics(1, m));
  CHECK(m.cpu_milli == 250);  // 0.25 cpu-s/s over [0, 15]
  CHECK(m.memory_milli == 3'000'000'000);
  CHECK(m.timestamp == at_s(15));
  CHECK(m.window == Duration::seconds(15));
  CHECK(ms.scrapes() == 2);
}

TEST_CASE("a CPU step appears in metrics-server one scrape late and in full after two", "[control]") {
  // Scrapes at 5, 20, 35, 50 s; usage steps from 0.1 to 0.5 cores at t0 = 22 s.
  engine::Simulator sim;
  FakePods pods(sim);
  pods.add(1).cpu_steps = {{SimTime{0} - Duration::seconds(600), 0.1}, {at_s(22), 0.5}};
  MetricsServerConfig cfg;
  cfg.first_scrape_delay = Duration::seconds(5);
  MetricsServer ms(sim, pods, cfg);
  ms.start();
  ResourceMetricPoint m;
  sim.run_until(at_s(34));
  REQUIRE(ms.pod_metrics(1, m));
  CHECK(m.cpu_milli == 100);  // window [5, 20]: the step at 22 is invisible until the 35 s scrape
  CHECK(m.timestamp == at_s(20));
  sim.run_until(at_s(35));
  REQUIRE(ms.pod_metrics(1, m));
  // [20, 35]: 2 s at 0.1 + 13 s at 0.5 = 6.7 cpu-s; 6.7e9 ns / 15 s = 446666666 nanocores -> ceil = 447 m.
  CHECK(m.cpu_milli == 447);
  sim.run_until(at_s(50));
  REQUIRE(ms.pod_metrics(1, m));
  CHECK(m.cpu_milli == 500);  // [35, 50] entirely after the step
}

TEST_CASE("a fresh container gets a rate from its start after one scrape when old enough", "[control]") {
  engine::Simulator sim;
  FakePods pods(sim);
  auto& a = pods.add(1);  // starts at 3 s: age 12 s at the 15 s scrape, in [10 s, 15 s)
  a.container_start = at_s(3);
  a.cpu_steps = {{at_s(3), 0.6}};
  auto& b = pods.add(2);  // starts at 8 s: age 7 s < 10 s, needs two scrapes
  b.container_start = at_s(8);
  b.cpu_steps = {{at_s(8), 0.6}};
  MetricsServer ms(sim, pods);
  sim.run_until(at_s(15));
  ms.scrape();
  ResourceMetricPoint m;
  REQUIRE(ms.pod_metrics(1, m));
  CHECK(m.cpu_milli == 600);  // 7.2 cpu-s over the 12 s since start
  CHECK(m.window == Duration::seconds(12));
  CHECK_FALSE(ms.pod_metrics(2, m));
  sim.run_until(at_s(30));
  ms.scrape();
  REQUIRE(ms.pod_metrics(2, m));
  CHECK(m.cpu_milli == 600);
  CHECK(m.window == Duration::seconds(15));
}

TEST_CASE("a container restart between scrapes leaves the pod without a metric for one scrape", "[control]") {
  engine::Simulator sim;
  FakePods pods(sim);
  auto& p = pods.add(1);
  p.cpu_steps = {{SimTime{0} - Duration::seconds(600), 0.2}};
  MetricsServer ms(sim, pods);
  ms.scrape();  // t = 0
  sim.run_until(at_s(15));
  ms.scrape();
  ResourceMetricPoint m;
  REQUIRE(ms.pod_metrics(1, m));
  CHECK(m.cpu_milli == 200);
  pods.at(1).container_start = at_s(20);  // restarted at 20 s: the counter starts again from 0
  sim.run_until(at_s(40));                // age 20 s >= resolution: no synthetic point
  ms.scrape();
  CHECK_FALSE(ms.pod_metrics(1, m));
  sim.run_until(at_s(55));
  ms.scrape();
  REQUIRE(ms.pod_metrics(1, m));
  CHECK(m.cpu_milli == 200);
}
