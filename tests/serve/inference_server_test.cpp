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

// --- Dynamic batching on a latency curve ------------------------------------------------------------

namespace {

/// Dynamic batching on a curve, deterministic batch times.
serve::InferenceServerConfig batching(std::vector<serve::LatencyKnot> knots, int max_batch, int64_t delay_us,
                                      int instances = 1) {
  serve::InferenceServerConfig c;
  c.instances = instances;
  c.max_batch_size = max_batch;
  c.dynamic_batching.enabled = true;
  c.dynamic_batching.max_queue_delay_us = delay_us;
  c.latency = serve::LatencyCurve(knots, 1);
  return c;
}

int64_t ms_ns(double ms) { return Duration::from_milliseconds(ms).ns; }

}  // namespace

TEST_CASE("a batch of b on a curve takes exactly L(b)", "[serve]") {
  // L(1) = 2 ms, L(4) = 5 ms, L(8) = 7 ms; L(5) = 5 + (7 - 5) / 4 = 5.5 ms.
  Fixture f(batching({{1, 2.0, 0}, {4, 5.0, 0}, {8, 7.0, 0}}, 8, 0));
  f.send_at(0.0);                              // alone: a batch of 1, 0 -> 2 ms
  for (int i = 0; i < 5; ++i) f.send_at(1.0);  // wait for the instance; a batch of 5 at 2 ms -> 7.5 ms
  f.sim.run();
  REQUIRE(f.client.answers.size() == 6);
  CHECK(f.client.answers[0].finished_at.ns == ms_ns(2.0));
  for (size_t i = 1; i < 6; ++i) {
    CHECK(f.client.answers[i].started_at.ns == ms_ns(2.0));
    CHECK(f.client.answers[i].finished_at.ns == ms_ns(7.5));
  }
  CHECK(f.server.batches() == 2);
  CHECK(f.server.batch_size_counts()[1] == 1);
  CHECK(f.server.batch_size_counts()[5] == 1);
  CHECK(f.server.busy().area_until(f.sim.now()) == Approx(0.0075).epsilon(1e-12));
}

TEST_CASE("a saturated pod's throughput is max over b of b / L(b)", "[serve]") {
  // ResNet-50 on A100 (reference/dataplane.md 6.4(e)); its best batch is 32 (latency_curve_test), so a
  // Triton configured with max_batch_size 32 and a standing backlog serves 32 / 11.19 ms per instance.
  const std::vector<serve::LatencyKnot> resnet50_a100{{1, 2.13, 0},   {2, 2.19, 0},   {4, 2.76, 0},
                                                      {8, 3.90, 0},   {16, 5.79, 0},  {32, 11.19, 0},
                                                      {64, 25.24, 0}, {128, 48.09, 0}};
  const int instances = GENERATE(1, 2);
  Fixture f(batching(resnet50_a100, 32, 100, instances));
  const int n = 32 * 100 * instances;
  for (int i = 0; i < n; ++i) f.send_at(0.0);
  f.sim.run();
  REQUIRE(f.server.completed() == static_cast<uint64_t>(n));
  CHECK(f.server.batch_size_counts()[32] == static_cast<uint64_t>(100 * instances));
  const double throughput = n / f.sim.now().seconds_f();
  const double expected = instances * 32 / 11.19e-3;  // 2859.7 per second per instance
  CHECK(throughput == Approx(expected).epsilon(0.01));
  CHECK(f.sim.now().ns == 100 * ms_ns(11.19));
}

TEST_CASE("at low load the dynamic batcher forms batches of one after at most max_queue_delay", "[serve]") {
  // One request every 10 ms; L(1) = 2 ms, so each finds the instance free and the queue empty.
  const int64_t delay_us = GENERATE(0, 500);
  Fixture f(batching({{1, 2.0, 0}, {8, 4.0, 0}}, 8, delay_us));
  for (int i = 0; i < 100; ++i) f.send_at(10.0 * i);
  f.sim.run();
  REQUIRE(f.client.answers.size() == 100);
  CHECK(f.server.batches() == 100);
  CHECK(f.server.batch_size_counts()[1] == 100);
  for (const auto& a : f.client.answers) {
    // Waits exactly the delay (nothing else can join), then 2 ms on the GPU.
    CHECK((a.started_at - a.arrived_at).ns == delay_us * 1000);
    CHECK((a.finished_at - a.sent_at).ns == delay_us * 1000 + ms_ns(2.0));
  }
}

