// SPDX-License-Identifier: MIT
#include "sim/net/connection.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

#include "tests/net/fakes.h"

using namespace kubemind;
using engine::Duration;
using engine::SimTime;
using net::Connection;
using net::testing::at_ms;
using net::testing::at_s;
using traffic::Outcome;

namespace {

/// Records a connection's life; hands back waiting calls when asked and can reopen on close.
struct ScriptedOwner final : net::ConnectionOwner {
  engine::Simulator* sim = nullptr;
  Connection* connection = nullptr;
  net::Dialer* reopen_through = nullptr;  // reopen on close (jitter sampling)
  int reopen_left = 0;
  int ready = 0, failed = 0, goaways = 0, closed = 0, capacity = 0;
  SimTime ready_at{}, goaway_at{}, closed_at{};
  std::vector<Duration> goaway_after_ready;
  std::vector<traffic::RequestId> handed_back;

  void take_all(Connection& c) {
    traffic::RequestId id = 0;
    while (c.take_waiting(id)) handed_back.push_back(id);
  }
  void on_connection_ready(Connection&) override {
    ++ready;
    ready_at = sim->now();
  }
  void on_connection_failed(Connection& c) override {
    ++failed;
    take_all(c);
  }
  void on_goaway(Connection& c) override {
    ++goaways;
    goaway_at = sim->now();
    goaway_after_ready.push_back(sim->now() - ready_at);
    take_all(c);
  }
  void on_connection_closed(Connection& c) override {
    ++closed;
    closed_at = sim->now();
    take_all(c);
    if (reopen_through != nullptr && reopen_left-- > 0) c.open(*reopen_through);
  }
  void on_stream_capacity(Connection&) override { ++capacity; }
};

/// Lets a RecordingClient send straight into a connection.
struct ConnectionInlet final : traffic::RequestSink {
  Connection* connection = nullptr;
  void on_request(traffic::RequestId id) override { connection->send(id); }
};

struct Rig {
  engine::Simulator sim;
  traffic::RequestTable table;
  engine::RngStream jitter{7, "test/connection", "max_connection_age"};
  net::testing::FixedDelayServer server;
  net::FixedDialer dialer;
  ScriptedOwner owner;
  Connection connection;
  ConnectionInlet inlet;
  net::testing::RecordingClient client;

  Rig(const net::ConnectionConfig& config, Duration service)
      : server(sim, table, 5, service),
        dialer(net::Endpoint{5, &server}),
        connection(sim, table, jitter, config, owner),
        client(sim, table, inlet) {
    owner.sim = &sim;
    owner.connection = &connection;
    inlet.connection = &connection;
  }
};

net::ConnectionConfig one_ms_hop() {
  net::ConnectionConfig c;
  c.one_way_latency_ms = 1.0;
  return c;
}

}  // namespace

TEST_CASE("connection set-up costs one RTT for TCP plus the TLS handshake, and each call crosses the hop both ways", "[net]") {
  // one-way 1 ms, RTT 2 ms, service 10 ms; the call is handed over at t = 0 while connecting.
  struct Case {
    bool tls;
    int tls_rtts;
    double ready_ms;
  };
  for (const Case c : {Case{false, 1, 2.0}, Case{true, 1, 4.0}, Case{true, 2, 6.0}}) {
    INFO("tls " << c.tls << " rtts " << c.tls_rtts);
    net::ConnectionConfig config = one_ms_hop();
    config.tls = c.tls;
    config.tls_handshake_rtts = c.tls_rtts;
    Rig rig(config, Duration::milliseconds(10));
    rig.connection.open(rig.dialer);
    rig.client.send_at(SimTime{0});
    rig.sim.run();
    REQUIRE(rig.client.answers.size() == 1);
    const traffic::Request& r = rig.client.answers[0];
    CHECK(rig.owner.ready_at == at_ms(c.ready_ms));
    CHECK(r.arrived_at == at_ms(c.ready_ms + 1.0));          // leaves when ready, one hop
    CHECK(r.finished_at == at_ms(c.ready_ms + 1.0 + 10.0 + 1.0));  // service, hop back
    CHECK(r.server == 5);
    CHECK(r.outcome == Outcome::kOk);
    CHECK(rig.table.in_use() == 0);  // the server leg was released too
  }
}

