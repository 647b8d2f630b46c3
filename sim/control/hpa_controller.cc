// SPDX-License-Identifier: MIT
#include "sim/control/hpa_controller.h"

#include <cmath>
#include <limits>
#include <utility>

namespace kubemind::control {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

const char* trace_unit(const MetricSpec& m) {
  if (m.type == MetricSourceType::kResource) {
    if (m.target.type == MetricTargetType::kUtilization) return "percent";
    return m.resource == ResourceName::kCpu ? "cores" : "bytes";
  }
  return "units";
}

std::string trace_name(const MetricSpec& m) {
  if (m.type == MetricSourceType::kResource) return m.resource == ResourceName::kCpu ? "cpu" : "memory";
  return m.metric_name;
}

double metric_target(const MetricSpec& m) {
  switch (m.target.type) {
    case MetricTargetType::kUtilization:
      return m.target.average_utilization;
    case MetricTargetType::kValue:
      return static_cast<double>(m.target.value_milli) / 1000.0;
    case MetricTargetType::kAverageValue:
      return static_cast<double>(m.target.average_value_milli) / 1000.0;
  }
  return 0.0;
}

}  // namespace

double live_gauge_query(const PodSource& source, const PromQuery& q, const std::vector<WorldPod>& pods) {
  if (q.kind != PromQueryKind::kSumGauge && q.kind != PromQueryKind::kAvgGauge) return kNaN;
  double sum = 0;
  int64_t n = 0;
  for (const WorldPod& p : pods) {
    double v = 0;
    if (source.read_gauge(p.uid, q.gauge, v)) {
      sum += v;
      ++n;
    }
  }
  if (n == 0) return kNaN;
  return q.kind == PromQueryKind::kAvgGauge ? sum / static_cast<double>(n) : sum;
}

double live_gauge_query(const PodSource& source, const PromQuery& q, std::vector<WorldPod>& scratch) {
  source.list_pods(scratch);
  const std::vector<WorldPod>& listed = scratch;
  return live_gauge_query(source, q, listed);
}

PrometheusAdapter::PrometheusAdapter(const Prometheus& prometheus, const PodSource& pods,
                                     std::vector<std::optional<PromQuery>> rules)
    : prometheus_(prometheus), pods_(pods), rules_(std::move(rules)) {}

void PrometheusAdapter::observe(size_t index, const MetricSpec& spec, const std::vector<WorldPod>& pods, SimTime now,
                                MetricObservation& out) {
  out = MetricObservation{};
  out.timestamp = now;
  if (index >= rules_.size() || !rules_[index] || prometheus_.unavailable()) {
    out.available = false;
    return;
  }
  const PromQuery& q = *rules_[index];
  if (spec.type == MetricSourceType::kPods) {
    for (const WorldPod& p : pods) {
      if (const auto v = prometheus_.evaluate_pod(q, p.uid, now); v && std::isfinite(*v)) {
        out.pod_samples.push_back(PodMetricSample{p.info.name, static_cast<int64_t>(*v * 1000.0), now, Duration{}});
      }
    }
    out.available = !out.pod_samples.empty();
    return;
  }
  const auto v = prometheus_.evaluate(q, now);
  if (!v || !std::isfinite(*v)) {
    out.available = false;
    return;
  }
  out.values_milli.push_back(static_cast<int64_t>(*v * 1000.0));
}

double PrometheusAdapter::truth(size_t index, const MetricSpec& spec, const std::vector<WorldPod>& pods, SimTime) {
  if (index >= rules_.size() || !rules_[index]) return kNaN;
  PromQuery q = *rules_[index];
  if (spec.type == MetricSourceType::kPods && q.kind == PromQueryKind::kSumGauge) q.kind = PromQueryKind::kAvgGauge;
  return live_gauge_query(pods_, q, pods);
}

HpaController::HpaController(engine::Simulator& sim, std::string name, HpaSpec spec, HpaControllerConfig config,
                             const PodSource& pods, ScaleTarget& target, const MetricsServer* metrics_server,
                             CustomMetricsProvider* custom_metrics)
    : sim_(sim),
      name_(std::move(name)),
      spec_(std::move(spec)),
      config_(config),
      pods_(pods),
      target_(target),
      metrics_server_(metrics_server),
      custom_metrics_(custom_metrics) {
  SIM_ASSERT(!spec_.metrics.empty(), "HPA spec.metrics must be non-empty");
  for (const MetricSpec& m : spec_.metrics) {
    SIM_ASSERT(m.type != MetricSourceType::kResource || metrics_server_ != nullptr,
               "Resource metrics need a metrics-server");
    SIM_ASSERT(m.type == MetricSourceType::kResource || custom_metrics_ != nullptr, "custom metrics need a provider");
    traces_.push_back(MetricTrace{name_, trace_name(m), trace_unit(m), {}});
  }
  input_.spec = spec_;
  input_.controller = config_;
  input_.metric_values.resize(spec_.metrics.size());
}

void HpaController::add_truth_gauge(std::string metric, const PromQuery& query, const PodSource& source) {
  truth_gauges_.push_back(TruthGauge{query, &source});
  traces_.push_back(MetricTrace{name_, std::move(metric), "units", {}});
}

void HpaController::start() {
  stop();
  next_ = sim_.schedule_in<&HpaController::on_sync>(config_.sync_period, this, 0);
}

void HpaController::stop() {
  if (!next_.empty()) sim_.cancel(next_);
  next_ = engine::EventHandle{};
}

void HpaController::restart() {
  history_ = HpaHistory{};
  start();
}

