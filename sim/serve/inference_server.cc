// SPDX-License-Identifier: MIT
#include "sim/serve/inference_server.h"

#include <cmath>

namespace kubemind::serve {
namespace {

boost::random::lognormal_distribution<double> lognormal_for(const ServiceTimeConfig& c) {
  if (c.distribution != ServiceDistribution::kLognormal) return boost::random::lognormal_distribution<double>();
  const double sigma2 = std::log1p(c.cv * c.cv);
  return boost::random::lognormal_distribution<double>(std::log(c.mean_ms) - sigma2 / 2, std::sqrt(sigma2));
}

}  // namespace

InferenceServer::InferenceServer(engine::Simulator& sim, engine::RngStream service_rng,
                                 traffic::RequestTable& requests, const InferenceServerConfig& config,
                                 uint32_t index)
    : sim_(sim),
      service_rng_(std::move(service_rng)),
      requests_(requests),
      config_(config),
      index_(index),
      exponential_ms_(config.service_time.mean_ms > 0 ? 1.0 / config.service_time.mean_ms : 1.0),
      lognormal_ms_(lognormal_for(config.service_time)) {}

engine::Duration InferenceServer::sample_service_time() {
  const ServiceTimeConfig& st = config_.service_time;
  switch (st.distribution) {
    case ServiceDistribution::kDeterministic:
      return engine::Duration::from_milliseconds(st.mean_ms);
    case ServiceDistribution::kExponential:
      return engine::Duration::from_milliseconds(exponential_ms_(service_rng_.engine()));
    case ServiceDistribution::kLognormal:
      return engine::Duration::from_milliseconds(lognormal_ms_(service_rng_.engine()));
  }
  return engine::Duration{};
}

void InferenceServer::on_request(traffic::RequestId id) {
  traffic::Request& r = requests_[id];
  r.arrived_at = sim_.now();
  r.server = index_;
  ++received_;
  if (busy_.level() < config_.instances) {
    start_service(id);
    return;
  }
  if (config_.max_queue_size > 0 && waiting_.level() >= config_.max_queue_size) {
    ++rejected_;
    r.outcome = traffic::Outcome::kQueueFull;
    r.pop_reply()->on_response(id);
    return;
  }
  queue_.push_back(id);
  waiting_.add(sim_.now(), +1);
}

void InferenceServer::start_service(traffic::RequestId id) {
  requests_[id].started_at = sim_.now();
  busy_.add(sim_.now(), +1);
  sim_.schedule_in<&InferenceServer::on_service_done>(sample_service_time(), this, id);
}

void InferenceServer::on_service_done(uint64_t arg) {
  const auto id = static_cast<traffic::RequestId>(arg);
  busy_.add(sim_.now(), -1);
  ++completed_;
  // Start the next waiting request before answering, so that the instance is never seen idle
  // while work waits.
  if (!queue_.empty()) {
    waiting_.add(sim_.now(), -1);
    start_service(queue_.pop_front());
  }
  traffic::Request& r = requests_[id];
  r.outcome = traffic::Outcome::kOk;
  r.pop_reply()->on_response(id);
}

}  // namespace kubemind::serve
