// SPDX-License-Identifier: MIT
// The Knative activator model. Every expected number is worked by hand from the rules in
// sim/balance/activator.h (knative/serving pkg/activator/net/throttler.go, lb_policy.go).
#include "sim/balance/activator.h"

#include <catch2/catch.hpp>
#include <memory>
#include <vector>

#include "tests/balance/fakes.h"

using namespace kubemind;
using balance::Activator;
using balance::ActivatorConfig;
using balance::ActivatorLbPolicy;
using balance::Endpoint;
using balance::testing::ScriptedClient;
using engine::Duration;
using engine::SimTime;
using traffic::Outcome;

namespace {

/// A pod that answers kOk `delay` after a request arrives and records the key of each arrival.
struct RecordingPod final : traffic::RequestSink {
  engine::Simulator* sim = nullptr;
  traffic::RequestTable* table = nullptr;
  uint32_t index = 0;
  Duration delay{};
  std::vector<uint64_t> keys;
  std::vector<SimTime> arrivals;

  void on_request(traffic::RequestId id) override {
    traffic::Request& r = (*table)[id];
    r.arrived_at = sim->now();
    r.started_at = sim->now();
    r.server = index;
    r.outcome = Outcome::kOk;
    keys.push_back(r.key);
    arrivals.push_back(sim->now());
    sim->schedule_in<&RecordingPod::answer>(delay, this, id);
  }
  void answer(uint64_t id) {
    const auto rid = static_cast<traffic::RequestId>(id);
    (*table)[rid].pop_reply()->on_response(rid);
  }
};

/// A client -> activator -> `pod_count` recording pods (ids 0..n-1, none ready at first).
struct Rig {
  engine::Simulator sim;
  traffic::RequestTable table;
  engine::RngStream rng{1, "activator", "lb"};
  std::vector<std::unique_ptr<RecordingPod>> pods;
  ScriptedClient client;
  std::unique_ptr<Activator> activator;

  Rig(uint32_t pod_count, Duration delay, const ActivatorConfig& config) {
    for (uint32_t i = 0; i < pod_count; ++i) {
      auto pod = std::make_unique<RecordingPod>();
      pod->sim = &sim;
      pod->table = &table;
      pod->index = i;
      pod->delay = delay;
      pods.push_back(std::move(pod));
    }
    activator = std::make_unique<Activator>(sim, table, config, rng);
    client.sim = &sim;
    client.table = &table;
    client.target = activator.get();
  }

  /// Pods `ids` become the ready set now.
  void ready(std::vector<uint32_t> ids) {
    std::vector<Endpoint> eps;
    for (const uint32_t id : ids) eps.push_back(Endpoint{id, 1, true, pods[id].get()});
    activator->update_endpoints(eps);
  }

  void send_now(uint64_t count, uint64_t first_key = 0) {
    for (uint64_t k = 0; k < count; ++k) client.send(first_key + k);
  }
};

ActivatorConfig with_cc(int32_t cc) {
  ActivatorConfig c;
  c.container_concurrency = cc;
  return c;
}

}  // namespace

TEST_CASE("The activator's defaults are Knative's", "[balance]") {
  const ActivatorConfig c;
  CHECK(c.container_concurrency == 0);   // containerConcurrency default: unlimited
  CHECK(c.request_timeout_s == 300.0);   // revision timeoutSeconds default
  CHECK(c.max_buffered == 10000);        // throttler.go breakerQueueDepth
}

TEST_CASE("The activator picks Knative's load-balancing policy from containerConcurrency", "[balance]") {
  // throttler.go pickLBPolicy: 0 -> random-choice-2, <= 3 -> first-available, otherwise round-robin.
  CHECK(balance::activator_lb_policy(0) == ActivatorLbPolicy::kRandomChoice2);
  CHECK(balance::activator_lb_policy(1) == ActivatorLbPolicy::kFirstAvailable);
  CHECK(balance::activator_lb_policy(3) == ActivatorLbPolicy::kFirstAvailable);
  CHECK(balance::activator_lb_policy(4) == ActivatorLbPolicy::kRoundRobin);
  CHECK(balance::activator_lb_policy(100) == ActivatorLbPolicy::kRoundRobin);
}

