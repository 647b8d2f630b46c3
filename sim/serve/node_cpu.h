// SPDX-License-Identifier: MIT
#pragma once
// The CPUs of one node shared by its pods' containers, as Linux CFS shares them, in a fluid model.
// Each container (one per pod) has
// - a weight, its cgroup's cpu.weight: the kubelet sets cpu.shares = requests.cpu millicores x 1024 / 1000
//   (min 2, max 262144; pkg/kubelet/cm/helpers_linux.go MilliCPUToShares), and on cgroup v2 the
//   runtime converts shares to cpu.weight: runc < 1.3.2 linearly, 1 + (shares - 2) x 9999 / 262142
//   (opencontainers/runc libcontainer/cgroups/utils.go ConvertCPUSharesToCgroupV2Value), runc >= 1.3.2
//   and crun >= 1.23 by a quadratic in log2(shares) that keeps 1024 -> 100 (opencontainers/runc PR 4785).
//   The default mapping here is the proportional one (cgroup v1, and v2-linear up to its integer
//   rounding); the exact v2 mappings are available (CpuWeightMapping);
// - an optional cap, resources.limits.cpu: CFS bandwidth control gives the cgroup a quota of
//   limit x cfs_period (period 100 ms by default) of CPU time per period (kernel
//   Documentation/scheduler/sched-bwc.rst). The fluid model treats the cap as an average rate: the
//   throttling burstiness within a period (run at full speed until the quota is spent, then wait for
//   the next period) is NOT modelled, so a limited container's short requests see their mean slowdown,
//   not the up-to-a-period stalls of real throttling;
// - a demand: its runnable threads; a thread runs on at most one core at a time.
// Allocation: weighted max-min fairness (water-filling) of the node's cores among the containers, each
// capped at min(demand, limit): raise a common level x; container i gets min(cap_i, x w_i); x rises
// until the cores are used up or every container is at its cap. So without a limit a container may
// use idle cores beyond its request (CFS is work-conserving), and under contention shares follow the
// weights. Threads of one container share its rate equally (CFS within the cgroup, equal nice).
// Simplifications: one flat level of cgroups (the kubepods/burstable/besteffort QoS hierarchy is not
// modelled, so an idle burstable pod's share goes to every busy pod by weight, not first to its
// burstable siblings); no per-core placement, migration or cache effects; system daemons and
// kube-reserved CPU are outside `cores` (give the node's allocatable CPU).
// Contract: every set_demand / add / remove recomputes all rates in O(containers) (an insertion sort
// of containers kept ordered by cap / weight, which only the changed one disturbs) and then calls the
// listener of each container whose rate changed, in container-id order, after all rates are updated.
// Listeners must not call set_demand, add_container or remove_container. No allocation per change
// (vectors sized when containers are added).
// Units: cores (CPU-seconds per second), threads.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kubemind::serve {

using ContainerId = uint32_t;

/// How requests.cpu becomes the cgroup's weight.
enum class CpuWeightMapping : uint8_t {
  kProportional,       // weight = shares = millicores x 1024 / 1000 (real-valued, min 2): cgroup v1
  kCgroupV2Linear,     // integer cpu.weight = 1 + (shares - 2) x 9999 / 262142 (runc < 1.3.2)
  kCgroupV2NonLinear,  // ceil(10^((l^2 + 125 l) / 612 - 7/34)), l = log2(shares) (runc >= 1.3.2)
};

/// The weight a container with `request_cores` gets under `mapping`.
double cpu_weight(double request_cores, CpuWeightMapping mapping);

/// Told when its container's CPU rate changed.
class CpuRateListener {
 public:
  virtual void on_cpu_rate_changed(ContainerId id, double rate_cores) = 0;

 protected:
  ~CpuRateListener() = default;
};

class NodeCpu {
 public:
  /// `cores`: the node's allocatable CPU; `expected_containers` pre-sizes storage.
  explicit NodeCpu(double cores, CpuWeightMapping mapping = CpuWeightMapping::kProportional,
                   size_t expected_containers = 16);
  NodeCpu(const NodeCpu&) = delete;
  NodeCpu& operator=(const NodeCpu&) = delete;

  /// A new container with no demand. limit_cores 0 = no limit. Ids of removed containers are reused
  /// (lowest first).
  ContainerId add_container(double request_cores, double limit_cores = 0.0, CpuRateListener* listener = nullptr);
  /// Gives its cores back; the others' listeners hear their new rates. Its own listener is not called.
  void remove_container(ContainerId id);
  void set_listener(ContainerId id, CpuRateListener* listener);
  /// Runnable threads now (>= 0); recomputes every rate.
  void set_demand(ContainerId id, int runnable_threads);

  /// Cores the container receives now.
  double rate(ContainerId id) const { return containers_[id].rate; }
  double weight(ContainerId id) const { return containers_[id].weight; }
  int demand(ContainerId id) const { return containers_[id].demand; }
  double cores() const { return cores_; }
  /// Sum of all rates: min(cores, sum of caps).
  double allocated_cores() const;
  size_t containers() const { return order_.size(); }

 private:
  struct Container {
    double weight = 0.0;
    double limit = 0.0;  // 0 = none
    double rate = 0.0;
    double next_rate = 0.0;
    double cap = 0.0;    // min(demand, limit)
    double key = 0.0;    // cap / weight: the level at which the container saturates
    int demand = 0;
    bool live = false;
    bool changed = false;
    CpuRateListener* listener = nullptr;
  };

  void recompute();
  bool before(ContainerId a, ContainerId b) const {
    const Container& x = containers_[a];
    const Container& y = containers_[b];
    return x.key < y.key || (x.key == y.key && a < b);
  }

  double cores_;
  CpuWeightMapping mapping_;
  std::vector<Container> containers_;  // by id; dead slots have live == false
  std::vector<ContainerId> order_;     // live ids by (key, id)
  bool notifying_ = false;
};

}  // namespace kubemind::serve
