// SPDX-License-Identifier: MIT
#pragma once
// Envoy LEAST_REQUEST (docs: load_balancers.rst "Weighted least request"; source:
// source/extensions/load_balancing_policies/least_request/least_request_lb.cc; config:
// api/envoy/extensions/load_balancing_policies/least_request/v3/least_request.proto).
// Equal weights: power of `choice_count` choices (default 2): draw choice_count hosts uniformly WITH
// replacement and keep the one with the fewest active requests; a later draw replaces the kept one
// only if strictly less loaded (so ties keep the earlier draw). With one host busier than all n-1
// others, it is picked only when every draw lands on it: probability 1/n^choice_count.
// Unequal weights: EDF (edf_scheduler.h) where the weight read when a host is (re)scheduled is
//   weight / (active_requests + 1)^active_request_bias,   active_request_bias default 1.0
// (bias 0 gives plain weighted round robin).
// Not modelled: slow start, Envoy's FULL_SCAN selection method.

#include "sim/balance/edf_scheduler.h"
#include "sim/balance/lb_policy.h"

namespace kubemind::balance {

struct LeastRequestConfig {
  uint32_t choice_count = 2;          // least_request.proto choice_count, default 2
  double active_request_bias = 1.0;   // least_request.proto active_request_bias, default 1.0
};

class LeastRequestPolicy final : public LbPolicy {
 public:
  explicit LeastRequestPolicy(const LeastRequestConfig& config) : config_(config) {}

  std::optional<size_t> choose(std::span<const HostView> hosts, const PickContext& context, Rng& rng) override;
  void on_host_set_changed(std::span<const HostView> hosts) override;

  /// weight / (active + 1)^bias: the weight the weighted variant schedules a host with.
  static double effective_weight(const HostView& host, double active_request_bias);

 private:
  LeastRequestConfig config_;
  bool weighted_ = false;
  EdfScheduler edf_;
};

}  // namespace kubemind::balance
