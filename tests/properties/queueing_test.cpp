// SPDX-License-Identifier: MIT
// The engine and the first models checked against queueing theory (STYLE.md, Appendix B).
//
// Each run's report is compared with the analytic value within 3 standard errors, the standard error
// coming from batch means over the run's own requests (Law, "Simulation Modeling and Analysis",
// ch. 9: non-overlapping batches, in completion order, of requests sent after warm-up). Runs are long
// enough that every standard error is under 1% of its value, which each test also requires, so a
// pass means agreement to about 3%, and usually much better.
//
// Truths:
//   M/M/c (Erlang C): P(W > 0) = C(c, a), E[W] = C / (c mu - lambda), a = lambda / mu.
//   Response time T = W + S: P(T > t) = (1 - C) e^{-mu t}
//                          + C [ theta e^{-mu t} (1 - e^{-(theta - mu) t}) / (theta - mu) + e^{-theta t} ],
//   theta = c mu - lambda (W given W > 0 is exponential with rate theta; S is exponential with rate mu).
//   M/D/1 (Pollaczek-Khinchine): E[W] = rho S / (2 (1 - rho)); P(W > 0) = rho.
//   Little's law: time-average number in system L = lambda W.

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "sim/scenario/load.h"
#include "sim/scenario/world.h"

using namespace kubemind;

namespace {

constexpr int kBatches = 40;

struct Estimate {
  double value;  // the report's figure
  double se;     // batch-means standard error
};

/// Collects per-request wait and response times (seconds) of requests sent after warm-up.
class Samples final : public traffic::RequestObserver {
 public:
  explicit Samples(double warmup_s) : warmup_(engine::SimTime::from_seconds(warmup_s)) {}
  void on_sent(const traffic::Request&) override {}
  void on_answered(const traffic::Request& r) override {
    if (r.sent_at < warmup_ || r.outcome != traffic::Outcome::kOk) return;
    wait_s.push_back((r.started_at - r.arrived_at).seconds_f());
    response_s.push_back((r.finished_at - r.sent_at).seconds_f());
  }
  std::vector<double> wait_s, response_s;

 private:
  engine::SimTime warmup_;
};

/// Standard error of the mean of a statistic computed on kBatches consecutive batches.
template <class Statistic>
double batch_se(const std::vector<double>& x, Statistic statistic) {
  const size_t m = x.size() / kBatches;
  std::vector<double> per_batch;
  for (int b = 0; b < kBatches; ++b) {
    std::vector<double> batch(x.begin() + static_cast<long>(b * m), x.begin() + static_cast<long>((b + 1) * m));
    per_batch.push_back(statistic(batch));
  }
  const double mean = std::accumulate(per_batch.begin(), per_batch.end(), 0.0) / kBatches;
  double ss = 0;
  for (double v : per_batch) ss += (v - mean) * (v - mean);
  return std::sqrt(ss / (kBatches - 1) / kBatches);
}

double mean_of(std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size()); }
double waited_of(std::vector<double>& v) {
  return static_cast<double>(std::count_if(v.begin(), v.end(), [](double w) { return w > 0; })) / static_cast<double>(v.size());
}
auto quantile(double q) {
  return [q](std::vector<double>& v) {
    const auto k = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size()))) - 1;
    std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
    return v[k];
  };
}

double erlang_c(int c, double a) {
  // Stable recurrence through Erlang B: B(0) = 1, B(k) = a B(k-1) / (k + a B(k-1)).
  double b = 1.0;
  for (int k = 1; k <= c; ++k) b = a * b / (k + a * b);
  const double rho = a / c;
  return b / (1 - rho + rho * b);
}

/// P(T > t) for the M/M/c response time.
double mmc_response_tail(int c, double lambda, double mu, double t) {
  const double C = erlang_c(c, lambda / mu);
  const double theta = c * mu - lambda;
  const double d = theta - mu;
  const double integral = std::abs(d) < 1e-12 ? t : (1 - std::exp(-d * t)) / d;
  return (1 - C) * std::exp(-mu * t) + C * (theta * std::exp(-mu * t) * integral + std::exp(-theta * t));
}

/// The q-quantile of the M/M/c response time, by bisection on the tail.
double mmc_response_quantile(int c, double lambda, double mu, double q) {
  double lo = 0, hi = 1;
  while (mmc_response_tail(c, lambda, mu, hi) > 1 - q) hi *= 2;
  for (int i = 0; i < 200; ++i) {
    const double mid = (lo + hi) / 2;
    (mmc_response_tail(c, lambda, mu, mid) > 1 - q ? lo : hi) = mid;
  }
  return (lo + hi) / 2;
}

struct Run {
  report::RunReport report;
  Samples samples;
};

