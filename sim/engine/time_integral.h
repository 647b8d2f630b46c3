// SPDX-License-Identifier: MIT
#pragma once
// The integral over simulated time of a piecewise-constant level (a queue length, a count of busy
// servers). Dividing the area accumulated between two instants by their distance gives the exact
// time-average of the level over that span, as needed for Little's law (L = lambda W).

#include <cstdint>

#include "sim/engine/check.h"
#include "sim/engine/time.h"

namespace kubemind::engine {

class TimeIntegral {
 public:
  int64_t level() const { return level_; }

  void add(SimTime now, int64_t delta) { set(now, level_ + delta); }

  void set(SimTime now, int64_t level) {
    SIM_ASSERT(now >= since_, "time went backwards");
    area_ += static_cast<double>(level_) * static_cast<double>(now.ns - since_.ns);
    since_ = now;
    level_ = level;
  }

  /// Integral of the level from t = 0 to `now`, in level x seconds.
  double area_until(SimTime now) const {
    return (area_ + static_cast<double>(level_) * static_cast<double>(now.ns - since_.ns)) * 1e-9;
  }

 private:
  int64_t level_ = 0;
  SimTime since_{};
  double area_ = 0.0;  // level x nanoseconds up to since_
};

}  // namespace kubemind::engine
