// SPDX-License-Identifier: MIT
#include "sim/control/replica_calculator.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace kubemind::control {
namespace {

constexpr int32_t kMaxInt32 = std::numeric_limits<int32_t>::max();
constexpr int64_t kMaxInt64 = std::numeric_limits<int64_t>::max();

/// int32(math.Ceil(x)) with the out-of-range cases pinned (Go's conversion is
/// implementation-defined there, C++'s undefined): clamp to the int32 range, NaN -> 0.
int32_t ceil_to_int32(double x) {
  if (std::isnan(x)) return 0;
  const double c = std::ceil(x);
  if (c >= static_cast<double>(kMaxInt32)) return kMaxInt32;
  if (c <= static_cast<double>(std::numeric_limits<int32_t>::min())) return std::numeric_limits<int32_t>::min();
  return static_cast<int32_t>(c);
}

const char* resource_string(ResourceName r) { return r == ResourceName::kCpu ? "cpu" : "memory"; }

struct SampleValue {
  int64_t value_milli = 0;
  SimTime timestamp;
  Duration window;
};
/// PodMetricsInfo: pod name -> sample. Ordered, so every iteration is deterministic.
using PodMetricsInfo = std::map<std::string, SampleValue>;

PodMetricsInfo to_metrics_info(std::span<const PodMetricSample> samples) {
  PodMetricsInfo m;
  for (const PodMetricSample& s : samples) m[s.pod] = SampleValue{s.value_milli, s.timestamp, s.window};
  return m;
}

void remove_metrics_for_pods(PodMetricsInfo& m, const std::vector<std::string>& pods) {
  for (const std::string& p : pods) m.erase(p);
}

bool is_pod_ready(const PodInfo& pod) {
  return pod.ready.has_value() && pod.ready->status == ConditionStatus::kTrue;
}

/// metrics/utilization.go GetResourceUtilizationRatio.
struct UtilizationRatio {
  double ratio = 0;
  int32_t utilization = 0;
  int64_t raw_average = 0;
};
bool resource_utilization_ratio(const PodMetricsInfo& metrics, const std::map<std::string, int64_t>& requests,
                                int32_t target_utilization, UtilizationRatio& out, std::string& error) {
  int64_t metrics_total = 0;
  int64_t requests_total = 0;
  int64_t entries = 0;
  for (const auto& [pod, sample] : metrics) {
    const auto it = requests.find(pod);
    if (it == requests.end()) continue;  // extraneous metric: a pod not in the list
    metrics_total += sample.value_milli;
    requests_total += it->second;
    ++entries;
  }
  if (requests_total == 0) {
    error = "no metrics returned matched known pods";
    return false;
  }
  out.utilization = static_cast<int32_t>((metrics_total * 100) / requests_total);
  out.ratio = static_cast<double>(out.utilization) / static_cast<double>(target_utilization);
  out.raw_average = metrics_total / entries;
  return true;
}

/// metrics/utilization.go GetMetricUsageRatio: average over every sample left, int64 division.
void metric_usage_ratio(const PodMetricsInfo& metrics, int64_t target_usage, double& ratio, int64_t& usage) {
  int64_t total = 0;
  for (const auto& [pod, sample] : metrics) total += sample.value_milli;
  usage = total / static_cast<int64_t>(metrics.size());
  ratio = static_cast<double>(usage) / static_cast<double>(target_usage);
}

ReplicaCalcResult failure(std::string error) {
  ReplicaCalcResult r;
  r.ok = false;
  r.error = std::move(error);
  r.rule = "error";
  return r;
}

/// calcPlainMetricReplicas: shared by Pods metrics and Resource AverageValue targets.

/// The first pass of replica_calculator.go: with no missing pods, and no unready pods to count as
/// idle on a scale-up, the ready pods' usage ratio decides (or the tolerance keeps the count).
bool settled_by_ready_pods(ReplicaCalcResult& r, const Tolerances& tolerances, double usage_ratio,
                           int32_t current_replicas) {
  if (!r.groups.missing.empty() || (!r.groups.unready.empty() && usage_ratio > 1.0)) return false;
  if (tolerances.is_within(usage_ratio)) {
    r.replicas = current_replicas;
    r.rule = "within tolerance";
  } else {
    r.replicas = ceil_to_int32(usage_ratio * static_cast<double>(r.groups.ready_count));
    r.rule = "scaled by ready pods";
  }
  return true;
}

/// The last step of every calculator once missing and unready pods were filled in (the second pass
/// of replica_calculator.go): keep the current count if the new ratio is within tolerance or flips
/// the direction of the first ratio, or if the new count would move against it; otherwise scale.
ReplicaCalcResult settle_after_filling(ReplicaCalcResult r, const Tolerances& tolerances, double usage_ratio,
                                       double new_usage_ratio, size_t pods, int32_t current_replicas) {
  if (tolerances.is_within(new_usage_ratio) || (usage_ratio < 1.0 && new_usage_ratio > 1.0) ||
      (usage_ratio > 1.0 && new_usage_ratio < 1.0)) {
    r.replicas = current_replicas;
    r.rule = tolerances.is_within(new_usage_ratio) ? "within tolerance"
                                                   : "direction flip after filling missing/unready pods";
    return r;
  }
  const int32_t new_replicas = ceil_to_int32(new_usage_ratio * static_cast<double>(pods));
  if ((new_usage_ratio < 1.0 && new_replicas > current_replicas) ||
      (new_usage_ratio > 1.0 && new_replicas < current_replicas)) {
    r.replicas = current_replicas;
    r.rule = "direction flip after filling missing/unready pods";
    return r;
  }
  r.replicas = new_replicas;
  r.rule = "scaled with missing/unready pods";
  return r;
}

ReplicaCalcResult calc_plain_metric_replicas(PodMetricsInfo metrics, int32_t current_replicas,
                                             int64_t target_usage, const Tolerances& tolerances,
                                             std::span<const PodInfo> pods, std::span<const PodMetricSample> samples,
                                             bool cpu, const PodReadinessRules& rules, SimTime now) {
  if (pods.empty()) return failure("no pods returned by selector while calculating replica count");
  ReplicaCalcResult r;
  r.groups = group_pods(pods, samples, cpu, rules, now);
  remove_metrics_for_pods(metrics, r.groups.ignored);
  remove_metrics_for_pods(metrics, r.groups.unready);
  if (metrics.empty()) return failure("did not receive metrics for targeted pods (pods might be unready)");

  double usage_ratio = 0;
  int64_t usage = 0;
  metric_usage_ratio(metrics, target_usage, usage_ratio, usage);
  r.ok = true;
  r.usage_milli = usage;
  r.utilization_percent.reset();

  if (settled_by_ready_pods(r, tolerances, usage_ratio, current_replicas)) return r;
  const bool scale_up_with_unready = !r.groups.unready.empty() && usage_ratio > 1.0;
  if (!r.groups.missing.empty()) {
    if (usage_ratio < 1.0) {
      for (const std::string& p : r.groups.missing) metrics[p] = SampleValue{target_usage, {}, {}};
    } else if (usage_ratio > 1.0) {
      for (const std::string& p : r.groups.missing) metrics[p] = SampleValue{0, {}, {}};
    }
  }
  if (scale_up_with_unready) {
    for (const std::string& p : r.groups.unready) metrics[p] = SampleValue{0, {}, {}};
  }
  double new_usage_ratio = 0;
  int64_t ignored_usage = 0;
  metric_usage_ratio(metrics, target_usage, new_usage_ratio, ignored_usage);
  return settle_after_filling(r, tolerances, usage_ratio, new_usage_ratio, metrics.size(), current_replicas);
}

/// getReadyPodsCount: pods with phase Running and Ready=True.
int64_t ready_pods_count(std::span<const PodInfo> pods) {
  int64_t n = 0;
  for (const PodInfo& p : pods) {
    if (p.phase == PodPhase::kRunning && is_pod_ready(p)) ++n;
  }
  return n;
}

/// getUsageRatioReplicaCount.
ReplicaCalcResult usage_ratio_replica_count(int32_t current_replicas, double usage_ratio,
                                            const Tolerances& tolerances, std::span<const PodInfo> pods) {
  ReplicaCalcResult r;
  r.ok = true;
  if (current_replicas != 0) {
    if (tolerances.is_within(usage_ratio)) {
      r.replicas = current_replicas;
      r.rule = "within tolerance";
      return r;
    }
    if (pods.empty()) {
      return failure("unable to calculate ready pods: no pods returned by selector while calculating replica count");
    }
    const double replicas = usage_ratio * static_cast<double>(ready_pods_count(pods));
    r.replicas = replicas > static_cast<double>(kMaxInt32) ? kMaxInt32 : ceil_to_int32(replicas);
    r.rule = "scaled by ready pods";
  } else {
    r.replicas = ceil_to_int32(usage_ratio);  // scale from zero: no tolerance, no pod count
    r.rule = "scale from zero";
  }
  return r;
}

/// Sum with the Go code's positive-overflow cap at MaxInt64.
int64_t saturating_sum(std::span<const int64_t> values) {
  int64_t usage = 0;
  for (int64_t v : values) {
    int64_t next = 0;
    if (__builtin_add_overflow(usage, v, &next)) return kMaxInt64;
    usage = next;
  }
  return usage;
}

}  // namespace

