// SPDX-License-Identifier: MIT
#pragma once
// A gRPC client channel: a resolver, an LB policy, and the TCP connections it keeps.
//
// Modelled (reference/dataplane.md 1.7, 2.3, 2.5):
// - The resolver returns addresses (each a Dialer). A ClusterIP Service resolves to ONE address,
//   the VIP, so the L4 balancer chooses a pod once per connection; a headless Service resolves to
//   the ready pods' IPs. The channel resolves on its first call and afterwards only when a
//   connection is lost, refused or GOAWAY'd, never on a timer, and at least
//   min_time_between_resolutions_s apart (grpc-go internal/resolver/dns/dns_resolver.go
//   MinResolutionInterval = 30 s; C++ GRPC_ARG_DNS_MIN_TIME_BETWEEN_RESOLUTIONS_MS = 30000); a
//   request inside that window is served at its end.
// - `connections_per_address` = C connections per address (C = 1: one gRPC subchannel, one TCP
//   connection; C > 1 models a client-side pool of channels). Calls rotate over the ready
//   connections in order (round robin over the connection slots).
// - pick_first (the gRPC default in every language): all C slots use the first address that
//   connects; connects lazily on a call; after a GOAWAY or loss a slot reconnects on the next call.
//   When the address it uses disappears from a re-resolution it moves to the new first address and
//   the old connections drain.
// - round_robin: C slots per address, connected eagerly on resolution and again at once after a
//   loss; calls rotate over the ready slots; slots of removed addresses drain.
// - Calls that find no ready connection while one is connecting wait in the channel; when nothing
//   is connecting or can connect (every slot in backoff) they fail at once with
//   Outcome::kNoHealthyUpstream (gRPC UNAVAILABLE, wait_for_ready off by default). A failed
//   connection (refused after 1 RTT, or timed out on a host that answers nothing) backs off as
//   grpc/grpc doc/connection-backoff.md says: each attempt's start sets the earliest start of the
//   next one, INITIAL_BACKOFF 1 s after a success (no jitter), then x1.6 with +/-20% jitter up to
//   MAX_BACKOFF 120 s; an attempt waits max(that instant, MIN_CONNECT_TIMEOUT 20 s) for an answer,
//   so after a 20 s timeout the next attempt starts at once. pick_first first tries the remaining
//   addresses in order (one pass counts as one attempt).
// - At the stream limit, per config.connection.at_stream_limit: kQueueInTransport (gRPC) - calls
//   wait in the connection's transport, and those waiting there when a GOAWAY arrives are retried
//   on another connection (they never left the client); kReportFull (Envoy upstream pool, Go
//   net/http2 without StrictMaxConcurrentStreams) - calls skip full connections and, when every
//   ready one is full and none is connecting, the channel opens one more connection to the
//   address next in turn (a new dial: behind a ClusterIP, a new L4 choice); calls wait in the
//   channel meanwhile. Extra connections are kept (and re-dialled like the others after a loss);
//   no cap (no max_connections circuit breaker).
// - reset_endpoint(): the pod behind an endpoint terminated; its connections are reset.
// Simplifications: DNS answers are instant and uncached (the Resolver returns the current answer);
// no Happy-Eyeballs stagger; round_robin starts at the first slot; no idle timeout.

#include <cstdint>
#include <deque>
#include <vector>

#include "sim/engine/fifo.h"
#include "sim/engine/rng.h"
#include "sim/engine/simulator.h"
#include "sim/net/connection.h"
#include "sim/net/endpoint.h"
#include "sim/traffic/request.h"

namespace kubemind::net {

/// Answers "which addresses does this name have now" (DNS as the channel's resolver sees it).
class Resolver {
 public:
  virtual void resolve(std::vector<Dialer*>& addresses) = 0;

 protected:
  ~Resolver() = default;
};

/// A DNS name whose answer the cluster sets: one VIP for a ClusterIP, the ready pod IPs for a
/// headless Service (in the order given).
class StaticResolver final : public Resolver {
 public:
  explicit StaticResolver(std::vector<Dialer*> addresses = {}) : addresses_(std::move(addresses)) {}
  void set_addresses(std::vector<Dialer*> addresses) { addresses_ = std::move(addresses); }
  void resolve(std::vector<Dialer*>& addresses) override { addresses = addresses_; }

