// SPDX-License-Identifier: MIT
#pragma once
// Envoy RANDOM (docs: load_balancers.rst "Random"; source/extensions/load_balancing_policies/random/
// random_lb.cc): a uniformly random pickable host per request. Envoy's random policy ignores
// load_balancing_weight (it indexes the host list with a random number), and so does this one.
// Difference from Envoy: Envoy reduces a 64-bit random number modulo n (a bias of order n / 2^64);
// here Boost's uniform_int_distribution draws an exactly uniform index.

#include "sim/balance/lb_policy.h"

namespace kubemind::balance {

class RandomPolicy final : public LbPolicy {
 public:
  std::optional<size_t> choose(std::span<const HostView> hosts, const PickContext& context, Rng& rng) override;
  void on_host_set_changed(std::span<const HostView>) override {}
};

}  // namespace kubemind::balance