TEST_CASE("at high load the dynamic batcher forms batches of the maximum size", "[serve]") {
  // 800 requests, one every 10 us (100 k/s); L(1) = 2 ms, L(8) = 4.003 ms (no instant coincides with an
  // arrival). Request 0 waits for the delay; requests 1..7 arrive by 70 us and make a full batch at once.
  // From then on the instance frees with hundreds queued, and 800 = 100 x 8, so every batch is full.
  Fixture f(batching({{1, 2.0, 0}, {8, 4.003, 0}}, 8, 500));
  for (int i = 0; i < 800; ++i) f.send_at(0.01 * i);
  f.sim.run();
  REQUIRE(f.server.completed() == 800);
  CHECK(f.server.batches() == 100);
  CHECK(f.server.batch_size_counts()[8] == 100);
  CHECK(f.client.answers[0].started_at.ns == ms_ns(0.07));
  CHECK(f.client.answers[0].finished_at.ns == ms_ns(0.07 + 4.003));
  CHECK(f.sim.now().ns == ms_ns(0.07) + 100 * ms_ns(4.003));
}

TEST_CASE("a preferred batch size is sent as soon as it can be formed", "[serve]") {
  // max 8, preferred 4, delay 1 ms, L(b) = 2 + (b - 1) x 2/7 ms. Six requests at t = 0: the fourth makes
  // a preferred batch at once; the other two wait for the instance (L(4) = 2 + 6/7 ms > 1 ms delay, so
  // their delay has expired) and go as a batch of 2.
  auto cfg = batching({{1, 2.0, 0}, {8, 4.0, 0}}, 8, 1000);
  cfg.dynamic_batching.preferred_batch_sizes = {4};
  Fixture f(cfg);
  for (int i = 0; i < 6; ++i) f.send_at(0.0);
  f.sim.run();
  CHECK(f.server.batch_size_counts()[4] == 1);
  CHECK(f.server.batch_size_counts()[2] == 1);
  CHECK(f.server.batches() == 2);
  const double l4 = 2.0 + 3 * 2.0 / 7, l2 = 2.0 + 2.0 / 7;
  CHECK(f.client.answers[0].finished_at.ns == ms_ns(l4));
  CHECK(f.client.answers[5].started_at.ns == ms_ns(l4));
  CHECK(f.client.answers[5].finished_at.ns == ms_ns(l4) + ms_ns(l2));
}

TEST_CASE("a request still queued at its timeout is rejected then, including at a batch's instant", "[serve]") {
  // One instance, 10 ms per request, four requests at t = 0, queue timeout 15 ms: request 1 starts at
  // 10 ms (waited 10); requests 2 and 3 time out at 15 ms. With a 10 ms timeout request 1's deadline is
  // the instant request 0 finishes: the tie rule rejects it.
  const int64_t timeout_ms = GENERATE(15, 10);
  auto cfg = deterministic(1, 10.0);
  cfg.default_timeout_us = timeout_ms * 1000;
  Fixture f(cfg);
  for (int i = 0; i < 4; ++i) f.send_at(0.0);
  f.sim.run();
  REQUIRE(f.client.answers.size() == 4);
  const uint64_t served = timeout_ms == 15 ? 2 : 1;
  CHECK(f.server.completed() == served);
  CHECK(f.server.timed_out() == 4 - served);
  for (const auto& a : f.client.answers) {
    if (a.outcome == traffic::Outcome::kTimeout) CHECK(a.finished_at.ns == timeout_ms * 1'000'000);
  }
  CHECK(f.sim.now().ns == static_cast<int64_t>(served) * 10'000'000);
}

TEST_CASE("with max_batch_size 1 the batcher is the foundation's M/M/c server, draw for draw", "[serve]") {
  // Same seed, exponential service: the server with batching switched on but max_batch_size 1 (and the
  // one with batching on and a delay, which never waits at size 1) answers every request at the same ns.
  auto plain = deterministic(3, 4.0);
  plain.service_time = {serve::ServiceDistribution::kExponential, 4.0, 1.0};
  auto batched = plain;
  batched.dynamic_batching.enabled = true;
  batched.dynamic_batching.max_queue_delay_us = 700;
  batched.max_batch_size = 1;
  Fixture a(plain), b(batched);
  for (int i = 0; i < 3000; ++i) {
    a.send_at(0.5 * i);
    b.send_at(0.5 * i);
  }
  a.sim.run();
  b.sim.run();
  REQUIRE(a.client.answers.size() == b.client.answers.size());
  for (size_t i = 0; i < a.client.answers.size(); ++i) {
    REQUIRE(a.client.answers[i].client == b.client.answers[i].client);
    REQUIRE(a.client.answers[i].finished_at == b.client.answers[i].finished_at);
  }
  CHECK(b.server.batch_size_counts()[1] == 3000);
}

