// SPDX-License-Identifier: MIT
// The PromQL subset scenario autoscalers write: every accepted form to its exact PromQuery, the
// rejected ones with their messages, Prometheus durations, and text -> query -> text.
// Truth: the forms and duration grammar are Prometheus' (promql/parser, model.ParseDuration:
// units y w d h m s ms, largest first); windows are hand-converted to nanoseconds.

#include "sim/scenario/promql.h"

#include <catch2/catch.hpp>
#include <optional>
#include <string>

namespace {

using kubemind::control::AppCounter;
using kubemind::control::AppGauge;
using kubemind::control::PromQuery;
using kubemind::control::PromQueryKind;
using kubemind::scenario::parse_prometheus_duration_ns;
using kubemind::scenario::parse_promql;
using kubemind::scenario::prometheus_duration_text;
using kubemind::scenario::promql_text;

constexpr int64_t kSecond = 1'000'000'000;

PromQuery parsed(const std::string& text, std::optional<std::string>* app = nullptr) {
  std::string error;
  const auto q = parse_promql(text, error, app);
  INFO(text << " -> " << error);
  REQUIRE(q.has_value());
  CHECK(error.empty());
  return *q;
}

std::string rejected(const std::string& text) {
  std::string error;
  const auto q = parse_promql(text, error);
  INFO(text);
  CHECK(!q.has_value());
  return error;
}

}  // namespace

TEST_CASE("gauge aggregations parse to sum and avg of the named gauge", "[scenario]") {
  std::optional<std::string> app = std::string("stale");
  PromQuery q = parsed("sum(queue_depth)", &app);
  CHECK(q.kind == PromQueryKind::kSumGauge);
  CHECK(q.gauge == AppGauge::kQueueDepth);
  CHECK(!app.has_value());

  q = parsed("  avg ( gpu_utilization )  ");
  CHECK(q.kind == PromQueryKind::kAvgGauge);
  CHECK(q.gauge == AppGauge::kGpuUtilization);

  q = parsed("sum(inflight_requests{app=\"inference\"})", &app);
  CHECK(q.kind == PromQueryKind::kSumGauge);
  CHECK(q.gauge == AppGauge::kInflight);
  REQUIRE(app.has_value());
  CHECK(*app == "inference");

  q = parsed("avg(queue_depth{ app = 'resnet', })", &app);
  CHECK(q.kind == PromQueryKind::kAvgGauge);
  CHECK(*app == "resnet");
}

TEST_CASE("counter rates parse to sum(rate) with the window in nanoseconds", "[scenario]") {
  PromQuery q = parsed("sum(rate(requests_total[30s]))");
  CHECK(q.kind == PromQueryKind::kSumRate);
  CHECK(q.counter == AppCounter::kRequestsTotal);
  CHECK(q.window.ns == 30 * kSecond);

  std::optional<std::string> app;
  q = parsed("sum(rate(inflight_request_seconds_total{app=\"inference\"}[1m30s]))", &app);
  CHECK(q.kind == PromQueryKind::kSumRate);
  CHECK(q.counter == AppCounter::kInflightSecondsTotal);
  CHECK(q.window.ns == 90 * kSecond);
  CHECK(*app == "inference");

  q = parsed("sum(rate(requests_total[ 2m ]))");
  CHECK(q.window.ns == 120 * kSecond);
}

TEST_CASE("both histogram_quantile spellings parse to the same query", "[scenario]") {
  PromQuery q = parsed("histogram_quantile(0.99, sum by (le) (rate(request_duration_seconds_bucket[1m])))");
  CHECK(q.kind == PromQueryKind::kHistogramQuantile);
  CHECK(q.quantile == 0.99);
  CHECK(q.window.ns == 60 * kSecond);

  std::optional<std::string> app;
  q = parsed("histogram_quantile(0.5,sum(rate(request_duration_seconds_bucket{app=\"inference\"}[5m]))by(le))", &app);
  CHECK(q.kind == PromQueryKind::kHistogramQuantile);
  CHECK(q.quantile == 0.5);
  CHECK(q.window.ns == 300 * kSecond);
  CHECK(*app == "inference");

  q = parsed("histogram_quantile(1, sum by (le) (rate(request_duration_seconds_bucket[10s])))");
  CHECK(q.quantile == 1.0);
}

TEST_CASE("Prometheus durations read with every unit, largest first", "[scenario]") {
  CHECK(parse_prometheus_duration_ns("500ms") == 500'000'000);
  CHECK(parse_prometheus_duration_ns("15s") == 15 * kSecond);
  CHECK(parse_prometheus_duration_ns("1h") == 3600 * kSecond);
  CHECK(parse_prometheus_duration_ns("1d") == 86400 * kSecond);
  CHECK(parse_prometheus_duration_ns("1w") == 7 * 86400 * kSecond);
  CHECK(parse_prometheus_duration_ns("1h2m3s4ms") == 3723 * kSecond + 4'000'000);
  CHECK(!parse_prometheus_duration_ns("1m1h"));  // out of order
  CHECK(!parse_prometheus_duration_ns("1m1m"));  // repeated
  CHECK(!parse_prometheus_duration_ns("1.5m"));
  CHECK(!parse_prometheus_duration_ns("0s"));
  CHECK(!parse_prometheus_duration_ns("60"));
  CHECK(!parse_prometheus_duration_ns(""));
  CHECK(!parse_prometheus_duration_ns("m"));
  CHECK(!parse_prometheus_duration_ns("99999999999999999999s"));
  // model.Duration.String
  CHECK(prometheus_duration_text(90 * kSecond) == "1m30s");
  CHECK(prometheus_duration_text(86400 * kSecond) == "1d");
  CHECK(prometheus_duration_text(8 * 86400 * kSecond) == "1w1d");
  CHECK(prometheus_duration_text(500'000'000) == "500ms");
  CHECK(prometheus_duration_text(0) == "0s");
}

