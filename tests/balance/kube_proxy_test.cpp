// SPDX-License-Identifier: MIT
#include "sim/balance/kube_proxy.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <memory>
#include <set>
#include <utility>
#include <vector>

#include "sim/net/channel.h"
#include "tests/net/fakes.h"

using namespace kubemind;
using balance::KubeProxy;
using balance::KubeProxyConfig;
using engine::Duration;
using engine::SimTime;
using net::testing::at_ms;
using net::testing::at_s;
using traffic::Outcome;

namespace {

/// Pods behind a ClusterIP: fixed-delay servers, one kube-proxy (the client's node), the VIP as
/// the only DNS answer.
struct Service {
  engine::Simulator sim;
  traffic::RequestTable table;
  std::vector<std::unique_ptr<net::testing::FixedDelayServer>> pods;
  KubeProxy proxy;
  net::StaticResolver dns;

  Service(uint64_t seed, int n_pods, Duration service, const KubeProxyConfig& config = {})
      : proxy(sim, engine::RngStream(seed, "kube-proxy/node-0", "iptables"), config), dns({&proxy}) {
    add_pods(n_pods, service);
    proxy.set_endpoints(endpoints(n_pods));
  }
  void add_pods(int n, Duration service) {
    for (int i = 0; i < n; ++i) {
      const auto index = static_cast<uint32_t>(pods.size());
      pods.push_back(std::make_unique<net::testing::FixedDelayServer>(sim, table, index, service));
    }
  }
  std::vector<net::Endpoint> endpoints(int n) const {
    std::vector<net::Endpoint> out;
    for (int i = 0; i < n; ++i) out.push_back(net::Endpoint{static_cast<uint32_t>(i), pods[static_cast<size_t>(i)].get()});
    return out;
  }
};

/// A channel to the Service and the client that calls through it.
struct Caller {
  net::Channel channel;
  net::testing::RecordingClient client;
  Caller(Service& s, const net::ChannelConfig& config, uint64_t seed)
      : channel(s.sim, s.table, engine::RngStream(seed, "client", "channel"), config, s.dns),
        client(s.sim, s.table, channel) {}
};

net::ChannelConfig pool_of(int connections) {
  net::ChannelConfig c;
  c.connections_per_address = connections;
  return c;
}

}  // namespace

TEST_CASE("one client connection to 4 ready pods behind an iptables ClusterIP sends every call to one pod, chosen uniformly", "[balance][kube_proxy]") {
  // Per seed: 20 calls on one gRPC channel (pick_first, C = 1). Over 2,000 seeds each pod should
  // be chosen 500 times; chi-square with 3 dof, critical value 16.27 at p = 0.001.
  std::vector<int> chosen(4, 0);
  for (uint64_t seed = 0; seed < 2000; ++seed) {
    Service s(seed, 4, Duration::milliseconds(5));
    Caller caller(s, net::ChannelConfig{}, seed);
    caller.client.send_every(SimTime{0}, Duration::milliseconds(10), 20);
    s.sim.run();
    REQUIRE(caller.client.answers.size() == 20);
    const uint32_t pod = caller.client.answers[0].server;
    for (const traffic::Request& r : caller.client.answers) {
      REQUIRE(r.outcome == Outcome::kOk);
      REQUIRE(r.server == pod);  // 100% of requests on one pod
    }
    ++chosen[pod];
  }
  double chi2 = 0.0;
  for (const int n : chosen) chi2 += (n - 500.0) * (n - 500.0) / 500.0;
  INFO("per pod " << chosen[0] << " " << chosen[1] << " " << chosen[2] << " " << chosen[3]);
  CHECK(chi2 < 16.27);
}

TEST_CASE("with C connections on N pods the mean number of pods that get traffic is N(1-(1-1/N)^C)", "[balance][kube_proxy]") {
  // Each connection lands on a uniform pod independently, so a pod stays idle with probability
  // (1-1/N)^C. 1,000 seeds per (N, C); the sampling error of the mean is below 1% in every case.
  struct Case {
    int n, c;
  };
  for (const Case k : {Case{4, 1}, Case{4, 2}, Case{4, 4}, Case{8, 3}, Case{10, 10}, Case{3, 6}}) {
    const double expected = k.n * (1.0 - std::pow(1.0 - 1.0 / k.n, k.c));
    double sum = 0.0;
    for (uint64_t seed = 0; seed < 1000; ++seed) {
      Service s(seed, k.n, Duration::milliseconds(5));
      Caller caller(s, pool_of(k.c), seed);
      caller.client.send_at(SimTime{0});  // opens all C connections
      caller.client.send_every(at_ms(10.0), Duration::milliseconds(1), 4 * k.c);  // rotate over them
      s.sim.run();
      std::set<uint32_t> used;
      for (const traffic::Request& r : caller.client.answers) used.insert(r.server);
      REQUIRE(caller.channel.connections_opened() == static_cast<uint64_t>(k.c));
      sum += static_cast<double>(used.size());
    }
    INFO("N " << k.n << " C " << k.c);
    CHECK(sum / 1000.0 == Approx(expected).epsilon(0.03));
  }
}

