// SPDX-License-Identifier: MIT
// The scheduler: kube-scheduler's default plugins reduced to what decides placement of inference pods.
//
// Queue: a pass runs (as an event at the current time) whenever a pod is created, a node turns Ready,
// or a pod is gone; it tries every pending pod in PrioritySort order (priority descending, then
// creation order), each seeing the placements made before it.
// Filter (all must pass): node Ready, not cordoned, not removed; every NoSchedule/NoExecute taint
// tolerated (TaintToleration; PreferNoSchedule only scores); required node affinity (NodeAffinity:
// terms ORed, expressions ANDed, In/NotIn/Exists/DoesNotExist); requests fit allocatable minus the
// requests of bound, not-gone pods (terminating pods hold their resources) minus those of pods nominated
// to the node with priority >= ours (NodeResourcesFit + the nominated-pods rule of the framework);
// topology spread with DoNotSchedule (PodTopologySpread filter, below).
// A failed node (Cluster::fail_node) still passes until the node lifecycle controller finds it NotReady
// and taints it node.kubernetes.io/unreachable:NoSchedule (TaintToleration then rejects it, unless the
// pod tolerates that taint); a pod bound to it before is never admitted by the dead kubelet.
// Score: NodeResourcesFit alone, cpu and memory weight 1 each, integer arithmetic as in
// pkg/scheduler/framework/plugins/noderesources: LeastAllocated (default) (alloc - req) * 100 / alloc,
// MostAllocated req * 100 / alloc, averaged. Tie: the lowest node index (kube-scheduler picks a random
// one among the best; ours is reproducible). Not modelled: BalancedAllocation, ImageLocality,
// inter-pod affinity, ScheduleAnyway spread scoring, PreferNoSchedule scoring, percentageOfNodesToScore.
// Topology spread: for each DoNotSchedule constraint, the node must carry topology_key; domains are the
// values on registered, not-removed nodes that match the pod's required affinity (nodeAffinityPolicy
// Honor; nodeTaintsPolicy Ignore, the defaults); a domain's count is the bound, non-terminating pods with
// the same app on those nodes; skew = count(node's domain) + 1 - min over domains; fit iff skew <= maxSkew.
// minDomains is not modelled.
// Preemption (pkg/scheduler/framework/preemption, DefaultPreemption): when a pod fits nowhere, every node
// that passes the non-resource filters is tried with all its lower-priority, non-terminating pods removed;
// if the pod then fits, victims are reprieved one by one from the most important (priority descending,
// then oldest) while it still fits. Among candidate nodes (pickOneNodeForPreemption, PDBs not modelled):
// lowest highest-victim priority, then lowest sum of (priority + 2^31) over victims, then fewest victims,
// then lowest node index. Victims are deleted with their grace period; the preemptor is nominated to the
// node and binds when their resources are free; while lower-priority pods on its nominated node are
// still terminating it does not preempt again (PodEligibleToPreemptOthers).

#include <algorithm>
#include <climits>

#include "sim/cluster/cluster.h"
#include "sim/engine/check.h"

