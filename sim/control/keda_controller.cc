// SPDX-License-Identifier: MIT
#include "sim/control/keda_controller.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace kubemind::control {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr size_t kNoTrace = std::numeric_limits<size_t>::max();

bool changes_replicas(KedaAction a) {
  return a == KedaAction::kScaleFromZeroOrIdle || a == KedaAction::kScaleToZeroOrIdle ||
         a == KedaAction::kScaleToMinReplicas || a == KedaAction::kSetPausedReplicas;
}

}  // namespace

HpaSpec KedaController::make_hpa_spec(const KedaScaledObjectSpec& spec, const std::optional<HpaBehavior>& behavior) {
  HpaSpec h;
  h.min_replicas = std::max<int32_t>(1, spec.min_replica_count);
  h.max_replicas = spec.max_replica_count;
  if (spec.paused_replicas) {
    h.min_replicas = std::max<int32_t>(1, *spec.paused_replicas);
    h.max_replicas = *h.min_replicas;
  }
  for (size_t i = 0; i < spec.triggers.size(); ++i) {
    const KedaTrigger& t = spec.triggers[i];
    MetricSpec m;
    const auto milli = static_cast<int64_t>(t.threshold * 1000.0);  // GetMetricTargetMili
    if (t.type == KedaTriggerType::kPrometheus) {
      m.type = MetricSourceType::kExternal;
      m.metric_name = keda_metric_name(t, i);
      if (t.metric_type == KedaMetricType::kValue) {
        m.target.type = MetricTargetType::kValue;
        m.target.value_milli = milli;
      } else {
        m.target.type = MetricTargetType::kAverageValue;
        m.target.average_value_milli = milli;
      }
    } else {
      m.type = MetricSourceType::kResource;
      m.resource = t.type == KedaTriggerType::kCpu ? ResourceName::kCpu : ResourceName::kMemory;
      if (t.metric_type == KedaMetricType::kUtilization) {
        m.target.type = MetricTargetType::kUtilization;
        m.target.average_utilization = static_cast<int32_t>(t.threshold);
      } else {
        m.target.type = MetricTargetType::kAverageValue;
        m.target.average_value_milli = milli;
      }
    }
    h.metrics.push_back(std::move(m));
  }
  h.behavior = behavior;
  if (spec.paused_scale_in || spec.paused_scale_out) {
    if (!h.behavior) h.behavior = HpaBehavior{};
    if (spec.paused_scale_in) h.behavior->scale_down.select_policy = SelectPolicy::kDisabled;
    if (spec.paused_scale_out) h.behavior->scale_up.select_policy = SelectPolicy::kDisabled;
  }
  return h;
}

KedaController::KedaController(engine::Simulator& sim, std::string name, KedaScaledObjectSpec spec,
                               std::vector<std::optional<PromQuery>> trigger_queries,
                               std::optional<HpaBehavior> behavior, HpaControllerConfig hpa_config,
                               const PodSource& pods, ScaleTarget& target, const Prometheus& prometheus,
                               const MetricsServer* metrics_server)
    : sim_(sim),
      name_(std::move(name)),
      spec_(std::move(spec)),
      queries_(std::move(trigger_queries)),
      target_(target),
      prometheus_(prometheus) {
  SIM_ASSERT(queries_.size() == spec_.triggers.size(), "one query slot per trigger");
  SIM_ASSERT(!spec_.triggers.empty(), "a ScaledObject has at least one trigger");
  trace_of_.assign(spec_.triggers.size(), kNoTrace);
  for (size_t i = 0; i < spec_.triggers.size(); ++i) {
    const bool prom = spec_.triggers[i].type == KedaTriggerType::kPrometheus;
    SIM_ASSERT(!prom || queries_[i].has_value(), "a Prometheus trigger needs its query");
    if (prom) {
      trace_of_[i] = traces_.size();
      traces_.push_back(MetricTrace{"keda/" + name_, keda_metric_name(spec_.triggers[i], i), "units", {}});
    }
  }
  hpa_ = std::make_unique<HpaController>(sim_, "keda-hpa-" + name_, make_hpa_spec(spec_, behavior), hpa_config, pods,
                                         target_, metrics_server, this);
  input_.spec = spec_;
}

void KedaController::start() {
  stop();
  creation_time_ = sim_.now();
  hpa_->start();
  next_ = sim_.schedule_in<&KedaController::on_poll>(Duration{}, this, 0);  // the first check runs at once
}

void KedaController::stop() {
  if (!next_.empty()) sim_.cancel(next_);
  next_ = engine::EventHandle{};
  hpa_->stop();
}

void KedaController::on_poll(uint64_t) {
  next_ = sim_.schedule_in<&KedaController::on_poll>(Duration::seconds(spec_.polling_interval_s), this, 0);
  poll();
}

