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
#include <limits>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <tuple>
#include <utility>
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
  void value(int32_t v) { fmt::format_to(std::back_inserter(out_), "{}", v); }
  void value(int64_t v) { fmt::format_to(std::back_inserter(out_), "{}", v); }
  /// Not an overload of value(): a string literal would convert to bool before string_view.
  void boolean(bool v) { out_ += v ? "true" : "false"; }
  void value(double v) { append_json_number(out_, v); }
  void value(std::string_view s) { append_json_string(out_, s); }
  void value(const std::optional<double>& v) {
    if (v) {
      value(*v);
    } else {
      null();
    }
  }
  void null() { out_ += "null"; }
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

void write_latency(JsonWriter& w, std::string_view key, const LatencySummary& l) {
  w.key(key);
  w.begin_object();
  w.member("mean", l.mean);
  w.member("p50", l.p50);
  w.member("p90", l.p90);
  w.member("p95", l.p95);
  w.member("p99", l.p99);
  w.member("p999", l.p999);
  w.member("max", l.max);
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

  write_latency(w, "latency_ms", sli.latency_ms);

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
  // LLM servers only (absent otherwise, so that other reports keep their layout).
  if (sli.ttft_ms) write_latency(w, "ttft_ms", *sli.ttft_ms);
  if (sli.tpot_ms) write_latency(w, "tpot_ms", *sli.tpot_ms);
  w.end_object();
}

void write_cold_start(JsonWriter& w, const ColdStartReport& c) {
  w.begin_object();
  w.member("pending_s", c.pending_s);
  w.member("node_provisioning_s", c.node_provisioning_s);
  w.member("admission_s", c.admission_s);
  w.member("image_pull_s", c.image_pull_s);
  w.member("weight_load_s", c.weight_load_s);
  w.member("container_start_s", c.container_start_s);
  w.member("warm_up_s", c.warm_up_s);
  w.member("readiness_wait_s", c.readiness_wait_s);
  w.member("endpoint_publish_s", c.endpoint_publish_s);
  w.member("to_ready_s", c.to_ready_s);
  w.end_object();
}

void write_pods(JsonWriter& w, const std::vector<PodReport>& pods) {
  w.begin_array();
  for (const PodReport& p : pods) {
    w.element();
    w.begin_object();
    w.member("name", p.name);
    w.member("deployment", p.deployment);
    w.member("node", p.node);
    w.member("created_s", p.created_s);
    w.member("ready_s", p.ready_s);
    w.member("gone_s", p.gone_s);
    w.key("cold_start");
    if (p.cold_start) {
      write_cold_start(w, *p.cold_start);
    } else {
      w.null();
    }
    w.member("requests", p.requests);
    w.member("share", p.share);
    w.member("mean_queue_depth", p.mean_queue_depth);
    w.member("utilization", p.utilization);
    w.member("connections", p.connections);
    w.member("cpu_utilization", p.cpu_utilization);
    w.member("mean_batch_size", p.mean_batch_size);
    w.member("batch_size_counts", p.batch_size_counts);
    w.member("max_queue_depth", p.max_queue_depth);
    w.member("degraded_requests", p.degraded_requests);
    w.end_object();
  }
  w.end_array();
}

void write_proxies(JsonWriter& w, const std::vector<ProxyReport>& proxies) {
  w.begin_array();
  for (const ProxyReport& p : proxies) {
    w.element();
    w.begin_object();
    w.member("name", p.name);
    w.member("upstream", p.upstream);
    w.member("requests", p.requests);
    w.member("workers", p.workers);
    w.member("cpu_per_request_ms", p.cpu_per_request_ms);
    w.member("worker_utilization", p.worker_utilization);
    w.member("mean_worker_queue", p.mean_worker_queue);
    w.member("max_worker_queue", p.max_worker_queue);
    w.member("mean_worker_wait_ms", p.mean_worker_wait_ms);
    w.member("hop_ms", p.hop_ms);
    w.member("upstream_connections_opened", p.upstream_connections_opened);
    w.member("failed", p.failed);
    w.end_object();
  }
  w.end_array();
}

