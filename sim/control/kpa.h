// SPDX-License-Identifier: MIT
#pragma once
// Knative Pod Autoscaler (KPA): the decider of knative/serving, as a pure function over plain
// structs, plus the windowed averages it reads.
//
// What is modelled:
// - config-autoscaler defaults (pkg/autoscaler/config/config.go) and the target resolution
//   (pkg/reconciler/autoscaling/resources/target.go): total = containerConcurrency, or 100 when 0
//   (RPS: 200); a `target` annotation replaces total (capped by containerConcurrency when set);
//   target = max(0.01, total * utilisation), utilisation 0.7 by default (TargetMin 0.01 as in the
//   newest target.go read; autoscalers.md 3.2 says max(1, ...): it differs only below 1).
// - The decider, autoscaler.go Scale(now): rate limits maxUp = ceil(maxScaleUpRate * rp) and
//   maxDown = reachable ? floor(rp / maxScaleDownRate) : 0 with rp = max(1, ready pods);
//   dspc = ceil(stable / target), dppc = ceil(panic / target), each clamped to [maxDown, maxUp];
//   activation scale raises non-zero counts; panic when dppc / rp >= panic threshold (entered or
//   extended at `now`), left only when not over and panicTime + stableWindow is strictly before
//   now; in panic the desired count is max(stable, panic) and never below the panic maximum;
//   optional scale-down delay = max over the last delay of recorded desired counts in 2 s buckets
//   (aggregation/max); excess burst capacity EBC = floor(ready * total - TBC - panic) (0 when
//   TBC = 0, -1 when TBC = -1) and the number of activators.
// - A decider created while more than one pod is ready starts in panic with maxPanicPods = ready.
// - Windowed averages (aggregation/bucketing.go TimedFloat64Buckets): a ring of 1 s buckets over
//   the window, averaged over the buckets that hold data since the first write (partial windows
//   at start and after a silence), missing buckets inside the data span count as 0, result
//   floored to 6 decimals; late writes land in their own bucket unless a window or more old.
// - The scaler that applies the decider's number (pkg/reconciler/autoscaling/kpa/scaler.go, newest
//   stored version): -1 (no metrics yet) is ignored unless the PA is activating; bounds
//   [min, max] (max 0 = unbounded) with min raised to initial-scale until the target was first
//   initialised; then handleScaleToZero: scale-to-zero disabled -> 1; activating -> hold (-1)
//   until the activation timeout (progress deadline 600 s + 10 s) is strictly exceeded; active ->
//   keep 1 until active for a stable window, then report 0 without applying it (the PA goes
//   inactive); inactive -> 0 once the activator is in the path and the PA has been inactive for
//   max(grace 30 s, pod retention), or the SKS has proxied for the grace period.
// Units: times engine::SimTime/Duration (ns); concurrency in requests, RPS in requests/s.
// Simplifications: config values in the decider spec are the resolved numbers; the activator
//   probe and the SKS mode are inputs; re-enqueue delays are reported, not scheduled.
// Source: /work/shared/reference/autoscalers.md section 3, knative/serving
//   pkg/autoscaler/scaling/autoscaler.go and autoscaler_test.go.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/engine/time.h"

