// SPDX-License-Identifier: MIT
#include "sim/balance/circuit_breakers.h"

#include <catch2/catch.hpp>

using namespace kubemind;

TEST_CASE("circuit breaker defaults are Envoy's 1024/1024/1024/3", "[balance]") {
  const balance::CircuitBreakerConfig c;
  CHECK(c.max_connections == 1024);
  CHECK(c.max_pending_requests == 1024);
  CHECK(c.max_requests == 1024);
  CHECK(c.max_retries == 3);
  CHECK(c.retry_budget.budget_percent == 20.0);
  CHECK(c.retry_budget.min_retry_concurrency == 3);
}

TEST_CASE("a circuit breaker admits up to its threshold and counts each overflow", "[balance]") {
  balance::CircuitBreakerConfig c;
  c.max_pending_requests = 10;
  balance::CircuitBreakers cb(c);
  int admitted = 0;
  for (int i = 0; i < 25; ++i) admitted += cb.try_start_pending() ? 1 : 0;
  CHECK(admitted == 10);
  CHECK(cb.pending_overflows() == 15);
  cb.finish_pending();
  CHECK(cb.try_start_pending());
  CHECK_FALSE(cb.try_start_pending());
}

TEST_CASE("the retry budget allows 20 percent of active plus pending, at least 3", "[balance]") {
  balance::CircuitBreakerConfig c;
  c.retry_budget.enabled = true;
  balance::CircuitBreakers cb(c);
  CHECK(cb.retry_limit() == 3);  // nothing active: the minimum concurrency
  for (int i = 0; i < 40; ++i) REQUIRE(cb.try_start_request());
  for (int i = 0; i < 12; ++i) REQUIRE(cb.try_start_pending());
  CHECK(cb.retry_limit() == 10);  // floor(0.2 * 52) = 10
  int retries = 0;
  for (int i = 0; i < 20; ++i) retries += cb.try_start_retry() ? 1 : 0;
  CHECK(retries == 10);
  CHECK(cb.retry_overflows() == 10);
  // Without a budget, max_retries (3) applies.
  balance::CircuitBreakers plain(balance::CircuitBreakerConfig{});
  CHECK(plain.retry_limit() == 3);
}