void write_clients(JsonWriter& w, const std::vector<ClientReport>& clients) {
  w.begin_array();
  for (const ClientReport& c : clients) {
    w.element();
    w.begin_object();
    w.member("name", c.name);
    w.member("sent", c.sent);
    w.member("completed", c.completed);
    w.member("failed", c.failed);
    write_latency(w, "latency_ms", c.latency_ms);
    w.member("slo_attainment", c.slo_attainment);
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
  if (!t.deployment_names.empty()) {  // no Deployments (bare pods only): both members are left out
    SIM_CHECK(t.replicas.size() == t.deployment_names.size() && t.ready_replicas.size() == t.deployment_names.size(),
              "a replicas series without a Deployment name");
    w.key("replicas");
    w.begin_object();
    for (size_t i = 0; i < t.replicas.size(); ++i) w.member(t.deployment_names[i], t.replicas[i]);
    w.end_object();
    w.key("ready_replicas");
    w.begin_object();
    for (size_t i = 0; i < t.ready_replicas.size(); ++i) w.member(t.deployment_names[i], t.ready_replicas[i]);
    w.end_object();
  }
  w.end_object();
}

void write_cluster(JsonWriter& w, const ClusterReport& c) {
  w.begin_object();
  w.key("unlimited");
  w.boolean(c.unlimited);
  w.key("pools");
  w.begin_array();
  for (const PoolReport& p : c.pools) {
    w.element();
    w.begin_object();
    w.member("name", p.name);
    w.member("gpu_type", p.gpu_type);
    w.member("nodes_at_end", p.nodes_at_end);
    w.member("node_hours", p.node_hours);
    w.member("gpu_hours", p.gpu_hours);
    w.member("cost_usd", p.cost_usd);
    w.end_object();
  }
  w.end_array();
  w.member("gpu_hours", c.gpu_hours);
  w.member("cost_usd", c.cost_usd);
  w.member("pods_created", c.pods_created);
  w.member("nodes_provisioned", c.nodes_provisioned);
  w.member("nodes_scaled_down", c.nodes_scaled_down);
  w.member("spot_interruptions", c.spot_interruptions);
  w.member("preemptions", c.preemptions);
  w.member("nodes_failed", c.nodes_failed);
  w.member("pods_evicted_unreachable", c.pods_evicted_unreachable);
  w.member("quota_rejections", c.quota_rejections);
  w.key("quotas");
  w.begin_array();
  for (const QuotaReport& q : c.quotas) {
    w.element();
    w.begin_object();
    w.member("name", q.name);
    w.member("namespace", q.ns);
    // Per resource the quota bounds: {"hard", "used"} (cpu in millicores, memory in bytes).
    const std::array<std::tuple<const char*, int64_t, int64_t>, 4> resources = {
        {{"requests.cpu_millicores", q.hard_cpu_millicores, q.used_cpu_millicores},
         {"requests.memory_bytes", q.hard_memory_bytes, q.used_memory_bytes},
         {"requests.nvidia.com/gpu", q.hard_gpus, q.used_gpus},
         {"pods", q.hard_pods, q.used_pods}}};
    for (const auto& [key, hard, used] : resources) {
      if (hard < 0) continue;
      w.key(key);
      w.begin_object();
      w.member("hard", hard);
      w.member("used", used);
      w.end_object();
    }
    w.member("rejections", q.rejections);
    w.end_object();
  }
  w.end_array();
  w.key("node_failures");
  w.begin_array();
  for (const NodeFailureReport& f : c.node_failures) {
    w.element();
    w.begin_object();
    w.member("node", f.node);
    w.member("zone", f.zone);
    w.member("failed_s", f.failed_s);
    w.member("not_ready_s", f.not_ready_s);
    w.member("pods", f.pods);
    w.end_object();
  }
  w.end_array();
  w.end_object();
}

void write_autoscaling(JsonWriter& w, const AutoscalingReport& a) {
  w.begin_object();
  w.key("events");
  w.begin_array();
  for (const ScalingEventReport& e : a.events) {
    w.element();
    w.begin_object();
    w.member("time_s", e.time_s);
    w.member("controller", e.controller);
    w.member("from_replicas", e.from_replicas);
    w.member("to_replicas", e.to_replicas);
    w.member("rule", e.rule);
    w.key("metrics");
    w.begin_array();
    for (const ScalingMetricReport& m : e.metrics) {
      w.element();
      w.begin_object();
      w.member("metric", m.metric);
      w.member("value", m.value);
      w.member("target", m.target);
      w.key("valid");
      w.boolean(m.valid);
      w.end_object();
    }
    w.end_array();
    w.end_object();
  }
  w.end_array();
  w.key("traces");
  w.begin_array();
  for (const ControllerTraceReport& t : a.traces) {
    w.element();
    w.begin_object();
    w.member("controller", t.controller);
    w.member("metric", t.metric);
    w.member("unit", t.unit);
    w.member("time_s", t.time_s);
    w.member("seen", t.seen);
    w.member("truth", t.truth);
    w.end_object();
  }
  w.end_array();
  w.end_object();
}

/// [{id, severity, text, numbers {name: value}}], numbers by name (std::map order).
void write_findings(JsonWriter& w, const std::vector<Finding>& findings) {
  w.begin_array();
  for (const Finding& f : findings) {
    w.element();
    w.begin_object();
    w.member("id", f.id);
    w.member("severity", f.severity);
    w.member("text", f.text);
    w.key("numbers");
    w.begin_object();
    for (const auto& [name, v] : f.numbers) w.member(name, v);
    w.end_object();
    w.end_object();
  }
  w.end_array();
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
  for (const auto& [name, t] : {std::pair{"  TTFT", &sli.ttft_ms}, std::pair{"  TPOT", &sli.tpot_ms}}) {
    if (!*t) continue;
    const LatencySummary& v = **t;
    fmt::format_to(it, "{:<14} {:>9.3f} {:>9.3f} {:>9.3f} {:>9.3f} {:>9.3f} {:>9.3f} {:>9.3f}\n", name, v.mean,
                   v.p50, v.p90, v.p95, v.p99, v.p999, v.max);
  }
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

/// One row per proxy pod: how busy its workers were, how long requests waited for one, what the hop adds.
void append_proxies(std::string& out, const std::vector<ProxyReport>& proxies) {
  out += "Proxies\n";
  size_t name_width = std::string_view("name").size();
  size_t upstream_width = std::string_view("upstream").size();
  for (const ProxyReport& p : proxies) {
    name_width = std::max(name_width, p.name.size());
    upstream_width = std::max(upstream_width, p.upstream.size());
  }
  auto it = std::back_inserter(out);
  fmt::format_to(it, "  {:<{}}  {:<{}}  {:>10}  {:>14}  {:>10}  {:>9}  {:>12}  {:>7}  {:>11}  {:>6}\n", "name",
                 name_width, "upstream", upstream_width, "requests", "workers busy %", "mean queue", "max queue",
                 "mean wait ms", "hop ms", "connections", "failed");
  for (const ProxyReport& p : proxies) {
    fmt::format_to(it, "  {:<{}}  {:<{}}  {:>10}  {:>14.2f}  {:>10.3f}  {:>9.0f}  {:>12.3f}  {:>7.3f}  {:>11}  {:>6}\n",
                   p.name, name_width, p.upstream, upstream_width, p.requests, 100.0 * p.worker_utilization,
                   p.mean_worker_queue, p.max_worker_queue, p.mean_worker_wait_ms, p.hop_ms,
                   p.upstream_connections_opened, p.failed);
  }
}

/// One row per client: what each caller (e.g. each tenant) saw.
void append_clients(std::string& out, const std::vector<ClientReport>& clients) {
  out += "Clients\n";
  size_t name_width = std::string_view("name").size();
  for (const ClientReport& c : clients) name_width = std::max(name_width, c.name.size());
  auto it = std::back_inserter(out);
  fmt::format_to(it, "  {:<{}}  {:>10}  {:>10}  {:>8}  {:>10}  {:>10}  {:>10}  {:>6}\n", "name", name_width, "sent",
                 "completed", "failed", "p50 ms", "p99 ms", "max ms", "SLO %");
  for (const ClientReport& c : clients) {
    fmt::format_to(it, "  {:<{}}  {:>10}  {:>10}  {:>8}  {:>10.3f}  {:>10.3f}  {:>10.3f}  ", c.name, name_width, c.sent,
                   c.completed, c.failed, c.latency_ms.p50, c.latency_ms.p99, c.latency_ms.max);
    if (c.slo_attainment) {
      fmt::format_to(it, "{:>6.2f}\n", 100.0 * *c.slo_attainment);
    } else {
      fmt::format_to(it, "{:>6}\n", "-");
    }
  }
}

/// The ResourceQuota lines of the cluster block (none without quotas).
void append_quotas(std::string& out, const ClusterReport& c) {
  if (c.quotas.empty()) return;
  auto it = std::back_inserter(out);
  fmt::format_to(it, "  pod creations refused by ResourceQuota {}\n", c.quota_rejections);
  for (const QuotaReport& q : c.quotas) {
    std::string used;
    if (q.hard_cpu_millicores >= 0) used += fmt::format(" | cpu {}m/{}m", q.used_cpu_millicores, q.hard_cpu_millicores);
    if (q.hard_memory_bytes >= 0) {
      used += fmt::format(" | memory {:.2f}/{:.2f} GiB", static_cast<double>(q.used_memory_bytes) / 0x1p30,
                          static_cast<double>(q.hard_memory_bytes) / 0x1p30);
    }
    if (q.hard_gpus >= 0) used += fmt::format(" | GPUs {}/{}", q.used_gpus, q.hard_gpus);
    if (q.hard_pods >= 0) used += fmt::format(" | pods {}/{}", q.used_pods, q.hard_pods);
    fmt::format_to(it, "  quota {}/{}: refused {}{}\n", q.ns, q.name, q.rejections, used);
  }
}

void append_cluster(std::string& out, const ClusterReport& c) {
  out += "Cluster\n";
  size_t name_width = std::string_view("total").size();
  size_t gpu_width = std::string_view("GPU").size();
  for (const PoolReport& p : c.pools) {
    name_width = std::max(name_width, p.name.size());
    gpu_width = std::max(gpu_width, p.gpu_type.size());
  }
  auto it = std::back_inserter(out);
  fmt::format_to(it, "  {:<{}}  {:<{}}  {:>12}  {:>10}  {:>10}  {:>10}\n", "pool", name_width, "GPU", gpu_width,
                 "nodes at end", "node-hours", "GPU-hours", "cost $");
  for (const PoolReport& p : c.pools) {
    fmt::format_to(it, "  {:<{}}  {:<{}}  {:>12}  {:>10.3f}  {:>10.3f}  {:>10.2f}\n", p.name, name_width,
                   p.gpu_type.empty() ? "-" : p.gpu_type, gpu_width, p.nodes_at_end, p.node_hours, p.gpu_hours,
                   p.cost_usd);
  }
  fmt::format_to(it, "  {:<{}}  {:<{}}  {:>12}  {:>10}  {:>10.3f}  {:>10.2f}\n", "total", name_width, "", gpu_width, "",
                 "", c.gpu_hours, c.cost_usd);
  fmt::format_to(it, "  pods created {} | nodes provisioned {}, scaled down {} | spot interruptions {} | preemptions {}\n",
                 c.pods_created, c.nodes_provisioned, c.nodes_scaled_down, c.spot_interruptions, c.preemptions);
  if (c.nodes_failed > 0) {
    fmt::format_to(it, "  nodes failed {} | pods evicted from unreachable nodes {}\n", c.nodes_failed,
                   c.pods_evicted_unreachable);
  }
  append_quotas(out, c);
}

/// One row per pod that started during the run: seconds in each stage, then created -> Ready.
void append_cold_starts(std::string& out, const std::vector<PodReport>& pods) {
  size_t name_width = std::string_view("pod").size();
  size_t count = 0;
  for (const PodReport& p : pods) {
    if (!p.cold_start) continue;
    ++count;
    name_width = std::max(name_width, p.name.size());
  }
  if (count == 0) return;
  auto it = std::back_inserter(out);
  out += "Cold starts (s)\n";
  fmt::format_to(it, "  {:<{}}  {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}  {:>9}\n", "pod", name_width,
                 "pending", "provision", "admission", "image", "weights", "start", "warm-up", "readiness", "endpoint",
                 "to Ready");
  for (const PodReport& p : pods) {
    if (!p.cold_start) continue;
    const ColdStartReport& c = *p.cold_start;
    fmt::format_to(it, "  {:<{}}  {:>9.2f} {:>9.2f} {:>9.2f} {:>9.2f} {:>9.2f} {:>9.2f} {:>9.2f} {:>9.2f} {:>9.2f}  {:>9.2f}\n",
                   p.name, name_width, c.pending_s, c.node_provisioning_s, c.admission_s, c.image_pull_s,
                   c.weight_load_s, c.container_start_s, c.warm_up_s, c.readiness_wait_s, c.endpoint_publish_s,
                   c.to_ready_s);
  }
  out += '\n';
}

/// A metric value in its unit: "31.0 %", "250 milli", "12.5 requests", "7" (no unit).
std::string with_unit(double v, std::string_view unit) {
  if (!std::isfinite(v)) return "n/a";
  if (unit == "percent") return fmt::format("{:.1f} %", v);
  if (unit.empty()) return fmt::format("{:.4g}", v);
  return fmt::format("{:.4g} {}", v, unit);
}

/// Mean of the finite values and how many there were.
std::pair<double, size_t> finite_mean(const std::vector<double>& values) {
  double sum = 0.0;
  size_t n = 0;
  for (const double v : values) {
    if (!std::isfinite(v)) continue;
    sum += v;
    ++n;
  }
  return {n > 0 ? sum / static_cast<double>(n) : std::numeric_limits<double>::quiet_NaN(), n};
}

constexpr size_t kMaxEventsListed = 50;

void append_autoscaling(std::string& out, const AutoscalingReport& a) {
  if (a.events.empty() && a.traces.empty()) return;
  auto it = std::back_inserter(out);
  fmt::format_to(it, "Autoscaling: {} scaling event{}\n", a.events.size(), a.events.size() == 1 ? "" : "s");
  if (!a.events.empty()) {
    size_t controller_width = std::string_view("controller").size();
    size_t rule_width = std::string_view("rule").size();
    const size_t listed = std::min(a.events.size(), kMaxEventsListed);
    for (size_t i = 0; i < listed; ++i) {
      controller_width = std::max(controller_width, a.events[i].controller.size());
      rule_width = std::max(rule_width, a.events[i].rule.size());
    }
    fmt::format_to(it, "  {:>10}  {:<{}}  {:>12}  {:<{}}  {}\n", "time s", "controller", controller_width, "replicas",
                   "rule", rule_width, "metrics (seen / target)");
    for (size_t i = 0; i < listed; ++i) {
      const ScalingEventReport& e = a.events[i];
      std::string metrics;
      for (const ScalingMetricReport& m : e.metrics) {
        if (!metrics.empty()) metrics += ", ";
        if (m.valid) {
          fmt::format_to(std::back_inserter(metrics), "{} {:.4g} / {:.4g}", m.metric, m.value, m.target);
        } else {
          fmt::format_to(std::back_inserter(metrics), "{} invalid", m.metric);
        }
      }
      fmt::format_to(it, "  {:>10.1f}  {:<{}}  {:>12}  {:<{}}  {}\n", e.time_s, e.controller, controller_width,
                     fmt::format("{} -> {}", e.from_replicas, e.to_replicas), e.rule.empty() ? "-" : e.rule,
                     rule_width, metrics.empty() ? "-" : metrics);
    }
    if (a.events.size() > listed) {
      fmt::format_to(it, "  ... {} more event{} not listed (all are in report.json)\n", a.events.size() - listed,
                     a.events.size() - listed == 1 ? "" : "s");
    }
  }
  for (const ControllerTraceReport& t : a.traces) {
    const auto [seen, seen_n] = finite_mean(t.seen);
    const auto [truth, truth_n] = finite_mean(t.truth);
    // The target: from the last event of this controller that carried this metric.
    std::optional<double> target;
    for (const ScalingEventReport& e : a.events) {
      if (e.controller != t.controller) continue;
      for (const ScalingMetricReport& m : e.metrics) {
        if (m.metric == t.metric) target = m.target;
      }
    }
    const size_t syncs = t.time_s.size();
    std::string detail = seen_n == syncs ? fmt::format("mean over {} syncs", syncs)
                                         : fmt::format("mean over {} of {} syncs", seen_n, syncs);
    if (target) detail += fmt::format("; target {}", with_unit(*target, t.unit));
    if (seen_n == 0) {
      fmt::format_to(it, "  {} saw no {} at any of its {} syncs, truth {}\n", t.controller, t.metric, syncs,
                     truth_n > 0 ? with_unit(truth, t.unit) : "unknown");
    } else {
      fmt::format_to(it, "  {} saw {} {} ({}), truth {}\n", t.controller, t.metric, with_unit(seen, t.unit), detail,
                     truth_n > 0 ? with_unit(truth, t.unit) : "unknown");
    }
  }
  out += '\n';
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
  w.key("proxies");
  write_proxies(w, report.proxies);
  if (!report.clients.empty()) {  // absent otherwise, so that other reports keep their layout
    w.key("clients");
    write_clients(w, report.clients);
  }
  w.key("timeseries");
  write_timeseries(w, report.timeseries);
  w.key("cluster");
  write_cluster(w, report.cluster);
  w.key("autoscaling");
  write_autoscaling(w, report.autoscaling);
  w.key("findings");
  write_findings(w, report.findings);
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
  if (!report.proxies.empty()) {
    append_proxies(out, report.proxies);
    out += '\n';
  }
  if (!report.clients.empty()) {
    append_clients(out, report.clients);
    out += '\n';
  }
  append_cold_starts(out, report.pods);
  if (!report.cluster.unlimited) {
    append_cluster(out, report.cluster);
    out += '\n';
  } else if (!report.cluster.quotas.empty()) {  // the unlimited cluster: only its quotas
    out += "Cluster\n";
    append_quotas(out, report.cluster);
    out += '\n';
  }
  append_autoscaling(out, report.autoscaling);
  fmt::format_to(it, "Engine\n  events  {}\n", report.engine.events);
  out += "\nFindings\n";
  if (report.findings.empty()) out += "  (none)\n";
  for (const Finding& f : report.findings) fmt::format_to(it, "  - [{}] {}\n", f.severity, f.text);
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
  SIM_CHECK(series.replicas.size() == series.deployment_names.size() &&
                series.ready_replicas.size() == series.deployment_names.size(),
            "a replicas column without a Deployment name");
  for (size_t i = 0; i < series.replicas.size(); ++i) {
    columns.push_back(&series.replicas[i]);
    out += ",replicas:";
    out += series.deployment_names[i];  // DNS-1123 names too
  }
  for (size_t i = 0; i < series.ready_replicas.size(); ++i) {
    columns.push_back(&series.ready_replicas[i]);
    out += ",ready_replicas:";
    out += series.deployment_names[i];
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
