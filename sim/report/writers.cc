// SPDX-License-Identifier: MIT
#include "sim/report/writers.h"

#include <unistd.h>  // getpid, for temporary file names

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "sim/engine/check.h"

namespace kubemind::report {
namespace {

// ---------------------------------------------------------------------------------------------------
// JSON

/// Appends `s` as a JSON string literal. Bytes >= 0x80 pass through (names come from JSON input, so
/// they are already UTF-8); control characters use the short escapes where JSON has one, else \u00XX.
void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          fmt::format_to(std::back_inserter(out), "\\u{:04x}", static_cast<unsigned>(c));
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

/// fmt's shortest round-trip form ("2", "0.1", "1e-07"); JSON has no NaN or infinity, so null.
void append_json_number(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  fmt::format_to(std::back_inserter(out), "{}", v);
}

/// A pretty-printer with a fixed layout: one member per line, 2-space indent, number arrays on one
/// line. Members appear in the order the caller writes them (the member order of run_report.h).
class JsonWriter {
 public:
  void begin_object() { open('{'); }
  void end_object() { close('}'); }
  void begin_array() { open('['); }
  void end_array() { close(']'); }

  /// Starts a member: the separator, a new line, the indent and `"name": `.
  void key(std::string_view name) {
    next_line();
    append_json_string(out_, name);
    out_ += ": ";
  }
  /// Starts an array element on its own line.
  void element() { next_line(); }

  void value(uint64_t v) { fmt::format_to(std::back_inserter(out_), "{}", v); }
  void value(double v) { append_json_number(out_, v); }
  void value(std::string_view s) { append_json_string(out_, s); }
  void value(const std::optional<double>& v) {
    if (v) {
      value(*v);
    } else {
      out_ += "null";
    }
  }
  /// A number array on one line: [1, 2.5, null].
  void value(const std::vector<double>& values) {
    out_ += '[';
    for (size_t i = 0; i < values.size(); ++i) {
      if (i > 0) out_ += ", ";
      append_json_number(out_, values[i]);
    }
    out_ += ']';
  }
  /// A count array on one line: [0, 12, 3].
  void value(const std::vector<uint64_t>& values) {
    out_ += '[';
    for (size_t i = 0; i < values.size(); ++i) {
      if (i > 0) out_ += ", ";
      fmt::format_to(std::back_inserter(out_), "{}", values[i]);
    }
    out_ += ']';
  }
  /// A JSON text written verbatim; its continuation lines are indented to the current depth. Raw
  /// newlines in JSON text are whitespace only (strings cannot hold them), so this is safe.
  void raw_json(std::string_view text) {
    const auto is_space = [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; };
    while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
    if (text.empty()) {
      out_ += "null";
      return;
    }
    for (size_t i = 0; i < text.size(); ++i) {
      out_ += text[i];
      if (text[i] == '\n' && text[i + 1] != '\n' && text[i + 1] != '\r') indent();  // i + 1 < size
    }
  }

  template <typename T>
  void member(std::string_view name, const T& v) {
    key(name);
    value(v);
  }

  std::string finish() {
    SIM_CHECK(has_members_.empty(), "unbalanced JSON containers");
    out_ += '\n';
    return std::move(out_);
  }

 private:
  void open(char bracket) {
    out_ += bracket;
    has_members_.push_back(false);
  }
  void close(char bracket) {
    SIM_CHECK(!has_members_.empty(), "unbalanced JSON containers");
    const bool had_members = has_members_.back();
    has_members_.pop_back();
    if (had_members) {
      out_ += '\n';
      indent();
    }
    out_ += bracket;
  }
  void next_line() {
    SIM_CHECK(!has_members_.empty(), "JSON member outside a container");
    if (has_members_.back()) out_ += ',';
    has_members_.back() = true;
    out_ += '\n';
    indent();
  }
  void indent() { out_.append(2 * has_members_.size(), ' '); }

