// SPDX-License-Identifier: MIT
#pragma once
// Simulated time: an integer count of nanoseconds since the start of the run.
// Integer time makes event order exact and runs reproducible; every conversion from a
// floating-point quantity goes through one rounding function (round half away from zero).

#include <cmath>
#include <compare>
#include <cstdint>
#include <limits>

namespace kubemind::engine {

/// A signed span of simulated time, in nanoseconds.
struct Duration {
  int64_t ns = 0;

  static constexpr Duration nanoseconds(int64_t n) { return Duration{n}; }
  static constexpr Duration microseconds(int64_t n) { return Duration{n * 1'000}; }
  static constexpr Duration milliseconds(int64_t n) { return Duration{n * 1'000'000}; }
  static constexpr Duration seconds(int64_t n) { return Duration{n * 1'000'000'000}; }
  /// The one rounding function from floating-point seconds to simulated time.
  static Duration from_seconds(double s) { return Duration{static_cast<int64_t>(std::llround(s * 1e9))}; }
  static Duration from_milliseconds(double ms) { return Duration{static_cast<int64_t>(std::llround(ms * 1e6))}; }

  constexpr double seconds_f() const { return static_cast<double>(ns) / 1e9; }  // exact for whole ms
  constexpr double milliseconds_f() const { return static_cast<double>(ns) / 1e6; }

  constexpr auto operator<=>(const Duration&) const = default;
  constexpr Duration operator+(Duration o) const { return Duration{ns + o.ns}; }
  constexpr Duration operator-(Duration o) const { return Duration{ns - o.ns}; }
  constexpr Duration operator*(int64_t k) const { return Duration{ns * k}; }
};

/// A point in simulated time: nanoseconds since the run started (t = 0).
struct SimTime {
  int64_t ns = 0;

  static constexpr SimTime zero() { return SimTime{0}; }
  static constexpr SimTime max() { return SimTime{std::numeric_limits<int64_t>::max()}; }
  static SimTime from_seconds(double s) { return SimTime{Duration::from_seconds(s).ns}; }

  constexpr double seconds_f() const { return static_cast<double>(ns) / 1e9; }  // exact for whole ms

  constexpr auto operator<=>(const SimTime&) const = default;
  constexpr SimTime operator+(Duration d) const { return SimTime{ns + d.ns}; }
  constexpr SimTime operator-(Duration d) const { return SimTime{ns - d.ns}; }
  constexpr Duration operator-(SimTime o) const { return Duration{ns - o.ns}; }
  constexpr SimTime& operator+=(Duration d) {
    ns += d.ns;
    return *this;
  }
};

}  // namespace kubemind::engine
