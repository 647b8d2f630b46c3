// SPDX-License-Identifier: MIT
#include "sim/net/connection.h"

#include <cmath>

namespace kubemind::net {

using engine::Duration;
using traffic::Outcome;
using traffic::RequestId;

Connection::Connection(engine::Simulator& sim, traffic::RequestTable& requests, engine::RngStream& jitter,
                       const ConnectionConfig& config, ConnectionOwner& owner)
    : sim_(sim),
      requests_(requests),
      jitter_(jitter),
      config_(config),
      owner_(owner),
      one_way_(Duration::from_milliseconds(config.one_way_latency_ms)) {}

void Connection::open(Dialer& dialer, Duration connect_timeout) {
  SIM_ASSERT(reusable(), "open() on a connection still in use");
  SIM_ASSERT(active_ == 0 && waiting_.empty(), "a closed connection kept streams");
  dialer_ = &dialer;
  endpoint_ = dialer.dial();
  limit_ = config_.http1 ? 1 : config_.initial_max_concurrent_streams;
  ready_at_ = engine::SimTime{};
  graceful_stop_ = false;
  state_ = State::kConnecting;
  const Duration rtt = one_way_ * 2;
  const traffic::DialAnswer answer = endpoint_.valid() ? endpoint_.sink->answer_dial() : traffic::DialAnswer::kRefuse;
  if (answer == traffic::DialAnswer::kRefuse) {
    setup_event_ = sim_.schedule_in<&Connection::on_connect_failed>(rtt, this);
    return;
  }
  if (answer == traffic::DialAnswer::kNoAnswer) {  // SYNs retransmitted into the void until the timeout
    setup_event_ = sim_.schedule_in<&Connection::on_connect_failed>(connect_timeout, this);
    return;
  }
  const int64_t handshakes = 1 + (config_.tls ? config_.tls_handshake_rtts : 0);
  setup_event_ = sim_.schedule_in<&Connection::on_setup_done>(rtt * handshakes, this);
}

void Connection::on_connect_failed(uint64_t) {
  setup_event_ = {};
  state_ = State::kClosed;
  if (endpoint_.valid()) dialer_->hang_up(endpoint_);  // the L4 choice was made (IPVS counted it)
  owner_.on_connection_failed(*this);
}

void Connection::on_setup_done(uint64_t) {
  setup_event_ = {};
  state_ = State::kReady;
  ready_at_ = sim_.now();
  // The server's first SETTINGS frame reaches the client one RTT after the connection is up (HTTP/2 only).
  if (!config_.http1) settings_event_ = sim_.schedule_in<&Connection::on_settings>(one_way_ * 2, this);
  const double age_s = config_.server.max_connection_age_s;
  if (std::isfinite(age_s)) {
    const int64_t age_ns = Duration::from_seconds(age_s).ns;
    const int64_t r = age_ns / 10;  // +/-10%, grpc-go getJitter: Int63n(2r) - r
    const int64_t jitter_ns = r > 0 ? boost::random::uniform_int_distribution<int64_t>(-r, r - 1)(jitter_.engine()) : 0;
    // The server sends GOAWAY at its age limit; the client learns it one hop later.
    goaway_event_ = sim_.schedule_in<&Connection::on_goaway>(Duration{age_ns + jitter_ns} + one_way_, this);
  }
  open_waiting();
  owner_.on_connection_ready(*this);
}

void Connection::on_settings(uint64_t) {
  settings_event_ = {};
  const uint32_t before = limit_;
  limit_ = config_.server.max_concurrent_streams;
  if (state_ != State::kReady) return;
  open_waiting();
  if (config_.at_stream_limit == AtStreamLimit::kReportFull && limit_ > before && has_capacity()) {
    owner_.on_stream_capacity(*this);
  }
}

void Connection::on_goaway(uint64_t) {
  goaway_event_ = {};
  if (state_ != State::kReady || peer_down()) return;  // a dead machine sends no GOAWAY
  state_ = State::kDraining;
  const double grace_s = config_.server.max_connection_age_grace_s;
  if (!graceful_stop_ && std::isfinite(grace_s)) {
    // Grace counts from the GOAWAY at the server; the close reaches the client one hop later,
    // exactly `grace` after the GOAWAY did.
    close_event_ = sim_.schedule_in<&Connection::on_server_close>(Duration::from_seconds(grace_s), this);
  }
  owner_.on_goaway(*this);
  SIM_CHECK(state_ != State::kDraining || waiting_.empty(), "the owner must take calls waiting on a GOAWAY'd connection");
  finish_drain_if_empty();
}

void Connection::server_goaway() {
  if (state_ != State::kReady || graceful_stop_) return;
  graceful_stop_ = true;
  sim_.cancel(goaway_event_);
  goaway_event_ = sim_.schedule_in<&Connection::on_goaway>(one_way_, this);
}

void Connection::on_server_close(uint64_t) {
  close_event_ = {};
  if (state_ == State::kClosed || peer_down()) return;  // nor a FIN or RST: the connection hangs
  close(true);
}

void Connection::send(RequestId id) {
  SIM_ASSERT(accepting(), "send() on a connection that takes no new streams");
  if (state_ == State::kReady && active_ < limit_ && waiting_.empty()) {
    open_stream(id);
    return;
  }
  SIM_ASSERT(state_ != State::kReady || config_.at_stream_limit == AtStreamLimit::kQueueInTransport,
             "send() on a full connection in report-full mode");
  waiting_.push_back(id);
}

void Connection::reset() {
  if (state_ == State::kIdle || state_ == State::kClosed) return;
  close(true);
}

void Connection::shutdown() {
  if (state_ == State::kConnecting) {
    close(false);
  } else if (state_ == State::kReady) {
    state_ = State::kDraining;
    sim_.cancel(goaway_event_);
    goaway_event_ = {};
    finish_drain_if_empty();
  }
}

bool Connection::take_waiting(RequestId& id) {
  if (waiting_.empty()) return false;
  id = waiting_.pop_front();
  return true;
}

void Connection::open_stream(RequestId client_id) {
  const uint32_t slot = allocate_slot();
  Stream& stream = streams_[slot];
  const RequestId server_id = requests_.acquire();
  traffic::Request& leg = requests_[server_id];
  leg = requests_[client_id];
  leg.hops = 0;
  leg.reply_path = {};
  leg.push_reply(&stream);
  stream.state = StreamState::kToServer;
  stream.client_id = client_id;
  stream.server_id = server_id;
  stream.hop = sim_.schedule_in<&Connection::on_at_server>(one_way_, this, slot);
  ++active_;
  ++streams_opened_;
  if (abort_event_.empty() && peer_down()) {  // these bytes will never be acknowledged
    abort_event_ = sim_.schedule_in<&Connection::on_retransmission_abort>(
        Duration::from_seconds(config_.retransmission_abort_s), this);
  }
}

void Connection::on_retransmission_abort(uint64_t) {
  abort_event_ = {};
  if (state_ == State::kReady || state_ == State::kDraining) close(true);
}

void Connection::open_waiting() {
  while (state_ == State::kReady && active_ < limit_ && !waiting_.empty()) open_stream(waiting_.pop_front());
}

void Connection::on_at_server(uint64_t slot) {
  Stream& stream = streams_[slot];
  stream.hop = {};
  stream.state = StreamState::kAtServer;
  endpoint_.sink->on_request(stream.server_id);
}

void Connection::Stream::on_response(RequestId id) {
  SIM_ASSERT(id == server_id, "answer for another stream");
  (void)id;
  connection->on_server_answer(*this);
}

void Connection::on_server_answer(Stream& stream) {
  if (stream.state == StreamState::kOrphan) {
    // The connection was closed while the server worked on it: nobody waits for this answer.
    requests_.release(stream.server_id);
    --orphans_;
    free_slot(stream);
    return;
  }
  SIM_ASSERT(stream.state == StreamState::kAtServer, "answer for a stream not at the server");
  stream.state = StreamState::kToClient;
  stream.hop = sim_.schedule_in<&Connection::on_at_client>(one_way_, this, stream.index);
}

void Connection::on_at_client(uint64_t slot) {
  Stream& stream = streams_[slot];
  const RequestId client_id = stream.client_id;
  const RequestId server_id = stream.server_id;
  {
    traffic::Request& client = requests_[client_id];
    const uint8_t hops = client.hops;
    const auto path = client.reply_path;
    client = requests_[server_id];
    client.hops = hops;
    client.reply_path = path;
  }
  requests_.release(server_id);
  free_slot(stream);
  --active_;
  open_waiting();  // the freed stream goes to the oldest waiting call first
  requests_[client_id].pop_reply()->on_response(client_id);
  if (state_ == State::kDraining) {
    finish_drain_if_empty();
  } else if (config_.at_stream_limit == AtStreamLimit::kReportFull && has_capacity()) {
    owner_.on_stream_capacity(*this);
  }
}

uint32_t Connection::allocate_slot() {
  if (!free_slots_.empty()) {
    const uint32_t slot = free_slots_.back();
    free_slots_.pop_back();
    return slot;
  }
  streams_.emplace_back();
  Stream& stream = streams_.back();
  stream.connection = this;
  stream.index = static_cast<uint32_t>(streams_.size() - 1);
  return stream.index;
}

void Connection::free_slot(Stream& stream) {
  stream.state = StreamState::kFree;
  stream.hop = {};
  free_slots_.push_back(stream.index);
}

void Connection::finish_drain_if_empty() {
  if (state_ == State::kDraining && active_ == 0) close(false);
}

void Connection::close(bool reset_streams) {
  sim_.cancel(setup_event_);
  sim_.cancel(settings_event_);
  sim_.cancel(goaway_event_);
  sim_.cancel(close_event_);
  sim_.cancel(abort_event_);
  setup_event_ = settings_event_ = goaway_event_ = close_event_ = abort_event_ = {};
  const bool was_dialled = endpoint_.valid();
  state_ = State::kClosed;
  ++orphans_;  // holds reusable() false while callbacks run
  if (was_dialled) dialer_->hang_up(endpoint_);
  if (reset_streams) fail_streams();
  --orphans_;
  owner_.on_connection_closed(*this);
}

void Connection::fail_streams() {
  // Every slot still in use is an unanswered stream; fail them in slot order (a written rule).
  // Callbacks cannot reach this connection's streams: it is closed and not reusable meanwhile.
  for (Stream& stream : streams_) {
    switch (stream.state) {
      case StreamState::kFree:
      case StreamState::kOrphan:
        continue;
      case StreamState::kAtServer:
        stream.state = StreamState::kOrphan;  // the server still holds the leg
        ++orphans_;
        break;
      case StreamState::kToServer:
      case StreamState::kToClient:
        sim_.cancel(stream.hop);
        requests_.release(stream.server_id);
        free_slot(stream);
        break;
    }
    --active_;
    ++streams_reset_;
    const RequestId client_id = stream.client_id;
    requests_[client_id].outcome = Outcome::kReset;
    requests_[client_id].pop_reply()->on_response(client_id);
  }
  SIM_ASSERT(active_ == 0, "stream count out of step");
}

}  // namespace kubemind::net