TEST_CASE("The activator buffers requests at zero scale and releases them in order when a pod is ready",
          "[balance]") {
  Rig rig(1, Duration::seconds(2), ActivatorConfig{});
  rig.send_now(3);
  rig.sim.run_until(SimTime::from_seconds(1));
  CHECK(rig.activator->buffered() == 3);
  CHECK(rig.activator->in_flight() == 3);
  CHECK(rig.activator->proxied() == 0);
  CHECK(rig.client.answers.empty());

  rig.ready({0});  // at t = 1 s, CC = 0: one pod takes all of them at once
  CHECK(rig.activator->buffered() == 0);
  CHECK(rig.activator->in_flight() == 3);
  CHECK(rig.activator->proxied() == 3);
  CHECK(rig.pods[0]->keys == std::vector<uint64_t>{0, 1, 2});
  CHECK(rig.pods[0]->arrivals == std::vector<SimTime>(3, SimTime::from_seconds(1)));

  rig.sim.run();
  REQUIRE(rig.client.answers.size() == 3);
  for (uint64_t k = 0; k < 3; ++k) {
    CHECK(rig.client.answers[k].key == k);
    CHECK(rig.client.answers[k].outcome == Outcome::kOk);
    CHECK(rig.client.answers[k].finished_at == SimTime::from_seconds(3));
    CHECK(rig.client.answers[k].server == 0);
  }
  CHECK(rig.activator->in_flight() == 0);
  CHECK(rig.activator->requests_total() == 3);
  // 3 requests in the activator from 0 to 3 s.
  CHECK(rig.activator->in_flight_seconds_total(SimTime::from_seconds(3)) == Approx(9.0));
  CHECK(rig.activator->in_flight_seconds_total(SimTime::from_seconds(10)) == Approx(9.0));
}

TEST_CASE("With containerConcurrency 1 the activator holds the excess and releases it FIFO as answers return",
          "[balance]") {
  // 2 pods, CC = 1 (first-available), each answers 1 s after arrival; 5 requests at t = 0.
  // t=0: k0 -> pod0, k1 -> pod1, k2 k3 k4 wait.  t=1: pod0 frees -> k2 -> pod0; pod1 frees -> k3 -> pod1.
  // t=2: pod0 frees -> k4 -> pod0; pod1 frees, nothing waits.  t=3: pod0 frees.
  // in_flight: 5 on [0,1), 3 on [1,2), 1 on [2,3): integral 5 + 3 + 1 = 9 request-seconds.
  Rig rig(2, Duration::seconds(1), with_cc(1));
  rig.ready({0, 1});
  rig.send_now(5);
  CHECK(rig.activator->proxied() == 2);
  CHECK(rig.activator->buffered() == 3);
  CHECK(rig.activator->in_flight() == 5);

  rig.sim.run_until(SimTime::from_seconds(1.5));
  CHECK(rig.activator->buffered() == 1);
  CHECK(rig.activator->in_flight() == 3);
  CHECK(rig.activator->in_flight_seconds_total(rig.sim.now()) == Approx(5.0 + 3.0 * 0.5));

  rig.sim.run_until(SimTime::from_seconds(2.5));
  CHECK(rig.activator->buffered() == 0);
  CHECK(rig.activator->in_flight() == 1);
  CHECK(rig.activator->in_flight_seconds_total(rig.sim.now()) == Approx(5.0 + 3.0 + 0.5));

  rig.sim.run();
  CHECK(rig.activator->in_flight() == 0);
  CHECK(rig.activator->in_flight_seconds_total(SimTime::from_seconds(3)) == Approx(9.0));
  CHECK(rig.pods[0]->keys == std::vector<uint64_t>{0, 2, 4});
  CHECK(rig.pods[1]->keys == std::vector<uint64_t>{1, 3});
  CHECK(rig.pods[0]->arrivals ==
        std::vector<SimTime>{SimTime::from_seconds(0), SimTime::from_seconds(1), SimTime::from_seconds(2)});
  CHECK(rig.pods[1]->arrivals == std::vector<SimTime>{SimTime::from_seconds(0), SimTime::from_seconds(1)});
  REQUIRE(rig.client.answers.size() == 5);
  const double finished_s[] = {1, 1, 2, 2, 3};
  for (uint64_t k = 0; k < 5; ++k) {
    CHECK(rig.client.answers[k].key == k);
    CHECK(rig.client.answers[k].outcome == Outcome::kOk);
    CHECK(rig.client.answers[k].finished_at == SimTime::from_seconds(finished_s[k]));
  }
  CHECK(rig.activator->proxied() == 5);
  CHECK(rig.activator->requests_total() == 5);
  CHECK(rig.activator->pod_requests(0) == 3);
  CHECK(rig.activator->pod_requests(1) == 2);
}

