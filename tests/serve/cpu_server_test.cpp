// SPDX-License-Identifier: MIT
#include "sim/serve/cpu_server.h"

#include <boost/random/exponential_distribution.hpp>
#include <catch2/catch.hpp>
#include <cmath>
#include <memory>
#include <vector>

#include "sim/serve/inference_server.h"

using namespace kubemind;
using engine::Duration;
using engine::SimTime;

namespace {

int64_t ms_ns(double ms) { return Duration::from_milliseconds(ms).ns; }

/// Sends requests (at scripted times, as a Poisson process, or again as soon as each is answered) and
/// records what it gets back.
struct Client final : traffic::ResponseSink {
  engine::Simulator* sim = nullptr;
  traffic::RequestTable* table = nullptr;
  traffic::RequestSink* server = nullptr;
  // Poisson mode: `poisson_left` more requests, gaps exponential with mean 1 / rate.
  std::unique_ptr<engine::RngStream> arrivals;
  boost::random::exponential_distribution<double> gap_s{1.0};
  int64_t poisson_left = 0;
  bool closed_loop = false;  // send the next one the instant an answer comes back
  uint32_t sent = 0;
  std::vector<traffic::Request> answers;  // kept unless `keep_answers` is false
  bool keep_answers = true;
  std::vector<double> sojourn_s;  // arrival -> answer, served requests, in answer order
  std::vector<double> wait_s;     // arrival -> start of service
  uint64_t ok = 0;

  void send(uint64_t) {
    const traffic::RequestId id = table->acquire();
    (*table)[id].sent_at = sim->now();
    (*table)[id].push_reply(this);
    (*table)[id].client = sent++;
    server->on_request(id);
    if (poisson_left > 0 && --poisson_left > 0) {
      sim->schedule_in<&Client::send>(Duration::from_seconds(gap_s(arrivals->engine())), this);
    }
  }
  void start_poisson(double rate_rps, int64_t n, uint64_t seed) {
    arrivals = std::make_unique<engine::RngStream>(seed, "client", "arrivals");
    gap_s = boost::random::exponential_distribution<double>(rate_rps);
    poisson_left = n;
    sim->schedule_in<&Client::send>(Duration::from_seconds(gap_s(arrivals->engine())), this);
  }
  void send_at(double t_ms) { sim->schedule_at<&Client::send>(SimTime{ms_ns(t_ms)}, this); }
  void on_response(traffic::RequestId id) override {
    traffic::Request& r = (*table)[id];
    r.finished_at = sim->now();
    if (r.outcome == traffic::Outcome::kOk) {
      ++ok;
      sojourn_s.push_back((r.finished_at - r.arrived_at).seconds_f());
      wait_s.push_back((r.started_at - r.arrived_at).seconds_f());
    }
    if (keep_answers) answers.push_back(r);
    table->release(id);
    if (closed_loop) sim->schedule_in<&Client::send>(Duration{}, this);
  }
};

serve::CpuBoundServerConfig cpu_config(int workers, serve::ServiceDistribution dist, double work_ms,
                                       double request_cores, double limit_cores = 0.0) {
  serve::CpuBoundServerConfig c;
  c.workers = workers;
  c.service_time = {dist, work_ms, 0.0};
  c.cpu.request_cores = request_cores;
  c.cpu_limit_cores = limit_cores;
  return c;
}

/// A pod: one CpuBoundServer and its client.
struct Pod {
  Client client;
  serve::CpuBoundServer server;
  Pod(engine::Simulator& sim, traffic::RequestTable& table, serve::NodeCpu& node,
      const serve::CpuBoundServerConfig& cfg, uint32_t index)
      : server(sim, engine::RngStream(1, "pod/" + std::to_string(index), "service_time"), table, node, cfg, index) {
    client.sim = &sim;
    client.table = &table;
    client.server = &server;
  }
};

/// Mean of `x` after dropping the first `warmup`, with its standard error from `batches` batch means
/// (consecutive requests are correlated in a queue; batches much longer than the correlation time are
/// nearly independent).
struct Estimate {
  double mean = 0, se = 0;
};
Estimate batch_means(const std::vector<double>& x, size_t warmup, int batches) {
  const size_t n = (x.size() - warmup) / static_cast<size_t>(batches);
  std::vector<double> m(static_cast<size_t>(batches), 0.0);
  double grand = 0;
  for (int b = 0; b < batches; ++b) {
    for (size_t i = 0; i < n; ++i) m[static_cast<size_t>(b)] += x[warmup + static_cast<size_t>(b) * n + i];
    m[static_cast<size_t>(b)] /= static_cast<double>(n);
    grand += m[static_cast<size_t>(b)];
  }
  grand /= batches;
  double ss = 0;
  for (const double v : m) ss += (v - grand) * (v - grand);
  return {grand, std::sqrt(ss / (batches - 1) / batches)};
}

/// Erlang C: probability that an arrival waits in M/M/c with offered load a = lambda / mu < c.
double erlang_c(int c, double a) {
  double term = 1.0, sum = 0.0;  // term = a^k / k!
  for (int k = 0; k < c; ++k) {
    sum += term;
    term *= a / (k + 1);
  }
  const double top = term * c / (c - a);  // a^c / c! x c / (c - a)
  return top / (sum + top);
}

}  // namespace

