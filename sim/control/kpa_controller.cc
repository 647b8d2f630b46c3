// SPDX-License-Identifier: MIT
#include "sim/control/kpa_controller.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace kubemind::control {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool pod_ready(const PodInfo& p) {
  return p.phase == PodPhase::kRunning && !p.deleting && p.ready.has_value() &&
         p.ready->status == ConditionStatus::kTrue;
}

}  // namespace

KpaController::KpaController(engine::Simulator& sim, std::string name, KpaControllerConfig config,
                             const PodSource& pods, ScaleTarget& target, const PodSource* activator)
    : sim_(sim),
      name_(std::move(name)),
      config_(config),
      pods_(pods),
      target_(target),
      activator_(activator),
      spec_(kpa_decider_spec(config.autoscaler, config.revision)),
      stable_(Duration::seconds(config.autoscaler.stable_window_s)),
      panic_(kpa_panic_window(config.autoscaler)) {
  SIM_ASSERT(config_.scrape_interval.ns > 0 && config_.tick_interval.ns > 0, "KPA intervals must be positive");
  traces_.push_back(MetricTrace{name_, "stable_concurrency", "requests", {}});
  traces_.push_back(MetricTrace{name_, "panic_concurrency", "requests", {}});
}

void KpaController::start() {
  stop();
  const SimTime now = sim_.now();
  pods_.list_pods(listing_);
  int32_t ready = 0;
  for (const WorldPod& p : listing_) ready += pod_ready(p.info) ? 1 : 0;
  state_ = kpa_initial_state(ready, now);
  pa_active_ = KpaPaActive::kActivating;
  pa_since_ = now;
  tick_event_ = sim_.schedule_in<&KpaController::on_tick>(config_.tick_interval, this, 0);
  scrape_event_ = sim_.schedule_in<&KpaController::on_scrape>(Duration{}, this, 0);
}

void KpaController::stop() {
  if (!tick_event_.empty()) sim_.cancel(tick_event_);
  if (!scrape_event_.empty()) sim_.cancel(scrape_event_);
  tick_event_ = scrape_event_ = engine::EventHandle{};
}

void KpaController::on_scrape(uint64_t) {
  scrape_event_ = sim_.schedule_in<&KpaController::on_scrape>(config_.scrape_interval, this, 0);
  scrape();
}

void KpaController::on_tick(uint64_t) {
  tick_event_ = sim_.schedule_in<&KpaController::on_tick>(config_.tick_interval, this, 0);
  decide();
}

bool KpaController::collect(const PodSource& src, bool only_ready, std::map<uint64_t, KpaStatBaseline>& baselines,
                            SimTime now, double& total) {
  const AppCounter counter =
      spec_.scaling_metric == KpaScalingMetric::kRps ? AppCounter::kRequestsTotal : AppCounter::kInflightSecondsTotal;
  src.list_pods(scratch_);
  next_baselines_.clear();
  bool any = false;
  for (const WorldPod& p : scratch_) {
    if (only_ready && !pod_ready(p.info)) continue;
    double v = 0;
    if (!src.read_counter(p.uid, counter, v)) continue;
    if (const auto it = baselines.find(p.uid); it != baselines.end() && it->second.t < now && v >= it->second.value) {
      total += (v - it->second.value) / (now - it->second.t).seconds_f();
      any = true;
    }
    next_baselines_[p.uid] = KpaStatBaseline{v, now};
  }
  baselines.swap(next_baselines_);
  return any;
}

void KpaController::scrape() {
  const SimTime now = sim_.now();
  double total = 0;
  bool any = collect(pods_, /*only_ready=*/true, baselines_, now, total);
  if (activator_ != nullptr) any = collect(*activator_, /*only_ready=*/false, activator_baselines_, now, total) || any;
  if (!any) return;
  stable_.record(now, total);
  panic_.record(now, total);
  if (total > 0 && last_desired_ == 0) decide();  // MultiScaler.Poke
}

double KpaController::true_concurrency() const {
  double sum = 0;
  bool any = false;
  const auto add = [&](const PodSource& src, bool only_ready) {
    src.list_pods(scratch_);
    for (const WorldPod& p : scratch_) {
      double v = 0;
      if ((!only_ready || pod_ready(p.info)) && src.read_gauge(p.uid, AppGauge::kInflight, v)) {
        sum += v;
        any = true;
      }
    }
  };
  add(pods_, true);
  if (activator_ != nullptr) add(*activator_, false);
  return any ? sum : kNaN;
}

