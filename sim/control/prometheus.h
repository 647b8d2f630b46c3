// SPDX-License-Identifier: MIT
#pragma once
// Prometheus as the autoscalers read it: a scrape loop over the target's pods storing timestamped
// samples, and the few PromQL forms autoscaler queries use, evaluated on scraped samples only (so
// a value is as old as the last scrape, and a pod that stopped exporting disappears).
//
// What is modelled (prometheus/prometheus, 3.x):
// - Scrape every `scrape_interval` (config; default 30 s = the Prometheus Operator's
//   Prometheus.spec.scrapeInterval default, which ServiceMonitor/PodMonitor endpoints without an
//   interval inherit [M: from the Operator API docs, not re-read here]; Prometheus' own
//   global.scrape_interval default is 1 m), all pods at the same
//   instant, sample timestamps truncated to milliseconds. A pod gone from the listing (or no
//   longer exporting) gets a staleness marker at the next scrape (scrape/scrape.go).
// - Instant vector selector at t: the newest sample in (t - lookback_delta, t], lookback 5 m
//   (--query.lookback-delta); none, or a staleness marker, means no series.
// - Range selector [w] at t: samples in (t - w, t] (left-open since Prometheus 3.0), staleness
//   markers dropped.
// - rate(): extrapolatedRate (promql/functions.go): at least 2 samples; counter resets add the
//   value before the reset; durationToStart/End extrapolated to the range edges when shorter than
//   1.1 x the average sample spacing, else by half the spacing; the start is clamped to the
//   counter's extrapolated zero point; result = delta * (sampled + toStart + toEnd) / sampled / w.
// - sum / avg over pods of an instant vector; empty input -> no result.
// - histogram_quantile(q, sum by (le) (rate(bucket[w]))): bucketQuantile (promql/quantile.go):
//   q < 0 -> -Inf, q > 1 -> +Inf, NaN when the last bound is not +Inf, fewer than 2 buckets or no
//   observations; rank = q * count(+Inf); the first bucket with cumulative >= rank; in the +Inf
//   bucket -> the previous upper bound; first bucket with upper bound <= 0 -> that bound; else
//   linear interpolation from the bucket's lower bound (0 for the first bucket).
// Units: SimTime in, values in the metric's units (rates per second).
// Simplifications: no target-offset hashing (one configurable phase), no native histograms, no
//   monotonicity repair of buckets, bounded in-memory retention (`retention`, enough for the
//   queries: older samples are dropped).
// Source: prometheus/prometheus promql/functions.go (extrapolatedRate), promql/quantile.go
//   (bucketQuantile), promql/engine.go (lookback); Prometheus Operator API docs (interval).

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "sim/control/metrics_source.h"
#include "sim/engine/simulator.h"

namespace kubemind::control {

struct PrometheusConfig {
  Duration scrape_interval = Duration::seconds(30);  ///< Prometheus Operator default (Prometheus itself: 1 m)
  Duration first_scrape_delay{};                     ///< phase of the first scrape after start()
  Duration lookback_delta = Duration::seconds(300);  ///< --query.lookback-delta
  Duration retention = Duration::seconds(900);       ///< in-memory only; >= every query's range
};

/// One stored sample: Prometheus timestamps are milliseconds.
struct PromSample {
  int64_t t_ms = 0;
  double value = 0.0;
  bool stale = false;  ///< a staleness marker
};

/// One (upper bound, cumulative count) of a classic histogram.
struct PromBucket {
  double upper_bound = 0.0;
  double count = 0.0;
};

/// The query forms autoscalers use.
enum class PromQueryKind : uint8_t {
  kSumGauge,           ///< sum(gauge)
  kAvgGauge,           ///< avg(gauge)
  kSumRate,            ///< sum(rate(counter[window]))
  kHistogramQuantile,  ///< histogram_quantile(q, sum by (le) (rate(bucket[window])))
};

struct PromQuery {
  PromQueryKind kind = PromQueryKind::kSumGauge;
  AppGauge gauge = AppGauge::kQueueDepth;
  AppCounter counter = AppCounter::kRequestsTotal;
  Duration window = Duration::seconds(60);
  double quantile = 0.99;
};

/// extrapolatedRate over the samples of one series inside the range (rate if `is_rate`, else
/// increase). `samples` must already be the range's content in time order, without staleness
/// markers. nullopt with fewer than two samples.
std::optional<double> prom_extrapolated_rate(std::span<const PromSample> samples, int64_t range_start_ms,
                                             int64_t range_end_ms, bool is_counter, bool is_rate);

/// bucketQuantile over buckets sorted by upper bound (cumulative counts).
double prom_bucket_quantile(double q, std::span<const PromBucket> buckets);

class Prometheus {
 public:
  Prometheus(engine::Simulator& sim, const PodSource& pods, PrometheusConfig config = {});
  Prometheus(const Prometheus&) = delete;
  Prometheus& operator=(const Prometheus&) = delete;

  void start();
  void scrape();

  /// A failing server: every query returns an error while set.
  void set_unavailable(bool unavailable) { unavailable_ = unavailable; }
  bool unavailable() const { return unavailable_; }

  /// The instant value of one pod's gauge at t.
  std::optional<double> pod_gauge(uint64_t uid, AppGauge gauge, SimTime t) const;
  /// rate(counter[window]) of one pod at t.
  std::optional<double> pod_rate(uint64_t uid, AppCounter counter, Duration window, SimTime t) const;

  /// Evaluates `q` at t over all pods' series. nullopt = an empty result (no series).
  std::optional<double> evaluate(const PromQuery& q, SimTime t) const;
  /// Evaluates the per-pod inner expression of `q` (gauge or rate) for one pod (Pods metrics
  /// through prometheus-adapter). kHistogramQuantile is evaluated on the pod's buckets alone.
  std::optional<double> evaluate_pod(const PromQuery& q, uint64_t uid, SimTime t) const;

  uint64_t scrapes() const { return scrapes_; }
  const PrometheusConfig& config() const { return config_; }
  /// The targets it scrapes.
  const PodSource& source() const { return pods_; }

 private:
  using Series = std::vector<PromSample>;
  struct PodSeries {
    std::array<Series, kAppGaugeCount> gauges;
    std::array<Series, kAppCounterCount> counters;
    std::vector<Series> buckets;  ///< one per histogram bound
    uint64_t scrape_gen = 0;      ///< the scrape that last saw the pod (1-based)
  };

  void on_scrape(uint64_t);
  static void append(Series& s, int64_t t_ms, std::optional<double> v);
  void prune(Series& s, int64_t oldest_ms) const;
  std::optional<double> instant(const Series& s, int64_t t_ms) const;
  std::optional<double> rate(const Series& s, Duration window, int64_t t_ms) const;
  std::optional<double> quantile_over(const PromQuery& q, int64_t t_ms, const PodSeries* only) const;

  engine::Simulator& sim_;
  const PodSource& pods_;
  PrometheusConfig config_;
  std::map<uint64_t, PodSeries> series_;  // by pod uid: ordered, so sums are deterministic
  std::vector<WorldPod> listing_;
  std::vector<double> histogram_scratch_;
  mutable std::vector<PromSample> range_scratch_;
  mutable std::vector<PromBucket> bucket_scratch_;
  uint64_t scrapes_ = 0;
  bool unavailable_ = false;
};

}  // namespace kubemind::control
