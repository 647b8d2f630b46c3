// SPDX-License-Identifier: MIT
#pragma once
// The cluster: nodes in node pools, a scheduler, the pod lifecycle with every cold-start stage timed,
// Deployments (ReplicaSet + rolling update), the endpoints controller, a Cluster Autoscaler and spot
// interruptions. Depends on the engine only; the rest of the world hears about pods through
// PodLifecycleListener.
//
// Pod lifecycle (times in simulated ns; every stage length is configured in PodSpec / NodePoolConfig):
//   created -> Pending (scheduler finds no node; the CA may start a node: "node provisioning")
//   -> bound; the kubelet admits the pod `scheduling_latency` later (time B)
//   -> image pull: image_size / pool bandwidth, 0 if the node has the image; pulls on a node are
//      serialised (kubelet serializeImagePulls true), a pull of an image already being pulled waits for it
//   -> [InitContainer weight load] -> container start (time C; pod phase Running)
//   -> [in-process weight load] -> warm-up -> app up (time U)
//   -> Ready at the first readiness probe that finds the app up. The kubelet's probe worker is created
//      at pod admission and probes at once, then every periodSeconds (pkg/kubelet/prober/worker.go
//      run()), so probes fall at B + k*period; a probe is skipped while the container has run less than
//      initialDelaySeconds (doProbe). Ready = first B + k*period >= max(U, C + initialDelay), plus
//      (successThreshold - 1) periods. Without a probe: Ready at C.
//   -> the endpoints controller publishes the endpoint endpoint_publish_delay after Ready.
// Deletion: the pod turns terminating at once (not Ready, not counted by its ReplicaSet); its
// endpoint is removed endpoint_publish_delay later; SIGTERM after the preStop sleep; the pod is gone
// when the app exits (DrainMode) or at terminationGracePeriodSeconds after deletion (SIGKILL),
// whichever is first. A pod whose container never started is gone at once. Resources are held until
// gone.
//
// Node failure (fail_node, fail_zone: the machine loses power; rules in cluster.cc, "node failure"):
//   at the failure instant (F) every pod bound to the node is unreachable (on_pod_unreachable: no RST,
//   no GOAWAY, no SIGTERM) and makes no further progress; the node still looks Ready, so the scheduler
//   may bind new pods to it (they never start). At the first node-monitor tick after the last observed
//   heartbeat + node_monitor_grace_period (N) the node is Ready=Unknown: its pods are marked not Ready
//   (endpoints removed endpoint_publish_delay later) and it is tainted unreachable:NoSchedule; the
//   unreachable:NoExecute taint follows (rate-limited per zone), and each pod is deleted when its
//   toleration runs out (default 300 s). Such pods stay Terminating for ever (the kubelet that would
//   confirm them gone is dead): on_pod_sigterm and on_pod_gone never fire for a pod on a failed node.
//   Their ReplicaSet no longer counts them, so replacements are created at eviction.
//
// ResourceQuota admission (ClusterConfig::quotas; rules in deployment.cc, "ResourceQuota"): a pod of a
// namespace with quotas is created only if every quota still holds with it; otherwise the create is
// refused (stats().quota_rejections) and the ReplicaSet retries at its next sync.
//
// The rules and simplifications of each part are written where it is implemented: scheduler
// (scheduler.cc, top), Cluster Autoscaler scale-up and scale-down (cluster.cc), Deployment and
// ReplicaSet controllers (deployment.cc, top).
// Events: the cluster schedules its own periodic work only while it can matter (see cluster.cc); with
// pods that can never be placed the CA keeps scanning, so drive the simulator with run_until().
//
// Determinism: no randomness; all iteration is over vectors in id order; ties are broken by the rule
// written at each decision.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/cluster/cluster_types.h"
#include "sim/engine/simulator.h"