 private:
  std::vector<Dialer*> addresses_;
};

enum class LbPolicy : uint8_t { kPickFirst, kRoundRobin };

struct ChannelConfig {
  LbPolicy lb_policy = LbPolicy::kPickFirst;      // gRPC default (grpc/grpc doc/load-balancing.md)
  int connections_per_address = 1;                // C
  double min_time_between_resolutions_s = 30.0;   // grpc-go MinResolutionInterval, C++ 30000 ms
  double initial_backoff_s = 1.0;                 // grpc/grpc doc/connection-backoff.md
  double backoff_multiplier = 1.6;
  double backoff_jitter = 0.2;
  double max_backoff_s = 120.0;
  ConnectionConfig connection;
};

class Channel final : public traffic::RequestSink, public ConnectionOwner {
 public:
  /// `rng` draws backoff jitter and the servers' max-connection-age jitter.
  Channel(engine::Simulator& sim, traffic::RequestTable& requests, engine::RngStream rng,
          const ChannelConfig& config, Resolver& resolver);
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  /// A call from the application.
  void on_request(traffic::RequestId id) override;
  /// The pod with this endpoint id terminated: reset every connection of this channel to it.
  void reset_endpoint(uint32_t endpoint_id);
  /// The pod with this endpoint id is shutting down gracefully: its server sends GOAWAY on every
  /// connection this channel holds to it (Connection::server_goaway).
  void goaway_endpoint(uint32_t endpoint_id);

  uint64_t resolutions() const { return resolutions_; }
  uint64_t connections_opened() const { return connections_opened_; }
  size_t slots() const { return slots_.size(); }
  /// The connection in slot i (nullptr while the slot has none or there is no slot i yet).
  const Connection* slot_connection(size_t i) const { return i < slots_.size() ? slots_[i].connection : nullptr; }
  size_t pending_calls() const { return pending_.size(); }

  void on_connection_ready(Connection& connection) override;
  void on_connection_failed(Connection& connection) override;
  void on_goaway(Connection& connection) override;
  void on_connection_closed(Connection& connection) override;
  void on_stream_capacity(Connection& connection) override;

 private:
  struct Slot {
    uint32_t id = 0;           // stable across re-resolutions; a Connection's tag
    uint32_t copy = 0;         // 0..C-1 among the slots of one address
    Dialer* address = nullptr;
    Connection* connection = nullptr;  // the live connection, if any
    bool in_backoff = false;
    double backoff_s = 0.0;              // current_backoff; 0: no failure since the last success
    engine::SimTime next_attempt{};      // current_deadline: the earliest start of the next attempt
  };

  void dispatch(traffic::RequestId id);
  Connection* pick();
  void connect_idle_slots();
  bool any_connecting() const;
  bool any_ready() const;
  /// Starts a connection attempt in `slot`. `next_address`: pick_first's pass moved on to the next
  /// address after a failure; the pass is one attempt, so the backoff does not advance.
  void open_slot(Slot& slot, bool next_address = false);
  Connection& acquire_connection();
  Slot* find_slot(const Connection& connection);
  Slot* find_slot_id(uint32_t id);
  void retire(Connection& connection);
  void requeue_waiting(Connection& connection);
  void drain_pending();
  /// kReportFull: opens another connection when every ready one is full. HTTP/2 (Envoy) dials one
  /// at a time; HTTP/1.1 dials one per call that `waiting` says needs a connection (a client or
  /// nginx opens a connection per request that finds no idle one, at once).
  void grow_if_full(size_t waiting);
  void fail_pending_if_hopeless();
  void fail(traffic::RequestId id, traffic::Outcome outcome);
  void after_loss(Slot& slot);

  void request_resolution();
  void on_resolution_due(uint64_t);
  void resolve_now();
  void on_backoff_done(uint64_t slot_id);

  engine::Simulator& sim_;
  traffic::RequestTable& requests_;
  engine::RngStream rng_;
  ChannelConfig config_;
  Resolver& resolver_;
  bool report_full_;  // at the stream limit, open another connection (Envoy) instead of queueing

  std::vector<Dialer*> addresses_;
  std::vector<Dialer*> resolved_;      // scratch for the resolver's answer
  std::vector<Slot> slots_;
  std::vector<Slot> next_slots_;       // scratch for re-resolution
  std::deque<Connection> connections_; // pool; stable addresses; reused when reusable()
  engine::Fifo<traffic::RequestId> pending_;
  size_t cursor_ = 0;
  uint32_t next_slot_id_ = 0;
  bool resolved_once_ = false;
  engine::SimTime last_resolution_{};
  engine::EventHandle resolution_event_;
  uint64_t resolutions_ = 0;
  uint64_t connections_opened_ = 0;
};

}  // namespace kubemind::net