TEST_CASE("with MAX_CONCURRENT_STREAMS 100, 50 of 150 concurrent calls wait in the transport and the wait is in their latency", "[net]") {
  net::ConnectionConfig config = one_ms_hop();
  config.server.max_concurrent_streams = 100;
  Rig rig(config, Duration::milliseconds(50));
  rig.connection.open(rig.dialer);
  rig.sim.run_until(at_ms(10.0));  // up at 2 ms, SETTINGS at 4 ms
  REQUIRE(rig.connection.stream_limit() == 100);
  for (int i = 0; i < 150; ++i) rig.client.send();
  CHECK(rig.connection.active_streams() == 100);
  CHECK(rig.connection.waiting_calls() == 50);
  rig.sim.run();
  REQUIRE(rig.client.answers.size() == 150);
  // Hand-worked: the first 100 leave at 10 ms, reach the server at 11, finish at 61, are back at
  // 62 ms (latency 52 ms). Each answer frees a stream for the oldest waiting call, so the other 50
  // leave at 62, reach the server at 63 and are back at 114 ms (latency 104 ms).
  for (const traffic::Request& r : rig.client.answers) {
    INFO("call " << r.client);
    const bool waited = r.client >= 100;
    CHECK((r.finished_at - r.sent_at) == Duration::milliseconds(waited ? 104 : 52));
    CHECK(r.arrived_at == at_ms(waited ? 63.0 : 11.0));
    CHECK(r.outcome == Outcome::kOk);
  }
  CHECK(rig.connection.streams_opened() == 150);
}

TEST_CASE("a gRPC client assumes 100 streams until the server's SETTINGS arrive one RTT after set-up", "[net]") {
  // gRPC servers advertise no limit, but the first 1 RTT runs on the client's tentative 100.
  Rig rig(one_ms_hop(), Duration::milliseconds(50));
  rig.connection.open(rig.dialer);
  for (int i = 0; i < 150; ++i) rig.client.send_at(SimTime{0});
  rig.sim.run();
  REQUIRE(rig.client.answers.size() == 150);
  // Up at 2 ms: 100 leave (back at 2+1+50+1 = 54 ms); SETTINGS at 4 ms lift the limit: 50 leave (56 ms).
  for (const traffic::Request& r : rig.client.answers) {
    INFO("call " << r.client);
    CHECK(r.finished_at == at_ms(r.client < 100 ? 54.0 : 56.0));
  }
  CHECK(rig.connection.stream_limit() == net::kUnlimitedStreams);
}

TEST_CASE("in report-full mode a connection at its stream limit says so and says when a stream frees", "[net]") {
  net::ConnectionConfig config = one_ms_hop();
  config.server.max_concurrent_streams = 2;
  config.at_stream_limit = net::AtStreamLimit::kReportFull;
  Rig rig(config, Duration::milliseconds(10));
  rig.connection.open(rig.dialer);
  rig.sim.run_until(at_ms(5.0));
  CHECK(rig.connection.has_capacity());
  rig.client.send();
  rig.client.send();
  CHECK_FALSE(rig.connection.has_capacity());
  CHECK(rig.connection.waiting_calls() == 0);
  rig.sim.run();
  CHECK(rig.client.answers.size() == 2);
  CHECK(rig.owner.capacity == 2);  // one per finished stream
  CHECK(rig.connection.has_capacity());
}

TEST_CASE("max connection age: after GOAWAY no new stream opens, the in-flight call finishes, then the connection closes", "[net]") {
  net::ConnectionConfig config = one_ms_hop();
  config.server.max_connection_age_s = 10.0;
  Rig rig(config, Duration::seconds(20));
  rig.connection.open(rig.dialer);
  rig.client.send_at(at_s(0.5));
  rig.sim.run_until(at_s(12.0));
  REQUIRE(rig.owner.goaways == 1);
  // GOAWAY leaves the server at ready + age * (1 +/- 10%) and needs one hop (1 ms).
  const Duration after_ready = rig.owner.goaway_after_ready[0];
  CHECK(after_ready >= Duration::seconds(9) + Duration::milliseconds(1));
  CHECK(after_ready < Duration::seconds(11) + Duration::milliseconds(1));
  CHECK(rig.connection.state() == Connection::State::kDraining);
  CHECK_FALSE(rig.connection.accepting());
  rig.sim.run();
  REQUIRE(rig.client.answers.size() == 1);
  CHECK(rig.client.answers[0].outcome == Outcome::kOk);
  CHECK(rig.client.answers[0].finished_at == at_s(0.5) + Duration::milliseconds(2) + Duration::seconds(20));
  CHECK(rig.owner.closed == 1);
  CHECK(rig.owner.closed_at == rig.client.answers[0].finished_at);  // closes with its last stream
}

