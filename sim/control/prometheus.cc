// SPDX-License-Identifier: MIT
#include "sim/control/prometheus.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace kubemind::control {

namespace {
int64_t to_ms(SimTime t) { return t.ns / 1'000'000; }
int64_t to_ms(Duration d) { return d.ns / 1'000'000; }
}  // namespace

std::optional<double> prom_extrapolated_rate(std::span<const PromSample> samples, int64_t range_start_ms,
                                             int64_t range_end_ms, bool is_counter, bool is_rate) {
  if (samples.size() < 2) return std::nullopt;
  const size_t n_minus_one = samples.size() - 1;
  const int64_t first_t = samples.front().t_ms;
  const int64_t last_t = samples.back().t_ms;
  double result = samples.back().value - samples.front().value;
  if (is_counter) {
    for (size_t i = 1; i < samples.size(); ++i) {
      if (samples[i].value < samples[i - 1].value) result += samples[i - 1].value;  // a reset
    }
  }
  double duration_to_start = static_cast<double>(first_t - range_start_ms) / 1000.0;
  double duration_to_end = static_cast<double>(range_end_ms - last_t) / 1000.0;
  const double sampled_interval = static_cast<double>(last_t - first_t) / 1000.0;
  const double average_between = sampled_interval / static_cast<double>(n_minus_one);
  const double threshold = average_between * 1.1;
  if (duration_to_start >= threshold) duration_to_start = average_between / 2;
  if (is_counter) {
    double duration_to_zero = duration_to_start;
    if (result > 0 && samples.front().value >= 0)
      duration_to_zero = sampled_interval * (samples.front().value / result);
    if (duration_to_zero < duration_to_start) duration_to_start = duration_to_zero;
  }
  if (duration_to_end >= threshold) duration_to_end = average_between / 2;
  double factor = (sampled_interval + duration_to_start + duration_to_end) / sampled_interval;
  if (is_rate) factor /= static_cast<double>(range_end_ms - range_start_ms) / 1000.0;
  return result * factor;
}

double prom_bucket_quantile(double q, std::span<const PromBucket> buckets) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (std::isnan(q)) return nan;
  if (q < 0) return -std::numeric_limits<double>::infinity();
  if (q > 1) return std::numeric_limits<double>::infinity();
  if (buckets.size() < 2) return nan;
  if (!std::isinf(buckets.back().upper_bound)) return nan;
  const double observations = buckets.back().count;
  if (observations == 0) return nan;
  const double rank = q * observations;
  // sort.Search over all but the +Inf bucket: the first with count >= rank.
  size_t b = 0;
  while (b < buckets.size() - 1 && buckets[b].count < rank) ++b;
  if (b == buckets.size() - 1) return buckets[buckets.size() - 2].upper_bound;
  if (b == 0 && buckets[0].upper_bound <= 0) return buckets[0].upper_bound;
  double bucket_start = 0;
  const double bucket_end = buckets[b].upper_bound;
  double count = buckets[b].count;
  double r = rank;
  if (b > 0) {
    bucket_start = buckets[b - 1].upper_bound;
    count -= buckets[b - 1].count;
    r -= buckets[b - 1].count;
  }
  return bucket_start + (bucket_end - bucket_start) * (r / count);
}

Prometheus::Prometheus(engine::Simulator& sim, const PodSource& pods, PrometheusConfig config)
    : sim_(sim), pods_(pods), config_(config) {
  SIM_ASSERT(config_.scrape_interval.ns > 0, "scrape_interval must be positive");
  SIM_ASSERT(config_.retention >= config_.lookback_delta, "retention must cover the lookback");
}

void Prometheus::start() { sim_.schedule_in<&Prometheus::on_scrape>(config_.first_scrape_delay, this, 0); }

void Prometheus::on_scrape(uint64_t) {
  scrape();
  sim_.schedule_in<&Prometheus::on_scrape>(config_.scrape_interval, this, 0);
}

void Prometheus::append(Series& s, int64_t t_ms, std::optional<double> v) {
  if (v) {
    s.push_back(PromSample{t_ms, *v, false});
  } else if (!s.empty() && !s.back().stale) {
    s.push_back(PromSample{t_ms, 0.0, true});  // the series vanished from the scrape
  }
}

void Prometheus::prune(Series& s, int64_t oldest_ms) const {
  size_t k = 0;
  while (k < s.size() && s[k].t_ms <= oldest_ms) ++k;
  if (k > 0) s.erase(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(k));
}

