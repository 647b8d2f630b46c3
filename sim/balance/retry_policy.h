// SPDX-License-Identifier: MIT
#pragma once
// Envoy route retry policy (api/envoy/config/route/v3/route_components.proto RetryPolicy; docs:
// configuration/http/http_filters/router_filter.rst "x-envoy-max-retries", arch_overview/http/
// http_routing.rst "Retry semantics").
// - A route without a retry policy does not retry: num_retries 0 here by default. A configured
//   policy's num_retries defaults to 1 in Envoy (set it explicitly here).
// - What is retried: answers of the 5xx class ("5xx" retry_on): the server's admission rejection
//   (kQueueFull, Triton UNAVAILABLE ~ 503), a reset, a downstream proxy's overflow 503 or no healthy
//   upstream. Not a timeout: per_try_timeout defaults to the route timeout, so a timed-out request
//   has no time left to retry.
// - Backoff before retry n (1-based): fully jittered exponential, a uniform whole number of
//   milliseconds in [0, (2^n - 1) * base_interval), capped at max_interval; base_interval default
//   25 ms, max_interval default 10 x base_interval (source/common/common/backoff_strategy.cc,
//   JitteredExponentialBackOffStrategy, formerly JitteredBackOffStrategy: random % ((2^n - 1) x base)).
// - Each retry also needs a unit of the cluster's retry circuit breaker (max_retries or the retry
//   budget), held during the backoff; without it the retry is skipped and the failure is returned.
// Not modelled: retry host predicates (previous_hosts), per-try timeouts shorter than the route's,
// retriable status code lists.

#include <cstdint>

#include "sim/balance/lb_policy.h"
#include "sim/engine/time.h"
#include "sim/traffic/request.h"

namespace kubemind::balance {

struct RetryPolicyConfig {
  uint32_t num_retries = 0;         // 0 = no retry policy on the route (Envoy: no retries)
  double base_interval_ms = 25.0;   // Envoy default 25 ms
  double max_interval_ms = 0.0;     // 0 = 10 x base_interval (Envoy default)
};

/// True for outcomes that Envoy's "5xx" retry_on would retry.
bool is_retriable(traffic::Outcome outcome);

/// The backoff before retry number `retry` (1-based).
engine::Duration retry_backoff(const RetryPolicyConfig& config, uint32_t retry, Rng& rng);

}  // namespace kubemind::balance
