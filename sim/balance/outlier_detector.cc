// SPDX-License-Identifier: MIT
#include "sim/balance/outlier_detector.h"

#include <algorithm>

#include "sim/engine/check.h"

namespace kubemind::balance {

bool OutlierDetector::report(size_t slot, bool failed, engine::SimTime now, size_t host_count) {
  SIM_ASSERT(slot < hosts_.size(), "outlier report for an unknown host");
  HostState& h = hosts_[slot];
  if (!failed) {
    h.consecutive_failures = 0;
    return false;
  }
  if (h.ejected) return false;
  if (++h.consecutive_failures < config_.consecutive_5xx) return false;
  h.consecutive_failures = 0;
  // Envoy (source/common/upstream/outlier_detection_impl.cc, DetectorImpl::ejectHost): eject if the
  // share already ejected is below max_ejection_percent; the proto adds that at least one host is
  // ejectable whatever the percentage.
  const double share_now = 100.0 * static_cast<double>(ejected_count_) / static_cast<double>(host_count);
  if (ejected_count_ > 0 && !(share_now < config_.max_ejection_percent)) return false;
  ++h.times_ejected;
  const double cap_ms = std::max(config_.max_ejection_time_ms, config_.base_ejection_time_ms);
  const double eject_ms = std::min(config_.base_ejection_time_ms * h.times_ejected, cap_ms);
  h.ejected = true;
  h.ejected_until = now + engine::Duration::from_milliseconds(eject_ms);
  ++ejected_count_;
  ++ejections_total_;
  return true;
}

size_t OutlierDetector::sweep(engine::SimTime now) {
  size_t unejected = 0;
  for (HostState& h : hosts_) {
    if (h.ejected) {
      if (now >= h.ejected_until) {
        h.ejected = false;
        --ejected_count_;
        ++unejected;
      }
    } else if (h.times_ejected > 0) {
      --h.times_ejected;
    }
  }
  return unejected;
}

bool OutlierDetector::needs_sweep() const {
  return std::any_of(hosts_.begin(), hosts_.end(), [](const HostState& h) { return h.ejected || h.times_ejected > 0; });
}

}  // namespace kubemind::balance
