// SPDX-License-Identifier: MIT
#pragma once
// Test doubles for the control layer's world interfaces (sim/control/metrics_source.h): pods with
// piecewise-constant CPU usage (the cumulative counter is its exact integral), settable gauges,
// counters and histogram counts, and a scale target that logs every PATCH with its time.

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "sim/control/metrics_source.h"
#include "sim/engine/simulator.h"

namespace kubemind::control::testing {

struct FakePod {
  WorldPod pod;
  bool running_container = true;  ///< read_resources answers
  SimTime container_start{};
  std::vector<std::pair<SimTime, double>> cpu_steps;  ///< (from, cores), sorted by time
  int64_t memory_bytes = 0;
  std::array<double, kAppGaugeCount> gauges{};
  std::array<bool, kAppGaugeCount> gauge_present{};
  /// Counters are linear from a start: value(t) = max(0, t - start) * rate.
  std::array<double, kAppCounterCount> counter_rate{};
  std::array<SimTime, kAppCounterCount> counter_start{};
  std::array<bool, kAppCounterCount> counter_present{};
  std::vector<double> hist_rates;  ///< cumulative bucket counts grow at these rates from t = 0
  bool exporting = true;           ///< false: /metrics does not answer (gauges, counters, histogram)
};

class FakePods final : public PodSource {
 public:
  explicit FakePods(const engine::Simulator& sim) : sim_(sim) {}

  FakePod& add(uint64_t uid, int64_t cpu_request_milli = 1000) {
    FakePod p;
    p.pod.uid = uid;
    p.pod.info.name = "pod-" + std::to_string(uid);
    p.pod.info.phase = PodPhase::kRunning;
    p.pod.info.start_time = SimTime{0} - Duration::seconds(600);
    p.pod.info.ready = PodReadyCondition{ConditionStatus::kTrue, SimTime{0} - Duration::seconds(590)};
    p.pod.info.cpu_request_milli = cpu_request_milli;
    p.pod.info.memory_request_milli = int64_t{1} << 40;
    p.container_start = SimTime{0} - Duration::seconds(600);
    pods_.push_back(std::move(p));
    return pods_.back();
  }
  FakePod& at(uint64_t uid) {
    return *std::find_if(pods_.begin(), pods_.end(), [&](const FakePod& p) { return p.pod.uid == uid; });
  }
  void remove(uint64_t uid) {
    pods_.erase(std::remove_if(pods_.begin(), pods_.end(), [&](const FakePod& p) { return p.pod.uid == uid; }),
                pods_.end());
  }
  void set_bounds(std::vector<double> bounds) { bounds_ = std::move(bounds); }

  void list_pods(std::vector<WorldPod>& out) const override {
    out.clear();
    for (const FakePod& p : pods_) out.push_back(p.pod);
  }
  bool read_resources(uint64_t uid, PodResourceSample& out) const override {
    const FakePod* p = find(uid);
    if (p == nullptr || !p->running_container) return false;
    const SimTime now = sim_.now();
    double cum = 0;
    double cores_now = 0;
    for (size_t i = 0; i < p->cpu_steps.size(); ++i) {
      const SimTime from = std::max(p->cpu_steps[i].first, p->container_start);
      const SimTime to = i + 1 < p->cpu_steps.size() ? std::min(p->cpu_steps[i + 1].first, now) : now;
      if (to > from) cum += p->cpu_steps[i].second * (to - from).seconds_f();
      if (p->cpu_steps[i].first <= now) cores_now = p->cpu_steps[i].second;
    }
    out.cpu_usage_seconds_total = cum;
    out.memory_working_set_bytes = p->memory_bytes;
    out.container_start_time = p->container_start;
    out.cpu_usage_cores_now = cores_now;
    return true;
  }
  bool read_gauge(uint64_t uid, AppGauge g, double& out) const override {
    const FakePod* p = find(uid);
    const auto i = static_cast<size_t>(g);
    if (p == nullptr || !p->exporting || !p->gauge_present[i]) return false;
    out = p->gauges[i];
    return true;
  }
  bool read_counter(uint64_t uid, AppCounter c, double& out) const override {
    const FakePod* p = find(uid);
    const auto i = static_cast<size_t>(c);
    if (p == nullptr || !p->exporting || !p->counter_present[i]) return false;
    const double dt = (sim_.now() - p->counter_start[i]).seconds_f();
    out = dt > 0 ? dt * p->counter_rate[i] : 0.0;
    return true;
  }
  std::span<const double> histogram_bounds_s() const override { return bounds_; }
  bool read_histogram(uint64_t uid, std::span<double> counts) const override {
    const FakePod* p = find(uid);
    if (p == nullptr || !p->exporting || p->hist_rates.size() != counts.size()) return false;
    for (size_t b = 0; b < counts.size(); ++b) counts[b] = p->hist_rates[b] * sim_.now().seconds_f();
    return true;
  }

 private:
  const FakePod* find(uint64_t uid) const {
    for (const FakePod& p : pods_) {
      if (p.pod.uid == uid) return &p;
    }
    return nullptr;
  }
  const engine::Simulator& sim_;
  std::vector<FakePod> pods_;
  std::vector<double> bounds_;
};

/// A Deployment's scale subresource; status follows spec at once. Logs (time, replicas) per PATCH.
class FakeScale final : public ScaleTarget {
 public:
  FakeScale(const engine::Simulator& sim, int32_t replicas) : sim_(sim), replicas_(replicas) {}
  ScaleSubresource scale() const override { return ScaleSubresource{replicas_, replicas_}; }
  void set_replicas(int32_t replicas) override {
    replicas_ = replicas;
    patches.emplace_back(sim_.now(), replicas);
  }
  int32_t replicas() const { return replicas_; }
  std::vector<std::pair<SimTime, int32_t>> patches;

 private:
  const engine::Simulator& sim_;
  int32_t replicas_;
};

inline SimTime at_s(double s) { return SimTime::from_seconds(s); }

}  // namespace kubemind::control::testing
