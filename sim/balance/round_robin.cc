// SPDX-License-Identifier: MIT
#include "sim/balance/round_robin.h"

#include <boost/random/uniform_int_distribution.hpp>

namespace kubemind::balance {

RoundRobinPolicy::RoundRobinPolicy(Rng& rng)
    : next_index_(boost::random::uniform_int_distribution<uint64_t>(0, UINT32_MAX)(rng)) {}

void RoundRobinPolicy::on_host_set_changed(std::span<const HostView> hosts) {
  weighted_ = !hosts.empty() && !weights_equal(hosts);
  if (weighted_) {
    edf_.reset(hosts.size(), [&](size_t i) { return static_cast<double>(hosts[i].weight); });
  }
}

std::optional<size_t> RoundRobinPolicy::choose(std::span<const HostView> hosts, const PickContext&, Rng&) {
  if (hosts.empty()) return std::nullopt;
  if (weighted_) {
    SIM_ASSERT(edf_.size() == hosts.size(), "host set changed without on_host_set_changed");
    return edf_.pick([&](size_t i) { return static_cast<double>(hosts[i].weight); });
  }
  return static_cast<size_t>(next_index_++ % hosts.size());
}

}  // namespace kubemind::balance
