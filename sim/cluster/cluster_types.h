// SPDX-License-Identifier: MIT
#pragma once
// Plain configuration and identity types of the cluster layer: node pools, pod specs, Deployments.
// What is modelled: the Kubernetes objects (and the fields of them) that decide where a pod runs and
// how long it takes to become useful. Units: CPU in millicores, memory and images in bytes, bandwidth
// in bytes per second, times as engine::Duration. Defaults are the real systems' defaults (source on
// each line); where Kubernetes has no default (stage times of an application) the value is a typical
// figure from reference/autoscalers.md section 4.2 and says so.
// Invariants (checked by the scenario layer, trusted here): sizes and bandwidths > 0 where used,
// max_nodes >= initial_nodes, priorities in int32, percentages in [0, 100].

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sim/engine/time.h"

namespace kubemind::cluster {

using engine::Duration;
using engine::SimTime;

/// Strong ids: entities live in vectors indexed by these, in creation order (never reused).
enum class NodeId : uint32_t {};
enum class PodId : uint32_t {};
enum class DeploymentId : uint32_t {};
inline constexpr NodeId kNoNode{UINT32_MAX};
/// What Cluster::create_pod returns when the API server refuses the pod (ResourceQuota admission).
inline constexpr PodId kNoPod{UINT32_MAX};
inline constexpr uint32_t index_of(NodeId id) { return static_cast<uint32_t>(id); }
inline constexpr uint32_t index_of(PodId id) { return static_cast<uint32_t>(id); }
inline constexpr uint32_t index_of(DeploymentId id) { return static_cast<uint32_t>(id); }

/// Well-known node label keys (kubernetes.io/docs/reference/labels-annotations-taints/).
inline constexpr const char* kZoneLabel = "topology.kubernetes.io/zone";
inline constexpr const char* kHostnameLabel = "kubernetes.io/hostname";
/// NVIDIA GPU feature discovery's product label.
inline constexpr const char* kGpuProductLabel = "nvidia.com/gpu.product";
/// The pool a node belongs to (cloud providers use their own key, e.g. cloud.google.com/gke-nodepool).
inline constexpr const char* kNodePoolLabel = "kubemind.io/node-pool";
/// "spot" or "on-demand" (Karpenter's karpenter.sh/capacity-type values).
inline constexpr const char* kCapacityTypeLabel = "karpenter.sh/capacity-type";

using Label = std::pair<std::string, std::string>;

/// A resource amount: what a node offers (allocatable) or a pod requests.
struct Resources {
  int64_t cpu_millicores = 0;
  int64_t memory_bytes = 0;
  int64_t gpus = 0;  // nvidia.com/gpu, whole devices

