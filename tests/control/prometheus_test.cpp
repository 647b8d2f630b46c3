// SPDX-License-Identifier: MIT
// Prometheus model: rate() with promql's extrapolation, instant vectors with lookback and
// staleness, sum/avg, and histogram_quantile. Expected values are hand-worked from
// promql/functions.go extrapolatedRate and promql/quantile.go bucketQuantile (steps in comments).
#include "sim/control/prometheus.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "tests/control/metrics_fake_world.h"

using namespace kubemind;
using control::AppCounter;
using control::AppGauge;
using control::prom_bucket_quantile;
using control::prom_extrapolated_rate;
using control::PromBucket;
using control::Prometheus;
using control::PrometheusConfig;
using control::PromQuery;
using control::PromQueryKind;
using control::PromSample;
using control::testing::at_s;
using control::testing::FakePods;
using engine::Duration;
using engine::SimTime;

namespace {

constexpr auto kReq = static_cast<size_t>(AppCounter::kRequestsTotal);
constexpr auto kQueue = static_cast<size_t>(AppGauge::kQueueDepth);

/// A pod whose requests_total = rate * (t - start) for t > start.
void linear_counter(FakePods& pods, uint64_t uid, double rate, SimTime start) {
  auto& p = pods.add(uid);
  p.counter_present[kReq] = true;
  p.counter_rate[kReq] = rate;
  p.counter_start[kReq] = start;
}

PrometheusConfig every_15s() {
  PrometheusConfig c;
  c.scrape_interval = Duration::seconds(15);
  return c;
}

PromQuery rate_query(Duration window) {
  PromQuery q;
  q.kind = PromQueryKind::kSumRate;
  q.counter = AppCounter::kRequestsTotal;
  q.window = window;
  return q;
}

}  // namespace

TEST_CASE("rate() of a linearly growing counter equals its true rate", "[control]") {
  engine::Simulator sim;
  FakePods pods(sim);
  linear_counter(pods, 1, 2.0, SimTime{0} - Duration::seconds(1000));
  Prometheus prom(sim, pods, every_15s());
  prom.start();
  sim.run_until(at_s(120));
  // (60, 120]: samples at 75..120, toStart 15 < 1.1 * 15: extrapolated to both edges -> slope.
  const auto r = prom.evaluate(rate_query(Duration::seconds(60)), at_s(120));
  REQUIRE(r);
  CHECK(*r == Approx(2.0).epsilon(1e-12));
  // Unaligned evaluation time: (65, 125], toStart 10, toEnd 5, both extrapolated.
  sim.run_until(at_s(125));
  const auto r2 = prom.evaluate(rate_query(Duration::seconds(60)), at_s(125));
  REQUIRE(r2);
  CHECK(*r2 == Approx(2.0).epsilon(1e-12));
}

TEST_CASE("rate() of a series that starts inside the range extrapolates by half a spacing", "[control]") {
  engine::Simulator sim;
  FakePods pods(sim);
  // Exported from 90 s (first scraped at 90), counter = 2 * (t - 80): samples 20, 50, 80 at 90, 105, 120.
  linear_counter(pods, 1, 2.0, at_s(80));
  pods.at(1).exporting = false;
  Prometheus prom(sim, pods, every_15s());
  prom.start();
  sim.run_until(at_s(89));
  pods.at(1).exporting = true;
  sim.run_until(at_s(120));
  // sampled 30 s, spacing 15 s, toStart 30 >= 16.5 -> 7.5; toZero = 30 * 20 / 60 = 10 (not shorter);
  // toEnd 0. increase = 60 * (30 + 7.5) / 30 = 75 -> rate 75 / 60 = 1.25.
  const auto r = prom.evaluate(rate_query(Duration::seconds(60)), at_s(120));
  REQUIRE(r);
  CHECK(*r == Approx(1.25).epsilon(1e-12));
}

