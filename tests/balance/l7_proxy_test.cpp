// SPDX-License-Identifier: MIT
#include "sim/balance/l7_proxy.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <memory>
#include <vector>

#include "tests/balance/fakes.h"

using namespace kubemind;
using balance::L7ProxyConfig;
using balance::testing::FakeUpstream;
using balance::testing::ScriptedClient;
using engine::Duration;
using engine::SimTime;
using traffic::Outcome;

namespace {

/// A client, an L7 proxy and `pods` fake upstreams that answer after `delay`.
struct Rig {
  engine::Simulator sim;
  traffic::RequestTable table;
  std::vector<std::unique_ptr<FakeUpstream>> pods;
  ScriptedClient client;
  std::unique_ptr<balance::L7Proxy> proxy;

  Rig(uint32_t pod_count, Duration delay, const L7ProxyConfig& config, uint32_t initially_in_set = UINT32_MAX,
      const balance::MetricsScraper* scraper = nullptr, uint64_t seed = 1) {
    for (uint32_t i = 0; i < pod_count; ++i) {
      auto pod = std::make_unique<FakeUpstream>();
      pod->sim = &sim;
      pod->table = &table;
      pod->index = i;
      pod->delay = delay;
      pods.push_back(std::move(pod));
    }
    const auto initial = endpoints(std::min(pod_count, initially_in_set));
    proxy = std::make_unique<balance::L7Proxy>(sim, seed, "proxy", table, config, initial, scraper);
    client.sim = &sim;
    client.table = &table;
    client.target = proxy.get();
  }
  std::vector<balance::Endpoint> endpoints(uint32_t count, uint32_t first = 0) {
    std::vector<balance::Endpoint> out;
    for (uint32_t i = first; i < first + count; ++i) out.push_back({i, 1, true, pods[i].get()});
    return out;
  }
  std::vector<uint64_t> received() const {
    std::vector<uint64_t> out;
    for (const auto& p : pods) out.push_back(p->received);
    return out;
  }
};

L7ProxyConfig with_workers(int workers) {
  L7ProxyConfig c;
  c.workers = workers;
  return c;
}

uint64_t spread(const std::vector<uint64_t>& counts) {
  return *std::max_element(counts.begin(), counts.end()) - *std::min_element(counts.begin(), counts.end());
}

/// Calls update_endpoints at a scheduled time.
struct EdsPush {
  balance::L7Proxy* proxy = nullptr;
  std::vector<balance::Endpoint> endpoints;
  void push(uint64_t) { proxy->update_endpoints(endpoints); }
};

}  // namespace

TEST_CASE("behind the L7 proxy with round robin per-pod counts differ by at most the worker count", "[balance]") {
  // Each worker rotates over the pods on its own (Envoy: one LB per worker thread), so each worker's
  // picks per pod differ by at most one and the totals by at most W.
  for (int workers : {1, 2, 4}) {
    Rig rig(5, Duration::milliseconds(10), with_workers(workers));
    rig.client.send_every(SimTime{}, Duration::microseconds(100), 9999);  // 10,000 rps
    rig.sim.run();
    CHECK(rig.client.count(Outcome::kOk) == 9999);
    const auto counts = rig.received();
    CHECK(spread(counts) <= static_cast<uint64_t>(workers));
    for (uint32_t i = 0; i < 5; ++i) CHECK(rig.proxy->host_requests(i) == counts[i]);
  }
}

TEST_CASE("with max_pending_requests 10 an overloaded upstream overflows the rest at once", "[balance]") {
  // 2 pods x 5 streams take 10 requests; 10 more pend; the other 10 of 30 overflow at t = 0.
  L7ProxyConfig c = with_workers(1);
  c.cpu_per_request_ms = 0.0;
  c.max_concurrent_streams_per_host = 5;
  c.circuit_breakers.max_pending_requests = 10;
  Rig rig(2, Duration::milliseconds(100), c);
  for (int i = 0; i < 30; ++i) rig.client.send_at(SimTime{}, static_cast<uint64_t>(i));
  rig.sim.run();
  REQUIRE(rig.client.answers.size() == 30);
  CHECK(rig.client.count(Outcome::kOverflow) == 10);
  CHECK(rig.client.count(Outcome::kOk) == 20);
  CHECK(rig.proxy->circuit_breakers().pending_overflows() == 10);
  CHECK(rig.proxy->answered(Outcome::kOverflow) == 10);
  int at_100 = 0;
  int at_200 = 0;
  for (const traffic::Request& r : rig.client.answers) {
    if (r.outcome == Outcome::kOverflow) CHECK(r.finished_at == SimTime{});  // fail fast
    if (r.outcome == Outcome::kOk) {
      at_100 += r.finished_at == SimTime::from_seconds(0.1) ? 1 : 0;
      at_200 += r.finished_at == SimTime::from_seconds(0.2) ? 1 : 0;
    }
  }
  CHECK(at_100 == 10);  // served at once
  CHECK(at_200 == 10);  // waited one service time for a stream
  CHECK(rig.proxy->circuit_breakers().pending() == 0);
  CHECK(rig.proxy->circuit_breakers().requests() == 0);
}

