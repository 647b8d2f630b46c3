// SPDX-License-Identifier: MIT
#pragma once
// The inference server inside a pod, at the fidelity of the foundation: one FIFO admission queue in
// front of `instances` parallel model instances, each serving one request at a time (batch size 1).
// With Poisson arrivals and exponential service this is exactly M/M/c; with deterministic service,
// M/D/c. Admission follows Triton's max_queue_size: 0 = unbounded, otherwise a request that finds
// that many already waiting is rejected at once (Triton returns UNAVAILABLE;
// triton-inference-server/server docs/user_guide/model_configuration.md, "Queue Policy").
// Service times: deterministic, exponential, or lognormal given mean and coefficient of variation
// (sigma^2 = ln(1 + cv^2), mu = ln(mean) - sigma^2 / 2).
// Units: times in simulated ns, configured in ms.

#include <boost/random/exponential_distribution.hpp>
#include <boost/random/lognormal_distribution.hpp>
#include <cstdint>
#include <string>

#include "sim/engine/fifo.h"
#include "sim/engine/rng.h"
#include "sim/engine/simulator.h"
#include "sim/engine/time_integral.h"
#include "sim/traffic/request.h"

namespace kubemind::serve {

enum class ServiceDistribution : uint8_t { kDeterministic, kExponential, kLognormal };

struct ServiceTimeConfig {
  ServiceDistribution distribution = ServiceDistribution::kDeterministic;
  double mean_ms = 0.0;  // > 0
  double cv = 0.0;       // coefficient of variation, lognormal only (> 0)
};

struct InferenceServerConfig {
  std::string model;        // name of the models/ profile the mean came from; empty if given directly
  int instances = 1;        // parallel model instances (Triton instance_group count)
  int64_t max_queue_size = 0;  // waiting requests admitted; 0 = unbounded (Triton default)
  ServiceTimeConfig service_time;
};

class InferenceServer final : public traffic::RequestSink {
 public:
  InferenceServer(engine::Simulator& sim, engine::RngStream service_rng, traffic::RequestTable& requests,
                  const InferenceServerConfig& config, uint32_t index);

  void on_request(traffic::RequestId id) override;

  /// Requests waiting for an instance.
  int64_t queue_depth() const { return waiting_.level(); }
  int busy_instances() const { return static_cast<int>(busy_.level()); }
  const engine::TimeIntegral& waiting() const { return waiting_; }
  const engine::TimeIntegral& busy() const { return busy_; }
  int instances() const { return config_.instances; }

  uint64_t received() const { return received_; }
  uint64_t completed() const { return completed_; }
  uint64_t rejected() const { return rejected_; }

 private:
  void start_service(traffic::RequestId id);
  void on_service_done(uint64_t id);
  engine::Duration sample_service_time();

  engine::Simulator& sim_;
  engine::RngStream service_rng_;
  traffic::RequestTable& requests_;
  InferenceServerConfig config_;
  uint32_t index_;
  boost::random::exponential_distribution<double> exponential_ms_;
  boost::random::lognormal_distribution<double> lognormal_ms_;
  engine::Fifo<traffic::RequestId> queue_;
  engine::TimeIntegral waiting_;  // requests in queue_
  engine::TimeIntegral busy_;     // instances serving
  uint64_t received_ = 0;
  uint64_t completed_ = 0;
  uint64_t rejected_ = 0;
};

}  // namespace kubemind::serve
