// SPDX-License-Identifier: MIT
#include "sim/serve/inference_server.h"

#include <bit>

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

int effective_max_batch(const InferenceServerConfig& c) {
  return c.dynamic_batching.enabled && c.max_batch_size > 1 ? c.max_batch_size : 1;
}

}  // namespace

InferenceServer::InferenceServer(engine::Simulator& sim, engine::RngStream service_rng,
                                 traffic::RequestTable& requests, const InferenceServerConfig& config,
                                 uint32_t index)
    : ModelServer(index),
      sim_(sim),
      service_rng_(std::move(service_rng)),
      requests_(requests),
      config_(config),
      max_batch_(effective_max_batch(config)),
      max_queue_delay_(engine::Duration::microseconds(config.dynamic_batching.max_queue_delay_us)),
      queue_timeout_(engine::Duration::microseconds(config.default_timeout_us)),
      preprocess_cpu_(engine::Duration::from_milliseconds(config.cpu.preprocess_cpu_ms)),
      postprocess_cpu_(engine::Duration::from_milliseconds(config.cpu.postprocess_cpu_ms)),
      // With a curve the distributions draw a factor of mean 1; without, the service time itself.
      exponential_ms_(!config.latency.empty()         ? 1.0
                      : config.service_time.mean_ms > 0 ? 1.0 / config.service_time.mean_ms
                                                        : 1.0),
      lognormal_ms_(config.service_time.distribution == ServiceDistribution::kLognormal
                        ? lognormal_for(config.latency.empty() ? config.service_time.mean_ms : 1.0,
                                        config.service_time.cv)
                        : boost::random::lognormal_distribution<double>()),
      lognormal_factor_(config.service_time.distribution == ServiceDistribution::kLognormal
                            ? lognormal_for(1.0, config.service_time.cv)
                            : boost::random::lognormal_distribution<double>()),
      in_batch_(static_cast<size_t>(config.instances) * static_cast<size_t>(effective_max_batch(config))),
      batch_size_(static_cast<size_t>(config.instances), 0),
      free_instances_(static_cast<size_t>((config.instances + 63) / 64), ~uint64_t{0}),
      cpu_(config.cpu.baseline_cores, sim.now()),
      batch_size_counts_(static_cast<size_t>(effective_max_batch(config)) + 1, 0) {
  SIM_ASSERT(config.instances >= 1, "at least one model instance");
  batch_event_.resize(static_cast<size_t>(config.instances));
  if (max_batch_ > 1) {
    for (int p : config.dynamic_batching.preferred_batch_sizes) {
      if (p >= 1 && p <= max_batch_) preferred_descending_.push_back(p);
    }
    std::sort(preferred_descending_.rbegin(), preferred_descending_.rend());
  }
  if (!config_.latency.empty()) {
    curve_ms_.resize(static_cast<size_t>(max_batch_) + 1, 0.0);
    curve_time_.resize(static_cast<size_t>(max_batch_) + 1);
    for (int b = 1; b <= max_batch_; ++b) {
      curve_ms_[static_cast<size_t>(b)] = config_.latency.mean_ms(b);
      curve_time_[static_cast<size_t>(b)] = config_.latency.duration(b);
    }
  }
  if (config_.degraded) {
    const DegradedTierConfig& d = *config_.degraded;
    SIM_ASSERT(!d.latency.empty(), "the degraded tier needs a latency curve");
    has_degraded_ = true;
    degrade_above_ = d.queue_depth_above;
    restore_below_ = d.restore_below < 0 ? d.queue_depth_above : d.restore_below;
    SIM_ASSERT(degrade_above_ >= 0 && restore_below_ <= degrade_above_, "restore_below in [0, queue_depth_above]");
    degraded_ms_.resize(static_cast<size_t>(max_batch_) + 1, 0.0);
    degraded_time_.resize(static_cast<size_t>(max_batch_) + 1);
    for (int b = 1; b <= max_batch_; ++b) {
      degraded_ms_[static_cast<size_t>(b)] = d.latency.mean_ms(b);
      degraded_time_[static_cast<size_t>(b)] = d.latency.duration(b);
    }
  }
  done_.reserve(static_cast<size_t>(max_batch_));
}

