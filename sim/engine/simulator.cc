// SPDX-License-Identifier: MIT
#include "sim/engine/simulator.h"

namespace kubemind::engine {

EventHandle Simulator::schedule_raw(SimTime when, EventFn fn, void* target, uint64_t arg) {
  SIM_CHECK(when >= now_, "event scheduled in the past");
  uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    SIM_CHECK(slots_.size() < EventKey::kMaxSlots, "more than 2^26 events pending at once");
    slot = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& s = slots_[slot];
  s.fn = fn;
  s.target = target;
  s.arg = arg;
  s.live = true;
  SIM_CHECK(next_seq_ < EventKey::kMaxSeq, "more than 2^38 events scheduled in one run");
  queue_.push(EventKey::make(when.ns, next_seq_++, slot));
  ++pending_;
  return EventHandle{slot, s.generation};
}

bool Simulator::cancel(EventHandle handle) {
  if (!is_pending(handle)) return false;
  slots_[handle.slot].live = false;  // the key is discarded when it reaches the top
  --pending_;
  return true;
}

bool Simulator::is_pending(EventHandle handle) const {
  if (handle.slot >= slots_.size()) return false;
  const Slot& s = slots_[handle.slot];
  return s.generation == handle.generation && s.live;
}

void Simulator::release(uint32_t slot) {
  Slot& s = slots_[slot];
  s.live = false;
  ++s.generation;
  free_slots_.push_back(slot);
}

void Simulator::step() {
  const EventKey key = queue_.top();
  queue_.pop();
  const uint32_t slot = key.slot();
  Slot& s = slots_[slot];
  if (!s.live) {  // cancelled
    release(slot);
    return;
  }
  const EventFn fn = s.fn;
  void* const target = s.target;
  const uint64_t arg = s.arg;
  // Release before running, so the handler may reuse the slot and a handle to this event reads as
  // no longer pending inside its own handler.
  release(slot);
  --pending_;
  SIM_ASSERT(key.time_ns >= now_.ns, "time went backwards");
  now_ = SimTime{key.time_ns};
  ++events_executed_;
  fn(target, arg);
}

void Simulator::run() {
  stop_requested_ = false;
  while (!queue_.empty() && !stop_requested_) step();
}

void Simulator::run_until(SimTime until) {
  SIM_CHECK(until >= now_, "run_until() into the past");
  stop_requested_ = false;
  while (!queue_.empty() && queue_.top().time_ns <= until.ns && !stop_requested_) step();
  if (!stop_requested_) now_ = until;
}

void Simulator::reserve(size_t n) {
  queue_.reserve(n);
  slots_.reserve(n);
  free_slots_.reserve(n);
}

}  // namespace kubemind::engine
