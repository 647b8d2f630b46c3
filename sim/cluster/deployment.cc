// SPDX-License-Identifier: MIT
// Deployment and ReplicaSet controllers (kubernetes/kubernetes pkg/controller/deployment/rolling.go,
// util/deployment_util.go; pkg/controller/replicaset/replica_set.go; pkg/controller/controller_utils.go).
//
// A sync runs (as an event at the current time) whenever a Deployment changes or one of its pods is
// created, turns Ready, starts terminating or is gone; a sync that changed anything asks for another,
// as the informers would, until nothing changes.
// Deployment (RollingUpdate strategy, minReadySeconds 0 so available = Ready):
//   maxSurge = ceil(pct * replicas), maxUnavailable = floor(pct * replicas), both 0 -> maxUnavailable 1
//   (ResolveFenceposts). With no old ReplicaSet holding replicas the new one is set to `replicas`.
//   Otherwise rolloutRolling: reconcileNewReplicaSet scales the new set up to
//   min(replicas + maxSurge - sum(spec replicas), replicas - new) and returns if it did; then
//   reconcileOldReplicaSets: maxScaledDown = all - (replicas - maxUnavailable) - (new - newAvailable);
//   first unhealthy old pods (cleanupUnhealthyReplicas), then available ones down to
//   available - minAvailable (scaleDownOldReplicaSetsForRollingUpdate), old sets oldest first.
// ReplicaSet: creates pods up to spec.replicas (active = not terminating); on excess deletes the first
//   pods of getPodsToDelete's order (ActivePodsWithRanks.Less): unscheduled < scheduled; Pending <
//   Running phase; not Ready < Ready; more active pods of the same Deployment on the node first
//   ("doubled up"); both Ready: more recently Ready first; newer first; higher pod id first.
//   Simplifications: pod-deletion-cost and restart counts are absent; the LogarithmicScaleDown
//   buckets and the random-UID tie are replaced by exact times and pod id (deterministic).
// ResourceQuota (ClusterConfig::quotas; the API server's ResourceQuota admission plugin and the
//   quota evaluator of pkg/quota/v1/evaluator/core/pods.go): a pod create in a namespace with quotas
//   is admitted only if, for every quota of the namespace and every resource it bounds, usage + the
//   pod's requests <= hard (a refusal: 403 "exceeded quota"). Usage is computed at admission over the
//   namespace's pods that count (QuotaV1Pod): not gone (a gone pod's object is deleted; a terminal pod
//   does not count either) and not past deletionTimestamp + deletionGracePeriodSeconds, where the API
//   server sets deletionTimestamp = deletion request + grace (apiserver pkg/registry/rest/delete.go
//   BeforeDelete). So a terminating pod counts until it is gone, or, stuck terminating on a lost
//   node, until 2 x grace after its deletion. The ReplicaSet creates its missing pods one by one and
//   stops at the first refusal (slowStartBatch skips the rest of a sync after an error), records it
//   (FailedCreate; stats().quota_rejections, one per refused create) and retries at its next sync:
//   any sync of the cluster (a pod turning Ready, starting to terminate or gone, a Deployment
//   change), and at the instant a stuck-terminating pod of a namespace with quotas stops counting.
//   Simplifications: usage is exact at admission (the real quota status is updated by the admission
//   itself and the quota controller, --resource-quota-sync-period 5m, with replenishment on pod
//   deletion); the controller's rate-limited requeue backoff is not modelled; quotas bound requests
//   (cpu, memory, nvidia.com/gpu) and the pod count only, not limits.* or object counts.
// Not modelled: proportional scaling of several ReplicaSets when replicas change mid-rollout (the
// rolling rules above then converge on the new count), the Recreate strategy, revision history,
// progressDeadlineSeconds, the ReplicaSet's slow-start creation batches.

#include <algorithm>

#include "sim/cluster/cluster.h"
#include "sim/engine/check.h"

