// SPDX-License-Identifier: MIT
#pragma once
// Envoy ROUND_ROBIN (docs: arch_overview/upstream/load_balancing/load_balancers.rst; source:
// source/extensions/load_balancing_policies/round_robin/round_robin_lb.cc).
// Equal weights: a rotating index over the pickable hosts, pick = hosts[index++ mod n]. The index
// starts at a random offset drawn once (Envoy seeds it from its random generator so that proxies do
// not all start on the same host) and keeps counting across host-set changes.
// Unequal weights: an EDF schedule with each host's weight (edf_scheduler.h), rebuilt on every
// host-set change (Envoy rebuilds its scheduler on each membership update).
// Invariant: over any k consecutive picks on an unchanged equal-weight set of n hosts, every host is
// picked floor(k/n) or ceil(k/n) times.

#include "sim/balance/edf_scheduler.h"
#include "sim/balance/lb_policy.h"

namespace kubemind::balance {

class RoundRobinPolicy final : public LbPolicy {
 public:
  /// Draws the starting offset from `rng`.
  explicit RoundRobinPolicy(Rng& rng);

  std::optional<size_t> choose(std::span<const HostView> hosts, const PickContext& context, Rng& rng) override;
  void on_host_set_changed(std::span<const HostView> hosts) override;

 private:
  uint64_t next_index_;
  bool weighted_ = false;
  EdfScheduler edf_;
};

}  // namespace kubemind::balance
