// SPDX-License-Identifier: MIT
// `kubemind compare`: hand-written report texts in, exact table cells out. Every expected cell is
// worked by hand from the inputs (ratios B / A, share differences in percentage points, means of
// the numbers in a series with nulls skipped).

#include "sim/report/compare.h"

#include <limits>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "sim/report/writers.h"

namespace kubemind::report {
namespace {

// A report with every field compare reads.
constexpr char kBefore[] = R"({
  "scenario": {"name": "before", "seed": 1, "duration_s": 60, "warmup_s": 0},
  "sli": {
    "requests": {"sent": 1000, "completed": 990, "failed": 10, "unfinished": 0,
                 "failed_by_reason": {"timeout": 10}},
    "latency_ms": {"mean": 12, "p50": 10, "p90": 18, "p95": 20, "p99": 40, "p999": 80, "max": 90},
    "throughput_rps": 50,
    "slo": {"target_ms": 50, "attainment": 0.95},
    "imbalance": {"max_over_mean": 1.5, "cv": 0.5, "top_share": 0.5, "pods_serving": 2}
  },
  "timeseries": {"interval_s": 1, "time_s": [1, 2, 3], "replicas": {"web": [1, 2, 3]},
                 "ready_replicas": {"web": [1, 1, 2]}},
  "cluster": {"unlimited": false, "pools": [], "gpu_hours": 2, "cost_usd": 8, "pods_created": 3},
  "autoscaling": {
    "events": [{"time_s": 15}, {"time_s": 30}],
    "traces": [{"controller": "hpa/web", "metric": "cpu", "unit": "percent", "time_s": [15, 30, 45],
                "seen": [30, null, 50], "truth": [40, 60, 80]}]
  }
})";

// An older report: no replicas series, no cluster, no autoscaling.
constexpr char kAfter[] = R"({
  "scenario": {"name": "after"},
  "sli": {
    "requests": {"sent": 1000, "completed": 995, "failed": 5,
                 "failed_by_reason": {"overload": 4, "timeout": 1}},
    "latency_ms": {"p50": 8, "p95": 16, "p99": 20, "p999": 100},
    "throughput_rps": 50,
    "slo": {"target_ms": 50, "attainment": 0.99},
    "imbalance": {"max_over_mean": 1.0, "top_share": 0.25, "pods_serving": 4}
  },
  "timeseries": {"interval_s": 1, "time_s": [1, 2, 3]}
})";

TEST_CASE("two reports side by side, with B / A and share differences", "[report][compare]") {
  const Comparison c = compare_reports({{"a.json", kBefore}, {"b.json", kAfter}});
  CHECK(c.reports == std::vector<std::string>{"before", "after"});
  CHECK(comparison_to_text(c) ==
        "metric                         unit       before    after     B vs A\n"
        "requests.sent                  requests     1000     1000     1.000x\n"
        "requests.completed             requests      990      995     1.005x\n"
        "requests.failed                requests       10        5     0.500x\n"
        "requests.failed.overload       requests        0        4          -\n"
        "requests.failed.timeout        requests       10        1     0.100x\n"
        "latency.p50                    ms         10.000    8.000     0.800x\n"
        "latency.p95                    ms         20.000   16.000     0.800x\n"
        "latency.p99                    ms         40.000   20.000     0.500x\n"
        "latency.p999                   ms         80.000  100.000     1.250x\n"
        "slo.attainment                 share      95.00%   99.00%   +4.00 pp\n"
        "throughput                     rps        50.000   50.000     1.000x\n"
        "imbalance.top_share            share      50.00%   25.00%  -25.00 pp\n"
        "imbalance.pods_serving         pods            2        4     2.000x\n"
        "imbalance.max_over_mean        ratio       1.500    1.000     0.667x\n"
        "replicas.max[web]              replicas     3.00        -          -\n"
        "replicas.mean[web]             replicas     2.00        -          -\n"
        "cluster.gpu_hours              gpu_hours   2.000        -          -\n"
        "cluster.cost                   usd          8.00        -          -\n"
        "cluster.pods_created           pods            3        -          -\n"
        "autoscaling.events             events          2        -          -\n"
        "trace[hpa/web cpu].seen_mean   percent        40        -          -\n"
        "trace[hpa/web cpu].truth_mean  percent        60        -          -\n"
        "B vs A: B / A, or B - A in percentage points (pp) for shares.\n");
}

