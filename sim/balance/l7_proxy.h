// SPDX-License-Identifier: MIT
#pragma once
// An Envoy-like L7 proxy pod: it terminates downstream requests and balances PER REQUEST over the
// upstream hosts (pods) of one cluster.
//
// What is modelled
// - Workers: W worker threads (Envoy --concurrency; default here 2 as an Istio sidecar [M in
//   dataplane.md 3.7], since Envoy's own default is the machine's hardware threads). Each request costs cpu_per_request_ms of one
//   worker (default 0.35 ms: Istio's measured 0.35 vCPU per 1000 rps through a sidecar, istio.io
//   "Performance and Scalability"); a request waits FCFS for a free worker; the lowest-numbered free
//   worker takes it. After its CPU work the worker's own LB policy instance picks the host (each Envoy
//   worker runs its own load balancer); host active-request counts are shared by all workers.
// - Host set: hosts come from EDS updates (update_endpoints), applied eds_delay_ms after the call
//   (default 100 ms: istiod's PILOT_DEBOUNCE_AFTER quiet period; dataplane.md 3.11). A host is
//   pickable when it is in the set, healthy (EDS health_status) and not ejected. Panic threshold
//   (default 50 %): if fewer than that share of the hosts in the set are pickable, all hosts in the
//   set are used (panic_threshold.rst); with 0 % and none pickable, or an empty set, the answer is
//   503 no healthy upstream (Outcome::kNoHealthyUpstream). A removed host keeps its in-flight and
//   queued requests until they finish.
// - Upstream attempts: each try is a separate Request taken from the run's RequestTable (Envoy's
//   UpstreamRequest), with the proxy on its reply path; the downstream request is answered from it.
//   So an answer that arrives after the route timeout already answered downstream is absorbed (the
//   attempt is an orphan), never answered twice.
// - Stream capacity: a host takes at most max_concurrent_streams_per_host attempts at once (a stand-in
//   for the upstream HTTP/2 pool's SETTINGS_MAX_CONCURRENT_STREAMS, default 2^31 - 1 = unlimited as
//   Envoy's http2 default); beyond that attempts wait FIFO per host and count as pending requests.
// - Circuit breakers (circuit_breakers.h): max_requests checked when an attempt is sent, max_pending
//   when it must wait; overflow answers 503 at once (Outcome::kOverflow). max_connections is tracked
//   by the CircuitBreakers object but applied by the connection pools, which are not modelled here.
// - Retries (retry_policy.h), route timeout (default 15 s, from when the worker has processed the
//   request; 0 disables; spans all tries), consecutive-5xx outlier ejection (outlier_detector.h).
// Not modelled: upstream connection pools and their set-up cost (forward() is the single place they
// plug in), slow start, priorities and localities, the CPU cost of responses, per-try timeouts.
// Units: ms in the config, simulated ns inside.

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sim/balance/circuit_breakers.h"
#include "sim/balance/endpoint_picker.h"
#include "sim/balance/lb_policy.h"
#include "sim/balance/least_request.h"
#include "sim/balance/outlier_detector.h"
#include "sim/balance/retry_policy.h"
#include "sim/balance/ring_hash.h"
#include "sim/engine/fifo.h"
#include "sim/engine/rng.h"
#include "sim/engine/simulator.h"
#include "sim/engine/time_integral.h"
#include "sim/net/channel.h"
#include "sim/traffic/request.h"