  std::string out_;
  std::vector<bool> has_members_;  // one per open container: has it a member yet (so: write ',')
};

void write_scenario(JsonWriter& w, const ScenarioInfo& s) {
  w.begin_object();
  w.member("name", s.name);
  w.member("seed", s.seed);
  w.member("duration_s", s.duration_s);
  w.member("warmup_s", s.warmup_s);
  w.end_object();
}

void write_sli(JsonWriter& w, const Sli& sli) {
  w.begin_object();
  w.key("requests");
  w.begin_object();
  w.member("sent", sli.requests.sent);
  w.member("completed", sli.requests.completed);
  w.member("failed", sli.requests.failed);
  w.member("unfinished", sli.requests.unfinished);
  w.key("failed_by_reason");
  w.begin_object();
  for (const auto& [reason, n] : sli.requests.failed_by_reason) w.member(reason, n);  // std::map: by name
  w.end_object();
  w.end_object();

  const LatencySummary& l = sli.latency_ms;
  w.key("latency_ms");
  w.begin_object();
  w.member("mean", l.mean);
  w.member("p50", l.p50);
  w.member("p90", l.p90);
  w.member("p95", l.p95);
  w.member("p99", l.p99);
  w.member("p999", l.p999);
  w.member("max", l.max);
  w.end_object();

  w.key("wait_ms");
  w.begin_object();
  w.member("mean", sli.wait_ms.mean);
  w.member("p99", sli.wait_ms.p99);
  w.member("waited_fraction", sli.wait_ms.waited_fraction);
  w.end_object();

  w.member("throughput_rps", sli.throughput_rps);
  w.member("served_rps", sli.served_rps);

  w.key("slo");
  w.begin_object();
  w.member("target_ms", sli.slo.target_ms);
  w.member("attainment", sli.slo.attainment);
  w.end_object();

  w.key("imbalance");
  w.begin_object();
  w.member("max_over_mean", sli.imbalance.max_over_mean);
  w.member("cv", sli.imbalance.cv);
  w.member("top_share", sli.imbalance.top_share);
  w.member("pods_serving", sli.imbalance.pods_serving);
  w.end_object();
  w.end_object();
}

void write_pods(JsonWriter& w, const std::vector<PodReport>& pods) {
  w.begin_array();
  for (const PodReport& p : pods) {
    w.element();
    w.begin_object();
    w.member("name", p.name);
    w.member("requests", p.requests);
    w.member("share", p.share);
    w.member("mean_queue_depth", p.mean_queue_depth);
    w.member("utilization", p.utilization);
    w.member("connections", p.connections);
    w.member("cpu_utilization", p.cpu_utilization);
    w.member("mean_batch_size", p.mean_batch_size);
    w.member("batch_size_counts", p.batch_size_counts);
    w.end_object();
  }
  w.end_array();
}

void write_timeseries(JsonWriter& w, const TimeSeries& t) {
  w.begin_object();
  w.member("interval_s", t.interval_s);
  w.member("time_s", t.time_s);
  w.member("rps", t.rps);
  w.member("completed_rps", t.completed_rps);
  w.member("latency_mean_ms", t.latency_mean_ms);
  w.member("latency_p99_ms", t.latency_p99_ms);
  w.member("queue_depth_total", t.queue_depth_total);
  w.member("in_system_total", t.in_system_total);
  w.key("pod_rps");
  w.begin_object();
  for (size_t i = 0; i < t.pod_rps.size(); ++i) w.member(t.pod_names[i], t.pod_rps[i]);
  w.end_object();
  w.end_object();
}

// ---------------------------------------------------------------------------------------------------
// Text

size_t digits(uint64_t v) { return fmt::formatted_size("{}", v); }

/// "  label      value" rows with the labels padded to one width and the numbers right-aligned.
void append_count_row(std::string& out, std::string_view label, uint64_t v, size_t label_width,
                      size_t value_width) {
  fmt::format_to(std::back_inserter(out), "  {:<{}}  {:>{}}\n", label, label_width, v, value_width);
}

void append_requests(std::string& out, const RequestCounts& r) {
  size_t label_width = std::string_view("unfinished").size();
  size_t value_width = std::max({digits(r.sent), digits(r.completed), digits(r.failed), digits(r.unfinished)});
  for (const auto& [reason, n] : r.failed_by_reason) {
    label_width = std::max(label_width, reason.size() + 2);
    value_width = std::max(value_width, digits(n));
  }
  out += "Requests (sent after warm-up)\n";
  append_count_row(out, "sent", r.sent, label_width, value_width);
  append_count_row(out, "completed", r.completed, label_width, value_width);
  append_count_row(out, "failed", r.failed, label_width, value_width);
  for (const auto& [reason, n] : r.failed_by_reason) {
    append_count_row(out, fmt::format("  {}", reason), n, label_width, value_width);
  }
  append_count_row(out, "unfinished", r.unfinished, label_width, value_width);
}

/// Columns are 9 wide after a space, so values of 100 s and more stay separated, if not aligned.
void append_latency(std::string& out, const Sli& sli) {
  const LatencySummary& l = sli.latency_ms;
  auto it = std::back_inserter(out);
  fmt::format_to(it, "{:<14} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}\n", "Latency (ms)", "mean", "p50",
                 "p90", "p95", "p99", "p99.9", "max");
  fmt::format_to(it, "{:<14} {:>9.3f} {:>9.3f} {:>9.3f} {:>9.3f} {:>9.3f} {:>9.3f} {:>9.3f}\n",
                 "  response", l.mean, l.p50, l.p90, l.p95, l.p99, l.p999, l.max);
  fmt::format_to(it, "{:<14} {:>9} {:>9} {:>9}\n", "Wait (ms)", "mean", "p99", "waited %");
  fmt::format_to(it, "{:<14} {:>9.3f} {:>9.3f} {:>9.2f}\n", "  queue", sli.wait_ms.mean, sli.wait_ms.p99,
                 100.0 * sli.wait_ms.waited_fraction);
}

void append_slo(std::string& out, const SloSummary& slo) {
  auto it = std::back_inserter(out);
  if (!slo.target_ms) {
    out += "SLO: none set\n";
    return;
  }
  fmt::format_to(it, "SLO: latency <= {} ms, attainment ", *slo.target_ms);
  if (slo.attainment) {
    fmt::format_to(it, "{:.3f} %\n", 100.0 * *slo.attainment);
  } else {
    out += "n/a\n";
  }
}

void append_pods(std::string& out, const std::vector<PodReport>& pods) {
  out += "Pods\n";
  if (pods.empty()) {
    out += "  (none)\n";
    return;
  }
  size_t name_width = std::string_view("name").size();
  size_t requests_width = std::string_view("requests").size();
  for (const PodReport& p : pods) {
    name_width = std::max(name_width, p.name.size());
    requests_width = std::max(requests_width, digits(p.requests));
  }
  auto it = std::back_inserter(out);
  fmt::format_to(it, "  {:<{}}  {:>{}}  {:>8}  {:>16}  {:>13}  {:>6}  {:>10}  {:>11}\n", "name", name_width,
                 "requests", requests_width, "share %", "mean queue depth", "utilization %", "CPU %", "mean batch",
                 "connections");
  for (const PodReport& p : pods) {
    fmt::format_to(it, "  {:<{}}  {:>{}}  {:>8.2f}  {:>16.3f}  {:>13.2f}  {:>6.1f}  {:>10.2f}  {:>11}\n", p.name,
                   name_width, p.requests, requests_width, 100.0 * p.share, p.mean_queue_depth, 100.0 * p.utilization,
                   100.0 * p.cpu_utilization, p.mean_batch_size, p.connections);
  }
}

// ---------------------------------------------------------------------------------------------------
// CSV

/// A CSV cell: fmt's shortest round-trip form; non-finite values are left empty (as JSON writes null).
void append_csv_number(std::string& out, double v) {
  if (std::isfinite(v)) fmt::format_to(std::back_inserter(out), "{}", v);
}

// ---------------------------------------------------------------------------------------------------
// Files

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& reason) {
  throw std::runtime_error(fmt::format("cannot write {}: {}", path.string(), reason));
}

/// Writes `text` to `path` (truncating). Returns the error, or an empty string on success.
std::string write_whole_file(const std::filesystem::path& path, const std::string& text) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return std::generic_category().message(errno);
  std::string error;
  if (std::fwrite(text.data(), 1, text.size(), f) != text.size()) error = std::generic_category().message(errno);
  // fclose flushes the buffer, so it can report the write failure itself (e.g. a full disk).
  if (std::fclose(f) != 0 && error.empty()) error = std::generic_category().message(errno);
  return error;
}

}  // namespace

