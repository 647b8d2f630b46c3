// SPDX-License-Identifier: MIT
// Arrival processes against their analytic counts. For a (non-homogeneous) Poisson process the
// count in a window is Poisson with mean = integral of the rate, so a count within 5 standard
// deviations (5 sqrt(mean)) of that mean is the check.
#include "sim/traffic/arrivals.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <numbers>
#include <vector>

using namespace kubemind;

namespace {

/// Send times (seconds) before `until_s`.
std::vector<double> times(const traffic::ArrivalConfig& config, double until_s, uint64_t seed = 1) {
  engine::RngStream rng(seed, "client/test", "arrivals");
  traffic::ArrivalGenerator gen(config, rng);
  std::vector<double> out;
  for (;;) {
    const engine::SimTime t = gen.next();
    if (t == engine::SimTime::max() || t.seconds_f() >= until_s) return out;
    out.push_back(t.seconds_f());
  }
}

double count_in(const std::vector<double>& t, double from_s, double to_s) {
  double n = 0;
  for (double x : t) n += (x >= from_s && x < to_s) ? 1 : 0;
  return n;
}

void check_poisson_count(double count, double mean) {
  INFO("count " << count << ", expected " << mean);
  CHECK(std::abs(count - mean) <= 5 * std::sqrt(mean));
}

}  // namespace

TEST_CASE("Poisson arrivals have the configured rate and exponential gaps", "[traffic]") {
  traffic::ArrivalConfig c;
  c.rate_rps = 200;
  const auto t = times(c, 5000);
  check_poisson_count(static_cast<double>(t.size()), 1e6);
  double sum = 0, sum2 = 0;
  for (size_t i = 1; i < t.size(); ++i) {
    const double gap = t[i] - t[i - 1];
    sum += gap;
    sum2 += gap * gap;
  }
  const double n = static_cast<double>(t.size() - 1), mean = sum / n;
  const double cv = std::sqrt(sum2 / n - mean * mean) / mean;  // 1 for the exponential
  CHECK(std::abs(cv - 1.0) < 5 / std::sqrt(n));
}

TEST_CASE("constant arrivals are exactly 1/rate apart", "[traffic]") {
  traffic::ArrivalConfig c;
  c.process = traffic::ArrivalProcess::kConstant;
  c.rate_rps = 3;
  const auto t = times(c, 1000);
  REQUIRE(t.size() == 2999);  // 1/3, 2/3, ..., 2999/3; the 3000th is at 1000 s exactly
  for (size_t i = 0; i < t.size(); ++i) CHECK(t[i] == Approx(static_cast<double>(i + 1) / 3).margin(1e-9));
}

TEST_CASE("a step schedule holds each rate until the next point", "[traffic]") {
  traffic::ArrivalConfig c;
  c.process = traffic::ArrivalProcess::kSchedule;
  c.schedule = {{0, 100}, {100, 0}, {200, 400}};
  const auto t = times(c, 300);
  check_poisson_count(count_in(t, 0, 100), 100 * 100);
  CHECK(count_in(t, 100, 200) == 0);
  check_poisson_count(count_in(t, 200, 300), 400 * 100);  // the last rate holds
}

TEST_CASE("a linear schedule ramps the rate between points", "[traffic]") {
  traffic::ArrivalConfig c;
  c.process = traffic::ArrivalProcess::kSchedule;
  c.schedule_linear = true;
  c.schedule = {{0, 0}, {100, 200}, {200, 200}};
  const auto t = times(c, 200);
  // Integral of the ramp 0 -> 200 over 100 s is 10,000; over its first half, 2,500.
  check_poisson_count(count_in(t, 0, 50), 2500);
  check_poisson_count(count_in(t, 50, 100), 7500);
  check_poisson_count(count_in(t, 100, 200), 20000);
}

TEST_CASE("a schedule that ends at rate 0 stops", "[traffic]") {
  traffic::ArrivalConfig c;
  c.process = traffic::ArrivalProcess::kSchedule;
  c.schedule = {{0, 50}, {10, 0}};
  const auto t = times(c, 1e6);
  check_poisson_count(static_cast<double>(t.size()), 500);
  CHECK(t.back() < 10);
}

TEST_CASE("a diurnal process follows its sinusoid", "[traffic]") {
  traffic::ArrivalConfig c;
  c.process = traffic::ArrivalProcess::kDiurnal;
  c.rate_rps = 50;
  c.amplitude = 0.8;
  c.period_s = 1000;
  const auto t = times(c, 1000);
  // Over a whole period the sine integrates to 0; over the first half to amplitude P / pi.
  check_poisson_count(count_in(t, 0, 1000), 50 * 1000);
  check_poisson_count(count_in(t, 0, 500), 50 * (500 + 0.8 * 1000 / std::numbers::pi));
}

TEST_CASE("an on/off process has the mean count of its two-state chain", "[traffic]") {
  traffic::ArrivalConfig c;
  c.process = traffic::ArrivalProcess::kMmpp;
  c.on_rate_rps = 100;
  c.off_rate_rps = 10;
  c.mean_on_s = 2;
  c.mean_off_s = 8;
  const double T = 200;
  // Starting "on": p_on(t) = pi + (1 - pi) e^{-(a + b) t}, a = 1/mean_on, b = 1/mean_off, pi = b / (a + b).
  // E[N(T)] = lambda_bar T + (on - off)(1 - pi)(1 - e^{-(a+b)T}) / (a + b).
  const double a = 1 / c.mean_on_s, b = 1 / c.mean_off_s, pi = b / (a + b);
  const double lambda_bar = c.on_rate_rps * pi + c.off_rate_rps * (1 - pi);
  const double expected = lambda_bar * T + (c.on_rate_rps - c.off_rate_rps) * (1 - pi) * (1 - std::exp(-(a + b) * T)) / (a + b);
  // The count is over-dispersed (that is the point of bursts), so compare the mean of independent
  // replications with its own standard error.
  const int runs = 400;
  double sum = 0, sum2 = 0;
  for (int seed = 1; seed <= runs; ++seed) {
    const double n = static_cast<double>(times(c, T, static_cast<uint64_t>(seed)).size());
    sum += n;
    sum2 += n * n;
  }
  const double mean = sum / runs, se = std::sqrt((sum2 / runs - mean * mean) / (runs - 1));
  INFO("mean " << mean << ", expected " << expected << ", se " << se);
  CHECK(std::abs(mean - expected) < 5 * se);
  // And it is burstier than Poisson: variance well above the mean.
  CHECK(sum2 / runs - mean * mean > 3 * mean);
}

TEST_CASE("a trace is replayed exactly, with its classes and sizes", "[traffic]") {
  traffic::ArrivalConfig c;
  c.process = traffic::ArrivalProcess::kTrace;
  c.trace_classes = {"chat", "embed"};
  c.trace = {{0.5, 0, 100, 20}, {0.5, 1, 7, 0}, {2.25, 0, 300, 80}};
  engine::RngStream rng(1, "client/t", "arrivals");
  traffic::ArrivalGenerator gen(c, rng);
  CHECK(gen.next() == engine::SimTime::from_seconds(0.5));
  CHECK(gen.last_trace_entry()->output_size == 20);
  CHECK(gen.next() == engine::SimTime::from_seconds(0.5));
  CHECK(gen.last_trace_entry()->request_class == 1);
  CHECK(gen.next() == engine::SimTime::from_seconds(2.25));
  CHECK(gen.last_trace_entry()->input_size == 300);
  CHECK(gen.next() == engine::SimTime::max());
}
