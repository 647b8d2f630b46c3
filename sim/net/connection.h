// SPDX-License-Identifier: MIT
#pragma once
// The client side of one TCP connection carrying HTTP/2 streams (one stream per request, as gRPC
// does) to one Endpoint.
//
// Modelled (times in simulated ns, configured in ms / s):
// - Set-up: TCP costs 1 RTT before the first byte of data, TLS adds tls_handshake_rtts RTTs
//   (TLS 1.3 full handshake = 1, RFC 8446; TLS 1.2 = 2). RTT = 2 x one-way latency. A dial that
//   finds no endpoint, or a host where nothing listens, fails after 1 RTT (SYN answered by a
//   reject or RST); a dial to a host that answers nothing (a failed node) fails at the connect
//   timeout. Either way the owner is told (on_connection_failed) and the calls waiting stay inside.
// - Latency: every request and every response crosses the hop once (one-way latency each way).
// - Stream limit: the client may have at most `limit` streams open. Until the server's first
//   SETTINGS frame arrives (1 RTT after the connection is up) the limit is the client's tentative
//   value (gRPC: 100, grpc-go internal/transport/defaults.go defaultMaxStreamsClient); then it is
//   the server's SETTINGS_MAX_CONCURRENT_STREAMS, unlimited when the server does not send one
//   (gRPC servers do not; grpc-go http2_client.go handleSettings: first SETTINGS without the
//   setting => MaxUint32). At the limit a call either waits in the transport in FIFO order (gRPC:
//   grpc-go blocks in NewStream, grpc-java queues pending streams) or the connection reports
//   itself full and its owner opens another connection (Envoy's upstream pool).
// - Server connection management (gRFC A9, grpc/proposal A9-server-side-conn-mgt.md): at
//   MAX_CONNECTION_AGE plus a per-connection jitter uniform in [-10%, +10%) (grpc-go
//   http2_server.go getJitter: Int63n(2r) - r with r = age/10) the server sends GOAWAY; the client
//   learns it one hop later and opens no new stream on it; in-flight streams finish; the connection
//   closes when the last one ends. MAX_CONNECTION_AGE_GRACE (no jitter) after the GOAWAY the server
//   closes the connection and the client sees whatever is left reset (Outcome::kReset).
//   Defaults: age and grace infinite (A9; grpc-go defaults.go). A server whose machine is down
//   sends neither, and acknowledges nothing: the first call sent on the connection after the
//   machine went down starts the client kernel's retransmissions, and retransmission_abort_s later
//   (Linux: tcp_retries2 = 15 retransmissions from TCP_RTO_MIN 200 ms, doubling up to 120 s, give
//   up at 924.6 s; Documentation/networking/ip-sysctl.rst) the kernel kills the connection: what
//   is left on it fails kReset (gRPC UNAVAILABLE) and the owner reconnects. A connection that
//   sends nothing more hangs (no keepalive is modelled).
// - reset(): the pod terminated (or the connection was lost); every unanswered stream fails with
//   Outcome::kReset at once.
//
// Streams and request ids: the request a caller hands to send() is the client leg. The connection
// forwards a copy (the server leg, a second id from the same RequestTable) to the endpoint, so the
// server may keep working on it after the connection is reset (as a real server does until it
// notices) without ever touching the client's request, which the caller may already have released.
// When the server answers, the server leg is copied back into the client leg (reply path kept) and
// released. Ids come from the table's pool and stream slots are reused: no allocation per request
// in steady state.
//
// Simplifications: no flow control windows, no frame or header sizes, no keepalive, no idle
// timeout; the server's SETTINGS and GOAWAY settings are the config's (one server setup per
// connection); the server-side age timer starts when the client sees the connection up.

#include <boost/random/uniform_int_distribution.hpp>
#include <cstdint>
#include <deque>
#include <limits>
#include <vector>

#include "sim/engine/fifo.h"
#include "sim/engine/rng.h"
#include "sim/engine/simulator.h"
#include "sim/net/endpoint.h"
#include "sim/traffic/request.h"

