// SPDX-License-Identifier: MIT
#include "sim/balance/outlier_detector.h"

#include <catch2/catch.hpp>

using namespace kubemind;
using engine::SimTime;

TEST_CASE("five consecutive failures eject a host and a success resets the count", "[balance]") {
  balance::OutlierDetector od(balance::OutlierDetectionConfig{true});
  od.resize(10);
  const SimTime t = SimTime::from_seconds(1);
  for (int i = 0; i < 4; ++i) CHECK_FALSE(od.report(0, true, t, 10));
  CHECK_FALSE(od.report(0, false, t, 10));  // reset
  for (int i = 0; i < 4; ++i) CHECK_FALSE(od.report(0, true, t, 10));
  CHECK(od.report(0, true, t, 10));
  CHECK(od.ejected(0));
}

TEST_CASE("ejection lasts base time times ejections and ends at an interval tick", "[balance]") {
  balance::OutlierDetector od(balance::OutlierDetectionConfig{true});
  od.resize(10);
  for (int i = 0; i < 5; ++i) od.report(3, true, SimTime::from_seconds(1), 10);
  REQUIRE(od.ejected(3));
  // Ejected at 1 s for 30 s: still out at the 30 s tick, back at the 40 s tick.
  CHECK(od.sweep(SimTime::from_seconds(30)) == 0);
  CHECK(od.sweep(SimTime::from_seconds(40)) == 1);
  CHECK_FALSE(od.ejected(3));
  // Second ejection at 41 s lasts 2 x 30 = 60 s: out at 100 s, back at 110 s.
  for (int i = 0; i < 5; ++i) od.report(3, true, SimTime::from_seconds(41), 10);
  REQUIRE(od.ejected(3));
  CHECK(od.sweep(SimTime::from_seconds(100)) == 0);
  CHECK(od.sweep(SimTime::from_seconds(110)) == 1);
  // Two healthy ticks decay the ejection count to 0; the next ejection lasts 30 s again.
  od.sweep(SimTime::from_seconds(120));
  od.sweep(SimTime::from_seconds(130));
  CHECK_FALSE(od.needs_sweep());
  for (int i = 0; i < 5; ++i) od.report(3, true, SimTime::from_seconds(131), 10);
  CHECK(od.sweep(SimTime::from_seconds(160)) == 0);
  CHECK(od.sweep(SimTime::from_seconds(170)) == 1);
}

TEST_CASE("at most 10 percent of hosts are ejected, but always one", "[balance]") {
  balance::OutlierDetector od(balance::OutlierDetectionConfig{true});
  od.resize(10);
  const SimTime t = SimTime::from_seconds(1);
  for (int i = 0; i < 5; ++i) od.report(0, true, t, 10);
  for (int i = 0; i < 5; ++i) od.report(1, true, t, 10);
  CHECK(od.ejected(0));
  CHECK_FALSE(od.ejected(1));  // 1 of 10 already ejected: 10 % is not below 10 %
  // 20 hosts: 0 % and then 5 % are below 10 %, so two are ejected; at 10 % the third is refused.
  balance::OutlierDetector twenty(balance::OutlierDetectionConfig{true});
  twenty.resize(20);
  for (size_t h = 0; h < 3; ++h) {
    for (int i = 0; i < 5; ++i) twenty.report(h, true, t, 20);
  }
  CHECK(twenty.ejected_count() == 2);
  CHECK_FALSE(twenty.ejected(2));
  // With 4 hosts, 1 of 4 is 25 % > 10 %, yet one host is always ejectable.
  balance::OutlierDetector small(balance::OutlierDetectionConfig{true});
  small.resize(4);
  for (int i = 0; i < 5; ++i) small.report(2, true, t, 4);
  CHECK(small.ejected(2));
  CHECK(small.ejected_count() == 1);
}
