// SPDX-License-Identifier: MIT
#include "sim/balance/least_request.h"

#include <boost/random/uniform_int_distribution.hpp>
#include <cmath>

namespace kubemind::balance {

double LeastRequestPolicy::effective_weight(const HostView& host, double active_request_bias) {
  const double weight = static_cast<double>(host.weight);
  if (active_request_bias == 0.0) return weight;
  const double load = static_cast<double>(host.active_requests) + 1.0;
  if (active_request_bias == 1.0) return weight / load;  // Envoy's fast path, same value
  return weight / std::pow(load, active_request_bias);
}

void LeastRequestPolicy::on_host_set_changed(std::span<const HostView> hosts) {
  weighted_ = !hosts.empty() && !weights_equal(hosts);
  if (weighted_) {
    edf_.reset(hosts.size(), [&](size_t i) { return effective_weight(hosts[i], config_.active_request_bias); });
  }
}

std::optional<size_t> LeastRequestPolicy::choose(std::span<const HostView> hosts, const PickContext&, Rng& rng) {
  if (hosts.empty()) return std::nullopt;
  if (weighted_) {
    SIM_ASSERT(edf_.size() == hosts.size(), "host set changed without on_host_set_changed");
    return edf_.pick([&](size_t i) { return effective_weight(hosts[i], config_.active_request_bias); });
  }
  boost::random::uniform_int_distribution<size_t> index(0, hosts.size() - 1);
  size_t best = index(rng);
  for (uint32_t draw = 1; draw < config_.choice_count; ++draw) {
    const size_t candidate = index(rng);
    if (hosts[candidate].active_requests < hosts[best].active_requests) best = candidate;
  }
  return best;
}

}  // namespace kubemind::balance