PodGroups group_pods(std::span<const PodInfo> pods, std::span<const PodMetricSample> samples, bool cpu,
                     const PodReadinessRules& rules, SimTime now) {
  const PodMetricsInfo metrics = to_metrics_info(samples);
  PodGroups g;
  for (const PodInfo& pod : pods) {
    if (pod.deleting || pod.phase == PodPhase::kFailed) {
      g.ignored.push_back(pod.name);
      continue;
    }
    if (pod.phase == PodPhase::kPending) {
      g.unready.push_back(pod.name);
      continue;
    }
    const auto it = metrics.find(pod.name);
    if (it == metrics.end()) {
      g.missing.push_back(pod.name);
      continue;
    }
    if (cpu) {
      bool unready = false;
      if (!pod.ready.has_value() || !pod.start_time.has_value()) {
        unready = true;
      } else if (*pod.start_time + rules.cpu_initialization_period > now) {
        // Still initializing: ignore the sample unless the pod is ready and a full metric window
        // was collected after it became ready.
        unready = pod.ready->status == ConditionStatus::kFalse ||
                  it->second.timestamp < pod.ready->last_transition_time + it->second.window;
      } else {
        // After initialization: ignore only a pod that is unready and has never been ready.
        unready = pod.ready->status == ConditionStatus::kFalse &&
                  *pod.start_time + rules.initial_readiness_delay > pod.ready->last_transition_time;
      }
      if (unready) {
        g.unready.push_back(pod.name);
        continue;
      }
    }
    ++g.ready_count;
  }
  return g;
}

