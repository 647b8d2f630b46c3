// SPDX-License-Identifier: MIT
#include "sim/balance/kube_proxy.h"

#include <algorithm>
#include <boost/random/uniform_int_distribution.hpp>

namespace kubemind::balance {

using engine::Duration;
using engine::SimTime;

KubeProxy::KubeProxy(engine::Simulator& sim, engine::RngStream rng, const KubeProxyConfig& config)
    : sim_(sim),
      rng_(rng),
      config_(config),
      min_sync_(Duration::from_seconds(config.min_sync_period_s)),
      tokens_(static_cast<double>(config.burst_syncs)) {
  SIM_CHECK(config_.burst_syncs >= 1, "kube-proxy needs a burst of at least one sync");
}

void KubeProxy::set_endpoints(const std::vector<net::Endpoint>& ready) {
  desired_ = ready;
  std::sort(desired_.begin(), desired_.end(), [](const net::Endpoint& a, const net::Endpoint& b) { return a.id < b.id; });
  request_sync();
}

void KubeProxy::refill_tokens() {
  const SimTime now = sim_.now();
  if (min_sync_.ns > 0) {
    tokens_ += static_cast<double>((now - refilled_at_).ns) / static_cast<double>(min_sync_.ns);
  } else {
    tokens_ = static_cast<double>(config_.burst_syncs);
  }
  tokens_ = std::min(tokens_, static_cast<double>(config_.burst_syncs));
  refilled_at_ = now;
}

void KubeProxy::request_sync() {
  if (sim_.is_pending(sync_event_)) return;  // the deferred sync will take the latest state
  refill_tokens();
  if (tokens_ >= 1.0) {
    tokens_ -= 1.0;
    run_sync();
    return;
  }
  // Next token due; BoundedFrequencyRunner also never runs sooner than minSyncPeriod after the last run.
  const auto wait_ns = static_cast<int64_t>((1.0 - tokens_) * static_cast<double>(min_sync_.ns));
  const SimTime due = std::max(sim_.now() + Duration{wait_ns}, last_sync_at_ + min_sync_);
  sync_event_ = sim_.schedule_at<&KubeProxy::on_sync_due>(due, this);
}

void KubeProxy::on_sync_due(uint64_t) {
  sync_event_ = {};
  request_sync();
}

void KubeProxy::run_sync() {
  last_sync_at_ = sim_.now();
  ++syncs_;
  writing_ = desired_;
  if (config_.sync_duration_s > 0.0) {
    sim_.schedule_in<&KubeProxy::on_rules_written>(Duration::from_seconds(config_.sync_duration_s), this);
  } else {
    on_rules_written(0);
  }
}

void KubeProxy::on_rules_written(uint64_t) { programmed_ = writing_; }

net::Endpoint KubeProxy::dial() {
  const size_t n = programmed_.size();
  if (n == 0) return net::Endpoint{};  // no endpoints: REJECT
  size_t chosen = 0;
  if (config_.mode == ProxyMode::kIptables) {
    chosen = boost::random::uniform_int_distribution<size_t>(0, n - 1)(rng_.engine());
  } else if (config_.ipvs_scheduler == IpvsScheduler::kRoundRobin) {
    // The first endpoint after the last one chosen, in id order, wrapping around.
    chosen = 0;
    if (rr_last_id_ != net::Endpoint::kNone) {
      const auto next = std::find_if(programmed_.begin(), programmed_.end(),
                                     [&](const net::Endpoint& e) { return e.id > rr_last_id_; });
      chosen = next == programmed_.end() ? 0 : static_cast<size_t>(next - programmed_.begin());
    }
  } else {
    // Least connection: strict minimum keeps the first (lowest id) among ties.
    for (size_t i = 1; i < n; ++i) {
      if (active_connections(programmed_[i].id) < active_connections(programmed_[chosen].id)) chosen = i;
    }
  }
  const net::Endpoint endpoint = programmed_[chosen];
  rr_last_id_ = endpoint.id;
  if (active_.size() <= endpoint.id) active_.resize(endpoint.id + 1, 0);
  ++active_[endpoint.id];
  return endpoint;
}

void KubeProxy::hang_up(const net::Endpoint& endpoint) {
  SIM_ASSERT(endpoint.id < active_.size() && active_[endpoint.id] > 0, "hang_up without a dial");
  --active_[endpoint.id];
}

uint32_t KubeProxy::active_connections(uint32_t endpoint_id) const {
  return endpoint_id < active_.size() ? active_[endpoint_id] : 0;
}

}  // namespace kubemind::balance
