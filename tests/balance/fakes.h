// SPDX-License-Identifier: MIT
#pragma once
// Tiny fakes for the balance tests: an upstream that answers after a fixed delay, and a client that
// sends at scripted times and keeps every answer.

#include <cstdint>
#include <vector>

#include "sim/engine/simulator.h"
#include "sim/traffic/request.h"

namespace kubemind::balance::testing {

/// Answers every request `delay` after it arrives; the first `fail_first` requests (and all of them if
/// `always_fail`) are answered with `failure`.
struct FakeUpstream final : traffic::RequestSink {
  engine::Simulator* sim = nullptr;
  traffic::RequestTable* table = nullptr;
  uint32_t index = 0;
  engine::Duration delay{};
  uint64_t fail_first = 0;
  bool always_fail = false;
  traffic::Outcome failure = traffic::Outcome::kQueueFull;
  uint64_t received = 0;
  std::vector<engine::SimTime> arrivals;

  void on_request(traffic::RequestId id) override {
    traffic::Request& r = (*table)[id];
    r.arrived_at = sim->now();
    r.started_at = sim->now();
    r.server = index;
    const bool fail = always_fail || received < fail_first;
    ++received;
    arrivals.push_back(sim->now());
    r.outcome = fail ? failure : traffic::Outcome::kOk;
    sim->schedule_in<&FakeUpstream::answer>(delay, this, id);
  }
  void answer(uint64_t id) {
    const auto rid = static_cast<traffic::RequestId>(id);
    (*table)[rid].pop_reply()->on_response(rid);
  }
};

struct ScriptedClient final : traffic::ResponseSink {
  engine::Simulator* sim = nullptr;
  traffic::RequestTable* table = nullptr;
  traffic::RequestSink* target = nullptr;
  uint64_t next_key = 0;
  bool keys_from_counter = true;
  std::vector<traffic::Request> answers;

  void send(uint64_t key) {
    const traffic::RequestId id = table->acquire();
    traffic::Request& r = (*table)[id];
    r.sent_at = sim->now();
    r.key = key;
    r.push_reply(this);
    target->on_request(id);
  }
  void on_response(traffic::RequestId id) override {
    (*table)[id].finished_at = sim->now();
    answers.push_back((*table)[id]);
    table->release(id);
  }
  /// Schedules one request at `t`.
  void send_at(engine::SimTime t, uint64_t key = 0) { sim->schedule_at<&ScriptedClient::send>(t, this, key); }
  /// Schedules `count` requests every `gap` from `start`.
  void send_every(engine::SimTime start, engine::Duration gap, uint64_t count) {
    for (uint64_t i = 0; i < count; ++i) send_at(start + gap * static_cast<int64_t>(i), i);
  }
  uint64_t count(traffic::Outcome outcome) const {
    uint64_t n = 0;
    for (const traffic::Request& r : answers) n += r.outcome == outcome ? 1 : 0;
    return n;
  }
};

}  // namespace kubemind::balance::testing
