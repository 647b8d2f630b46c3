// SPDX-License-Identifier: MIT
#include "sim/control/kpa.h"

#include <algorithm>
#include <cmath>

#include "sim/engine/check.h"

namespace kubemind::control {

namespace {

constexpr double kTargetMin = 0.01;  // autoscaling.TargetMin
constexpr int64_t kNsPerS = 1'000'000'000;

int64_t floor_div(int64_t a, int64_t b) { return a / b - (((a % b) != 0 && ((a < 0) != (b < 0))) ? 1 : 0); }

/// The delay window's bucket index for `now`: time.Unix() / tickInterval seconds.
int64_t delay_index(engine::SimTime now) { return floor_div(floor_div(now.ns, kNsPerS), kKpaTickIntervalS); }

/// max.window.Record followed by Current(): descending maxima over `size` buckets.
int32_t delay_record(std::vector<KpaDelayEntry>& w, int64_t size, int64_t index, int32_t value) {
  while (!w.empty() && !(value < w.back().value)) w.pop_back();              // smaller-or-equal can never win again
  while (!w.empty() && index - w.front().index >= size) w.erase(w.begin());  // out of the window
  if (!w.empty() && w.back().index == index) {
    value = std::max(value, w.back().value);
    w.pop_back();
  }
  w.push_back(KpaDelayEntry{index, value});
  return w.front().value;
}

double floor_6_digits(double v) { return std::floor(v * 1e6) / 1e6; }

}  // namespace

KpaDeciderSpec kpa_decider_spec(const KpaConfig& config, const KpaRevision& revision) {
  KpaDeciderSpec s;
  s.scaling_metric = revision.metric;
  double total = 0.0;
  if (revision.metric == KpaScalingMetric::kRps) {
    total = config.requests_per_second_target_default;
  } else {
    total = revision.container_concurrency > 0 ? static_cast<double>(revision.container_concurrency)
                                               : config.container_concurrency_target_default;
  }
  if (revision.target.has_value()) {
    total = *revision.target;
    if (revision.metric == KpaScalingMetric::kConcurrency && revision.container_concurrency != 0) {
      total = std::min(*revision.target, static_cast<double>(revision.container_concurrency));
    }
  }
  const double utilisation =
      revision.target_utilization_percentage.value_or(config.container_concurrency_target_percentage) / 100.0;
  s.total_value = total;
  s.target_value = std::max(kTargetMin, total * utilisation);
  s.target_burst_capacity = config.target_burst_capacity;
  s.activator_capacity = config.activator_capacity;
  s.panic_threshold = config.panic_threshold_percentage / 100.0;
  s.max_scale_up_rate = config.max_scale_up_rate;
  s.max_scale_down_rate = config.max_scale_down_rate;
  s.stable_window = engine::Duration::seconds(config.stable_window_s);
  s.scale_down_delay = engine::Duration::seconds(config.scale_down_delay_s);
  s.activation_scale = revision.activation_scale;
  s.reachable = true;
  return s;
}

engine::Duration kpa_panic_window(const KpaConfig& config) {
  return engine::Duration::from_seconds(static_cast<double>(config.stable_window_s) * config.panic_window_percentage /
                                        100.0);
}

KpaDeciderState kpa_initial_state(int32_t ready_pods, engine::SimTime now) {
  KpaDeciderState s;
  if (ready_pods > 1) s.panic_time = now;
  s.max_panic_pods = std::max(0, ready_pods);
  return s;
}

KpaScaleResult kpa_scale(const KpaDeciderSpec& spec, const KpaScaleInput& in) {
  SIM_CHECK(spec.target_value > 0.0, "target value must be positive");
  KpaScaleResult r;
  r.state = in.state;
  if (in.ready_count_error) {
    r.reason = "failed to get the ready pod count";
    r.in_panic = r.state.panic_time.has_value();
    return r;
  }
  if (in.no_metric_data) {
    r.reason = "no data to scale on yet";
    r.in_panic = r.state.panic_time.has_value();
    return r;
  }

  const int32_t ready = std::max(0, in.ready_pods);
  const double rp = std::max(1.0, static_cast<double>(ready));
  r.max_scale_up = std::ceil(spec.max_scale_up_rate * rp);
  r.max_scale_down = spec.reachable ? std::floor(rp / spec.max_scale_down_rate) : 0.0;
  r.desired_stable_raw = std::ceil(in.observed_stable_value / spec.target_value);
  r.desired_panic_raw = std::ceil(in.observed_panic_value / spec.target_value);
  r.desired_stable = static_cast<int32_t>(std::min(std::max(r.desired_stable_raw, r.max_scale_down), r.max_scale_up));
  r.desired_panic = static_cast<int32_t>(std::min(std::max(r.desired_panic_raw, r.max_scale_down), r.max_scale_up));
  if (spec.activation_scale > 1) {
    if (r.desired_stable_raw > 0 && spec.activation_scale > r.desired_stable) r.desired_stable = spec.activation_scale;
    if (r.desired_panic_raw > 0 && spec.activation_scale > r.desired_panic) r.desired_panic = spec.activation_scale;
  }

  KpaDeciderState& st = r.state;
  const bool over = r.desired_panic_raw / rp >= spec.panic_threshold;
  if (!st.panic_time.has_value() && over) {
    st.panic_time = in.now;
    r.reason = "entered panic: panic-window demand >= threshold x ready pods";
  } else if (over) {
    st.panic_time = in.now;
    r.reason = "panic extended: still over the threshold";
  } else if (st.panic_time.has_value() && (*st.panic_time + spec.stable_window) < in.now) {
    st.panic_time.reset();
    st.max_panic_pods = 0;
    r.reason = "left panic: a stable window passed below the threshold";
  }

  int32_t desired = r.desired_stable;
  if (st.panic_time.has_value()) {
    desired = std::max(desired, r.desired_panic);
    if (desired > st.max_panic_pods) {
      st.max_panic_pods = desired;
    } else if (desired < st.max_panic_pods && r.reason.empty()) {
      r.reason = "panic: skipping decrease, holding the panic maximum";
    }
    desired = st.max_panic_pods;
    if (r.reason.empty()) r.reason = "panic mode";
  } else if (r.reason.empty()) {
    r.reason = "stable mode";
  }
  r.in_panic = st.panic_time.has_value();

  if (spec.scale_down_delay.ns > 0) {
    const int64_t tick_ns = kKpaTickIntervalS * kNsPerS;
    const int64_t size = (spec.scale_down_delay.ns + tick_ns - 1) / tick_ns;  // ceil(delay / tick)
    const int32_t delayed = delay_record(st.delay_window, size, delay_index(in.now), desired);
    if (delayed != desired) r.reason += "; scale-down delayed";
    desired = delayed;
  }

  double ebc = -1.0;
  int32_t num_activators = kKpaMinActivators;
  const double total_capacity = static_cast<double>(ready) * spec.total_value;
  if (spec.target_burst_capacity == 0.0) {
    ebc = 0.0;
  } else if (spec.target_burst_capacity > 0.0) {
    ebc = std::floor(total_capacity - spec.target_burst_capacity - in.observed_panic_value);
    num_activators = static_cast<int32_t>(
        std::max(static_cast<double>(kKpaMinActivators),
                 std::ceil((total_capacity + spec.target_burst_capacity) / spec.activator_capacity)));
  } else if (spec.target_burst_capacity == -1.0) {
    num_activators = static_cast<int32_t>(
        std::max(static_cast<double>(kKpaMinActivators), std::ceil(total_capacity / spec.activator_capacity)));
  }
  r.scale_valid = true;
  r.desired_pod_count = desired;
  r.excess_burst_capacity = static_cast<int32_t>(ebc);
  r.num_activators = num_activators;
  return r;
}

KpaScalerDecision kpa_apply_scale(const KpaScalerInput& in) {
  KpaScalerDecision d;
  d.desired_scale = in.desired_scale;
  if (in.desired_scale < 0 && in.pa_active != KpaPaActive::kActivating) {
    d.reason = "metrics are not yet being collected";
    return d;
  }
  int32_t min_scale = in.min_scale;
  if (in.initial_scale > 1 && !in.scale_target_initialized) min_scale = std::max(in.initial_scale, min_scale);
  int32_t desired = in.desired_scale;
  if (desired < min_scale) {
    desired = min_scale;
  } else if (in.max_scale != 0 && desired > in.max_scale) {
    desired = in.max_scale;
  }

  // handleScaleToZero.
  bool apply = true;
  if (desired == 0) {
    if (!in.enable_scale_to_zero) {
      desired = 1;
      d.reason = "scale to zero disabled: 1";
    } else if (in.pa_active == KpaPaActive::kActivating) {
      if (in.in_status_for > in.activation_timeout) {
        d.reason = "activation timed out: 0";
      } else {
        d.requeue_after = in.activation_timeout;
        desired = -1;
        apply = false;
        d.reason = "activating: hold";
      }
    } else if (in.pa_active == KpaPaActive::kActive) {
      if (in.in_status_for >= in.stable_window) {
        if (in.sks_proxy_mode) d.requeue_after = engine::Duration::seconds(3);
        apply = false;
        d.reason = "active for a stable window: mark the PA inactive, do not scale yet";
      } else {
        d.requeue_after = in.stable_window - in.in_status_for;
        desired = 1;
        d.reason = "active for less than a stable window: at most 1";
      }
    } else {
      const bool backed = in.target_burst_capacity == -1.0 || in.activator_probe_ok;
      if (!backed) {
        d.async_probe = true;
        apply = false;
        d.reason = "not yet backed by the activator: probing";
      } else {
        const engine::Duration retention = in.scale_to_zero_pod_retention_period;
        const engine::Duration longest = std::max(in.scale_to_zero_grace_period, retention);
        if (in.in_status_for >= longest) {
          d.reason = "inactive for the grace period: 0";
        } else if (retention.ns > 0 && in.in_status_for < retention) {
          d.requeue_after = retention - in.in_status_for;
          apply = false;
          d.reason = "inactive for less than the pod retention period";
        } else {
          const engine::Duration to = in.scale_to_zero_grace_period - in.sks_proxy_for;
          if (to.ns <= 0) {
            d.reason = "proxied through the activator for the grace period: 0";
          } else {
            d.requeue_after = to;
            apply = false;
            d.reason = "waiting for the grace period";
          }
        }
      }
    }
  }
  d.desired_scale = desired;
  d.apply = apply;
  d.patch = apply && desired != in.current_scale;
  if (d.reason.empty()) d.reason = d.patch ? "scale" : "no change";
  return d;
}

KpaWindowBuckets::KpaWindowBuckets(engine::Duration window, engine::Duration granularity)
    : window_ns_(window.ns), granularity_ns_(granularity.ns) {
  SIM_CHECK(granularity.ns > 0 && window.ns > 0, "window and granularity must be positive");
  const int64_t n = (window.ns + granularity.ns - 1) / granularity.ns;  // ceil(window / granularity)
  buckets_.assign(static_cast<size_t>(n), 0.0);
}

void KpaWindowBuckets::record(engine::SimTime now, double value) {
  const int64_t bucket_time = truncate(now);
  const int64_t write_index = index_of(bucket_time);
  if (!written_ || last_write_ns_ != bucket_time) {
    // A value from a window or more before the last write is ignored.
    if (written_ && !(bucket_time + window_ns_ > last_write_ns_)) return;
    // An earlier write than any so far extends the data span backwards.
    if (!written_ || first_write_ns_ > bucket_time) first_write_ns_ = bucket_time;
    if (!written_ || bucket_time > last_write_ns_) {
      if (!written_ || bucket_time - last_write_ns_ >= window_ns_) {
        // First write, or nothing for a whole window: start a fresh partial window.
        first_write_ns_ = bucket_time;
        std::fill(buckets_.begin(), buckets_.end(), 0.0);
        window_total_ = 0.0;
      } else {
        // Buckets skipped since the last write held data from a window ago: clear them.
        for (int64_t i = index_of(last_write_ns_) + 1; i <= write_index; ++i) {
          window_total_ -= buckets_[slot(i)];
          buckets_[slot(i)] = 0.0;
        }
      }
      written_ = true;
      last_write_ns_ = bucket_time;
    }
  }
  buckets_[slot(write_index)] += value;
  window_total_ += value;
}

double KpaWindowBuckets::window_average(engine::SimTime now) const {
  if (!written_) return 0.0;
  const int64_t t = truncate(now);
  const int64_t d = t - last_write_ns_;
  const double n = static_cast<double>(buckets_.size());
  const double span = static_cast<double>((last_write_ns_ - first_write_ns_) / granularity_ns_ + 1);
  if (d <= 0) return floor_6_digits(window_total_ / std::min(span, n));
  if (d < window_ns_) {
    const int64_t start = index_of(last_write_ns_);
    const int64_t end = index_of(t);
    double total = window_total_;
    for (int64_t i = start + 1; i <= end; ++i) total -= buckets_[slot(i)];
    return floor_6_digits(total / std::min(span, n - static_cast<double>(end - start)));
  }
  return 0.0;
}

bool KpaWindowBuckets::is_empty(engine::SimTime now) const {
  return !written_ || truncate(now) - last_write_ns_ > window_ns_;
}

}  // namespace kubemind::control