void KpaController::set_pa(KpaPaActive s, SimTime now) {
  if (s == pa_active_) return;
  pa_active_ = s;
  pa_since_ = now;
}

void KpaController::decide() {
  const SimTime now = sim_.now();
  pods_.list_pods(listing_);
  int32_t ready = 0;
  for (const WorldPod& p : listing_) ready += pod_ready(p.info) ? 1 : 0;

  KpaScaleInput in;
  in.state = state_;
  in.ready_pods = ready;
  in.no_metric_data = stable_.is_empty(now);
  in.observed_stable_value = stable_.window_average(now);
  in.observed_panic_value = panic_.window_average(now);
  in.now = now;
  KpaScaleResult r = kpa_scale(spec_, in);
  state_ = r.state;
  const int32_t desired = r.scale_valid ? r.desired_pod_count : -1;
  last_desired_ = desired;

  const double truth = true_concurrency();
  traces_[0].points.push_back(SeenVsTruePoint{now, in.observed_stable_value, !in.no_metric_data, truth});
  traces_[1].points.push_back(SeenVsTruePoint{now, in.observed_panic_value, !in.no_metric_data, truth});

  // The scaler, with the SKS mode of the previous reconcile.
  const int32_t current = target_.scale().spec_replicas;
  KpaScalerInput s;
  s.desired_scale = desired;
  s.current_scale = current;
  s.min_scale = config_.min_scale;
  s.max_scale = config_.max_scale;
  s.initial_scale = config_.autoscaler.initial_scale;
  s.scale_target_initialized = scale_target_initialized_;
  s.pa_active = pa_active_;
  s.in_status_for = now - pa_since_;
  s.enable_scale_to_zero = config_.autoscaler.enable_scale_to_zero;
  s.target_burst_capacity = spec_.target_burst_capacity;
  s.activator_probe_ok = true;
  s.sks_proxy_mode = sks_proxy_;
  s.sks_proxy_for = sks_proxy_ ? now - sks_proxy_since_ : Duration{};
  s.stable_window = spec_.stable_window;
  s.scale_to_zero_grace_period = Duration::seconds(config_.autoscaler.scale_to_zero_grace_period_s);
  s.activation_timeout = config_.activation_timeout;
  KpaScalerDecision d = kpa_apply_scale(s);
  const int32_t want = d.desired_scale;

  if (d.patch) {
    ScalingEvent e;
    e.time = now;
    e.controller = name_;
    e.from_replicas = current;
    e.to_replicas = want;
    e.rule = (r.in_panic ? "panic; " : "stable; ") + d.reason;
    e.metrics.push_back(
        ScalingMetricValue{"stable_concurrency", in.observed_stable_value, spec_.target_value, !in.no_metric_data});
    e.metrics.push_back(
        ScalingMetricValue{"panic_concurrency", in.observed_panic_value, spec_.target_value, !in.no_metric_data});
    events_.push_back(std::move(e));
    target_.set_replicas(want);
  }

  // SKS mode (kpa.go): Proxy when want == 0, EBC < 0, or unknown want while Inactive.
  const bool proxy = want == 0 || (r.scale_valid && r.excess_burst_capacity < 0) ||
                     (want == -1 && pa_active_ == KpaPaActive::kInactive);
  if (proxy && !sks_proxy_) sks_proxy_since_ = now;
  sks_proxy_ = proxy;

  // computeActiveCondition.
  const int32_t min_ready = scale_target_initialized_ ? std::max(config_.min_scale, 1)
                                                      : std::max(config_.min_scale, config_.autoscaler.initial_scale);
  if (ready >= min_ready) scale_target_initialized_ = true;
  if (want == 0 || min_ready == 0) {
    set_pa(KpaPaActive::kInactive, now);
  } else if (ready < min_ready) {
    set_pa(want > 0 || pa_active_ != KpaPaActive::kInactive ? KpaPaActive::kActivating : KpaPaActive::kInactive, now);
  } else if (want > 0 || pa_active_ != KpaPaActive::kInactive) {
    set_pa(KpaPaActive::kActive, now);
  }
  last_ = std::move(r);
  last_scaler_ = std::move(d);
}

}  // namespace kubemind::control