TEST_CASE("A buffered request times out exactly at the request timeout", "[balance]") {
  ActivatorConfig config;
  config.request_timeout_s = 10.0;
  Rig rig(1, Duration::seconds(1), config);
  rig.client.send_at(SimTime::from_seconds(0), 0);
  rig.client.send_at(SimTime::from_seconds(4), 1);

  rig.sim.run_until(SimTime{SimTime::from_seconds(10).ns - 1});
  CHECK(rig.client.answers.empty());
  CHECK(rig.activator->buffered() == 2);

  rig.sim.run();
  REQUIRE(rig.client.answers.size() == 2);
  CHECK(rig.client.answers[0].key == 0);
  CHECK(rig.client.answers[0].outcome == Outcome::kTimeout);
  CHECK(rig.client.answers[0].finished_at == SimTime::from_seconds(10));
  CHECK(rig.client.answers[1].key == 1);
  CHECK(rig.client.answers[1].outcome == Outcome::kTimeout);
  CHECK(rig.client.answers[1].finished_at == SimTime::from_seconds(14));
  CHECK(rig.activator->timed_out() == 2);
  CHECK(rig.activator->proxied() == 0);
  CHECK(rig.activator->in_flight() == 0);
  // Each waited 10 s in the activator.
  CHECK(rig.activator->in_flight_seconds_total(SimTime::from_seconds(20)) == Approx(20.0));
}

TEST_CASE("The default request timeout is the revision's 300 s", "[balance]") {
  Rig rig(1, Duration::seconds(1), ActivatorConfig{});
  rig.send_now(1);
  rig.sim.run();
  REQUIRE(rig.client.answers.size() == 1);
  CHECK(rig.client.answers[0].outcome == Outcome::kTimeout);
  CHECK(rig.client.answers[0].finished_at == SimTime::from_seconds(300));
}

TEST_CASE("Only waiting requests time out: a request proxied before its deadline is answered", "[balance]") {
  // CC = 1, one pod answering after 5 s, timeout 8 s, 3 requests at t = 0.
  // k0 proxied at 0, answered at 5. k1 waits, proxied at 5 (< 8), answered at 10.
  // k2 waits behind k1 and reaches its deadline at 8 before a slot frees at 10.
  ActivatorConfig config = with_cc(1);
  config.request_timeout_s = 8.0;
  Rig rig(1, Duration::seconds(5), config);
  rig.ready({0});
  rig.send_now(3);
  rig.sim.run();
  REQUIRE(rig.client.answers.size() == 3);
  CHECK(rig.client.answers[0].key == 0);
  CHECK(rig.client.answers[0].outcome == Outcome::kOk);
  CHECK(rig.client.answers[0].finished_at == SimTime::from_seconds(5));
  CHECK(rig.client.answers[1].key == 2);
  CHECK(rig.client.answers[1].outcome == Outcome::kTimeout);
  CHECK(rig.client.answers[1].finished_at == SimTime::from_seconds(8));
  CHECK(rig.client.answers[2].key == 1);
  CHECK(rig.client.answers[2].outcome == Outcome::kOk);
  CHECK(rig.client.answers[2].finished_at == SimTime::from_seconds(10));
  CHECK(rig.pods[0]->keys == std::vector<uint64_t>{0, 1});
  CHECK(rig.activator->timed_out() == 1);
  // in_flight: 3 on [0,5), 2 on [5,8), 1 on [8,10): 15 + 6 + 2 = 23.
  CHECK(rig.activator->in_flight_seconds_total(SimTime::from_seconds(10)) == Approx(23.0));
}

