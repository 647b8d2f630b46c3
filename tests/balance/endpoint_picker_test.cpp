// SPDX-License-Identifier: MIT
#include "sim/balance/endpoint_picker.h"

#include <catch2/catch.hpp>
#include <vector>

using namespace kubemind;
using balance::EndpointMetrics;
using balance::HostView;
using engine::SimTime;

namespace {

struct TableSource final : balance::EndpointMetricsSource {
  std::vector<EndpointMetrics> metrics;
  uint32_t endpoint_count() const override { return static_cast<uint32_t>(metrics.size()); }
  EndpointMetrics endpoint_metrics(uint32_t id) const override { return metrics[id]; }
};

/// Records the host picked when run.
struct Picker {
  balance::EndpointPickerPolicy* policy = nullptr;
  engine::RngStream* rng = nullptr;
  std::vector<HostView> hosts;
  std::vector<uint32_t> picks;
  void pick(uint64_t) { picks.push_back(hosts[*policy->choose(hosts, {}, rng->engine())].id); }
};

}  // namespace

TEST_CASE("the endpoint picker scores queue and KV cache with weights 2 and 2", "[balance]") {
  engine::Simulator sim;
  TableSource source;
  // Hand-worked scores (queue score (maxQ - q)/(maxQ - minQ) over q in {0, 10, 5}):
  //   host 0: q 0,  kv 0.8 -> 2*1.0 + 2*0.2 = 2.4
  //   host 1: q 10, kv 0.0 -> 2*0.0 + 2*1.0 = 2.0
  //   host 2: q 5,  kv 0.4 -> 2*0.5 + 2*0.6 = 2.2
  source.metrics = {{0, 0.8}, {10, 0.0}, {5, 0.4}};
  balance::MetricsScraper scraper(sim, source, {});
  scraper.start();
  engine::RngStream rng(1, "epp", "tie");
  balance::EndpointPickerPolicy epp({}, scraper);
  const std::vector<HostView> hosts{{0, 1, 0}, {1, 1, 0}, {2, 1, 0}};
  CHECK(*epp.choose(hosts, {}, rng.engine()) == 0);
  // KV at 0.95 on host 0: 2*1 + 2*0.05 = 2.1 < 2.2, so host 2 wins.
  source.metrics[0].kv_cache_utilization = 0.95;
  sim.run_until(SimTime::from_seconds(0.05));
  CHECK(*epp.choose(hosts, {}, rng.engine()) == 2);
  scraper.stop();
}

TEST_CASE("the endpoint picker acts on metrics up to one scrape interval old", "[balance]") {
  engine::Simulator sim;
  TableSource source;
  source.metrics = {{5, 0.0}, {0, 0.0}, {3, 0.0}};
  balance::MetricsScraper scraper(sim, source, {});  // 50 ms
  scraper.start();                                   // scrapes at 0, 50, 100 ... ms
  engine::RngStream rng(1, "epp", "tie");
  balance::EndpointPickerPolicy epp({}, scraper);
  Picker picker{&epp, &rng, {{0, 1, 0}, {1, 1, 0}, {2, 1, 0}}, {}};
  struct Change {
    TableSource* s;
    void apply(uint64_t) { s->metrics = {{0, 0.0}, {5, 0.0}, {3, 0.0}}; }
  } change{&source};
  sim.schedule_at<&Picker::pick>(SimTime::from_seconds(0.001), &picker);
  sim.schedule_at<&Change::apply>(SimTime::from_seconds(0.010), &change);
  sim.schedule_at<&Picker::pick>(SimTime::from_seconds(0.049), &picker);  // still the t=0 scrape
  sim.schedule_at<&Picker::pick>(SimTime::from_seconds(0.051), &picker);  // the t=50 ms scrape
  sim.run_until(SimTime::from_seconds(0.06));
  scraper.stop();
  CHECK(picker.picks == std::vector<uint32_t>{1, 1, 0});
  CHECK(scraper.scrapes() == 2);
}

TEST_CASE("the endpoint picker breaks score ties uniformly at random", "[balance]") {
  engine::Simulator sim;
  TableSource source;
  source.metrics = {{2, 0.5}, {2, 0.5}, {9, 0.5}, {2, 0.5}};
  balance::MetricsScraper scraper(sim, source, {});
  scraper.start();
  engine::RngStream rng(4, "epp", "tie");
  balance::EndpointPickerPolicy epp({}, scraper);
  const std::vector<HostView> hosts{{0, 1, 0}, {1, 1, 0}, {2, 1, 0}, {3, 1, 0}};
  std::vector<int> counts(4, 0);
  const int n = 30000;
  for (int i = 0; i < n; ++i) ++counts[*epp.choose(hosts, {}, rng.engine())];
  CHECK(counts[2] == 0);
  // Three tied hosts: 1/3 each; binomial sd 0.0027, margin 0.015 is 5 sd.
  for (int h : {0, 1, 3}) CHECK(counts[h] / double(n) == Approx(1.0 / 3).margin(0.015));
  scraper.stop();
}
