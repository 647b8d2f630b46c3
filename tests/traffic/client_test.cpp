// SPDX-License-Identifier: MIT
#include "sim/traffic/client.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

using namespace kubemind;
using engine::Duration;
using engine::SimTime;

namespace {

/// A server with `slots` parallel slots and a fixed service time; it fails the first `fail_first`
/// attempts it sees with `failure`, answering those at once.
struct FakeServer final : traffic::RequestSink {
  engine::Simulator* sim = nullptr;
  traffic::RequestTable* table = nullptr;
  Duration service{};
  int slots = 1'000'000;
  int fail_first = 0;
  traffic::Outcome failure = traffic::Outcome::kOverflow;
  int busy = 0;
  std::vector<traffic::RequestId> waiting;
  uint64_t attempts = 0;

  void on_request(traffic::RequestId id) override {
    ++attempts;
    if (fail_first > 0) {
      --fail_first;
      (*table)[id].outcome = failure;
      (*table)[id].pop_reply()->on_response(id);
      return;
    }
    if (busy < slots) {
      start(id);
    } else {
      waiting.push_back(id);
    }
  }
  void start(traffic::RequestId id) {
    ++busy;
    (*table)[id].started_at = sim->now();
    sim->schedule_in<&FakeServer::done>(service, this, id);
  }
  void done(uint64_t id) {
    --busy;
    auto& r = (*table)[static_cast<traffic::RequestId>(id)];
    r.outcome = traffic::Outcome::kOk;
    r.pop_reply()->on_response(static_cast<traffic::RequestId>(id));
    if (!waiting.empty()) {
      const auto next = waiting.front();
      waiting.erase(waiting.begin());
      start(next);
    }
  }
};

struct Recorder final : traffic::RequestObserver {
  std::vector<traffic::Request> sent, answered;
  void on_sent(const traffic::Request& r) override { sent.push_back(r); }
  void on_answered(const traffic::Request& r) override { answered.push_back(r); }
};

struct World {
  engine::Simulator sim;
  traffic::RequestTable table;
  FakeServer server;
  Recorder recorder;
  World() {
    server.sim = &sim;
    server.table = &table;
  }
  std::unique_ptr<traffic::Client> client(const traffic::ClientConfig& c, uint64_t seed = 1) {
    return std::make_unique<traffic::Client>(sim, engine::RngStream(seed, "client/" + c.name, "arrivals"),
                                             engine::RngStream(seed, "client/" + c.name, "behaviour"), table, c, 0,
                                             server, recorder);
  }
};

traffic::ClientConfig closed_loop(int concurrency, double think_ms) {
  traffic::ClientConfig c;
  c.name = "callers";
  c.load = traffic::LoadModel::kClosedLoop;
  c.concurrency = concurrency;
  c.think.mean_ms = think_ms;
  return c;
}

}  // namespace

TEST_CASE("a closed loop without queueing cycles every service + think time", "[traffic]") {
  World w;
  w.server.service = Duration::milliseconds(10);
  auto client = w.client(closed_loop(10, 40));
  client->start(SimTime::from_seconds(10));
  w.sim.run();
  // Each of 10 callers sends at 0, 50, ..., 9950 ms: 200 calls each.
  CHECK(client->sent() == 2000);
  CHECK(w.recorder.answered.size() == 2000);
  for (const auto& r : w.recorder.answered) CHECK((r.finished_at - r.sent_at) == Duration::milliseconds(10));
}

TEST_CASE("a closed loop on one busy server obeys the response time law R = N / X - Z", "[traffic]") {
  World w;
  w.server.service = Duration::milliseconds(10);
  w.server.slots = 1;
  auto client = w.client(closed_loop(5, 0));
  client->start(SimTime::from_seconds(10));
  w.sim.run();
  // The server is never idle: X = 1 / S = 100/s; with Z = 0, R = N / X = 50 ms once the loop is full.
  CHECK(w.recorder.answered.size() == 1000 + 4);  // calls started before 10 s finish after it
  for (size_t i = 5; i < w.recorder.answered.size(); ++i) {
    const auto& r = w.recorder.answered[i];
    CHECK((r.finished_at - r.sent_at) == Duration::milliseconds(50));
  }
}

