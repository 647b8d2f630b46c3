// SPDX-License-Identifier: MIT
#pragma once
// Shared helpers for the cluster tests: a listener that records when each callback fired.

#include <vector>

#include "sim/cluster/cluster.h"

namespace kubemind::cluster::testing {

inline constexpr int64_t kNeverNs = engine::SimTime::max().ns;

struct PodEvents {
  int64_t created = kNeverNs, started = kNeverNs, ready = kNeverNs, published = kNeverNs;
  int64_t terminating = kNeverNs, removed = kNeverNs, sigterm = kNeverNs, gone = kNeverNs;
};

class Recorder : public PodLifecycleListener {
 public:
  explicit Recorder(engine::Simulator& sim) : sim_(sim) {}
  void on_pod_created(PodId id) override { at(id).created = sim_.now().ns; }
  void on_pod_started(PodId id) override { at(id).started = sim_.now().ns; }
  void on_pod_ready(PodId id) override { at(id).ready = sim_.now().ns; }
  void on_endpoint_published(PodId id) override { at(id).published = sim_.now().ns; }
  void on_pod_terminating(PodId id) override { at(id).terminating = sim_.now().ns; }
  void on_endpoint_removed(PodId id) override { at(id).removed = sim_.now().ns; }
  void on_pod_sigterm(PodId id) override { at(id).sigterm = sim_.now().ns; }
  void on_pod_gone(PodId id) override { at(id).gone = sim_.now().ns; }

  PodEvents& at(PodId id) {
    if (events.size() <= index_of(id)) events.resize(index_of(id) + 1);
    return events[index_of(id)];
  }
  std::vector<PodEvents> events;

 private:
  engine::Simulator& sim_;
};

/// Seconds (hand-worked decimal) to ns, through the engine's one rounding rule.
inline int64_t ns(double seconds) { return engine::Duration::from_seconds(seconds).ns; }

inline NodePoolConfig cpu_pool(const char* name, int32_t nodes, int64_t millicores) {
  NodePoolConfig p;
  p.name = name;
  p.initial_nodes = nodes;
  p.max_nodes = nodes;
  p.min_nodes = nodes;  // fixed size unless a test says otherwise
  p.allocatable_cpu_millicores = millicores;
  p.allocatable_memory_bytes = 64LL << 30;
  return p;
}

inline PodSpec small_pod(int64_t millicores) {
  PodSpec s;
  s.requests.cpu_millicores = millicores;
  s.container_start = engine::Duration{};
  s.has_readiness_probe = false;
  return s;
}

}  // namespace kubemind::cluster::testing