namespace kubemind::cluster {

bool tolerates(const Toleration& toleration, const Taint& taint) {
  if (!toleration.any_effect && toleration.effect != taint.effect) return false;
  if (toleration.op == Toleration::Operator::kExists) {
    return toleration.key.empty() || toleration.key == taint.key;
  }
  return toleration.key == taint.key && toleration.value == taint.value;
}

namespace {

bool matches_requirement(const NodeSelectorRequirement& r, const Node& node) {
  const std::string* v = node.label(r.key);
  switch (r.op) {
    case NodeSelectorRequirement::Operator::kIn:
      return v != nullptr && std::find(r.values.begin(), r.values.end(), *v) != r.values.end();
    case NodeSelectorRequirement::Operator::kNotIn:
      return v == nullptr || std::find(r.values.begin(), r.values.end(), *v) == r.values.end();
    case NodeSelectorRequirement::Operator::kExists:
      return v != nullptr;
    case NodeSelectorRequirement::Operator::kDoesNotExist:
      return v == nullptr;
  }
  return false;
}

int64_t resource_score(int64_t requested, int64_t allocatable, ScoringStrategy strategy) {
  if (allocatable <= 0) return 0;
  if (strategy == ScoringStrategy::kLeastAllocated) {
    return requested > allocatable ? 0 : (allocatable - requested) * 100 / allocatable;
  }
  return requested > allocatable ? 100 : requested * 100 / allocatable;
}

}  // namespace

bool matches_affinity(const std::vector<NodeSelectorTerm>& terms, const Node& node) {
  if (terms.empty()) return true;
  for (const NodeSelectorTerm& term : terms) {
    bool all = true;
    for (const NodeSelectorRequirement& r : term) all = all && matches_requirement(r, node);
    if (all) return true;
  }
  return false;
}

bool Cluster::static_fit(const PodSpec& spec, const Node& n) const {
  for (const Taint& taint : n.taints) {
    if (taint.effect == TaintEffect::kPreferNoSchedule) continue;
    bool ok = false;
    for (const Toleration& t : spec.tolerations) ok = ok || tolerates(t, taint);
    if (!ok) return false;
  }
  return matches_affinity(spec.required_node_affinity, n);
}

bool Cluster::spread_fit(const Pod& p, const Node& n) const {
  const PodSpec& spec = specs_[p.spec];
  for (const TopologySpreadConstraint& c : spec.topology_spread) {
    if (c.when_unsatisfiable != TopologySpreadConstraint::WhenUnsatisfiable::kDoNotSchedule) continue;
    const std::string* domain = n.label(c.topology_key);
    if (domain == nullptr) return false;
    std::vector<std::pair<std::string, int64_t>> counts;  // small; sorted not needed (min and lookup only)
    for (const Node& m : nodes_) {
      if (m.removed || m.ready_at == PodTimeline::kNever) continue;
      if (!matches_affinity(spec.required_node_affinity, m)) continue;
      const std::string* d = m.label(c.topology_key);
      if (d == nullptr) continue;
      int64_t matching = 0;
      for (PodId q : m.pods) {
        const Pod& other = pods_[index_of(q)];
        if (!other.deletion_requested && specs_[other.spec].app == spec.app) ++matching;
      }
      auto it = std::find_if(counts.begin(), counts.end(), [d](const auto& e) { return e.first == *d; });
      if (it == counts.end()) {
        counts.emplace_back(*d, matching);
      } else {
        it->second += matching;
      }
    }
    int64_t min_count = INT64_MAX;
    int64_t own = 0;
    for (const auto& [d, count] : counts) {
      min_count = std::min(min_count, count);
      if (d == *domain) own = count;
    }
    if (counts.empty()) min_count = 0;
    if (own + 1 - min_count > c.max_skew) return false;
  }
  return true;
}

Resources Cluster::nominated_reserved(const Node& n, const Pod& p) const {
  Resources reserved;
  const int32_t priority = specs_[p.spec].priority;
  for (uint32_t qi : nominated_) {
    const Pod& q = pods_[qi];
    if (q.nominated != n.id || q.id == p.id || q.stage != PodStage::kPending) continue;
    if (specs_[q.spec].priority >= priority) reserved += specs_[q.spec].requests;
  }
  return reserved;
}

int64_t Cluster::score(const Node& n, const Resources& requested) const {
  const int64_t cpu = resource_score(requested.cpu_millicores, n.allocatable.cpu_millicores, config_.scoring);
  const int64_t mem = resource_score(requested.memory_bytes, n.allocatable.memory_bytes, config_.scoring);
  return (cpu + mem) / 2;
}

void Cluster::bind(Pod& p, Node& n) {
  p.node = n.id;
  p.nominated = kNoNode;
  n.used += specs_[p.spec].requests;
  n.pods.push_back(p.id);
  p.t.bound = sim_.now();
  p.stage = PodStage::kAdmitting;
  if (n.failed) {
    unreachable_bound(p);
    return;
  }
  p.stage_event = sim_.schedule_in<&Cluster::on_admitted>(config_.scheduling_latency, this, index_of(p.id));
}

void Cluster::schedule_pending() {
  std::vector<uint32_t> queue;
  nominated_.clear();
  for (const Pod& p : pods_) {
    if (p.stage == PodStage::kPending && !p.deletion_requested) queue.push_back(index_of(p.id));
    if (p.stage == PodStage::kPending && p.nominated != kNoNode) nominated_.push_back(index_of(p.id));
  }
  std::stable_sort(queue.begin(), queue.end(), [this](uint32_t a, uint32_t b) {
    const int32_t pa = specs_[pods_[a].spec].priority;
    const int32_t pb = specs_[pods_[b].spec].priority;
    return pa != pb ? pa > pb : pods_[a].seq < pods_[b].seq;
  });
  for (uint32_t pi : queue) {
    Pod& p = pods_[pi];
    if (p.stage != PodStage::kPending || p.deletion_requested) continue;  // a preemption above deleted it
    const PodSpec& spec = specs_[p.spec];
    if (p.nominated != kNoNode) {
      const Node& nn = nodes_[index_of(p.nominated)];
      // A tainted (NotReady) nominated node is UnschedulableAndUnresolvable: the pod may preempt again
      // elsewhere (PodEligibleToPreemptOthers), instead of waiting for victims that never go.
      if (nn.removed || nn.cordoned || nn.not_ready) p.nominated = kNoNode;
    }
    int64_t best_score = -1;
    Node* best = nullptr;
    for (Node& n : nodes_) {
      if (!n.ready || n.cordoned || n.removed) continue;
      if (!static_fit(spec, n)) continue;
      Resources need = n.used;
      need += nominated_reserved(n, p);
      need += spec.requests;
      if (!need.fits_in(n.allocatable)) continue;
      if (!spread_fit(p, n)) continue;
      Resources requested = n.used;
      requested += spec.requests;
      const int64_t s = score(n, requested);
      if (s > best_score) {  // strict: the lowest index wins ties
        best_score = s;
        best = &n;
      }
    }
    if (best != nullptr) {
      bind(p, *best);
      continue;
    }
    if (try_preempt(p)) continue;
    if (p.t.unschedulable == PodTimeline::kNever) p.t.unschedulable = sim_.now();
    schedule_scan();
  }
}

bool Cluster::try_preempt(Pod& p) {
  const PodSpec& spec = specs_[p.spec];
  if (p.nominated != kNoNode) {
    for (PodId q : nodes_[index_of(p.nominated)].pods) {
      const Pod& other = pods_[index_of(q)];
      if (other.stage == PodStage::kTerminating && specs_[other.spec].priority < spec.priority) return true;
    }
    p.nominated = kNoNode;
  }
  struct Candidate {
    uint32_t node = 0;
    std::vector<uint32_t> victims;
    int32_t max_priority = INT32_MIN;
    int64_t priority_sum = 0;
  };
  bool found = false;
  Candidate best;
  for (const Node& n : nodes_) {
    if (!n.ready || n.cordoned || n.removed) continue;
    if (!static_fit(spec, n) || !spread_fit(p, n)) continue;
    std::vector<uint32_t> lower;
    Resources used = n.used;
    used += nominated_reserved(n, p);
    for (PodId q : n.pods) {
      const Pod& other = pods_[index_of(q)];
      if (other.deletion_requested || specs_[other.spec].priority >= spec.priority) continue;
      lower.push_back(index_of(q));
      used -= specs_[other.spec].requests;
    }
    Resources need = used;
    need += spec.requests;
    if (lower.empty() || !need.fits_in(n.allocatable)) continue;
    // Reprieve the most important first.
    std::stable_sort(lower.begin(), lower.end(), [this](uint32_t a, uint32_t b) {
      const int32_t pa = specs_[pods_[a].spec].priority;
      const int32_t pb = specs_[pods_[b].spec].priority;
      return pa != pb ? pa > pb : pods_[a].seq < pods_[b].seq;
    });
    Candidate c;
    c.node = index_of(n.id);
    for (uint32_t v : lower) {
      Resources with = need;
      with += specs_[pods_[v].spec].requests;
      if (with.fits_in(n.allocatable)) {
        need = with;
      } else {
        c.victims.push_back(v);
        const int32_t prio = specs_[pods_[v].spec].priority;
        c.max_priority = std::max(c.max_priority, prio);
        c.priority_sum += static_cast<int64_t>(prio) + (int64_t{1} << 31);
      }
    }
    if (c.victims.empty()) continue;
    const bool better = !found || c.max_priority < best.max_priority ||
                        (c.max_priority == best.max_priority &&
                         (c.priority_sum < best.priority_sum ||
                          (c.priority_sum == best.priority_sum && c.victims.size() < best.victims.size())));
    if (better) {
      best = std::move(c);
      found = true;
    }
  }
  if (!found) return false;
  p.nominated = NodeId{best.node};
  if (std::find(nominated_.begin(), nominated_.end(), index_of(p.id)) == nominated_.end()) {
    nominated_.push_back(index_of(p.id));
  }
  for (uint32_t v : best.victims) {
    Pod& victim = pods_[v];
    delete_with_grace(victim, specs_[victim.spec].termination_grace_period);
    ++stats_.preemptions;
  }
  return true;
}

}  // namespace kubemind::cluster
