// SPDX-License-Identifier: MIT
#pragma once
// The narrow interface between an L7 proxy and its load-balancing policies, modelled on Envoy's
// LoadBalancer::chooseHost (envoyproxy/envoy envoy/upstream/load_balancer.h).
//
// What is modelled: a policy sees the hosts it may pick from (the proxy has already applied health,
// outlier ejection and the panic threshold) as a span of small views, and returns the position of
// the chosen view, or nothing. Views carry what Envoy's policies read: a stable host id, the EDS
// load_balancing_weight, and the host's active request count (rq_active, kept by the proxy and shared
// by all workers). Each proxy worker owns its own policy instance, as each Envoy worker thread runs its
// own load balancer (arch_overview/upstream/load_balancing/overview).
// Invariants: a policy that keeps per-host state is told of every change of the host list by
// on_host_set_changed() before the next choose(); weights are >= 1.
// Units: none (weights are dimensionless; active requests are counts).

#include <cstdint>
#include <optional>
#include <span>

#include "sim/engine/check.h"
#include "sim/engine/rng.h"

namespace kubemind::balance {

/// What a policy may read about one pickable host.
struct HostView {
  uint32_t id = 0;               // stable host id (the pod's index)
  uint32_t weight = 1;           // EDS load_balancing_weight, >= 1
  uint32_t active_requests = 0;  // requests sent to the host and not yet answered
};

/// The part of a request a policy may read.
struct PickContext {
  uint64_t hash_key = 0;  // request key for hash-based policies (Request::key)
};

using Rng = engine::RngStream::Engine;

class LbPolicy {
 public:
  virtual ~LbPolicy() = default;
  /// The position in `hosts` of the host to send to; nothing if `hosts` is empty.
  virtual std::optional<size_t> choose(std::span<const HostView> hosts, const PickContext& context,
                                       Rng& rng) = 0;
  /// The list of pickable hosts changed (membership, health, ejection); rebuild per-host state.
  virtual void on_host_set_changed(std::span<const HostView> hosts) = 0;
};

/// True when every host has the same weight (Envoy skips its EDF scheduler then:
/// load_balancer_impl.cc, EdfLoadBalancerBase::refresh, hostWeightsAreEqual).
inline bool weights_equal(std::span<const HostView> hosts) {
  for (const HostView& h : hosts) {
    if (h.weight != hosts.front().weight) return false;
  }
  return true;
}

}  // namespace kubemind::balance