TEST_CASE("the JSON comparison keeps the row order and writes missing values as null", "[report][compare]") {
  const Comparison c = compare_reports({{"a.json", kAfter}, {"b.json", kBefore}});
  const std::string json = comparison_to_json(c);
  CHECK(json.rfind("{\n  \"reports\": [\n    \"after\",\n    \"before\"\n  ],\n  \"rows\": [\n", 0) == 0);
  // before's failed_by_reason has no overload entry: 0 there, so B / A = 0 / 4 = 0.
  CHECK(json.find(R"({
      "metric": "requests.failed.overload",
      "unit": "requests",
      "values": [
        4.0,
        0.0
      ],
      "change": 0.0
    },)") != std::string::npos);
  CHECK(json.find(R"({
      "metric": "replicas.max[web]",
      "unit": "replicas",
      "values": [
        null,
        3.0
      ],
      "change": null
    },)") != std::string::npos);
  CHECK(json.find(R"({
      "metric": "slo.attainment",
      "unit": "share",
      "values": [
        0.99,
        0.95
      ],
      "change": -0.040000000000000036
    },)") != std::string::npos);  // 0.95 - 0.99 in binary64
  CHECK(json.back() == '\n');
}

TEST_CASE("three reports have no change column", "[report][compare]") {
  const Comparison c = compare_reports({{"a.json", kBefore}, {"b.json", kAfter}, {"c.json", kAfter}});
  // Same scenario name twice: the file tells the columns apart.
  CHECK(c.reports == std::vector<std::string>{"before", "after (b.json)", "after (c.json)"});
  const std::string text = comparison_to_text(c);
  CHECK(text.rfind("metric                         unit       before  after (b.json)  after (c.json)\n", 0) == 0);
  CHECK(text.find("latency.p99                    ms         40.000          20.000          20.000\n") !=
        std::string::npos);
  CHECK(text.find("B vs A") == std::string::npos);
  for (const CompareRow& row : c.rows) CHECK(!row.change);
}

TEST_CASE("a report missing everything but /sli compares as empty cells", "[report][compare]") {
  const Comparison c = compare_reports({{"x.json", R"({"sli": {}})"}, {"y.json", R"({"sli": {"throughput_rps": null}})"}});
  CHECK(c.reports == std::vector<std::string>{"x.json", "y.json"});  // no scenario name: the file
  const std::string text = comparison_to_text(c);
  CHECK(text.find("\nthroughput               rps             -       -       -\n") != std::string::npos);
  for (const CompareRow& row : c.rows) {
    CHECK(row.values.size() == 2);
    CHECK(!row.values[0]);
    CHECK(!row.values[1]);
  }
}

TEST_CASE("an unlimited cluster has no GPU-hours or cost to compare", "[report][compare]") {
  const Comparison c = compare_reports(
      {{"a", R"({"sli": {}, "cluster": {"unlimited": true, "gpu_hours": 0, "cost_usd": 0, "pods_created": 2}})"},
       {"b", R"({"sli": {}, "cluster": {"unlimited": false, "gpu_hours": 1.5, "cost_usd": 6, "pods_created": 4}})"}});
  const std::string text = comparison_to_text(c);
  CHECK(text.find("\ncluster.gpu_hours        gpu_hours  -  1.500       -\n") != std::string::npos);
  CHECK(text.find("\ncluster.cost             usd        -   6.00       -\n") != std::string::npos);
  CHECK(text.find("\ncluster.pods_created     pods       2      4  2.000x\n") != std::string::npos);
}

