// SPDX-License-Identifier: MIT
#pragma once
// The control layer's window on the world: what a metrics scraper can read from the pods of one
// scale target at the current simulated time, and the target's scale subresource. The scenario
// layer implements these over its Deployment / InferenceServer objects; the control layer never
// includes sim/serve, sim/cluster or sim/net.
//
// What is modelled:
// - Per pod (one pod = one scraped container): the kubelet's cumulative CPU counter
//   (cAdvisor container_cpu_usage_seconds_total, cpu-seconds, never decreasing while the container
//   lives), the memory working set (bytes) and the container's start time, as metrics-server reads
//   them from /metrics/resource; the pod's API status (PodInfo: phase, startTime, Ready condition
//   and its lastTransitionTime, deletionTimestamp, requests), as the HPA reads it from the informer.
// - App metrics a Prometheus scrape of the pod's /metrics returns: gauges (queue depth, in-flight
//   requests, GPU utilisation 0..1), counters (requests, in-flight request-seconds = the time
//   integral of in-flight requests, which is what Knative's queue-proxy averages) and one
//   request-duration histogram (cumulative bucket counts over fixed upper bounds, last = +Inf).
// - Truth for reports: the instantaneous CPU usage in cores (not visible to any scraper).
// Invariants: pods are identified by a uid stable for the pod's life; list_pods returns them in a
//   stable order (the scenario's creation order), which every consumer keeps.
// Simplifications: one container per pod (metrics-server's "all containers present" rule is then
//   the pod's); label selectors are the scenario's business (list_pods = what the selector matched).

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "sim/control/hpa_types.h"
#include "sim/engine/time.h"

namespace kubemind::control {

/// Prometheus gauges a pod exports.
enum class AppGauge : uint8_t { kQueueDepth, kInflight, kGpuUtilization };
inline constexpr size_t kAppGaugeCount = 3;
/// Prometheus counters a pod exports.
enum class AppCounter : uint8_t { kRequestsTotal, kInflightSecondsTotal };
inline constexpr size_t kAppCounterCount = 2;

const char* to_string(AppGauge g);
const char* to_string(AppCounter c);

/// What the kubelet's resource endpoint returns for one pod at one instant.
struct PodResourceSample {
  double cpu_usage_seconds_total = 0.0;  ///< cumulative CPU time of the container (counter)
  int64_t memory_working_set_bytes = 0;
  SimTime container_start_time;      ///< the running container's start (a restart resets the counter)
  double cpu_usage_cores_now = 0.0;  ///< truth only: instantaneous usage, never scraped
};

/// One pod matched by the target's selector.
struct WorldPod {
  uint64_t uid = 0;
  PodInfo info;  ///< name, phase, startTime, Ready condition, deletion, requests (milli)
};

/// The pods of one scale target, as scrapers and the HPA's informer read them at `now`.
class PodSource {
 public:
  virtual ~PodSource() = default;
  /// Replaces `out` with the pods matched now, in a stable order.
  virtual void list_pods(std::vector<WorldPod>& out) const = 0;
  /// false: no running container to read (not started, terminated, or unknown uid).
  virtual bool read_resources(uint64_t uid, PodResourceSample& out) const = 0;
  /// false: the pod does not export the metric now (not started, or no such exporter).
  virtual bool read_gauge(uint64_t uid, AppGauge gauge, double& out) const = 0;
  virtual bool read_counter(uint64_t uid, AppCounter counter, double& out) const = 0;
  /// Upper bounds (seconds) of the request-duration histogram; the last one is +Inf. May be empty.
  virtual std::span<const double> histogram_bounds_s() const = 0;
  /// Cumulative counts per bucket of histogram_bounds_s() (size equal); false: not exported.
  virtual bool read_histogram(uint64_t uid, std::span<double> cumulative_counts) const = 0;
};

/// The scale subresource of a Deployment (spec.replicas / status.replicas).
class ScaleTarget {
 public:
  virtual ~ScaleTarget() = default;
  virtual ScaleSubresource scale() const = 0;
  /// PATCH spec.replicas.
  virtual void set_replicas(int32_t replicas) = 0;
};

/// One metric value that took part in a scaling decision.
struct ScalingMetricValue {
  std::string metric;
  double value = 0.0;  ///< as the controller saw it (HPA: percent or units; KEDA: query value)
  double target = 0.0;
  bool valid = true;
};

/// One decision that changed (or was recorded as deciding) the replica count.
struct ScalingEvent {
  SimTime time;
  std::string controller;  ///< e.g. "hpa/inference", "keda/inference", "kpa/inference"
  int32_t from_replicas = 0;
  int32_t to_replicas = 0;
  std::string rule;  ///< the rule that decided, e.g. "ScaleDownStabilized", "scale from zero"
  std::vector<ScalingMetricValue> metrics;
};

/// One point of "what the controller saw" next to the truth at the same instant.
struct SeenVsTruePoint {
  SimTime time;
  double seen = 0.0;
  bool seen_valid = false;  ///< false: the metric was unavailable to the controller
  double truth = 0.0;       ///< NaN when the world has no truth for it
};

/// A named series of SeenVsTruePoint, one per controller metric.
struct MetricTrace {
  std::string controller;
  std::string metric;
  std::string unit;  ///< "percent", "milli", "requests", ...
  std::vector<SeenVsTruePoint> points;
};

}  // namespace kubemind::control
