// SPDX-License-Identifier: MIT
#include "sim/balance/circuit_breakers.h"

#include <algorithm>
#include <cmath>

namespace kubemind::balance {

uint32_t CircuitBreakers::retry_limit() const {
  if (!config_.retry_budget.enabled) return config_.max_retries;
  // Envoy (source/common/upstream/resource_manager_impl.h, RetryBudgetImpl::max): budget_percent of
  // the open requests plus pending requests, floored, and at least min_retry_concurrency.
  const double budget = config_.retry_budget.budget_percent / 100.0 * static_cast<double>(requests_ + pending_);
  return std::max(config_.retry_budget.min_retry_concurrency, static_cast<uint32_t>(std::floor(budget)));
}

}  // namespace kubemind::balance