TEST_CASE("Erlang C helper matches a hand-worked value", "[serve][cpu_server]") {
  // c = 3, a = 2.4: sum_{k<3} a^k/k! = 1 + 2.4 + 2.88 = 6.28; a^3/3! = 2.304, x 3/0.6 = 11.52;
  // C = 11.52 / 17.8 = 0.647191.
  CHECK(erlang_c(3, 2.4) == Approx(11.52 / 17.8).epsilon(1e-12));
  CHECK(erlang_c(1, 0.8) == Approx(0.8).epsilon(1e-12));  // M/M/1: P(wait) = rho
}

TEST_CASE("one worker alone on a big node is an M/M/1 queue", "[serve][cpu_server]") {
  // Exponential work of mean S = 10 ms at one core; the worker always has a full core (8-core node).
  // Mean sojourn W = S / (1 - rho): 20 ms at rho 0.5, 50 ms at rho 0.8.
  const double rho = GENERATE(0.5, 0.8);
  const double s = 0.010;
  engine::Simulator sim;
  traffic::RequestTable table;
  serve::NodeCpu node(8.0);
  Pod pod(sim, table, node, cpu_config(1, serve::ServiceDistribution::kExponential, 10.0, 1.0), 0);
  pod.client.keep_answers = false;
  const int64_t n = 400'000;
  pod.client.start_poisson(rho / s, n, 11);
  sim.run();
  REQUIRE(pod.client.sojourn_s.size() == static_cast<size_t>(n));
  // 20 batches of ~20 000 requests; the M/M/1 relaxation time at rho 0.8 is about
  // 1 / (mu (1 - sqrt(rho))^2) = 9 s = 700 requests, so batches are ~30 relaxation times long.
  const Estimate w = batch_means(pod.client.sojourn_s, 4000, 20);
  INFO("rho " << rho << " W " << w.mean << " +- " << w.se << " expected " << s / (1 - rho));
  CHECK(std::abs(w.mean - s / (1 - rho)) < 4 * w.se);
  CHECK(w.se < 0.02 * s / (1 - rho));  // the run is long enough for a 2% standard error
  CHECK(pod.server.worker_rate_cores() == 0.0);
}