namespace kubemind::balance {

/// Envoy Cluster.lb_policy values modelled, plus the inference endpoint picker.
enum class LbPolicyKind : uint8_t { kRoundRobin, kLeastRequest, kRandom, kRingHash, kEndpointPicker };

/// One upstream host as EDS announces it.
struct Endpoint {
  uint32_t id = 0;                        // stable host id (pod index)
  uint32_t weight = 1;                    // load_balancing_weight, >= 1
  bool healthy = true;                    // EDS health_status (no active health checking)
  traffic::RequestSink* sink = nullptr;   // where requests for this host go
};

struct L7ProxyConfig {
  int workers = 2;                         // Envoy --concurrency (Istio sidecar default 2)
  double cpu_per_request_ms = 0.35;        // Istio: 0.35 vCPU per 1000 rps
  LbPolicyKind lb_policy = LbPolicyKind::kRoundRobin;  // Envoy Cluster.lb_policy default ROUND_ROBIN
  LeastRequestConfig least_request;
  RingHashConfig ring_hash;
  EndpointPickerConfig endpoint_picker;
  CircuitBreakerConfig circuit_breakers;
  RetryPolicyConfig retry_policy;
  OutlierDetectionConfig outlier_detection;
  double route_timeout_ms = 15000.0;       // RouteAction.timeout default 15 s; 0 disables
  double eds_delay_ms = 100.0;             // endpoint update delay to this proxy
  uint32_t healthy_panic_threshold_percent = 50;   // Cluster.common_lb_config default 50 %
  uint32_t max_concurrent_streams_per_host = 2147483647;  // http2 max_concurrent_streams default
  /// Upstream HTTP/2 connection pools (Envoy: one pool per worker per host, connections to the pod
  /// IP, another connection opened when all are at the peer's stream limit). Off: an attempt reaches
  /// its host at once, with no upstream network modelled.
  bool upstream_connections = false;
  /// Latency, TLS, connect timeout (Envoy's cluster connect_timeout default, 5 s); at_stream_limit
  /// is Envoy's (a new connection).
  net::ConnectionConfig upstream_connection = envoy_upstream_connection();

  static net::ConnectionConfig envoy_upstream_connection() {
    net::ConnectionConfig c;
    c.connect_timeout_s = 5.0;  // envoy/config/cluster/v3/cluster.proto connect_timeout
    return c;
  }
};

class L7Proxy final : public traffic::RequestSink, public traffic::ResponseSink {
 public:
  /// Random streams are derived from (master_seed, name, purpose) for purposes "lb" and "retry".
  /// `initial` is in force at once; `scraper` is required for LbPolicyKind::kEndpointPicker.
  L7Proxy(engine::Simulator& sim, uint64_t master_seed, std::string_view name, traffic::RequestTable& requests,
          const L7ProxyConfig& config, std::span<const Endpoint> initial, const MetricsScraper* scraper = nullptr);
  ~L7Proxy();
  L7Proxy(const L7Proxy&) = delete;
  L7Proxy& operator=(const L7Proxy&) = delete;

  void on_request(traffic::RequestId id) override;
  void on_response(traffic::RequestId id) override;

  /// A new full endpoint list from EDS; it takes effect eds_delay_ms from now.
  void update_endpoints(std::span<const Endpoint> endpoints);
  /// Host `id`'s server is shutting down gracefully: GOAWAY on every pooled connection to it.
  void host_goaway(uint32_t id);
  /// Host `id`'s process is gone: pooled connections to it are reset (their attempts fail kReset and
  /// may be retried) and new ones to its IP are refused.
  void host_gone(uint32_t id);

  uint64_t received() const { return received_; }
  /// Downstream requests answered with `outcome`.
  uint64_t answered(traffic::Outcome outcome) const { return answered_[static_cast<size_t>(outcome)]; }
  /// Downstream requests received and not yet answered (Envoy's downstream_rq_active).
  uint64_t active_requests() const {
    uint64_t answered = 0;
    for (const uint64_t n : answered_) answered += n;
    return received_ - answered;
  }
  /// Attempts sent to host `id` so far (requests served by that pod through this proxy).
  uint64_t host_requests(uint32_t id) const;
  /// Upstream connections open to host `id` (all workers' pools).
  uint32_t host_connections(uint32_t id) const;
  /// Attempts in flight at host `id`.
  uint32_t host_active_requests(uint32_t id) const;
  /// Hosts a pick may choose from now (after health, ejection and panic).
  size_t pickable_hosts() const { return pickable_slots_.size(); }
  uint64_t retries() const { return retries_; }
  /// Upstream answers that came after their downstream request was already answered.
  uint64_t late_answers() const { return late_answers_; }
  int busy_workers() const;
  size_t waiting_for_worker() const { return worker_queue_.size(); }
  /// Time integrals of the requests waiting for a worker and of the busy workers (for time-averages;
  /// by Little's law the mean wait for a worker is the queue's area over the requests received).
  const engine::TimeIntegral& worker_queue_integral() const { return worker_queue_area_; }
  const engine::TimeIntegral& busy_workers_integral() const { return busy_area_; }
  /// Most requests waiting for a worker at once so far.
  size_t max_waiting_for_worker() const { return max_worker_queue_; }
  /// Upstream connections opened so far, all workers' pools (HTTP/1.1 upstreams open one per
  /// concurrent request).
  uint64_t upstream_connections_opened() const;
  const CircuitBreakers& circuit_breakers() const { return breakers_; }
  const OutlierDetector& outlier_detector() const { return outliers_; }
  const L7ProxyConfig& config() const { return config_; }