Run run(const std::string& scenario, const std::vector<scenario::Override>& overrides) {
  scenario::LoadOptions options;
  options.overrides = overrides;
  const scenario::ScenarioConfig config =
      scenario::load_scenario_file(std::string(KUBEMIND_SOURCE_DIR) + "/scenarios/" + scenario, options);
  Run r{{}, Samples(config.warmup_s)};
  scenario::RunOptions run_options;
  run_options.observer = &r.samples;
  r.report = scenario::run_scenario(config, run_options);
  return r;
}

void check_close(const char* what, double simulated, double se, double truth) {
  INFO(what << ": simulated " << simulated << ", truth " << truth << ", standard error " << se << " ("
            << 100 * se / truth << "% of the truth)");
  CHECK(se < 0.01 * truth);
  CHECK(std::abs(simulated - truth) < 3 * se);
}

}  // namespace

TEST_CASE("M/M/c runs match Erlang C and the exact response-time distribution", "[properties][slow]") {
  struct Point {
    int c;
    double lambda;
    double duration_s;
  };
  // scenarios/mmc.json as shipped (c = 8, rho = 0.9), 8 M requests; then two other points by --set.
  const Point point = GENERATE(Point{8, 7.2, 1.112e6}, Point{1, 0.5, 2e6}, Point{4, 2.8, 1.2e6});
  const double mu = 1.0;
  INFO("c = " << point.c << ", lambda = " << point.lambda << ", rho = " << point.lambda / (point.c * mu));
  Run r = run("mmc.json", {{"/pods/0/server/instances", std::to_string(point.c)},
                           {"/clients/0/arrival/rate_rps", std::to_string(point.lambda)},
                           {"/duration_s", std::to_string(point.duration_s)},
                           {"/report/interval_s", "3000"}});
  const report::Sli& sli = r.report.sli;
  REQUIRE(r.samples.wait_s.size() == sli.requests.completed);
  REQUIRE(sli.requests.failed == 0);

  const double C = erlang_c(point.c, point.lambda / mu);
  check_close("P(wait > 0)", sli.wait_ms.waited_fraction, batch_se(r.samples.wait_s, waited_of), C);
  check_close("mean wait (s)", sli.wait_ms.mean / 1e3, batch_se(r.samples.wait_s, mean_of), C / (point.c * mu - point.lambda));
  check_close("p50 response (s)", sli.latency_ms.p50 / 1e3, batch_se(r.samples.response_s, quantile(0.50)),
              mmc_response_quantile(point.c, point.lambda, mu, 0.50));
  check_close("p99 response (s)", sli.latency_ms.p99 / 1e3, batch_se(r.samples.response_s, quantile(0.99)),
              mmc_response_quantile(point.c, point.lambda, mu, 0.99));
}

TEST_CASE("an M/D/1 run matches Pollaczek-Khinchine", "[properties][slow]") {
  // scenarios/md1.json: ResNet-50 on a T4 at batch 1, S = 3.00 ms deterministic, rho = 0.8.
  Run r = run("md1.json", {{"/duration_s", "36000"}});
  const double S = 3.00e-3, rho = 0.8;
  const report::Sli& sli = r.report.sli;
  check_close("P(wait > 0)", sli.wait_ms.waited_fraction, batch_se(r.samples.wait_s, waited_of), rho);
  check_close("mean wait (s)", sli.wait_ms.mean / 1e3, batch_se(r.samples.wait_s, mean_of), rho * S / (2 * (1 - rho)));
  check_close("mean response (s)", sli.latency_ms.mean / 1e3, batch_se(r.samples.response_s, mean_of),
              S + rho * S / (2 * (1 - rho)));
}

TEST_CASE("Little's law holds on the time series", "[properties]") {
  // L (time-average requests in the pod, from the series) = lambda (completions/s) x W (mean latency).
  // Warm-up on a row boundary (7 x 300 s), so the rows after it cover exactly the measured span.
  Run r = run("mmc.json", {{"/duration_s", "400000"}, {"/warmup_s", "2100"}});
  const report::TimeSeries& ts = r.report.timeseries;
  const double warmup_s = r.report.scenario.warmup_s;
  double area = 0, span = 0;
  for (size_t i = 0; i < ts.time_s.size(); ++i) {
    const double start = i == 0 ? 0.0 : ts.time_s[i - 1];
    if (start < warmup_s) continue;
    area += ts.in_system_total[i] * (ts.time_s[i] - start);
    span += ts.time_s[i] - start;
  }
  const double L = area / span;
  const double lambda = r.report.sli.throughput_rps;
  const double W = r.report.sli.latency_ms.mean / 1e3;
  INFO("L = " << L << ", lambda W = " << lambda * W);
  CHECK(std::abs(L - lambda * W) < 0.02 * L);
  // The per-pod time-average (from the model's integrals) is the same L.
  const double pod_L = r.report.pods[0].mean_queue_depth + r.report.pods[0].utilization * 8;
  CHECK(pod_L == Approx(L).epsilon(1e-9));
}