TEST_CASE("Beyond max_buffered waiting requests the activator overflows at once", "[balance]") {
  ActivatorConfig config;
  config.max_buffered = 2;
  Rig rig(1, Duration::seconds(1), config);
  rig.send_now(4);
  REQUIRE(rig.client.answers.size() == 2);
  CHECK(rig.client.answers[0].key == 2);
  CHECK(rig.client.answers[0].outcome == Outcome::kOverflow);
  CHECK(rig.client.answers[0].finished_at == SimTime::from_seconds(0));
  CHECK(rig.client.answers[1].key == 3);
  CHECK(rig.client.answers[1].outcome == Outcome::kOverflow);
  CHECK(rig.activator->overflowed() == 2);
  CHECK(rig.activator->buffered() == 2);
  CHECK(rig.activator->in_flight() == 2);
  CHECK(rig.activator->requests_total() == 4);

  // The two buffered ones still go when a pod appears.
  rig.sim.run_until(SimTime::from_seconds(1));
  rig.ready({0});
  rig.sim.run();
  REQUIRE(rig.client.answers.size() == 4);
  CHECK(rig.client.answers[2].key == 0);
  CHECK(rig.client.answers[2].outcome == Outcome::kOk);
  CHECK(rig.client.answers[2].finished_at == SimTime::from_seconds(2));
  CHECK(rig.client.answers[3].key == 1);
  CHECK(rig.client.answers[3].outcome == Outcome::kOk);
}

TEST_CASE("A removed pod takes no new requests but its in-flight one completes", "[balance]") {
  // CC = 2 (first-available), pods 0 and 1 answer 4 s after arrival.
  // t=0: k0 -> pod0. t=1: pod0 leaves the ready set. t=2: k1, k2 -> pod1 (its 2 slots); k3 waits
  // although pod0 has a free slot. t=4: pod0 answers k0 through the activator. t=6: pod1 frees -> k3.
  Rig rig(2, Duration::seconds(4), with_cc(2));
  rig.ready({0, 1});
  rig.send_now(1, 0);
  CHECK(rig.activator->pod_in_flight(0) == 1);
  rig.sim.run_until(SimTime::from_seconds(1));
  rig.ready({1});
  CHECK(rig.activator->ready_pods() == 1);
  rig.sim.run_until(SimTime::from_seconds(2));
  rig.send_now(3, 1);
  CHECK(rig.activator->buffered() == 1);
  CHECK(rig.activator->pod_in_flight(0) == 1);
  CHECK(rig.activator->pod_in_flight(1) == 2);

  rig.sim.run_until(SimTime::from_seconds(4));
  REQUIRE(rig.client.answers.size() == 1);
  CHECK(rig.client.answers[0].key == 0);
  CHECK(rig.client.answers[0].outcome == Outcome::kOk);
  CHECK(rig.client.answers[0].server == 0);
  CHECK(rig.client.answers[0].finished_at == SimTime::from_seconds(4));
  CHECK(rig.activator->pod_in_flight(0) == 0);
  CHECK(rig.activator->buffered() == 1);  // the freed slot on pod0 is not used

  rig.sim.run();
  CHECK(rig.pods[0]->keys == std::vector<uint64_t>{0});
  CHECK(rig.pods[1]->keys == std::vector<uint64_t>{1, 2, 3});
  CHECK(rig.pods[1]->arrivals.back() == SimTime::from_seconds(6));
  REQUIRE(rig.client.answers.size() == 4);
  CHECK(rig.client.answers[3].key == 3);
  CHECK(rig.client.answers[3].finished_at == SimTime::from_seconds(10));
  CHECK(rig.activator->pod_requests(0) == 1);
}

