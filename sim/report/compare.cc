// SPDX-License-Identifier: MIT
#include "sim/report/compare.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <map>
#include <set>
#include <string_view>
#include <system_error>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/report/json_kind.h"

namespace kubemind::report {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

/// The number at `pointer`, or nothing when it is missing, null or not a number.
std::optional<double> number_at(const json& doc, const char* pointer) {
  const json::json_pointer p(pointer);
  if (!doc.contains(p)) return std::nullopt;
  const json& v = doc.at(p);
  if (!v.is_number()) return std::nullopt;
  return v.get<double>();
}

/// The object at `key` of `doc`, or nullptr.
const json* object_at(const json& doc, std::string_view key) {
  const auto it = doc.find(key);
  if (it == doc.end() || !it->is_object()) return nullptr;
  return &*it;
}

/// Mean and maximum of the numbers in a JSON array (nulls skipped); nothing when there are none.
struct SeriesStats {
  std::optional<double> mean;
  std::optional<double> max;
};
SeriesStats series_stats(const json& array) {
  SeriesStats s;
  if (!array.is_array()) return s;
  double sum = 0.0;
  size_t n = 0;
  for (const json& v : array) {
    if (!v.is_number()) continue;
    const double x = v.get<double>();
    sum += x;
    ++n;
    s.max = s.max ? std::max(*s.max, x) : x;
  }
  if (n > 0) s.mean = sum / static_cast<double>(n);
  return s;
}

/// Appends `name` to `order` unless it is already there (first appearance wins).
void note(std::vector<std::string>& order, const std::string& name) {
  if (std::find(order.begin(), order.end(), name) == order.end()) order.push_back(name);
}

/// Rows get filled report by report; this keeps them in the fixed order whatever a report holds.
class RowTable {
 public:
  explicit RowTable(size_t reports) : reports_(reports) {}
  void set(const std::string& metric, const std::string& unit, size_t report, std::optional<double> value) {
    CompareRow& row = row_for(metric, unit);
    row.values[report] = value;
  }
  CompareRow& row_for(const std::string& metric, const std::string& unit) {
    const auto it = index_.find(metric);
    if (it != index_.end()) return rows_[it->second];
    index_.emplace(metric, rows_.size());
    rows_.push_back({metric, unit, std::vector<std::optional<double>>(reports_), std::nullopt});
    return rows_.back();
  }
  std::vector<CompareRow> take() { return std::move(rows_); }

 private:
  size_t reports_;
  std::vector<CompareRow> rows_;
  std::map<std::string, size_t> index_;  // lookup only; order is rows_'s
};

struct Trace {
  std::string unit;
  std::vector<std::optional<double>> seen_mean, truth_mean;
};

}  // namespace

std::string read_report_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) throw CompareError(fmt::format("{}: cannot read ({})", path, std::generic_category().message(errno)));
  std::string text;
  char buffer[65536];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0) text.append(buffer, n);
  const bool failed = std::ferror(f) != 0;
  const int error = errno;
  std::fclose(f);
  if (failed) throw CompareError(fmt::format("{}: cannot read ({})", path, std::generic_category().message(error)));
  return text;
}