TEST_CASE("a deadline fails the call at exactly the deadline and drops the late answer", "[traffic]") {
  World w;
  w.server.service = Duration::milliseconds(100);
  traffic::ClientConfig c = closed_loop(1, 0);
  c.deadline_ms = 30;
  auto client = w.client(c);
  client->start(SimTime::from_seconds(1));
  w.sim.run();
  REQUIRE(!w.recorder.answered.empty());
  for (const auto& r : w.recorder.answered) {
    CHECK(r.outcome == traffic::Outcome::kTimeout);
    CHECK((r.finished_at - r.sent_at) == Duration::milliseconds(30));
  }
  // Calls leave every 30 ms (the caller moves on at the deadline): 0, 30, ..., 990 ms.
  CHECK(client->sent() == 34);
  CHECK(w.table.in_use() == 0);  // every late answer was received and released
}

TEST_CASE("retries resend a failed call after a bounded backoff, up to max_attempts", "[traffic]") {
  World w;
  w.server.service = Duration::milliseconds(5);
  w.server.fail_first = 2;
  traffic::ClientConfig c;
  c.name = "one";
  c.arrival.process = traffic::ArrivalProcess::kConstant;
  c.arrival.rate_rps = 1;  // one call at t = 1 s
  c.retry = {3, 0.1, 1.0, 2.0};
  const int attempts = GENERATE(2, 3);
  c.retry.max_attempts = attempts;
  auto client = w.client(c);
  client->start(SimTime::from_seconds(1.5));
  w.sim.run();
  REQUIRE(w.recorder.answered.size() == 1);
  const auto& r = w.recorder.answered[0];
  const double latency_s = (r.finished_at - r.sent_at).seconds_f();
  if (attempts == 3) {
    // Two failures answered at once, backoffs in [0, 0.1] and [0, 0.2], then 5 ms of service.
    CHECK(r.outcome == traffic::Outcome::kOk);
    CHECK(client->retries() == 2);
    CHECK(latency_s >= 0.005);
    CHECK(latency_s <= 0.305);
  } else {
    CHECK(r.outcome == traffic::Outcome::kOverflow);
    CHECK(client->retries() == 1);
    CHECK(latency_s <= 0.1);
  }
  CHECK(w.server.attempts == static_cast<uint64_t>(attempts));
  CHECK(w.table.in_use() == 0);
}

TEST_CASE("a deadline that passes during a retry backoff ends the call at once", "[traffic]") {
  World w;
  w.server.fail_first = 1'000'000;  // always fails
  traffic::ClientConfig c;
  c.name = "one";
  c.arrival.process = traffic::ArrivalProcess::kConstant;
  c.arrival.rate_rps = 1;
  c.deadline_ms = 1;  // shorter than any likely backoff (uniform in [0, 10 s])
  c.retry = {5, 10.0, 10.0, 1.0};
  auto client = w.client(c);
  client->start(SimTime::from_seconds(1.5));
  w.sim.run();
  REQUIRE(w.recorder.answered.size() == 1);
  CHECK(w.recorder.answered[0].outcome == traffic::Outcome::kTimeout);
  CHECK((w.recorder.answered[0].finished_at - w.recorder.answered[0].sent_at) == Duration::milliseconds(1));
  CHECK(w.table.in_use() == 0);
}

TEST_CASE("turning retries on does not move a single arrival", "[traffic]") {
  World a, b;
  a.server.fail_first = b.server.fail_first = 50;
  traffic::ClientConfig c;
  c.name = "load";
  c.arrival.rate_rps = 100;
  auto plain = a.client(c, 7);
  c.retry.max_attempts = 4;
  auto retrying = b.client(c, 7);
  plain->start(SimTime::from_seconds(20));
  retrying->start(SimTime::from_seconds(20));
  a.sim.run();
  b.sim.run();
  REQUIRE(a.recorder.sent.size() == b.recorder.sent.size());
  for (size_t i = 0; i < a.recorder.sent.size(); ++i) REQUIRE(a.recorder.sent[i].sent_at == b.recorder.sent[i].sent_at);
  CHECK(retrying->retries() > 0);
}