TEST_CASE("First-available (CC 2) fills the lowest pod first, in pod order whatever the update order",
          "[balance]") {
  Rig rig(3, Duration::seconds(100), with_cc(2));
  rig.ready({2, 0, 1});
  CHECK(rig.activator->lb_policy() == ActivatorLbPolicy::kFirstAvailable);
  rig.send_now(6);
  CHECK(rig.pods[0]->keys == std::vector<uint64_t>{0, 1});
  CHECK(rig.pods[1]->keys == std::vector<uint64_t>{2, 3});
  CHECK(rig.pods[2]->keys == std::vector<uint64_t>{4, 5});
  rig.send_now(1, 6);
  CHECK(rig.activator->buffered() == 1);
}

TEST_CASE("Round-robin (CC 4) rotates over the pods from the first one until every pod is full", "[balance]") {
  Rig rig(3, Duration::seconds(100), with_cc(4));
  rig.ready({0, 1, 2});
  CHECK(rig.activator->lb_policy() == ActivatorLbPolicy::kRoundRobin);
  rig.send_now(5);
  CHECK(rig.pods[0]->keys == std::vector<uint64_t>{0, 3});
  CHECK(rig.pods[1]->keys == std::vector<uint64_t>{1, 4});
  CHECK(rig.pods[2]->keys == std::vector<uint64_t>{2});
  // 7 more: the index is at pod2; pod2 k5, pod0 k6, pod1 k7, pod2 k8, pod0 k9 (pod0 now 4 = full),
  // pod1 k10 (full), pod2 k11 (full: 4 each); 13th waits.
  rig.send_now(7, 5);
  CHECK(rig.pods[0]->keys == std::vector<uint64_t>{0, 3, 6, 9});
  CHECK(rig.pods[1]->keys == std::vector<uint64_t>{1, 4, 7, 10});
  CHECK(rig.pods[2]->keys == std::vector<uint64_t>{2, 5, 8, 11});
  rig.send_now(1, 12);
  CHECK(rig.activator->buffered() == 1);
}

TEST_CASE("Round-robin skips a full pod and continues after the one it picked", "[balance]") {
  // CC = 4, pods 0 (answers after 100 s) and 1 (after 1 s). t=0: 8 requests alternate from pod0:
  // pod0 {0,2,4,6} (full), pod1 {1,3,5,7}; the index is past the end. t=1: pod1 answers all four.
  // t=2: k8: index reset to pod0, full, skipped -> pod1; index past the end again; k9 the same.
  Rig rig(2, Duration::seconds(100), with_cc(4));
  rig.pods[1]->delay = Duration::seconds(1);
  rig.ready({0, 1});
  rig.send_now(8);
  CHECK(rig.pods[0]->keys == std::vector<uint64_t>{0, 2, 4, 6});
  rig.sim.run_until(SimTime::from_seconds(2));
  CHECK(rig.activator->pod_in_flight(1) == 0);
  rig.send_now(2, 8);
  CHECK(rig.pods[0]->keys == std::vector<uint64_t>{0, 2, 4, 6});
  CHECK(rig.pods[1]->keys == std::vector<uint64_t>{1, 3, 5, 7, 8, 9});
  CHECK(rig.activator->buffered() == 0);
}

