// SPDX-License-Identifier: MIT
// Quality tiers of the InferenceServer (InferenceServerConfig::degraded): a batch formed while more than
// queue_depth_above requests wait (counted before the batch leaves the queue) runs on the degraded
// curve; with hysteresis the server stays degraded until a batch forms with waiting <= restore_below.
// Every expected time below is worked by hand from the two curves.
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "sim/serve/inference_server.h"

using namespace kubemind;
using engine::Duration;
using engine::SimTime;

namespace {

/// Sends requests at scripted times and records their answers.
struct ScriptedClient final : traffic::ResponseSink {
  engine::Simulator* sim = nullptr;
  traffic::RequestTable* table = nullptr;
  traffic::RequestSink* server = nullptr;
  std::vector<traffic::Request> answers;
  uint32_t sent = 0;
  void send(uint64_t) {
    const traffic::RequestId id = table->acquire();
    (*table)[id].sent_at = sim->now();
    (*table)[id].push_reply(this);
    (*table)[id].client = sent++;  // stamps the sending order
    server->on_request(id);
  }
  void on_response(traffic::RequestId id) override {
    (*table)[id].finished_at = sim->now();
    answers.push_back((*table)[id]);
    table->release(id);
  }
};

struct Fixture {
  engine::Simulator sim;
  traffic::RequestTable table;
  ScriptedClient client;
  serve::InferenceServer server;
  explicit Fixture(const serve::InferenceServerConfig& cfg)
      : server(sim, engine::RngStream(1, "pod/p", "service_time"), table, cfg, 3) {
    client.sim = &sim;
    client.table = &table;
    client.server = &server;
  }
  void send_at(double t_ms) { sim.schedule_at<&ScriptedClient::send>(SimTime{Duration::from_milliseconds(t_ms).ns}, &client); }
  /// The answer to the i-th request sent.
  const traffic::Request& answer(uint32_t i) const {
    for (const auto& a : client.answers) {
      if (a.client == i) return a;
    }
    FAIL("no answer for request " << i);
    return client.answers.front();
  }
};

int64_t ms_ns(double ms) { return Duration::from_milliseconds(ms).ns; }

/// One request at a time on `instances` instances, 10 ms each (service_time, no curve); the degraded
/// tier takes L_d(1) = 4 ms.
serve::InferenceServerConfig one_at_a_time(int instances, int64_t above, int64_t restore_below = -1) {
  serve::InferenceServerConfig c;
  c.instances = instances;
  c.service_time = {serve::ServiceDistribution::kDeterministic, 10.0, 0.0};
  c.degraded = serve::DegradedTierConfig{"smaller", serve::LatencyCurve({{1, 4.0, 0}}, 1), above, restore_below};
  return c;
}

}  // namespace

TEST_CASE("a burst is served on the degraded tier while more than queue_depth_above requests wait", "[serve][tier]") {
  // N = 10 at t = 0 on one instance. Request 0 starts alone (1 waiting, itself); request j >= 1 starts
  // when request j - 1 ends, with 10 - j waiting. So request 0 is degraded iff 1 > k, and request j >= 1
  // iff 10 - j > k: with k = 3, requests 1..6 (N - 1 - k of them) on 4 ms, 0 and 7..9 on 10 ms, and the
  // last ends at 4 x 10 + 6 x 4 = 64 ms. k = 0: all ten degraded, 40 ms. k = 8: only request 1, 94 ms.
  const auto [k, degraded, last_ms] = GENERATE(std::tuple{int64_t{3}, 6, 64.0}, std::tuple{int64_t{0}, 10, 40.0},
                                               std::tuple{int64_t{8}, 1, 94.0});
  INFO("k " << k);
  Fixture f(one_at_a_time(1, k));
  for (int i = 0; i < 10; ++i) f.send_at(0.0);
  f.sim.run();
  REQUIRE(f.client.answers.size() == 10);
  for (uint32_t j = 0; j < 10; ++j) {
    INFO("request " << j);
    const bool on_degraded = j == 0 ? 1 > k : 10 - static_cast<int64_t>(j) > k;
    const auto& a = f.answer(j);
    CHECK((a.finished_at - a.started_at).ns == ms_ns(on_degraded ? 4.0 : 10.0));
    CHECK(a.outcome == traffic::Outcome::kOk);
  }
  CHECK(f.server.degraded_batches() == static_cast<uint64_t>(degraded));
  CHECK(f.server.degraded_requests() == static_cast<uint64_t>(degraded));
  CHECK(f.sim.now().ns == ms_ns(last_ms));
  CHECK(f.answer(9).finished_at.ns == ms_ns(last_ms));
  // The last batch saw 1 waiting: degraded only when k = 0.
  CHECK(f.server.degraded_now() == (k == 0));
}