TEST_CASE("after MAX_CONNECTION_AGE_GRACE the server closes and what is left is reset", "[net]") {
  net::ConnectionConfig config = one_ms_hop();
  config.server.max_connection_age_s = 10.0;
  config.server.max_connection_age_grace_s = 1.0;
  Rig rig(config, Duration::seconds(20));
  rig.connection.open(rig.dialer);
  rig.client.send_at(at_s(0.5));
  rig.sim.run_until(at_s(15.0));
  REQUIRE(rig.client.answers.size() == 1);
  CHECK(rig.client.answers[0].outcome == Outcome::kReset);
  CHECK(rig.client.answers[0].finished_at == rig.owner.goaway_at + Duration::seconds(1));  // no jitter on grace
  CHECK(rig.owner.closed_at == rig.owner.goaway_at + Duration::seconds(1));
  CHECK_FALSE(rig.connection.reusable());  // the server still works on the leg
  rig.sim.run();                           // the server's late answer is dropped
  CHECK(rig.server.answered == 1);
  CHECK(rig.client.answers.size() == 1);
  CHECK(rig.table.in_use() == 0);
  CHECK(rig.connection.reusable());
}

TEST_CASE("max connection age jitter is uniform from -10% up to +10% per connection", "[net]") {
  // 2,000 connections in a row on one connection object; no calls, so each closes at its GOAWAY
  // and is reopened. Uniform on [9 s, 11 s): mean 10 s, sd 2/sqrt(12) = 0.577 s; the sample mean
  // of 2,000 has sd 0.0129 s (tolerance 0.05 s ~ 3.9 sd); P(< 10 s) = 0.5 (sd 0.0112, tolerance
  // 0.05); P(< 9.5 s) = 0.25 (sd 0.0097, tolerance 0.04).
  net::ConnectionConfig config;
  config.one_way_latency_ms = 0.0;
  config.server.max_connection_age_s = 10.0;
  Rig rig(config, Duration::milliseconds(1));
  rig.owner.reopen_through = &rig.dialer;
  rig.owner.reopen_left = 1999;
  rig.connection.open(rig.dialer);
  rig.sim.run();
  const auto& ages = rig.owner.goaway_after_ready;
  REQUIRE(ages.size() == 2000);
  double sum_s = 0.0;
  int below_10 = 0, below_9_5 = 0;
  for (const Duration a : ages) {
    REQUIRE(a >= Duration::seconds(9));
    REQUIRE(a < Duration::seconds(11));
    sum_s += a.seconds_f();
    below_10 += a < Duration::seconds(10) ? 1 : 0;
    below_9_5 += a < Duration::milliseconds(9500) ? 1 : 0;
  }
  CHECK(sum_s / 2000.0 == Approx(10.0).margin(0.05));
  CHECK(below_10 / 2000.0 == Approx(0.5).margin(0.05));
  CHECK(below_9_5 / 2000.0 == Approx(0.25).margin(0.04));
}

TEST_CASE("reset fails every unanswered stream with kReset at once and the server's late answers are dropped", "[net]") {
  Rig rig(one_ms_hop(), Duration::milliseconds(10));
  rig.connection.open(rig.dialer);  // up at 2 ms
  rig.client.send_at(at_ms(2.0));   // at the server 3..13 ms, on its way back at the reset
  rig.client.send_at(at_ms(5.0));   // at the server 6..16 ms
  rig.client.send_at(at_ms(12.5));  // still on the wire to the server (arrives 13.5 ms)
  rig.sim.run_until(at_ms(13.2));
  rig.connection.reset();
  REQUIRE(rig.client.answers.size() == 3);
  for (const traffic::Request& r : rig.client.answers) {
    CHECK(r.outcome == Outcome::kReset);
    CHECK(r.finished_at == at_ms(13.2));
  }
  CHECK(rig.connection.streams_reset() == 3);
  CHECK(rig.owner.closed == 1);
  CHECK_FALSE(rig.connection.reusable());  // the 5 ms call's leg is still at the server
  rig.sim.run();
  CHECK(rig.server.received == 2);  // the 12.5 ms call never arrived
  CHECK(rig.table.in_use() == 0);
  CHECK(rig.connection.reusable());
}