TEST_CASE("queries outside the subset are rejected saying what was expected", "[scenario]") {
  const std::string forms =
      "a query of the form sum(queue_depth), avg(G), sum(rate(C[1m])) or "
      "histogram_quantile(0.99, sum by (le) (rate(request_duration_seconds_bucket[1m])))";
  const std::string exported =
      "gauges queue_depth, inflight_requests, gpu_utilization; counters requests_total, "
      "inflight_request_seconds_total; histogram request_duration_seconds_bucket";
  CHECK(rejected("sum(foo)") == "a metric the pods export (" + exported + "), not \"foo\"");
  CHECK(rejected("sum(rate(queue_depth[1m]))") ==
        "a counter inside rate() (requests_total or inflight_request_seconds_total), not the gauge queue_depth");
  CHECK(rejected("sum(requests_total)") ==
        "a gauge inside sum() or avg() (queue_depth, inflight_requests or gpu_utilization); for the counter "
        "requests_total use sum(rate(requests_total[1m]))");
  CHECK(rejected("sum(rate(requests_total))") ==
        "a range such as [1m] after requests_total (rate() needs a range vector) at column 24");
  CHECK(rejected("sum(rate(requests_total[1x]))") ==
        "a duration > 0 such as 30s, 1m or 1m30s (units ms, s, m, h, d) at column 25, not \"1x\"");
  CHECK(rejected("sum(rate(requests_total[0s]))") ==
        "a duration > 0 such as 30s, 1m or 1m30s (units ms, s, m, h, d) at column 25, not \"0s\"");
  CHECK(rejected("sum(rate(requests_total[1m])") == "\")\" at column 29");
  CHECK(rejected("sum(queue_depth") == "\")\" at column 16");
  CHECK(rejected("max(queue_depth)") == forms);
  CHECK(rejected("queue_depth") == forms);
  CHECK(rejected("") == forms);
  CHECK(rejected("avg(rate(requests_total[1m]))") == forms + "; avg(rate(...)) is not one of them (use sum)");
  CHECK(rejected("sum(queue_depth) + 1") == "the end of the query at column 18");
  CHECK(rejected("sum(queue_depth{pod=\"x\"})") ==
        "a single label matcher app=\"NAME\" (the scale target's pods) at column 17");
  CHECK(rejected("sum(queue_depth{app!=\"x\"})") ==
        "a single label matcher app=\"NAME\" (the scale target's pods) at column 17");
  CHECK(rejected("sum(queue_depth{app=\"a\",app=\"b\"})") ==
        "a single label matcher app=\"NAME\" (the scale target's pods) at column 25");
  CHECK(rejected("sum(queue_depth[1m])") ==
        "no range after the gauge queue_depth (sum(G) and avg(G) take an instant vector) at column 16");
  CHECK(rejected("histogram_quantile(1.5, sum by (le) (rate(request_duration_seconds_bucket[1m])))") ==
        "a quantile in [0, 1] as histogram_quantile's first argument at column 20");
  CHECK(rejected("histogram_quantile(0.9, sum by (le) (rate(requests_total[1m])))") ==
        "request_duration_seconds_bucket inside histogram_quantile, not \"requests_total\"");
  CHECK(rejected("histogram_quantile(0.9, sum by (pod) (rate(request_duration_seconds_bucket[1m])))") ==
        "by (le) (only the le label) at column 33");
  CHECK(rejected("histogram_quantile(0.9, sum(rate(request_duration_seconds_bucket[1m])))") ==
        "\"by\" at column 71");
  CHECK(rejected("sum(rate(request_duration_seconds_bucket[1m]))") ==
        "request_duration_seconds_bucket only inside histogram_quantile(Q, sum by (le) "
        "(rate(request_duration_seconds_bucket[W])))");
}

TEST_CASE("a query written back as text parses to the same query", "[scenario]") {
  PromQuery rate;
  rate.kind = PromQueryKind::kSumRate;
  rate.counter = AppCounter::kInflightSecondsTotal;
  rate.window = kubemind::engine::Duration{90 * kSecond};
  CHECK(promql_text(rate, "inference") == "sum(rate(inflight_request_seconds_total{app=\"inference\"}[1m30s]))");
  PromQuery hist;
  hist.kind = PromQueryKind::kHistogramQuantile;
  hist.quantile = 0.95;
  hist.window = kubemind::engine::Duration{30 * kSecond};
  CHECK(promql_text(hist) == "histogram_quantile(0.95, sum by (le) (rate(request_duration_seconds_bucket[30s])))");
  PromQuery avg;
  avg.kind = PromQueryKind::kAvgGauge;
  avg.gauge = AppGauge::kGpuUtilization;
  CHECK(promql_text(avg) == "avg(gpu_utilization)");
  for (const PromQuery& q : {rate, hist, avg}) {
    std::optional<std::string> app;
    const PromQuery back = parsed(promql_text(q, "x"), &app);
    CHECK(back.kind == q.kind);
    CHECK(back.window.ns == (q.kind == PromQueryKind::kAvgGauge ? back.window.ns : q.window.ns));
    CHECK(back.quantile == (q.kind == PromQueryKind::kHistogramQuantile ? q.quantile : back.quantile));
    CHECK(back.counter == q.counter);
    CHECK(back.gauge == q.gauge);
    CHECK(*app == "x");
  }
}