namespace kubemind::net {

inline constexpr uint32_t kUnlimitedStreams = std::numeric_limits<uint32_t>::max();
inline constexpr double kInfinite = std::numeric_limits<double>::infinity();

/// What the client transport does with a call when all allowed streams are open.
enum class AtStreamLimit : uint8_t {
  kQueueInTransport,  // the call waits in FIFO order for a stream (gRPC C, Go, Java)
  kReportFull,        // has_capacity() turns false; the owner opens another connection (Envoy)
};

/// The server's transport settings, as the client experiences them.
struct ServerTransportConfig {
  uint32_t max_concurrent_streams = kUnlimitedStreams;  // gRPC servers advertise none (unlimited)
  double max_connection_age_s = kInfinite;              // gRFC A9 MAX_CONNECTION_AGE, default infinite
  double max_connection_age_grace_s = kInfinite;        // gRFC A9 MAX_CONNECTION_AGE_GRACE, default infinite
};

struct ConnectionConfig {
  double one_way_latency_ms = 0.25;  // per hop, each direction (assumed in-cluster value; set per scenario)
  bool tls = false;
  int tls_handshake_rtts = 1;        // TLS 1.3 full handshake (RFC 8446); TLS 1.2: 2
  /// How long a dial waits for an answer, in s: gRPC's MIN_CONNECT_TIMEOUT 20 s (grpc/grpc
  /// doc/connection-backoff.md; a channel waits longer once its backoff exceeds it); Envoy's
  /// cluster connect_timeout defaults to 5 s (envoy/config/cluster/v3/cluster.proto).
  double connect_timeout_s = 20.0;
  /// How long the kernel retransmits unacknowledged data to a silent peer before it kills the
  /// connection, in s: Linux tcp_retries2 = 15 from TCP_RTO_MIN (in-cluster RTTs are far below it).
  double retransmission_abort_s = 924.6;
  uint32_t initial_max_concurrent_streams = 100;  // client's value before SETTINGS (gRPC: 100; Envoy: unlimited)
  AtStreamLimit at_stream_limit = AtStreamLimit::kQueueInTransport;
  ServerTransportConfig server;
  /// HTTP/1.1 with keep-alive instead of HTTP/2: one request at a time per connection (no
  /// pipelining: nginx upstreams, browsers and most HTTP clients never pipeline), no SETTINGS, so the
  /// stream limit is 1 whatever `initial_max_concurrent_streams` and `server` say (RFC 9112 9.3).
  bool http1 = false;
};

class Connection;

/// Told about a connection's life. Callbacks may call back into the connection.
class ConnectionOwner {
 public:
  /// Set-up finished; streams are being opened.
  virtual void on_connection_ready(Connection& connection) = 0;
  /// The dial was refused or timed out; calls that were waiting are still inside (take_waiting()).
  virtual void on_connection_failed(Connection& connection) = 0;
  /// GOAWAY arrived: no new streams; calls still waiting for a stream are inside (take_waiting()).
  virtual void on_goaway(Connection& connection) = 0;
  /// The connection is closed (drained after GOAWAY, closed by the server, or reset); calls that
  /// were waiting for a stream are inside (take_waiting()).
  virtual void on_connection_closed(Connection& connection) = 0;
  /// A stream ended on a connection whose owner cares about capacity (AtStreamLimit::kReportFull).
  virtual void on_stream_capacity(Connection&) {}

 protected:
  ~ConnectionOwner() = default;
};

class Connection {
 public:
  enum class State : uint8_t { kIdle, kConnecting, kReady, kDraining, kClosed };

  /// `jitter` draws the server's max-connection-age jitter.
  Connection(engine::Simulator& sim, traffic::RequestTable& requests, engine::RngStream& jitter,
             const ConnectionConfig& config, ConnectionOwner& owner);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Dials through `dialer` and starts the set-up; a dial nobody answers fails after
  /// `connect_timeout`. Only when reusable().
  void open(Dialer& dialer, engine::Duration connect_timeout);
  /// As above, with the config's connect_timeout_s.
  void open(Dialer& dialer) { open(dialer, engine::Duration::from_seconds(config_.connect_timeout_s)); }
  /// Sends a call: opens a stream at once if allowed, otherwise waits in the transport (also
  /// while connecting). In kReportFull mode a ready connection must have capacity.
  void send(traffic::RequestId id);
  /// The endpoint went away (pod terminated, connection lost): unanswered streams fail with kReset.
  void reset();
  /// Client-initiated graceful close (the owner no longer wants it): no new streams, in-flight ones
  /// finish, then it closes. Calls still waiting for a stream stay inside for take_waiting().
  void shutdown();
  /// The server stops gracefully (SIGTERM: grpc-go GracefulStop, grpc-java Server.shutdown()): it
  /// sends GOAWAY now; the client learns it one hop later, opens no new stream on it and lets the
  /// in-flight ones finish. No grace timer: the process's exit resets what is left (reset()).
  void server_goaway();
  /// Hands back one call that never got a stream (after failure, GOAWAY or close).
  bool take_waiting(traffic::RequestId& id);

