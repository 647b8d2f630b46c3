// SPDX-License-Identifier: MIT
// Nodes, the pod lifecycle and cold-start pipeline, the endpoints controller, the Cluster Autoscaler,
// spot interruptions, node failure (node lifecycle controller, taint eviction) and cost accounting.
// The scheduler is in scheduler.cc, the Deployment and ReplicaSet controllers in deployment.cc.

#include "sim/cluster/cluster.h"

#include <algorithm>
#include <climits>

#include "sim/engine/check.h"

namespace kubemind::cluster {

namespace {

Duration transfer_time(int64_t bytes, double bytes_per_s) {
  if (bytes <= 0) return Duration{};
  return Duration::from_seconds(static_cast<double>(bytes) / bytes_per_s);
}

void set_label(std::vector<Label>& labels, const std::string& key, const std::string& value) {
  for (Label& l : labels) {
    if (l.first == key) {
      l.second = value;
      return;
    }
  }
  labels.emplace_back(key, value);
}

}  // namespace

const std::string* Node::label(const std::string& key) const {
  for (const Label& l : labels) {
    if (l.first == key) return &l.second;
  }
  return nullptr;
}

Cluster::Cluster(engine::Simulator& sim, ClusterConfig config) : sim_(sim), config_(std::move(config)) {
  pool_nodes_.resize(config_.pools.size());
  quota_rejections_.resize(config_.quotas.size());
  for (uint32_t pool = 0; pool < config_.pools.size(); ++pool) {
    templates_.push_back(make_node(pool, UINT32_MAX));
  }
  for (uint32_t pool = 0; pool < config_.pools.size(); ++pool) {
    for (int32_t i = 0; i < config_.pools[pool].initial_nodes; ++i) add_node(pool, Duration{});
  }
}

Node Cluster::make_node(uint32_t pool, uint32_t index) const {
  const NodePoolConfig& pc = config_.pools[pool];
  Node n;
  n.id = NodeId{index};
  n.pool = pool;
  n.name = pc.name + "-" + std::to_string(pool_nodes_[pool].size());
  n.labels = pc.labels;
  set_label(n.labels, kZoneLabel, pc.zone);
  set_label(n.labels, kNodePoolLabel, pc.name);
  set_label(n.labels, kHostnameLabel, n.name);
  set_label(n.labels, kCapacityTypeLabel, pc.spot ? "spot" : "on-demand");
  if (!pc.gpu_type.empty()) set_label(n.labels, kGpuProductLabel, pc.gpu_type);
  std::sort(n.labels.begin(), n.labels.end());
  n.taints = pc.taints;
  n.allocatable = Resources{pc.allocatable_cpu_millicores, pc.allocatable_memory_bytes, pc.gpu_count};
  for (const std::string& image : pc.cached_images) n.images.emplace_back(image, SimTime::zero());
  std::sort(n.images.begin(), n.images.end());
  n.ready = true;  // templates are schedulable by definition
  return n;
}

NodeId Cluster::add_node(uint32_t pool, Duration delay) {
  SIM_CHECK(pool < config_.pools.size(), "node pool index out of range");
  const uint32_t index = static_cast<uint32_t>(nodes_.size());
  Node n = make_node(pool, index);
  n.requested_at = sim_.now();
  n.ready = false;
  nodes_.push_back(std::move(n));
  pool_nodes_[pool].push_back(index);
  if (delay.ns == 0) {
    on_node_ready(index);
  } else {
    sim_.schedule_in<&Cluster::on_node_ready>(delay, this, index);
  }
  return NodeId{index};
}

int32_t Cluster::pool_size(uint32_t pool) const {
  int32_t count = 0;
  for (uint32_t i : pool_nodes_[pool]) count += nodes_[i].removed ? 0 : 1;
  return count;
}

void Cluster::on_node_ready(uint64_t node) {
  Node& n = nodes_[node];
  if (n.removed || n.failed) return;  // a machine lost while provisioning never registers
  n.ready = true;
  n.ready_at = sim_.now();
  request_scheduling();
  if (config_.autoscaler.scale_down_enabled) schedule_scan();
}

// --- pods ---------------------------------------------------------------------------------------

PodId Cluster::create_pod(const PodSpec& spec) {
  if (!quota_admits(spec, -1)) return kNoPod;
  specs_.push_back(spec);
  return new_pod(static_cast<uint32_t>(specs_.size() - 1), -1, -1);
}

PodId Cluster::new_pod(uint32_t spec, int32_t deployment, int32_t replica_set) {
  const PodId id{static_cast<uint32_t>(pods_.size())};
  Pod p;
  p.id = id;
  p.spec = spec;
  p.deployment = deployment;
  p.replica_set = replica_set;
  p.seq = next_seq_++;
  p.t.created = sim_.now();
  pods_.push_back(p);
  ++stats_.pods_created;
  request_scheduling();
  notify(&PodLifecycleListener::on_pod_created, id);
  return id;
}

void Cluster::warm_start() {
  const SimTime now = sim_.now();
  for (Pod& p : pods_) {
    if (!p.bound() || p.deletion_requested || p.endpoint_published) continue;
    if (nodes_[index_of(p.node)].failed) continue;  // nothing runs there
    const PodSpec& s = specs_[p.spec];
    const bool told_ready = p.ready;
    sim_.cancel(p.stage_event);
    sim_.cancel(p.ready_event);
    sim_.cancel(p.endpoint_event);
    Node& n = nodes_[index_of(p.node)];
    auto it = std::lower_bound(n.images.begin(), n.images.end(), s.image,
                               [](const std::pair<std::string, SimTime>& e, const std::string& k) { return e.first < k; });
    if (it == n.images.end() || it->first != s.image) {
      n.images.insert(it, {s.image, now});
    } else {
      it->second = std::min(it->second, now);
    }
    const bool told_started = p.t.container_started != PodTimeline::kNever;
    PodTimeline& t = p.t;
    for (SimTime* stamp : {&t.admitted, &t.image_pulled, &t.container_started, &t.weights_loaded, &t.app_up}) {
      if (*stamp == PodTimeline::kNever) *stamp = now;
    }
    if (s.weight_load == WeightLoad::kInitContainer && t.init_done == PodTimeline::kNever) t.init_done = now;
    if (!told_ready) t.ready = now;
    t.endpoint_published = now;
    p.stage = PodStage::kRunning;
    p.ready = true;
    p.endpoint_published = true;
    p.warm = true;
    if (!told_started) notify(&PodLifecycleListener::on_pod_started, p.id);
    if (!told_ready) notify(&PodLifecycleListener::on_pod_ready, p.id);
    notify(&PodLifecycleListener::on_endpoint_published, p.id);
  }
  request_sync();
}

void Cluster::request_scheduling() {
  if (scheduling_requested_) return;
  scheduling_requested_ = true;
  sim_.schedule_in<&Cluster::on_scheduling_pass>(Duration{}, this, 0);
}

void Cluster::on_scheduling_pass(uint64_t) {
  scheduling_requested_ = false;
  schedule_pending();
}

void Cluster::enter_stage(Pod& p, PodStage stage, Duration length) {
  p.stage = stage;
  p.stage_event = sim_.schedule_in<&Cluster::on_stage_done>(length, this, index_of(p.id));
}

SimTime Cluster::image_ready_time(Node& n, const PodSpec& spec) {
  const SimTime now = sim_.now();
  auto it = std::lower_bound(n.images.begin(), n.images.end(), spec.image,
                             [](const std::pair<std::string, SimTime>& e, const std::string& k) { return e.first < k; });
  if (it != n.images.end() && it->first == spec.image) return std::max(now, it->second);
  const NodePoolConfig& pc = config_.pools[n.pool];
  const SimTime start = config_.serialize_image_pulls ? std::max(now, n.pull_busy_until) : now;
  const SimTime end = start + transfer_time(spec.image_size_bytes, pc.image_pull_bandwidth_bytes_per_s);
  if (config_.serialize_image_pulls) n.pull_busy_until = end;
  n.images.insert(it, {spec.image, end});
  return end;
}

void Cluster::on_admitted(uint64_t pod) {
  Pod& p = pods_[pod];
  p.t.admitted = sim_.now();
  const SimTime pulled = image_ready_time(nodes_[index_of(p.node)], specs_[p.spec]);
  enter_stage(p, PodStage::kImagePull, pulled - sim_.now());
}

void Cluster::on_stage_done(uint64_t pod) {
  Pod& p = pods_[pod];
  const PodSpec& s = specs_[p.spec];
  const SimTime now = sim_.now();
  const Duration load = transfer_time(s.weights_bytes, s.weight_load_bandwidth_bytes_per_s);
  switch (p.stage) {
    case PodStage::kImagePull:
      p.t.image_pulled = now;
      if (s.weight_load == WeightLoad::kInitContainer) {
        enter_stage(p, PodStage::kInitWeightLoad, load);
      } else {
        enter_stage(p, PodStage::kContainerStart, s.container_start);
      }
      break;
    case PodStage::kInitWeightLoad:
      p.t.init_done = now;
      p.t.weights_loaded = now;
      enter_stage(p, PodStage::kContainerStart, s.container_start);
      break;
    case PodStage::kContainerStart:
      p.t.container_started = now;
      if (s.weight_load == WeightLoad::kInProcess) {
        enter_stage(p, PodStage::kWeightLoad, load);
      } else {
        enter_stage(p, PodStage::kWarmUp, s.warm_up);
      }
      if (!s.has_readiness_probe) {
        p.ready_event = sim_.schedule_in<&Cluster::on_ready>(Duration{}, this, pod);
      }
      notify(&PodLifecycleListener::on_pod_started, p.id);
      break;
    case PodStage::kWeightLoad:
      p.t.weights_loaded = now;
      enter_stage(p, PodStage::kWarmUp, s.warm_up);
      break;
    case PodStage::kWarmUp:
      app_up(p);
      break;
    default:
      SIM_CHECK(false, "stage timer fired in a stage without a timer");
  }
}

void Cluster::app_up(Pod& p) {
  const PodSpec& s = specs_[p.spec];
  const SimTime now = sim_.now();
  p.stage = PodStage::kRunning;
  p.t.app_up = now;
  if (!s.has_readiness_probe) return;
  // Probes at B + k*period (B = admission); the first that is not within initialDelaySeconds of the
  // container start and finds the app up counts; successThreshold consecutive successes make Ready.
  const Duration period = Duration::seconds(s.readiness_probe.period_seconds);
  const SimTime earliest =
      std::max(now, p.t.container_started + Duration::seconds(s.readiness_probe.initial_delay_seconds));
  const int64_t since = (earliest - p.t.admitted).ns;
  const int64_t k = (since + period.ns - 1) / period.ns;
  const SimTime first_success = p.t.admitted + period * k;
  const SimTime ready = first_success + period * (s.readiness_probe.success_threshold - 1);
  p.ready_event = sim_.schedule_at<&Cluster::on_ready>(ready, this, index_of(p.id));
}

void Cluster::on_ready(uint64_t pod) {
  Pod& p = pods_[pod];
  p.ready = true;
  p.t.ready = sim_.now();
  p.endpoint_event = sim_.schedule_in<&Cluster::on_endpoint_event>(config_.endpoint_publish_delay, this, pod);
  request_sync();
  notify(&PodLifecycleListener::on_pod_ready, p.id);
}

void Cluster::on_endpoint_event(uint64_t pod) {
  Pod& p = pods_[pod];
  // Removal: the pod was deleted, or marked not Ready on a NotReady node (MarkPodsNotReady).
  if (p.deletion_requested || !p.ready) {
    p.endpoint_published = false;
    p.t.endpoint_removed = sim_.now();
    notify(&PodLifecycleListener::on_endpoint_removed, p.id);
  } else {
    p.endpoint_published = true;
    p.t.endpoint_published = sim_.now();
    notify(&PodLifecycleListener::on_endpoint_published, p.id);
  }
}

void Cluster::delete_pod(PodId id) {
  Pod& p = pods_[index_of(id)];
  delete_with_grace(p, specs_[p.spec].termination_grace_period);
}

void Cluster::delete_with_grace(Pod& p, Duration grace) {
  if (p.deletion_requested || p.stage == PodStage::kGone) return;
  const SimTime now = sim_.now();
  p.deletion_requested = true;
  p.t.deleted = now;
  p.grace = grace;
  sim_.cancel(p.stage_event);
  sim_.cancel(p.ready_event);
  if (p.bound() && nodes_[index_of(p.node)].failed) {
    // The API server sets deletionTimestamp and waits for the kubelet to confirm, which never happens
    // while the node is unreachable: the pod stays Terminating, whatever its stage (even one that never
    // started), with no SIGTERM and no kill. Only the endpoint goes.
    p.ready = false;
    p.stage = PodStage::kTerminating;
    if (!p.endpoint_published) {
      sim_.cancel(p.endpoint_event);
    } else if (!sim_.is_pending(p.endpoint_event)) {  // a pending event of a published pod is a removal
      p.endpoint_event =
          sim_.schedule_in<&Cluster::on_endpoint_event>(config_.endpoint_publish_delay, this, index_of(p.id));
    }
    // It stops counting against its namespace's quota once deletionTimestamp + grace has passed
    // (deployment.cc, "ResourceQuota"): a ReplicaSet refused for quota may then create its pod.
    for (const ResourceQuota& q : config_.quotas) {
      if (q.ns != specs_[p.spec].ns) continue;
      sim_.schedule_in<&Cluster::on_quota_expiry>(grace + grace + Duration::nanoseconds(1), this, index_of(p.id));
      break;
    }
    request_sync();
    notify(&PodLifecycleListener::on_pod_terminating, p.id);
    return;
  }
  if (!p.bound() || p.t.container_started == PodTimeline::kNever) {
    // Nothing runs yet: the kubelet (or the API server, for an unbound pod) removes it at once.
    make_gone(p);
    return;
  }
  p.ready = false;
  p.stage = PodStage::kTerminating;
  if (p.endpoint_published) {
    p.endpoint_event =
        sim_.schedule_in<&Cluster::on_endpoint_event>(config_.endpoint_publish_delay, this, index_of(p.id));
  } else {
    sim_.cancel(p.endpoint_event);  // Ready but not yet published: never published
  }
  const PodSpec& s = specs_[p.spec];
  p.sigterm_event = sim_.schedule_in<&Cluster::on_sigterm>(std::min(s.pre_stop_sleep, grace), this, index_of(p.id));
  p.kill_event = sim_.schedule_in<&Cluster::on_kill>(grace, this, index_of(p.id));
  request_sync();
  notify(&PodLifecycleListener::on_pod_terminating, p.id);
}

void Cluster::on_sigterm(uint64_t pod) {
  Pod& p = pods_[pod];
  p.t.sigterm = sim_.now();
  if (specs_[p.spec].drain == DrainMode::kExitImmediately) {
    sim_.cancel(p.kill_event);
    p.kill_event = sim_.schedule_in<&Cluster::on_kill>(Duration{}, this, pod);
  }
  notify(&PodLifecycleListener::on_pod_sigterm, p.id);
}

void Cluster::notify_pod_idle(PodId id) {
  Pod& p = pods_[index_of(id)];
  if (p.stage != PodStage::kTerminating || p.t.sigterm == PodTimeline::kNever) return;
  if (specs_[p.spec].drain != DrainMode::kUntilIdle) return;
  // Exit through an event so that a listener may call this from inside on_pod_sigterm.
  sim_.cancel(p.kill_event);
  p.kill_event = sim_.schedule_in<&Cluster::on_kill>(Duration{}, this, index_of(id));
}

void Cluster::on_kill(uint64_t pod) { make_gone(pods_[pod]); }

void Cluster::make_gone(Pod& p) {
  if (p.stage == PodStage::kGone) return;
  SIM_CHECK(!p.bound() || !nodes_[index_of(p.node)].failed, "a pod on a failed node can never be gone");
  sim_.cancel(p.stage_event);
  sim_.cancel(p.ready_event);
  sim_.cancel(p.sigterm_event);
  sim_.cancel(p.kill_event);
  // A pending endpoint removal stays scheduled: endpoints lag the process's death.
  if (!p.endpoint_published) {
    sim_.cancel(p.endpoint_event);
  } else if (!p.deletion_requested) {  // killed without a deletion (its node vanished)
    p.endpoint_event =
        sim_.schedule_in<&Cluster::on_endpoint_event>(config_.endpoint_publish_delay, this, index_of(p.id));
  }
  if (p.bound()) {
    Node& n = nodes_[index_of(p.node)];
    n.used -= specs_[p.spec].requests;
    n.pods.erase(std::find(n.pods.begin(), n.pods.end(), p.id));
    if (n.draining && n.pods.empty() && !n.removed) on_node_removed(index_of(n.id));
  }
  p.nominated = kNoNode;
  p.stage = PodStage::kGone;
  p.ready = false;
  p.deletion_requested = true;
  p.t.gone = sim_.now();
  request_scheduling();
  request_sync();
  if (config_.autoscaler.scale_down_enabled) schedule_scan();  // a node may have become unneeded
  notify(&PodLifecycleListener::on_pod_gone, p.id);
}

ColdStartBreakdown Cluster::cold_start_breakdown(PodId id) const {
  const Pod& p = pods_[index_of(id)];
  const PodTimeline& t = p.t;
  static constexpr SimTime kNever = PodTimeline::kNever;
  auto span = [](SimTime from, SimTime to) { return (from == kNever || to == kNever || to < from) ? Duration{} : to - from; };
  ColdStartBreakdown b;
  const SimTime pending_end = t.provisioning_started != kNever ? t.provisioning_started : t.bound;
  b.pending = span(t.created, std::min(pending_end, t.bound));
  b.node_provisioning = span(t.provisioning_started, t.bound);
  b.admission = span(t.bound, t.admitted);
  b.image_pull = span(t.admitted, t.image_pulled);
  if (specs_[p.spec].weight_load == WeightLoad::kInitContainer) {
    b.weight_load = span(t.image_pulled, t.init_done);
    b.container_start = span(t.init_done, t.container_started);
    b.warm_up = span(t.container_started, t.app_up);
  } else {
    b.container_start = span(t.image_pulled, t.container_started);
    b.weight_load = span(t.container_started, t.weights_loaded);
    b.warm_up = span(t.weights_loaded, t.app_up);
  }
  b.readiness_wait = span(t.app_up, t.ready);
  b.endpoint_publish = span(t.ready, t.endpoint_published);
  b.to_ready = span(t.created, t.ready);
  return b;
}

// --- spot interruption ----------------------------------------------------------------------------

void Cluster::schedule_spot_interruption(NodeId id, SimTime notice_at) {
  sim_.schedule_at<&Cluster::on_spot_notice>(notice_at, this, index_of(id));
}

void Cluster::on_spot_notice(uint64_t node) {
  Node& n = nodes_[node];
  if (n.removed || n.failed) return;  // a lost machine gets no notice
  ++stats_.spot_interruptions;
  n.cordoned = true;
  const Duration notice = config_.pools[n.pool].spot_notice;
  const std::vector<PodId> on_node = n.pods;  // deletions edit n.pods
  for (PodId id : on_node) {
    Pod& p = pods_[index_of(id)];
    delete_with_grace(p, std::min(specs_[p.spec].termination_grace_period, notice));
  }
  sim_.schedule_in<&Cluster::on_node_removed>(notice, this, node);
}

void Cluster::on_node_removed(uint64_t node) {
  Node& n = nodes_[node];
  if (n.removed || n.failed) return;  // a failed node and its Terminating pods stay (see node failure)
  const std::vector<PodId> on_node = n.pods;
  for (PodId id : on_node) make_gone(pods_[index_of(id)]);
  n.removed = true;
  n.ready = false;
  n.removed_at = sim_.now();
  request_scheduling();
}

// --- node failure ---------------------------------------------------------------------------------
// A machine loses power (fail_node). What Kubernetes does, and what is modelled:
// - At the failure instant F the kubelet stops and every process on the node is gone without a word:
//   listeners hear on_pod_unreachable and pods make no further progress (a pod never becomes Ready on a
//   failed node). The API still shows the node and its pods Ready: the scheduler keeps binding pods to
//   it (they never start: bind() in scheduler.cc), ReplicaSets count its pods, endpoints stay.
// - The node lifecycle controller (pkg/controller/nodelifecycle, monitorNodeHealth) runs every
//   node_monitor_period; tryUpdateNodeHealth sets Ready=Unknown when nc.now().After(probeTimestamp +
//   node_monitor_grace_period), probeTimestamp being the controller's own clock at the last pass that
//   saw a fresh heartbeat. Modelled: passes at k * node_monitor_period (k >= 1) from t = 0, heartbeats
//   treated as continuous (the kubelet's 10 s lease renewal is not modelled), a pass at F itself still
//   sees the heartbeat. So with L = the last pass at or before F, the node is NotReady at the first pass
//   strictly after L + grace (F = 100 s, 5 s / 50 s: L = 100, NotReady at 155 s).
// - At that pass (N): the Ready->Unknown transition calls MarkPodsNotReady (pods not Ready: the endpoints
//   controller removes their endpoints endpoint_publish_delay later; a publication still pending is
//   dropped); doNoScheduleTaintingPass adds unreachable:NoSchedule at once (the scheduler stops placing
//   pods there; the Cluster Autoscaler stops counting it); unreachable:NoExecute is added by the zone's
//   NoExecute tainter, a RateLimitedTimedQueue with --node-eviction-rate (0.1/s) and burst 1: in a zone
//   the first node is tainted at N, each further one 1/rate after the previous (in node id order).
// - Taint eviction (pkg/controller/tainteviction, processPodOnNode, getMinTolerationTime): a pod whose
//   tolerations match the taint is deleted the smallest tolerationSeconds after the taint (none set:
//   never); without a toleration for it the pod is deleted at once. Every pod without its own toleration
//   for unreachable:NoExecute (key unreachable or empty, effect NoExecute or empty) got one with
//   default_unreachable_toleration from the DefaultTolerationSeconds admission plugin. A pod bound to the
//   node after the taint is timed from its binding.
// - A deleted pod on the failed node stays Terminating (delete_with_grace): no SIGTERM, never gone, its
//   resources held; its ReplicaSet no longer counts it (FilterActivePods skips pods with a
//   deletionTimestamp), so a replacement is created at eviction and scheduled on the other nodes.
// Not modelled: the zone disruption modes (a zone with > 2 and >= 55 % NotReady nodes is tainted at
// --secondary-node-eviction-rate, 0 in clusters of <= 50 nodes; with every zone fully disrupted no node
// is tainted), PodGC of pods on a deleted Node, recovery of a failed node, the CA's unready-node health
// checks (--max-total-unready-percentage). A failed node stays in its pool's size and keeps accruing
// cost. PodTopologySpread keeps counting the dead zone as a domain (nodeTaintsPolicy Ignore), so
// DoNotSchedule constraints may keep replacements Pending, as in Kubernetes.

void Cluster::fail_node(NodeId id) {
  Node& n = nodes_[index_of(id)];
  if (n.failed || n.removed) return;
  const SimTime now = sim_.now();
  n.failed = true;
  n.failed_at = now;
  ++stats_.nodes_failed;
  if (n.ready_at == PodTimeline::kNever) return;  // never registered: no pod, nothing to detect
  for (PodId pid : n.pods) {
    Pod& p = pods_[index_of(pid)];
    sim_.cancel(p.stage_event);
    sim_.cancel(p.ready_event);
    sim_.cancel(p.sigterm_event);
    sim_.cancel(p.kill_event);
    // endpoint_event stays: the endpoints controller does not know yet.
  }
  const int64_t period = config_.node_monitor_period.ns;
  SIM_CHECK(period > 0, "node monitor period must be positive");
  const int64_t last_seen = now.ns / period * period;
  const int64_t k = (last_seen + config_.node_monitor_grace_period.ns) / period + 1;  // strictly after
  sim_.schedule_at<&Cluster::on_node_not_ready>(SimTime{k * period}, this, index_of(id));
  const std::vector<PodId> on_node = n.pods;  // a listener may delete pods
  for (PodId pid : on_node) notify(&PodLifecycleListener::on_pod_unreachable, pid);
}

void Cluster::fail_zone(const std::string& zone) {
  for (uint32_t i = 0; i < nodes_.size(); ++i) {
    if (config_.pools[nodes_[i].pool].zone == zone && !nodes_[i].removed) fail_node(NodeId{i});
  }
}

NodeId Cluster::node_of_pool(const std::string& pool, int32_t index) const {
  for (uint32_t k = 0; k < config_.pools.size(); ++k) {
    if (config_.pools[k].name != pool) continue;
    if (index < 0 || static_cast<size_t>(index) >= pool_nodes_[k].size()) return kNoNode;
    return NodeId{pool_nodes_[k][static_cast<size_t>(index)]};
  }
  return kNoNode;
}

void Cluster::on_node_not_ready(uint64_t node) {
  Node& n = nodes_[node];
  const SimTime now = sim_.now();
  n.not_ready = true;
  n.not_ready_at = now;
  n.taints.push_back(Taint{kUnreachableTaintKey, "", TaintEffect::kNoSchedule});
  for (PodId pid : n.pods) {
    Pod& p = pods_[index_of(pid)];
    if (!p.ready) continue;  // not Ready yet, or terminating (its endpoint is handled by the deletion)
    p.ready = false;
    if (p.endpoint_published) {
      p.endpoint_event =
          sim_.schedule_in<&Cluster::on_endpoint_event>(config_.endpoint_publish_delay, this, index_of(pid));
    } else {
      sim_.cancel(p.endpoint_event);  // Ready but not yet published: never published
    }
  }
  request_sync();
  request_scheduling();  // a pod nominated to this node may now preempt elsewhere
  // The zone's NoExecute tainter: token bucket, rate node_eviction_rate_per_s, burst 1.
  if (config_.node_eviction_rate_per_s <= 0.0) return;
  const Duration interval = Duration::from_seconds(1.0 / config_.node_eviction_rate_per_s);
  const std::string& zone = config_.pools[n.pool].zone;
  auto it = std::find_if(zone_next_taint_.begin(), zone_next_taint_.end(),
                         [&zone](const auto& e) { return e.first == zone; });
  if (it == zone_next_taint_.end()) {
    zone_next_taint_.emplace_back(zone, now);
    it = zone_next_taint_.end() - 1;
  }
  const SimTime at = std::max(now, it->second);
  it->second = at + interval;
  sim_.schedule_at<&Cluster::on_node_no_execute_taint>(at, this, node);
}

void Cluster::on_node_no_execute_taint(uint64_t node) {
  Node& n = nodes_[node];
  n.no_execute_tainted_at = sim_.now();
  n.taints.push_back(Taint{kUnreachableTaintKey, "", TaintEffect::kNoExecute});
  const std::vector<PodId> on_node = n.pods;
  for (PodId pid : on_node) schedule_taint_eviction(pods_[index_of(pid)]);
}

void Cluster::schedule_taint_eviction(Pod& p) {
  if (p.deletion_requested) return;  // already terminating: deleting again changes nothing
  const Taint taint{kUnreachableTaintKey, "", TaintEffect::kNoExecute};
  bool has_own = false;  // DefaultTolerationSeconds adds its toleration only without one of these
  bool tolerated = false;
  int64_t wait_ns = INT64_MAX;  // INT64_MAX: tolerated for ever
  for (const Toleration& t : specs_[p.spec].tolerations) {
    if ((t.key == kUnreachableTaintKey || t.key.empty()) && (t.any_effect || t.effect == TaintEffect::kNoExecute)) {
      has_own = true;
    }
    if (!tolerates(t, taint)) continue;
    tolerated = true;
    if (t.toleration_seconds >= 0) wait_ns = std::min(wait_ns, Duration::seconds(t.toleration_seconds).ns);
  }
  if (!has_own) {
    tolerated = true;
    wait_ns = std::min(wait_ns, std::max<int64_t>(0, config_.default_unreachable_toleration.ns));
  }
  if (!tolerated) wait_ns = 0;
  if (wait_ns == INT64_MAX) return;
  sim_.schedule_in<&Cluster::on_taint_eviction>(Duration{wait_ns}, this, index_of(p.id));
}

void Cluster::on_taint_eviction(uint64_t pod) {
  Pod& p = pods_[pod];
  if (p.deletion_requested || p.stage == PodStage::kGone) return;
  ++stats_.pods_evicted_unreachable;
  delete_with_grace(p, specs_[p.spec].termination_grace_period);
}

void Cluster::unreachable_bound(Pod& p) {
  // Bound to a failed node: the kubelet never admits it. The taint eviction controller times a pod
  // bound to an already NoExecute-tainted node from its binding.
  const Node& n = nodes_[index_of(p.node)];
  if (n.no_execute_tainted_at != PodTimeline::kNever) schedule_taint_eviction(p);
  notify(&PodLifecycleListener::on_pod_unreachable, p.id);
}

// --- Cluster Autoscaler ---------------------------------------------------------------------------
// Modelled on cluster-autoscaler's RunOnce scale-up path (kubernetes/autoscaler, core/static_autoscaler.go,
// core/scaleup): every scan_interval, pods the scheduler marked unschedulable (and older than
// new_pod_scale_up_delay) are first fitted onto Ready nodes (FilterOutSchedulable) and then onto
// upcoming nodes (requested, not yet Ready: CA counts them as if present); the rest are bin-packed first-fit onto template nodes of each node group; one group is
// chosen per loop and grown by the nodes its bin-packing needed, bounded by max_nodes.
// Scan timing: CA's loop sleeps scan_interval before each RunOnce, so scans fall at k * scan_interval
// (k >= 1) from t = 0. A scan is only scheduled while it can do something (unschedulable pods exist,
// or a node is a scale-down candidate; a pod gone or a node Ready re-arms it): a scan with nothing to
// do changes nothing, and run() can finish.
// Simplifications: the expander is "first node group in configuration order that helps" (CA's default
// `random` expander is not reproducible; this is its `priority` expander with pools in priority
// order); template fit checks resources, taints and required affinity, not topology spread.

void Cluster::schedule_scan() {
  if (scan_scheduled_ || !config_.autoscaler.enabled) return;
  scan_scheduled_ = true;
  const int64_t interval = config_.autoscaler.scan_interval.ns;
  SIM_CHECK(interval > 0, "Cluster Autoscaler scan interval must be positive");
  const int64_t k = sim_.now().ns / interval + 1;  // the next loop strictly after now
  sim_.schedule_at<&Cluster::on_autoscaler_scan>(SimTime{k * interval}, this, 0);
}

void Cluster::on_autoscaler_scan(uint64_t) {
  scan_scheduled_ = false;
  const SimTime now = sim_.now();
  std::vector<uint32_t> waiting;
  for (const Pod& p : pods_) {
    if (p.stage != PodStage::kPending || p.deletion_requested || p.nominated != kNoNode) continue;
    if (p.t.unschedulable == PodTimeline::kNever) continue;
    if (now - p.t.unschedulable < config_.autoscaler.new_pod_scale_up_delay) continue;
    waiting.push_back(index_of(p.id));
  }
  if (waiting.empty()) {
    if (scale_down()) schedule_scan();
    return;
  }
  std::stable_sort(waiting.begin(), waiting.end(), [this](uint32_t a, uint32_t b) {
    const int32_t pa = specs_[pods_[a].spec].priority;
    const int32_t pb = specs_[pods_[b].spec].priority;
    return pa != pb ? pa > pb : pods_[a].seq < pods_[b].seq;
  });

  // FilterOutSchedulable: pods that fit on a Ready node (freed since the scheduler tried, or a node
  // that turned Ready at this instant) need no new node. Then upcoming nodes absorb what fits on them.
  std::vector<std::pair<uint32_t, Resources>> existing;  // node, free
  std::vector<std::pair<uint32_t, Resources>> upcoming;
  for (const Node& n : nodes_) {
    // A NotReady node is not capacity; a machine lost while provisioning will never come (simplified:
    // CA would wait for --max-node-provision-time).
    if (n.removed || n.cordoned || n.not_ready || (n.failed && !n.ready)) continue;
    Resources free = n.allocatable;
    free -= n.used;
    (n.ready ? existing : upcoming).emplace_back(index_of(n.id), free);
  }
  auto place = [this](const PodSpec& s, std::vector<std::pair<uint32_t, Resources>>& into) {
    for (auto& [ni, free] : into) {
      if (static_fit(s, nodes_[ni]) && s.requests.fits_in(free)) {
        free -= s.requests;
        return true;
      }
    }
    return false;
  };
  std::vector<uint32_t> remaining;
  for (uint32_t pi : waiting) {
    const PodSpec& s = specs_[pods_[pi].spec];
    if (place(s, existing)) continue;
    if (place(s, upcoming)) {
      if (pods_[pi].t.provisioning_started == PodTimeline::kNever) pods_[pi].t.provisioning_started = now;
    } else {
      remaining.push_back(pi);
    }
  }

  for (uint32_t pool = 0; pool < config_.pools.size() && !remaining.empty(); ++pool) {
    const int32_t room = config_.pools[pool].max_nodes - pool_size(pool);
    if (room <= 0) continue;
    const Node& tmpl = templates_[pool];
    std::vector<Resources> fresh;  // free capacity of each new node
    std::vector<uint32_t> helped;
    for (uint32_t pi : remaining) {
      const PodSpec& s = specs_[pods_[pi].spec];
      if (!static_fit(s, tmpl) || !s.requests.fits_in(tmpl.allocatable)) continue;
      bool placed = false;
      for (Resources& free : fresh) {
        if (s.requests.fits_in(free)) {
          free -= s.requests;
          placed = true;
          break;
        }
      }
      if (!placed && static_cast<int32_t>(fresh.size()) < room) {
        fresh.push_back(tmpl.allocatable);
        fresh.back() -= s.requests;
        placed = true;
      }
      if (placed) helped.push_back(pi);
    }
    if (fresh.empty()) continue;
    for (size_t i = 0; i < fresh.size(); ++i) add_node(pool, config_.pools[pool].provision_delay);
    for (uint32_t pi : helped) {
      if (pods_[pi].t.provisioning_started == PodTimeline::kNever) pods_[pi].t.provisioning_started = now;
    }
    ++stats_.scale_ups;
    stats_.nodes_provisioned += fresh.size();
    last_scale_up_ = now;
    break;  // one node group per loop
  }
  scale_down();
  schedule_scan();  // keep looping while pods wait
}

// Scale-down (cluster-autoscaler FAQ "How does scale-down work?"; core/scaledown): a Ready node whose
// pool is above min_nodes is unneeded when its utilization (requests / allocatable: GPUs on GPU nodes,
// otherwise max of CPU and memory) is below the threshold and every pod on it is replicated (owned by a
// Deployment here; a bare pod blocks scale-down) and fits on another node that is not itself leaving
// (first fit over a shared snapshot of free capacity, nodes in index order). A node unneeded for
// scale_down_unneeded_time, outside scale_down_delay_after_add of the last scale-up, is removed: empty
// nodes all at once, one non-empty node per loop, which is cordoned and drained (its pods deleted with
// grace min(their own, max_graceful_termination); the ReplicaSets recreate them elsewhere) and removed
// when its last pod is gone. Not modelled: the delay-after-delete/failure flags, PDBs, pods with local
// storage, kube-system pods.

bool Cluster::pods_movable(const Node& n, std::vector<Resources>& free, const std::vector<bool>& leaving) const {
  std::vector<Resources> trial = free;
  for (PodId id : n.pods) {
    const Pod& p = pods_[index_of(id)];
    if (p.deletion_requested) continue;  // leaving anyway
    if (p.deployment < 0) return false;
    const PodSpec& s = specs_[p.spec];
    bool placed = false;
    for (const Node& m : nodes_) {
      const uint32_t mi = index_of(m.id);
      if (m.id == n.id || !m.ready || m.cordoned || m.removed || m.not_ready || leaving[mi]) continue;
      if (!static_fit(s, m) || !s.requests.fits_in(trial[mi])) continue;
      trial[mi] -= s.requests;
      placed = true;
      break;
    }
    if (!placed) return false;
  }
  free = std::move(trial);
  return true;
}

bool Cluster::scale_down() {
  const ClusterAutoscalerConfig& ca = config_.autoscaler;
  if (!ca.enabled || !ca.scale_down_enabled) return false;
  const SimTime now = sim_.now();
  std::vector<Resources> free(nodes_.size());
  std::vector<bool> leaving(nodes_.size(), false);
  std::vector<int32_t> staying(config_.pools.size(), 0);
  for (const Node& n : nodes_) {
    free[index_of(n.id)] = n.allocatable;
    free[index_of(n.id)] -= n.used;
    if (!n.removed && !n.draining) ++staying[n.pool];
  }
  auto ratio = [](int64_t used, int64_t alloc) { return alloc > 0 ? static_cast<double>(used) / static_cast<double>(alloc) : 0.0; };
  bool any = false;
  for (Node& n : nodes_) {
    bool candidate = false;
    // A failed node is never a scale-down candidate (it could not be drained; CA leaves unready nodes
    // to their cloud provider). Simplified: also not before it is found NotReady.
    if (n.ready && !n.removed && !n.cordoned && !n.failed &&
        staying[n.pool] > config_.pools[n.pool].min_nodes) {
      const bool gpu = n.allocatable.gpus > 0;
      const double utilization =
          gpu ? ratio(n.used.gpus, n.allocatable.gpus)
              : std::max(ratio(n.used.cpu_millicores, n.allocatable.cpu_millicores),
                         ratio(n.used.memory_bytes, n.allocatable.memory_bytes));
      const double threshold = gpu ? ca.scale_down_gpu_utilization_threshold : ca.scale_down_utilization_threshold;
      candidate = utilization < threshold && pods_movable(n, free, leaving);
    }
    if (!candidate) {
      n.unneeded_since = SimTime::max();
      continue;
    }
    if (n.unneeded_since == SimTime::max()) n.unneeded_since = now;
    leaving[index_of(n.id)] = true;
    --staying[n.pool];
    any = true;
  }
  if (last_scale_up_ != SimTime::max() && now < last_scale_up_ + ca.scale_down_delay_after_add) return any;
  bool drained_one = false;
  for (Node& n : nodes_) {
    if (!leaving[index_of(n.id)] || now - n.unneeded_since < ca.scale_down_unneeded_time) continue;
    if (n.pods.empty()) {
      ++stats_.nodes_scaled_down;
      on_node_removed(index_of(n.id));
      continue;
    }
    if (drained_one) continue;
    drained_one = true;
    ++stats_.nodes_scaled_down;
    n.cordoned = true;
    n.draining = true;
    const std::vector<PodId> on_node = n.pods;
    for (PodId id : on_node) {
      Pod& p = pods_[index_of(id)];
      delete_with_grace(p, std::min(specs_[p.spec].termination_grace_period, ca.max_graceful_termination));
    }
  }
  return any;
}

// --- accounting -----------------------------------------------------------------------------------

std::vector<PoolUsage> Cluster::pool_usage() const {
  std::vector<PoolUsage> usage(config_.pools.size());
  for (const Node& n : nodes_) {
    const SimTime end = n.removed ? n.removed_at : sim_.now();
    const double hours = (end - n.requested_at).seconds_f() / 3600.0;
    PoolUsage& u = usage[n.pool];
    u.node_hours += hours;
    u.gpu_hours += hours * static_cast<double>(n.allocatable.gpus);
    u.cost_usd += hours * config_.pools[n.pool].hourly_price_usd;
  }
  return usage;
}

double Cluster::cost_usd() const {
  double usd = 0.0;
  for (const PoolUsage& u : pool_usage()) usd += u.cost_usd;
  return usd;
}

double Cluster::gpu_hours() const {
  double hours = 0.0;
  for (const PoolUsage& u : pool_usage()) hours += u.gpu_hours;
  return hours;
}

}  // namespace kubemind::cluster
