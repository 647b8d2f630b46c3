// SPDX-License-Identifier: MIT
#include "sim/traffic/client.h"

#include <algorithm>
#include <cmath>

namespace kubemind::traffic {

Client::Client(engine::Simulator& sim, engine::RngStream arrivals, engine::RngStream behaviour, RequestTable& requests,
               const ClientConfig& config, uint32_t index, RequestSink& target, RequestObserver& observer)
    : sim_(sim),
      arrival_rng_(std::move(arrivals)),
      behaviour_rng_(std::move(behaviour)),
      requests_(requests),
      config_(config),
      index_(index),
      target_(target),
      observer_(observer),
      arrivals_(config_.arrival, arrival_rng_) {}

void Client::start(engine::SimTime stop_at) {
  stop_at_ = stop_at;
  switch (config_.load) {
    case LoadModel::kOpenLoop:
      next_arrival_ = arrivals_.next();
      if (next_arrival_ < stop_at_) sim_.schedule_at<&Client::on_arrival>(next_arrival_, this);
      break;
    case LoadModel::kClosedLoop:
      for (int caller = 0; caller < config_.concurrency; ++caller) {
        if (sim_.now() < stop_at_) sim_.schedule_at<&Client::on_caller_ready>(sim_.now(), this);
      }
      break;
  }
}

void Client::on_arrival(uint64_t) {
  send_new();
  // The arrival stream must not depend on what the request does downstream: draw the next one first.
  next_arrival_ = arrivals_.next();
  if (next_arrival_ < stop_at_) sim_.schedule_at<&Client::on_arrival>(next_arrival_, this);
}

void Client::on_caller_ready(uint64_t) {
  if (sim_.now() < stop_at_) send_new();
}

void Client::grow_side_tables(RequestId id) {
  if (id < attempts_.size()) return;
  const size_t n = std::max<size_t>(id + 1, attempts_.size() * 2);
  deadline_timer_.resize(n);
  retry_timer_.resize(n);
  attempts_.resize(n, 0);
  abandoned_.resize(n, 0);
}

void Client::send_new() {
  const RequestId id = requests_.acquire();
  grow_side_tables(id);
  Request& r = requests_[id];
  r.sent_at = sim_.now();
  r.client = index_;
  if (config_.key_space > 0) r.key = engine::splitmix64(uint64_t{index_} << 40 ^ sent_) % config_.key_space;
  if (const TraceEntry* e = arrivals_.last_trace_entry(); e != nullptr && config_.load == LoadModel::kOpenLoop) {
    r.request_class = e->request_class;
    r.input_size = e->input_size;
    r.output_size = e->output_size;
  }
  attempts_[id] = 1;
  abandoned_[id] = 0;
  retry_timer_[id] = {};
  deadline_timer_[id] = {};
  ++sent_;
  observer_.on_sent(r);
  if (config_.deadline_ms > 0) {
    deadline_timer_[id] =
        sim_.schedule_in<&Client::on_deadline>(engine::Duration::from_milliseconds(config_.deadline_ms), this, id);
  }
  forward(id);
}

void Client::forward(RequestId id) {
  requests_[id].push_reply(this);
  target_.on_request(id);
}

bool Client::retryable(Outcome outcome) const {
  switch (outcome) {
    case Outcome::kQueueFull:
    case Outcome::kOverflow:
    case Outcome::kReset:
    case Outcome::kNoHealthyUpstream:
      return true;
    case Outcome::kPending:
    case Outcome::kOk:
    case Outcome::kTimeout:
      return false;
  }
  return false;
}

void Client::on_response(RequestId id) {
  if (abandoned_[id]) {  // the deadline passed earlier; this is the late answer
    requests_.release(id);
    return;
  }
  Request& r = requests_[id];
  if (r.outcome != Outcome::kOk && retryable(r.outcome) && attempts_[id] < config_.retry.max_attempts) {
    const RetryPolicy& p = config_.retry;
    const double cap = std::min(p.initial_backoff_s * std::pow(p.backoff_multiplier, attempts_[id] - 1), p.max_backoff_s);
    ++attempts_[id];
    ++retries_;
    retry_timer_[id] =
        sim_.schedule_in<&Client::on_retry>(engine::Duration::from_seconds(uniform_(behaviour_rng_.engine()) * cap), this, id);
    return;
  }
  sim_.cancel(deadline_timer_[id]);
  r.finished_at = sim_.now();
  finish(id, r);
  requests_.release(id);
}

void Client::on_retry(uint64_t arg) {
  const auto id = static_cast<RequestId>(arg);
  Request& r = requests_[id];
  // A new attempt of the same call: what the previous attempt met downstream is forgotten.
  r.arrived_at = r.started_at = engine::SimTime{};
  r.server = UINT32_MAX;
  r.outcome = Outcome::kPending;
  forward(id);
}

void Client::on_deadline(uint64_t arg) {
  const auto id = static_cast<RequestId>(arg);
  Request timed_out = requests_[id];
  timed_out.outcome = Outcome::kTimeout;
  timed_out.finished_at = sim_.now();
  if (sim_.cancel(retry_timer_[id])) {
    // Waiting to retry: nothing is in flight, so the request can go now.
    finish(id, timed_out);
    requests_.release(id);
    return;
  }
  abandoned_[id] = 1;
  finish(id, timed_out);
}

void Client::finish(RequestId, const Request& outcome) {
  ++answered_;
  observer_.on_answered(outcome);
  after_call();
}

void Client::after_call() {
  if (config_.load != LoadModel::kClosedLoop) return;
  double think_ms = config_.think.mean_ms;
  if (config_.think.exponential && think_ms > 0) think_ms *= unit_exponential_(behaviour_rng_.engine());
  const engine::SimTime next = sim_.now() + engine::Duration::from_milliseconds(think_ms);
  if (next < stop_at_) sim_.schedule_at<&Client::on_caller_ready>(next, this);
}

}  // namespace kubemind::traffic