  Resources& operator+=(const Resources& o) {
    cpu_millicores += o.cpu_millicores;
    memory_bytes += o.memory_bytes;
    gpus += o.gpus;
    return *this;
  }
  Resources& operator-=(const Resources& o) {
    cpu_millicores -= o.cpu_millicores;
    memory_bytes -= o.memory_bytes;
    gpus -= o.gpus;
    return *this;
  }
  /// Every component of *this fits within `capacity`.
  bool fits_in(const Resources& capacity) const {
    return cpu_millicores <= capacity.cpu_millicores && memory_bytes <= capacity.memory_bytes &&
           gpus <= capacity.gpus;
  }
};

enum class TaintEffect : uint8_t { kNoSchedule, kPreferNoSchedule, kNoExecute };

struct Taint {
  std::string key;
  std::string value;
  TaintEffect effect = TaintEffect::kNoSchedule;
};

/// core/v1 Toleration. operator Exists with an empty key tolerates every taint; `any_effect` stands
/// for an empty `effect` field (matches every effect).
struct Toleration {
  enum class Operator : uint8_t { kEqual, kExists };
  std::string key;
  Operator op = Operator::kEqual;  // Kubernetes default operator is Equal
  std::string value;
  bool any_effect = true;
  TaintEffect effect = TaintEffect::kNoSchedule;
  /// tolerationSeconds (NoExecute taints only): how long the pod stays bound after a tolerated
  /// NoExecute taint appears; negative = unset (tolerated for ever); 0 = evicted at once.
  int64_t toleration_seconds = -1;
};

/// Taint the node lifecycle controller puts on a node whose Ready condition is Unknown (no heartbeat),
/// with effects NoSchedule and NoExecute (k8s.io/api/core/v1 TaintNodeUnreachable).
inline constexpr const char* kUnreachableTaintKey = "node.kubernetes.io/unreachable";

/// One matchExpressions entry of a required node affinity term.
struct NodeSelectorRequirement {
  enum class Operator : uint8_t { kIn, kNotIn, kExists, kDoesNotExist };
  std::string key;
  Operator op = Operator::kIn;
  std::vector<std::string> values;
};
/// The expressions of one nodeSelectorTerm are ANDed; the terms of a pod are ORed (core/v1 NodeSelector).
using NodeSelectorTerm = std::vector<NodeSelectorRequirement>;

/// topologySpreadConstraints entry. The label selector is "pods with the same `app`" (what a
/// Deployment's selector matches). ScheduleAnyway is a scoring preference, not modelled (see scheduler.h).
struct TopologySpreadConstraint {
  enum class WhenUnsatisfiable : uint8_t { kDoNotSchedule, kScheduleAnyway };
  int32_t max_skew = 1;
  std::string topology_key = kZoneLabel;
  WhenUnsatisfiable when_unsatisfiable = WhenUnsatisfiable::kDoNotSchedule;
};

/// core/v1 Probe fields that decide readiness timing (defaults: k8s API defaults, pkg/apis/core/v1/defaults.go).
struct ReadinessProbe {
  int32_t initial_delay_seconds = 0;
  int32_t period_seconds = 10;
  int32_t success_threshold = 1;
};

/// Where model weights are loaded: by an InitContainer before the main container starts, or by the
/// server process after it starts (then initialDelaySeconds runs concurrently with the load).
enum class WeightLoad : uint8_t { kInProcess, kInitContainer };

/// What the application does after SIGTERM.
enum class DrainMode : uint8_t {
  kUntilIdle,       // finishes in-flight work and exits when the server reports idle (Cluster::notify_pod_idle)
  kFullGracePeriod, // ignores SIGTERM; killed at terminationGracePeriodSeconds
  kExitImmediately  // exits at SIGTERM
};

/// The pod template: scheduling constraints plus the timed cold-start pipeline of the container.
struct PodSpec {
  std::string app;  // label app=<app>; topology spread counts pods with the same app
  std::string ns = "default";  // metadata.namespace: the ResourceQuotas that admit the pod
  Resources requests;
  int32_t priority = 0;  // PriorityClass value; 0 without a class (k8s default)
  std::vector<Toleration> tolerations;
  std::vector<NodeSelectorTerm> required_node_affinity;  // empty: any node
  std::vector<TopologySpreadConstraint> topology_spread;

  // Cold start. Image pull: image_size_bytes / node pool's pull bandwidth, zero if the node has it.
  std::string image = "inference-server";
  int64_t image_size_bytes = 0;
  Duration container_start = Duration::milliseconds(500);  // typical 0.1-1 s (autoscalers.md 4.2)
  int64_t weights_bytes = 0;
  double weight_load_bandwidth_bytes_per_s = 1e9;  // from object storage / PVC; application-specific
  WeightLoad weight_load = WeightLoad::kInProcess;
  Duration warm_up{};  // e.g. CUDA graph capture, first batches; application-specific
  bool has_readiness_probe = true;  // without one the pod is Ready as soon as its container runs
  ReadinessProbe readiness_probe;

