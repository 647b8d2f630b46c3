// SPDX-License-Identifier: MIT
#pragma once
// The simulated KEDA ScaledObject: the operator's scale loop, the HPA it creates, and the metrics
// adapter that serves that HPA's external metrics, running the pure keda_poll() / keda_hpa_view()
// and hpa_sync() inside the simulator.
//
// What is modelled (reference/autoscalers.md 2.1-2.4, 2.7; kedacore/keda
// pkg/scaling/scale_handler.go startScaleLoop / checkScalers, pkg/provider, pkg/fallback):
// - start() = the ScaledObject is created: creation time = now, the scale loop's first check runs
//   immediately, then every pollingInterval; each check queries every Prometheus trigger on the
//   Prometheus model at that instant and applies the executor's decision (0 <-> 1, idle, min,
//   paused) through the scale target.
// - The HPA "keda-hpa-<name>" is created at the same instant (its first sync is 15 s later):
//   min = max(1, minReplicaCount) (paused-replicas N: min = max = max(1, N)), max =
//   maxReplicaCount, one External metric "s<i>-<type>" per Prometheus trigger with target
//   int64(threshold * 1000) milli (AverageValue unless metricType Value), cpu/memory triggers as
//   Resource metrics from metrics-server; behavior passed through verbatim (nil -> the legacy
//   path); paused-scale-in / -out set scaleDown / scaleUp selectPolicy Disabled.
// - At each HPA sync the adapter queries the trigger live (useCachedMetrics off) and answers with
//   GetMetricsWithFallback's value, updating status.health for that metric only.
// Records: ScalingEvents for every replica change the operator makes and for the first poll of
//   each cooldown wait (from == to); one MetricTrace per Prometheus trigger with the value each
//   poll saw next to the live truth of the same query (gauge queries; NaN otherwise); the HPA's
//   own events and traces via hpa().
// Tie rule: the HPA and the scale loop both start at creation, so every 30 s a poll and an HPA
//   sync fall on the same instant; the poll runs first (the engine runs same-time events in the
//   order they were scheduled, and the poll at t is scheduled 30 s before, the sync 15 s before),
//   and the sync reads the scale the poll just set, as the HPA's live GET of /scale would.
// Simplifications: triggers keep their spec order in the HPA (KEDA sorts metrics by type, which
//   does not change a max); one Prometheus server for all triggers; no scalingModifiers.
// Source: the files named above and sim/control/keda.h.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/control/hpa_controller.h"
#include "sim/control/keda.h"
#include "sim/control/metrics_server.h"
#include "sim/control/metrics_source.h"
#include "sim/control/prometheus.h"
#include "sim/engine/simulator.h"

namespace kubemind::control {

class KedaController final : public CustomMetricsProvider {
 public:
  /// `trigger_queries[i]` is trigger i's Prometheus query (nullopt for cpu/memory triggers).
  /// `pods` are the scale target's pods (the HPA's informer view and metrics-server's targets);
  /// `prometheus` may scrape other targets (e.g. a gateway that queues while at zero).
  KedaController(engine::Simulator& sim, std::string name, KedaScaledObjectSpec spec,
                 std::vector<std::optional<PromQuery>> trigger_queries, std::optional<HpaBehavior> behavior,
                 HpaControllerConfig hpa_config, const PodSource& pods, ScaleTarget& target,
                 const Prometheus& prometheus, const MetricsServer* metrics_server);
  KedaController(const KedaController&) = delete;
  KedaController& operator=(const KedaController&) = delete;

  /// The ScaledObject is created now.
  void start();
  void stop();
  /// One check of the scale loop now (the loop calls it; public for tests).
  void poll();

  // CustomMetricsProvider: the KEDA metrics adapter answering the HPA.
  void observe(size_t index, const MetricSpec& spec, const std::vector<WorldPod>& pods, SimTime now,
               MetricObservation& out) override;
  double truth(size_t index, const MetricSpec& spec, const std::vector<WorldPod>& pods, SimTime now) override;

  const KedaStatus& status() const { return status_; }
  const std::optional<KedaPollDecision>& last_poll() const { return last_poll_; }
  HpaController& hpa() { return *hpa_; }
  const HpaController& hpa() const { return *hpa_; }
  const std::vector<ScalingEvent>& events() const { return events_; }
  const std::vector<MetricTrace>& traces() const { return traces_; }
  /// The HPA spec KEDA created (for inspection).
  static HpaSpec make_hpa_spec(const KedaScaledObjectSpec& spec, const std::optional<HpaBehavior>& behavior);

 private:
  void on_poll(uint64_t);
  void observe_triggers(SimTime now, std::vector<KedaTriggerObservation>& out) const;
  double live_truth(size_t trigger) const;

  engine::Simulator& sim_;
  std::string name_;
  KedaScaledObjectSpec spec_;
  std::vector<std::optional<PromQuery>> queries_;
  ScaleTarget& target_;
  const Prometheus& prometheus_;
  std::unique_ptr<HpaController> hpa_;
  engine::EventHandle next_;
  SimTime creation_time_;
  KedaStatus status_;
  KedaEvalInput input_;  // reused
  std::optional<KedaPollDecision> last_poll_;
  std::vector<ScalingEvent> events_;
  std::vector<MetricTrace> traces_;  // one per Prometheus trigger
  std::vector<size_t> trace_of_;     // trigger index -> trace index (SIZE_MAX if none)
  mutable std::vector<WorldPod> scratch_;
};

}  // namespace kubemind::control
