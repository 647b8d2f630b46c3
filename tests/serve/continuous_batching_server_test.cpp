// SPDX-License-Identifier: MIT
// vLLM-style continuous batching: step times, TTFT and TPOT worked by hand on a linear step curve and
// on the Llama-3-8B A100 table, chunked prefill, max_num_seqs, and preemption by recompute.

#include "sim/serve/continuous_batching_server.h"

#include <catch2/catch.hpp>
#include <vector>

using namespace kubemind;
using engine::Duration;
using engine::SimTime;

namespace {

struct Timing {
  traffic::RequestId id;
  Duration ttft, tpot, e2e;
};

struct Client final : traffic::ResponseSink, serve::TokenTimingObserver {
  engine::Simulator* sim = nullptr;
  traffic::RequestTable* table = nullptr;
  traffic::RequestSink* server = nullptr;
  std::vector<traffic::Request> answers;
  std::vector<Timing> timings;
  uint32_t sent = 0;
  void send(uint64_t) {
    const traffic::RequestId id = table->acquire();
    (*table)[id].sent_at = sim->now();
    (*table)[id].push_reply(this);
    (*table)[id].client = sent++;
    server->on_request(id);
  }
  void on_response(traffic::RequestId id) override {
    answers.push_back((*table)[id]);
    table->release(id);
  }
  void on_finished(traffic::RequestId id, Duration ttft, Duration tpot, Duration e2e) override {
    timings.push_back({id, ttft, tpot, e2e});
  }
};

struct Fixture {
  engine::Simulator sim;
  traffic::RequestTable table;
  Client client;
  serve::ContinuousBatchingServer server;
  explicit Fixture(const serve::ContinuousBatchingConfig& cfg) : server(sim, table, cfg, 0, &client) {
    client.sim = &sim;
    client.table = &table;
    client.server = &server;
  }
  void send_at(double t_ms) {
    sim.schedule_at<&Client::send>(SimTime{Duration::from_milliseconds(t_ms).ns}, &client);
  }
};

/// L(n) = 10 + 0.1 (n - 1) ms for n in [1, 1000] tokens.
serve::ContinuousBatchingConfig linear(int prompt, int output) {
  serve::ContinuousBatchingConfig c;
  c.step_time = serve::LatencyCurve({{1, 10.0, 0}, {1000, 109.9, 0}}, 1);
  c.kv_cache_tokens = 1 << 20;
  c.prompt_tokens = prompt;
  c.output_tokens = output;
  return c;
}

int64_t ms(double v) { return Duration::from_milliseconds(v).ns; }

}  // namespace

TEST_CASE("a lone request's TTFT is the prefill step and its TPOT the one-token decode step", "[serve]") {
  // Llama-3-8B on A100, Vidur token-linear times (reference/dataplane.md 6.4(a)): 512 tokens 34.64 ms,
  // 1 token 9.70 ms. Prompt 512, 5 output tokens: TTFT 34.64, TPOT 9.70, end to end 34.64 + 4 x 9.70.
  serve::ContinuousBatchingConfig cfg;
  cfg.step_time = serve::LatencyCurve({{1, 9.70, 0},
                                       {2, 9.79, 0},
                                       {4, 9.79, 0},
                                       {8, 9.98, 0},
                                       {16, 10.13, 0},
                                       {32, 10.91, 0},
                                       {64, 11.23, 0},
                                       {128, 13.18, 0},
                                       {256, 19.49, 0},
                                       {512, 34.64, 0},
                                       {1024, 75.14, 0},
                                       {2048, 145.57, 0}},
                                      512);
  cfg.kv_cache_tokens = 426788;  // resources_test: (72 - 16.06) GB / 128 KiB
  cfg.prompt_tokens = 512;
  cfg.output_tokens = 5;
  Fixture f(cfg);
  f.send_at(0.0);
  f.sim.run();
  REQUIRE(f.client.timings.size() == 1);
  CHECK(f.client.timings[0].ttft.ns == ms(34.64));
  CHECK(f.client.timings[0].tpot.ns == ms(9.70));
  CHECK(f.client.timings[0].e2e.ns == ms(34.64) + 4 * ms(9.70));
  CHECK(f.client.answers.at(0).outcome == traffic::Outcome::kOk);
  CHECK(f.server.steps() == 5);
  CHECK(f.server.kv_blocks_in_use() == 0);
}

TEST_CASE("a prompt longer than the token budget is prefilled in chunks", "[serve]") {
  // Budget 1000: 1500 prompt tokens take a step of 1000 (109.9 ms) and one of 500 (59.9 ms).
  auto cfg = linear(1500, 2);
  cfg.max_num_batched_tokens = 1000;
  Fixture f(cfg);
  f.send_at(0.0);
  f.sim.run();
  REQUIRE(f.client.timings.size() == 1);
  CHECK(f.client.timings[0].ttft.ns == ms(109.9) + ms(59.9));
  CHECK(f.client.timings[0].tpot.ns == ms(10.0));
  CHECK(f.server.steps() == 3);
}