TEST_CASE("jitter on a curve keeps L(b) as the mean batch time", "[serve]") {
  auto cfg = batching({{1, 4.0, 0}, {8, 8.0, 0}}, 8, 0);
  cfg.service_time = {serve::ServiceDistribution::kLognormal, 0.0, 0.5};
  Fixture f(cfg);
  const int n = 40000;
  for (int i = 0; i < n; ++i) f.send_at(1000.0 * i);  // one at a time: batches of 1
  f.sim.run();
  double sum = 0;
  for (const auto& a : f.client.answers) sum += static_cast<double>((a.finished_at - a.started_at).ns) * 1e-6;
  // Standard error 4 x 0.5 / sqrt(n) = 0.01 ms; 5 of them.
  CHECK(std::abs(sum / n - 4.0) < 5 * 4.0 * 0.5 / std::sqrt(n));
}

// --- CPU and memory -----------------------------------------------------------------------------------

namespace {

/// CPU utilisation over [15 s, 30 s] of a pod receiving `rate_rps` evenly spaced requests, read from
/// the CPU counter as metrics-server would (two scrapes 15 s apart).
double utilization_15_to_30s(Fixture& f, double rate_rps) {
  const double gap_ms = 1000.0 / rate_rps;
  for (int i = 0; static_cast<double>(i) * gap_ms <= 30'000.0; ++i) f.send_at(gap_ms * i);
  f.sim.run_until(SimTime::from_seconds(15));
  const double u0 = f.server.cpu_usage_seconds();
  f.sim.run_until(SimTime::from_seconds(30));
  const double u1 = f.server.cpu_usage_seconds();
  return serve::cpu_utilization(u0, SimTime::from_seconds(15), u1, SimTime::from_seconds(30),
                                f.server.cpu_request_cores());
}

}  // namespace

TEST_CASE("CPU utilisation is arrivals x CPU per request over the CPU request, whatever the GPU queue", "[serve]") {
  // 1 instance at 10 ms per request serves 100/s at most: at 400 rps the GPU queue grows by 300/s.
  // 2 ms of CPU per request on a 1-CPU request: 400 x 0.002 = 0.8 cores -> 80%; 40 rps -> 8%.
  // Arrivals every 2.5 ms: those in (15 s, 30 s] are 6000 (40 rps: 600), so the numbers are exact.
  const auto [rate, expected] = GENERATE(std::pair{400.0, 0.80}, std::pair{40.0, 0.08});
  auto cfg = deterministic(1, 10.0);
  cfg.cpu.request_cores = 1.0;
  cfg.cpu.preprocess_cpu_ms = 2.0;
  Fixture f(cfg);
  INFO("rate " << rate);
  CHECK(utilization_15_to_30s(f, rate) == Approx(expected).epsilon(1e-9));
  if (rate == 400.0) CHECK(f.server.queue_depth() > 8000);  // 12000 arrived, about 3000 served
  // The HPA reads int32(usage x 100 / request) (reference/autoscalers.md 1.5.2).
  CHECK(static_cast<int>(expected * 100 + 1e-9) == (rate == 400.0 ? 80 : 8));
}

TEST_CASE("post-processing CPU follows the served rate and the baseline accrues with time", "[serve]") {
  // 1 ms before the GPU, 1 ms after it, baseline 0.05 cores, request 2 cores. At 400 rps the GPU serves
  // 100/s (10 ms each): 400 x 1 ms + 100 x 1 ms + 0.05 = 0.55 cores -> 27.5%.
  auto cfg = deterministic(1, 10.0);
  cfg.cpu = {2.0, 0.05, 1.0, 1.0};
  Fixture f(cfg);
  CHECK(utilization_15_to_30s(f, 400.0) == Approx(0.55 / 2.0).epsilon(1e-9));
}

TEST_CASE("memory counts weights per instance on the GPU and buffers per request in the container", "[serve]") {
  auto cfg = deterministic(2, 10.0);
  cfg.memory = {0.0512, 1.5, 602112.0};  // ResNet-50 FP16 weights; 1.5 GB runtime; one 224x224x3 fp32 image
  Fixture f(cfg);
  for (int i = 0; i < 5; ++i) f.send_at(0.0);
  f.sim.run_until(SimTime::from_seconds(0.005));
  CHECK(f.server.gpu_memory_bytes() == Approx(2 * 0.0512e9).epsilon(1e-12));
  CHECK(f.server.memory_working_set_bytes() == Approx(1.5e9 + 5 * 602112.0).epsilon(1e-12));  // 2 served + 3 queued
  f.sim.run();
  CHECK(f.server.memory_working_set_bytes() == Approx(1.5e9).epsilon(1e-12));
}