ReplicaCalcResult get_resource_replicas(int32_t current_replicas, int32_t target_utilization,
                                        ResourceName resource, const Tolerances& tolerances,
                                        std::span<const PodInfo> pods, std::span<const PodMetricSample> samples,
                                        const PodReadinessRules& rules, SimTime now) {
  if (samples.empty()) {
    return failure(std::string("unable to get metrics for resource ") + resource_string(resource) +
                   ": no metrics returned from resource metrics API");
  }
  if (pods.empty()) return failure("no pods returned by selector while calculating replica count");

  PodMetricsInfo metrics = to_metrics_info(samples);
  ReplicaCalcResult r;
  r.timestamp = samples.front().timestamp;
  r.groups = group_pods(pods, samples, resource == ResourceName::kCpu, rules, now);
  remove_metrics_for_pods(metrics, r.groups.ignored);
  remove_metrics_for_pods(metrics, r.groups.unready);
  if (metrics.empty()) return failure("did not receive metrics for targeted pods (pods might be unready)");

  std::map<std::string, int64_t> requests;  // calculateRequests: every listed pod needs a request
  for (const PodInfo& p : pods) {
    const std::optional<int64_t>& req = resource == ResourceName::kCpu ? p.cpu_request_milli : p.memory_request_milli;
    if (!req.has_value()) {
      return failure(std::string("missing request for ") + resource_string(resource) + " in container of Pod " + p.name);
    }
    requests[p.name] = *req;
  }

  UtilizationRatio first;
  std::string error;
  if (!resource_utilization_ratio(metrics, requests, target_utilization, first, error)) return failure(error);
  r.ok = true;
  r.utilization_percent = first.utilization;
  r.usage_milli = first.raw_average;
  const double usage_ratio = first.ratio;

  if (settled_by_ready_pods(r, tolerances, usage_ratio, current_replicas)) return r;
  const bool scale_up_with_unready = !r.groups.unready.empty() && usage_ratio > 1.0;
  if (!r.groups.missing.empty()) {
    if (usage_ratio < 1.0) {
      // Scale-down: a missing pod uses 100 % of its request, or the target if that is higher.
      const int64_t fallback_utilization = std::max<int64_t>(100, target_utilization);
      for (const std::string& p : r.groups.missing) {
        metrics[p] = SampleValue{requests[p] * fallback_utilization / 100, {}, {}};
      }
    } else if (usage_ratio > 1.0) {
      for (const std::string& p : r.groups.missing) metrics[p] = SampleValue{0, {}, {}};
    }
  }
  if (scale_up_with_unready) {
    for (const std::string& p : r.groups.unready) metrics[p] = SampleValue{0, {}, {}};
  }
  UtilizationRatio second;
  if (!resource_utilization_ratio(metrics, requests, target_utilization, second, error)) return failure(error);
  const double new_usage_ratio = second.ratio;
  return settle_after_filling(r, tolerances, usage_ratio, new_usage_ratio, metrics.size(), current_replicas);
}

ReplicaCalcResult get_raw_resource_replicas(int32_t current_replicas, int64_t target_usage_milli,
                                            ResourceName resource, const Tolerances& tolerances,
                                            std::span<const PodInfo> pods, std::span<const PodMetricSample> samples,
                                            const PodReadinessRules& rules, SimTime now) {
  if (samples.empty()) {
    return failure(std::string("unable to get metrics for resource ") + resource_string(resource) +
                   ": no metrics returned from resource metrics API");
  }
  ReplicaCalcResult r = calc_plain_metric_replicas(to_metrics_info(samples), current_replicas, target_usage_milli,
                                                   tolerances, pods, samples, resource == ResourceName::kCpu, rules, now);
  if (r.ok) r.timestamp = samples.front().timestamp;
  return r;
}

