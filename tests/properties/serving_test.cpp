// SPDX-License-Identifier: MIT
// The serving model end to end from scenario text: the CPU a pod reports is only the per-request
// work around the GPU, so it stays low while the GPU queue explodes; dynamic batching lifts a
// saturated pod's throughput towards max_b b / L(b).

#include <catch2/catch.hpp>
#include <string>

#include "sim/scenario/load.h"
#include "sim/scenario/world.h"

using namespace kubemind;

namespace {

report::RunReport run_text(const std::string& text) {
  return scenario::run_scenario(scenario::load_scenario_text(text, "test", {}, KUBEMIND_SOURCE_DIR "/scenarios"));
}

std::string one_pod(double rate_rps, const std::string& server_extra) {
  return R"({"kubemind": "v1", "name": "serving", "duration_s": 60, "warmup_s": 10,
    "clients": [{"name": "load", "target": "gpu-0", "arrival": {"rate_rps": )" +
         std::to_string(rate_rps) + R"(}}],
    "pods": [{"name": "gpu-0", "server": {"model": "resnet50-a100", "resources": {"requests": {"cpu": "1"}},
      "cpu": {"preprocess_ms": 0.2, "postprocess_ms": 0.2})" +
         server_extra + "}}]}";
}

}  // namespace

TEST_CASE("a pod's CPU stays low while its GPU queue explodes", "[properties][serving]") {
  // 1200 images/s offered to one A100 at batch 1 (2.13 ms: at most 1/2.13e-3 = 469.5/s served).
  // CPU = received x 0.2 ms + served x 0.2 ms = 1200 x 0.2e-3 + 469.5 x 0.2e-3 = 0.334 of 1 core.
  const report::RunReport r = run_text(one_pod(1200, ""));
  const report::PodReport& pod = r.pods[0];
  CHECK(pod.utilization > 0.999);            // the GPU never rests
  CHECK(pod.mean_queue_depth > 10000);       // and its queue grows by ~730 a second
  CHECK(pod.cpu_utilization == Approx(1200 * 0.2e-3 + (1 / 2.13e-3) * 0.2e-3).epsilon(0.02));
  CHECK(pod.cpu_utilization < 0.6);          // below a 60% CPU HPA target: CPU-based scaling is blind
}

TEST_CASE("the same pod's CPU tracks its load when the GPU keeps up", "[properties][serving]") {
  // 400/s and 40/s: every request is served, CPU = rate x 0.4 ms = 16% and 1.6% of a core.
  CHECK(run_text(one_pod(400, "")).pods[0].cpu_utilization == Approx(0.16).epsilon(0.03));
  CHECK(run_text(one_pod(40, "")).pods[0].cpu_utilization == Approx(0.016).epsilon(0.05));
}

TEST_CASE("dynamic batching lifts a saturated pod's throughput to max b / L(b)", "[properties][serving]") {
  // ResNet-50 on A100 (Triton table): 32 / 11.19 ms = 2859.7 images/s at batch 32, vs 469.5/s at batch 1.
  const report::RunReport batched = run_text(one_pod(
      4000, R"(, "max_batch_size": 32, "dynamic_batching": {"max_queue_delay_microseconds": 100})"));
  CHECK(batched.sli.served_rps == Approx(32 / 11.19e-3).epsilon(0.01));
  CHECK(batched.pods[0].mean_batch_size == Approx(32).epsilon(0.01));
  const report::RunReport unbatched = run_text(one_pod(4000, ""));
  CHECK(unbatched.sli.served_rps == Approx(1 / 2.13e-3).epsilon(0.01));
  CHECK(unbatched.pods[0].mean_batch_size == 1.0);
}

TEST_CASE("a token-measured LLM profile cannot drive a request-batching server", "[properties][serving]") {
  std::string text = one_pod(10, "");
  text.replace(text.find("resnet50-a100"), 13, "llama-3-8b-a100");
  CHECK_THROWS_WITH(run_text(text), Catch::Contains("measured per token (for continuous batching: \"engine\": \"vllm\")"));
}
