// SPDX-License-Identifier: MIT
#include "sim/balance/activator.h"

#include <algorithm>
#include <boost/random/uniform_int_distribution.hpp>

namespace kubemind::balance {

ActivatorLbPolicy activator_lb_policy(int32_t container_concurrency) {
  if (container_concurrency == 0) return ActivatorLbPolicy::kRandomChoice2;
  if (container_concurrency <= 3) return ActivatorLbPolicy::kFirstAvailable;
  return ActivatorLbPolicy::kRoundRobin;
}

Activator::Activator(engine::Simulator& sim, traffic::RequestTable& requests, const ActivatorConfig& config,
                     engine::RngStream& rng)
    : sim_(sim),
      requests_(requests),
      config_(config),
      rng_(rng),
      policy_(activator_lb_policy(config.container_concurrency)),
      timeout_(engine::Duration::from_seconds(config.request_timeout_s)) {
  SIM_ASSERT(config_.container_concurrency >= 0, "containerConcurrency must be >= 0");
  SIM_ASSERT(config_.max_buffered >= 0, "max_buffered must be >= 0");
}

uint32_t Activator::pod_in_flight(uint32_t id) const {
  if (id >= slot_of_id_.size() || slot_of_id_[id] == kNoSlot) return 0;
  return slots_[slot_of_id_[id]].active;
}

uint64_t Activator::pod_requests(uint32_t id) const {
  if (id >= slot_of_id_.size() || slot_of_id_[id] == kNoSlot) return 0;
  return slots_[slot_of_id_[id]].sent;
}

void Activator::update_endpoints(std::span<const Endpoint> ready) {
  for (PodSlot& pod : slots_) pod.in_set = false;
  for (const Endpoint& e : ready) {
    if (e.id >= slot_of_id_.size()) slot_of_id_.resize(e.id + 1, kNoSlot);
    if (slot_of_id_[e.id] == kNoSlot) {
      slot_of_id_[e.id] = static_cast<uint32_t>(slots_.size());
      PodSlot pod;
      pod.id = e.id;
      slots_.push_back(pod);
    }
    PodSlot& pod = slots_[slot_of_id_[e.id]];
    pod.sink = e.sink;
    pod.in_set = true;
  }
  targets_.clear();
  for (uint32_t s = 0; s < slots_.size(); ++s) {
    if (slots_[s].in_set) targets_.push_back(s);
  }
  // Knative sorts its trackers by address; the pod id stands for it.
  std::sort(targets_.begin(), targets_.end(), [&](uint32_t a, uint32_t b) { return slots_[a].id < slots_[b].id; });
  drain();
}

void Activator::on_request(traffic::RequestId id) {
  ++requests_total_;
  // Waiting requests go first: a new one may only bypass an empty buffer.
  if (buffer_.empty()) {
    const uint32_t slot = pick();
    if (slot != kNoSlot) {
      in_flight_.add(sim_.now(), +1);
      forward(id, slot);
      return;
    }
  }
  if (static_cast<int64_t>(buffer_.size()) >= config_.max_buffered) {
    ++overflowed_;
    answer(id, traffic::Outcome::kOverflow);
    return;
  }
  buffer_.push_back(Waiting{id, sim_.now()});
  in_flight_.add(sim_.now(), +1);
  arm_timeout();
}

void Activator::on_response(traffic::RequestId id) {
  SIM_ASSERT(id < slot_of_request_.size() && slot_of_request_[id] != kNoSlot, "answer for a request not proxied");
  PodSlot& pod = slots_[slot_of_request_[id]];
  slot_of_request_[id] = kNoSlot;
  --pod.active;
  in_flight_.add(sim_.now(), -1);
  // Hand the freed slot to the oldest waiting request before answering, so that a request the answer
  // triggers (a closed-loop client) queues behind the waiting ones and is never refused for a full
  // buffer while a slot is free.
  drain();
  requests_[id].pop_reply()->on_response(id);
}

bool Activator::has_capacity(const PodSlot& pod) const {
  return config_.container_concurrency == 0 || pod.active < static_cast<uint32_t>(config_.container_concurrency);
}

uint32_t Activator::pick() {
  if (targets_.empty()) return kNoSlot;
  switch (policy_) {
    case ActivatorLbPolicy::kRandomChoice2:
      return pick_random_choice_2();
    case ActivatorLbPolicy::kFirstAvailable:
      return pick_first_available();
    case ActivatorLbPolicy::kRoundRobin:
      return pick_round_robin();
  }
  return kNoSlot;
}

uint32_t Activator::pick_random_choice_2() {
  const size_t n = targets_.size();
  if (n == 1) return targets_[0];
  size_t r1 = 0;
  size_t r2 = 1;
  if (n > 2) {
    r1 = boost::random::uniform_int_distribution<size_t>(0, n - 1)(rng_.engine());
    r2 = boost::random::uniform_int_distribution<size_t>(0, n - 2)(rng_.engine());
    if (r2 >= r1) ++r2;  // uniform over the n - 1 positions other than r1
  }
  const uint32_t pick = targets_[r1];
  const uint32_t alt = targets_[r2];
  if (slots_[pick].active > slots_[alt].active) return alt;
  if (slots_[pick].active < slots_[alt].active) return pick;
  // A tie is a fair coin; Knative takes the alternative on an even draw.
  return boost::random::uniform_int_distribution<int>(0, 1)(rng_.engine()) == 0 ? alt : pick;
}

uint32_t Activator::pick_first_available() const {
  for (const uint32_t s : targets_) {
    if (has_capacity(slots_[s])) return s;
  }
  return kNoSlot;
}

uint32_t Activator::pick_round_robin() {
  const size_t n = targets_.size();
  if (rr_index_ >= n) rr_index_ = 0;  // the list shrank
  for (size_t i = 0; i < n; ++i) {
    const size_t p = (rr_index_ + i) % n;
    if (has_capacity(slots_[targets_[p]])) {
      rr_index_ = p + 1;
      return targets_[p];
    }
  }
  return kNoSlot;
}

void Activator::forward(traffic::RequestId id, uint32_t slot) {
  if (id >= slot_of_request_.size()) slot_of_request_.resize(static_cast<size_t>(id) + 1, kNoSlot);
  slot_of_request_[id] = slot;
  PodSlot& pod = slots_[slot];
  ++pod.active;
  ++pod.sent;
  ++proxied_;
  requests_[id].push_reply(this);
  pod.sink->on_request(id);
}

void Activator::drain() {
  expire_timeouts();
  while (!buffer_.empty()) {
    const uint32_t slot = pick();
    if (slot == kNoSlot) break;
    const Waiting w = buffer_.pop_front();
    forward(w.id, slot);
  }
  arm_timeout();
}

void Activator::expire_timeouts() {
  if (timeout_.ns == 0) return;
  while (!buffer_.empty() && sim_.now() - buffer_.front().arrived >= timeout_) {
    const Waiting w = buffer_.pop_front();
    in_flight_.add(sim_.now(), -1);
    ++timed_out_;
    answer(w.id, traffic::Outcome::kTimeout);
  }
}

void Activator::arm_timeout() {
  if (timeout_.ns == 0 || buffer_.empty() || sim_.is_pending(timeout_timer_)) return;
  timeout_timer_ = sim_.schedule_at<&Activator::on_timeout_check>(buffer_.front().arrived + timeout_, this);
}

void Activator::on_timeout_check(uint64_t) { drain(); }

void Activator::answer(traffic::RequestId id, traffic::Outcome outcome) {
  traffic::Request& r = requests_[id];
  r.outcome = outcome;
  r.pop_reply()->on_response(id);
}

}  // namespace kubemind::balance
