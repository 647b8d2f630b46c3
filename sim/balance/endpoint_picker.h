// SPDX-License-Identifier: MIT
#pragma once
// A queue-aware endpoint picker in the manner of the Gateway API Inference Extension's EPP
// (kubernetes-sigs/gateway-api-inference-extension, pkg/epp/scheduling; reference dataplane.md
// section 5), used as a proxy LB policy.
//
// What is modelled
// - MetricsScraper: the EPP's metrics refresh. Every refresh interval (RefreshMetricsInterval, default
//   50 ms) it copies each endpoint's waiting-queue length (vllm:num_requests_waiting) and KV-cache
//   utilisation (vllm:gpu_cache_usage_perc, 0..1) from an EndpointMetricsSource. Between scrapes the
//   picker sees the last copy, so its view is up to one interval stale; an endpoint never scraped
//   reads as zero queue and zero utilisation (as a fresh pod's metrics do).
// - EndpointPickerPolicy: the default scheduling profile's scorers and max-score picker:
//     queue score  = (maxQ - q) / (maxQ - minQ) over the candidates, 1 when all are equal
//                    (scorer/queue.go), weight 2
//     kv score     = 1 - kv_util (scorer/kvcache_utilization.go), weight 2
//     total        = sum of weight * score; pick the maximum, ties uniformly at random (the picker
//                    shuffles before a stable sort).
// Not modelled: the prefix-cache scorer (needs prompts), LoRA affinity, the saturation detector and
// sheddable-request admission, the staleness filter.
// Units: queue lengths are request counts; utilisation is a fraction; the interval is in ms.

#include <cstdint>
#include <vector>

#include "sim/balance/lb_policy.h"
#include "sim/engine/simulator.h"

namespace kubemind::balance {

struct EndpointMetrics {
  int64_t waiting_requests = 0;       // vllm:num_requests_waiting
  double kv_cache_utilization = 0.0;  // vllm:gpu_cache_usage_perc, 0..1
};

/// Where the scraper reads the model servers' metrics (the pods' /metrics endpoints).
class EndpointMetricsSource {
 public:
  /// Endpoints are numbered 0 .. endpoint_count() - 1 by their stable host id.
  virtual uint32_t endpoint_count() const = 0;
  virtual EndpointMetrics endpoint_metrics(uint32_t host_id) const = 0;

 protected:
  ~EndpointMetricsSource() = default;
};

struct MetricsScraperConfig {
  double refresh_metrics_interval_ms = 50.0;  // EPP RefreshMetricsInterval default 50 ms
};

class MetricsScraper {
 public:
  MetricsScraper(engine::Simulator& sim, const EndpointMetricsSource& source, const MetricsScraperConfig& config);

  /// Scrapes now and then every interval until stop(). While started it keeps an event pending, so
  /// drive the simulator with run_until().
  void start();
  void stop();

  /// The last scraped metrics of `host_id` (zeros if never scraped).
  EndpointMetrics latest(uint32_t host_id) const {
    return host_id < cache_.size() ? cache_[host_id] : EndpointMetrics{};
  }
  engine::SimTime last_scrape_at() const { return last_scrape_at_; }
  uint64_t scrapes() const { return scrapes_; }

 private:
  void on_scrape(uint64_t);

  engine::Simulator& sim_;
  const EndpointMetricsSource& source_;
  MetricsScraperConfig config_;
  engine::EventHandle next_;
  std::vector<EndpointMetrics> cache_;
  engine::SimTime last_scrape_at_{};
  uint64_t scrapes_ = 0;
};

struct EndpointPickerConfig {
  double queue_scorer_weight = 2.0;     // Helm chart epplib _config.yaml, queue-scorer weight 2
  double kv_cache_scorer_weight = 2.0;  // kv-cache-utilization-scorer weight 2
};

class EndpointPickerPolicy final : public LbPolicy {
 public:
  EndpointPickerPolicy(const EndpointPickerConfig& config, const MetricsScraper& metrics)
      : config_(config), metrics_(metrics) {}

  std::optional<size_t> choose(std::span<const HostView> hosts, const PickContext& context, Rng& rng) override;
  void on_host_set_changed(std::span<const HostView>) override {}

 private:
  EndpointPickerConfig config_;
  const MetricsScraper& metrics_;
};

}  // namespace kubemind::balance