namespace kubemind::control {

enum class KpaScalingMetric : uint8_t { kConcurrency, kRps };

/// config-autoscaler (ConfigMap keys in comments); defaults are Knative's.
struct KpaConfig {
  double container_concurrency_target_percentage = 70.0;  ///< container-concurrency-target-percentage
  double container_concurrency_target_default = 100.0;    ///< container-concurrency-target-default
  double requests_per_second_target_default = 200.0;      ///< requests-per-second-target-default
  double target_burst_capacity = 200.0;                   ///< target-burst-capacity (0: off, -1: unlimited)
  double activator_capacity = 100.0;                      ///< activator-capacity
  double max_scale_up_rate = 1000.0;                      ///< max-scale-up-rate
  double max_scale_down_rate = 2.0;                       ///< max-scale-down-rate
  double panic_window_percentage = 10.0;                  ///< panic-window-percentage
  double panic_threshold_percentage = 200.0;              ///< panic-threshold-percentage
  int64_t stable_window_s = 60;                           ///< stable-window
  int64_t scale_to_zero_grace_period_s = 30;              ///< scale-to-zero-grace-period
  int64_t scale_down_delay_s = 0;                         ///< scale-down-delay
  int32_t initial_scale = 1;                              ///< initial-scale
  bool allow_zero_initial_scale = false;                  ///< allow-zero-initial-scale
  bool enable_scale_to_zero = true;                       ///< enable-scale-to-zero
};

/// The revision's own knobs (spec.containerConcurrency and autoscaling.knative.dev/* annotations).
struct KpaRevision {
  KpaScalingMetric metric = KpaScalingMetric::kConcurrency;  ///< autoscaling.knative.dev/metric
  int32_t container_concurrency = 0;                         ///< 0 = unlimited
  std::optional<double> target;                              ///< autoscaling.knative.dev/target
  std::optional<double> target_utilization_percentage;       ///< .../target-utilization-percentage
  int32_t activation_scale = 1;                              ///< .../activation-scale
};

/// The decider's spec (DeciderSpec in autoscaler.go), resolved numbers.
struct KpaDeciderSpec {
  KpaScalingMetric scaling_metric = KpaScalingMetric::kConcurrency;
  double target_value = 70.0;  ///< per-pod target of the metric
  double total_value = 100.0;  ///< per-pod capacity of the metric
  double target_burst_capacity = 200.0;
  double activator_capacity = 100.0;
  double panic_threshold = 2.0;  ///< a ratio (percentage / 100)
  double max_scale_up_rate = 1000.0;
  double max_scale_down_rate = 2.0;
  engine::Duration stable_window = engine::Duration::seconds(60);
  engine::Duration scale_down_delay{};
  int32_t activation_scale = 1;
  bool reachable = true;  ///< false: the revision gets no traffic, maxDown = 0
};

/// The decider's target from config + revision (ResolveMetricTarget and MakeDecider).
KpaDeciderSpec kpa_decider_spec(const KpaConfig& config, const KpaRevision& revision);
/// panic window = stable window * panic-window-percentage / 100 (6 s by default).
engine::Duration kpa_panic_window(const KpaConfig& config);

/// One entry of the scale-down delay window (aggregation/max): bucket index = unix seconds / 2.
struct KpaDelayEntry {
  int64_t index = 0;
  int32_t value = 0;
};

/// The decider's memory between two Scale() calls.
struct KpaDeciderState {
  std::optional<engine::SimTime> panic_time;  ///< set while in panic
  int32_t max_panic_pods = 0;
  std::vector<KpaDelayEntry> delay_window;  ///< descending maxima, oldest first
};

/// newAutoscaler: a decider created with more than one ready pod starts in panic.
KpaDeciderState kpa_initial_state(int32_t ready_pods, engine::SimTime now);

/// What Scale(now) reads.
struct KpaScaleInput {
  KpaDeciderState state;
  int32_t ready_pods = 0;
  bool ready_count_error = false;      ///< the pod counter failed (not NotFound): invalid result
  bool no_metric_data = false;         ///< metrics.ErrNoData or any metric error: invalid result
  double observed_stable_value = 0.0;  ///< stable-window average (concurrency or RPS)
  double observed_panic_value = 0.0;   ///< panic-window average
  engine::SimTime now;
};

/// Scale(now)'s result, with the intermediate numbers kept for inspection.
struct KpaScaleResult {
  bool scale_valid = false;
  int32_t desired_pod_count = 0;
  int32_t excess_burst_capacity = 0;
  int32_t num_activators = 2;  ///< MinActivators
  bool in_panic = false;
  std::string reason;
  double max_scale_up = 0.0;
  double max_scale_down = 0.0;
  double desired_stable_raw = 0.0;  ///< dspc = ceil(stable / target)
  double desired_panic_raw = 0.0;   ///< dppc = ceil(panic / target)
  int32_t desired_stable = 0;       ///< clamped (and activation-scaled)
  int32_t desired_panic = 0;
  KpaDeciderState state;  ///< the state after this call
};

inline constexpr int32_t kKpaMinActivators = 2;
/// multiscaler tickInterval: the decider runs every 2 s; also the delay-window bucket width.
inline constexpr int64_t kKpaTickIntervalS = 2;

/// The decider.
KpaScaleResult kpa_scale(const KpaDeciderSpec& spec, const KpaScaleInput& in);

/// The PodAutoscaler's Active condition.
enum class KpaPaActive : uint8_t { kActivating /*Unknown*/, kActive /*True*/, kInactive /*False*/ };

/// What the scaler reads when it applies a desired scale.
struct KpaScalerInput {
  int32_t desired_scale = -1;            ///< the decider's DesiredScale; -1 = no metrics yet
  int32_t current_scale = 1;             ///< the Deployment's spec.replicas (nil counts as 1)
  int32_t min_scale = 0;                 ///< autoscaling.knative.dev/min-scale
  int32_t max_scale = 0;                 ///< autoscaling.knative.dev/max-scale, 0 = unbounded
  int32_t initial_scale = 1;             ///< GetInitialScale (initial-scale, or the annotation)
  bool scale_target_initialized = true;  ///< the PA's ScaleTargetInitialized condition
  KpaPaActive pa_active = KpaPaActive::kActivating;
  engine::Duration in_status_for{};  ///< now - the Active condition's lastTransitionTime
  bool enable_scale_to_zero = true;
  double target_burst_capacity = 200.0;  ///< -1: the activator is always in the path, no probe
  bool activator_probe_ok = true;        ///< the probe reached the activator through the SKS
  bool sks_proxy_mode = false;           ///< the SKS spec mode is Proxy
  engine::Duration sks_proxy_for{};      ///< how long the SKS has been in proxy mode
  engine::Duration stable_window = engine::Duration::seconds(60);
  engine::Duration scale_to_zero_grace_period = engine::Duration::seconds(30);
  engine::Duration scale_to_zero_pod_retention_period{};
  engine::Duration activation_timeout = engine::Duration::seconds(600 + 10);  ///< progress deadline + buffer
};

/// The scaler's decision.
struct KpaScalerDecision {
  int32_t desired_scale = -1;                     ///< the scale returned (may be -1: unknown)
  bool apply = false;                             ///< handleScaleToZero's "should apply"
  bool patch = false;                             ///< a /spec/replicas patch is sent (apply and desired != current)
  std::optional<engine::Duration> requeue_after;  ///< the PA is re-enqueued after this
  bool async_probe = false;                       ///< an asynchronous activator probe is started
  std::string reason;
};

/// scaler.scale(): bounds, initial scale, and the scale-to-zero gate.
KpaScalerDecision kpa_apply_scale(const KpaScalerInput& in);

/// TimedFloat64Buckets: per-granularity sums over a sliding window, as the KPA metric collector
/// keeps them (one per revision and window; the collector records each pod's average
/// concurrency of the scrape, so a bucket holds the revision's total). Fixed memory.
class KpaWindowBuckets {
 public:
  KpaWindowBuckets(engine::Duration window, engine::Duration granularity = engine::Duration::seconds(1));

  /// Adds `value` to the bucket of `now` (clearing buckets skipped since the last write; a value
  /// for a time earlier than the last write goes to its bucket, or is dropped if a window old).
  void record(engine::SimTime now, double value);
  /// WindowAverage(now).
  double window_average(engine::SimTime now) const;
  /// IsEmpty(now): no write within the window.
  bool is_empty(engine::SimTime now) const;

 private:
  int64_t truncate(engine::SimTime t) const { return floor_div(t.ns, granularity_ns_) * granularity_ns_; }
  int64_t index_of(int64_t truncated_ns) const { return floor_div(truncated_ns, granularity_ns_); }
  static int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0); }
  size_t slot(int64_t index) const {
    const int64_t n = static_cast<int64_t>(buckets_.size());
    return static_cast<size_t>(((index % n) + n) % n);
  }

  std::vector<double> buckets_;
  int64_t window_ns_;
  int64_t granularity_ns_;
  bool written_ = false;
  int64_t first_write_ns_ = 0;
  int64_t last_write_ns_ = 0;
  double window_total_ = 0.0;
};

}  // namespace kubemind::control
