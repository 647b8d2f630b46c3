// SPDX-License-Identifier: MIT
#pragma once
// kube-proxy on one node: the L4 balancer behind a ClusterIP. It is a net::Dialer: the kernel
// rules it programmed choose a pod once per NEW connection; every later packet of the flow follows
// the conntrack entry, so the choice lasts for the connection's life (reference/dataplane.md 1.1,
// 1.4, 8.1-8.3).
//
// Modelled:
// - iptables mode (the default): rule i of n carries `-m statistic --mode random --probability
//   1/(n-i)`, so each programmed endpoint gets a new connection with probability 1/n
//   (kubernetes/kubernetes pkg/proxy/iptables/proxier.go). Drawn here as one uniform integer in
//   [0, n), which has exactly that distribution.
// - IPVS mode, per connection: rr (the default scheduler) cycles through the endpoints in id
//   order, continuing after the last one chosen; lc picks the least overhead, which the kernel
//   computes as activeconns * 256 + inactconns (include/net/ip_vs.h ip_vs_dest_conn_overhead);
//   with no inactive (TIME_WAIT) connections modelled that is the fewest active connections.
//   Ties go to the first in id order, as net/netfilter/ipvs/ip_vs_lc.c keeps the first strict
//   minimum. Counts are this node's own connections only.
// - Sync: set_endpoints() is the Service's ready endpoints as kube-proxy's watch delivers them; the
//   rules change only when a sync runs. Syncs are rate-limited like kube-proxy's
//   BoundedFrequencyRunner: a token bucket refilled at one token per minSyncPeriod (1 s default,
//   pkg/proxy/apis/config/v1alpha1/defaults.go), burst 2 (burstSyncs := 2 in the iptables and
//   nftables proxiers); a change that finds no token is applied when the next token is due. A
//   sync takes sync_duration_s before the new rules are in force.
// - Conntrack: removing an endpoint never touches established TCP flows (kube-proxy flushes
//   conntrack only for UDP/SCTP); they end when their owner closes or resets them (pod gone).
// - No endpoint programmed: the connection is refused (REJECT), dial() answers an invalid Endpoint.
// Simplifications: the API/watch delay before set_endpoints() is the caller's (cluster layer); no
// session affinity; no 30 s periodic resync (it changes nothing when nothing changed); IPVS
// weights are all 1.

#include <cstdint>
#include <vector>

#include "sim/engine/rng.h"
#include "sim/engine/simulator.h"
#include "sim/net/endpoint.h"

namespace kubemind::balance {

enum class ProxyMode : uint8_t { kIptables, kIpvs };
enum class IpvsScheduler : uint8_t { kRoundRobin, kLeastConnection };

struct KubeProxyConfig {
  ProxyMode mode = ProxyMode::kIptables;                  // kube-proxy default on Linux
  IpvsScheduler ipvs_scheduler = IpvsScheduler::kRoundRobin;  // `ipvs.scheduler` "" = rr
  double min_sync_period_s = 1.0;                         // iptables.minSyncPeriod default
  int burst_syncs = 2;                                    // proxier.go burstSyncs
  double sync_duration_s = 0.0;                           // rule write time (ms on small clusters)
};

class KubeProxy final : public net::Dialer {
 public:
  /// `rng` is this proxy's own stream (iptables' random choice).
  KubeProxy(engine::Simulator& sim, engine::RngStream rng, const KubeProxyConfig& config);
  KubeProxy(const KubeProxy&) = delete;
  KubeProxy& operator=(const KubeProxy&) = delete;

  /// The Service's ready endpoints as the watch delivers them now; programmed at the next sync.
  void set_endpoints(const std::vector<net::Endpoint>& ready);

  net::Endpoint dial() override;
  void hang_up(const net::Endpoint& endpoint) override;

  /// The endpoints the rules currently send new connections to, in id order.
  const std::vector<net::Endpoint>& programmed() const { return programmed_; }
  /// Open connections this proxy placed on the endpoint (conntrack entries), removed or not.
  uint32_t active_connections(uint32_t endpoint_id) const;
  uint64_t syncs() const { return syncs_; }
  engine::SimTime last_sync_at() const { return last_sync_at_; }

 private:
  void request_sync();
  void on_sync_due(uint64_t);
  void run_sync();
  void on_rules_written(uint64_t);
  void refill_tokens();

  engine::Simulator& sim_;
  engine::RngStream rng_;
  KubeProxyConfig config_;
  engine::Duration min_sync_;
  std::vector<net::Endpoint> desired_;     // latest watch state, id order
  std::vector<net::Endpoint> writing_;     // the state a running sync is writing
  std::vector<net::Endpoint> programmed_;  // rules in force, id order
  std::vector<uint32_t> active_;           // by endpoint id
  double tokens_;
  engine::SimTime refilled_at_{};
  engine::SimTime last_sync_at_{};
  engine::EventHandle sync_event_;
  uint32_t rr_last_id_ = net::Endpoint::kNone;
  uint64_t syncs_ = 0;
};

}  // namespace kubemind::balance
