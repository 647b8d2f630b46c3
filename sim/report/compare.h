// SPDX-License-Identifier: MIT
#pragma once
// `kubemind compare`: puts the headline numbers of several JSON reports (to_json's output) side by
// side. Reads only the report's JSON shape, so reports written before a field existed still compare:
// a missing or null field is an empty cell ("-" in text, null in JSON), never an error. Only a file
// that is not a JSON object with an /sli object is rejected.
// Row order is fixed: requests, latency, SLO, throughput, balance, then per Deployment (in order of
// first appearance over the reports), cluster, autoscaling, then per controller trace (likewise).
// With exactly two reports, a change column: B / A, or B - A for rows whose unit is "share".

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace kubemind::report {

/// A file that cannot be read or is not a kubemind report. what(): one line starting "FILE: ".
class CompareError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ReportInput {
  std::string source;  // the file name, for error messages and duplicate scenario names
  std::string text;    // the file's content
};

struct CompareRow {
  std::string metric;  // e.g. "latency.p99", "replicas.max[web]", "trace[hpa/web cpu].seen_mean"
  std::string unit;    // "ms", "requests", "share" (0..1), "rps", "replicas", "usd", ...
  std::vector<std::optional<double>> values;  // one per report; absent: the report lacks it
  std::optional<double> change;               // two reports only: B / A (B - A for shares)
};

struct Comparison {
  std::vector<std::string> reports;  // column labels: the scenario names (made unique with the file)
  std::vector<CompareRow> rows;
};

/// Reads `path` whole. Throws CompareError "PATH: cannot read (reason)".
std::string read_report_file(const std::string& path);

/// Builds the comparison. Throws CompareError for the first input that is not a report.
Comparison compare_reports(const std::vector<ReportInput>& inputs);

/// A fixed-width table: metric, unit, one column per report, and "B vs A" for two reports.
std::string comparison_to_text(const Comparison& comparison);
/// {"reports": [...], "rows": [{"metric", "unit", "values": [...], "change"}]}, 2-space indented.
std::string comparison_to_json(const Comparison& comparison);

}  // namespace kubemind::report
