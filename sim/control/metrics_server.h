// SPDX-License-Identifier: MIT
#pragma once
// metrics-server (the resource metrics API the HPA reads for Resource metrics).
//
// What is modelled (kubernetes-sigs/metrics-server pkg/storage/pod.go and pkg/storage/types.go
// resourceUsage; reference/autoscalers.md 1.9):
// - Every `metric_resolution` (--metric-resolution; the shipped manifest and README use 15 s) it
//   scrapes every pod's cumulative CPU counter and memory working set, stamping the point with the
//   scrape time. The first scrape runs at start() + first_scrape_delay.
// - It keeps the last two points per pod. CPU = (cum_last - cum_prev) / (t_last - t_prev), with
//   timestamp = t_last and window = t_last - t_prev; memory = the last working set.
// - The previous point is kept only if the container did not restart (start < last point time)
//   and the new point is newer. A fresh container whose age at the scrape is in
//   [10 s, metric_resolution) gets a synthetic previous point (start time, 0 cpu-seconds)
//   (freshContainerMinMetricsResolution), so it can have a rate after one scrape; otherwise a new
//   pod has no metric until its second scrape (the HPA counts it missing).
// - A counter that went down between the two points gives no metric (resourceUsage's error).
// - Units served as the HPA reads them (Quantity.MilliValue rounds up): CPU nanocores =
//   uint64(delta_ns / window_s), milli = ceil(nanocores / 1e6); memory milli = bytes * 1000.
// Simplifications: the kubelet's own cAdvisor housekeeping (10-15 s) is folded into the scrape
// time; every node is scraped at the same instant.
// Source: metrics-server v0.6+ (kubernetes-sigs/metrics-server, pkg/storage/pod.go).

#include <cstdint>
#include <map>
#include <vector>

#include "sim/control/hpa_types.h"
#include "sim/control/metrics_source.h"
#include "sim/engine/simulator.h"

namespace kubemind::control {

struct MetricsServerConfig {
  Duration metric_resolution = Duration::seconds(15);  ///< --metric-resolution (manifest default)
  Duration first_scrape_delay{};                       ///< offset of the first scrape after start()
  /// freshContainerMinMetricsResolution (a constant in pod.go).
  Duration fresh_container_min_resolution = Duration::seconds(10);
};

/// What the metrics API returns for one pod (PodMetrics, usage summed over its one container).
struct ResourceMetricPoint {
  int64_t cpu_milli = 0;
  int64_t memory_milli = 0;
  SimTime timestamp;
  Duration window;
};

class MetricsServer {
 public:
  MetricsServer(engine::Simulator& sim, const PodSource& pods, MetricsServerConfig config = {});
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  /// Schedules the scrape loop (first scrape at now + first_scrape_delay).
  void start();
  /// One scrape (public for tests that drive the clock by hand).
  void scrape();

  /// The pod's metric as served now; false: not two usable points (the pod is "missing").
  bool pod_metrics(uint64_t uid, ResourceMetricPoint& out) const;
  /// The per-pod samples the HPA receives for `resource`, for the given pods in their order.
  void samples_for(ResourceName resource, const std::vector<WorldPod>& pods, std::vector<PodMetricSample>& out) const;

  uint64_t scrapes() const { return scrapes_; }
  const MetricsServerConfig& config() const { return config_; }

 private:
  struct Point {
    int64_t cpu_ns = 0;  ///< cumulative, integer nanoseconds as the kubelet reports
    int64_t memory_bytes = 0;
    SimTime timestamp;
    SimTime start_time;
  };
  struct Entry {
    Point last;
    bool has_prev = false;
    Point prev;
  };

  void on_scrape(uint64_t);

  engine::Simulator& sim_;
  const PodSource& pods_;
  MetricsServerConfig config_;
  std::map<uint64_t, Entry> store_;  // uid -> points; rebuilt every scrape (pods gone are dropped)
  std::map<uint64_t, Entry> next_;
  std::vector<WorldPod> listing_;
  uint64_t scrapes_ = 0;
};

}  // namespace kubemind::control