TEST_CASE("a request arriving mid-step joins the next step next to the running decode", "[serve]") {
  // A and B at t = 0, prompt 100, 3 tokens. A alone: 100 tokens, 19.9 ms -> A1 at 19.9. Then A decode +
  // B prefill, 101 tokens, 20.0 ms -> A2, B1 at 39.9. Then 2 decodes, 10.1 ms -> A3 (done), B2 at 50.0.
  // Then B alone, 10 ms -> B3 at 60.0. A: TTFT 19.9, TPOT (50 - 19.9) / 2 = 15.05; B: 39.9 and 10.05.
  Fixture f(linear(100, 3));
  f.send_at(0.0);
  f.send_at(0.0);
  f.sim.run();
  REQUIRE(f.client.timings.size() == 2);
  CHECK(f.client.timings[0].ttft.ns == ms(19.9));
  CHECK(f.client.timings[0].tpot.ns == ms(15.05));
  CHECK(f.client.timings[0].e2e.ns == ms(50.0));
  CHECK(f.client.timings[1].ttft.ns == ms(39.9));
  CHECK(f.client.timings[1].tpot.ns == ms(10.05));
  CHECK(f.client.timings[1].e2e.ns == ms(60.0));
  CHECK(f.server.steps() == 4);
}

TEST_CASE("max_num_seqs holds later requests until a running one finishes", "[serve]") {
  // One sequence at a time: A = 19.9 + 10 + 10 = 39.9 ms; B's prefill then ends at 59.8 ms.
  auto cfg = linear(100, 3);
  cfg.max_num_seqs = 1;
  Fixture f(cfg);
  f.send_at(0.0);
  f.send_at(0.0);
  f.sim.run();
  REQUIRE(f.client.timings.size() == 2);
  CHECK(f.client.timings[0].e2e.ns == ms(39.9));
  CHECK(f.client.timings[1].ttft.ns == ms(59.8));
}

TEST_CASE("a KV cache smaller than the demand preempts by recompute and loses no request", "[serve]") {
  // 16 blocks of 16 tokens; each request grows to 64 + 63 = 127 tokens = 8 blocks, so four cannot all
  // stay resident: the scheduler must preempt, and every request still gets all 64 tokens.
  auto cfg = linear(64, 64);
  cfg.kv_cache_tokens = 256;
  Fixture f(cfg);
  for (int i = 0; i < 4; ++i) f.send_at(0.0);
  f.sim.run();
  REQUIRE(f.client.answers.size() == 4);
  for (const auto& a : f.client.answers) CHECK(a.outcome == traffic::Outcome::kOk);
  CHECK(f.server.preemptions() > 0);
  CHECK(f.server.completed() == 4);
  CHECK(f.server.tokens_generated() == 4 * 64);  // recomputation re-prefills, it does not re-sample
  CHECK(f.server.kv_blocks_in_use() == 0);
  CHECK(f.server.running_count() == 0);
  CHECK(f.server.waiting_count() == 0);
}

TEST_CASE("a request that can never fit in the KV cache is rejected at once", "[serve]") {
  auto cfg = linear(64, 2);  // 65 tokens = 5 blocks of 16 > 4
  cfg.kv_cache_tokens = 64;
  Fixture f(cfg);
  f.send_at(1.0);
  f.sim.run();
  REQUIRE(f.client.answers.size() == 1);
  CHECK(f.client.answers[0].outcome == traffic::Outcome::kQueueFull);
  CHECK(f.server.rejected() == 1);
}

TEST_CASE("the KV-read term adds time per context token, and CPU is charged per request and token", "[serve]") {
  // Prefill 1000 tokens: 109.9 + 0.001 x 1000 = 110.9 ms; decode of token 2 reads 1001 tokens:
  // 10 + 1.001 = 11.001 ms. CPU: 1 ms tokenize + 2 x 0.046 ms detokenize + 0.5 ms = 1.592 ms.
  auto cfg = linear(1000, 2);
  cfg.kv_read_ms_per_token = 0.001;
  cfg.cpu.preprocess_cpu_ms = 1.0;
  cfg.cpu.postprocess_cpu_ms = 0.5;
  cfg.cpu_per_output_token_ms = 0.046;  // BLIS alpha_2 (reference/dataplane.md 6.4(b))
  Fixture f(cfg);
  f.send_at(0.0);
  f.sim.run();
  REQUIRE(f.client.timings.size() == 1);
  CHECK(f.client.timings[0].ttft.ns == ms(110.9));
  CHECK(f.client.timings[0].e2e.ns == ms(110.9 + 11.001));
  CHECK(f.server.cpu_usage_seconds() == Approx(1.592e-3).epsilon(1e-12));
  // Llama-3-8B on A100-80GB: 128 KiB per token read at 0.7 x 2.04 TB/s = 131072 / 1.428e12 s.
  CHECK(serve::kv_read_ms_per_token(131072, 2.04e12) == Approx(131072 / 1.428e12 * 1e3).epsilon(1e-12));
}