TEST_CASE("with max_requests 4 six of ten simultaneous requests overflow", "[balance]") {
  L7ProxyConfig c = with_workers(1);
  c.cpu_per_request_ms = 0.0;
  c.circuit_breakers.max_requests = 4;
  Rig rig(3, Duration::milliseconds(50), c);
  for (int i = 0; i < 10; ++i) rig.client.send_at(SimTime{}, static_cast<uint64_t>(i));
  rig.sim.run();
  CHECK(rig.client.count(Outcome::kOverflow) == 6);
  CHECK(rig.client.count(Outcome::kOk) == 4);
  CHECK(rig.proxy->circuit_breakers().request_overflows() == 6);
}

TEST_CASE("the route timeout answers 15 s after routing and absorbs the late upstream answer", "[balance]") {
  Rig rig(1, Duration::seconds(20), with_workers(2));
  rig.client.send_at(SimTime{});
  rig.sim.run();
  REQUIRE(rig.client.answers.size() == 1);  // answered once
  const traffic::Request& r = rig.client.answers[0];
  CHECK(r.outcome == Outcome::kTimeout);
  // 0.35 ms of proxy CPU, then the 15 s route timeout.
  CHECK(r.finished_at == SimTime{Duration::microseconds(350).ns} + Duration::seconds(15));
  CHECK(rig.proxy->late_answers() == 1);
  CHECK(rig.proxy->host_active_requests(0) == 0);
  CHECK(rig.sim.now() == SimTime{Duration::microseconds(350).ns} + Duration::seconds(20));
  CHECK(rig.table.in_use() == 0);  // the orphaned attempt was released
}

TEST_CASE("an answer before the route timeout cancels the timer", "[balance]") {
  Rig rig(1, Duration::seconds(1), with_workers(2));
  rig.client.send_at(SimTime{});
  rig.sim.run();
  REQUIRE(rig.client.answers.size() == 1);
  CHECK(rig.client.answers[0].outcome == Outcome::kOk);
  CHECK(rig.client.answers[0].server == 0);
  // The run ends with the answer; a live timer would have carried it on to 15 s.
  CHECK(rig.sim.now() == SimTime{Duration::microseconds(350).ns} + Duration::seconds(1));
  CHECK(rig.sim.pending() == 0);
}

TEST_CASE("retries resend 5xx answers after a jittered backoff within the retry limit", "[balance]") {
  L7ProxyConfig c = with_workers(1);
  c.retry_policy.num_retries = 2;
  SECTION("two failures then success with two retries") {
    Rig rig(1, Duration::milliseconds(1), c);
    rig.pods[0]->fail_first = 2;
    rig.client.send_at(SimTime{});
    rig.sim.run();
    REQUIRE(rig.client.answers.size() == 1);
    const traffic::Request& r = rig.client.answers[0];
    CHECK(r.outcome == Outcome::kOk);
    CHECK(rig.proxy->retries() == 2);
    CHECK(rig.pods[0]->received == 3);
    // 0.35 ms CPU + 3 tries of 1 ms + backoffs of 0..24 ms and 0..74 ms (whole ms).
    const double ms = (r.finished_at - r.sent_at).milliseconds_f();
    CHECK(ms >= 3.35 - 1e-9);
    CHECK(ms <= 3.35 + 24 + 74 + 1e-9);
  }
  SECTION("three failures exhaust two retries and return the failure") {
    Rig rig(1, Duration::milliseconds(1), c);
    rig.pods[0]->fail_first = 3;
    rig.client.send_at(SimTime{});
    rig.sim.run();
    CHECK(rig.client.answers[0].outcome == Outcome::kQueueFull);
    CHECK(rig.pods[0]->received == 3);
  }
  SECTION("max_retries 0 skips the retry and counts a retry overflow") {
    c.circuit_breakers.max_retries = 0;
    Rig rig(1, Duration::milliseconds(1), c);
    rig.pods[0]->fail_first = 1;
    rig.client.send_at(SimTime{});
    rig.sim.run();
    CHECK(rig.client.answers[0].outcome == Outcome::kQueueFull);
    CHECK(rig.pods[0]->received == 1);
    CHECK(rig.proxy->circuit_breakers().retry_overflows() == 1);
  }
}

