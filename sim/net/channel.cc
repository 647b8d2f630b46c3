// SPDX-License-Identifier: MIT
#include "sim/net/channel.h"

#include <algorithm>
#include <boost/random/uniform_real_distribution.hpp>

namespace kubemind::net {

using engine::Duration;
using traffic::Outcome;
using traffic::RequestId;

Channel::Channel(engine::Simulator& sim, traffic::RequestTable& requests, engine::RngStream rng,
                 const ChannelConfig& config, Resolver& resolver)
    : sim_(sim),
      requests_(requests),
      rng_(rng),
      config_(config),
      resolver_(resolver),
      report_full_(config.connection.at_stream_limit == AtStreamLimit::kReportFull) {
  SIM_CHECK(config_.connections_per_address >= 1, "a channel needs at least one connection per address");
}

void Channel::on_request(RequestId id) {
  if (!resolved_once_) resolve_now();  // a channel leaves IDLE on its first call
  dispatch(id);
}

void Channel::dispatch(RequestId id) {
  // pick_first reconnects an idle slot on the next call even while other slots are up.
  if (config_.lb_policy == LbPolicy::kPickFirst) connect_idle_slots();
  if (report_full_ && !pending_.empty()) {  // calls already waiting for a stream go first
    pending_.push_back(id);
    drain_pending();
    return;
  }
  if (Connection* connection = pick()) {
    connection->send(id);
    return;
  }
  connect_idle_slots();
  grow_if_full(pending_.size() + 1);
  // Wait for a connection on its way, or (kReportFull) for a stream on a full one.
  if (any_connecting() || any_ready()) {
    pending_.push_back(id);
    return;
  }
  fail(id, Outcome::kNoHealthyUpstream);
}

bool Channel::any_ready() const {
  return std::any_of(slots_.begin(), slots_.end(),
                     [](const Slot& s) { return s.connection != nullptr && s.connection->ready(); });
}

void Channel::grow_if_full(size_t waiting) {
  // Envoy-style: one more connection when every ready one is full and none is on its way; HTTP/1.1:
  // while fewer are on their way than calls wait for one.
  if (!report_full_) return;
  if (config_.connection.http1) {
    const auto connecting = static_cast<size_t>(std::count_if(slots_.begin(), slots_.end(), [](const Slot& s) {
      return s.connection != nullptr && s.connection->state() == Connection::State::kConnecting;
    }));
    if (connecting >= waiting) return;
  } else if (any_connecting()) {
    return;
  }
  const size_t n = slots_.size();
  for (size_t k = 0; k < n; ++k) {
    const size_t i = (cursor_ + k) % n;
    const Connection* connection = slots_[i].connection;
    // The address of a working connection (HTTP/1.1: or one on its way) is the one to dial again.
    if (connection == nullptr || (!connection->ready() && !config_.connection.http1)) continue;
    Slot slot;
    slot.id = next_slot_id_++;
    slot.address = slots_[i].address;
    for (const Slot& other : slots_) {
      if (other.address == slot.address) slot.copy = std::max(slot.copy, other.copy + 1);
    }
    slots_.push_back(slot);
    open_slot(slots_.back());
    return;
  }
}

Connection* Channel::pick() {
  const size_t n = slots_.size();
  for (size_t k = 0; k < n; ++k) {
    const size_t i = (cursor_ + k) % n;
    Connection* connection = slots_[i].connection;
    if (connection != nullptr && connection->ready() && (!report_full_ || connection->has_capacity())) {
      cursor_ = (i + 1) % n;
      return connection;
    }
  }
  return nullptr;
}

void Channel::connect_idle_slots() {
  for (size_t i = 0; i < slots_.size(); ++i) {
    Slot& slot = slots_[i];
    if (slot.connection == nullptr && !slot.in_backoff && slot.address != nullptr) open_slot(slot);
  }
}

bool Channel::any_connecting() const {
  return std::any_of(slots_.begin(), slots_.end(), [](const Slot& s) {
    return s.connection != nullptr && s.connection->state() == Connection::State::kConnecting;
  });
}

void Channel::open_slot(Slot& slot, bool next_address) {
  const engine::SimTime now = sim_.now();
  if (!next_address) {
    double wait_s = config_.initial_backoff_s;
    if (slot.backoff_s == 0.0) {
      slot.backoff_s = config_.initial_backoff_s;
    } else {
      slot.backoff_s = std::min(slot.backoff_s * config_.backoff_multiplier, config_.max_backoff_s);
      boost::random::uniform_real_distribution<double> jitter(-config_.backoff_jitter, config_.backoff_jitter);
      wait_s = slot.backoff_s * (1.0 + jitter(rng_.engine()));
    }
    slot.next_attempt = now + Duration::from_seconds(wait_s);
  }
  const Duration timeout = std::max(slot.next_attempt - now, Duration::from_seconds(config_.connection.connect_timeout_s));
  Connection& connection = acquire_connection();
  connection.set_tag(slot.id);
  slot.connection = &connection;
  ++connections_opened_;
  connection.open(*slot.address, timeout);
}

Connection& Channel::acquire_connection() {
  for (Connection& connection : connections_) {
    if (connection.reusable()) return connection;
  }
  return connections_.emplace_back(sim_, requests_, rng_, config_.connection, *this);
}

Channel::Slot* Channel::find_slot(const Connection& connection) {
  Slot* slot = find_slot_id(connection.tag());
  return slot != nullptr && slot->connection == &connection ? slot : nullptr;
}

Channel::Slot* Channel::find_slot_id(uint32_t id) {
  for (Slot& slot : slots_) {
    if (slot.id == id) return &slot;
  }
  return nullptr;
}

void Channel::on_connection_ready(Connection& connection) {
  if (Slot* slot = find_slot(connection)) slot->backoff_s = 0.0;
  drain_pending();
}

void Channel::drain_pending() {
  while (!pending_.empty()) {
    Connection* connection = pick();
    if (connection == nullptr) {
      grow_if_full(pending_.size());
      return;
    }
    connection->send(pending_.pop_front());
  }
}

void Channel::on_stream_capacity(Connection&) { drain_pending(); }

void Channel::on_connection_failed(Connection& connection) {
  Slot* slot = find_slot(connection);
  if (slot != nullptr) {
    slot->connection = nullptr;
    const auto it = std::find(addresses_.begin(), addresses_.end(), slot->address);
    if (config_.lb_policy == LbPolicy::kPickFirst && it != addresses_.end() && it + 1 != addresses_.end()) {
      slot->address = *(it + 1);  // pick_first tries the next address in order
      open_slot(*slot, true);
    } else {
      slot->in_backoff = true;  // until the attempt's deadline (already past after a connect timeout)
      sim_.schedule_at<&Channel::on_backoff_done>(std::max(slot->next_attempt, sim_.now()), this, slot->id);
    }
  }
  requeue_waiting(connection);
  fail_pending_if_hopeless();
  if (slot != nullptr) request_resolution();
}

void Channel::on_backoff_done(uint64_t slot_id) {
  Slot* slot = find_slot_id(static_cast<uint32_t>(slot_id));
  if (slot == nullptr) return;  // the address went away meanwhile
  slot->in_backoff = false;
  if (config_.lb_policy == LbPolicy::kPickFirst && !addresses_.empty()) slot->address = addresses_.front();
  after_loss(*slot);
}

void Channel::on_goaway(Connection& connection) {
  if (Slot* slot = find_slot(connection)) {
    slot->connection = nullptr;  // it drains on its own
    after_loss(*slot);
  }
  requeue_waiting(connection);  // never sent: a transparent retry on another connection
  request_resolution();
}

void Channel::on_connection_closed(Connection& connection) {
  Slot* slot = find_slot(connection);
  if (slot != nullptr) {
    slot->connection = nullptr;
    after_loss(*slot);
  }
  requeue_waiting(connection);
  fail_pending_if_hopeless();
  if (slot != nullptr) request_resolution();  // a drained or retired connection is no loss
}

void Channel::after_loss(Slot& slot) {
  // round_robin reconnects at once; pick_first on the next call (or now, if calls are waiting).
  const bool wanted = config_.lb_policy == LbPolicy::kRoundRobin || !pending_.empty();
  if (wanted && slot.connection == nullptr && !slot.in_backoff && slot.address != nullptr) open_slot(slot);
}

void Channel::requeue_waiting(Connection& connection) {
  RequestId id = 0;
  while (connection.take_waiting(id)) dispatch(id);
}

void Channel::fail_pending_if_hopeless() {
  if (pending_.empty()) return;
  connect_idle_slots();
  drain_pending();  // kReportFull: may open one more connection
  if (pending_.empty() || any_connecting() || any_ready()) return;
  while (!pending_.empty()) fail(pending_.pop_front(), Outcome::kNoHealthyUpstream);
}

void Channel::fail(RequestId id, Outcome outcome) {
  requests_[id].outcome = outcome;
  requests_[id].pop_reply()->on_response(id);
}

void Channel::retire(Connection& connection) {
  connection.shutdown();
  requeue_waiting(connection);
}

void Channel::reset_endpoint(uint32_t endpoint_id) {
  // Only the connections open now: replacements opened by the callbacks are not touched.
  const size_t open_now = connections_.size();
  for (size_t i = 0; i < open_now; ++i) {
    Connection& connection = connections_[i];
    const auto state = connection.state();
    if (state != Connection::State::kIdle && state != Connection::State::kClosed &&
        connection.endpoint().id == endpoint_id) {
      connection.reset();
    }
  }
}

void Channel::goaway_endpoint(uint32_t endpoint_id) {
  for (Connection& connection : connections_) {
    if (connection.state() == Connection::State::kReady && connection.endpoint().id == endpoint_id) {
      connection.server_goaway();
    }
  }
}

void Channel::request_resolution() {
  if (sim_.is_pending(resolution_event_)) return;
  const engine::SimTime earliest = last_resolution_ + Duration::from_seconds(config_.min_time_between_resolutions_s);
  if (sim_.now() >= earliest) {
    resolve_now();
  } else {
    resolution_event_ = sim_.schedule_at<&Channel::on_resolution_due>(earliest, this);
  }
}

void Channel::on_resolution_due(uint64_t) {
  resolution_event_ = {};
  resolve_now();
}

void Channel::resolve_now() {
  last_resolution_ = sim_.now();
  resolved_once_ = true;
  ++resolutions_;
  resolver_.resolve(resolved_);
  addresses_ = resolved_;

  // The addresses the new slots use, in order: pick_first keeps its address if still resolved.
  resolved_.clear();
  if (config_.lb_policy == LbPolicy::kPickFirst) {
    Dialer* current = slots_.empty() ? nullptr : slots_.front().address;
    const bool keep = current != nullptr && std::find(addresses_.begin(), addresses_.end(), current) != addresses_.end();
    if (keep) {
      resolved_.push_back(current);
    } else if (!addresses_.empty()) {
      resolved_.push_back(addresses_.front());
    }
  } else {
    resolved_ = addresses_;
  }

  next_slots_.clear();
  const auto copies = static_cast<uint32_t>(config_.connections_per_address);
  for (Dialer* address : resolved_) {
    // Extra connections opened at the stream limit (kReportFull) keep their slots too.
    uint32_t wanted = copies;
    for (const Slot& s : slots_) {
      if (s.address == address) wanted = std::max(wanted, s.copy + 1);
    }
    for (uint32_t copy = 0; copy < wanted; ++copy) {
      auto old = std::find_if(slots_.begin(), slots_.end(), [&](const Slot& s) {
        return s.address == address && s.copy == copy;
      });
      if (old != slots_.end()) {
        next_slots_.push_back(*old);
        old->address = nullptr;  // moved
        old->connection = nullptr;
      } else {
        Slot slot;
        slot.id = next_slot_id_++;
        slot.copy = copy;
        slot.address = address;
        next_slots_.push_back(slot);
      }
    }
  }
  // Slots left behind drain; collect their connections before callbacks can run.
  std::vector<Connection*> retired;
  for (const Slot& slot : slots_) {
    if (slot.connection != nullptr) retired.push_back(slot.connection);
  }
  slots_.swap(next_slots_);
  cursor_ = 0;
  for (Connection* connection : retired) retire(*connection);  // rare: only when addresses change

  if (config_.lb_policy == LbPolicy::kRoundRobin || !pending_.empty()) connect_idle_slots();
  fail_pending_if_hopeless();
}

}  // namespace kubemind::net
