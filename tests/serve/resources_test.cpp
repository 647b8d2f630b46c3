// SPDX-License-Identifier: MIT
// The CPU counter and rate as metrics-server computes them, and the KV-cache capacity of a GPU.

#include "sim/serve/resources.h"

#include <catch2/catch.hpp>

using kubemind::engine::Duration;
using kubemind::engine::SimTime;
namespace serve = kubemind::serve;

TEST_CASE("the CPU counter sums the baseline over time and every charge exactly", "[serve]") {
  serve::CpuUsage cpu(0.1, SimTime::from_seconds(5));
  CHECK(cpu.usage_seconds(SimTime::from_seconds(5)) == 0.0);
  CHECK(cpu.usage_seconds(SimTime::from_seconds(15)) == Approx(1.0).epsilon(1e-12));  // 0.1 core x 10 s
  for (int i = 0; i < 1000; ++i) cpu.charge(Duration::from_milliseconds(2.0));           // 2 s of work
  CHECK(cpu.usage_seconds(SimTime::from_seconds(15)) == Approx(3.0).epsilon(1e-12));
  // metrics-server: (3.0 - 1.0) / (15 - 5) s = 0.2 cores; over a 0.5-core request, 40%.
  CHECK(serve::cpu_rate_cores(1.0, SimTime::from_seconds(5), 3.0, SimTime::from_seconds(15)) == Approx(0.2));
  CHECK(serve::cpu_utilization(1.0, SimTime::from_seconds(5), 3.0, SimTime::from_seconds(15), 0.5) == Approx(0.4));
}

TEST_CASE("the KV cache holds what is left of 90% of the GPU after the weights", "[serve]") {
  // reference/dataplane.md 6.4(b): 80 GB GPU at utilisation 0.9. Llama-2-7B: (72 - 13.5) GB / 512 KiB
  // = 58.5e9 / 524288 = 111579.6 -> 111579 tokens ("about 110 K"); Llama-3-8B: (72 - 16.06) GB / 128 KiB
  // = 55.94e9 / 131072 = 426788.3 -> 426788 ("about 430 K").
  CHECK(serve::kv_cache_capacity_tokens(80, 0.9, 13.5, 524288) == 111579);
  CHECK(serve::kv_cache_capacity_tokens(80, 0.9, 16.06, 131072) == 426788);
  CHECK(serve::kv_cache_capacity_tokens(16, 0.9, 16.06, 131072) == 0);  // weights do not fit
}