TEST_CASE("a pod failing every request is ejected after 5 and returns at the interval tick", "[balance]") {
  // 10 pods, round robin, one request every 10 ms: pod 0 gets every 10th request (one per 100 ms).
  // Its 5th failure (before 0.5 s) ejects it for 30 s; the first 10 s tick at or after that is 40 s.
  // It then fails 5 more times within 0.5 s and is ejected for 2 x 30 = 60 s, past the end at 60 s.
  L7ProxyConfig c = with_workers(1);
  c.outlier_detection.enabled = true;
  Rig rig(10, Duration::milliseconds(1), c);
  rig.pods[0]->always_fail = true;
  rig.client.send_every(SimTime{}, Duration::milliseconds(10), 6000);
  rig.sim.run_until(SimTime::from_seconds(60));
  const auto& arrivals = rig.pods[0]->arrivals;
  REQUIRE(arrivals.size() == 10);
  for (int i = 0; i < 5; ++i) CHECK(arrivals[i] < SimTime::from_seconds(0.5));
  for (int i = 5; i < 10; ++i) {
    CHECK(arrivals[i] >= SimTime::from_seconds(40));
    CHECK(arrivals[i] < SimTime::from_seconds(40.5));
  }
  CHECK(rig.proxy->outlier_detector().ejections_total() == 2);
  CHECK(rig.proxy->pickable_hosts() == 9);
  CHECK(rig.client.count(Outcome::kQueueFull) == 10);
}

TEST_CASE("an empty host set answers no healthy upstream", "[balance]") {
  Rig rig(2, Duration::milliseconds(1), with_workers(1), 0);
  rig.client.send_at(SimTime{});
  rig.sim.run();
  REQUIRE(rig.client.answers.size() == 1);
  CHECK(rig.client.answers[0].outcome == Outcome::kNoHealthyUpstream);
  CHECK(rig.client.answers[0].finished_at == SimTime{Duration::microseconds(350).ns});
}

TEST_CASE("below the panic threshold the proxy balances over unhealthy hosts", "[balance]") {
  for (uint32_t threshold : {50u, 0u}) {
    L7ProxyConfig c = with_workers(1);
    c.healthy_panic_threshold_percent = threshold;
    Rig rig(2, Duration::milliseconds(1), c, 0);
    auto eps = rig.endpoints(2);
    for (auto& e : eps) e.healthy = false;
    rig.proxy->update_endpoints(eps);
    rig.client.send_every(SimTime::from_seconds(1), Duration::milliseconds(1), 10);
    rig.sim.run();
    if (threshold == 50) {
      CHECK(rig.client.count(Outcome::kOk) == 10);  // 0 % healthy < 50 %: panic, use all hosts
      CHECK(rig.received() == std::vector<uint64_t>{5, 5});
    } else {
      CHECK(rig.client.count(Outcome::kNoHealthyUpstream) == 10);  // panic disabled
    }
  }
}

