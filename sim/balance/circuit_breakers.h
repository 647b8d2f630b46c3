// SPDX-License-Identifier: MIT
#pragma once
// Envoy cluster circuit breakers for one priority (api/envoy/config/cluster/v3/circuit_breaker.proto;
// docs: arch_overview/upstream/circuit_breaking.rst). Counters of open resources and a yes/no answer
// per acquisition; a "no" is an overflow: the proxy answers 503 with x-envoy-overloaded
// (Outcome::kOverflow) for requests, or skips the retry for retries.
// Thresholds and defaults (circuit_breaker.proto, Thresholds):
//   max_connections 1024, max_pending_requests 1024, max_requests 1024, max_retries 3;
//   retry_budget (off unless set; when set it replaces max_retries): budget_percent 20 % of
//   (active requests + pending requests), never below min_retry_concurrency 3.
// Limits are per proxy process, shared by all its workers, not coordinated across proxies.
// Invariant: every counter is >= 0; release only what was acquired.

#include <cstdint>

#include "sim/engine/check.h"

namespace kubemind::balance {

struct RetryBudgetConfig {
  bool enabled = false;               // retry_budget unset by default
  double budget_percent = 20.0;       // default 20 %
  uint32_t min_retry_concurrency = 3; // default 3
};

struct CircuitBreakerConfig {
  uint32_t max_connections = 1024;
  uint32_t max_pending_requests = 1024;
  uint32_t max_requests = 1024;
  uint32_t max_retries = 3;
  RetryBudgetConfig retry_budget;
};

class CircuitBreakers {
 public:
  explicit CircuitBreakers(const CircuitBreakerConfig& config) : config_(config) {}

  /// Each try_* acquires one unit and returns true, or counts an overflow and returns false.
  bool try_open_connection() { return acquire(connections_, config_.max_connections, connection_overflows_); }
  bool try_start_pending() { return acquire(pending_, config_.max_pending_requests, pending_overflows_); }
  bool try_start_request() { return acquire(requests_, config_.max_requests, request_overflows_); }
  bool try_start_retry() { return acquire(retries_, retry_limit(), retry_overflows_); }

  void close_connection() { release(connections_); }
  void finish_pending() { release(pending_); }
  void finish_request() { release(requests_); }
  void finish_retry() { release(retries_); }

  /// Concurrent retries allowed now: the budget when configured, else max_retries.
  uint32_t retry_limit() const;

  uint32_t connections() const { return connections_; }
  uint32_t pending() const { return pending_; }
  uint32_t requests() const { return requests_; }
  uint32_t retries() const { return retries_; }
  // Overflow counts (Envoy stats upstream_cx_overflow, upstream_rq_pending_overflow,
  // upstream_rq_retry_overflow; requests overflow separately here).
  uint64_t connection_overflows() const { return connection_overflows_; }
  uint64_t pending_overflows() const { return pending_overflows_; }
  uint64_t request_overflows() const { return request_overflows_; }
  uint64_t retry_overflows() const { return retry_overflows_; }
  const CircuitBreakerConfig& config() const { return config_; }

 private:
  static bool acquire(uint32_t& open, uint32_t limit, uint64_t& overflows) {
    if (open >= limit) {
      ++overflows;
      return false;
    }
    ++open;
    return true;
  }
  static void release(uint32_t& open) {
    SIM_ASSERT(open > 0, "circuit breaker released more than acquired");
    --open;
  }

  CircuitBreakerConfig config_;
  uint32_t connections_ = 0;
  uint32_t pending_ = 0;
  uint32_t requests_ = 0;
  uint32_t retries_ = 0;
  uint64_t connection_overflows_ = 0;
  uint64_t pending_overflows_ = 0;
  uint64_t request_overflows_ = 0;
  uint64_t retry_overflows_ = 0;
};

}  // namespace kubemind::balance