namespace kubemind::cluster {

/// Where a pod is in its life. kPending covers "waiting for a node" including node provisioning.
enum class PodStage : uint8_t {
  kPending,
  kAdmitting,  // bound, waiting for the kubelet (scheduling_latency)
  kImagePull,
  kInitWeightLoad,
  kContainerStart,
  kWeightLoad,
  kWarmUp,
  kRunning,  // app up (Ready or waiting for the probe; see Pod::ready)
  kTerminating,
  kGone
};

/// Absolute times of a pod's milestones; kNever where not (yet) reached.
struct PodTimeline {
  static constexpr SimTime kNever = SimTime::max();
  SimTime created = kNever;
  SimTime unschedulable = kNever;         // first failed scheduling attempt
  SimTime provisioning_started = kNever;  // the CA started (or counted) a node for this pod
  SimTime bound = kNever;
  SimTime admitted = kNever;              // kubelet starts work: probe ticks are aligned here
  SimTime image_pulled = kNever;
  SimTime init_done = kNever;             // InitContainer weight load done
  SimTime container_started = kNever;
  SimTime weights_loaded = kNever;
  SimTime app_up = kNever;                // warm-up done
  SimTime ready = kNever;
  SimTime endpoint_published = kNever;
  SimTime deleted = kNever;
  SimTime sigterm = kNever;
  SimTime endpoint_removed = kNever;
  SimTime gone = kNever;
};

/// Time spent in each cold-start stage (for the report); zero for stages the pod skipped.
struct ColdStartBreakdown {
  Duration pending;            // created -> bound, minus node_provisioning
  Duration node_provisioning;  // provisioning_started -> bound
  Duration admission;          // bound -> admitted (scheduling_latency)
  Duration image_pull;
  Duration weight_load;        // InitContainer or in-process
  Duration container_start;
  Duration warm_up;
  Duration readiness_wait;     // app up -> Ready (probe alignment); 0 when Ready before the app is up
  Duration endpoint_publish;   // Ready -> endpoint published
  Duration to_ready;           // created -> Ready
};

struct Node {
  NodeId id{};
  uint32_t pool = 0;
  std::string name;
  std::vector<Label> labels;  // sorted by key
  std::vector<Taint> taints;
  Resources allocatable;
  Resources used;              // requests of bound pods that are not gone
  std::vector<PodId> pods;     // bound, not gone, in bind order
  bool ready = false;          // registered and schedulable
  bool cordoned = false;       // spot notice received, or drained by the Cluster Autoscaler
  bool draining = false;       // Cluster Autoscaler scale-down: removed once its last pod is gone
  bool removed = false;
  bool failed = false;         // fail_node: the machine is gone (kubelet and every process on it)
  bool not_ready = false;      // node lifecycle controller set Ready=Unknown and tainted it unreachable
  SimTime unneeded_since = SimTime::max();  // Cluster Autoscaler scale-down candidate since
  SimTime requested_at{};      // VM billed from here
  SimTime ready_at = PodTimeline::kNever;
  SimTime removed_at = PodTimeline::kNever;
  SimTime failed_at = PodTimeline::kNever;
  SimTime not_ready_at = PodTimeline::kNever;         // Ready=Unknown, unreachable:NoSchedule taint
  SimTime no_execute_tainted_at = PodTimeline::kNever;  // unreachable:NoExecute taint
  SimTime pull_busy_until{};   // serialised image puller
  std::vector<std::pair<std::string, SimTime>> images;  // image -> present from (sorted by name)

  /// The label's value, or nullptr.
  const std::string* label(const std::string& key) const;
};

struct Pod {
  PodId id{};
  uint32_t spec = 0;  // index into Cluster::spec()
  int32_t deployment = -1;
  int32_t replica_set = -1;
  uint64_t seq = 0;   // creation order
  PodStage stage = PodStage::kPending;
  bool ready = false;
  bool endpoint_published = false;
  bool deletion_requested = false;
  bool warm = false;  // was running before the run started (Cluster::warm_start): no cold start
  NodeId node = kNoNode;
  NodeId nominated = kNoNode;  // preemption victims are terminating on this node for us
  Duration grace{};            // this deletion's grace period
  PodTimeline t;
  engine::EventHandle stage_event;
  engine::EventHandle ready_event;
  engine::EventHandle endpoint_event;
  engine::EventHandle sigterm_event;
  engine::EventHandle kill_event;

