// SPDX-License-Identifier: MIT
#include "sim/balance/retry_policy.h"

#include <algorithm>
#include <boost/random/uniform_int_distribution.hpp>
#include <cmath>

namespace kubemind::balance {

bool is_retriable(traffic::Outcome outcome) {
  switch (outcome) {
    case traffic::Outcome::kQueueFull:
    case traffic::Outcome::kReset:
    case traffic::Outcome::kOverflow:
    case traffic::Outcome::kNoHealthyUpstream:
      return true;
    case traffic::Outcome::kPending:
    case traffic::Outcome::kOk:
    case traffic::Outcome::kTimeout:
      return false;
  }
  return false;
}

engine::Duration retry_backoff(const RetryPolicyConfig& config, uint32_t retry, Rng& rng) {
  SIM_ASSERT(retry >= 1, "retries are numbered from 1");
  const double max_ms = config.max_interval_ms > 0 ? config.max_interval_ms : 10.0 * config.base_interval_ms;
  const uint32_t exponent = std::min<uint32_t>(retry, 32);
  const double upper_ms = (std::ldexp(1.0, static_cast<int>(exponent)) - 1.0) * config.base_interval_ms;
  const auto upper = static_cast<uint64_t>(std::max(1.0, std::floor(upper_ms)));
  const uint64_t draw_ms = boost::random::uniform_int_distribution<uint64_t>(0, upper - 1)(rng);
  return engine::Duration::from_milliseconds(std::min(static_cast<double>(draw_ms), max_ms));
}

}  // namespace kubemind::balance