std::string to_json(const RunReport& report) {
  JsonWriter w;
  w.begin_object();
  w.key("scenario");
  write_scenario(w, report.scenario);
  w.key("config");
  w.raw_json(report.config_json);
  w.key("sli");
  write_sli(w, report.sli);
  w.key("pods");
  write_pods(w, report.pods);
  w.key("timeseries");
  write_timeseries(w, report.timeseries);
  w.key("engine");
  w.begin_object();
  w.member("events", report.engine.events);
  w.end_object();
  w.end_object();
  return w.finish();
}

std::string to_text(const RunReport& report) {
  std::string out;
  auto it = std::back_inserter(out);
  const ScenarioInfo& s = report.scenario;
  fmt::format_to(it, "Scenario: {}\n", s.name);
  fmt::format_to(it, "  seed {} | duration {} s | warm-up {} s\n\n", s.seed, s.duration_s, s.warmup_s);
  append_requests(out, report.sli.requests);
  out += '\n';
  append_latency(out, report.sli);
  out += '\n';
  fmt::format_to(it, "Throughput: {:.3f} rps of the requests sent after warm-up; served {:.3f} rps\n",
                 report.sli.throughput_rps, report.sli.served_rps);
  append_slo(out, report.sli.slo);
  const Imbalance& b = report.sli.imbalance;
  fmt::format_to(it, "Balance: {} of {} pods served requests; busiest pod {:.1f} % of requests, {:.2f}x the mean (cv {:.2f})\n",
                 b.pods_serving, report.pods.size(), 100.0 * b.top_share, b.max_over_mean, b.cv);
  out += '\n';
  append_pods(out, report.pods);
  out += '\n';
  fmt::format_to(it, "Engine\n  events  {}\n", report.engine.events);
  return out;
}

