// SPDX-License-Identifier: MIT
#include "sim/balance/random_policy.h"

#include <boost/random/uniform_int_distribution.hpp>

namespace kubemind::balance {

std::optional<size_t> RandomPolicy::choose(std::span<const HostView> hosts, const PickContext&, Rng& rng) {
  if (hosts.empty()) return std::nullopt;
  return boost::random::uniform_int_distribution<size_t>(0, hosts.size() - 1)(rng);
}

}  // namespace kubemind::balance
