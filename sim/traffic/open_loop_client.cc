// SPDX-License-Identifier: MIT
#include "sim/traffic/open_loop_client.h"

namespace kubemind::traffic {

OpenLoopClient::OpenLoopClient(engine::Simulator& sim, engine::RngStream arrivals, RequestTable& requests,
                               const OpenLoopClientConfig& config, uint32_t index, RequestSink& target,
                               RequestObserver& observer)
    : sim_(sim),
      arrivals_(std::move(arrivals)),
      requests_(requests),
      config_(config),
      index_(index),
      target_(target),
      observer_(observer),
      exponential_gap_s_(config.arrival.rate_rps) {}

void OpenLoopClient::start(engine::SimTime stop_at) {
  stop_at_ = stop_at;
  const engine::SimTime first = sim_.now() + next_gap();
  if (first < stop_at_) sim_.schedule_at<&OpenLoopClient::on_send>(first, this);
}

engine::Duration OpenLoopClient::next_gap() {
  switch (config_.arrival.process) {
    case ArrivalProcess::kPoisson:
      return engine::Duration::from_seconds(exponential_gap_s_(arrivals_.engine()));
    case ArrivalProcess::kConstant:
      return engine::Duration::from_seconds(1.0 / config_.arrival.rate_rps);
  }
  return engine::Duration{};
}

void OpenLoopClient::on_send(uint64_t) {
  const RequestId id = requests_.acquire();
  Request& r = requests_[id];
  r.sent_at = sim_.now();
  r.client = index_;
  r.push_reply(this);
  ++sent_;
  observer_.on_sent(r);
  // Schedule the next departure before handing this one on: the arrival stream must not depend on
  // what the request does downstream.
  const engine::SimTime next = sim_.now() + next_gap();
  if (next < stop_at_) sim_.schedule_at<&OpenLoopClient::on_send>(next, this);
  target_.on_request(id);
}

void OpenLoopClient::on_response(RequestId id) {
  Request& r = requests_[id];
  r.finished_at = sim_.now();
  ++answered_;
  observer_.on_answered(r);
  requests_.release(id);
}

}  // namespace kubemind::traffic