  bool terminating_or_gone() const { return stage == PodStage::kTerminating || stage == PodStage::kGone; }
  bool bound() const { return node != kNoNode; }
};

/// How the rest of the world hears about pods. All callbacks run inside simulator events, after the
/// cluster's state is consistent. A listener may create and delete pods, report a pod idle and change
/// Deployments from a callback; it must not add nodes from one (schedule an event instead).
class PodLifecycleListener {
 public:
  virtual ~PodLifecycleListener() = default;
  virtual void on_pod_created(PodId) {}
  virtual void on_pod_started(PodId) {}           // container running (the server process exists)
  virtual void on_pod_ready(PodId) {}
  virtual void on_endpoint_published(PodId) {}    // balancers may now learn it
  virtual void on_pod_terminating(PodId) {}       // deletionTimestamp set
  virtual void on_endpoint_removed(PodId) {}      // balancers should stop sending new work
  virtual void on_pod_sigterm(PodId) {}           // the app starts draining
  virtual void on_pod_gone(PodId) {}              // process killed / exited: connections reset
  /// Its node failed (at the failure instant; or at binding, for a pod bound to a failed node before
  /// the node was found NotReady). The process, if any, is black-holed: it neither answers nor resets
  /// connections. on_pod_sigterm and on_pod_gone never follow; on_endpoint_removed and
  /// on_pod_terminating do, when the node lifecycle controller acts.
  virtual void on_pod_unreachable(PodId) {}
};

struct DeploymentStatus {
  int32_t replicas = 0;    // desired
  int32_t pods = 0;        // not terminating, not gone (what maxSurge bounds)
  int32_t updated = 0;     // of those, on the current template
  int32_t ready = 0;       // ready and not terminating (minReadySeconds 0: available = ready)
  int32_t terminating = 0;
  uint64_t quota_rejections = 0;  // pod creations of this Deployment refused by ResourceQuota
};

/// One ResourceQuota's status (status.used against spec.hard), as of now.
struct QuotaStatus {
  Resources used;        // requests of the namespace's pods that count (Cluster::counts_for_quota)
  int64_t pods = 0;      // those pods
  uint64_t rejections = 0;  // pod creations this quota refused (one refused pod may count in several)
};

/// Usage of one node pool up to now: node-hours from each node's request to its removal.
struct PoolUsage {
  double node_hours = 0.0;
  double gpu_hours = 0.0;
  double cost_usd = 0.0;
};

struct ClusterStats {
  uint64_t pods_created = 0;
  uint64_t preemptions = 0;        // victims evicted
  uint64_t scale_ups = 0;          // CA decisions
  uint64_t nodes_provisioned = 0;  // by the CA
  uint64_t spot_interruptions = 0;
  uint64_t nodes_scaled_down = 0;  // removed by the CA
  uint64_t nodes_failed = 0;       // fail_node / fail_zone
  uint64_t pods_evicted_unreachable = 0;  // deleted by taint eviction (unreachable:NoExecute)
  uint64_t quota_rejections = 0;   // pod creations refused by ResourceQuota admission
};

class Cluster {
 public:
  Cluster(engine::Simulator& sim, ClusterConfig config);
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  /// Listeners are called in registration order.
  void add_listener(PodLifecycleListener* listener) { listeners_.push_back(listener); }

