// SPDX-License-Identifier: MIT
#pragma once
// An open-loop client: requests leave at times drawn from an arrival process, whatever happens to
// earlier ones (load does not back off when the service slows down, unlike a closed loop).
// Processes: Poisson (exponential inter-arrival times with mean 1/rate) and constant (exactly
// 1/rate apart, first one at t = 1/rate). Times in simulated nanoseconds; rates in requests/s.

#include <boost/random/exponential_distribution.hpp>
#include <cstdint>
#include <string>

#include "sim/engine/rng.h"
#include "sim/engine/simulator.h"
#include "sim/traffic/request.h"

namespace kubemind::traffic {

enum class ArrivalProcess : uint8_t { kPoisson, kConstant };

struct ArrivalConfig {
  ArrivalProcess process = ArrivalProcess::kPoisson;
  double rate_rps = 0.0;  // mean arrival rate, requests per second (> 0)
};

struct OpenLoopClientConfig {
  std::string name;
  ArrivalConfig arrival;
};

class OpenLoopClient final : public ResponseSink {
 public:
  /// `arrivals` is this client's own random stream; `index` is stamped on its requests.
  OpenLoopClient(engine::Simulator& sim, engine::RngStream arrivals, RequestTable& requests,
                 const OpenLoopClientConfig& config, uint32_t index, RequestSink& target,
                 RequestObserver& observer);

  /// Starts sending; no request leaves at or after `stop_at`.
  void start(engine::SimTime stop_at);
  void on_response(RequestId id) override;

  uint64_t sent() const { return sent_; }
  uint64_t answered() const { return answered_; }

 private:
  void on_send(uint64_t);
  engine::Duration next_gap();

  engine::Simulator& sim_;
  engine::RngStream arrivals_;
  RequestTable& requests_;
  OpenLoopClientConfig config_;
  uint32_t index_;
  RequestSink& target_;
  RequestObserver& observer_;
  boost::random::exponential_distribution<double> exponential_gap_s_;
  engine::SimTime stop_at_{};
  uint64_t sent_ = 0;
  uint64_t answered_ = 0;
};

}  // namespace kubemind::traffic
