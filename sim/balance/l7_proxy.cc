// SPDX-License-Identifier: MIT
#include "sim/balance/l7_proxy.h"

#include <algorithm>

#include "sim/balance/random_policy.h"
#include "sim/balance/round_robin.h"

namespace kubemind::balance {
namespace {

std::unique_ptr<LbPolicy> make_policy(const L7ProxyConfig& config, Rng& rng, const MetricsScraper* scraper) {
  switch (config.lb_policy) {
    case LbPolicyKind::kRoundRobin:
      return std::make_unique<RoundRobinPolicy>(rng);
    case LbPolicyKind::kLeastRequest:
      return std::make_unique<LeastRequestPolicy>(config.least_request);
    case LbPolicyKind::kRandom:
      return std::make_unique<RandomPolicy>();
    case LbPolicyKind::kRingHash:
      return std::make_unique<RingHashPolicy>(config.ring_hash);
    case LbPolicyKind::kEndpointPicker:
      SIM_CHECK(scraper != nullptr, "the endpoint picker needs a metrics scraper");
      return std::make_unique<EndpointPickerPolicy>(config.endpoint_picker, *scraper);
  }
  SIM_CHECK(false, "unknown LB policy");
  return nullptr;
}

constexpr uint64_t pack(traffic::RequestId id, uint16_t worker) { return id | (uint64_t{worker} << 32); }

}  // namespace

L7Proxy::L7Proxy(engine::Simulator& sim, uint64_t master_seed, std::string_view name, traffic::RequestTable& requests,
                 const L7ProxyConfig& config, std::span<const Endpoint> initial, const MetricsScraper* scraper)
    : sim_(sim),
      master_seed_(master_seed),
      name_(name),
      lb_rng_(master_seed, name, "lb"),
      retry_rng_(master_seed, name, "retry"),
      requests_(requests),
      config_(config),
      breakers_(config.circuit_breakers),
      outliers_(config.outlier_detection) {
  SIM_CHECK(config_.workers >= 1 && config_.workers <= UINT16_MAX, "proxy workers out of range");
  for (int w = 0; w < config_.workers; ++w) policies_.push_back(make_policy(config_, lb_rng_.engine(), scraper));
  worker_busy_.assign(static_cast<size_t>(config_.workers), 0);
  apply_endpoints(initial);
}

L7Proxy::~L7Proxy() = default;

L7Proxy::Track& L7Proxy::track(traffic::RequestId id) {
  if (id >= tracks_.size()) tracks_.resize(std::max<size_t>(id + 1, tracks_.size() * 2));
  return tracks_[id];
}

uint64_t L7Proxy::host_requests(uint32_t id) const {
  const uint32_t slot = slot_of(id);
  return slot != kNoSlot ? slots_[slot].sent : 0;
}

uint32_t L7Proxy::host_active_requests(uint32_t id) const {
  const uint32_t slot = slot_of(id);
  return slot != kNoSlot ? slots_[slot].active : 0;
}

uint32_t L7Proxy::slot_of(uint32_t id) const {
  const auto it = slot_of_id_.find(id);
  return it == slot_of_id_.end() ? kNoSlot : it->second;
}

uint64_t L7Proxy::upstream_connections_opened() const {
  uint64_t opened = 0;
  for (const HostSlot& h : slots_) {
    for (const auto& p : h.pools) opened += p ? p->connections_opened() : 0;
  }
  return opened;
}

int L7Proxy::busy_workers() const {
  return static_cast<int>(std::count(worker_busy_.begin(), worker_busy_.end(), uint8_t{1}));
}

// ---- Downstream side: workers --------------------------------------------------------------------

void L7Proxy::on_request(traffic::RequestId id) {
  ++received_;
  Track& t = track(id);
  t = Track{};
  t.role = Role::kDownstream;
  const auto free = std::find(worker_busy_.begin(), worker_busy_.end(), uint8_t{0});
  if (free == worker_busy_.end()) {
    worker_queue_.push_back(id);
    worker_queue_area_.add(sim_.now(), 1);
    max_worker_queue_ = std::max(max_worker_queue_, worker_queue_.size());
    return;
  }
  start_work(id, static_cast<uint16_t>(free - worker_busy_.begin()));
}

void L7Proxy::start_work(traffic::RequestId id, uint16_t worker) {
  worker_busy_[worker] = 1;
  busy_area_.add(sim_.now(), 1);
  track(id).worker = worker;
  sim_.schedule_in<&L7Proxy::on_work_done>(engine::Duration::from_milliseconds(config_.cpu_per_request_ms), this,
                                           pack(id, worker));
}

void L7Proxy::on_work_done(uint64_t arg) {
  const auto id = static_cast<traffic::RequestId>(arg & 0xFFFFFFFFu);
  const auto worker = static_cast<uint16_t>(arg >> 32);
  worker_busy_[worker] = 0;
  busy_area_.add(sim_.now(), -1);
  if (!worker_queue_.empty()) {
    worker_queue_area_.add(sim_.now(), -1);
    start_work(worker_queue_.pop_front(), worker);
  }
  if (config_.route_timeout_ms > 0) {
    tracks_[id].timeout = sim_.schedule_in<&L7Proxy::on_timeout>(
        engine::Duration::from_milliseconds(config_.route_timeout_ms), this, id);
  }
  start_attempt(id);
}

// ---- Router: picking and sending attempts ------------------------------------------------------

void L7Proxy::start_attempt(traffic::RequestId downstream) {
  views_.resize(pickable_slots_.size());
  for (size_t i = 0; i < pickable_slots_.size(); ++i) {
    const HostSlot& h = slots_[pickable_slots_[i]];
    views_[i] = HostView{h.id, h.weight, h.active};
  }
  const Track& d = tracks_[downstream];
  const traffic::Request& r = requests_[downstream];
  const std::optional<size_t> pick =
      policies_[d.worker]->choose(views_, PickContext{r.key}, lb_rng_.engine());
  if (!pick) {
    finish(downstream, traffic::Outcome::kNoHealthyUpstream);
    return;
  }
  const uint32_t slot = pickable_slots_[*pick];
  const bool has_stream = slots_[slot].active < config_.max_concurrent_streams_per_host;
  // Envoy's pool: a stream is attached at once if there is capacity (max_requests must admit it),
  // otherwise the request pends (max_pending_requests must admit it).
  if (has_stream ? !breakers_.try_start_request() : !breakers_.try_start_pending()) {
    finish(downstream, traffic::Outcome::kOverflow);
    return;
  }
  const traffic::RequestId attempt = requests_.acquire();
  {
    const traffic::Request& down = requests_[downstream];
    traffic::Request& up = requests_[attempt];
    up.sent_at = sim_.now();
    up.key = down.key;
    up.client = down.client;
  }
  Track& a = track(attempt);
  a = Track{};
  a.role = Role::kAttempt;
  a.downstream = downstream;
  a.slot = slot;
  tracks_[downstream].attempt = attempt;
  if (has_stream) {
    dispatch(attempt);
  } else {
    a.state = AttemptState::kQueued;
    slots_[slot].queue.push_back(attempt);
  }
}

void L7Proxy::dispatch(traffic::RequestId attempt) {
  Track& a = tracks_[attempt];
  a.state = AttemptState::kInFlight;
  HostSlot& h = slots_[a.slot];
  ++h.active;
  ++h.sent;
  forward(attempt, a.slot);
}

void L7Proxy::forward(traffic::RequestId attempt, uint32_t slot) {
  requests_[attempt].push_reply(this);
  if (!config_.upstream_connections) {
    slots_[slot].sink->on_request(attempt);
    return;
  }
  // The attempt rides the pool of the worker that handled its downstream request.
  pool(slot, tracks_[tracks_[attempt].downstream].worker).on_request(attempt);
}

void L7Proxy::host_goaway(uint32_t id) {
  const uint32_t slot = slot_of(id);
  if (slot == kNoSlot) return;
  for (auto& p : slots_[slot].pools) {
    if (p) p->goaway_endpoint(id);
  }
}

void L7Proxy::host_gone(uint32_t id) {
  const uint32_t slot = slot_of(id);
  if (slot == kNoSlot) return;
  HostSlot& h = slots_[slot];
  if (h.address) h.address->set_reachable(false);
  for (auto& p : h.pools) {
    if (p) p->reset_endpoint(id);
  }
}

net::Channel& L7Proxy::pool(uint32_t slot, uint16_t worker) {
  HostSlot& h = slots_[slot];
  if (!h.address) {
    h.address = std::make_unique<net::FixedDialer>(net::Endpoint{h.id, h.sink});
    h.resolver = std::make_unique<net::StaticResolver>(std::vector<net::Dialer*>{h.address.get()});
    h.pools.resize(static_cast<size_t>(config_.workers));
  }
  auto& p = h.pools[worker];
  if (!p) {
    net::ChannelConfig c;
    c.connection = config_.upstream_connection;
    c.connection.at_stream_limit = net::AtStreamLimit::kReportFull;  // Envoy opens another connection
    p = std::make_unique<net::Channel>(
        sim_, requests_,
        engine::RngStream(master_seed_, name_ + "/worker/" + std::to_string(worker) + "/host/" + std::to_string(h.id),
                          "pool"),
        c, *h.resolver);
  }
  return *p;
}

uint32_t L7Proxy::host_connections(uint32_t id) const {
  const uint32_t slot = slot_of(id);
  if (slot == kNoSlot) return 0;
  uint32_t open = 0;
  for (const auto& p : slots_[slot].pools) {
    if (!p) continue;
    for (size_t i = 0; i < p->slots(); ++i) {
      const net::Connection* c = p->slot_connection(i);
      if (c != nullptr && c->accepting()) ++open;
    }
  }
  return open;
}

void L7Proxy::dispatch_queued(uint32_t slot) {
  while (!slots_[slot].queue.empty() && slots_[slot].active < config_.max_concurrent_streams_per_host) {
    const traffic::RequestId attempt = slots_[slot].queue.pop_front();
    if (tracks_[attempt].state == AttemptState::kOrphan) {  // its downstream timed out while it waited
      tracks_[attempt].role = Role::kNone;
      requests_.release(attempt);
      continue;
    }
    breakers_.finish_pending();
    if (!breakers_.try_start_request()) {
      const traffic::RequestId downstream = tracks_[attempt].downstream;
      tracks_[attempt].role = Role::kNone;
      requests_.release(attempt);
      tracks_[downstream].attempt = kNoRequest;
      finish(downstream, traffic::Outcome::kOverflow);
      continue;
    }
    dispatch(attempt);
  }
}

// ---- Answers, retries, timeouts -----------------------------------------------------------------

void L7Proxy::on_response(traffic::RequestId attempt) {
  SIM_ASSERT(attempt < tracks_.size() && tracks_[attempt].role == Role::kAttempt, "answer for an unknown attempt");
  const uint32_t slot = tracks_[attempt].slot;
  --slots_[slot].active;
  breakers_.finish_request();
  const traffic::Outcome outcome = requests_[attempt].outcome;
  const bool orphan = tracks_[attempt].state == AttemptState::kOrphan;
  // A timed-out attempt was already reported to the outlier detector by on_timeout.
  if (!orphan) report_outlier(slot, outcome != traffic::Outcome::kOk);
  // Free stream capacity goes to this host's next waiting attempt before anything is answered.
  dispatch_queued(slot);

  if (orphan) {
    ++late_answers_;
    tracks_[attempt].role = Role::kNone;
    requests_.release(attempt);
    return;
  }
  const traffic::RequestId downstream = tracks_[attempt].downstream;
  tracks_[downstream].attempt = kNoRequest;
  {
    const traffic::Request& up = requests_[attempt];
    traffic::Request& down = requests_[downstream];
    down.server = up.server;
    down.arrived_at = up.arrived_at;
    down.started_at = up.started_at;
  }
  tracks_[attempt].role = Role::kNone;
  requests_.release(attempt);

  Track& d = tracks_[downstream];
  const bool retry = outcome != traffic::Outcome::kOk && is_retriable(outcome) &&
                     d.retries < config_.retry_policy.num_retries && breakers_.try_start_retry();
  if (!retry) {
    finish(downstream, outcome);
    return;
  }
  ++d.retries;
  d.backoff = sim_.schedule_in<&L7Proxy::on_backoff_done>(
      retry_backoff(config_.retry_policy, d.retries, retry_rng_.engine()), this, downstream);
}

void L7Proxy::on_backoff_done(uint64_t arg) {
  const auto downstream = static_cast<traffic::RequestId>(arg);
  tracks_[downstream].backoff = engine::EventHandle{};
  breakers_.finish_retry();
  ++retries_;
  start_attempt(downstream);
}

void L7Proxy::on_timeout(uint64_t arg) {
  const auto downstream = static_cast<traffic::RequestId>(arg);
  Track& d = tracks_[downstream];
  d.timeout = engine::EventHandle{};
  if (d.attempt != kNoRequest) {
    Track& a = tracks_[d.attempt];
    if (a.state == AttemptState::kQueued) {
      breakers_.finish_pending();  // the entry stays in the host queue and is dropped when reached
    } else {
      report_outlier(a.slot, true);  // Envoy reports a local-origin timeout for the host
    }
    a.state = AttemptState::kOrphan;
    d.attempt = kNoRequest;
  }
  if (sim_.cancel(d.backoff)) breakers_.finish_retry();
  d.backoff = engine::EventHandle{};
  finish(downstream, traffic::Outcome::kTimeout);
}

void L7Proxy::finish(traffic::RequestId downstream, traffic::Outcome outcome) {
  Track& d = tracks_[downstream];
  SIM_ASSERT(d.role == Role::kDownstream, "answering a request twice");
  sim_.cancel(d.timeout);
  d = Track{};
  ++answered_[static_cast<size_t>(outcome)];
  traffic::Request& r = requests_[downstream];
  r.outcome = outcome;
  r.pop_reply()->on_response(downstream);
}

// ---- Outlier detection --------------------------------------------------------------------------

void L7Proxy::report_outlier(uint32_t slot, bool failed) {
  if (!config_.outlier_detection.enabled) return;
  if (outliers_.report(slot, failed, sim_.now(), in_set_count())) {
    refresh_pickable();
    schedule_outlier_sweep();
  }
}

void L7Proxy::schedule_outlier_sweep() {
  if (sim_.is_pending(outlier_sweep_) || !outliers_.needs_sweep()) return;
  // Ticks fall on multiples of the interval from t = 0 (the detector's timer started with the run).
  const int64_t interval = engine::Duration::from_milliseconds(config_.outlier_detection.interval_ms).ns;
  const int64_t next = (sim_.now().ns / interval + 1) * interval;
  outlier_sweep_ = sim_.schedule_at<&L7Proxy::on_outlier_sweep>(engine::SimTime{next}, this);
}

void L7Proxy::on_outlier_sweep(uint64_t) {
  outlier_sweep_ = engine::EventHandle{};
  if (outliers_.sweep(sim_.now()) > 0) refresh_pickable();
  schedule_outlier_sweep();
}

// ---- Host set -------------------------------------------------------------------------------------

void L7Proxy::update_endpoints(std::span<const Endpoint> endpoints) {
  eds_updates_.emplace_back(endpoints.begin(), endpoints.end());
  sim_.schedule_in<&L7Proxy::on_eds_update>(engine::Duration::from_milliseconds(config_.eds_delay_ms), this);
}

void L7Proxy::on_eds_update(uint64_t) {
  // The delay is the same for every update, so they take effect in the order they were made.
  const std::vector<Endpoint> endpoints = std::move(eds_updates_.front());
  eds_updates_.pop_front();
  apply_endpoints(endpoints);
}

void L7Proxy::apply_endpoints(std::span<const Endpoint> endpoints) {
  for (HostSlot& h : slots_) h.in_set = false;
  for (const Endpoint& e : endpoints) {
    SIM_CHECK(e.sink != nullptr && e.weight >= 1, "endpoint without a sink or with weight 0");
    const auto [it, added] = slot_of_id_.try_emplace(e.id, static_cast<uint32_t>(slots_.size()));
    if (added) {
      slots_.emplace_back();
      slots_.back().id = e.id;
    }
    HostSlot& h = slots_[it->second];
    h.in_set = true;
    h.weight = e.weight;
    h.healthy = e.healthy;
    h.sink = e.sink;
  }
  outliers_.resize(slots_.size());
  refresh_pickable();
}

size_t L7Proxy::in_set_count() const {
  return static_cast<size_t>(std::count_if(slots_.begin(), slots_.end(), [](const HostSlot& h) { return h.in_set; }));
}

void L7Proxy::refresh_pickable() {
  pickable_slots_.clear();
  size_t in_set = 0;
  for (uint32_t s = 0; s < slots_.size(); ++s) {
    const HostSlot& h = slots_[s];
    if (!h.in_set) continue;
    ++in_set;
    if (h.healthy && !outliers_.ejected(s)) pickable_slots_.push_back(s);
  }
  // Panic: below the threshold share of available hosts, balance over every host in the set.
  if (in_set > 0 && 100 * pickable_slots_.size() < config_.healthy_panic_threshold_percent * in_set) {
    pickable_slots_.clear();
    for (uint32_t s = 0; s < slots_.size(); ++s) {
      if (slots_[s].in_set) pickable_slots_.push_back(s);
    }
  }
  views_.resize(pickable_slots_.size());
  for (size_t i = 0; i < pickable_slots_.size(); ++i) {
    const HostSlot& h = slots_[pickable_slots_[i]];
    views_[i] = HostView{h.id, h.weight, h.active};
  }
  for (auto& policy : policies_) policy->on_host_set_changed(views_);
}

}  // namespace kubemind::balance