  // --- nodes --------------------------------------------------------------------------------------
  /// Adds a node of pool `pool`, Ready after `delay` (0: now). Called for initial_nodes at construction.
  NodeId add_node(uint32_t pool, Duration delay);
  size_t node_count() const { return nodes_.size(); }
  const Node& node(NodeId id) const { return nodes_[index_of(id)]; }
  /// Nodes of `pool` that are not removed (Ready or provisioning).
  int32_t pool_size(uint32_t pool) const;
  /// Spot interruption fault: at `notice_at` the node is cordoned and its pods deleted with a grace
  /// period of min(their own, the pool's spot_notice); at notice_at + spot_notice the node is gone and
  /// any pod still on it is killed.
  void schedule_spot_interruption(NodeId id, SimTime notice_at);
  /// Node failure fault, effective now: the machine loses power (see the top of this file). No-op for
  /// a node already failed or removed. A node still provisioning never turns Ready.
  void fail_node(NodeId id);
  /// fail_node for every node (not removed) whose pool is in `zone`, in node id order. No-op when the
  /// zone has no node.
  void fail_zone(const std::string& zone);
  /// The `index`-th node added to the pool named `pool` (0-based, in the order the pool's nodes were
  /// added, removed ones included: the addressing spot interruptions use); kNoNode if there is none.
  NodeId node_of_pool(const std::string& pool, int32_t index) const;

  // --- pods ---------------------------------------------------------------------------------------
  /// A bare pod (no controller). kNoPod if ResourceQuota admission refuses it (no retry: nothing
  /// owns it).
  PodId create_pod(const PodSpec& spec);
  /// The run starts in steady state: every pod bound to a node and not yet Ready is made running,
  /// Ready and published now, as if it had been running before (image on the node, weights loaded,
  /// probes passed); listeners hear on_pod_started (unless already told), on_pod_ready and
  /// on_endpoint_published. Pods no node fits stay Pending. Call after run_until(now), so that the
  /// Deployment controller and the scheduler have acted on what was created.
  void warm_start();
  /// Deletes with the pod's own grace period. No-op if already terminating or gone.
  void delete_pod(PodId id);
  /// The server of a terminating pod has no work left (DrainMode kUntilIdle): the app exits.
  /// Ignored before SIGTERM is delivered and for other drain modes.
  void notify_pod_idle(PodId id);
  size_t pod_count() const { return pods_.size(); }
  const Pod& pod(PodId id) const { return pods_[index_of(id)]; }
  const PodSpec& spec_of(PodId id) const { return specs_[pods_[index_of(id)].spec]; }
  ColdStartBreakdown cold_start_breakdown(PodId id) const;

  // --- Deployments --------------------------------------------------------------------------------
  DeploymentId create_deployment(const DeploymentSpec& spec);
  /// The scale subresource (what HPA/KEDA write).
  void set_replicas(DeploymentId id, int32_t replicas);
  /// A new pod template: starts a rolling update to a new ReplicaSet.
  void update_template(DeploymentId id, const PodSpec& pod);
  DeploymentStatus deployment_status(DeploymentId id) const;
  /// Pods of the Deployment that are not gone, by id.
  std::vector<PodId> pods_of(DeploymentId id) const;
  /// (maxSurge, maxUnavailable) resolved as the Deployment controller does (ResolveFenceposts).
  static std::pair<int32_t, int32_t> resolve_fenceposts(const DeploymentSpec& spec, int32_t replicas);

  // --- accounting -----------------------------------------------------------------------------------
  /// Node-hours x hourly price of every node, from its request to removal (or now).
  double cost_usd() const;
  double gpu_hours() const;
  /// Per pool, in configuration order.
  std::vector<PoolUsage> pool_usage() const;
  const ClusterStats& stats() const { return stats_; }
  /// Per entry of config().quotas, in that order.
  std::vector<QuotaStatus> quota_status() const;
  /// Does the pod count against its namespace's quotas now? (QuotaV1Pod; see deployment.cc)
  bool counts_for_quota(const Pod& p) const;
  const ClusterConfig& config() const { return config_; }

 private:
  struct ReplicaSet {
    uint32_t deployment = 0;
    uint32_t spec = 0;
    int32_t replicas = 0;  // spec.replicas
    uint64_t seq = 0;      // creation order (older first when scaling old sets down)
  };
  struct Deployment {
    DeploymentSpec spec;           // spec.pod is the current template
    std::vector<uint32_t> replica_sets;
    uint32_t current = 0;          // index into replica_sets_
    uint64_t quota_rejections = 0;
  };

  PodId new_pod(uint32_t spec, int32_t deployment, int32_t replica_set);
  void request_scheduling();
  void request_sync();