TEST_CASE("a dial that finds no endpoint fails after one RTT and hands its waiting calls back", "[net]") {
  Rig rig(one_ms_hop(), Duration::milliseconds(10));
  rig.dialer.set_reachable(false);
  rig.connection.open(rig.dialer);
  rig.client.send_at(SimTime{0});
  rig.sim.run();
  CHECK(rig.owner.failed == 1);
  CHECK(rig.owner.ready == 0);
  CHECK(rig.owner.handed_back.size() == 1);
  CHECK(rig.sim.now() == at_ms(2.0));
  CHECK(rig.connection.reusable());
}

TEST_CASE("a dial to a machine that answers nothing fails at the connect timeout, not after one RTT", "[net]") {
  // gRPC's MIN_CONNECT_TIMEOUT is 20 s (grpc/grpc doc/connection-backoff.md); Envoy's cluster
  // connect_timeout 5 s. The SYNs go unanswered; the call waiting meanwhile is handed back.
  for (const double timeout_s : {20.0, 5.0}) {
    INFO("connect timeout " << timeout_s << " s");
    net::ConnectionConfig config = one_ms_hop();
    config.connect_timeout_s = timeout_s;
    Rig rig(config, Duration::milliseconds(10));
    rig.server.down = true;
    rig.connection.open(rig.dialer);
    rig.client.send_at(SimTime{0});
    rig.sim.run_until(SimTime::from_seconds(timeout_s) - Duration::nanoseconds(1));
    CHECK(rig.owner.failed == 0);
    CHECK(rig.connection.state() == Connection::State::kConnecting);
    rig.sim.run();
    CHECK(rig.owner.failed == 1);
    CHECK(rig.owner.ready == 0);
    CHECK(rig.owner.handed_back.size() == 1);
    CHECK(rig.sim.now() == SimTime::from_seconds(timeout_s));
    CHECK(rig.connection.reusable());
  }
  // The channel passes its own, longer timeout once its backoff exceeds the minimum.
  Rig rig(one_ms_hop(), Duration::milliseconds(10));
  rig.server.down = true;
  rig.connection.open(rig.dialer, Duration::seconds(27));
  rig.sim.run();
  CHECK(rig.sim.now() == at_s(27.0));
}

TEST_CASE("a server whose machine failed sends no GOAWAY or close, and the connection lives until data sent into it goes unacknowledged for 924.6 s", "[net]") {
  net::ConnectionConfig config = one_ms_hop();
  config.server.max_connection_age_s = 10.0;  // GOAWAY due at 9-11 s
  config.server.max_connection_age_grace_s = 1.0;
  Rig rig(config, Duration::seconds(3));
  rig.connection.open(rig.dialer);
  rig.client.send_at(at_s(1.0));
  rig.client.send_at(at_s(6.0));  // at the server when its machine fails at 7 s: its request was acknowledged
  rig.sim.run_until(at_s(7.0));
  rig.server.down = true;
  rig.sim.run_until(at_s(60.0));
  CHECK(rig.owner.goaways == 0);
  CHECK(rig.owner.closed == 0);
  CHECK(rig.connection.state() == Connection::State::kReady);
  REQUIRE(rig.client.answers.size() == 1);  // only the call answered before the failure
  CHECK(rig.client.answers[0].finished_at == at_s(1.0) + Duration::milliseconds(2) + Duration::seconds(3));
  CHECK(rig.connection.active_streams() == 1);
  // A call sent at 100 s is never acknowledged: Linux retransmits it from TCP_RTO_MIN 200 ms,
  // doubling to 120 s, 15 times (tcp_retries2), and kills the connection at 0.2 x (2^10 - 1) +
  // 6 x 120 = 924.6 s after it was sent. Both unanswered calls fail then.
  rig.client.send_at(at_s(100.0));
  rig.sim.run_until(at_s(1024.5));
  CHECK(rig.owner.closed == 0);
  rig.sim.run();
  CHECK(rig.owner.closed == 1);
  CHECK(rig.owner.closed_at == at_s(1024.6));
  REQUIRE(rig.client.answers.size() == 3);
  CHECK(rig.client.answers[1].outcome == Outcome::kReset);
  CHECK(rig.client.answers[2].outcome == Outcome::kReset);
  CHECK(rig.client.answers[2].finished_at == at_s(1024.6));
}