TEST_CASE("Random-choice-2 (CC 0) with two pods sends each request to the pod with fewer in flight",
          "[balance]") {
  // With two pods both are the candidates; the one with fewer requests in flight wins, and a tie is a
  // coin. So after every second request both pods hold the same number whatever the coin gave.
  Rig rig(2, Duration::seconds(100), ActivatorConfig{});
  rig.ready({0, 1});
  CHECK(rig.activator->lb_policy() == ActivatorLbPolicy::kRandomChoice2);
  for (uint32_t pair = 1; pair <= 4; ++pair) {
    rig.send_now(2, 2 * pair);
    CHECK(rig.activator->pod_in_flight(0) == pair);
    CHECK(rig.activator->pod_in_flight(1) == pair);
  }
  CHECK(rig.activator->buffered() == 0);
}

TEST_CASE("Random-choice-2 never picks the busier of its two candidates", "[balance]") {
  // Three pods, pod1 loaded with 10 in flight: each request draws two distinct pods, so at least one
  // candidate is pod0 or pod2, which holds fewer than 10 (9 requests follow), and wins. So pod1 gets
  // none of the 9, whatever the draws.
  Rig rig(3, Duration::seconds(100), ActivatorConfig{});
  rig.ready({1});
  rig.send_now(10);
  rig.ready({0, 1, 2});
  rig.send_now(9, 10);
  CHECK(rig.activator->pod_in_flight(1) == 10);
  CHECK(rig.activator->pod_in_flight(0) + rig.activator->pod_in_flight(2) == 9);
}

namespace {

/// Sends one new request each time an answer comes back, up to `last_key`.
struct ClosedLoopClient final : traffic::ResponseSink {
  ScriptedClient* inner = nullptr;
  uint64_t next_key = 0;
  uint64_t last_key = 0;
  std::vector<traffic::Request> answers;

  void on_response(traffic::RequestId id) override {
    answers.push_back((*inner->table)[id]);
    answers.back().finished_at = inner->sim->now();
    inner->table->release(id);
    if (next_key <= last_key) send();
  }
  void send() {
    const traffic::RequestId id = inner->table->acquire();
    traffic::Request& r = (*inner->table)[id];
    r.sent_at = inner->sim->now();
    r.key = next_key++;
    r.push_reply(this);
    inner->target->on_request(id);
  }
};

}  // namespace

TEST_CASE("A request sent from inside an answer queues behind the waiting ones and is not refused",
          "[balance]") {
  // CC = 1, one pod answering after 1 s, max_buffered 1. t=0: k0 -> pod, k1 waits (buffer full).
  // t=1: k0 returns: the freed slot goes to k1 first, then the answer reaches the client, whose k2
  // finds the buffer empty again and waits. t=2: k1 returns, k2 goes, k3 waits. t=3, t=4 likewise.
  ActivatorConfig config = with_cc(1);
  config.max_buffered = 1;
  Rig rig(1, Duration::seconds(1), config);
  rig.ready({0});
  ClosedLoopClient loop;
  loop.inner = &rig.client;
  loop.last_key = 3;
  loop.send();
  loop.send();
  rig.sim.run();
  CHECK(rig.activator->overflowed() == 0);
  REQUIRE(loop.answers.size() == 4);
  for (uint64_t k = 0; k < 4; ++k) {
    CHECK(loop.answers[k].key == k);
    CHECK(loop.answers[k].outcome == Outcome::kOk);
    CHECK(loop.answers[k].finished_at == SimTime::from_seconds(static_cast<double>(k + 1)));
  }
  CHECK(rig.pods[0]->keys == std::vector<uint64_t>{0, 1, 2, 3});
}

TEST_CASE("Random-choice-2 assignments are reproducible from the seed", "[balance]") {
  auto assign = [] {
    Rig rig(5, Duration::seconds(100), ActivatorConfig{});
    rig.ready({0, 1, 2, 3, 4});
    rig.send_now(50);
    std::vector<std::vector<uint64_t>> keys;
    for (const auto& pod : rig.pods) keys.push_back(pod->keys);
    return keys;
  };
  const auto first = assign();
  CHECK(first == assign());
  size_t total = 0;
  for (const auto& k : first) total += k.size();
  CHECK(total == 50);
}