TEST_CASE("pods added while a connection is open get none of its calls, new connections after the sync reach them", "[balance][kube_proxy]") {
  Service s(11, 1, Duration::milliseconds(20));
  Caller pinned(s, net::ChannelConfig{}, 1);
  pinned.client.send_every(SimTime{0}, Duration::milliseconds(100), 200);  // 0 .. 19.9 s
  s.sim.run_until(at_s(5.0));
  s.add_pods(3, Duration::milliseconds(20));
  s.proxy.set_endpoints(s.endpoints(4));  // a token is free: programmed at once
  CHECK(s.proxy.programmed().size() == 4);
  // 400 new client connections (one call each) after the sync.
  std::vector<std::unique_ptr<Caller>> fresh;
  for (uint64_t i = 0; i < 400; ++i) {
    fresh.push_back(std::make_unique<Caller>(s, net::ChannelConfig{}, 100 + i));
    fresh.back()->client.send_at(at_s(6.0));
  }
  s.sim.run();
  for (const traffic::Request& r : pinned.client.answers) REQUIRE(r.server == 0);
  CHECK(pinned.client.answers.size() == 200);
  std::vector<int> per_pod(4, 0);
  for (const auto& caller : fresh) ++per_pod[caller->client.answers.at(0).server];
  // Each new connection lands on a new pod with probability 3/4: Binomial(400, 3/4) has mean 300
  // and sd 8.66; tolerance 35 (4 sd). Each new pod alone: mean 100, so none may stay empty.
  for (int pod = 1; pod < 4; ++pod) CHECK(per_pod[static_cast<size_t>(pod)] > 0);
  CHECK(per_pod[1] + per_pod[2] + per_pod[3] == Approx(300).margin(35));
}

TEST_CASE("kube-proxy syncs at most burst 2 then once per minSyncPeriod, and dials see only synced rules", "[balance][kube_proxy]") {
  // BoundedFrequencyRunner (pkg/util/async): a token bucket of 1 per minSyncPeriod (1 s), burst 2;
  // a change that finds no token runs at last run + minSyncPeriod. Hand-worked: changes at 0 and
  // 0.1 s run at once (tokens 2 -> 1 -> 0.1); the change at 0.2 s waits for 0.1 + 1 = 1.1 s; the
  // change at 5 s runs at once again.
  engine::Simulator sim;
  traffic::RequestTable table;
  std::vector<std::unique_ptr<net::testing::FixedDelayServer>> pods;
  std::vector<net::Endpoint> eps;
  for (uint32_t i = 0; i < 5; ++i) {
    pods.push_back(std::make_unique<net::testing::FixedDelayServer>(sim, table, i, Duration::milliseconds(1)));
    eps.push_back(net::Endpoint{i, pods.back().get()});
  }
  KubeProxy proxy(sim, engine::RngStream(1, "kube-proxy/node-0", "iptables"), KubeProxyConfig{});
  const auto first = [&](size_t n) { return std::vector<net::Endpoint>(eps.begin(), eps.begin() + static_cast<long>(n)); };
  proxy.set_endpoints(first(1));
  CHECK(proxy.programmed().size() == 1);
  sim.run_until(at_s(0.1));
  proxy.set_endpoints(first(2));
  CHECK(proxy.programmed().size() == 2);
  sim.run_until(at_s(0.2));
  proxy.set_endpoints(first(3));
  CHECK(proxy.programmed().size() == 2);
  sim.run_until(at_s(1.0999));
  CHECK(proxy.programmed().size() == 2);
  // A new connection now can only reach the two synced pods.
  for (int i = 0; i < 50; ++i) {
    const net::Endpoint e = proxy.dial();
    CHECK(e.id < 2);
    proxy.hang_up(e);
  }
  sim.run_until(at_s(1.1));
  CHECK(proxy.programmed().size() == 3);
  CHECK(proxy.last_sync_at() == at_s(1.1));
  sim.run_until(at_s(5.0));
  proxy.set_endpoints(first(5));
  CHECK(proxy.programmed().size() == 5);
  CHECK(proxy.syncs() == 4);
}

