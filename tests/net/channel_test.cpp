// SPDX-License-Identifier: MIT
#include "sim/net/channel.h"

#include <catch2/catch.hpp>
#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "tests/net/fakes.h"

using namespace kubemind;
using engine::Duration;
using engine::SimTime;
using net::testing::at_ms;
using net::testing::at_s;
using traffic::Outcome;

namespace {

/// N pods, each a fixed-delay server behind its own pod IP (a headless Service's addresses).
struct Pods {
  std::vector<std::unique_ptr<net::testing::FixedDelayServer>> servers;
  std::vector<std::unique_ptr<net::FixedDialer>> ips;
  Pods(engine::Simulator& sim, traffic::RequestTable& table, int n, Duration service) {
    for (int i = 0; i < n; ++i) {
      servers.push_back(std::make_unique<net::testing::FixedDelayServer>(sim, table, static_cast<uint32_t>(i), service));
      ips.push_back(std::make_unique<net::FixedDialer>(net::Endpoint{static_cast<uint32_t>(i), servers.back().get()}));
    }
  }
  std::vector<net::Dialer*> addresses(int n) const {
    std::vector<net::Dialer*> out;
    for (int i = 0; i < n; ++i) out.push_back(ips[static_cast<size_t>(i)].get());
    return out;
  }
};

struct Rig {
  engine::Simulator sim;
  traffic::RequestTable table;
  Pods pods;
  net::StaticResolver dns;
  net::Channel channel;
  net::testing::RecordingClient client;
  Rig(int n_pods, int n_resolved, const net::ChannelConfig& config, Duration service)
      : pods(sim, table, n_pods, service),
        dns(pods.addresses(n_resolved)),
        channel(sim, table, engine::RngStream(3, "test/channel", "channel"), config, dns),
        client(sim, table, channel) {}
  std::vector<int> calls_per_pod() const {
    std::vector<int> n(pods.servers.size(), 0);
    for (const traffic::Request& r : client.answers) {
      if (r.outcome == Outcome::kOk) ++n[r.server];
    }
    return n;
  }
};

net::ChannelConfig policy(net::LbPolicy lb) {
  net::ChannelConfig c;
  c.lb_policy = lb;
  return c;
}

}  // namespace

TEST_CASE("pick_first sends every call over one connection to the first resolved address", "[net]") {
  Rig rig(3, 3, policy(net::LbPolicy::kPickFirst), Duration::milliseconds(5));
  rig.client.send_every(SimTime{0}, Duration::milliseconds(10), 30);
  rig.sim.run();
  CHECK(rig.calls_per_pod() == std::vector<int>{30, 0, 0});
  CHECK(rig.channel.connections_opened() == 1);
  CHECK(rig.channel.resolutions() == 1);
}

TEST_CASE("round_robin over a headless Service rotates calls over one connection per pod", "[net]") {
  Rig rig(3, 3, policy(net::LbPolicy::kRoundRobin), Duration::milliseconds(5));
  rig.client.send_at(SimTime{0});  // resolves and connects eagerly; waits for the first ready one
  rig.client.send_every(at_ms(10.0), Duration::milliseconds(10), 30);
  rig.sim.run();
  REQUIRE(rig.client.answers.size() == 31);
  CHECK(rig.client.answers[0].server == 0);
  // The 30 later calls take the slots in order 1, 2, 0, 1, 2, ... : 10 each, plus the first on pod 0.
  for (size_t i = 1; i < 31; ++i) CHECK(rig.client.answers[i].server == i % 3);
  CHECK(rig.calls_per_pod() == std::vector<int>{11, 10, 10});
  CHECK(rig.channel.connections_opened() == 3);
}