engine::Duration InferenceServer::sample_service_time() {
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

engine::Duration InferenceServer::batch_time(int size) {
  if (config_.latency.empty()) return sample_service_time();
  const auto b = static_cast<size_t>(size);
  switch (config_.service_time.distribution) {
    case ServiceDistribution::kDeterministic:
      return curve_time_[b];
    case ServiceDistribution::kExponential:
      return engine::Duration::from_milliseconds(curve_ms_[b] * exponential_ms_(service_rng_.engine()));
    case ServiceDistribution::kLognormal:
      return engine::Duration::from_milliseconds(curve_ms_[b] * lognormal_ms_(service_rng_.engine()));
  }
  return engine::Duration{};
}

bool InferenceServer::degrade_batch(int64_t waiting) {
  // Without hysteresis (restore_below_ == degrade_above_) both branches reduce to waiting > above.
  if (degraded_now_) {
    if (waiting <= restore_below_) degraded_now_ = false;
  } else if (waiting > degrade_above_) {
    degraded_now_ = true;
  }
  return degraded_now_;
}

engine::Duration InferenceServer::degraded_batch_time(int size) {
  const auto b = static_cast<size_t>(size);
  switch (config_.service_time.distribution) {
    case ServiceDistribution::kDeterministic:
      return degraded_time_[b];
    case ServiceDistribution::kExponential:
      return engine::Duration::from_milliseconds(degraded_ms_[b] * exponential_factor_(service_rng_.engine()));
    case ServiceDistribution::kLognormal:
      return engine::Duration::from_milliseconds(degraded_ms_[b] * lognormal_factor_(service_rng_.engine()));
  }
  return engine::Duration{};
}

double InferenceServer::memory_working_set_bytes() const {
  const auto held = static_cast<double>(waiting_.level() + in_service_.level());
  return config_.memory.runtime_gb * 1e9 + config_.memory.per_request_bytes * held;
}

void InferenceServer::on_request(traffic::RequestId id) {
  traffic::Request& r = requests_[id];
  r.arrived_at = sim_.now();
  r.server = index();
  ++received_;
  if (down_) {  // nothing listens any more: the connection is reset
    answer(id, traffic::Outcome::kReset);
    return;
  }
  cpu_.charge(preprocess_cpu_);  // deserialised before the scheduler sees it, admitted or not
  if (config_.max_queue_size > 0 && waiting_.level() >= config_.max_queue_size) {
    ++rejected_;
    answer(id, traffic::Outcome::kQueueFull);
    return;
  }
  queue_.push_back(id);
  waiting_.add(sim_.now(), +1);
  max_waiting_ = std::max(max_waiting_, waiting_.level());
  if (queue_.size() == 1 && busy_.level() < config_.instances && (max_batch_ == 1 || max_queue_delay_.ns == 0)) {
    // An idle instance and no one waiting: the batcher would send this request alone at once
    // (batch_size_for(1) is 1 without a queue delay), so skip its general loop.
    start_batch(1);
    return;
  }
  try_form_batches();
}

int InferenceServer::batch_size_for(int64_t queued) const {
  if (queued >= max_batch_) return max_batch_;
  for (int p : preferred_descending_) {
    if (p <= queued) return p;
  }
  if (max_queue_delay_.ns == 0) return static_cast<int>(queued);
  if (sim_.now() - requests_[queue_.front()].arrived_at >= max_queue_delay_) return static_cast<int>(queued);
  return 0;
}

void InferenceServer::try_form_batches() {
  expire_timeouts();
  while (!queue_.empty() && busy_.level() < config_.instances) {
    const int size = batch_size_for(waiting_.level());
    if (size == 0) {
      if (!sim_.is_pending(delay_timer_)) {
        delay_timer_ = sim_.schedule_at<&InferenceServer::on_delay_expired>(
            requests_[queue_.front()].arrived_at + max_queue_delay_, this);
      }
      break;
    }
    start_batch(size);
  }
  arm_timeout();
}

void InferenceServer::start_batch(int size) {
  // The lowest-numbered free instance (the caller checked that one is free).
  size_t word = 0;
  while (free_instances_[word] == 0) ++word;  // one word up to 64 instances
  const int instance = static_cast<int>(word * 64 + static_cast<size_t>(std::countr_zero(free_instances_[word])));
  free_instances_[word] &= free_instances_[word] - 1;  // clear that (lowest set) bit
  const size_t base = static_cast<size_t>(instance) * static_cast<size_t>(max_batch_);
  const engine::SimTime now = sim_.now();
  const bool degraded = has_degraded_ && degrade_batch(waiting_.level());  // counted before the batch leaves
  for (int k = 0; k < size; ++k) {
    const traffic::RequestId id = queue_.pop_front();
    requests_[id].started_at = now;
    in_batch_[base + static_cast<size_t>(k)] = id;
  }
  waiting_.add(now, -size);
  in_service_.add(now, +size);
  batch_size_[static_cast<size_t>(instance)] = size;
  busy_.add(now, +1);
  ++batches_;
  batched_ += static_cast<uint64_t>(size);
  ++batch_size_counts_[static_cast<size_t>(size)];
  if (degraded) {
    ++degraded_batches_;
    degraded_requests_ += static_cast<uint64_t>(size);
  }
  batch_event_[static_cast<size_t>(instance)] = sim_.schedule_in<&InferenceServer::on_batch_done>(
      degraded ? degraded_batch_time(size) : batch_time(size), this, static_cast<uint64_t>(instance));
}

void InferenceServer::on_batch_done(uint64_t instance) {
  const auto i = static_cast<size_t>(instance);
  const int size = batch_size_[i];
  const size_t base = i * static_cast<size_t>(max_batch_);
  done_.assign(in_batch_.begin() + static_cast<std::ptrdiff_t>(base),
               in_batch_.begin() + static_cast<std::ptrdiff_t>(base) + size);
  batch_size_[i] = 0;
  free_instances_[i / 64] |= uint64_t{1} << (i % 64);
  busy_.add(sim_.now(), -1);
  in_service_.add(sim_.now(), -size);
  completed_ += static_cast<uint64_t>(size);
  // Start the next batch before answering, so that the instance is never seen idle while work waits
  // and an answer that triggers a new request (closed loop) queues behind the waiting ones.
  try_form_batches();
  for (const traffic::RequestId id : done_) {
    cpu_.charge(postprocess_cpu_);
    answer(id, traffic::Outcome::kOk);
  }
  tell_if_idle();
}

void InferenceServer::shut_down() {
  if (down_) return;
  down_ = true;
  forget_idle_listener();
  sim_.cancel(delay_timer_);
  sim_.cancel(timeout_timer_);
  const engine::SimTime now = sim_.now();
  // Collect first: answering may make a caller send again, which now meets down_.
  done_.clear();
  for (size_t i = 0; i < batch_size_.size(); ++i) {
    if (batch_size_[i] == 0) continue;
    sim_.cancel(batch_event_[i]);
    const size_t base = i * static_cast<size_t>(max_batch_);
    done_.insert(done_.end(), in_batch_.begin() + static_cast<std::ptrdiff_t>(base),
                 in_batch_.begin() + static_cast<std::ptrdiff_t>(base) + batch_size_[i]);
    batch_size_[i] = 0;
    busy_.add(now, -1);
  }
  in_service_.add(now, -in_service_.level());
  while (!queue_.empty()) done_.push_back(queue_.pop_front());
  waiting_.add(now, -waiting_.level());
  for (const traffic::RequestId id : done_) answer(id, traffic::Outcome::kReset);
  done_.clear();
}

void InferenceServer::on_delay_expired(uint64_t) { try_form_batches(); }

void InferenceServer::on_timeout_check(uint64_t) {
  try_form_batches();
  tell_if_idle();
}

void InferenceServer::expire_timeouts() {
  if (queue_timeout_.ns == 0) return;
  while (!queue_.empty() && sim_.now() - requests_[queue_.front()].arrived_at >= queue_timeout_) {
    const traffic::RequestId id = queue_.pop_front();
    waiting_.add(sim_.now(), -1);
    ++timed_out_;
    answer(id, traffic::Outcome::kTimeout);
  }
}

void InferenceServer::arm_timeout() {
  if (queue_timeout_.ns == 0 || queue_.empty() || sim_.is_pending(timeout_timer_)) return;
  timeout_timer_ = sim_.schedule_at<&InferenceServer::on_timeout_check>(
      requests_[queue_.front()].arrived_at + queue_timeout_, this);
}

void InferenceServer::answer(traffic::RequestId id, traffic::Outcome outcome) {
  traffic::Request& r = requests_[id];
  r.outcome = outcome;
  r.pop_reply()->on_response(id);
}

}  // namespace kubemind::serve