  // Termination (core/v1 defaults).
  Duration termination_grace_period = Duration::seconds(30);  // terminationGracePeriodSeconds 30
  Duration pre_stop_sleep{};                                  // no preStop hook by default
  DrainMode drain = DrainMode::kUntilIdle;
};

/// A node pool = one Cluster Autoscaler node group: identical nodes in one zone.
struct NodePoolConfig {
  std::string name;
  std::string zone = "zone-a";
  std::string gpu_type;  // e.g. "NVIDIA-A100-SXM4-80GB"; empty for CPU nodes
  int32_t gpu_count = 0;
  int64_t allocatable_cpu_millicores = 8000;
  int64_t allocatable_memory_bytes = 32LL << 30;
  std::vector<Taint> taints;   // GPU pools usually carry nvidia.com/gpu=present:NoSchedule
  std::vector<Label> labels;   // extra labels; zone, pool, hostname, gpu product, capacity type are added
  bool spot = false;
  double hourly_price_usd = 0.0;
  int32_t initial_nodes = 0;  // Ready at t = 0
  int32_t min_nodes = 0;      // Cluster Autoscaler bound (node group min size): scale-down stops here
  int32_t max_nodes = 0;      // Cluster Autoscaler bound (node group max size)
  /// VM create to node Ready (kubelet registered, CNI up). "3 to 5 minutes" is typical (autoscalers.md 4.1).
  Duration provision_delay = Duration::seconds(240);
  double image_pull_bandwidth_bytes_per_s = 100e6;  // registry to node; seconds to ~1 min per image (4.2)
  std::vector<std::string> cached_images;           // pre-pulled in the node image
  /// Spot reclaim notice: AWS sends 2 minutes (EC2 spot instance interruption notice); GCP 30 s.
  Duration spot_notice = Duration::seconds(120);
};

/// Cluster Autoscaler flags (kubernetes/autoscaler cluster-autoscaler FAQ, "What are the parameters to CA?").
struct ClusterAutoscalerConfig {
  bool enabled = true;
  Duration scan_interval = Duration::seconds(10);  // --scan-interval 10s
  Duration new_pod_scale_up_delay{};                // --new-pod-scale-up-delay 0s
  bool scale_down_enabled = true;                            // --scale-down-enabled true
  Duration scale_down_unneeded_time = Duration::seconds(600);  // --scale-down-unneeded-time 10m
  Duration scale_down_delay_after_add = Duration::seconds(600);  // --scale-down-delay-after-add 10m
  double scale_down_utilization_threshold = 0.5;             // --scale-down-utilization-threshold 0.5
  double scale_down_gpu_utilization_threshold = 0.5;         // --scale-down-gpu-utilization-threshold 0.5
  Duration max_graceful_termination = Duration::seconds(600);  // --max-graceful-termination-sec 600
};

enum class ScoringStrategy : uint8_t {
  kLeastAllocated,  // NodeResourcesFit default (spread load)
  kMostAllocated    // bin packing, common on GPU clusters
};

/// core/v1 ResourceQuota, the part of spec.hard that bounds what pods request: each limit is on the
/// sum over the namespace's pods that count (Cluster::counts_for_quota); -1 = no limit on it. A pod
/// is admitted only if every quota of its namespace admits it (the API server's ResourceQuota
/// admission plugin, which checks all quotas that match; a refusal is HTTP 403 "exceeded quota").
struct ResourceQuota {
  std::string name;
  std::string ns = "default";
  int64_t cpu_millicores = -1;  // requests.cpu (alias cpu)
  int64_t memory_bytes = -1;    // requests.memory (alias memory)
  int64_t gpus = -1;            // requests.nvidia.com/gpu
  int64_t pods = -1;            // pods: the number of pods that count
};

struct ClusterConfig {
  std::vector<NodePoolConfig> pools;
  std::vector<ResourceQuota> quotas;  // in configuration order
  ClusterAutoscalerConfig autoscaler;
  ScoringStrategy scoring = ScoringStrategy::kLeastAllocated;
  /// Scheduler decision + bind + kubelet pod sync; ~10-100 ms per pod (autoscalers.md 4.2). 0 keeps
  /// cold-start arithmetic exact; scenarios set a typical value.
  Duration scheduling_latency{};
  /// Pod Ready (or deleted) to its EndpointSlice update being visible to watchers: API/watch latency
  /// ~10-100 ms, --endpointslice-updates-batch-period 0 (dataplane.md 1.5). kube-proxy's own
  /// minSyncPeriod belongs to the balancer.
  Duration endpoint_publish_delay = Duration::milliseconds(100);
  bool serialize_image_pulls = true;  // KubeletConfiguration serializeImagePulls default true

  // Node failure (Cluster::fail_node): the node lifecycle controller in kube-controller-manager
  // (pkg/controller/nodelifecycle) and the DefaultTolerationSeconds admission plugin.
  /// --node-monitor-period 5s: how often the controller checks node heartbeats.
  Duration node_monitor_period = Duration::seconds(5);
  /// --node-monitor-grace-period: no heartbeat for longer than this -> Ready=Unknown. 50s since
  /// Kubernetes v1.32 (kubernetes/kubernetes#126287, "increased to 50s (earlier 40s)"); 40s before.
  Duration node_monitor_grace_period = Duration::seconds(50);
  /// --node-eviction-rate 0.1: nodes per second per zone that get the unreachable:NoExecute taint
  /// (token bucket, burst 1: scheduler.EvictionRateLimiterBurst).
  double node_eviction_rate_per_s = 0.1;
  /// kube-apiserver --default-unreachable-toleration-seconds 300: tolerationSeconds of the
  /// unreachable:NoExecute toleration added to every pod without one (DefaultTolerationSeconds plugin).
  Duration default_unreachable_toleration = Duration::seconds(300);
};

/// An int-or-percent field (apps/v1 RollingUpdateDeployment).
struct IntOrPercent {
  int32_t value = 25;
  bool percent = true;
};

struct DeploymentSpec {
  std::string name;
  int32_t replicas = 1;  // apps/v1 default
  PodSpec pod;
  IntOrPercent max_surge{25, true};        // apps/v1 default 25%
  IntOrPercent max_unavailable{25, true};  // apps/v1 default 25%
};

}  // namespace kubemind::cluster