 private:
  static constexpr traffic::RequestId kNoRequest = UINT32_MAX;

  enum class Role : uint8_t { kNone, kDownstream, kAttempt };
  enum class AttemptState : uint8_t { kQueued, kInFlight, kOrphan };

  /// Per RequestId state, for a downstream request in our charge or one of our upstream attempts.
  struct Track {
    Role role = Role::kNone;
    // Downstream
    uint16_t worker = 0;
    uint32_t retries = 0;
    traffic::RequestId attempt = kNoRequest;
    engine::EventHandle timeout;
    engine::EventHandle backoff;
    // Attempt
    AttemptState state = AttemptState::kQueued;
    traffic::RequestId downstream = kNoRequest;
    uint32_t slot = 0;
  };

  struct HostSlot {
    uint32_t id = 0;
    uint32_t weight = 1;
    bool in_set = false;
    bool healthy = true;
    traffic::RequestSink* sink = nullptr;
    uint32_t active = 0;                    // attempts in flight
    uint64_t sent = 0;                      // attempts dispatched, ever
    engine::Fifo<traffic::RequestId> queue; // attempts waiting for stream capacity
    // Upstream pools (config.upstream_connections): the pod's IP and one channel per worker.
    std::unique_ptr<net::FixedDialer> address;
    std::unique_ptr<net::StaticResolver> resolver;
    std::vector<std::unique_ptr<net::Channel>> pools;
  };

  Track& track(traffic::RequestId id);
  void start_work(traffic::RequestId id, uint16_t worker);
  void on_work_done(uint64_t arg);
  void start_attempt(traffic::RequestId downstream);
  void dispatch(traffic::RequestId attempt);
  void dispatch_queued(uint32_t slot);
  /// Hands an attempt to its host: the one place where upstream connection pools plug in.
  void forward(traffic::RequestId attempt, uint32_t slot);
  void on_timeout(uint64_t downstream);
  void on_backoff_done(uint64_t downstream);
  void finish(traffic::RequestId downstream, traffic::Outcome outcome);
  void report_outlier(uint32_t slot, bool failed);
  void on_outlier_sweep(uint64_t);
  void schedule_outlier_sweep();
  void apply_endpoints(std::span<const Endpoint> endpoints);
  void on_eds_update(uint64_t);
  void refresh_pickable();
  size_t in_set_count() const;

  net::Channel& pool(uint32_t slot, uint16_t worker);

  engine::Simulator& sim_;
  uint64_t master_seed_;
  std::string name_;
  engine::RngStream lb_rng_;
  engine::RngStream retry_rng_;
  traffic::RequestTable& requests_;
  L7ProxyConfig config_;
  std::vector<std::unique_ptr<LbPolicy>> policies_;  // one per worker
  CircuitBreakers breakers_;
  OutlierDetector outliers_;

  std::vector<Track> tracks_;
  std::vector<HostSlot> slots_;
  /// Host id -> slot. A map, not a vector indexed by id: proxies' host ids start at 2^30.
  std::map<uint32_t, uint32_t> slot_of_id_;
  static constexpr uint32_t kNoSlot = UINT32_MAX;
  uint32_t slot_of(uint32_t id) const;  // kNoSlot if never seen
  std::vector<uint32_t> pickable_slots_;    // in slot order
  std::vector<HostView> views_;             // scratch, parallel to pickable_slots_
  std::deque<std::vector<Endpoint>> eds_updates_;  // waiting for their delay, oldest first

  std::vector<uint8_t> worker_busy_;
  engine::Fifo<traffic::RequestId> worker_queue_;
  engine::TimeIntegral worker_queue_area_;
  engine::TimeIntegral busy_area_;
  size_t max_worker_queue_ = 0;
  engine::EventHandle outlier_sweep_;

  uint64_t received_ = 0;
  std::array<uint64_t, 8> answered_{};
  uint64_t retries_ = 0;
  uint64_t late_answers_ = 0;
};

}  // namespace kubemind::balance