ReplicaCalcResult get_metric_replicas(int32_t current_replicas, int64_t target_usage_milli,
                                      const Tolerances& tolerances, std::span<const PodInfo> pods,
                                      std::span<const PodMetricSample> samples, const PodReadinessRules& rules,
                                      SimTime now) {
  if (samples.empty()) return failure("unable to get metric: no metrics returned from custom metrics API");
  ReplicaCalcResult r = calc_plain_metric_replicas(to_metrics_info(samples), current_replicas, target_usage_milli,
                                                   tolerances, pods, samples, /*cpu=*/false, rules, now);
  if (r.ok) r.timestamp = samples.front().timestamp;
  return r;
}

ReplicaCalcResult get_object_metric_replicas(int32_t current_replicas, int64_t target_usage_milli,
                                             const Tolerances& tolerances, int64_t usage_milli, SimTime timestamp,
                                             std::span<const PodInfo> pods) {
  const double usage_ratio = static_cast<double>(usage_milli) / static_cast<double>(target_usage_milli);
  ReplicaCalcResult r = usage_ratio_replica_count(current_replicas, usage_ratio, tolerances, pods);
  if (r.ok) {
    r.usage_milli = usage_milli;
    r.timestamp = timestamp;
  }
  return r;
}

ReplicaCalcResult get_object_per_pod_metric_replicas(int32_t status_replicas, int64_t target_average_usage_milli,
                                                     const Tolerances& tolerances, int64_t usage_milli,
                                                     SimTime timestamp) {
  ReplicaCalcResult r;
  r.ok = true;
  r.timestamp = timestamp;
  r.replicas = status_replicas;
  const double usage = static_cast<double>(usage_milli);
  const double target = static_cast<double>(target_average_usage_milli);
  // status.replicas == 0 gives +Inf or NaN here: never within tolerance, as in Go.
  const double usage_ratio = usage / (target * static_cast<double>(status_replicas));
  r.rule = "within tolerance";
  if (!tolerances.is_within(usage_ratio)) {
    r.replicas = ceil_to_int32(usage / target);
    r.rule = "scaled by total / target per pod";
  }
  // Status average = ceil(usage / status.replicas); with no replicas report the total instead of
  // Go's undefined int64(+Inf).
  r.usage_milli = status_replicas == 0 ? usage_milli
                                       : static_cast<int64_t>(std::ceil(usage / static_cast<double>(status_replicas)));
  return r;
}

ReplicaCalcResult get_external_metric_replicas(int32_t current_replicas, int64_t target_usage_milli,
                                               const Tolerances& tolerances, std::span<const int64_t> values_milli,
                                               SimTime timestamp, std::span<const PodInfo> pods) {
  const int64_t usage = saturating_sum(values_milli);
  const double usage_ratio = static_cast<double>(usage) / static_cast<double>(target_usage_milli);
  ReplicaCalcResult r = usage_ratio_replica_count(current_replicas, usage_ratio, tolerances, pods);
  if (r.ok) {
    r.usage_milli = usage;
    r.timestamp = timestamp;
  }
  return r;
}

ReplicaCalcResult get_external_per_pod_metric_replicas(int32_t status_replicas, int64_t target_usage_per_pod_milli,
                                                       const Tolerances& tolerances,
                                                       std::span<const int64_t> values_milli, SimTime timestamp) {
  const int64_t usage = saturating_sum(values_milli);
  ReplicaCalcResult r;
  r.ok = true;
  r.timestamp = timestamp;
  r.replicas = status_replicas;
  const double usage_ratio = static_cast<double>(usage) /
                             (static_cast<double>(target_usage_per_pod_milli) * static_cast<double>(status_replicas));
  r.rule = "within tolerance";
  if (!tolerances.is_within(usage_ratio)) {
    const double result = std::ceil(static_cast<double>(usage) / static_cast<double>(target_usage_per_pod_milli));
    r.replicas = result > static_cast<double>(kMaxInt32) ? kMaxInt32 : ceil_to_int32(result);
    r.rule = "scaled by total / target per pod";
  }
  if (static_cast<double>(usage) >= static_cast<double>(kMaxInt64) || status_replicas == 0) {
    r.usage_milli = status_replicas == 0 ? usage : kMaxInt64;
  } else {
    r.usage_milli = static_cast<int64_t>(std::ceil(static_cast<double>(usage) / static_cast<double>(status_replicas)));
  }
  return r;
}

}  // namespace kubemind::control