std::string to_csv(const TimeSeries& series) {
  std::vector<const std::vector<double>*> columns = {
      &series.time_s,         &series.rps,           &series.completed_rps,  &series.latency_mean_ms,
      &series.latency_p99_ms, &series.queue_depth_total, &series.in_system_total};
  std::string out = "time_s,rps,completed_rps,latency_mean_ms,latency_p99_ms,queue_depth_total,in_system_total";
  SIM_CHECK(series.pod_names.size() == series.pod_rps.size(), "a pod_rps column without a name");
  for (size_t i = 0; i < series.pod_rps.size(); ++i) {
    columns.push_back(&series.pod_rps[i]);
    out += ",rps_";
    out += series.pod_names[i];  // DNS-1123 labels: no comma or quote to escape
  }
  out += '\n';
  const size_t rows = series.time_s.size();
  for (const auto* column : columns) SIM_CHECK(column->size() == rows, "time-series columns differ in length");
  for (size_t row = 0; row < rows; ++row) {
    for (size_t c = 0; c < columns.size(); ++c) {
      if (c > 0) out += ',';
      append_csv_number(out, (*columns[c])[row]);
    }
    out += '\n';
  }
  return out;
}

void write_report_files(const std::string& dir, const RunReport& report) {
  namespace fs = std::filesystem;
  struct Output {
    fs::path final_path;
    fs::path temp_path;
    std::string text;
  };
  // Render first: nothing touches the file system until all three texts exist.
  const fs::path root = dir.empty() ? fs::path(".") : fs::path(dir);
  const std::string tmp = fmt::format(".tmp-{}", static_cast<long>(::getpid()));
  std::array<Output, 3> outputs = {
      Output{root / "report.json", root / (".report.json" + tmp), to_json(report)},
      Output{root / "report.txt", root / (".report.txt" + tmp), to_text(report)},
      Output{root / "timeseries.csv", root / (".timeseries.csv" + tmp), to_csv(report.timeseries)}};

  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) fail(root, ec.message());

  const auto remove_quietly = [](const fs::path& p) {
    std::error_code ignored;
    fs::remove(p, ignored);
  };
  for (size_t i = 0; i < outputs.size(); ++i) {
    const std::string error = write_whole_file(outputs[i].temp_path, outputs[i].text);
    if (!error.empty()) {
      for (size_t j = 0; j <= i; ++j) remove_quietly(outputs[j].temp_path);
      fail(outputs[i].temp_path, error);
    }
  }
  // Each rename is atomic. If one fails, the files this call already renamed are removed too: a new
  // report.json beside an old report.txt would be worse than no report.
  for (size_t i = 0; i < outputs.size(); ++i) {
    fs::rename(outputs[i].temp_path, outputs[i].final_path, ec);
    if (ec) {
      for (size_t j = 0; j < i; ++j) remove_quietly(outputs[j].final_path);
      for (size_t j = i; j < outputs.size(); ++j) remove_quietly(outputs[j].temp_path);
      fail(outputs[i].final_path, ec.message());
    }
  }
}

}  // namespace kubemind::report
