// SPDX-License-Identifier: MIT
#include "sim/control/metrics_server.h"

#include <cmath>

namespace kubemind::control {

MetricsServer::MetricsServer(engine::Simulator& sim, const PodSource& pods, MetricsServerConfig config)
    : sim_(sim), pods_(pods), config_(config) {
  SIM_ASSERT(config_.metric_resolution.ns > 0, "metric_resolution must be positive");
}

void MetricsServer::start() { sim_.schedule_in<&MetricsServer::on_scrape>(config_.first_scrape_delay, this, 0); }

void MetricsServer::on_scrape(uint64_t) {
  scrape();
  sim_.schedule_in<&MetricsServer::on_scrape>(config_.metric_resolution, this, 0);
}

void MetricsServer::scrape() {
  const SimTime now = sim_.now();
  pods_.list_pods(listing_);
  next_.clear();
  PodResourceSample s;
  for (const WorldPod& pod : listing_) {
    if (!pods_.read_resources(pod.uid, s)) continue;
    if (next_.count(pod.uid) != 0) continue;  // duplicate point: the first wins (Store logs and skips)
    Entry e;
    e.last.cpu_ns = static_cast<int64_t>(std::llround(s.cpu_usage_seconds_total * 1e9));
    e.last.memory_bytes = s.memory_working_set_bytes;
    e.last.timestamp = now;
    e.last.start_time = s.container_start_time;
    const Duration age = now - s.container_start_time;
    if (s.container_start_time < now && age < config_.metric_resolution &&
        age >= config_.fresh_container_min_resolution) {
      // A fresh container: the start time with zero usage serves as the previous point.
      e.has_prev = true;
      e.prev = e.last;
      e.prev.timestamp = s.container_start_time;
      e.prev.cpu_ns = 0;
    } else if (auto it = store_.find(pod.uid);
               it != store_.end() && s.container_start_time < it->second.last.timestamp) {
      // Not restarted since the stored point.
      if (now > it->second.last.timestamp) {
        e.has_prev = true;
        e.prev = it->second.last;
      } else if (it->second.has_prev && it->second.prev.timestamp < now) {
        e.has_prev = true;
        e.prev = it->second.prev;
      }
    }
    next_.emplace(pod.uid, e);
  }
  store_.swap(next_);
  ++scrapes_;
}

bool MetricsServer::pod_metrics(uint64_t uid, ResourceMetricPoint& out) const {
  const auto it = store_.find(uid);
  if (it == store_.end() || !it->second.has_prev) return false;
  const Point& last = it->second.last;
  const Point& prev = it->second.prev;
  // resourceUsage: a restart or a decreasing counter is an error (no metric for the pod).
  if (last.start_time < prev.start_time || last.cpu_ns < prev.cpu_ns) return false;
  const Duration window = last.timestamp - prev.timestamp;
  if (window.ns <= 0) return false;
  const double nanocores = static_cast<double>(last.cpu_ns - prev.cpu_ns) / window.seconds_f();
  const auto nanocores_int = static_cast<int64_t>(nanocores);  // uint64(cpuUsage): truncation
  out.cpu_milli = (nanocores_int + 999'999) / 1'000'000;       // Quantity.MilliValue rounds up
  out.memory_milli = last.memory_bytes * 1000;
  out.timestamp = last.timestamp;
  out.window = window;
  return true;
}

void MetricsServer::samples_for(ResourceName resource, const std::vector<WorldPod>& pods,
                                std::vector<PodMetricSample>& out) const {
  out.clear();
  ResourceMetricPoint p;
  for (const WorldPod& pod : pods) {
    if (!pod_metrics(pod.uid, p)) continue;
    PodMetricSample s;
    s.pod = pod.info.name;
    s.value_milli = resource == ResourceName::kCpu ? p.cpu_milli : p.memory_milli;
    s.timestamp = p.timestamp;
    s.window = p.window;
    out.push_back(std::move(s));
  }
}

}  // namespace kubemind::control