TEST_CASE("the channel re-resolves only after a connection loss and no sooner than 30 s after the last resolution", "[net]") {
  // Headless Service with pods 0 and 1; pod 2 joins the DNS answer at 1 s. 0.25 ms hops, 50 ms
  // service. The first call at 0.01 s resolves (slots: pod 0, pod 1) and takes pod 0; then a call
  // every 100 ms at 0.05 s + 0.1 k; call k goes to pod (k + 1) % 2 while there are two slots.
  Rig rig(3, 2, policy(net::LbPolicy::kRoundRobin), Duration::milliseconds(50));
  rig.client.send_at(at_s(0.01));
  rig.client.send_every(at_s(0.05), Duration::milliseconds(100), 600);
  rig.sim.run_until(at_s(1.0));
  rig.dns.set_addresses(rig.pods.addresses(3));
  rig.sim.run_until(at_s(9.97));  // call 99 (9.95 s, pod 0) is at the server
  rig.channel.reset_endpoint(0);  // its connection is lost: the slot reconnects, a resolution is due at 30.01 s
  rig.sim.run_until(at_s(30.0));
  CHECK(rig.channel.resolutions() == 1);
  CHECK(rig.pods.servers[2]->received == 0);  // gRPC does not poll DNS
  rig.sim.run();
  CHECK(rig.channel.resolutions() == 2);
  REQUIRE(rig.client.answers.size() == 601);
  int resets = 0;
  for (const traffic::Request& r : rig.client.answers) resets += r.outcome == Outcome::kReset ? 1 : 0;
  CHECK(resets == 1);
  // From 30.01 s the slots are pods 0, 1, 2 from the first: 30.05 s -> 0, 30.15 -> 1, 30.25 -> 2.
  CHECK(rig.pods.servers[2]->first_arrival == at_s(30.25) + Duration::microseconds(250));
  CHECK(rig.pods.servers[2]->received == 100);  // calls 300..599 split evenly over three pods
  CHECK(rig.channel.connections_opened() == 4);  // 2 at start, 1 after the loss, 1 for pod 2
}

TEST_CASE("a refused connection backs off and calls fail fast with no healthy upstream until it can connect", "[net]") {
  Rig rig(1, 1, policy(net::LbPolicy::kPickFirst), Duration::milliseconds(5));
  rig.pods.ips[0]->set_reachable(false);
  rig.client.send_at(SimTime{0});      // waits for the dial, which is refused after one RTT (0.5 ms)
  rig.client.send_at(at_s(0.1));       // inside the 1 s (+/-20%) backoff: fails at once
  rig.sim.run_until(at_s(1.5));
  rig.pods.ips[0]->set_reachable(true);
  rig.client.send_at(at_s(2.0));       // backoff over: reconnects on this call
  rig.sim.run_until(at_s(3.0));
  REQUIRE(rig.client.answers.size() == 3);
  CHECK(rig.client.answers[0].outcome == Outcome::kNoHealthyUpstream);
  CHECK(rig.client.answers[0].finished_at == at_ms(0.5));
  CHECK(rig.client.answers[1].outcome == Outcome::kNoHealthyUpstream);
  CHECK(rig.client.answers[1].finished_at == at_s(0.1));
  CHECK(rig.client.answers[2].outcome == Outcome::kOk);
  // set-up 0.5 ms + hop 0.25 + service 5 + hop 0.25
  CHECK(rig.client.answers[2].finished_at == at_s(2.0) + Duration::microseconds(6000));
  CHECK(rig.channel.connections_opened() == 2);
  CHECK(rig.channel.resolutions() == 1);  // the failure asked for one, due at 30 s
}

TEST_CASE("dials to a machine that answers nothing time out after 20 s and the next starts at once, until the backoff outgrows the timeout", "[net]") {
  // grpc/grpc doc/connection-backoff.md: an attempt waits max(its backoff deadline, MIN_CONNECT_TIMEOUT
  // 20 s); backoffs 1, 1.6, 2.56, 4.10, 6.55, 10.49, 16.78 s (+/-20% from the second) all end before
  // their attempt's 20 s timeout, so attempts start at 0, 20, 40, ..., 140 s; the eighth's backoff,
  // 26.84 s +/-20% (21.47-32.21 s), outlasts the minimum: it times out at 161.47-172.21 s.
  Rig rig(1, 1, policy(net::LbPolicy::kRoundRobin), Duration::milliseconds(5));
  rig.pods.servers[0]->down = true;
  rig.client.send_at(SimTime{0});  // resolves; round_robin connects at once and reconnects after each failure
  rig.client.send_at(at_s(25.0));  // while the second attempt is connecting: waits for it
  const auto opened_by = [&](double s) {
    rig.sim.run_until(at_s(s));
    return rig.channel.connections_opened();
  };
  CHECK(opened_by(19.999) == 1);
  CHECK(opened_by(20.0) == 2);
  CHECK(opened_by(139.999) == 7);
  CHECK(opened_by(140.0) == 8);
  CHECK(opened_by(161.46) == 8);
  CHECK(opened_by(172.22) == 9);
  REQUIRE(rig.client.answers.size() == 2);
  CHECK(rig.client.answers[0].outcome == Outcome::kNoHealthyUpstream);  // gRPC UNAVAILABLE, after the timeout
  CHECK(rig.client.answers[0].finished_at == at_s(20.0));
  CHECK(rig.client.answers[1].outcome == Outcome::kNoHealthyUpstream);
  CHECK(rig.client.answers[1].finished_at == at_s(40.0));
  CHECK(rig.pods.servers[0]->received == 0);
}