TEST_CASE("an established connection stays on a removed endpoint until the pod terminates and resets it", "[balance][kube_proxy]") {
  Service s(5, 2, Duration::milliseconds(50));
  Caller caller(s, net::ChannelConfig{}, 5);
  caller.client.send_every(SimTime{0}, Duration::milliseconds(100), 60);  // 0 .. 5.9 s
  s.sim.run_until(at_s(0.5));
  const uint32_t pinned = caller.client.answers.at(0).server;
  const uint32_t other = 1 - pinned;
  s.proxy.set_endpoints({net::Endpoint{other, s.pods[other].get()}});  // the pod leaves the Service
  s.sim.run_until(at_s(3.02));  // the call sent at 3.0 s is at the server
  CHECK(s.proxy.active_connections(pinned) == 1);  // conntrack keeps the flow
  caller.channel.reset_endpoint(pinned);  // the pod terminates
  CHECK(s.proxy.active_connections(pinned) == 0);
  s.sim.run();
  REQUIRE(caller.client.answers.size() == 60);
  for (const traffic::Request& r : caller.client.answers) {
    INFO("call " << r.client << " sent " << r.sent_at.seconds_f());
    if (r.client <= 29) {
      CHECK(r.outcome == Outcome::kOk);
      CHECK(r.server == pinned);  // calls 0..29 (up to 2.9 s): still the removed pod
    } else if (r.client == 30) {
      CHECK(r.outcome == Outcome::kReset);  // in flight when the pod went away
    } else {
      CHECK(r.outcome == Outcome::kOk);
      CHECK(r.server == other);  // a new connection, over the current rules
    }
  }
}

TEST_CASE("IPVS rr cycles endpoints per connection and lc picks the fewest active connections, ties to the lowest id", "[balance][kube_proxy]") {
  engine::Simulator sim;
  traffic::RequestTable table;
  std::vector<std::unique_ptr<net::testing::FixedDelayServer>> pods;
  std::vector<net::Endpoint> eps;
  for (uint32_t i = 0; i < 4; ++i) {
    pods.push_back(std::make_unique<net::testing::FixedDelayServer>(sim, table, i, Duration::milliseconds(1)));
    eps.push_back(net::Endpoint{i, pods.back().get()});
  }
  SECTION("rr") {
    KubeProxyConfig config;
    config.mode = balance::ProxyMode::kIpvs;
    KubeProxy proxy(sim, engine::RngStream(1, "kube-proxy/node-0", "ipvs"), config);
    proxy.set_endpoints({eps[0], eps[1], eps[2]});
    std::vector<uint32_t> got;
    for (int i = 0; i < 5; ++i) got.push_back(proxy.dial().id);
    CHECK(got == std::vector<uint32_t>{0, 1, 2, 0, 1});
    proxy.set_endpoints({eps[0], eps[2], eps[3]});  // pod 1 leaves, pod 3 joins (second token)
    got.clear();
    for (int i = 0; i < 4; ++i) got.push_back(proxy.dial().id);
    CHECK(got == std::vector<uint32_t>{2, 3, 0, 2});  // continues after the last one chosen (1)
  }
  SECTION("lc") {
    KubeProxyConfig config;
    config.mode = balance::ProxyMode::kIpvs;
    config.ipvs_scheduler = balance::IpvsScheduler::kLeastConnection;
    KubeProxy proxy(sim, engine::RngStream(1, "kube-proxy/node-0", "ipvs"), config);
    proxy.set_endpoints({eps[0], eps[1], eps[2]});
    std::vector<uint32_t> got;
    for (int i = 0; i < 3; ++i) got.push_back(proxy.dial().id);
    CHECK(got == std::vector<uint32_t>{0, 1, 2});  // all tied each time: lowest id first
    proxy.hang_up(eps[1]);
    CHECK(proxy.dial().id == 1);  // the only one with fewer connections
    CHECK(proxy.dial().id == 0);  // tied at 2 again
  }
  SECTION("no endpoints refuses the connection") {
    KubeProxy proxy(sim, engine::RngStream(1, "kube-proxy/node-0", "iptables"), KubeProxyConfig{});
    CHECK_FALSE(proxy.dial().valid());
  }
}

