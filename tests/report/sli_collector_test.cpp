// SPDX-License-Identifier: MIT
#include "sim/report/sli_collector.h"

#include <catch2/catch.hpp>
#include <cmath>

using namespace kubemind;
using engine::Duration;
using engine::SimTime;

namespace {

report::SliCollector collector(size_t servers) {
  return report::SliCollector({SimTime::from_seconds(1), SimTime::from_seconds(4), Duration::seconds(2), 100.0, servers});
}

}  // namespace

TEST_CASE("imbalance counts idle pods: all requests on 1 of 3 pods", "[report]") {
  auto sli = collector(3);
  for (int i = 0; i < 6; ++i) {
    const SimTime sent = SimTime::from_seconds(1.5);
    sli.on_sent(sent);
    sli.on_completed(sent, sent, sent, sent + Duration::milliseconds(10), 0);
  }
  const report::Sli s = sli.sli();
  // Per pod 6, 0, 0: mean 2, population sd sqrt((16 + 4 + 4) / 3) = sqrt(8).
  CHECK(s.imbalance.max_over_mean == 3.0);
  CHECK(s.imbalance.cv == Approx(std::sqrt(8.0) / 2).epsilon(1e-12));
  CHECK(s.imbalance.top_share == 1.0);
  CHECK(s.imbalance.pods_serving == 1);
}

TEST_CASE("an even spread has no imbalance", "[report]") {
  auto sli = collector(2);
  for (uint32_t pod : {0u, 1u, 0u, 1u}) {
    const SimTime sent = SimTime::from_seconds(2);
    sli.on_sent(sent);
    sli.on_completed(sent, sent, sent, sent + Duration::milliseconds(1), pod);
  }
  const report::Sli s = sli.sli();
  CHECK(s.imbalance.max_over_mean == 1.0);
  CHECK(s.imbalance.cv == 0.0);
  CHECK(s.imbalance.top_share == 0.5);
  CHECK(s.imbalance.pods_serving == 2);
}

TEST_CASE("per-pod rps is counted by answer time, per row, failures included", "[report]") {
  auto sli = collector(2);
  // Rows: [0, 2) and [2, 4). Pod 0 answers 3 in the first row; pod 1 answers 1 OK and 1 error in the second.
  for (int i = 0; i < 3; ++i) sli.on_completed(SimTime{0}, SimTime{0}, SimTime{0}, SimTime::from_seconds(0.5), 0);
  sli.on_completed(SimTime{0}, SimTime{0}, SimTime{0}, SimTime::from_seconds(2.5), 1);
  sli.on_failed(SimTime{0}, SimTime::from_seconds(3), 1, "queue_full");
  const report::TimeSeries ts = sli.timeseries({"a", "b"});
  REQUIRE(ts.pod_rps.size() == 2);
  CHECK(ts.pod_rps[0] == std::vector<double>{1.5, 0.0});
  CHECK(ts.pod_rps[1] == std::vector<double>{0.0, 1.0});
  CHECK(ts.pod_names == std::vector<std::string>{"a", "b"});
}
