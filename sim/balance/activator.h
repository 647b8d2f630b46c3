// SPDX-License-Identifier: MIT
#pragma once
// The Knative activator for one revision, as a data-plane hop: it buffers requests while the
// revision has no ready pod with free capacity (scale from zero) and proxies them to the ready pods
// under a per-pod concurrency limit.
//
// What is modelled (knative/serving pkg/activator/net/throttler.go, lb_policy.go,
// revision_backends.go; pkg/queue/breaker.go; pkg/activator/handler/handler.go (the handler waits in
// throttler.Try, then proxies); reference/autoscalers.md 3.5)
// - Pods: the revision's ready pods from the endpoints controller (update_endpoints, applied at
//   once; revision_backends.go is the activator's own watcher). Each pod is a podTracker with a
//   breaker of container_concurrency slots (InitialCapacity = CC, "presume full unused capacity"), or
//   no limit when CC = 0. Trackers are kept sorted by address ("Sort, so we get more or less stable
//   results", throttler.go updateCapacity); here the address order is the Endpoint::id order.
//   Endpoint::weight and ::healthy are ignored: the list given is the ready set.
// - A removed pod takes no new request; its in-flight requests still finish and are answered through
//   the activator (Knative drains the tracker until its refCount reaches 0). A pod that comes back
//   keeps its in-flight count.
// - Buffer: the revision breaker's wait queue. A request waits while no pod can take it
//   (CC = 0: while there is no pod at all, Knative's infiniteBreaker; CC > 0: while every pod is at
//   CC). Waiting requests leave strictly FIFO (the breaker's semaphore is a Go channel, whose blocked
//   receivers are woken in arrival order).
//   Beyond max_buffered waiting requests a new one is rejected at once with Outcome::kOverflow
//   (Knative's breaker answers ErrRequestQueueFull, a 503).
// - Timeout: a buffered request that has not been proxied request_timeout_s after it reached the
//   activator fails then with Outcome::kTimeout (users see the activator's 504 "activator request
//   timeout" after the revision's timeoutSeconds, default 300 s). Tie rule: a buffered request whose deadline is
//   the current instant times out, even if a slot frees at that same instant.
// - Order of work when an answer comes back: the pod's slot is freed, buffered requests are forwarded,
//   then the answer goes back up the reply path (so a request the answer triggers, from a closed-loop
//   client, queues behind the waiting ones and is never refused while a slot is free).
// - LB policy (pickLBPolicy in throttler.go, the policies in lb_policy.go), by containerConcurrency:
//   CC = 0 -> random-choice-2: one pod: that pod; two: both are the candidates; more: two distinct
//   uniformly random pods; the one with fewer requests in flight from this activator wins, a tie is a
//   fair coin (Knative: rand.Int63() % 2 == 0 -> the second one). No capacity check (unlimited).
//   CC <= 3 -> first-available: the lowest-ordered pod with a free slot.
//   CC > 3 -> round-robin: an index starting at 0 (reset to 0 when it is past the end of the pod
//   list), scanning from it for the first pod with a free slot; the index then points after it.
// - Stats, as the activator reports them to the autoscaler (the KPA's PodSource for the activator):
//   in_flight = buffered + proxied and not yet answered; its time integral; requests received.
// Simplifications: the activator is always in the path (target-burst-capacity -1, proxy mode); one
//   activator replica and no subsetting of the pods between replicas (assignSlice); no per-hop
//   latency; pods need no activator probe (Knative probes a pod's queue-proxy before the first
//   request; podReadyCheck / quarantine are not modelled); proxied requests are not timed out here
//   (the pod's queue-proxy enforces the same revision timeout); the explicit
//   spec.loadBalancingPolicy override is not modelled, nor the least-connections policy.
// Difference in the overflow bound: Knative sizes the revision breaker's pending slots as
//   QueueDepth (breakerQueueDepth = 10000) + MaxConcurrency (MaxInt32) and counts waiting plus
//   in-flight requests against it, and the CC = 0 infiniteBreaker has no bound at all; so in
//   Knative the bound is never below 10000 waiting. Here max_buffered bounds the waiting requests
//   only (default 10000), for every CC.
// Determinism: random-choice-2 draws from the RngStream given to the constructor with Boost.Random
//   (Knative uses Go's math/rand; the draws differ, the distribution is the same).
// Units: seconds in the config, simulated ns inside; counts are requests.

#include <cstdint>
#include <span>
#include <vector>

#include "sim/balance/l7_proxy.h"  // Endpoint
#include "sim/engine/fifo.h"
#include "sim/engine/rng.h"
#include "sim/engine/simulator.h"
#include "sim/engine/time_integral.h"
#include "sim/traffic/request.h"

