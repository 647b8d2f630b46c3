// SPDX-License-Identifier: MIT
#pragma once
// Open-loop arrival processes: when the next request leaves a client, whatever happened to earlier
// ones. Rates are requests per second; times simulated.
//
// - poisson: exponential gaps with mean 1/rate.
// - constant: exactly 1/rate apart, the first at 1/rate.
// - schedule: a non-homogeneous Poisson process whose rate follows points (at_s, rate_rps), held
//   until the next point ("step") or interpolated linearly between points ("linear"); after the last
//   point its rate holds. Generated segment by segment by thinning (Lewis and Shedler 1979) against
//   the segment's own maximum rate, which is exact.
// - mmpp: a two-state Markov-modulated Poisson process (on/off bursts): exponential sojourns with
//   means mean_on_s and mean_off_s, Poisson at on_rate_rps / off_rate_rps within each state. Starts
//   "on" at t = 0.
// - diurnal: a non-homogeneous Poisson process with rate(t) = rate_rps (1 + amplitude
//   sin(2 pi (t - phase_s) / period_s)), by thinning against rate_rps (1 + amplitude).
// - trace: replays given send times (from a CSV the scenario layer reads), in order.
// Invariant: the times returned never decrease. Every draw comes from the client's own stream.

#include <boost/random/exponential_distribution.hpp>
#include <boost/random/uniform_01.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/engine/rng.h"
#include "sim/engine/time.h"

namespace kubemind::traffic {

enum class ArrivalProcess : uint8_t { kPoisson, kConstant, kSchedule, kMmpp, kDiurnal, kTrace };

struct RatePoint {
  double at_s = 0.0;
  double rate_rps = 0.0;
};

/// One request of a replayed trace.
struct TraceEntry {
  double at_s = 0.0;
  uint32_t request_class = 0;  // index into the client's class names
  uint32_t input_size = 0;     // e.g. prompt tokens; 0 if the trace gives none
  uint32_t output_size = 0;    // e.g. output tokens; 0 if the trace gives none
};

struct ArrivalConfig {
  ArrivalProcess process = ArrivalProcess::kPoisson;
  double rate_rps = 0.0;            // poisson, constant; the mean rate of diurnal
  std::vector<RatePoint> schedule;  // schedule: first point at 0, times increasing
  bool schedule_linear = false;     // schedule: ramp between points instead of steps
  double on_rate_rps = 0.0;         // mmpp
  double off_rate_rps = 0.0;        // mmpp
  double mean_on_s = 0.0;           // mmpp
  double mean_off_s = 0.0;          // mmpp
  double amplitude = 0.0;           // diurnal, in [0, 1]
  double period_s = 86400.0;        // diurnal
  double phase_s = 0.0;             // diurnal
  std::string trace_file;           // trace: the CSV it came from (for the echo)
  std::vector<std::string> trace_classes;  // trace: class names, by index
  std::vector<TraceEntry> trace;    // trace: entries, at_s non-decreasing
};

class ArrivalGenerator {
 public:
  ArrivalGenerator(const ArrivalConfig& config, engine::RngStream& rng);

  /// The next send time after the previous one (the first call: after t = 0). SimTime::max() when the
  /// process has no more arrivals (end of a trace, or a rate that stays 0).
  engine::SimTime next();
  /// The trace entry of the time last returned by next() (trace only).
  const TraceEntry* last_trace_entry() const { return last_entry_; }

  /// The rate at time t (requests/s), for the processes that have one.
  double rate_at(double t_s) const;

 private:
  double exponential(double rate);
  double next_schedule();
  double next_mmpp();
  double next_thinned(double max_rate);

  const ArrivalConfig& config_;
  engine::RngStream& rng_;
  boost::random::exponential_distribution<double> unit_exponential_{1.0};
  boost::random::uniform_01<double> uniform_;
  double t_s_ = 0.0;         // time of the last arrival
  uint64_t sent_ = 0;        // constant: arrivals so far
  size_t segment_ = 0;       // schedule: current segment
  bool on_ = true;           // mmpp: current state
  double state_end_s_ = -1;  // mmpp: when the current state ends (< 0: not drawn yet)
  size_t trace_index_ = 0;
  const TraceEntry* last_entry_ = nullptr;
};

}  // namespace kubemind::traffic