TEST_CASE("with hysteresis a degraded server stays degraded until waiting is at most restore_below", "[serve][tier]") {
  // N = 10 at t = 0, k = 3. Request 0: 1 waiting, primary. Request 1: 9 waiting, degraded. Request j then
  // stays degraded until 10 - j <= r, i.e. j >= 10 - r goes back to primary:
  //   r = 3 (or -1, the default = k): no hysteresis, requests 1..6 degraded, 4 x 10 + 6 x 4 = 64 ms;
  //   r = 2: requests 1..7, 3 x 10 + 7 x 4 = 58 ms;  r = 1: requests 1..8, 2 x 10 + 8 x 4 = 52 ms;
  //   r = 0: never restored (a batch always sees itself waiting): 1..9, 10 + 9 x 4 = 46 ms.
  // A lone request at t = 100 ms (1 waiting) is restored to primary (10 ms) unless r = 0, where it stays
  // degraded (4 ms).
  const auto [r, degraded, last_ms] =
      GENERATE(std::tuple{int64_t{-1}, 6, 64.0}, std::tuple{int64_t{3}, 6, 64.0}, std::tuple{int64_t{2}, 7, 58.0},
               std::tuple{int64_t{1}, 8, 52.0}, std::tuple{int64_t{0}, 9, 46.0});
  INFO("restore_below " << r);
  Fixture f(one_at_a_time(1, 3, r));
  for (int i = 0; i < 10; ++i) f.send_at(0.0);
  f.send_at(100.0);
  f.sim.run_until(SimTime{ms_ns(99.0)});
  REQUIRE(f.client.answers.size() == 10);
  for (uint32_t j = 0; j < 10; ++j) {
    INFO("request " << j);
    const bool on_degraded = j >= 1 && static_cast<int>(j) <= degraded;
    const auto& a = f.answer(j);
    CHECK((a.finished_at - a.started_at).ns == ms_ns(on_degraded ? 4.0 : 10.0));
  }
  CHECK(f.answer(9).finished_at.ns == ms_ns(last_ms));
  CHECK(f.server.degraded_batches() == static_cast<uint64_t>(degraded));
  CHECK(f.server.degraded_now() == (r == 0));
  f.sim.run();
  REQUIRE(f.client.answers.size() == 11);
  CHECK(f.answer(10).finished_at.ns == ms_ns(r == 0 ? 104.0 : 110.0));
  CHECK(f.server.degraded_requests() == static_cast<uint64_t>(degraded + (r == 0 ? 1 : 0)));
}

TEST_CASE("each instance that frees decides its batch's tier on the queue it sees then", "[serve][tier]") {
  // 2 instances, N = 6 at t = 0, k = 3. Requests 0 and 1 start alone (1 waiting each): primary, end at
  // 10 ms. Instance 0 frees first: 4 waiting > 3, request 2 degraded (10 -> 14 ms). Instance 1 frees at
  // the same instant: 3 waiting, request 3 primary (10 -> 20). At 14: 2 waiting, request 4 primary
  // (-> 24). At 20: request 5 primary (-> 30).
  Fixture f(one_at_a_time(2, 3));
  for (int i = 0; i < 6; ++i) f.send_at(0.0);
  f.sim.run();
  REQUIRE(f.client.answers.size() == 6);
  const std::vector<double> start{0, 0, 10, 10, 14, 20}, end{10, 10, 14, 20, 24, 30};
  for (uint32_t j = 0; j < 6; ++j) {
    INFO("request " << j);
    CHECK(f.answer(j).started_at.ns == ms_ns(start[j]));
    CHECK(f.answer(j).finished_at.ns == ms_ns(end[j]));
  }
  CHECK(f.server.degraded_batches() == 1);
  CHECK(f.server.degraded_requests() == 1);
}

TEST_CASE("dynamic batches over the threshold run on the degraded curve", "[serve][tier]") {
  // Primary L(1) = 2, L(4) = 5 ms (L(2) = 3 ms); degraded L_d(1) = 1, L_d(4) = 1.75 ms (L_d(2) = 1.25 ms).
  // max_batch 4, no queue delay, one instance, k = 4; 11 requests at t = 0.
  //   t = 0:    request 0 alone, 1 waiting: primary L(1), ends at 2.
  //   t = 2:    10 waiting > 4: degraded batch of 4 (1..4), L_d(4), ends at 3.75.
  //   t = 3.75: 6 waiting > 4: degraded batch of 4 (5..8), ends at 5.5.
  //   t = 5.5:  2 waiting <= 4: primary batch of 2 (9, 10), L(2) = 3, ends at 8.5.
  // With restore_below 1 the last batch (2 waiting > 1) stays degraded: L_d(2) = 1.25, ends at 6.75.
  const int64_t r = GENERATE(int64_t{-1}, int64_t{1});
  INFO("restore_below " << r);
  serve::InferenceServerConfig c;
  c.max_batch_size = 4;
  c.dynamic_batching.enabled = true;
  c.latency = serve::LatencyCurve({{1, 2.0, 0}, {4, 5.0, 0}}, 1);
  c.degraded = serve::DegradedTierConfig{"smaller", serve::LatencyCurve({{1, 1.0, 0}, {4, 1.75, 0}}, 1), 4, r};
  Fixture f(c);
  for (int i = 0; i < 11; ++i) f.send_at(0.0);
  f.sim.run();
  REQUIRE(f.client.answers.size() == 11);
  CHECK(f.answer(0).finished_at.ns == ms_ns(2.0));
  const int64_t second = ms_ns(2.0) + ms_ns(1.75), third = second + ms_ns(1.75);
  for (uint32_t j = 1; j <= 4; ++j) CHECK(f.answer(j).finished_at.ns == second);
  for (uint32_t j = 5; j <= 8; ++j) CHECK(f.answer(j).finished_at.ns == third);
  const int64_t last = third + ms_ns(r == 1 ? 1.25 : 3.0);
  for (uint32_t j = 9; j <= 10; ++j) {
    CHECK(f.answer(j).started_at.ns == third);
    CHECK(f.answer(j).finished_at.ns == last);
  }
  CHECK(f.sim.now().ns == last);
  CHECK(f.server.batch_size_counts()[4] == 2);
  CHECK(f.server.batch_size_counts()[2] == 1);
  CHECK(f.server.degraded_batches() == (r == 1 ? 3u : 2u));
  CHECK(f.server.degraded_requests() == (r == 1 ? 10u : 8u));
}

