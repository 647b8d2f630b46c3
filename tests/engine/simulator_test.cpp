// SPDX-License-Identifier: MIT
#include "sim/engine/simulator.h"

#include <algorithm>
#include <boost/random/mersenne_twister.hpp>
#include <boost/random/uniform_int_distribution.hpp>
#include <catch2/catch.hpp>
#include <utility>
#include <vector>

using kubemind::engine::Duration;
using kubemind::engine::EventHandle;
using kubemind::engine::SimTime;
using kubemind::engine::Simulator;

namespace {

/// Records (time, tag) of every event it receives.
struct Log {
  Simulator* sim = nullptr;
  std::vector<std::pair<int64_t, uint64_t>> seen;
  void on(uint64_t tag) { seen.emplace_back(sim->now().ns, tag); }
};

}  // namespace

TEST_CASE("events scheduled for the same instant run in the order they were scheduled", "[engine]") {
  Simulator sim;
  Log log{&sim, {}};
  const int n = GENERATE(1, 2, 10, 1000);
  for (int i = 0; i < n; ++i) sim.schedule_at<&Log::on>(SimTime{42}, &log, static_cast<uint64_t>(i));
  sim.run();
  REQUIRE(log.seen.size() == static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) CHECK(log.seen[static_cast<size_t>(i)] == std::pair<int64_t, uint64_t>{42, i});
}

TEST_CASE("events run in (time, scheduling order) for any insertion order", "[engine]") {
  Simulator sim;
  Log log{&sim, {}};
  boost::random::mt19937_64 rng(7);
  boost::random::uniform_int_distribution<int64_t> time(0, 500);  // many ties
  std::vector<std::pair<int64_t, uint64_t>> expected;
  for (uint64_t i = 0; i < 20000; ++i) {
    const int64_t t = time(rng);
    sim.schedule_at<&Log::on>(SimTime{t}, &log, i);
    expected.emplace_back(t, i);
  }
  std::stable_sort(expected.begin(), expected.end(), [](auto& a, auto& b) { return a.first < b.first; });
  sim.run();
  CHECK(log.seen == expected);
  CHECK(sim.events_executed() == 20000);
  CHECK(sim.pending() == 0);
}

namespace {
/// Reschedules itself `left` times with a fixed delay, scheduling a same-time marker each time.
struct Chain {
  Simulator* sim = nullptr;
  std::vector<std::pair<int64_t, uint64_t>> seen;
  int left = 3;
  void tick(uint64_t tag) {
    seen.emplace_back(sim->now().ns, tag);
    if (tag == 0 && left-- > 0) {
      sim->schedule_in<&Chain::tick>(Duration{0}, this, 1);  // same instant: runs after pending ones
      sim->schedule_in<&Chain::tick>(Duration{5}, this, 0);
    }
  }
};
}  // namespace

TEST_CASE("a handler may schedule at the current instant and it runs after what was already due", "[engine]") {
  Simulator sim;
  Chain chain{&sim, {}};
  sim.schedule_at<&Chain::tick>(SimTime{0}, &chain, 0);
  sim.schedule_at<&Chain::tick>(SimTime{0}, &chain, 2);
  sim.run();
  const std::vector<std::pair<int64_t, uint64_t>> expected{{0, 0}, {0, 2}, {0, 1}, {5, 0}, {5, 1},
                                                           {10, 0}, {10, 1}, {15, 0}};
  CHECK(chain.seen == expected);
}

TEST_CASE("a cancelled event does not run and a stale handle cancels nothing", "[engine]") {
  Simulator sim;
  Log log{&sim, {}};
  const EventHandle a = sim.schedule_at<&Log::on>(SimTime{10}, &log, 1);
  const EventHandle b = sim.schedule_at<&Log::on>(SimTime{20}, &log, 2);
  CHECK(sim.pending() == 2);
  CHECK(sim.cancel(a));
  CHECK_FALSE(sim.cancel(a));  // twice
  CHECK_FALSE(sim.is_pending(a));
  CHECK(sim.is_pending(b));
  CHECK(sim.pending() == 1);
  sim.run();
  CHECK(log.seen == std::vector<std::pair<int64_t, uint64_t>>{{20, 2}});
  CHECK(sim.events_executed() == 1);
  // Slots are reused; the old handles must not touch the new event.
  const EventHandle c = sim.schedule_at<&Log::on>(SimTime{30}, &log, 3);
  CHECK_FALSE(sim.cancel(a));
  CHECK_FALSE(sim.cancel(b));
  CHECK(sim.is_pending(c));
  sim.run();
  CHECK(log.seen.back() == std::pair<int64_t, uint64_t>{30, 3});
  CHECK_FALSE(sim.cancel(EventHandle{}));
}

TEST_CASE("cancelling one of many events leaves exactly the others, in order", "[engine]") {
  Simulator sim;
  Log log{&sim, {}};
  std::vector<EventHandle> handles;
  for (uint64_t i = 0; i < 1000; ++i) handles.push_back(sim.schedule_at<&Log::on>(SimTime{static_cast<int64_t>(i % 17)}, &log, i));
  for (uint64_t i = 0; i < 1000; i += 3) REQUIRE(sim.cancel(handles[i]));
  sim.run();
  std::vector<std::pair<int64_t, uint64_t>> expected;
  for (uint64_t i = 0; i < 1000; ++i)
    if (i % 3 != 0) expected.emplace_back(static_cast<int64_t>(i % 17), i);
  std::stable_sort(expected.begin(), expected.end(), [](auto& x, auto& y) { return x.first < y.first; });
  CHECK(log.seen == expected);
}

TEST_CASE("run_until runs events up to and including the limit, then moves the clock to it", "[engine]") {
  Simulator sim;
  Log log{&sim, {}};
  for (int64_t t : {5, 10, 15}) sim.schedule_at<&Log::on>(SimTime{t}, &log, static_cast<uint64_t>(t));
  sim.run_until(SimTime{10});
  CHECK(log.seen.size() == 2);
  CHECK(sim.now() == SimTime{10});
  sim.run_until(SimTime{12});
  CHECK(sim.now() == SimTime{12});
  CHECK(sim.pending() == 1);
  CHECK(sim.next_time() == SimTime{15});
  sim.run();
  CHECK(sim.now() == SimTime{15});
  CHECK(sim.next_time() == SimTime::max());
}

namespace {
struct Stopper {
  Simulator* sim = nullptr;
  int runs = 0;
  void on(uint64_t) {
    ++runs;
    sim->stop();
  }
};
}  // namespace

TEST_CASE("stop makes run return after the current event", "[engine]") {
  Simulator sim;
  Stopper s{&sim};
  sim.schedule_at<&Stopper::on>(SimTime{1}, &s);
  sim.schedule_at<&Stopper::on>(SimTime{2}, &s);
  sim.run();
  CHECK(s.runs == 1);
  CHECK(sim.now() == SimTime{1});
  sim.run();
  CHECK(s.runs == 2);
}

TEST_CASE("time converts from floating point through one rounding rule", "[engine]") {
  CHECK(Duration::from_seconds(1.5).ns == 1'500'000'000);
  CHECK(Duration::from_milliseconds(0.0000004).ns == 0);
  CHECK(Duration::from_milliseconds(0.0000005).ns == 1);  // half away from zero
  CHECK(Duration::from_milliseconds(2.13).ns == 2'130'000);
  CHECK(SimTime::from_seconds(3).ns == 3'000'000'000);
  CHECK((SimTime{10} - SimTime{4}) == Duration{6});
}