namespace kubemind::cluster {

namespace {

int32_t scaled(const IntOrPercent& v, int32_t replicas, bool round_up) {
  if (!v.percent) return v.value;
  const int64_t product = static_cast<int64_t>(v.value) * replicas;
  return static_cast<int32_t>(round_up ? (product + 99) / 100 : product / 100);
}

}  // namespace

std::pair<int32_t, int32_t> Cluster::resolve_fenceposts(const DeploymentSpec& spec, int32_t replicas) {
  const int32_t surge = scaled(spec.max_surge, replicas, true);
  int32_t unavailable = scaled(spec.max_unavailable, replicas, false);
  if (surge == 0 && unavailable == 0) unavailable = 1;  // a rollout must be able to progress
  return {surge, unavailable};
}

DeploymentId Cluster::create_deployment(const DeploymentSpec& spec) {
  const uint32_t d = static_cast<uint32_t>(deployments_.size());
  deployments_.push_back(Deployment{spec, {}, 0});
  update_template(DeploymentId{d}, spec.pod);
  return DeploymentId{d};
}

void Cluster::update_template(DeploymentId id, const PodSpec& pod) {
  Deployment& d = deployments_[index_of(id)];
  d.spec.pod = pod;
  specs_.push_back(pod);
  ReplicaSet rs;
  rs.deployment = index_of(id);
  rs.spec = static_cast<uint32_t>(specs_.size() - 1);
  rs.seq = next_seq_++;
  replica_sets_.push_back(rs);
  d.replica_sets.push_back(static_cast<uint32_t>(replica_sets_.size() - 1));
  d.current = d.replica_sets.back();
  request_sync();
}

void Cluster::set_replicas(DeploymentId id, int32_t replicas) {
  deployments_[index_of(id)].spec.replicas = replicas;
  request_sync();
}

void Cluster::request_sync() {
  if (sync_requested_) return;
  sync_requested_ = true;
  sim_.schedule_in<&Cluster::on_sync>(Duration{}, this, 0);
}

void Cluster::on_sync(uint64_t) {
  sync_requested_ = false;
  bool changed = false;
  for (uint32_t d = 0; d < deployments_.size(); ++d) changed = sync_deployment(d) || changed;
  for (uint32_t rs = 0; rs < replica_sets_.size(); ++rs) changed = sync_replica_set(rs) || changed;
  if (changed) request_sync();
}

int32_t Cluster::available_of(uint32_t rs) const {
  int32_t n = 0;
  for (const Pod& p : pods_) n += (p.replica_set == static_cast<int32_t>(rs) && p.ready && !p.deletion_requested) ? 1 : 0;
  return n;
}

int32_t Cluster::active_of(uint32_t rs) const {
  int32_t n = 0;
  for (const Pod& p : pods_) n += (p.replica_set == static_cast<int32_t>(rs) && !p.deletion_requested) ? 1 : 0;
  return n;
}

bool Cluster::sync_deployment(uint32_t di) {
  Deployment& d = deployments_[di];
  const int32_t replicas = d.spec.replicas;
  ReplicaSet& fresh = replica_sets_[d.current];
  std::vector<uint32_t> old;  // oldest first (creation order = index order)
  int32_t old_count = 0;
  int32_t all_count = 0;
  for (uint32_t rs : d.replica_sets) {
    all_count += replica_sets_[rs].replicas;
    if (rs == d.current) continue;
    old.push_back(rs);
    old_count += replica_sets_[rs].replicas;
  }
  if (old_count == 0) {
    if (fresh.replicas == replicas) return false;
    fresh.replicas = replicas;
    return true;
  }
  const auto [surge, unavailable] = resolve_fenceposts(d.spec, replicas);
  // reconcileNewReplicaSet
  if (fresh.replicas > replicas) {
    fresh.replicas = replicas;
    return true;
  }
  if (fresh.replicas < replicas) {
    const int32_t max_total = replicas + surge;
    if (all_count < max_total) {
      fresh.replicas += std::min(max_total - all_count, replicas - fresh.replicas);
      return true;
    }
  }
  // reconcileOldReplicaSets
  const int32_t min_available = replicas - unavailable;
  const int32_t new_unavailable = fresh.replicas - available_of(d.current);
  const int32_t max_scaled_down = all_count - min_available - new_unavailable;
  if (max_scaled_down <= 0) return false;
  int32_t cleaned = 0;
  for (uint32_t rs : old) {
    if (cleaned >= max_scaled_down) break;
    ReplicaSet& r = replica_sets_[rs];
    if (r.replicas == 0) continue;
    const int32_t unhealthy = r.replicas - available_of(rs);
    if (unhealthy <= 0) continue;
    const int32_t down = std::min(max_scaled_down - cleaned, unhealthy);
    r.replicas -= down;
    cleaned += down;
  }
  int32_t available = 0;
  for (uint32_t rs : d.replica_sets) available += available_of(rs);
  const int32_t total_down = available - min_available;
  int32_t scaled_down = 0;
  for (uint32_t rs : old) {
    if (scaled_down >= total_down) break;
    ReplicaSet& r = replica_sets_[rs];
    if (r.replicas == 0) continue;
    const int32_t down = std::min(r.replicas, total_down - scaled_down);
    r.replicas -= down;
    scaled_down += down;
  }
  return cleaned + scaled_down > 0;
}

bool Cluster::sync_replica_set(uint32_t rsi) {
  const ReplicaSet& rs = replica_sets_[rsi];
  std::vector<uint32_t> active;
  for (const Pod& p : pods_) {
    if (p.replica_set == static_cast<int32_t>(rsi) && !p.deletion_requested) active.push_back(index_of(p.id));
  }
  const int32_t have = static_cast<int32_t>(active.size());
  if (have == rs.replicas) return false;
  if (have < rs.replicas) {
    // Copies: a listener called from new_pod may create objects (and move replica_sets_).
    const uint32_t spec = rs.spec;
    const int32_t deployment = static_cast<int32_t>(rs.deployment);
    const int32_t want = rs.replicas;
    bool created = false;
    for (int32_t i = have; i < want; ++i) {
      if (!quota_admits(specs_[spec], deployment)) break;  // FailedCreate: retried at the next sync
      new_pod(spec, deployment, static_cast<int32_t>(rsi));
      created = true;
    }
    return created;
  }
  // Rank: active pods of the same Deployment on each pod's node.
  auto colocated = [this](const Pod& p) {
    if (!p.bound()) return 0;
    int32_t n = 0;
    for (PodId q : nodes_[index_of(p.node)].pods) {
      const Pod& other = pods_[index_of(q)];
      n += (other.deployment == p.deployment && !other.deletion_requested) ? 1 : 0;
    }
    return n;
  };
  std::vector<std::pair<int32_t, uint32_t>> ranked;  // (colocated count, pod)
  for (uint32_t pi : active) ranked.emplace_back(colocated(pods_[pi]), pi);
  std::sort(ranked.begin(), ranked.end(), [this](const auto& ra, const auto& rb) {
    const Pod& a = pods_[ra.second];
    const Pod& b = pods_[rb.second];
    if (a.bound() != b.bound()) return !a.bound();
    const bool a_running = a.t.container_started != PodTimeline::kNever;
    const bool b_running = b.t.container_started != PodTimeline::kNever;
    if (a_running != b_running) return !a_running;
    if (a.ready != b.ready) return !a.ready;
    if (ra.first != rb.first) return ra.first > rb.first;
    if (a.ready && a.t.ready != b.t.ready) return a.t.ready > b.t.ready;
    if (a.t.created != b.t.created) return a.t.created > b.t.created;
    return a.id > b.id;
  });
  const int32_t excess = have - rs.replicas;
  for (int32_t i = 0; i < excess; ++i) delete_pod(PodId{ranked[static_cast<size_t>(i)].second});
  return true;
}

bool Cluster::counts_for_quota(const Pod& p) const {
  // QuotaV1Pod: gone (deleted) pods and pods past deletionTimestamp + grace do not count; the
  // deletionTimestamp itself is the deletion request + grace. Strictly after, as now.After(...).
  if (p.stage == PodStage::kGone) return false;
  return !p.deletion_requested || sim_.now() <= p.t.deleted + p.grace + p.grace;
}

bool Cluster::quota_admits(const PodSpec& spec, int32_t deployment) {
  if (config_.quotas.empty()) return true;
  bool admitted = true;
  for (size_t q = 0; q < config_.quotas.size(); ++q) {
    const ResourceQuota& quota = config_.quotas[q];
    if (quota.ns != spec.ns) continue;
    Resources used = spec.requests;
    int64_t pods = 1;
    for (const Pod& p : pods_) {
      if (specs_[p.spec].ns != quota.ns || !counts_for_quota(p)) continue;
      used += specs_[p.spec].requests;
      ++pods;
    }
    const auto within = [](int64_t value, int64_t hard) { return hard < 0 || value <= hard; };
    if (within(used.cpu_millicores, quota.cpu_millicores) && within(used.memory_bytes, quota.memory_bytes) &&
        within(used.gpus, quota.gpus) && within(pods, quota.pods)) {
      continue;
    }
    ++quota_rejections_[q];
    admitted = false;
  }
  if (!admitted) {
    ++stats_.quota_rejections;
    if (deployment >= 0) ++deployments_[static_cast<size_t>(deployment)].quota_rejections;
  }
  return admitted;
}

void Cluster::on_quota_expiry(uint64_t) { request_sync(); }

std::vector<QuotaStatus> Cluster::quota_status() const {
  std::vector<QuotaStatus> out(config_.quotas.size());
  for (size_t q = 0; q < config_.quotas.size(); ++q) {
    out[q].rejections = quota_rejections_[q];
    for (const Pod& p : pods_) {
      if (specs_[p.spec].ns != config_.quotas[q].ns || !counts_for_quota(p)) continue;
      out[q].used += specs_[p.spec].requests;
      ++out[q].pods;
    }
  }
  return out;
}

DeploymentStatus Cluster::deployment_status(DeploymentId id) const {
  const Deployment& d = deployments_[index_of(id)];
  DeploymentStatus s;
  s.replicas = d.spec.replicas;
  s.quota_rejections = d.quota_rejections;
  for (const Pod& p : pods_) {
    if (p.deployment != static_cast<int32_t>(index_of(id)) || p.stage == PodStage::kGone) continue;
    if (p.deletion_requested) {
      ++s.terminating;
      continue;
    }
    ++s.pods;
    s.updated += p.replica_set == static_cast<int32_t>(d.current) ? 1 : 0;
    s.ready += p.ready ? 1 : 0;
  }
  return s;
}

std::vector<PodId> Cluster::pods_of(DeploymentId id) const {
  std::vector<PodId> out;
  for (const Pod& p : pods_) {
    if (p.deployment == static_cast<int32_t>(index_of(id)) && p.stage != PodStage::kGone) out.push_back(p.id);
  }
  return out;
}

}  // namespace kubemind::cluster