namespace kubemind::balance {

struct ActivatorConfig {
  int32_t container_concurrency = 0;  // revision spec.containerConcurrency; 0 = unlimited
  double request_timeout_s = 300.0;   // revision timeoutSeconds (default 300 s); 0 disables
  int64_t max_buffered = 10000;       // waiting requests; throttler.go breakerQueueDepth
};

/// The activator's load-balancing policies (lb_policy.go).
enum class ActivatorLbPolicy : uint8_t { kRandomChoice2, kFirstAvailable, kRoundRobin };

/// Knative's default by containerConcurrency (throttler.go pickLBPolicy): 0 -> random-choice-2,
/// 1..3 -> first-available, > 3 -> round-robin.
ActivatorLbPolicy activator_lb_policy(int32_t container_concurrency);

class Activator final : public traffic::RequestSink, public traffic::ResponseSink {
 public:
  /// `rng` (random-choice-2 draws) must outlive the activator. Starts with no ready pod.
  Activator(engine::Simulator& sim, traffic::RequestTable& requests, const ActivatorConfig& config,
            engine::RngStream& rng);
  Activator(const Activator&) = delete;
  Activator& operator=(const Activator&) = delete;

  void on_request(traffic::RequestId id) override;
  void on_response(traffic::RequestId id) override;

  /// The revision's ready pods now (the full list). New pods get container_concurrency slots; pods
  /// missing from the list take no new requests. Buffered requests are forwarded at once if they can.
  void update_endpoints(std::span<const Endpoint> ready);

  // Stats for the autoscaler.
  /// Requests waiting for a pod.
  int64_t buffered() const { return static_cast<int64_t>(buffer_.size()); }
  /// Buffered plus proxied and not yet answered.
  int64_t in_flight() const { return in_flight_.level(); }
  /// Integral of in_flight() over time from t = 0 to `now`, in request-seconds.
  double in_flight_seconds_total(engine::SimTime now) const { return in_flight_.area_until(now); }
  /// Requests received, whatever became of them.
  uint64_t requests_total() const { return requests_total_; }

  // Counters.
  uint64_t proxied() const { return proxied_; }
  uint64_t timed_out() const { return timed_out_; }
  uint64_t overflowed() const { return overflowed_; }

  /// Pods taking new requests now.
  size_t ready_pods() const { return targets_.size(); }
  /// Requests this activator has in flight at pod `id` (0 for a pod never seen).
  uint32_t pod_in_flight(uint32_t id) const;
  /// Requests this activator has sent to pod `id`, ever.
  uint64_t pod_requests(uint32_t id) const;
  ActivatorLbPolicy lb_policy() const { return policy_; }
  const ActivatorConfig& config() const { return config_; }

 private:
  static constexpr uint32_t kNoSlot = UINT32_MAX;

  struct PodSlot {
    uint32_t id = 0;
    traffic::RequestSink* sink = nullptr;
    bool in_set = false;
    uint32_t active = 0;  // requests in flight from this activator (also random-choice-2's weight)
    uint64_t sent = 0;
  };

  struct Waiting {
    traffic::RequestId id = 0;
    engine::SimTime arrived;
  };

  bool has_capacity(const PodSlot& pod) const;
  /// The slot to send the next request to, or kNoSlot when no pod can take one now.
  uint32_t pick();
  uint32_t pick_random_choice_2();
  uint32_t pick_first_available() const;
  uint32_t pick_round_robin();
  void forward(traffic::RequestId id, uint32_t slot);
  /// Times out expired buffered requests, forwards the rest in FIFO order while pods can take them,
  /// and arms the timeout timer for the oldest one left.
  void drain();
  void expire_timeouts();
  void arm_timeout();
  void on_timeout_check(uint64_t);
  void answer(traffic::RequestId id, traffic::Outcome outcome);

  engine::Simulator& sim_;
  traffic::RequestTable& requests_;
  ActivatorConfig config_;
  engine::RngStream& rng_;
  ActivatorLbPolicy policy_;
  engine::Duration timeout_;

  std::vector<PodSlot> slots_;          // every pod ever seen, in order of first appearance
  std::vector<uint32_t> slot_of_id_;    // pod id -> slot, kNoSlot if never seen
  std::vector<uint32_t> targets_;       // slots of the pods in the set, by ascending pod id
  std::vector<uint32_t> slot_of_request_;  // RequestId -> slot while proxied
  size_t rr_index_ = 0;                 // round-robin position in targets_

  engine::Fifo<Waiting> buffer_;
  engine::EventHandle timeout_timer_;
  engine::TimeIntegral in_flight_;

  uint64_t requests_total_ = 0;
  uint64_t proxied_ = 0;
  uint64_t timed_out_ = 0;
  uint64_t overflowed_ = 0;
};

}  // namespace kubemind::balance