void HpaController::on_sync(uint64_t) {
  next_ = sim_.schedule_in<&HpaController::on_sync>(config_.sync_period, this, 0);
  sync();
}

double HpaController::truth_for(size_t index, SimTime now) {
  const MetricSpec& m = spec_.metrics[index];
  if (m.type != MetricSourceType::kResource) return custom_metrics_->truth(index, m, listing_, now);
  double usage_milli = 0;
  double request_milli = 0;
  int64_t n = 0;
  PodResourceSample s;
  for (const WorldPod& p : listing_) {
    if (p.info.deleting || p.info.phase != PodPhase::kRunning) continue;
    if (!pods_.read_resources(p.uid, s)) continue;
    const std::optional<int64_t>& req =
        m.resource == ResourceName::kCpu ? p.info.cpu_request_milli : p.info.memory_request_milli;
    usage_milli += m.resource == ResourceName::kCpu ? s.cpu_usage_cores_now * 1000.0
                                                    : static_cast<double>(s.memory_working_set_bytes) * 1000.0;
    request_milli += req ? static_cast<double>(*req) : 0.0;
    ++n;
  }
  if (n == 0) return kNaN;
  if (m.target.type == MetricTargetType::kUtilization)
    return request_milli > 0 ? usage_milli * 100.0 / request_milli : kNaN;
  return usage_milli / 1000.0 / static_cast<double>(n);
}

void HpaController::sync() {
  const SimTime now = sim_.now();
  pods_.list_pods(listing_);
  input_.now = now;
  input_.scale = target_.scale();
  input_.pods.clear();
  for (const WorldPod& p : listing_) input_.pods.push_back(p.info);
  for (size_t i = 0; i < spec_.metrics.size(); ++i) {
    const MetricSpec& m = spec_.metrics[i];
    MetricObservation& obs = input_.metric_values[i];
    if (m.type == MetricSourceType::kResource) {
      obs = MetricObservation{};
      obs.timestamp = now;
      metrics_server_->samples_for(m.resource, listing_, obs.pod_samples);
    } else {
      custom_metrics_->observe(i, m, listing_, now, obs);
    }
  }
  input_.history = std::move(history_);
  HpaDecision d = hpa_sync(input_);
  history_ = d.history;

  // What the HPA saw, next to the truth.
  for (size_t i = 0; i < spec_.metrics.size(); ++i) {
    const MetricSpec& m = spec_.metrics[i];
    SeenVsTruePoint pt;
    pt.time = now;
    pt.truth = truth_for(i, now);
    if (m.type == MetricSourceType::kObject || m.type == MetricSourceType::kExternal) {
      const MetricObservation& obs = input_.metric_values[i];
      pt.seen_valid = obs.available && !obs.values_milli.empty();
      int64_t sum = 0;
      for (const int64_t v : obs.values_milli) sum += v;
      pt.seen = static_cast<double>(sum) / 1000.0;
    } else if (i < d.proposals.size()) {
      const MetricProposal& p = d.proposals[i];
      pt.seen_valid = p.valid;
      pt.seen = p.utilization_percent ? static_cast<double>(*p.utilization_percent)
                                      : static_cast<double>(p.value_milli) / 1000.0;
    }
    traces_[i].points.push_back(pt);
  }
  for (size_t k = 0; k < truth_gauges_.size(); ++k) {
    const double live = live_gauge_query(*truth_gauges_[k].source, truth_gauges_[k].query, truth_scratch_);
    traces_[spec_.metrics.size() + k].points.push_back(SeenVsTruePoint{now, kNaN, false, live});
  }

  const std::string rule = hpa_decision_rule(d);
  syncs_.push_back(
      HpaSyncRecord{now, d.current_replicas, d.desired_replicas, d.metric_desired_replicas, d.rescale, rule});
  const bool held = !d.rescale && d.metric_desired_replicas >= 0 && d.metric_desired_replicas != d.current_replicas &&
                    d.current_replicas != 0;
  if (d.rescale || held) {
    ScalingEvent e;
    e.time = now;
    e.controller = name_;
    e.from_replicas = d.current_replicas;
    e.to_replicas = d.rescale ? d.desired_replicas : d.current_replicas;
    e.rule = rule;
    for (size_t i = 0; i < spec_.metrics.size(); ++i) {
      const SeenVsTruePoint& pt = traces_[i].points.back();
      e.metrics.push_back(
          ScalingMetricValue{traces_[i].metric, pt.seen, metric_target(spec_.metrics[i]), pt.seen_valid});
    }
    events_.push_back(std::move(e));
  }
  if (d.rescale) target_.set_replicas(d.desired_replicas);
  last_ = std::move(d);
}

std::string hpa_decision_rule(const HpaDecision& d) {
  if (!d.error.empty() && d.metric_desired_replicas < 0) return "metrics unavailable";
  if (d.limited && !d.limit_reason.empty()) return d.limit_reason;
  if (!d.stabilization_reason.empty() && d.stabilized_replicas != d.metric_desired_replicas) {
    return d.stabilization_reason;
  }
  for (const MetricProposal& p : d.proposals) {
    if (p.valid && p.replicas == d.metric_desired_replicas && p.metric_name == d.metric_name) return p.rule;
  }
  for (const HpaCondition& c : d.conditions) {
    if (c.type == "AbleToScale" || c.type == "ScalingActive") {
      if (!c.status) return c.reason;
    }
  }
  return d.stabilization_reason.empty() ? std::string("no change") : d.stabilization_reason;
}

}  // namespace kubemind::control