TEST_CASE("c workers on at least c free cores are an M/M/c queue (Erlang C wait)", "[serve][cpu_server]") {
  // 3 workers on a 4-core node, S = 10 ms, lambda = 240/s: a = 2.4, rho = 0.8.
  // Wq = C(3, 2.4) x S / (c - a) = 0.647191 x 10 ms / 0.6 = 10.787 ms.
  const double s = 0.010, lambda = 240.0;
  const int c = 3;
  engine::Simulator sim;
  traffic::RequestTable table;
  serve::NodeCpu node(4.0);
  Pod pod(sim, table, node, cpu_config(c, serve::ServiceDistribution::kExponential, 10.0, 3.0), 0);
  pod.client.keep_answers = false;
  pod.client.start_poisson(lambda, 600'000, 12);
  sim.run();
  const double expected = erlang_c(c, lambda * s) * s / (c - lambda * s);
  const Estimate wq = batch_means(pod.client.wait_s, 6000, 20);
  INFO("Wq " << wq.mean << " +- " << wq.se << " expected " << expected);
  CHECK(std::abs(wq.mean - expected) < 4 * wq.se);
  CHECK(wq.se < 0.03 * expected);
  // The probability of waiting, too: the share of requests with a positive wait.
  size_t waited = 0;
  for (const double w : pod.client.wait_s) waited += w > 0 ? 1 : 0;
  const double p = static_cast<double>(waited) / static_cast<double>(pod.client.wait_s.size());
  CHECK(p == Approx(erlang_c(c, lambda * s)).epsilon(0.02));
}

TEST_CASE("with a core per worker the CPU server answers as the M/M/c InferenceServer draw for draw", "[serve][cpu_server]") {
  // Same service stream, same arrivals; 3 workers on a 3-core node never share a core, so every request
  // finishes at the same ns as on InferenceServer's 3 instances.
  engine::Simulator sim_a, sim_b;
  traffic::RequestTable table_a, table_b;
  serve::NodeCpu node(3.0);
  Pod pod(sim_a, table_a, node, cpu_config(3, serve::ServiceDistribution::kExponential, 4.0, 1.0), 0);
  serve::InferenceServerConfig icfg;
  icfg.instances = 3;
  icfg.service_time = {serve::ServiceDistribution::kExponential, 4.0, 1.0};
  serve::InferenceServer gpu(sim_b, engine::RngStream(1, "pod/0", "service_time"), table_b, icfg, 0);
  Client gpu_client;
  gpu_client.sim = &sim_b;
  gpu_client.table = &table_b;
  gpu_client.server = &gpu;
  for (int i = 0; i < 3000; ++i) {
    pod.client.send_at(0.5 * i);
    gpu_client.send_at(0.5 * i);
  }
  sim_a.run();
  sim_b.run();
  REQUIRE(pod.client.answers.size() == 3000);
  REQUIRE(gpu_client.answers.size() == 3000);
  for (size_t i = 0; i < 3000; ++i) {
    REQUIRE(pod.client.answers[i].client == gpu_client.answers[i].client);
    REQUIRE(pod.client.answers[i].finished_at == gpu_client.answers[i].finished_at);
    REQUIRE(pod.client.answers[i].started_at == gpu_client.answers[i].started_at);
  }
  CHECK(pod.server.max_queue_depth() == gpu.max_queue_depth());
  CHECK(pod.server.busy().area_until(sim_a.now()) == Approx(gpu.busy().area_until(sim_b.now())).epsilon(1e-12));
}

TEST_CASE("two always-busy tenants on one core slow each other by their weights", "[serve][cpu_server]") {
  // 1-core node, one worker each, 10 ms of work per request, closed loop (a new request the instant
  // one is answered), so both always have one runnable thread.
  // Equal requests (0.5, 0.5): 0.5 core each -> every request takes 20 ms = 2x its work.
  // Requests 2:1 (0.5, 0.25): 2/3 and 1/3 core -> 15 ms = 1.5x and 30 ms = 3x.
  const auto [req_b, lat_a, lat_b] = GENERATE(std::tuple{0.5, 20.0, 20.0}, std::tuple{0.25, 15.0, 30.0});
  engine::Simulator sim;
  traffic::RequestTable table;
  serve::NodeCpu node(1.0);
  Pod a(sim, table, node, cpu_config(1, serve::ServiceDistribution::kDeterministic, 10.0, 0.5), 0);
  Pod b(sim, table, node, cpu_config(1, serve::ServiceDistribution::kDeterministic, 10.0, req_b), 1);
  a.client.closed_loop = b.client.closed_loop = true;
  a.client.send_at(0.0);
  b.client.send_at(0.0);
  sim.run_until(SimTime::from_seconds(3.0));
  INFO("request b " << req_b);
  REQUIRE(a.client.answers.size() >= 99);
  REQUIRE(b.client.answers.size() >= 99);
  // Completions are rounded to the nearest ns from double rates: allow 1 ns (this run is exact).
  for (const auto& r : a.client.answers) REQUIRE(std::abs((r.finished_at - r.sent_at).ns - ms_ns(lat_a)) <= 1);
  for (const auto& r : b.client.answers) REQUIRE(std::abs((r.finished_at - r.sent_at).ns - ms_ns(lat_b)) <= 1);
  CHECK(a.client.answers.size() == static_cast<size_t>(3000.0 / lat_a));
  CHECK(b.client.answers.size() == static_cast<size_t>(3000.0 / lat_b));
}

TEST_CASE("a CPU limit of 0.5 doubles a request's time even when the neighbour is idle", "[serve][cpu_server]") {
  // 1-core node; the tenant's request 0.25, its neighbour (request 0.75) idle. Work 10 ms.
  // Limit 0.5: CFS quota 50 ms per 100 ms, on average 0.5 core -> 20 ms. No limit: the idle core -> 10 ms.
  const auto [limit, latency_ms] = GENERATE(std::pair{0.5, 20.0}, std::pair{0.0, 10.0});
  engine::Simulator sim;
  traffic::RequestTable table;
  serve::NodeCpu node(1.0);
  Pod tenant(sim, table, node, cpu_config(1, serve::ServiceDistribution::kDeterministic, 10.0, 0.25, limit), 0);
  Pod neighbour(sim, table, node, cpu_config(1, serve::ServiceDistribution::kDeterministic, 10.0, 0.75), 1);
  tenant.client.closed_loop = true;
  tenant.client.send_at(0.0);
  sim.run_until(SimTime::from_seconds(15));
  const double u0 = tenant.server.cpu_usage_seconds();
  sim.run_until(SimTime::from_seconds(30));
  const double u1 = tenant.server.cpu_usage_seconds();
  INFO("limit " << limit);
  for (const auto& r : tenant.client.answers) REQUIRE((r.finished_at - r.sent_at).ns == ms_ns(latency_ms));
  CHECK(tenant.client.answers.size() == static_cast<size_t>(30'000 / latency_ms));
  // The HPA sees what the container got: 0.5 core = 200% of a 0.25 request when limited; 1 core = 400%.
  const double util = serve::cpu_utilization(u0, SimTime::from_seconds(15), u1, SimTime::from_seconds(30), 0.25);
  CHECK(util == Approx((limit > 0 ? 0.5 : 1.0) / 0.25).epsilon(1e-9));
  CHECK(neighbour.server.cpu_usage_seconds() == 0.0);
}

TEST_CASE("a neighbour's burst slows a tenant down to its request's share unless the tenant is limited", "[serve][cpu_server]") {
  // 2-core node. Tenant A: request 0.5, 2 workers, 2 requests always outstanding (closed loop), 10 ms
  // of work each. Neighbour B: request 1.5, 4 workers, idle until it bursts with 4 outstanding at 1 s.
  // No limit on A: alone it uses both cores (1 per worker): 10 ms. During the burst, caps A 2, B 4,
  // weights 1:3, level 2 / 4 per weight: A 0.5 core (its request), 0.25 per worker -> 40 ms.
  // Limit 0.5 on A: 0.25 core per worker always -> 40 ms, burst or not (no interference, no burst
  // capacity either).
  const double limit = GENERATE(0.0, 0.5);
  engine::Simulator sim;
  traffic::RequestTable table;
  serve::NodeCpu node(2.0);
  Pod a(sim, table, node, cpu_config(2, serve::ServiceDistribution::kDeterministic, 10.0, 0.5, limit), 0);
  Pod b(sim, table, node, cpu_config(4, serve::ServiceDistribution::kDeterministic, 10.0, 1.5), 1);
  a.client.closed_loop = true;
  a.client.send_at(0.0);
  a.client.send_at(0.0);
  b.client.closed_loop = true;
  for (int i = 0; i < 4; ++i) b.client.send_at(1000.0);
  sim.run_until(SimTime::from_seconds(2.0));
  INFO("limit " << limit);
  const double before_ms = limit > 0 ? 40.0 : 10.0;
  for (const auto& r : a.client.answers) {
    const int64_t lat = (r.finished_at - r.sent_at).ns;
    if (r.finished_at.ns <= ms_ns(1000)) REQUIRE(std::abs(lat - ms_ns(before_ms)) <= 1);
    if (r.sent_at.ns >= ms_ns(1000)) REQUIRE(std::abs(lat - ms_ns(40.0)) <= 1);
  }
  // B's 4 workers share 1.5 cores: 10 ms / 0.375 = 26.67 ms per request.
  for (const auto& r : b.client.answers) REQUIRE(std::abs((r.finished_at - r.sent_at).ns - ms_ns(80.0 / 3.0)) <= 1);
}

TEST_CASE("Little's law holds on a run of two tenants sharing a core", "[serve][cpu_server]") {
  // Poisson arrivals, exponential work, two pods on one core whose rates change at every start and
  // finish. Over [0, T] ending empty, the area under the number in system equals the sum of sojourns,
  // so the time-average L equals throughput x mean sojourn (L = lambda W).
  engine::Simulator sim;
  traffic::RequestTable table;
  serve::NodeCpu node(1.0);
  Pod a(sim, table, node, cpu_config(2, serve::ServiceDistribution::kExponential, 6.0, 0.6), 0);
  Pod b(sim, table, node, cpu_config(1, serve::ServiceDistribution::kExponential, 4.0, 0.4, 0.3), 1);
  a.client.keep_answers = b.client.keep_answers = false;
  a.client.start_poisson(80.0, 40'000, 21);   // 0.48 core of work
  b.client.start_poisson(50.0, 25'000, 22);   // 0.2 core of work under a 0.3 limit
  sim.run();
  const double t = sim.now().seconds_f();
  for (Pod* p : {&a, &b}) {
    const double area = p->server.waiting().area_until(sim.now()) + p->server.in_service_integral().area_until(sim.now());
    const double l = area / t;
    double sum = 0;
    for (const double w : p->client.sojourn_s) sum += w;
    const double throughput = static_cast<double>(p->client.sojourn_s.size()) / t;
    const double w_mean = sum / static_cast<double>(p->client.sojourn_s.size());
    INFO("pod " << p->server.index() << " L " << l << " lambda W " << throughput * w_mean);
    CHECK(l == Approx(throughput * w_mean).epsilon(1e-9));
    CHECK(p->server.completed() == p->server.received());
  }
  CHECK(a.server.received() == 40'000);
}

TEST_CASE("the CPU counter is the work served plus the baseline over time", "[serve][cpu_server]") {
  // Two pods on one core with baselines 0.1 and 0.05 cores; 7 ms and 3 ms of work per request,
  // Poisson arrivals. After the run every request has been served in full, throttled or shared or not:
  // usage = baseline x T + requests x work.
  engine::Simulator sim;
  traffic::RequestTable table;
  serve::NodeCpu node(1.0);
  auto ca = cpu_config(2, serve::ServiceDistribution::kDeterministic, 7.0, 0.5);
  ca.cpu.baseline_cores = 0.1;
  auto cb = cpu_config(1, serve::ServiceDistribution::kDeterministic, 3.0, 0.5, 0.25);
  cb.cpu.baseline_cores = 0.05;
  Pod a(sim, table, node, ca, 0);
  Pod b(sim, table, node, cb, 1);
  a.client.keep_answers = b.client.keep_answers = false;
  a.client.start_poisson(90.0, 20'000, 31);
  b.client.start_poisson(60.0, 12'000, 32);
  sim.run();
  const double t = sim.now().seconds_f();
  // Each completion fires at the ns nearest to when its work runs out, so a request receives its work
  // +- 0.5 ns x its rate (<= 1 core): the counters agree within 0.5 ns per request.
  CHECK(std::abs(a.server.cpu_usage_seconds() - (0.1 * t + 20'000 * 0.007)) <= 20'000 * 0.5e-9);
  CHECK(std::abs(b.server.cpu_usage_seconds() - (0.05 * t + 12'000 * 0.003)) <= 12'000 * 0.5e-9);
  CHECK(a.server.completed() == 20'000);
  CHECK(b.server.completed() == 12'000);
  // Mid-request the counter includes the part done: 10 ms alone on the core, read at 4 ms.
  engine::Simulator sim2;
  serve::NodeCpu node2(1.0);
  Pod c(sim2, table, node2, cpu_config(1, serve::ServiceDistribution::kDeterministic, 10.0, 1.0), 2);
  c.client.send_at(0.0);
  sim2.run_until(SimTime{ms_ns(4.0)});
  CHECK(c.server.cpu_usage_seconds() == Approx(0.004).epsilon(1e-12));
  CHECK(c.server.cpu_rate_cores() == 1.0);
}

TEST_CASE("a full queue answers kQueueFull at once and admits again when there is room", "[serve][cpu_server]") {
  engine::Simulator sim;
  traffic::RequestTable table;
  serve::NodeCpu node(4.0);
  auto cfg = cpu_config(1, serve::ServiceDistribution::kDeterministic, 10.0, 1.0);
  cfg.max_queue_size = 2;
  Pod p(sim, table, node, cfg, 3);
  for (int i = 0; i < 5; ++i) p.client.send_at(0.0);  // 1 served, 2 queued, 2 rejected
  p.client.send_at(15.0);                              // room again (one left the queue at 10 ms)
  sim.run();
  REQUIRE(p.client.answers.size() == 6);
  int rejected = 0;
  for (const auto& r : p.client.answers) {
    CHECK(r.server == 3);
    if (r.outcome == traffic::Outcome::kQueueFull) {
      ++rejected;
      CHECK(r.finished_at.ns == 0);
    }
  }
  CHECK(rejected == 2);
  CHECK(p.server.rejected() == 2);
  CHECK(p.server.completed() == 4);
  CHECK(p.client.answers.back().finished_at.ns == ms_ns(40.0));  // behind 10, 20, 30
  CHECK(p.server.batches() == 4);
  CHECK(p.server.max_queue_depth() == 2);
}

TEST_CASE("shutting down resets every request held and gives the core to the neighbour", "[serve][cpu_server]") {
  // 1 core; A (2 workers) and B (1 worker) each busy with 10 ms requests, 3 threads on 1 core, equal
  // requests: A 0.5 (0.25 per worker), B 0.5. At 4 ms B has done 2 ms; A shuts down: B alone at 1 core
  // finishes its remaining 8 ms at 12 ms.
  engine::Simulator sim;
  traffic::RequestTable table;
  serve::NodeCpu node(1.0);
  Pod a(sim, table, node, cpu_config(2, serve::ServiceDistribution::kDeterministic, 10.0, 0.5), 0);
  Pod b(sim, table, node, cpu_config(1, serve::ServiceDistribution::kDeterministic, 10.0, 0.5), 1);
  for (int i = 0; i < 3; ++i) a.client.send_at(0.0);  // 2 in service, 1 queued
  b.client.send_at(0.0);
  sim.run_until(SimTime{ms_ns(4.0)});
  CHECK(a.server.worker_rate_cores() == Approx(0.25).epsilon(1e-12));
  a.server.shut_down();
  REQUIRE(a.client.answers.size() == 3);
  for (const auto& r : a.client.answers) CHECK(r.outcome == traffic::Outcome::kReset);
  CHECK(a.server.queue_depth() == 0);
  CHECK(a.server.in_service() == 0);
  a.client.send_at(5.0);  // reaches a dead server: reset at once
  sim.run();
  REQUIRE(b.client.answers.size() == 1);
  CHECK(std::abs(b.client.answers[0].finished_at.ns - ms_ns(12.0)) <= 1);
  REQUIRE(a.client.answers.size() == 4);
  CHECK(a.client.answers[3].outcome == traffic::Outcome::kReset);
  // A received 2 x 0.25 core for 4 ms = 2 ms of CPU.
  CHECK(a.server.cpu_usage_seconds() == Approx(0.002).epsilon(1e-9));
}

namespace {
struct IdleRecorder final : serve::ServerIdleListener {
  engine::Simulator* sim = nullptr;
  int64_t told_at_ns = -1;
  void on_server_idle(uint32_t) override { told_at_ns = sim->now().ns; }
};
}  // namespace

TEST_CASE("a draining server says it is idle when its last request is answered", "[serve][cpu_server]") {
  engine::Simulator sim;
  traffic::RequestTable table;
  serve::NodeCpu node(1.0);
  Pod p(sim, table, node, cpu_config(2, serve::ServiceDistribution::kDeterministic, 10.0, 1.0), 0);
  for (int i = 0; i < 3; ++i) p.client.send_at(0.0);
  IdleRecorder idle;
  idle.sim = &sim;
  sim.run_until(SimTime{ms_ns(1.0)});
  p.server.notify_when_idle(&idle);
  CHECK(idle.told_at_ns == -1);
  sim.run();
  // Two workers share 1 core: 0.5 each, both finish at 20 ms; the third alone at 1 core: 30 ms.
  CHECK(idle.told_at_ns == ms_ns(30.0));
  CHECK(p.server.memory_working_set_bytes() == 0.0);
}
