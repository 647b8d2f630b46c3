// SPDX-License-Identifier: MIT
#pragma once
// The discrete-event simulator: a clock and a pending-event set.
//
// Contract
// - Time is integer nanoseconds (SimTime) and never decreases.
// - Events are ordered by (time, seq): same-time events run in the order they were scheduled.
// - An event is a plain function pointer, a target object and one 64-bit argument. Binding a member
//   function (schedule_in<&Server::on_done>(delay, this, id)) costs no allocation: the payload sits in a
//   reused slot table and the heap moves 24-byte keys only.
// - cancel() is O(1) and lazy: the key stays in the heap and is skipped when it surfaces (ns-3's
//   Cancel, not Remove). A handle is (slot, generation), so a stale handle never cancels a later
//   event that reuses the slot.
// - Scheduling in the past is a bug and aborts. Handlers must not throw.
// - run() processes events until none is left or stop() is called; run_until(t) processes every
//   event with time <= t and then advances the clock to t.
// - Not thread-safe; one simulator per run. No global state, so many simulators may coexist.

#include <cstdint>
#include <vector>

#include "sim/engine/check.h"
#include "sim/engine/event_queue.h"
#include "sim/engine/time.h"

namespace kubemind::engine {

using EventFn = void (*)(void* target, uint64_t arg);

/// Refers to one scheduled event; stays safe to use after the event ran or was cancelled.
struct EventHandle {
  static constexpr uint32_t kNone = UINT32_MAX;
  uint32_t slot = kNone;
  uint32_t generation = 0;
  bool empty() const { return slot == kNone; }
};

class Simulator {
 public:
  Simulator() = default;
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  SimTime now() const { return now_; }

  /// Schedules `(target->*Method)(arg)` at absolute time `when` (>= now()).
  template <auto Method, class T>
  EventHandle schedule_at(SimTime when, T* target, uint64_t arg = 0) {
    return schedule_raw(when, &trampoline<Method, T>, target, arg);
  }
  /// Schedules `(target->*Method)(arg)` after `delay` (>= 0).
  template <auto Method, class T>
  EventHandle schedule_in(Duration delay, T* target, uint64_t arg = 0) {
    return schedule_raw(now_ + delay, &trampoline<Method, T>, target, arg);
  }
  /// Schedules a plain function; the member-function templates above are the usual entry point.
  EventHandle schedule_raw(SimTime when, EventFn fn, void* target, uint64_t arg);

  /// Cancels a pending event in O(1). Returns false if it already ran or was cancelled.
  bool cancel(EventHandle handle);
  bool is_pending(EventHandle handle) const;

  void run();
  void run_until(SimTime until);
  /// Makes run()/run_until() return after the event being processed.
  void stop() { stop_requested_ = true; }

  uint64_t events_executed() const { return events_executed_; }
  /// Scheduled events not yet run or cancelled.
  size_t pending() const { return pending_; }
  /// Time of the earliest pending (or lazily cancelled) event; SimTime::max() when none.
  SimTime next_time() const { return queue_.empty() ? SimTime::max() : SimTime{queue_.top().time_ns}; }
  /// Pre-sizes internal storage for `n` simultaneously pending events.
  void reserve(size_t n);

 private:
  struct Slot {
    EventFn fn = nullptr;
    void* target = nullptr;
    uint64_t arg = 0;
    uint32_t generation = 0;
    bool live = false;  // scheduled and not yet run nor cancelled
  };

  template <auto Method, class T>
  static void trampoline(void* target, uint64_t arg) {
    (static_cast<T*>(target)->*Method)(arg);
  }

  /// Pops and runs (or discards, if cancelled) the earliest event.
  void step();
  void release(uint32_t slot);

  SimTime now_{};
  uint64_t next_seq_ = 0;
  uint64_t events_executed_ = 0;
  size_t pending_ = 0;
  bool stop_requested_ = false;
  EventQueue queue_;
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_slots_;
};

}  // namespace kubemind::engine