void KedaController::observe_triggers(SimTime now, std::vector<KedaTriggerObservation>& out) const {
  out.assign(spec_.triggers.size(), KedaTriggerObservation{});
  for (size_t i = 0; i < spec_.triggers.size(); ++i) {
    if (!queries_[i]) continue;  // cpu/memory: never queried by KEDA
    KedaTriggerObservation& o = out[i];
    if (prometheus_.unavailable()) {
      o.error = true;
      continue;
    }
    const auto v = prometheus_.evaluate(*queries_[i], now);
    if (!v || !std::isfinite(*v)) {
      o.null_result = true;
    } else {
      o.value = *v;
    }
  }
}

double KedaController::live_truth(size_t trigger) const {
  if (!queries_[trigger]) return kNaN;
  return live_gauge_query(prometheus_.source(), *queries_[trigger], scratch_);
}

void KedaController::poll() {
  const SimTime now = sim_.now();
  input_.status = status_;
  input_.current_replicas = target_.scale().spec_replicas;
  input_.creation_time = creation_time_;
  input_.now = now;
  observe_triggers(now, input_.observations);
  KedaPollDecision d = keda_poll(input_);
  status_.last_active_time = d.last_active_time;

  for (size_t i = 0; i < spec_.triggers.size(); ++i) {
    if (trace_of_[i] == kNoTrace) continue;
    const KedaTriggerObservation& o = input_.observations[i];
    SeenVsTruePoint pt;
    pt.time = now;
    pt.seen_valid = !o.error;
    pt.seen = o.error ? kNaN : (o.null_result ? 0.0 : o.value);
    pt.truth = live_truth(i);
    traces_[trace_of_[i]].points.push_back(pt);
  }

  const bool changed = changes_replicas(d.action) && d.target_replicas != input_.current_replicas;
  const bool new_wait =
      d.action == KedaAction::kCoolingDown && (!last_poll_ || last_poll_->action != KedaAction::kCoolingDown);
  if (changed || new_wait) {
    ScalingEvent e;
    e.time = now;
    e.controller = "keda/" + name_;
    e.from_replicas = input_.current_replicas;
    e.to_replicas = changed ? d.target_replicas : input_.current_replicas;
    e.rule = std::string(to_string(d.action)) + (d.reason.empty() ? "" : ": " + d.reason);
    for (size_t i = 0; i < spec_.triggers.size(); ++i) {
      if (trace_of_[i] == kNoTrace) continue;
      const SeenVsTruePoint& pt = traces_[trace_of_[i]].points.back();
      e.metrics.push_back(ScalingMetricValue{traces_[trace_of_[i]].metric, pt.seen,
                                             spec_.triggers[i].activation_threshold, pt.seen_valid});
    }
    events_.push_back(std::move(e));
  }
  if (changed) target_.set_replicas(d.target_replicas);
  last_poll_ = std::move(d);
}

void KedaController::observe(size_t index, [[maybe_unused]] const MetricSpec& spec, const std::vector<WorldPod>&, SimTime now,
                             MetricObservation& out) {
  out = MetricObservation{};
  out.timestamp = now;
  input_.status = status_;
  input_.current_replicas = target_.scale().spec_replicas;
  input_.creation_time = creation_time_;
  input_.now = now;
  observe_triggers(now, input_.observations);
  const KedaHpaView view = keda_hpa_view(input_);
  SIM_ASSERT(index < view.metrics.size(), "HPA metric index within the triggers");
  const KedaHpaMetric& m = view.metrics[index];
  SIM_ASSERT(m.metric_name == spec.metric_name || !m.external, "HPA metric order follows the triggers");
  // Only this metric's health entry changes with this query.
  const auto by_name = [](const KedaHealthEntry& a, const KedaHealthEntry& b) { return a.metric_name < b.metric_name; };
  const auto fresh = std::find_if(view.health.begin(), view.health.end(),
                                  [&](const KedaHealthEntry& e) { return e.metric_name == m.metric_name; });
  auto old = std::find_if(status_.health.begin(), status_.health.end(),
                          [&](const KedaHealthEntry& e) { return e.metric_name == m.metric_name; });
  if (fresh != view.health.end()) {
    if (old != status_.health.end()) {
      *old = *fresh;
    } else {
      status_.health.push_back(*fresh);
      std::sort(status_.health.begin(), status_.health.end(), by_name);
    }
  }
  out.available = m.has_value;
  if (m.has_value) out.values_milli.push_back(m.value_milli);
}

double KedaController::truth(size_t index, const MetricSpec&, const std::vector<WorldPod>&, SimTime) {
  return index < queries_.size() ? live_truth(index) : kNaN;
}

}  // namespace kubemind::control