TEST_CASE("a threshold never crossed leaves the server identical to one without tiers", "[serve][tier]") {
  // Exponential batch times on a curve, 2 instances, dynamic batching with a delay, 3000 arrivals every
  // 0.4 ms. The queue only shrinks when a batch forms, so no batch ever sees more than the plain server's
  // max_queue_depth() M waiting: with k = M the tiered server answers every request at the same ns (the
  // degraded tier draws nothing). With k = M - 1 the batch formed at the peak must degrade.
  serve::InferenceServerConfig plain;
  plain.instances = 2;
  plain.max_batch_size = 8;
  plain.dynamic_batching.enabled = true;
  plain.dynamic_batching.max_queue_delay_us = 300;
  plain.latency = serve::LatencyCurve({{1, 2.0, 0}, {8, 4.0, 0}}, 1);
  plain.service_time = {serve::ServiceDistribution::kExponential, 0.0, 1.0};
  Fixture a(plain);
  for (int i = 0; i < 3000; ++i) a.send_at(0.4 * i);
  a.sim.run();
  const int64_t m = a.server.max_queue_depth();
  REQUIRE(m >= 2);  // the load does queue

  const int64_t k = m - GENERATE(int64_t{0}, int64_t{1});
  INFO("k " << k << ", max queue " << m);
  auto tiered = plain;
  tiered.degraded = serve::DegradedTierConfig{"smaller", serve::LatencyCurve({{1, 0.5, 0}, {8, 1.0, 0}}, 1), k, -1};
  Fixture b(tiered);
  for (int i = 0; i < 3000; ++i) b.send_at(0.4 * i);
  b.sim.run();
  REQUIRE(b.client.answers.size() == a.client.answers.size());
  bool identical = true;
  for (size_t i = 0; i < a.client.answers.size(); ++i) {
    identical = identical && a.client.answers[i].client == b.client.answers[i].client &&
                a.client.answers[i].finished_at == b.client.answers[i].finished_at;
  }
  if (k == m) {
    CHECK(identical);
    CHECK(b.server.degraded_batches() == 0);
    CHECK(b.server.batch_size_counts() == a.server.batch_size_counts());
    CHECK(b.sim.now() == a.sim.now());
  } else {
    CHECK(b.server.degraded_batches() >= 1);
    CHECK_FALSE(identical);
  }
}

TEST_CASE("the degraded curve keeps the primary's service time variability", "[serve][tier]") {
  // k = 0: every batch degraded. One request at a time (batches of 1), lognormal cv 0.5 on L_d(1) = 3 ms:
  // the batch times have mean 3 ms (standard error 3 x 0.5 / sqrt(n)) and cv 0.5.
  serve::InferenceServerConfig c;
  c.latency = serve::LatencyCurve({{1, 8.0, 0}}, 1);
  c.service_time = {serve::ServiceDistribution::kLognormal, 0.0, 0.5};
  c.degraded = serve::DegradedTierConfig{"smaller", serve::LatencyCurve({{1, 3.0, 0}}, 1), 0, -1};
  Fixture f(c);
  const int n = 40000;
  for (int i = 0; i < n; ++i) f.send_at(1000.0 * i);
  f.sim.run();
  REQUIRE(f.server.degraded_requests() == static_cast<uint64_t>(n));
  double sum = 0, sum2 = 0;
  for (const auto& a : f.client.answers) {
    const double s = static_cast<double>((a.finished_at - a.started_at).ns) * 1e-6;
    sum += s;
    sum2 += s * s;
  }
  const double mean = sum / n, sd = std::sqrt(sum2 / n - mean * mean);
  CHECK(std::abs(mean - 3.0) < 5 * 3.0 * 0.5 / std::sqrt(n));
  CHECK(sd / mean == Approx(0.5).epsilon(0.05));
}
