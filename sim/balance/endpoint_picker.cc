// SPDX-License-Identifier: MIT
#include "sim/balance/endpoint_picker.h"

#include <algorithm>
#include <boost/random/uniform_int_distribution.hpp>

namespace kubemind::balance {

MetricsScraper::MetricsScraper(engine::Simulator& sim, const EndpointMetricsSource& source,
                               const MetricsScraperConfig& config)
    : sim_(sim), source_(source), config_(config) {}

void MetricsScraper::start() {
  stop();
  on_scrape(0);
}

void MetricsScraper::stop() {
  sim_.cancel(next_);
  next_ = engine::EventHandle{};
}

void MetricsScraper::on_scrape(uint64_t) {
  const uint32_t n = source_.endpoint_count();
  cache_.resize(n);
  for (uint32_t id = 0; id < n; ++id) cache_[id] = source_.endpoint_metrics(id);
  last_scrape_at_ = sim_.now();
  ++scrapes_;
  next_ = sim_.schedule_in<&MetricsScraper::on_scrape>(
      engine::Duration::from_milliseconds(config_.refresh_metrics_interval_ms), this);
}

std::optional<size_t> EndpointPickerPolicy::choose(std::span<const HostView> hosts, const PickContext&, Rng& rng) {
  if (hosts.empty()) return std::nullopt;
  int64_t min_q = INT64_MAX;
  int64_t max_q = INT64_MIN;
  for (const HostView& h : hosts) {
    const int64_t q = metrics_.latest(h.id).waiting_requests;
    min_q = std::min(min_q, q);
    max_q = std::max(max_q, q);
  }
  const auto score_of = [&](const HostView& h) {
    const EndpointMetrics m = metrics_.latest(h.id);
    const double queue_score = max_q == min_q ? 1.0
                                              : static_cast<double>(max_q - m.waiting_requests) /
                                                    static_cast<double>(max_q - min_q);
    const double kv_score = 1.0 - std::clamp(m.kv_cache_utilization, 0.0, 1.0);
    return config_.queue_scorer_weight * queue_score + config_.kv_cache_scorer_weight * kv_score;
  };
  double best_score = -1.0;
  size_t best = 0;
  size_t ties = 0;
  for (size_t i = 0; i < hosts.size(); ++i) {
    const double score = score_of(hosts[i]);
    if (score > best_score) {
      best_score = score;
      best = i;
      ties = 1;
    } else if (score == best_score) {
      ++ties;
    }
  }
  if (ties == 1) return best;
  // Uniform among the tied maxima: draw a rank r and return the r-th tied host in host order.
  size_t r = boost::random::uniform_int_distribution<size_t>(0, ties - 1)(rng);
  for (size_t i = 0; i < hosts.size(); ++i) {
    if (score_of(hosts[i]) == best_score) {
      if (r == 0) return i;
      --r;
    }
  }
  return best;  // unreachable
}

}  // namespace kubemind::balance
