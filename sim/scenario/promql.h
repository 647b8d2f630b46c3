// SPDX-License-Identifier: MIT
#pragma once
// The PromQL that scenario autoscalers may write (KEDA prometheus triggers, prometheus-adapter
// rules), parsed into the control::PromQuery forms the Prometheus model evaluates, and written back.
//
// Accepted forms (whitespace anywhere between tokens):
//   sum(G)  avg(G)                         G a gauge: queue_depth (requests waiting),
//                                          inflight_requests (waiting + in service),
//                                          gpu_utilization (0..1)
//   sum(rate(C[W]))                        C a counter: requests_total,
//                                          inflight_request_seconds_total
//   histogram_quantile(Q, sum by (le) (rate(request_duration_seconds_bucket[W])))
//   histogram_quantile(Q, sum(rate(request_duration_seconds_bucket[W])) by (le))
// Every metric may carry one label matcher {app="NAME"} (only `app`, only `=`; strings in double or
// single quotes, no escapes); the caller checks that NAME is the scale target's. W is a Prometheus
// duration (units y w d h m s ms, largest first, each at most once, e.g. 30s, 1m, 1m30s), > 0; Q is
// a number in [0, 1].
// Pure: no JSON, no I/O. Source: prometheus/prometheus promql/parser (grammar), model.ParseDuration.

#include <optional>
#include <string>
#include <string_view>

#include "sim/control/prometheus.h"

namespace kubemind::scenario {

/// The query, or nullopt with `error` saying what was expected (and at which column, 1-based, for
/// syntax). `app` (optional) receives the value of an {app="..."} matcher, nullopt if none.
std::optional<control::PromQuery> parse_promql(std::string_view text, std::string& error,
                                               std::optional<std::string>* app = nullptr);

/// The query as text in the first form above (durations written as Prometheus does, e.g. 1m30s;
/// the quantile in the shortest form that reads back the same); with {app="<app>"} when `app` is
/// not empty. parse_promql(promql_text(q)) == q.
std::string promql_text(const control::PromQuery& query, std::string_view app = {});

/// A Prometheus duration ("1m30s") in nanoseconds; nullopt if malformed, zero or too long.
std::optional<int64_t> parse_prometheus_duration_ns(std::string_view text);
/// The duration as Prometheus prints it (model.Duration.String: "1m30s", "500ms", "0s").
std::string prometheus_duration_text(int64_t ns);

}  // namespace kubemind::scenario
