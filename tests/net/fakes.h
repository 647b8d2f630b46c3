// SPDX-License-Identifier: MIT
#pragma once
// Tiny stand-ins for the ends of a connection in data-plane tests: a server that answers every
// request after a fixed delay (unbounded parallelism, so only the network and the transport shape
// latency) and a client that sends tagged calls and keeps a copy of every answer.

#include <cstdint>
#include <vector>

#include "sim/engine/simulator.h"
#include "sim/traffic/request.h"

namespace kubemind::net::testing {

class FixedDelayServer final : public traffic::RequestSink {
 public:
  FixedDelayServer(engine::Simulator& sim, traffic::RequestTable& table, uint32_t index, engine::Duration delay)
      : sim_(sim), table_(table), index_(index), delay_(delay) {}

  void on_request(traffic::RequestId id) override {
    if (down) return;  // its machine is gone: the request vanishes
    ++received;
    if (received == 1) first_arrival = sim_.now();
    table_[id].arrived_at = sim_.now();
    table_[id].started_at = sim_.now();
    sim_.schedule_in<&FixedDelayServer::on_done>(delay_, this, id);
  }
  void on_done(uint64_t raw) {
    const auto id = static_cast<traffic::RequestId>(raw);
    if (down) return;  // the answer never leaves
    table_[id].server = index_;
    table_[id].outcome = traffic::Outcome::kOk;
    ++answered;
    table_[id].pop_reply()->on_response(id);
  }

  traffic::DialAnswer answer_dial() const override {
    return down ? traffic::DialAnswer::kNoAnswer : traffic::DialAnswer::kAccept;
  }

  bool down = false;  // the server's machine failed: no SYN-ACK, no answers, nothing sent
  uint64_t received = 0;
  uint64_t answered = 0;
  engine::SimTime first_arrival{};

 private:
  engine::Simulator& sim_;
  traffic::RequestTable& table_;
  uint32_t index_;
  engine::Duration delay_;
};

/// Sends calls (their `client` field carries a sequence number) and records the answers.
class RecordingClient final : public traffic::ResponseSink {
 public:
  RecordingClient(engine::Simulator& sim, traffic::RequestTable& table, traffic::RequestSink& target)
      : sim_(sim), table_(table), target_(target) {}

  void send(uint64_t = 0) {
    const traffic::RequestId id = table_.acquire();
    table_[id].sent_at = sim_.now();
    table_[id].client = sent_++;
    table_[id].push_reply(this);
    target_.on_request(id);
  }
  void send_at(engine::SimTime t) { sim_.schedule_at<&RecordingClient::send>(t, this); }
  /// `count` calls, the first at `first`, then every `gap`.
  void send_every(engine::SimTime first, engine::Duration gap, int count) {
    for (int i = 0; i < count; ++i) send_at(first + gap * i);
  }
  void on_response(traffic::RequestId id) override {
    table_[id].finished_at = sim_.now();
    answers.push_back(table_[id]);
    table_.release(id);
  }
  uint32_t sent() const { return sent_; }

  std::vector<traffic::Request> answers;

 private:
  engine::Simulator& sim_;
  traffic::RequestTable& table_;
  traffic::RequestSink& target_;
  uint32_t sent_ = 0;
};

inline engine::SimTime at_ms(double ms) { return engine::SimTime{engine::Duration::from_milliseconds(ms).ns}; }
inline engine::SimTime at_s(double s) { return engine::SimTime::from_seconds(s); }

}  // namespace kubemind::net::testing
