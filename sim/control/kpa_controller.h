// SPDX-License-Identifier: MIT
#pragma once
// The simulated Knative Pod Autoscaler for one revision: the metric collector, the 2 s decider
// tick, the scaler and the PodAutoscaler's Active condition, running the pure kpa_scale() and
// kpa_apply_scale() inside the simulator.
//
// What is modelled (reference/autoscalers.md 3.1-3.4; knative/serving pkg/autoscaler/metrics
// collector.go, pkg/autoscaler/scaling/multiscaler.go, pkg/reconciler/autoscaling/kpa/kpa.go):
// - Collector: every scrape_interval (1 s, scrapeTickInterval) each Ready pod's queue-proxy
//   reports its average concurrency since its last report = delta(inflight_seconds_total) /
//   delta(t) (or requests_total for the RPS metric); a pod's first report only sets its baseline.
//   The revision's total, plus the activator's own stat (what it buffers or proxies), is recorded
//   in the stable-window and panic-window buckets (KpaWindowBuckets).
// - Decider: every 2 s (tickInterval) kpa_scale() with the ready pod count; no data in the stable
//   window -> invalid (desired -1). A stat with non-zero concurrency while the last desired scale is
//   0 pokes the decider at once (MultiScaler.Poke).
// - Scaler + PA reconcile after each decision: kpa_apply_scale(); a patch sets spec.replicas; then
//   computeActiveCondition with want = the scaler's desired and minReady = max(min-scale, 1) (or
//   the initial scale until the target was first initialised): want 0 -> Inactive; ready <
//   minReady -> Activating unless Inactive with want <= 0; ready >= minReady -> Active unless
//   Inactive with want <= 0.
// - SKS mode: Proxy (activator in the path) while the PA is Inactive or the decider's excess burst
//   capacity is negative, Serve otherwise; the scaler reads how long it has been in Proxy.
// Records: a ScalingEvent per patch (rule = the scaler's reason, metrics = stable and panic
//   averages); MetricTraces "stable_concurrency" (the stable-window average the decider saw) and
//   "panic_concurrency", next to the true total in-flight requests (inflight gauges + activator).
// Tie rule: a decider tick and a scrape at the same instant run tick first (scheduled earlier).
// Simplifications: every ready pod is scraped (no sampling of large revisions); the activator
//   probe always succeeds; re-enqueue delays are not scheduled (the 2 s tick re-evaluates);
//   concurrency only from the counters (RPS uses requests_total the same way).
// Source: the files named above, sim/control/kpa.h.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/control/kpa.h"
#include "sim/control/metrics_source.h"
#include "sim/engine/simulator.h"

namespace kubemind::control {

/// A target's last report of its stat counter.
struct KpaStatBaseline {
  double value = 0.0;
  SimTime t;
};

/// The revision's scaling bounds and the collector's timing.
struct KpaControllerConfig {
  KpaConfig autoscaler;                                           ///< config-autoscaler
  KpaRevision revision;                                           ///< the revision's annotations
  int32_t min_scale = 0;                                          ///< autoscaling.knative.dev/min-scale
  int32_t max_scale = 0;                                          ///< autoscaling.knative.dev/max-scale (0 = unbounded)
  Duration scrape_interval = Duration::seconds(1);                ///< scrapeTickInterval
  Duration tick_interval = Duration::seconds(kKpaTickIntervalS);  ///< multiscaler tickInterval
  Duration activation_timeout = Duration::seconds(600 + 10);      ///< progress deadline + buffer
};

class KpaController {
 public:
  /// `activator` (optional) exports the activator's stat for this revision as the same counter.
  KpaController(engine::Simulator& sim, std::string name, KpaControllerConfig config, const PodSource& pods,
                ScaleTarget& target, const PodSource* activator);
  KpaController(const KpaController&) = delete;
  KpaController& operator=(const KpaController&) = delete;

  /// The PodAutoscaler is created now (Active condition Unknown = activating).
  void start();
  void stop();
  void scrape();
  /// One decider tick plus the scaler and the PA reconcile.
  void decide();

  KpaPaActive pa_active() const { return pa_active_; }
  const KpaDeciderSpec& decider_spec() const { return spec_; }
  const std::optional<KpaScaleResult>& last_decision() const { return last_; }
  const std::optional<KpaScalerDecision>& last_scaler() const { return last_scaler_; }
  const std::vector<ScalingEvent>& events() const { return events_; }
  const std::vector<MetricTrace>& traces() const { return traces_; }

 private:
  void on_scrape(uint64_t);
  void on_tick(uint64_t);
  /// Adds every ready target's average since its last report to `total`; true if any reported.
  bool collect(const PodSource& src, bool only_ready, std::map<uint64_t, KpaStatBaseline>& baselines, SimTime now,
               double& total);
  double true_concurrency() const;
  void set_pa(KpaPaActive s, SimTime now);

  engine::Simulator& sim_;
  std::string name_;
  KpaControllerConfig config_;
  const PodSource& pods_;
  ScaleTarget& target_;
  const PodSource* activator_;
  KpaDeciderSpec spec_;
  KpaWindowBuckets stable_;
  KpaWindowBuckets panic_;
  KpaDeciderState state_;
  bool state_initialised_ = false;
  std::map<uint64_t, KpaStatBaseline> baselines_;  // pod uid -> last report
  std::map<uint64_t, KpaStatBaseline> activator_baselines_;
  std::map<uint64_t, KpaStatBaseline> next_baselines_;
  std::vector<WorldPod> listing_;
  mutable std::vector<WorldPod> scratch_;
  engine::EventHandle scrape_event_;
  engine::EventHandle tick_event_;
  int32_t last_desired_ = -1;
  KpaPaActive pa_active_ = KpaPaActive::kActivating;
  SimTime pa_since_;
  bool scale_target_initialized_ = false;
  bool sks_proxy_ = false;
  SimTime sks_proxy_since_;
  std::optional<KpaScaleResult> last_;
  std::optional<KpaScalerDecision> last_scaler_;
  std::vector<ScalingEvent> events_;
  std::vector<MetricTrace> traces_;
};

}  // namespace kubemind::control