TEST_CASE("extrapolatedRate clamps the start to the counter's zero point", "[control]") {
  // Range (60 s, 120 s]; samples 10, 40, 70 at 90, 105, 120 (a counter started at 85 s).
  const std::vector<PromSample> s = {{90'000, 10, false}, {105'000, 40, false}, {120'000, 70, false}};
  // toStart 30 -> 7.5 (>= 16.5); toZero = 30 * 10 / 60 = 5 < 7.5 -> 5.  60 * (30 + 5) / 30 / 60 = 7/6.
  const auto r = prom_extrapolated_rate(s, 60'000, 120'000, true, true);
  REQUIRE(r);
  CHECK(*r == Approx(7.0 / 6.0).epsilon(1e-12));
  // increase() of the same: 70.
  CHECK(*prom_extrapolated_rate(s, 60'000, 120'000, true, false) == Approx(70.0).epsilon(1e-12));
}

TEST_CASE("extrapolatedRate adds the pre-reset value at a counter reset", "[control]") {
  // (60, 120]: 150, 180, reset to 10, 40. delta = 40 - 150 + 180 = 70; toStart 15 < 16.5;
  // toZero = 45 * 150 / 70 > 15; toEnd 0. rate = 70 * (45 + 15) / 45 / 60 = 14/9.
  const std::vector<PromSample> s = {
      {75'000, 150, false}, {90'000, 180, false}, {105'000, 10, false}, {120'000, 40, false}};
  const auto r = prom_extrapolated_rate(s, 60'000, 120'000, true, true);
  REQUIRE(r);
  CHECK(*r == Approx(14.0 / 9.0).epsilon(1e-12));
  CHECK_FALSE(prom_extrapolated_rate(std::span<const PromSample>(s).first(1), 60'000, 120'000, true, true));
}

TEST_CASE("rate() after a series vanished extrapolates the end by half a spacing", "[control]") {
  engine::Simulator sim;
  FakePods pods(sim);
  linear_counter(pods, 1, 2.0, SimTime{0} - Duration::seconds(1000));
  Prometheus prom(sim, pods, every_15s());
  prom.start();
  sim.run_until(at_s(121));
  pods.remove(1);  // the 135 s scrape writes a staleness marker
  sim.run_until(at_s(150));
  // (90, 150]: samples 2210, 2240 at 105, 120 (counter = 2 * (t + 1000)); delta 30, sampled 15,
  // toStart 15 < 16.5 kept; toZero huge; toEnd 30 -> 7.5. rate = 30 * (15 + 15 + 7.5) / 15 / 60 = 1.25.
  const auto r = prom.evaluate(rate_query(Duration::seconds(60)), at_s(150));
  REQUIRE(r);
  CHECK(*r == Approx(1.25).epsilon(1e-12));
}

TEST_CASE("instant gauges use the last scrape, go stale with the target, and expire after 5 min", "[control]") {
  engine::Simulator sim;
  FakePods pods(sim);
  auto& a = pods.add(1);
  a.gauge_present[kQueue] = true;
  a.gauges[kQueue] = 3;
  auto& b = pods.add(2);
  b.gauge_present[kQueue] = true;
  b.gauges[kQueue] = 5;
  Prometheus prom(sim, pods);  // 30 s scrapes at 0, 30, ...
  prom.start();
  PromQuery sum;  // sum(queue_depth)
  PromQuery avg;
  avg.kind = PromQueryKind::kAvgGauge;
  sim.run_until(at_s(10));
  pods.at(1).gauges[kQueue] = 100;  // not scraped yet: queries still see 3
  CHECK(*prom.evaluate(sum, at_s(10)) == 8.0);
  CHECK(*prom.evaluate(avg, at_s(10)) == 4.0);
  sim.run_until(at_s(30));
  CHECK(*prom.evaluate(sum, at_s(30)) == 105.0);
  pods.remove(2);
  sim.run_until(at_s(60));  // staleness marker for pod 2 at 60 s
  CHECK(*prom.evaluate(sum, at_s(60)) == 100.0);
  CHECK(*prom.evaluate(avg, at_s(60)) == 100.0);
  // A target that stops answering on the same series after t = 60 leaves stale markers too.
  pods.at(1).exporting = false;
  sim.run_until(at_s(90));
  CHECK_FALSE(prom.evaluate(sum, at_s(90)));
  CHECK(*prom.evaluate_pod(sum, 1, at_s(89)) == 100.0);  // evaluated before the marker
}

TEST_CASE("an instant vector looks back 5 min for the newest sample", "[control]") {
  engine::Simulator sim;
  FakePods pods(sim);
  auto& a = pods.add(1);
  a.gauge_present[kQueue] = true;
  a.gauges[kQueue] = 7;
  Prometheus prom(sim, pods);
  sim.run_until(at_s(60));
  prom.scrape();  // one scrape only (no loop): no staleness marker follows
  PromQuery sum;
  // (t - 5 min, t]: the 60 s sample is visible at 359.999 s but not at 360 s.
  CHECK(*prom.evaluate(sum, at_s(359.999)) == 7.0);
  CHECK_FALSE(prom.evaluate(sum, at_s(360)));
  CHECK_FALSE(prom.evaluate(sum, at_s(59)));  // nothing before the first scrape
}

TEST_CASE("histogram_quantile interpolates linearly inside the bucket", "[control]") {
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<PromBucket> b = {{0.1, 10}, {0.5, 30}, {1.0, 40}, {inf, 40}};
  // q = 0.5: rank 20 -> bucket (0.1, 0.5] holding 20, 10 into it: 0.1 + 0.4 * 10 / 20 = 0.3.
  CHECK(prom_bucket_quantile(0.5, b) == Approx(0.3).epsilon(1e-12));
  // q = 0.99: rank 39.6 -> (0.5, 1.0] holding 10, 9.6 into it: 0.5 + 0.5 * 0.96 = 0.98.
  CHECK(prom_bucket_quantile(0.99, b) == Approx(0.98).epsilon(1e-12));
  // q = 0.05: rank 2 in the first bucket, from 0: 0.1 * 2 / 10 = 0.02.
  CHECK(prom_bucket_quantile(0.05, b) == Approx(0.02).epsilon(1e-12));
  // A rank in the +Inf bucket returns the highest finite bound.
  const std::vector<PromBucket> tail = {{0.1, 10}, {inf, 20}};
  CHECK(prom_bucket_quantile(0.9, tail) == 0.1);
  CHECK(std::isnan(prom_bucket_quantile(0.5, std::vector<PromBucket>{{0.1, 0}, {inf, 0}})));
  CHECK(std::isnan(prom_bucket_quantile(0.5, std::vector<PromBucket>{{0.1, 1}, {1.0, 2}})));
  CHECK(prom_bucket_quantile(-0.1, b) == -inf);
  CHECK(prom_bucket_quantile(1.1, b) == inf);
}

TEST_CASE("histogram_quantile over summed bucket rates of two pods", "[control]") {
  engine::Simulator sim;
  FakePods pods(sim);
  pods.set_bounds({0.1, 0.5, 1.0, std::numeric_limits<double>::infinity()});
  pods.add(1).hist_rates = {1, 3, 4, 4};  // cumulative counts grow linearly from t = 0
  pods.add(2).hist_rates = {0, 1, 2, 2};
  Prometheus prom(sim, pods, every_15s());
  prom.start();
  sim.run_until(at_s(120));
  PromQuery q;
  q.kind = PromQueryKind::kHistogramQuantile;
  q.window = Duration::seconds(60);
  q.quantile = 0.5;
  // Linear counters: each bucket rate is exact, so the summed rates are (1, 4, 6, 6). rank 3 falls
  // in (0.1, 0.5] holding 3, 2 into it: 0.1 + 0.4 * 2 / 3.
  const auto r = prom.evaluate(q, at_s(120));
  REQUIRE(r);
  CHECK(*r == Approx(0.1 + 0.4 * 2.0 / 3.0).epsilon(1e-9));
  // Pod 1 alone: (1, 3, 4, 4), rank 2 in (0.1, 0.5] holding 2, 1 into it: 0.3.
  CHECK(*prom.evaluate_pod(q, 1, at_s(120)) == Approx(0.3).epsilon(1e-9));
}