Comparison compare_reports(const std::vector<ReportInput>& inputs) {
  const size_t n = inputs.size();
  std::vector<json> docs;
  docs.reserve(n);
  for (const ReportInput& in : inputs) {
    json doc = json::parse(in.text, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) {
      throw CompareError(fmt::format("{}: expected a kubemind report (JSON from kubemind run --format json), got text "
                                     "that is not JSON",
                                     in.source));
    }
    if (!doc.is_object()) {
      throw CompareError(fmt::format("{}: expected a kubemind report (a JSON object), got {}", in.source, json_kind(doc)));
    }
    if (object_at(doc, "sli") == nullptr) {
      throw CompareError(fmt::format("{}: expected a kubemind report (missing /sli), got {} without it{}", in.source,
                                     json_kind(doc), doc.contains("kubemind") ? " (a scenario? run it first)" : ""));
    }
    docs.push_back(std::move(doc));
  }

  Comparison c;
  // Column labels: the scenario name; names used twice get their file added so columns stay apart.
  for (size_t i = 0; i < n; ++i) {
    const json::json_pointer name("/scenario/name");
    const bool named = docs[i].contains(name) && docs[i].at(name).is_string();
    c.reports.push_back(named ? docs[i].at(name).get<std::string>() : inputs[i].source);
  }
  std::map<std::string, size_t> uses;
  for (const std::string& label : c.reports) ++uses[label];
  for (size_t i = 0; i < n; ++i) {
    if (uses[c.reports[i]] > 1) c.reports[i] += fmt::format(" ({})", inputs[i].source);
  }

  // Names that vary per report, in order of first appearance.
  std::set<std::string> reasons;  // sorted, as the report's failed_by_reason is
  std::vector<std::string> deployments;
  std::vector<std::string> trace_keys;
  std::map<std::string, Trace> traces;
  for (size_t i = 0; i < n; ++i) {
    const json& d = docs[i];
    const json::json_pointer by_reason("/sli/requests/failed_by_reason");
    if (d.contains(by_reason) && d.at(by_reason).is_object()) {
      for (const auto& item : d.at(by_reason).items()) reasons.insert(item.key());
    }
    const json::json_pointer replicas("/timeseries/replicas");
    if (d.contains(replicas) && d.at(replicas).is_object()) {
      for (const auto& item : d.at(replicas).items()) note(deployments, item.key());
    }
    const json::json_pointer trace_list("/autoscaling/traces");
    if (d.contains(trace_list) && d.at(trace_list).is_array()) {
      for (const json& t : d.at(trace_list)) {
        if (!t.is_object()) continue;
        const std::string controller = t.value("controller", std::string("?"));
        const std::string metric = t.value("metric", std::string("?"));
        const std::string key = controller + " " + metric;
        note(trace_keys, key);
        Trace& trace = traces[key];
        if (trace.seen_mean.empty()) {
          trace.unit = t.value("unit", std::string());
          trace.seen_mean.resize(n);
          trace.truth_mean.resize(n);
        }
        trace.seen_mean[i] = series_stats(t.value("seen", json::array())).mean;
        trace.truth_mean[i] = series_stats(t.value("truth", json::array())).mean;
      }
    }
  }

  RowTable rows(n);
  for (size_t i = 0; i < n; ++i) {
    const json& d = docs[i];
    rows.set("requests.sent", "requests", i, number_at(d, "/sli/requests/sent"));
    rows.set("requests.completed", "requests", i, number_at(d, "/sli/requests/completed"));
    rows.set("requests.failed", "requests", i, number_at(d, "/sli/requests/failed"));
    for (const std::string& reason : reasons) {
      // A reason a report does not list means none failed that way, if the report has the object.
      const json::json_pointer by_reason("/sli/requests/failed_by_reason");
      std::optional<double> v;
      if (d.contains(by_reason) && d.at(by_reason).is_object()) {
        const json& m = d.at(by_reason);
        const auto it = m.find(reason);
        v = it == m.end() ? std::optional<double>(0.0)
                          : (it->is_number() ? std::optional<double>(it->get<double>()) : std::nullopt);
      }
      rows.set("requests.failed." + reason, "requests", i, v);
    }
    rows.set("latency.p50", "ms", i, number_at(d, "/sli/latency_ms/p50"));
    rows.set("latency.p95", "ms", i, number_at(d, "/sli/latency_ms/p95"));
    rows.set("latency.p99", "ms", i, number_at(d, "/sli/latency_ms/p99"));
    rows.set("latency.p999", "ms", i, number_at(d, "/sli/latency_ms/p999"));
    if (d.contains(json::json_pointer("/sli/ttft_ms"))) {  // LLM runs only
      rows.set("ttft.p50", "ms", i, number_at(d, "/sli/ttft_ms/p50"));
      rows.set("ttft.p99", "ms", i, number_at(d, "/sli/ttft_ms/p99"));
      rows.set("tpot.p50", "ms", i, number_at(d, "/sli/tpot_ms/p50"));
      rows.set("tpot.p99", "ms", i, number_at(d, "/sli/tpot_ms/p99"));
    }
    rows.set("slo.attainment", "share", i, number_at(d, "/sli/slo/attainment"));
    rows.set("throughput", "rps", i, number_at(d, "/sli/throughput_rps"));
    rows.set("imbalance.top_share", "share", i, number_at(d, "/sli/imbalance/top_share"));
    rows.set("imbalance.pods_serving", "pods", i, number_at(d, "/sli/imbalance/pods_serving"));
    rows.set("imbalance.max_over_mean", "ratio", i, number_at(d, "/sli/imbalance/max_over_mean"));
    for (const std::string& dep : deployments) {
      SeriesStats s;
      const json::json_pointer replicas("/timeseries/replicas");
      if (d.contains(replicas) && d.at(replicas).is_object()) {
        const auto it = d.at(replicas).find(dep);
        if (it != d.at(replicas).end()) s = series_stats(*it);
      }
      rows.set("replicas.max[" + dep + "]", "replicas", i, s.max);
      rows.set("replicas.mean[" + dep + "]", "replicas", i, s.mean);
    }
    // An unlimited cluster (no pools in the scenario) bills nothing: no GPU-hours or cost to compare.
    const json::json_pointer unlimited("/cluster/unlimited");
    const bool billed = !(d.contains(unlimited) && d.at(unlimited).is_boolean() && d.at(unlimited).get<bool>());
    rows.set("cluster.gpu_hours", "gpu_hours", i, billed ? number_at(d, "/cluster/gpu_hours") : std::nullopt);
    rows.set("cluster.cost", "usd", i, billed ? number_at(d, "/cluster/cost_usd") : std::nullopt);
    rows.set("cluster.pods_created", "pods", i, number_at(d, "/cluster/pods_created"));
    const json::json_pointer events("/autoscaling/events");
    rows.set("autoscaling.events", "events", i,
             d.contains(events) && d.at(events).is_array()
                 ? std::optional<double>(static_cast<double>(d.at(events).size()))
                 : std::nullopt);
  }
  for (const std::string& key : trace_keys) {
    const Trace& t = traces[key];
    for (size_t i = 0; i < n; ++i) {
      rows.set("trace[" + key + "].seen_mean", t.unit, i, t.seen_mean[i]);
      rows.set("trace[" + key + "].truth_mean", t.unit, i, t.truth_mean[i]);
    }
  }
  c.rows = rows.take();

  if (n == 2) {
    for (CompareRow& row : c.rows) {
      const auto& a = row.values[0];
      const auto& b = row.values[1];
      if (!a || !b) continue;
      if (row.unit == "share") {
        row.change = *b - *a;
      } else if (*a != 0.0) {
        row.change = *b / *a;
      }
    }
  }
  return c;
}