  State state() const { return state_; }
  bool ready() const { return state_ == State::kReady; }
  /// May take a new call (connecting, or ready and not draining).
  bool accepting() const { return state_ == State::kConnecting || state_ == State::kReady; }
  /// Ready, not draining, and a stream is free for a new call.
  bool has_capacity() const { return state_ == State::kReady && active_ < limit_ && waiting_.empty(); }
  /// Closed and no server leg outstanding: open() may be called again.
  bool reusable() const { return (state_ == State::kIdle || state_ == State::kClosed) && orphans_ == 0; }
  const Endpoint& endpoint() const { return endpoint_; }
  uint32_t active_streams() const { return active_; }
  size_t waiting_calls() const { return waiting_.size(); }
  uint32_t stream_limit() const { return limit_; }
  engine::SimTime ready_at() const { return ready_at_; }
  uint64_t streams_opened() const { return streams_opened_; }
  uint64_t streams_reset() const { return streams_reset_; }
  /// An owner's label for this connection (e.g. which of its slots it fills).
  void set_tag(uint32_t tag) { tag_ = tag; }
  uint32_t tag() const { return tag_; }

 private:
  enum class StreamState : uint8_t { kFree, kToServer, kAtServer, kToClient, kOrphan };

  /// One HTTP/2 stream slot; it is the server leg's reply hop.
  struct Stream final : traffic::ResponseSink {
    Connection* connection = nullptr;
    uint32_t index = 0;
    StreamState state = StreamState::kFree;
    traffic::RequestId client_id = 0;
    traffic::RequestId server_id = 0;
    engine::EventHandle hop;
    void on_response(traffic::RequestId id) override;
  };

  void on_setup_done(uint64_t);
  void on_connect_failed(uint64_t);
  void on_settings(uint64_t);
  void on_goaway(uint64_t);
  void on_server_close(uint64_t);
  void on_retransmission_abort(uint64_t);
  void on_at_server(uint64_t slot);
  void on_at_client(uint64_t slot);
  void on_server_answer(Stream& stream);

  void open_stream(traffic::RequestId id);
  void open_waiting();
  uint32_t allocate_slot();
  void free_slot(Stream& stream);
  void fail_streams();
  void close(bool reset_streams);
  void finish_drain_if_empty();
  engine::Duration one_way() const { return one_way_; }
  /// The server's machine is down (its node failed): nothing more comes from it, not even a close.
  bool peer_down() const { return endpoint_.valid() && endpoint_.sink->answer_dial() == traffic::DialAnswer::kNoAnswer; }

  engine::Simulator& sim_;
  traffic::RequestTable& requests_;
  engine::RngStream& jitter_;
  ConnectionConfig config_;
  ConnectionOwner& owner_;
  engine::Duration one_way_;

  State state_ = State::kIdle;
  Dialer* dialer_ = nullptr;
  Endpoint endpoint_;
  engine::SimTime ready_at_{};
  uint32_t limit_ = 0;
  uint32_t active_ = 0;   // streams opened and not yet answered to the client
  uint32_t orphans_ = 0;  // server legs still at the server after a close
  engine::Fifo<traffic::RequestId> waiting_;
  std::deque<Stream> streams_;   // stable addresses: a Stream is a reply hop
  std::vector<uint32_t> free_slots_;
  engine::EventHandle setup_event_;
  engine::EventHandle settings_event_;
  engine::EventHandle goaway_event_;
  engine::EventHandle close_event_;
  engine::EventHandle abort_event_;  // kernel retransmitting to a silent peer
  bool graceful_stop_ = false;  // the pending GOAWAY is the server's shutdown, not its age limit
  uint64_t streams_opened_ = 0;
  uint64_t streams_reset_ = 0;
  uint32_t tag_ = 0;
};

}  // namespace kubemind::net
