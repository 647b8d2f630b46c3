// SPDX-License-Identifier: MIT
#include "sim/traffic/open_loop_client.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

using namespace kubemind;
using engine::SimTime;

namespace {

/// Answers every request at once and remembers when each was sent.
struct EchoSink final : traffic::RequestSink, traffic::RequestObserver {
  traffic::RequestTable* table = nullptr;
  std::vector<int64_t> sent_ns;
  uint64_t answered = 0;
  void on_request(traffic::RequestId id) override {
    (*table)[id].outcome = traffic::Outcome::kOk;
    (*table)[id].pop_reply()->on_response(id);
  }
  void on_sent(const traffic::Request& r) override { sent_ns.push_back(r.sent_at.ns); }
  void on_answered(const traffic::Request&) override { ++answered; }
};

struct Fixture {
  engine::Simulator sim;
  traffic::RequestTable table;
  EchoSink sink;
  Fixture() { sink.table = &table; }
};

}  // namespace

TEST_CASE("a Poisson client's count in a window matches the rate within 5 sigma", "[traffic]") {
  Fixture f;
  const double rate = 200.0, horizon_s = 5000.0;
  traffic::OpenLoopClient client(f.sim, engine::RngStream(1, "client/a", "arrivals"), f.table,
                                 {"a", {traffic::ArrivalProcess::kPoisson, rate}}, 0, f.sink, f.sink);
  client.start(SimTime::from_seconds(horizon_s));
  f.sim.run();
  const double mean = rate * horizon_s;  // Poisson: variance = mean
  CHECK(std::abs(static_cast<double>(client.sent()) - mean) < 5 * std::sqrt(mean));
  CHECK(client.answered() == client.sent());
  CHECK(f.sink.answered == client.sent());
  CHECK(f.table.in_use() == 0);  // every request was released
  // Exponential gaps: coefficient of variation 1 (its estimate has sd about 1/sqrt(n)).
  double sum = 0, sum2 = 0;
  for (size_t i = 1; i < f.sink.sent_ns.size(); ++i) {
    const double gap = static_cast<double>(f.sink.sent_ns[i] - f.sink.sent_ns[i - 1]) * 1e-9;
    sum += gap;
    sum2 += gap * gap;
  }
  const double n = static_cast<double>(f.sink.sent_ns.size() - 1);
  const double m = sum / n, cv = std::sqrt(sum2 / n - m * m) / m;
  CHECK(std::abs(m - 1.0 / rate) < 5 * (1.0 / rate) / std::sqrt(n));
  CHECK(std::abs(cv - 1.0) < 5 * 1.0 / std::sqrt(n));
}

TEST_CASE("a constant-rate client sends exactly 1/rate apart and stops before its end", "[traffic]") {
  Fixture f;
  traffic::OpenLoopClient client(f.sim, engine::RngStream(1, "client/c", "arrivals"), f.table,
                                 {"c", {traffic::ArrivalProcess::kConstant, 4.0}}, 0, f.sink, f.sink);
  client.start(SimTime::from_seconds(1.0));
  f.sim.run();
  // 0.25, 0.5, 0.75; the fourth would leave at 1.0, which is not before the end.
  CHECK(f.sink.sent_ns == std::vector<int64_t>{250'000'000, 500'000'000, 750'000'000});
}

TEST_CASE("two clients with the same name and seed send at identical times", "[traffic]") {
  Fixture f1, f2;
  traffic::OpenLoopClientConfig cfg{"x", {traffic::ArrivalProcess::kPoisson, 50.0}};
  traffic::OpenLoopClient a(f1.sim, engine::RngStream(9, "client/x", "arrivals"), f1.table, cfg, 0, f1.sink, f1.sink);
  traffic::OpenLoopClient b(f2.sim, engine::RngStream(9, "client/x", "arrivals"), f2.table, cfg, 0, f2.sink, f2.sink);
  a.start(SimTime::from_seconds(100));
  b.start(SimTime::from_seconds(100));
  f1.sim.run();
  f2.sim.run();
  CHECK(f1.sink.sent_ns == f2.sink.sent_ns);
  CHECK(f1.sink.sent_ns.size() > 4000);
}
