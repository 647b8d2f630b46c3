// SPDX-License-Identifier: MIT
#pragma once
// Report writers: JSON for machines, a table for humans, CSV for the time series.
// Determinism: fixed key order (member order of run_report.h), numbers formatted by fmt's shortest
// round-trip form, non-finite numbers and absent optionals written as null (a pod's ready_s, gone_s,
// cold_start too). The one member left out: timeseries.replicas / ready_replicas when the run has
// no Deployments. No wall-clock time.

#include <string>

#include "sim/report/run_report.h"

namespace kubemind::report {

/// The JSON report, 2-space indented, ending in a newline. report.config_json is embedded verbatim
/// (re-indented) as the value of "config".
std::string to_json(const RunReport& report);
/// A readable summary (no time series), ending in a newline: requests, latency, SLO, balance, pods,
/// then cold starts (pods that started during the run), the cluster (unless unlimited) and the
/// autoscaling events (the first 50) with each controller trace's mean view against the truth.
std::string to_text(const RunReport& report);
/// The time series as CSV: a header row then one row per interval.
std::string to_csv(const TimeSeries& series);

/// Writes report.json, report.txt and timeseries.csv into `dir` (created if missing). All three are
/// first written to temporary files in `dir` and then renamed, so a reader sees whole files or none.
/// Throws std::runtime_error naming the path on any I/O failure, after removing its temporary files.
void write_report_files(const std::string& dir, const RunReport& report);

}  // namespace kubemind::report