TEST_CASE("a change against zero is left empty", "[report][compare]") {
  const Comparison c = compare_reports({{"a", R"({"sli": {"requests": {"failed": 0}}})"},
                                        {"b", R"({"sli": {"requests": {"failed": 3}}})"}});
  REQUIRE(c.rows.at(2).metric == "requests.failed");
  CHECK(c.rows[2].values[0] == 0.0);
  CHECK(c.rows[2].values[1] == 3.0);
  CHECK(!c.rows[2].change);
}

TEST_CASE("compare reads what the JSON writer writes", "[report][compare]") {
  RunReport a;
  a.scenario.name = "a";
  a.sli.requests.sent = 10;
  a.sli.latency_ms.p99 = 4.0;
  a.timeseries.time_s = {1, 2, 3, 4};
  a.timeseries.deployment_names = {"web"};
  a.timeseries.replicas = {{1, 2, 4, 1}};
  a.timeseries.ready_replicas = {{1, 1, 2, 4}};
  a.cluster.unlimited = false;
  a.cluster.gpu_hours = 0.5;
  a.cluster.cost_usd = 2.0;
  a.cluster.pods_created = 4;
  a.autoscaling.events.resize(3);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  a.autoscaling.traces = {{"hpa/web", "cpu", "percent", {15, 30}, {nan, 70}, {50, 60}}};
  RunReport b = a;
  b.scenario.name = "b";
  b.sli.latency_ms.p99 = 5.0;
  b.timeseries.replicas = {{2, 2, 2, 2}};
  b.cluster.gpu_hours = 1.0;
  const Comparison c = compare_reports({{"a.json", to_json(a)}, {"b.json", to_json(b)}});
  const auto row = [&](const std::string& metric) -> const CompareRow& {
    for (const CompareRow& r : c.rows) {
      if (r.metric == metric) return r;
    }
    FAIL("no row " << metric);
    return c.rows.front();
  };
  CHECK(row("requests.sent").values == std::vector<std::optional<double>>{10.0, 10.0});
  CHECK(row("latency.p99").change == 1.25);
  CHECK(row("replicas.max[web]").values == std::vector<std::optional<double>>{4.0, 2.0});
  CHECK(row("replicas.mean[web]").values == std::vector<std::optional<double>>{2.0, 2.0});  // (1+2+4+1)/4
  CHECK(row("cluster.gpu_hours").change == 2.0);
  CHECK(row("cluster.pods_created").values == std::vector<std::optional<double>>{4.0, 4.0});
  CHECK(row("autoscaling.events").values == std::vector<std::optional<double>>{3.0, 3.0});
  CHECK(row("trace[hpa/web cpu].seen_mean").values == std::vector<std::optional<double>>{70.0, 70.0});  // null skipped
  CHECK(row("trace[hpa/web cpu].truth_mean").values == std::vector<std::optional<double>>{55.0, 55.0});
  CHECK(row("trace[hpa/web cpu].seen_mean").unit == "percent");
}

TEST_CASE("input that is not a report is rejected with one line naming the file", "[report][compare]") {
  const auto error_of = [](const std::string& text) {
    try {
      compare_reports({{"good.json", kBefore}, {"bad.json", text}});
    } catch (const CompareError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(error_of("not json {") ==
        "bad.json: expected a kubemind report (JSON from kubemind run --format json), got text that is not JSON");
  CHECK(error_of("[1, 2]") == "bad.json: expected a kubemind report (a JSON object), got an array");
  CHECK(error_of(R"({"scenario": {}})") ==
        "bad.json: expected a kubemind report (missing /sli), got an object without it");
  CHECK(error_of(R"({"kubemind": "v1", "clients": []})") ==
        "bad.json: expected a kubemind report (missing /sli), got an object without it (a scenario? run it first)");
  CHECK(error_of(R"({"sli": 3})") == "bad.json: expected a kubemind report (missing /sli), got an object without it");
}

TEST_CASE("an unreadable file is named with the reason", "[report][compare]") {
  try {
    read_report_file("/nonexistent/kubemind/report.json");
    FAIL("no error");
  } catch (const CompareError& e) {
    CHECK(std::string(e.what()) == "/nonexistent/kubemind/report.json: cannot read (No such file or directory)");
  }
}

}  // namespace
}  // namespace kubemind::report