TEST_CASE("a refused dial waits out the first 1 s backoff from the attempt's start, without jitter", "[net]") {
  // The first backoff after a success is INITIAL_BACKOFF exactly (connection-backoff.md draws no
  // jitter for it); it counts from the attempt's start (0), not from the refusal (0.5 ms).
  Rig rig(1, 1, policy(net::LbPolicy::kRoundRobin), Duration::milliseconds(5));
  rig.pods.ips[0]->set_reachable(false);
  rig.client.send_at(SimTime{0});
  rig.sim.run_until(at_s(0.999999));
  CHECK(rig.channel.connections_opened() == 1);
  rig.sim.run_until(at_s(1.0));
  CHECK(rig.channel.connections_opened() == 2);
}

TEST_CASE("a GOAWAY moves new calls to a new connection while the in-flight ones finish on the old one", "[net]") {
  // pick_first on a pod IP, server age 10 s (+/-10%), no grace limit: calls every 100 ms, each
  // served in 350 ms, so 3 or 4 are in flight at every GOAWAY. No call may fail.
  net::ChannelConfig config = policy(net::LbPolicy::kPickFirst);
  config.connection.server.max_connection_age_s = 10.0;
  Rig rig(1, 1, config, Duration::milliseconds(350));
  rig.client.send_every(SimTime{0}, Duration::milliseconds(100), 1000);  // 100 s
  rig.sim.run();
  REQUIRE(rig.client.answers.size() == 1000);
  for (const traffic::Request& r : rig.client.answers) REQUIRE(r.outcome == Outcome::kOk);
  // A connection lives 9..11 s after set-up; the next one opens on the next call (<= 100 ms):
  // over 100 s that is between 100/11.1 and 100/9 + 1 connections.
  CHECK(rig.channel.connections_opened() >= 9);
  CHECK(rig.channel.connections_opened() <= 12);
  CHECK(rig.table.in_use() == 0);
}

TEST_CASE("at the stream limit a gRPC channel queues in the transport while an Envoy-style one opens another connection", "[net]") {
  // One pod, 1 ms hops, 50 ms service, server MAX_CONCURRENT_STREAMS 100; 150 calls at 10 ms on a
  // connection that is up (2 ms) and has the server's SETTINGS (4 ms).
  for (const auto mode : {net::AtStreamLimit::kQueueInTransport, net::AtStreamLimit::kReportFull}) {
    const bool envoy = mode == net::AtStreamLimit::kReportFull;
    INFO((envoy ? "report full" : "queue in transport"));
    net::ChannelConfig config = policy(net::LbPolicy::kPickFirst);
    config.connection.one_way_latency_ms = 1.0;
    config.connection.server.max_concurrent_streams = 100;
    config.connection.at_stream_limit = mode;
    Rig rig(1, 1, config, Duration::milliseconds(50));
    rig.client.send_at(SimTime{0});  // brings the connection up; back at 2 + 1 + 50 + 1 = 54 ms
    rig.sim.run_until(at_ms(10.0));
    for (int i = 0; i < 150; ++i) rig.client.send();
    rig.sim.run();
    REQUIRE(rig.client.answers.size() == 151);
    // The first call holds a stream until 54 ms, so 99 of the 150 get one at 10 ms (back at 62 ms).
    // Queue: the 100th gets the stream freed at 54 ms (back at 54 + 52 = 106 ms), the other 50
    //   the ones freed at 62 ms (back at 114 ms).
    // Envoy: a second connection is dialled at 10 ms, up at 12 ms, and takes the 51 left over at
    //   once (back at 12 + 1 + 50 + 1 = 64 ms).
    int on_time = 0, at_106 = 0, at_114 = 0, at_64 = 0;
    for (size_t i = 1; i < rig.client.answers.size(); ++i) {
      const SimTime t = rig.client.answers[i].finished_at;
      on_time += t == at_ms(62.0) ? 1 : 0;
      at_106 += t == at_ms(106.0) ? 1 : 0;
      at_114 += t == at_ms(114.0) ? 1 : 0;
      at_64 += t == at_ms(64.0) ? 1 : 0;
    }
    CHECK(on_time == 99);
    CHECK(at_106 == (envoy ? 0 : 1));
    CHECK(at_114 == (envoy ? 0 : 50));
    CHECK(at_64 == (envoy ? 51 : 0));
    CHECK(rig.channel.connections_opened() == (envoy ? 2u : 1u));
  }
}