namespace {

/// A cell in the text table: counts whole, shares in percent, the rest to a fixed precision per unit.
std::string format_value(const std::optional<double>& v, const std::string& unit) {
  if (!v || !std::isfinite(*v)) return "-";
  const double x = *v;
  if (unit == "share") return fmt::format("{:.2f}%", 100.0 * x);
  if (unit == "requests" || unit == "pods" || unit == "events") {
    if (x == std::floor(x) && std::fabs(x) < 1e15) return fmt::format("{:.0f}", x);
  }
  if (unit == "ms" || unit == "rps" || unit == "ratio" || unit == "gpu_hours") return fmt::format("{:.3f}", x);
  if (unit == "usd" || unit == "replicas") return fmt::format("{:.2f}", x);
  return fmt::format("{:.4g}", x);
}

std::string format_change(const std::optional<double>& change, const std::string& unit) {
  if (!change || !std::isfinite(*change)) return "-";
  if (unit == "share") return fmt::format("{:+.2f} pp", 100.0 * *change);
  return fmt::format("{:.3f}x", *change);
}

}  // namespace

std::string comparison_to_text(const Comparison& comparison) {
  const bool with_change = comparison.reports.size() == 2;
  std::vector<std::string> header = {"metric", "unit"};
  for (const std::string& r : comparison.reports) header.push_back(r);
  if (with_change) header.emplace_back("B vs A");
  std::vector<std::vector<std::string>> cells;
  for (const CompareRow& row : comparison.rows) {
    std::vector<std::string> line = {row.metric, row.unit};
    for (const auto& v : row.values) line.push_back(format_value(v, row.unit));
    if (with_change) line.push_back(format_change(row.change, row.unit));
    cells.push_back(std::move(line));
  }
  std::vector<size_t> width(header.size());
  for (size_t c = 0; c < header.size(); ++c) {
    width[c] = header[c].size();
    for (const auto& line : cells) width[c] = std::max(width[c], line[c].size());
  }
  std::string out;
  auto it = std::back_inserter(out);
  const auto append_line = [&](const std::vector<std::string>& line) {
    // metric and unit left-aligned, numbers right-aligned; two spaces between columns.
    fmt::format_to(it, "{:<{}}  {:<{}}", line[0], width[0], line[1], width[1]);
    for (size_t c = 2; c < line.size(); ++c) fmt::format_to(it, "  {:>{}}", line[c], width[c]);
    out += '\n';
  };
  append_line(header);
  for (const auto& line : cells) append_line(line);
  if (with_change) out += "B vs A: B / A, or B - A in percentage points (pp) for shares.\n";
  return out;
}

std::string comparison_to_json(const Comparison& comparison) {
  ordered_json doc;
  doc["reports"] = comparison.reports;
  doc["rows"] = ordered_json::array();
  const auto number_or_null = [](const std::optional<double>& v) {
    return v && std::isfinite(*v) ? ordered_json(*v) : ordered_json(nullptr);
  };
  for (const CompareRow& row : comparison.rows) {
    ordered_json r;
    r["metric"] = row.metric;
    r["unit"] = row.unit;
    r["values"] = ordered_json::array();
    for (const auto& v : row.values) r["values"].push_back(number_or_null(v));
    r["change"] = number_or_null(row.change);
    doc["rows"].push_back(std::move(r));
  }
  return doc.dump(2) + "\n";
}

}  // namespace kubemind::report
