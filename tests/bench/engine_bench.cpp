// SPDX-License-Identifier: MIT
// Engine benchmarks (Google Benchmark). Not tests: run by hand or by scripts/bench.sh.
//
// Hold model (Vaucher and Duval 1975; the classic pending-event-set benchmark): keep N events pending;
// each executed event schedules one successor at now + an exponential delay. Reports ns per event
// with N = 1e3, 1e4, 1e5 pending. Delays are drawn ahead of time so the RNG is not measured.

#include <benchmark/benchmark.h>

#include <boost/random/exponential_distribution.hpp>
#include <boost/random/mersenne_twister.hpp>
#include <vector>

#include "sim/engine/simulator.h"

namespace {

using kubemind::engine::Duration;
using kubemind::engine::SimTime;
using kubemind::engine::Simulator;

std::vector<int64_t> exponential_delays_ns(size_t n, double mean_ns) {
  boost::random::mt19937_64 rng(42);
  boost::random::exponential_distribution<double> exp(1.0 / mean_ns);
  std::vector<int64_t> d(n);
  for (auto& x : d) x = static_cast<int64_t>(exp(rng)) + 1;
  return d;
}

struct Hold {
  Simulator* sim = nullptr;
  const std::vector<int64_t>* delays = nullptr;
  size_t next = 0;
  uint64_t stop_after = 0;  // events left before run() returns
  void on_event(uint64_t) {
    if (--stop_after == 0) sim->stop();
    const int64_t d = (*delays)[next];
    next = (next + 1) & (delays->size() - 1);
    sim->schedule_in<&Hold::on_event>(Duration{d}, this);
  }
};

void BM_Hold(benchmark::State& state) {
  const auto pending = static_cast<size_t>(state.range(0));
  const std::vector<int64_t> delays = exponential_delays_ns(1 << 20, 1e6);
  Simulator sim;
  Hold hold{&sim, &delays};
  sim.reserve(pending + 1);
  for (size_t i = 0; i < pending; ++i) sim.schedule_at<&Hold::on_event>(SimTime{delays[i]}, &hold);
  // Let the heap reach its steady-state shape before measuring.
  hold.stop_after = 5 * pending;
  sim.run();
  constexpr int kBatch = 100000;
  for (auto _ : state) {
    hold.stop_after = kBatch;
    sim.run();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kBatch);
  state.counters["ns_per_event"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * kBatch, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_Hold)->Arg(1000)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);

/// Schedule-then-cancel, as a timeout that is cancelled when the answer comes first.
void BM_ScheduleCancel(benchmark::State& state) {
  Simulator sim;
  Hold hold{&sim, nullptr};
  for (auto _ : state) {
    auto h = sim.schedule_in<&Hold::on_event>(Duration{1000}, &hold);
    benchmark::DoNotOptimize(sim.cancel(h));
    sim.run();  // discards the cancelled key
  }
}
BENCHMARK(BM_ScheduleCancel);

}  // namespace

BENCHMARK_MAIN();
