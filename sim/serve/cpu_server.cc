// SPDX-License-Identifier: MIT
#include "sim/serve/cpu_server.h"

#include <algorithm>
#include <cmath>

namespace kubemind::serve {
namespace {

/// Lognormal with the given mean and coefficient of variation: sigma^2 = ln(1 + cv^2),
/// mu = ln(mean) - sigma^2 / 2.
boost::random::lognormal_distribution<double> lognormal_for(double mean, double cv) {
  const double sigma2 = std::log1p(cv * cv);
  return boost::random::lognormal_distribution<double>(std::log(mean) - sigma2 / 2, std::sqrt(sigma2));
}

}  // namespace

CpuBoundServer::CpuBoundServer(engine::Simulator& sim, engine::RngStream service_rng,
                               traffic::RequestTable& requests, NodeCpu& node, const CpuBoundServerConfig& config,
                               uint32_t index)
    : ModelServer(index),
      sim_(sim),
      service_rng_(std::move(service_rng)),
      requests_(requests),
      node_(node),
      config_(config),
      container_(node.add_container(config.cpu.request_cores, config.cpu_limit_cores, this)),
      exponential_ms_(config.service_time.mean_ms > 0 ? 1.0 / config.service_time.mean_ms : 1.0),
      lognormal_ms_(config.service_time.distribution == ServiceDistribution::kLognormal
                        ? lognormal_for(config.service_time.mean_ms, config.service_time.cv)
                        : boost::random::lognormal_distribution<double>()),
      serving_(static_cast<size_t>(config.workers), kIdle),
      remaining_ns_(static_cast<size_t>(config.workers), 0.0),
      done_event_(static_cast<size_t>(config.workers)),
      last_update_(sim.now()),
      start_time_(sim.now()) {
  SIM_CHECK(config.workers >= 1, "at least one worker");
  reset_.reserve(static_cast<size_t>(config.workers));
}

CpuBoundServer::~CpuBoundServer() {
  if (!down_) {
    for (const engine::EventHandle h : done_event_) sim_.cancel(h);
    node_.remove_container(container_);
  }
}

engine::Duration CpuBoundServer::sample_work() {
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

double CpuBoundServer::cpu_usage_seconds() const {
  const engine::SimTime now = sim_.now();
  const engine::SimTime until = std::min(now, end_time_);
  const double since_update_ns = rate_cores_ * static_cast<double>((now - last_update_).ns);
  return config_.cpu.baseline_cores * (until - start_time_).seconds_f() + (cpu_received_ns_ + since_update_ns) * 1e-9;
}

double CpuBoundServer::memory_working_set_bytes() const {
  const auto held = static_cast<double>(waiting_.level() + in_service_.level());
  return config_.memory.runtime_gb * 1e9 + config_.memory.per_request_bytes * held;
}

void CpuBoundServer::advance() {
  const engine::SimTime now = sim_.now();
  const auto elapsed_ns = static_cast<double>((now - last_update_).ns);
  last_update_ = now;
  if (elapsed_ns == 0.0 || busy_.level() == 0) return;
  cpu_received_ns_ += rate_cores_ * elapsed_ns;
  const double done_ns = worker_rate_ * elapsed_ns;
  for (size_t w = 0; w < serving_.size(); ++w) {
    if (serving_[w] != kIdle) remaining_ns_[w] -= done_ns;
  }
}

void CpuBoundServer::reschedule() {
  rate_cores_ = down_ ? 0.0 : node_.rate(container_);
  const int64_t busy = busy_.level();
  const double old_worker_rate = worker_rate_;
  worker_rate_ = busy > 0 ? rate_cores_ / static_cast<double>(busy) : 0.0;
  for (size_t w = 0; w < serving_.size(); ++w) {
    if (serving_[w] == kIdle) continue;
    // A pending completion was scheduled at the current per-worker rate (every change of that rate
    // passes here): if the rate is unchanged it still holds, so a big node's workers are not
    // rescheduled at every arrival.
    if (worker_rate_ == old_worker_rate && sim_.is_pending(done_event_[w])) continue;
    sim_.cancel(done_event_[w]);
    if (worker_rate_ <= 0.0) continue;  // no CPU at all: the worker stalls until the node gives some
    const double delay_ns = std::max(0.0, remaining_ns_[w]) / worker_rate_;
    done_event_[w] = sim_.schedule_in<&CpuBoundServer::on_worker_done>(
        engine::Duration::nanoseconds(std::llround(delay_ns)), this, static_cast<uint64_t>(w));
  }
}

void CpuBoundServer::publish_demand() {
  publishing_ = true;
  node_.set_demand(container_, static_cast<int>(busy_.level()));
  publishing_ = false;
  reschedule();
}

void CpuBoundServer::on_cpu_rate_changed(ContainerId, double) {
  if (publishing_) return;  // our own change: publish_demand reschedules once it returns
  advance();
  reschedule();
}

int CpuBoundServer::free_worker() const {
  for (size_t w = 0; w < serving_.size(); ++w) {
    if (serving_[w] == kIdle) return static_cast<int>(w);
  }
  return -1;
}

void CpuBoundServer::start(int worker, traffic::RequestId id) {
  const auto w = static_cast<size_t>(worker);
  const engine::SimTime now = sim_.now();
  requests_[id].started_at = now;
  serving_[w] = id;
  remaining_ns_[w] = static_cast<double>(sample_work().ns);
  waiting_.add(now, -1);
  in_service_.add(now, +1);
  busy_.add(now, +1);
  ++started_;
}

void CpuBoundServer::on_request(traffic::RequestId id) {
  traffic::Request& r = requests_[id];
  r.arrived_at = sim_.now();
  r.server = index();
  ++received_;
  if (down_) {  // nothing listens any more: the connection is reset
    answer(id, traffic::Outcome::kReset);
    return;
  }
  if (config_.max_queue_size > 0 && waiting_.level() >= config_.max_queue_size) {
    ++rejected_;
    answer(id, traffic::Outcome::kQueueFull);
    return;
  }
  waiting_.add(sim_.now(), +1);
  max_waiting_ = std::max(max_waiting_, waiting_.level());
  const int worker = free_worker();
  if (worker < 0) {
    queue_.push_back(id);
    return;
  }
  advance();  // the busy workers' progress so far, at the rate before this one starts
  start(worker, id);
  publish_demand();
}

void CpuBoundServer::on_worker_done(uint64_t worker) {
  const auto w = static_cast<size_t>(worker);
  advance();
  const traffic::RequestId id = serving_[w];
  const engine::SimTime now = sim_.now();
  serving_[w] = kIdle;
  remaining_ns_[w] = 0.0;
  busy_.add(now, -1);
  in_service_.add(now, -1);
  ++completed_;
  // Start the next request before answering, so that the worker is never seen idle while work waits
  // and an answer that triggers a new request (closed loop) queues behind the waiting ones.
  if (!queue_.empty()) {
    start(static_cast<int>(w), queue_.pop_front());
    // Same busy count: the node's shares are unchanged; only this worker needs an event.
    const double delay_ns = remaining_ns_[w] / worker_rate_;
    done_event_[w] = sim_.schedule_in<&CpuBoundServer::on_worker_done>(
        engine::Duration::nanoseconds(std::llround(delay_ns)), this, worker);
  } else {
    publish_demand();
  }
  answer(id, traffic::Outcome::kOk);
  tell_if_idle();
}

void CpuBoundServer::shut_down() {
  if (down_) return;
  advance();
  down_ = true;
  forget_idle_listener();
  const engine::SimTime now = sim_.now();
  end_time_ = now;
  // Collect first: answering may make a caller send again, which now meets down_.
  reset_.clear();
  for (size_t w = 0; w < serving_.size(); ++w) {
    if (serving_[w] == kIdle) continue;
    sim_.cancel(done_event_[w]);
    reset_.push_back(serving_[w]);
    serving_[w] = kIdle;
    remaining_ns_[w] = 0.0;
  }
  busy_.add(now, -busy_.level());
  in_service_.add(now, -in_service_.level());
  while (!queue_.empty()) reset_.push_back(queue_.pop_front());
  waiting_.add(now, -waiting_.level());
  rate_cores_ = 0.0;
  worker_rate_ = 0.0;
  node_.remove_container(container_);  // the neighbours hear their new rates
  for (const traffic::RequestId id : reset_) answer(id, traffic::Outcome::kReset);
  reset_.clear();
}

void CpuBoundServer::answer(traffic::RequestId id, traffic::Outcome outcome) {
  traffic::Request& r = requests_[id];
  r.outcome = outcome;
  r.pop_reply()->on_response(id);
}

}  // namespace kubemind::serve