TEST_CASE("with max connection age A one client's serving connection is re-rolled about every A and in-flight calls finish on the old pod", "[balance][kube_proxy]") {
  // 4 pods behind an iptables ClusterIP, servers with MAX_CONNECTION_AGE 10 s (grace infinite).
  // One gRPC channel, a call every 50 ms, each served in 200 ms (4 in flight at any GOAWAY).
  // A connection lives age*(1 +/- 10%) after set-up plus one hop for the GOAWAY; the next one is
  // set up on the next call (<= 50 ms) in 0.5 ms. With a fresh uniform pick the pod changes with
  // probability 3/4 per re-roll (sd of the share over ~290 re-rolls: 0.025; tolerance 0.1).
  int rerolls = 0, pod_changes = 0, finished_on_old = 0;
  for (uint64_t seed = 0; seed < 10; ++seed) {
    KubeProxyConfig kp;
    Service s(seed, 4, Duration::milliseconds(200), kp);
    net::ChannelConfig config;
    config.connection.server.max_connection_age_s = 10.0;
    Caller caller(s, config, seed);

    // Probe: at each send, note the connection the call will ride (if one is ready).
    struct Probe {
      Caller* caller;
      std::vector<SimTime> ready_times;
      std::vector<uint32_t> pods;
      std::vector<uint32_t> expected;  // by call number; UINT32_MAX: waits for a new connection
      void send(uint64_t) {
        const net::Connection* c = caller->channel.slot_connection(0);
        const bool ready = c != nullptr && c->ready();
        expected.push_back(ready ? c->endpoint().id : UINT32_MAX);
        caller->client.send();
        c = caller->channel.slot_connection(0);
        if (c != nullptr && (ready_times.empty() || c->ready_at() != ready_times.back()) && c->ready()) {
          ready_times.push_back(c->ready_at());
          pods.push_back(c->endpoint().id);
        }
      }
    } probe{&caller, {}, {}, {}};
    for (int i = 0; i < 6000; ++i) s.sim.schedule_at<&Probe::send>(SimTime{Duration::milliseconds(50).ns * i}, &probe);
    s.sim.run();

    REQUIRE(caller.client.answers.size() == 6000);
    for (const traffic::Request& r : caller.client.answers) {
      REQUIRE(r.outcome == Outcome::kOk);  // nothing is lost at a GOAWAY
      const uint32_t expected = probe.expected[r.client];
      if (expected != UINT32_MAX) REQUIRE(r.server == expected);  // stays on the connection it started on
    }
    // The connection start times (as seen at sends) are 9..11 s + 1 hop + <= 50 ms + set-up apart.
    for (size_t i = 1; i < probe.ready_times.size(); ++i) {
      const Duration gap = probe.ready_times[i] - probe.ready_times[i - 1];
      INFO("seed " << seed << " connection " << i);
      CHECK(gap >= Duration::seconds(9));
      CHECK(gap <= Duration::seconds(11) + Duration::milliseconds(52));
      ++rerolls;
      pod_changes += probe.pods[i] != probe.pods[i - 1] ? 1 : 0;
    }
    // In-flight calls at each switch: sent on the old connection, answered after the new one is up.
    for (const traffic::Request& r : caller.client.answers) {
      for (size_t i = 1; i < probe.ready_times.size(); ++i) {
        if (r.sent_at < probe.ready_times[i] && r.finished_at > probe.ready_times[i] &&
            probe.expected[r.client] == probe.pods[i - 1]) {
          ++finished_on_old;
          break;
        }
      }
    }
    CHECK(caller.channel.connections_opened() == probe.ready_times.size());
  }
  CHECK(rerolls >= 10 * 26);  // 300 s / (11.05 s) - 1 per seed at least
  CHECK(static_cast<double>(pod_changes) / rerolls == Approx(0.75).margin(0.1));
  CHECK(finished_on_old >= rerolls);  // at least one per switch
}

TEST_CASE("the same seed gives the same per-call pods and times, another seed gives other choices", "[balance][kube_proxy]") {
  const auto run = [](uint64_t seed) {
    Service s(seed, 6, Duration::milliseconds(30));
    net::ChannelConfig config = pool_of(3);
    config.connection.server.max_connection_age_s = 5.0;
    Caller caller(s, config, seed);
    caller.client.send_every(SimTime{0}, Duration::milliseconds(10), 3000);  // 30 s, ~6 re-rolls per connection
    s.sim.run();
    std::vector<std::pair<uint32_t, int64_t>> trace;
    for (const traffic::Request& r : caller.client.answers) trace.emplace_back(r.server, r.finished_at.ns);
    return trace;
  };
  const auto a = run(42);
  CHECK(a == run(42));
  CHECK(a != run(43));
}