TEST_CASE("pick_first with two connections replaces each one on the next call after its GOAWAY", "[net]") {
  // Server age 10 s (+/-10%): over 100 s each of the two slots is replaced 9 to 11 times.
  net::ChannelConfig config = policy(net::LbPolicy::kPickFirst);
  config.connections_per_address = 2;
  config.connection.server.max_connection_age_s = 10.0;
  Rig rig(1, 1, config, Duration::milliseconds(30));
  // A slot is without a connection only from its GOAWAY to the next call (<= 20 ms) plus set-up
  // (0.5 ms), i.e. ~0.2% of the time; sampled once a second, both are up in nearly every sample.
  rig.client.send_every(SimTime{0}, Duration::milliseconds(20), 5000);  // 100 s
  int both_up = 0;
  for (int t = 1; t < 100; ++t) {
    rig.sim.run_until(at_s(t + 0.5));
    const net::Connection* a = rig.channel.slot_connection(0);
    const net::Connection* b = rig.channel.slot_connection(1);
    both_up += a != nullptr && a->ready() && b != nullptr && b->ready() ? 1 : 0;
  }
  rig.sim.run();
  for (const traffic::Request& r : rig.client.answers) REQUIRE(r.outcome == Outcome::kOk);
  CHECK(both_up >= 97);  // reconnecting only when both are gone keeps one down ~7% of the time
  CHECK(rig.channel.connections_opened() >= 2 * 10);  // 2 + 2 * floor(100 / 11.1)
  CHECK(rig.channel.connections_opened() <= 2 * 12);  // 2 + 2 * ceil(100 / 9)
}

TEST_CASE("an HTTP/1.1 keep-alive client holds one request per connection and dials one per waiting call", "[net]") {
  // One pod, 1 ms hops, 50 ms service. HTTP/1.1: no SETTINGS, one request at a time per connection,
  // another connection dialled at once for each call that finds none idle (a TCP handshake, 2 ms).
  net::ChannelConfig config = policy(net::LbPolicy::kPickFirst);
  config.connection.one_way_latency_ms = 1.0;
  config.connection.http1 = true;
  config.connection.at_stream_limit = net::AtStreamLimit::kReportFull;
  Rig rig(1, 1, config, Duration::milliseconds(50));
  rig.client.send_at(SimTime{0});  // connection 1 up at 2 ms; back at 2 + 1 + 50 + 1 = 54 ms
  rig.sim.run_until(at_ms(60.0));
  for (int i = 0; i < 3; ++i) rig.client.send();  // at 60 ms: one idle connection for three calls
  rig.sim.run_until(at_ms(200.0));
  rig.client.send();  // at 200 ms: three idle keep-alive connections, no new dial
  rig.sim.run();
  REQUIRE(rig.client.answers.size() == 5);
  std::vector<SimTime> done;
  for (const traffic::Request& r : rig.client.answers) done.push_back(r.finished_at);
  std::sort(done.begin(), done.end());
  // 60 ms on the idle connection: back at 112; the two others each dial at 60 (up at 62): back at 114.
  CHECK(done == std::vector<SimTime>{at_ms(54.0), at_ms(112.0), at_ms(114.0), at_ms(114.0), at_ms(252.0)});
  CHECK(rig.channel.connections_opened() == 3);
}