TEST_CASE("under L7 pods added by EDS get their share from the update delay on", "[balance]") {
  // 2 pods in the set, 3 more announced at 1.0 s; the update reaches the proxy at 1.1 s. One request
  // per ms; worker 0 is always free (0.35 ms < 1 ms), so one rotation over 5 pods covers every pod
  // within 5 picks: requests sent 1.100 .. 1.104 s.
  L7ProxyConfig c = with_workers(2);
  Rig rig(5, Duration::milliseconds(5), c, 2);
  EdsPush eds{rig.proxy.get(), rig.endpoints(5)};
  rig.sim.schedule_at<&EdsPush::push>(SimTime::from_seconds(1.0), &eds);
  rig.client.send_every(SimTime{}, Duration::milliseconds(1), 2000);
  rig.sim.run();
  CHECK(rig.client.count(Outcome::kOk) == 2000);
  const SimTime applied = SimTime::from_seconds(1.1);
  uint64_t after = 0;
  std::vector<uint64_t> after_per_pod(5, 0);
  for (uint32_t p = 0; p < 5; ++p) {
    for (SimTime t : rig.pods[p]->arrivals) {
      if (t >= applied) {
        ++after;
        ++after_per_pod[p];
      }
    }
  }
  for (uint32_t p = 2; p < 5; ++p) {
    REQUIRE_FALSE(rig.pods[p]->arrivals.empty());
    CHECK(rig.pods[p]->arrivals.front() >= applied);  // nothing before the update took effect
    CHECK(rig.pods[p]->arrivals.front() <= SimTime::from_seconds(1.104) + Duration::microseconds(350));
  }
  // From then on each pod is within W = 2 of its fifth.
  for (uint32_t p = 0; p < 5; ++p) {
    CHECK(static_cast<double>(after_per_pod[p]) == Approx(static_cast<double>(after) / 5).margin(2));
  }
}

TEST_CASE("a pod removed by EDS gets no new requests after the delay and finishes its own", "[balance]") {
  Rig rig(3, Duration::milliseconds(20), with_workers(1));
  EdsPush eds{rig.proxy.get(), rig.endpoints(2)};
  rig.sim.schedule_at<&EdsPush::push>(SimTime::from_seconds(0.5), &eds);
  rig.client.send_every(SimTime{}, Duration::milliseconds(1), 1000);
  rig.sim.run();
  CHECK(rig.client.count(Outcome::kOk) == 1000);
  REQUIRE_FALSE(rig.pods[2]->arrivals.empty());
  CHECK(rig.pods[2]->arrivals.back() < SimTime::from_seconds(0.6));
  CHECK(rig.pods[2]->arrivals.back() >= SimTime::from_seconds(0.59));  // it kept its turn until then
}

TEST_CASE("the endpoint picker policy in the proxy sends to the pod with the shorter scraped queue", "[balance]") {
  struct Source final : balance::EndpointMetricsSource {
    uint32_t endpoint_count() const override { return 2; }
    balance::EndpointMetrics endpoint_metrics(uint32_t id) const override {
      return {id == 0 ? 7 : 1, 0.0};
    }
  } source;
  // The rig supplies the simulator, table, client and pods; the picker proxy is built beside it.
  Rig rig(2, Duration::milliseconds(1), with_workers(2), 0);
  L7ProxyConfig c = with_workers(2);
  c.lb_policy = balance::LbPolicyKind::kEndpointPicker;
  balance::MetricsScraper scraper(rig.sim, source, {});
  scraper.start();
  balance::L7Proxy proxy(rig.sim, 1, "epp-proxy", rig.table, c, rig.endpoints(2), &scraper);
  rig.client.target = &proxy;
  rig.client.send_every(SimTime::from_seconds(0.001), Duration::milliseconds(1), 100);
  rig.sim.run_until(SimTime::from_seconds(0.2));
  scraper.stop();
  CHECK(rig.client.count(Outcome::kOk) == 100);
  CHECK(rig.pods[0]->received == 0);
  CHECK(rig.pods[1]->received == 100);
}

TEST_CASE("the same seed gives the same per-pod counts", "[balance]") {
  L7ProxyConfig c = with_workers(3);
  c.lb_policy = balance::LbPolicyKind::kLeastRequest;
  std::vector<uint64_t> first;
  for (int run = 0; run < 2; ++run) {
    Rig rig(4, Duration::milliseconds(3), c);
    rig.client.send_every(SimTime{}, Duration::microseconds(250), 4000);
    rig.sim.run();
    if (run == 0) first = rig.received();
    else CHECK(rig.received() == first);
  }
}

