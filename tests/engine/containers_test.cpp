// SPDX-License-Identifier: MIT
#include <boost/random/mersenne_twister.hpp>
#include <boost/random/uniform_int_distribution.hpp>
#include <catch2/catch.hpp>
#include <deque>

#include "sim/engine/fifo.h"
#include "sim/engine/time_integral.h"

using namespace kubemind::engine;

TEST_CASE("the FIFO behaves as std::deque under random pushes and pops", "[engine]") {
  Fifo<uint32_t> fifo;
  std::deque<uint32_t> reference;
  boost::random::mt19937_64 rng(3);
  boost::random::uniform_int_distribution<int> coin(0, 2);
  for (uint32_t i = 0; i < 100000; ++i) {
    if (coin(rng) != 0 || reference.empty()) {
      fifo.push_back(i);
      reference.push_back(i);
    } else {
      REQUIRE(fifo.front() == reference.front());
      REQUIRE(fifo.pop_front() == reference.front());
      reference.pop_front();
    }
    REQUIRE(fifo.size() == reference.size());
  }
}

TEST_CASE("a time integral gives the exact time-average of a step function", "[engine]") {
  TimeIntegral level;
  level.set(SimTime{0}, 2);                        // 2 for 1 s
  level.add(SimTime::from_seconds(1), +3);         // 5 for 2 s
  level.add(SimTime::from_seconds(3), -5);         // 0 for 1 s
  CHECK(level.area_until(SimTime::from_seconds(4)) == Approx(2.0 + 10.0).epsilon(1e-15));
  CHECK(level.level() == 0);
  CHECK(level.area_until(SimTime::from_seconds(2)) == Approx(12.0));  // area so far is what was banked
}
