// SPDX-License-Identifier: MIT
#include "sim/traffic/arrivals.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "sim/engine/check.h"

namespace kubemind::traffic {
namespace {

constexpr double kNever = -1.0;

}  // namespace

ArrivalGenerator::ArrivalGenerator(const ArrivalConfig& config, engine::RngStream& rng) : config_(config), rng_(rng) {}

double ArrivalGenerator::exponential(double rate) { return unit_exponential_(rng_.engine()) / rate; }

double ArrivalGenerator::rate_at(double t_s) const {
  switch (config_.process) {
    case ArrivalProcess::kPoisson:
    case ArrivalProcess::kConstant:
      return config_.rate_rps;
    case ArrivalProcess::kSchedule: {
      const auto& pts = config_.schedule;
      auto after = std::upper_bound(pts.begin(), pts.end(), t_s, [](double t, const RatePoint& p) { return t < p.at_s; });
      if (after == pts.begin()) return 0.0;
      const RatePoint& a = *(after - 1);
      if (after == pts.end() || !config_.schedule_linear) return a.rate_rps;
      const RatePoint& b = *after;
      return a.rate_rps + (b.rate_rps - a.rate_rps) * (t_s - a.at_s) / (b.at_s - a.at_s);
    }
    case ArrivalProcess::kDiurnal:
      return config_.rate_rps *
             (1.0 + config_.amplitude * std::sin(2.0 * std::numbers::pi * (t_s - config_.phase_s) / config_.period_s));
    case ArrivalProcess::kMmpp:
    case ArrivalProcess::kTrace:
      return 0.0;  // no deterministic rate function
  }
  return 0.0;
}

engine::SimTime ArrivalGenerator::next() {
  double t = kNever;
  switch (config_.process) {
    case ArrivalProcess::kPoisson:
      t = t_s_ + exponential(config_.rate_rps);
      break;
    case ArrivalProcess::kConstant:
      t = static_cast<double>(++sent_) / config_.rate_rps;  // from the count, so no rounding drift
      break;
    case ArrivalProcess::kSchedule:
      t = next_schedule();
      break;
    case ArrivalProcess::kMmpp:
      t = next_mmpp();
      break;
    case ArrivalProcess::kDiurnal:
      t = next_thinned(config_.rate_rps * (1.0 + config_.amplitude));
      break;
    case ArrivalProcess::kTrace:
      if (trace_index_ < config_.trace.size()) {
        last_entry_ = &config_.trace[trace_index_++];
        t = last_entry_->at_s;
      }
      break;
  }
  if (t < 0) return engine::SimTime::max();
  t_s_ = t;
  return engine::SimTime::from_seconds(t);
}

double ArrivalGenerator::next_thinned(double max_rate) {
  // Candidates at max_rate; each kept with probability rate(t) / max_rate.
  if (max_rate <= 0) return kNever;
  double t = t_s_;
  for (;;) {
    t += exponential(max_rate);
    if (uniform_(rng_.engine()) * max_rate < rate_at(t)) return t;
  }
}

double ArrivalGenerator::next_schedule() {
  const auto& pts = config_.schedule;
  double t = t_s_;
  for (;;) {
    const bool last = segment_ + 1 >= pts.size();
    const double end = last ? INFINITY : pts[segment_ + 1].at_s;
    const double start_rate = pts[segment_].rate_rps;
    const double end_rate = last || !config_.schedule_linear ? start_rate : pts[segment_ + 1].rate_rps;
    const double max_rate = std::max(start_rate, end_rate);
    if (max_rate > 0) {
      t += exponential(max_rate);
      if (t < end) {
        // Thinning is exact within the segment; for a constant segment every candidate is kept.
        if (start_rate == end_rate || uniform_(rng_.engine()) * max_rate < rate_at(t)) return t;
        continue;
      }
    }
    if (last) return kNever;  // the final rate is 0: no more arrivals
    // Memoryless: restart the candidate stream at the segment boundary.
    t = end;
    ++segment_;
  }
}

double ArrivalGenerator::next_mmpp() {
  SIM_ASSERT(config_.on_rate_rps > 0, "an on/off process needs a positive on rate");
  if (state_end_s_ < 0) state_end_s_ = exponential(1.0 / config_.mean_on_s);
  double t = t_s_;
  for (;;) {
    const double rate = on_ ? config_.on_rate_rps : config_.off_rate_rps;
    if (rate > 0) {
      t += exponential(rate);
      if (t < state_end_s_) return t;
    }
    t = state_end_s_;
    on_ = !on_;
    state_end_s_ = t + exponential(1.0 / (on_ ? config_.mean_on_s : config_.mean_off_s));
  }
}

}  // namespace kubemind::traffic