void Prometheus::scrape() {
  const int64_t now_ms = to_ms(sim_.now());
  const int64_t oldest_ms = now_ms - to_ms(config_.retention);
  pods_.list_pods(listing_);
  const std::span<const double> bounds = pods_.histogram_bounds_s();
  histogram_scratch_.resize(bounds.size());
  const uint64_t gen = scrapes_ + 1;
  // Pods scraped now (listing order is irrelevant: the store is keyed by uid).
  for (const WorldPod& pod : listing_) {
    PodSeries& ps = series_[pod.uid];
    if (ps.scrape_gen == gen) continue;  // listed twice: one scrape per target
    ps.scrape_gen = gen;
    for (size_t g = 0; g < kAppGaugeCount; ++g) {
      double v = 0;
      append(ps.gauges[g], now_ms,
             pods_.read_gauge(pod.uid, static_cast<AppGauge>(g), v) ? std::optional<double>(v) : std::nullopt);
    }
    for (size_t c = 0; c < kAppCounterCount; ++c) {
      double v = 0;
      append(ps.counters[c], now_ms,
             pods_.read_counter(pod.uid, static_cast<AppCounter>(c), v) ? std::optional<double>(v) : std::nullopt);
    }
    ps.buckets.resize(bounds.size());
    const bool has_hist = !bounds.empty() && pods_.read_histogram(pod.uid, histogram_scratch_);
    for (size_t b = 0; b < bounds.size(); ++b) {
      append(ps.buckets[b], now_ms, has_hist ? std::optional<double>(histogram_scratch_[b]) : std::nullopt);
    }
  }
  // Pods not in the listing: staleness markers; drop old data.
  for (auto it = series_.begin(); it != series_.end();) {
    PodSeries& ps = it->second;
    if (ps.scrape_gen != gen) {
      for (Series& s : ps.gauges) append(s, now_ms, std::nullopt);
      for (Series& s : ps.counters) append(s, now_ms, std::nullopt);
      for (Series& s : ps.buckets) append(s, now_ms, std::nullopt);
    }
    bool any = false;
    for (Series& s : ps.gauges) {
      prune(s, oldest_ms);
      any = any || !s.empty();
    }
    for (Series& s : ps.counters) {
      prune(s, oldest_ms);
      any = any || !s.empty();
    }
    for (Series& s : ps.buckets) {
      prune(s, oldest_ms);
      any = any || !s.empty();
    }
    if (!any && ps.scrape_gen != gen) {
      it = series_.erase(it);
    } else {
      ++it;
    }
  }
  ++scrapes_;
}

std::optional<double> Prometheus::instant(const Series& s, int64_t t_ms) const {
  // The newest sample with t in (t - lookback, t].
  const int64_t from_ms = t_ms - to_ms(config_.lookback_delta);
  for (auto it = s.rbegin(); it != s.rend(); ++it) {
    if (it->t_ms > t_ms) continue;
    if (it->t_ms <= from_ms || it->stale) return std::nullopt;
    return it->value;
  }
  return std::nullopt;
}

std::optional<double> Prometheus::rate(const Series& s, Duration window, int64_t t_ms) const {
  const int64_t start_ms = t_ms - to_ms(window);
  range_scratch_.clear();
  for (const PromSample& p : s) {
    if (p.t_ms > start_ms && p.t_ms <= t_ms && !p.stale) range_scratch_.push_back(p);
  }
  return prom_extrapolated_rate(range_scratch_, start_ms, t_ms, /*is_counter=*/true, /*is_rate=*/true);
}

std::optional<double> Prometheus::pod_gauge(uint64_t uid, AppGauge gauge, SimTime t) const {
  const auto it = series_.find(uid);
  if (it == series_.end()) return std::nullopt;
  return instant(it->second.gauges[static_cast<size_t>(gauge)], to_ms(t));
}

std::optional<double> Prometheus::pod_rate(uint64_t uid, AppCounter counter, Duration window, SimTime t) const {
  const auto it = series_.find(uid);
  if (it == series_.end()) return std::nullopt;
  return rate(it->second.counters[static_cast<size_t>(counter)], window, to_ms(t));
}

std::optional<double> Prometheus::quantile_over(const PromQuery& q, int64_t t_ms, const PodSeries* only) const {
  const std::span<const double> bounds = pods_.histogram_bounds_s();
  if (bounds.empty()) return std::nullopt;
  bucket_scratch_.assign(bounds.size(), PromBucket{});
  bool any = false;
  for (size_t b = 0; b < bounds.size(); ++b) {
    bucket_scratch_[b].upper_bound = bounds[b];
    auto add = [&](const PodSeries& ps) {
      if (b >= ps.buckets.size()) return;
      if (const auto r = rate(ps.buckets[b], q.window, t_ms)) {
        bucket_scratch_[b].count += *r;
        any = true;
      }
    };
    if (only != nullptr) {
      add(*only);
    } else {
      for (const auto& [uid, ps] : series_) add(ps);
    }
  }
  if (!any) return std::nullopt;
  return prom_bucket_quantile(q.quantile, bucket_scratch_);
}

std::optional<double> Prometheus::evaluate(const PromQuery& q, SimTime t) const {
  const int64_t t_ms = to_ms(t);
  if (q.kind == PromQueryKind::kHistogramQuantile) return quantile_over(q, t_ms, nullptr);
  double sum = 0;
  int64_t n = 0;
  for (const auto& [uid, ps] : series_) {
    std::optional<double> v;
    if (q.kind == PromQueryKind::kSumRate) {
      v = rate(ps.counters[static_cast<size_t>(q.counter)], q.window, t_ms);
    } else {
      v = instant(ps.gauges[static_cast<size_t>(q.gauge)], t_ms);
    }
    if (v) {
      sum += *v;
      ++n;
    }
  }
  if (n == 0) return std::nullopt;
  return q.kind == PromQueryKind::kAvgGauge ? sum / static_cast<double>(n) : sum;
}

std::optional<double> Prometheus::evaluate_pod(const PromQuery& q, uint64_t uid, SimTime t) const {
  const auto it = series_.find(uid);
  if (it == series_.end()) return std::nullopt;
  const int64_t t_ms = to_ms(t);
  switch (q.kind) {
    case PromQueryKind::kSumRate:
      return rate(it->second.counters[static_cast<size_t>(q.counter)], q.window, t_ms);
    case PromQueryKind::kHistogramQuantile:
      return quantile_over(q, t_ms, &it->second);
    case PromQueryKind::kSumGauge:
    case PromQueryKind::kAvgGauge:
      return instant(it->second.gauges[static_cast<size_t>(q.gauge)], t_ms);
  }
  return std::nullopt;
}

}  // namespace kubemind::control
