// SPDX-License-Identifier: MIT
#include "sim/balance/retry_policy.h"

#include <catch2/catch.hpp>

using namespace kubemind;

TEST_CASE("retry backoff is fully jittered from 0 up to (2^n - 1) x 25 ms and capped at 250 ms", "[balance]") {
  engine::RngStream rng(2, "proxy", "retry");
  const balance::RetryPolicyConfig config;
  for (uint32_t n = 1; n <= 6; ++n) {
    const double upper_ms = ((1u << n) - 1) * 25.0;
    double max_seen = 0.0;
    for (int i = 0; i < 2000; ++i) {
      const double ms = balance::retry_backoff(config, n, rng.engine()).milliseconds_f();
      REQUIRE(ms >= 0.0);
      REQUIRE(ms < upper_ms);
      REQUIRE(ms <= 250.0);
      max_seen = std::max(max_seen, ms);
    }
    // The draws reach near the top of the range (or the cap).
    CHECK(max_seen >= std::min(upper_ms, 250.0) * 0.9);
  }
}

TEST_CASE("5xx-class outcomes are retriable and timeouts are not", "[balance]") {
  using traffic::Outcome;
  CHECK(balance::is_retriable(Outcome::kQueueFull));
  CHECK(balance::is_retriable(Outcome::kReset));
  CHECK(balance::is_retriable(Outcome::kOverflow));
  CHECK(balance::is_retriable(Outcome::kNoHealthyUpstream));
  CHECK_FALSE(balance::is_retriable(Outcome::kOk));
  CHECK_FALSE(balance::is_retriable(Outcome::kTimeout));
}