TEST_CASE("least request in the proxy sees active requests: a stuck pod gets 1/4 of picks", "[balance]") {
  // Pod 0 holds every request (answers after 1000 s, no route timeout); pod 1 answers in 1 us, before
  // the next request. Once pod 0 has one active request it is strictly busier, and P2C over 2 hosts
  // picks it only when both draws land on it: 1/4. 100,000 picks: sd 0.0014, margin 0.01.
  L7ProxyConfig c = with_workers(1);
  c.cpu_per_request_ms = 0.0;
  c.route_timeout_ms = 0.0;
  c.lb_policy = balance::LbPolicyKind::kLeastRequest;
  c.circuit_breakers.max_requests = 1000000;  // else max_requests 1024 overflows once pod 0 holds 1024
  Rig rig(2, Duration::microseconds(1), c);
  rig.pods[0]->delay = Duration::seconds(1000);
  rig.client.send_every(SimTime{}, Duration::microseconds(10), 100000);
  rig.sim.run_until(SimTime::from_seconds(2));
  const double share = static_cast<double>(rig.pods[0]->received) / 100000.0;
  CHECK(share == Approx(0.25).margin(0.01));
  CHECK(rig.proxy->host_active_requests(0) == rig.pods[0]->received);
  CHECK(rig.proxy->host_active_requests(1) == 0);
}

TEST_CASE("ring hash in the proxy sends every request with the same key to the same pod", "[balance]") {
  L7ProxyConfig c = with_workers(3);
  c.lb_policy = balance::LbPolicyKind::kRingHash;
  Rig rig(4, Duration::milliseconds(2), c);
  for (uint64_t i = 0; i < 2000; ++i) rig.client.send_at(SimTime{Duration::microseconds(500).ns * static_cast<int64_t>(i)}, i % 50);
  rig.sim.run();
  REQUIRE(rig.client.answers.size() == 2000);
  std::vector<uint32_t> pod_of_key(50, UINT32_MAX);
  bool consistent = true;
  for (const traffic::Request& r : rig.client.answers) {
    if (pod_of_key[r.key] == UINT32_MAX) pod_of_key[r.key] = r.server;
    consistent = consistent && pod_of_key[r.key] == r.server;
  }
  CHECK(consistent);
  // 50 keys over 4 pods: more than one pod is used.
  CHECK(std::count(pod_of_key.begin(), pod_of_key.end(), pod_of_key[0]) < 50);
}

TEST_CASE("upstream pools: the first request pays the connection set-up, later ones only the hops", "[balance]") {
  // One pod answering after 5 ms; 0.35 ms of proxy CPU; upstream one-way latency 0.25 ms, so a new
  // connection costs one RTT (0.5 ms) before the stream: 0.35 + 0.5 + 0.25 + 5 + 0.25 = 6.35 ms.
  // The second request (one worker, the warm pool) skips the set-up: 0.35 + 0.25 + 5 + 0.25 = 5.85 ms.
  L7ProxyConfig config = with_workers(1);
  config.upstream_connections = true;
  config.upstream_connection.one_way_latency_ms = 0.25;
  Rig rig(1, Duration::milliseconds(5), config);
  rig.client.send_at(SimTime{0});
  rig.client.send_at(SimTime::from_seconds(1));
  rig.sim.run_until(SimTime::from_seconds(2));
  REQUIRE(rig.client.answers.size() == 2);
  CHECK((rig.client.answers[0].finished_at - rig.client.answers[0].sent_at) == Duration::from_milliseconds(6.35));
  CHECK((rig.client.answers[1].finished_at - rig.client.answers[1].sent_at) == Duration::from_milliseconds(5.85));
  CHECK(rig.client.answers[1].outcome == traffic::Outcome::kOk);
  CHECK(rig.proxy->host_connections(0) == 1);
}

TEST_CASE("upstream pools: each worker keeps its own connection to each pod", "[balance]") {
  L7ProxyConfig config = with_workers(2);
  config.lb_policy = balance::LbPolicyKind::kRoundRobin;
  config.upstream_connections = true;
  Rig rig(3, Duration::milliseconds(1), config);
  // 300 requests 0.2 ms apart: the two workers alternate, and each sends to every pod.
  rig.client.send_every(SimTime{0}, Duration::microseconds(200), 300);
  rig.sim.run_until(SimTime::from_seconds(1));
  CHECK(rig.client.count(traffic::Outcome::kOk) == 300);
  for (uint32_t pod = 0; pod < 3; ++pod) CHECK(rig.proxy->host_connections(pod) == 2);
}
