// SPDX-License-Identifier: MIT
#include "sim/serve/inference_server.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

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
};

serve::InferenceServerConfig deterministic(int instances, double mean_ms, int64_t max_queue = 0) {
  serve::InferenceServerConfig c;
  c.instances = instances;
  c.max_queue_size = max_queue;
  c.service_time = {serve::ServiceDistribution::kDeterministic, mean_ms, 0.0};
  return c;
}

}  // namespace

TEST_CASE("requests beyond the free instances wait in FIFO order", "[serve]") {
  Fixture f(deterministic(2, 10.0));
  for (int i = 0; i < 5; ++i) f.send_at(0.0);
  f.sim.run();
  REQUIRE(f.client.answers.size() == 5);
  // Two at a time, 10 ms each: finishes at 10, 10, 20, 20, 30 ms, in sending order.
  const std::vector<int64_t> done{10, 10, 20, 20, 30};
  for (size_t i = 0; i < 5; ++i) {
    INFO(i);
    CHECK(f.client.answers[i].client == i);
    CHECK(f.client.answers[i].finished_at.ns == done[i] * 1'000'000);
    CHECK(f.client.answers[i].started_at.ns == (done[i] - 10) * 1'000'000);
    CHECK(f.client.answers[i].server == 3);
    CHECK(f.client.answers[i].outcome == traffic::Outcome::kOk);
  }
  CHECK(f.server.completed() == 5);
  // Busy instance-time is 5 x 10 ms; queue-time is 10+10+20 ms.
  CHECK(f.server.busy().area_until(f.sim.now()) == Approx(0.050).epsilon(1e-12));
  CHECK(f.server.waiting().area_until(f.sim.now()) == Approx(0.040).epsilon(1e-12));
}

TEST_CASE("a full admission queue rejects at once and later requests are admitted again", "[serve]") {
  Fixture f(deterministic(1, 10.0, /*max_queue=*/2));
  for (int i = 0; i < 5; ++i) f.send_at(0.0);  // 1 served, 2 queued, 2 rejected
  f.send_at(15.0);                              // queue has room again (one left it at 10 ms)
  f.sim.run();
  REQUIRE(f.client.answers.size() == 6);
  int rejected = 0;
  for (const auto& a : f.client.answers) {
    if (a.outcome == traffic::Outcome::kQueueFull) {
      ++rejected;
      CHECK(a.finished_at.ns == 0);
    }
  }
  CHECK(rejected == 2);
  CHECK(f.server.rejected() == 2);
  CHECK(f.server.completed() == 4);
  CHECK(f.client.answers.back().finished_at.ns == 40'000'000);  // behind 10, 20, 30
}

TEST_CASE("sampled service times have the configured mean and coefficient of variation", "[serve]") {
  using D = serve::ServiceDistribution;
  const auto [dist, cv] = GENERATE(std::pair{D::kExponential, 1.0}, std::pair{D::kLognormal, 0.5},
                                   std::pair{D::kLognormal, 2.0});
  serve::InferenceServerConfig cfg;
  cfg.instances = 1;
  cfg.service_time = {dist, 4.0, cv};
  Fixture f(cfg);
  const int n = 200000;
  // One request at a time, each sent when the previous one is answered: service = latency.
  for (int i = 0; i < n; ++i) f.send_at(static_cast<double>(i) * 1e6);
  f.sim.run();
  REQUIRE(f.client.answers.size() == static_cast<size_t>(n));
  double sum = 0, sum2 = 0;
  for (const auto& a : f.client.answers) {
    const double s = static_cast<double>((a.finished_at - a.started_at).ns) * 1e-6;
    sum += s;
    sum2 += s * s;
  }
  const double mean = sum / n, sd = std::sqrt(sum2 / n - mean * mean);
  INFO("cv " << cv);
  // Standard error of the mean is 4 cv / sqrt(n); 5 of them.
  CHECK(std::abs(mean - 4.0) < 5 * 4.0 * cv / std::sqrt(n));
  // The sample sd of a lognormal with cv = 2 converges slowly (heavy tail): 10% is ample at n = 2e5.
  CHECK(sd / mean == Approx(cv).epsilon(0.10));
}
