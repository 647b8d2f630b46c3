// SPDX-License-Identifier: MIT
#pragma once
// Envoy passive outlier detection, consecutive-5xx detector only (api/envoy/config/cluster/v3/
// outlier_detection.proto; docs: arch_overview/upstream/outlier.rst).
// - Each host counts consecutive 5xx-class results (any failed attempt, including a route timeout,
//   which Envoy reports as a local-origin timeout; a success resets the count). When the count
//   reaches consecutive_5xx (default 5) the host is ejected at once if the share of hosts already
//   ejected is below max_ejection_percent (default 10 %); one host is always ejectable.
//   enforcing_consecutive_5xx is taken as its default 100 %.
// - An ejected host stays out for base_ejection_time (default 30 s) x the number of times it has been
//   ejected, capped at max(max_ejection_time, base_ejection_time) (max_ejection_time default 300 s).
//   Unejection happens on the detector's interval timer (default 10 s), so an ejection lasts until
//   the first tick at or after its end. Simplification [M]: at each tick a host that is not ejected
//   and has been ejected before has its ejection count reduced by one (Envoy decays the count while
//   the host stays healthy; the exact rule varies across versions).
// - Outlier detection is off unless configured (a cluster has no outlier_detection by default).
// Not modelled: success-rate and failure-percentage detectors, gateway-failure detector, jitter.
// Units: times in ms (config), simulated time otherwise. Hosts are addressed by the proxy's slot index.

#include <cstdint>
#include <vector>

#include "sim/engine/time.h"

namespace kubemind::balance {

struct OutlierDetectionConfig {
  bool enabled = false;                  // no outlier_detection on a cluster by default
  uint32_t consecutive_5xx = 5;          // default 5
  double interval_ms = 10000.0;          // default 10 s
  double base_ejection_time_ms = 30000.0;  // default 30 s
  double max_ejection_time_ms = 300000.0;  // default 300 s
  uint32_t max_ejection_percent = 10;    // default 10 %
};

class OutlierDetector {
 public:
  explicit OutlierDetector(const OutlierDetectionConfig& config) : config_(config) {}

  /// Makes room for host slots 0 .. slots - 1.
  void resize(size_t slots) { hosts_.resize(slots); }

  /// Records one result for host `slot`; `host_count` is the number of hosts in the cluster.
  /// Returns true if this result ejected the host.
  bool report(size_t slot, bool failed, engine::SimTime now, size_t host_count);

  /// The interval tick: unejects hosts whose ejection has run out and decays ejection counts.
  /// Returns the number of hosts unejected.
  size_t sweep(engine::SimTime now);

  bool ejected(size_t slot) const { return slot < hosts_.size() && hosts_[slot].ejected; }
  size_t ejected_count() const { return ejected_count_; }
  /// True while a tick could change something (a host is ejected or has a count to decay).
  bool needs_sweep() const;
  uint64_t ejections_total() const { return ejections_total_; }
  const OutlierDetectionConfig& config() const { return config_; }

 private:
  struct HostState {
    uint32_t consecutive_failures = 0;
    uint32_t times_ejected = 0;
    bool ejected = false;
    engine::SimTime ejected_until{};
  };
  OutlierDetectionConfig config_;
  std::vector<HostState> hosts_;
  size_t ejected_count_ = 0;
  uint64_t ejections_total_ = 0;
};

}  // namespace kubemind::balance
