// SPDX-License-Identifier: MIT
#pragma once
// The simulated HorizontalPodAutoscaler controller: kube-controller-manager's periodic reconcile
// of one HPA, running the pure hpa_sync() inside the simulator.
//
// What is modelled (reference/autoscalers.md 1.2, 1.9; horizontal.go):
// - Loop timing: the HPA key is re-added with AddAfter(sync_period) on creation and after every
//   reconcile, so the first sync is at creation + 15 s and then every 15 s (processing takes no
//   simulated time).
// - At each sync the controller lists the pods (the informer's view, PodSource::list_pods), reads
//   the scale subresource, asks the metrics APIs for every spec.metrics entry (Resource from
//   metrics-server, Pods / Object / External through a CustomMetricsProvider), calls hpa_sync()
//   with the history it kept, and PATCHes spec.replicas when the decision rescales.
// - The recommendation and scale-event history live in the controller (lost on restart(), which
//   models a kube-controller-manager restart: the next sync starts a fresh history).
// Records: a ScalingEvent per rescale and per sync whose metrics proposed a change that was held
//   (from == to, the rule names what held it); one MetricTrace per spec.metrics entry with the
//   value the HPA saw (utilisation % for Utilization targets, else units) next to the truth.
// Invariants: spec.metrics non-empty; Resource metrics need a MetricsServer; the others a provider.
// Source: kubernetes/kubernetes pkg/controller/podautoscaler/horizontal.go (Run / worker /
//   reconcileKey / reconcileAutoscaler), metrics/client.go (resource and custom metrics clients).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/control/hpa.h"
#include "sim/control/hpa_types.h"
#include "sim/control/metrics_server.h"
#include "sim/control/metrics_source.h"
#include "sim/control/prometheus.h"
#include "sim/engine/simulator.h"

namespace kubemind::control {

/// The custom.metrics.k8s.io / external.metrics.k8s.io APIs as one HPA queries them.
class CustomMetricsProvider {
 public:
  virtual ~CustomMetricsProvider() = default;
  /// Fills `out` for spec.metrics entry `index` (Pods, Object or External) at `now`; `pods` are
  /// the pods the HPA listed at this sync. out.available = false for an API error.
  virtual void observe(size_t index, const MetricSpec& spec, const std::vector<WorldPod>& pods, SimTime now,
                       MetricObservation& out) = 0;
  /// The true value of the same metric now, in the units the HPA reports (NaN if unknown).
  virtual double truth(size_t index, const MetricSpec& spec, const std::vector<WorldPod>& pods, SimTime now) = 0;
};

/// prometheus-adapter: each spec.metrics entry is served by one configured query (its "rule").
/// Pods metrics evaluate the query's per-pod expression for every listed pod; Object and External
/// metrics evaluate the aggregate. Values become milli-quantities as int64(v * 1000)
/// (prometheus-adapter's conversion); an empty result is an API error (the HPA's clients return
/// "no metrics returned ..."). Truth: gauge queries read the live gauges; other kinds give NaN.
class PrometheusAdapter final : public CustomMetricsProvider {
 public:
  /// `rules[i]` serves spec.metrics[i] (nullopt for Resource entries).
  PrometheusAdapter(const Prometheus& prometheus, const PodSource& pods, std::vector<std::optional<PromQuery>> rules);
  void observe(size_t index, const MetricSpec& spec, const std::vector<WorldPod>& pods, SimTime now,
               MetricObservation& out) override;
  double truth(size_t index, const MetricSpec& spec, const std::vector<WorldPod>& pods, SimTime now) override;

 private:
  const Prometheus& prometheus_;
  const PodSource& pods_;
  std::vector<std::optional<PromQuery>> rules_;
};

/// The live value of a gauge query (sum or avg over `pods`), NaN for other kinds or no pods.
double live_gauge_query(const PodSource& source, const PromQuery& q, const std::vector<WorldPod>& pods);
/// The same over every target `source` lists now (`scratch` receives the listing).
double live_gauge_query(const PodSource& source, const PromQuery& q, std::vector<WorldPod>& scratch);

/// One HPA sync as recorded (for reports and tests).
struct HpaSyncRecord {
  SimTime time;
  int32_t current_replicas = 0;
  int32_t desired_replicas = 0;
  int32_t metric_desired_replicas = 0;
  bool rescale = false;
  std::string rule;
};

class HpaController {
 public:
  HpaController(engine::Simulator& sim, std::string name, HpaSpec spec, HpaControllerConfig config,
                const PodSource& pods, ScaleTarget& target, const MetricsServer* metrics_server,
                CustomMetricsProvider* custom_metrics);
  HpaController(const HpaController&) = delete;
  HpaController& operator=(const HpaController&) = delete;

  /// The HPA object is created now: the first sync runs one sync period later.
  void start();
  /// Stops the loop (the HPA is deleted).
  void stop();
  /// A kube-controller-manager restart now: the history is dropped, the next sync is one period on.
  void restart();
  /// One reconcile now (the loop calls it; public for tests).
  void sync();

  const std::string& name() const { return name_; }
  const HpaSpec& spec() const { return spec_; }
  const HpaHistory& history() const { return history_; }
  const std::optional<HpaDecision>& last_decision() const { return last_; }
  const std::vector<HpaSyncRecord>& syncs() const { return syncs_; }
  const std::vector<ScalingEvent>& events() const { return events_; }
  /// One trace per spec.metrics entry (index-aligned), then one per add_truth_gauge().
  const std::vector<MetricTrace>& traces() const { return traces_; }
  /// Also records, at every sync, the live value of a gauge query the HPA does not read (e.g. the
  /// true queue depth next to the CPU % it scales on): seen_valid = false, truth = the live value.
  void add_truth_gauge(std::string metric, const PromQuery& query, const PodSource& source);

 private:
  void on_sync(uint64_t);
  double truth_for(size_t index, SimTime now);

  engine::Simulator& sim_;
  std::string name_;
  HpaSpec spec_;
  HpaControllerConfig config_;
  const PodSource& pods_;
  ScaleTarget& target_;
  const MetricsServer* metrics_server_;
  CustomMetricsProvider* custom_metrics_;
  engine::EventHandle next_;
  HpaSyncInput input_;  // reused across syncs
  std::vector<WorldPod> listing_;
  HpaHistory history_;
  std::optional<HpaDecision> last_;
  std::vector<HpaSyncRecord> syncs_;
  std::vector<ScalingEvent> events_;
  std::vector<MetricTrace> traces_;
  struct TruthGauge {
    PromQuery query;
    const PodSource* source = nullptr;
  };
  std::vector<TruthGauge> truth_gauges_;  // traces_[spec.metrics.size() + k]
  std::vector<WorldPod> truth_scratch_;
};

/// The rule that decided an HPA sync, for reports: the ScalingLimited reason when limited, else
/// the stabilization reason when it changed the proposal, else the deciding metric's rule.
std::string hpa_decision_rule(const HpaDecision& d);

}  // namespace kubemind::control