  // Event handlers (arg = pod, node or unused).
  void on_scheduling_pass(uint64_t);
  void on_admitted(uint64_t pod);
  void on_stage_done(uint64_t pod);
  void on_ready(uint64_t pod);
  void on_endpoint_event(uint64_t pod);
  void on_sigterm(uint64_t pod);
  void on_kill(uint64_t pod);
  void on_node_ready(uint64_t node);
  void on_spot_notice(uint64_t node);
  void on_node_removed(uint64_t node);
  void on_node_not_ready(uint64_t node);
  void on_node_no_execute_taint(uint64_t node);
  void on_taint_eviction(uint64_t pod);
  void schedule_taint_eviction(Pod& p);
  void unreachable_bound(Pod& p);  // p was just bound to a failed node
  void on_autoscaler_scan(uint64_t);
  void on_sync(uint64_t);
  void on_quota_expiry(uint64_t pod);  // a stuck-terminating pod stopped counting against quota
  /// ResourceQuota admission of a pod of `spec`: true if every quota of its namespace admits it;
  /// otherwise counts the refusal (against `deployment` if >= 0) and returns false.
  bool quota_admits(const PodSpec& spec, int32_t deployment);
  void schedule_scan();
  bool scale_down();  // returns whether any node is a scale-down candidate
  bool pods_movable(const Node& n, std::vector<Resources>& free, const std::vector<bool>& leaving) const;
  Node make_node(uint32_t pool, uint32_t index) const;

  void enter_stage(Pod& p, PodStage stage, Duration length);
  void container_started(Pod& p);
  void app_up(Pod& p);
  void delete_with_grace(Pod& p, Duration grace);
  void make_gone(Pod& p);
  SimTime image_ready_time(Node& n, const PodSpec& spec);

  // Scheduler (scheduler.cc).
  void schedule_pending();
  bool static_fit(const PodSpec& spec, const Node& n) const;  // taints and required affinity
  bool spread_fit(const Pod& p, const Node& n) const;
  Resources nominated_reserved(const Node& n, const Pod& p) const;
  int64_t score(const Node& n, const Resources& req) const;
  bool try_preempt(Pod& p);
  void bind(Pod& p, Node& n);

  // Deployment controller (deployment.cc).
  bool sync_deployment(uint32_t d);
  bool sync_replica_set(uint32_t rs);
  int32_t available_of(uint32_t rs) const;
  int32_t active_of(uint32_t rs) const;

  template <class F>
  void notify(F f, PodId id) {
    for (PodLifecycleListener* l : listeners_) (l->*f)(id);
  }

  engine::Simulator& sim_;
  ClusterConfig config_;
  std::vector<PodLifecycleListener*> listeners_;
  std::vector<Node> nodes_;
  std::vector<Pod> pods_;
  std::vector<PodSpec> specs_;
  std::vector<Deployment> deployments_;
  std::vector<ReplicaSet> replica_sets_;
  std::vector<std::vector<uint32_t>> pool_nodes_;  // node indices per pool
  std::vector<Node> templates_;                    // one template node per pool (CA simulation)
  bool scan_scheduled_ = false;
  SimTime last_scale_up_ = SimTime::max();
  /// Per zone: when its NoExecute tainter's token bucket next has a token (node lifecycle controller).
  std::vector<std::pair<std::string, SimTime>> zone_next_taint_;
  std::vector<uint32_t> nominated_;  // pending pods with a nominated node (rebuilt each scheduling pass)
  uint64_t next_seq_ = 0;
  bool scheduling_requested_ = false;
  bool sync_requested_ = false;
  ClusterStats stats_;
  std::vector<uint64_t> quota_rejections_;  // per config_.quotas entry
};

/// Does `toleration` tolerate `taint`? (core/v1 Toleration.ToleratesTaint)
bool tolerates(const Toleration& toleration, const Taint& taint);
/// Does the node's label set satisfy the pod's required node affinity?
bool matches_affinity(const std::vector<NodeSelectorTerm>& terms, const Node& node);

}  // namespace kubemind::cluster
