// SPDX-License-Identifier: MIT
#include "sim/report/sli_collector.h"

#include <algorithm>
#include <cmath>

#include "sim/engine/check.h"

namespace kubemind::report {

SliCollector::SliCollector(const SliCollectorConfig& config)
    : config_(config),
      rows_(static_cast<size_t>((config.end.ns + config.interval.ns - 1) / config.interval.ns)),
      per_server_(config.servers, 0),
      sent_per_row_(rows_, 0),
      ok_per_row_(rows_, 0),
      latency_sum_ms_per_row_(rows_, 0.0),
      latency_p99_ms_per_row_(rows_, 0.0),
      queue_depth_per_row_(rows_, 0.0),
      in_system_per_row_(rows_, 0.0),
      answered_per_row_server_(config.servers, std::vector<uint32_t>(rows_, 0)),
      in_imbalance_(config.servers, true) {
  SIM_CHECK(config.interval.ns > 0 && config.end.ns > 0, "empty run or interval");
  if (config.slo_latency_ms) slo_ns_ = engine::Duration::from_milliseconds(*config.slo_latency_ms).ns;
}

uint32_t SliCollector::add_server() {
  per_server_.push_back(0);
  answered_per_row_server_.emplace_back(rows_, 0);
  in_imbalance_.push_back(true);
  return static_cast<uint32_t>(per_server_.size() - 1);
}

size_t SliCollector::row_of(engine::SimTime t) const {
  const auto row = static_cast<size_t>(t.ns / config_.interval.ns);
  return std::min(row, rows_ - 1);
}

engine::SimTime SliCollector::row_end(size_t row) const {
  return std::min(engine::SimTime{static_cast<int64_t>(row + 1) * config_.interval.ns}, config_.end);
}

void SliCollector::on_sent(engine::SimTime sent_at) {
  ++sent_per_row_[row_of(sent_at)];
  if (measured(sent_at)) ++counts_.sent;
}

void SliCollector::on_answer_time(engine::SimTime finished_at) {
  const size_t row = row_of(finished_at);
  SIM_ASSERT(row >= open_row_, "answers out of time order");
  while (open_row_ < row) {
    finalize_row();
    ++open_row_;
  }
}

void SliCollector::finalize_row() {
  auto& v = open_row_latencies_ns_;
  if (!v.empty()) {
    // Nearest rank: the ceil(0.99 n)-th smallest value.
    const auto rank = static_cast<size_t>(std::ceil(0.99 * static_cast<double>(v.size())));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(rank - 1), v.end());
    latency_p99_ms_per_row_[open_row_] = static_cast<double>(v[rank - 1]) * 1e-6;
  }
  v.clear();
}

void SliCollector::on_completed(engine::SimTime sent_at, engine::SimTime arrived_at, engine::SimTime started_at,
                                engine::SimTime finished_at, uint32_t server) {
  on_answer_time(finished_at);
  const int64_t latency_ns = (finished_at - sent_at).ns;
  const size_t row = open_row_;
  if (server < per_server_.size()) ++answered_per_row_server_[server][row];
  ++ok_per_row_[row];
  latency_sum_ms_per_row_[row] += static_cast<double>(latency_ns) * 1e-6;
  open_row_latencies_ns_.push_back(latency_ns);
  if (finished_at >= config_.warmup) ++served_in_span_;
  if (!measured(sent_at)) return;
  ++counts_.completed;
  latency_.record(latency_ns);
  const int64_t wait_ns = (started_at - arrived_at).ns;
  wait_.record(wait_ns);
  if (wait_ns > 0) ++waited_;
  if (slo_ns_ >= 0 && latency_ns <= slo_ns_) ++within_slo_;
  if (server < per_server_.size()) ++per_server_[server];
}

void SliCollector::on_failed(engine::SimTime sent_at, engine::SimTime finished_at, uint32_t server,
                             std::string_view reason) {
  on_answer_time(finished_at);
  if (server < per_server_.size()) ++answered_per_row_server_[server][open_row_];
  if (!measured(sent_at)) return;
  ++counts_.failed;
  ++counts_.failed_by_reason[std::string(reason)];
  if (server < per_server_.size()) ++per_server_[server];
}

void SliCollector::on_token_timing(engine::SimTime sent_at, engine::Duration ttft, engine::Duration tpot) {
  if (!measured(sent_at)) return;
  ++token_timed_;
  ttft_.record(ttft.ns);
  tpot_.record(tpot.ns);
}

void SliCollector::set_gauges(size_t row, double queue_depth_total, double in_system_total) {
  queue_depth_per_row_[row] = queue_depth_total;
  in_system_per_row_[row] = in_system_total;
}

Sli SliCollector::sli() {
  Sli s;
  s.requests = counts_;
  s.requests.unfinished = counts_.sent - counts_.completed - counts_.failed;
  const double ms = 1e-6;
  const auto summary = [ms](const LatencyHistogram& h) {
    return LatencySummary{h.mean_ns() * ms,         h.quantile_ns(0.50) * ms, h.quantile_ns(0.90) * ms,
                          h.quantile_ns(0.95) * ms, h.quantile_ns(0.99) * ms, h.quantile_ns(0.999) * ms,
                          static_cast<double>(h.max_ns()) * ms};
  };
  s.latency_ms = summary(latency_);
  if (token_timed_ > 0) {
    s.ttft_ms = summary(ttft_);
    s.tpot_ms = summary(tpot_);
  }
  s.wait_ms.mean = wait_.mean_ns() * ms;
  s.wait_ms.p99 = wait_.quantile_ns(0.99) * ms;
  s.wait_ms.waited_fraction =
      counts_.completed == 0 ? 0.0 : static_cast<double>(waited_) / static_cast<double>(counts_.completed);
  const double span_s = (config_.end - config_.warmup).seconds_f();
  s.throughput_rps = static_cast<double>(counts_.completed) / span_s;
  s.served_rps = static_cast<double>(served_in_span_) / span_s;
  if (config_.slo_latency_ms) {
    s.slo.target_ms = config_.slo_latency_ms;
    const uint64_t answered = counts_.completed + counts_.failed;
    s.slo.attainment = answered == 0 ? 0.0 : static_cast<double>(within_slo_) / static_cast<double>(answered);
  }
  // Imbalance over the counted pods, idle ones included: an idle pod is the symptom to see.
  uint64_t total = 0, top = 0, counted = 0;
  for (size_t i = 0; i < per_server_.size(); ++i) {
    if (!in_imbalance_[i]) continue;
    const uint64_t n = per_server_[i];
    ++counted;
    total += n;
    top = std::max(top, n);
    if (n > 0) ++s.imbalance.pods_serving;
  }
  if (total > 0) {
    const double mean = static_cast<double>(total) / static_cast<double>(counted);
    double ss = 0;
    for (size_t i = 0; i < per_server_.size(); ++i) {
      if (!in_imbalance_[i]) continue;
      const double d = static_cast<double>(per_server_[i]) - mean;
      ss += d * d;
    }
    s.imbalance.max_over_mean = static_cast<double>(top) / mean;
    s.imbalance.cv = std::sqrt(ss / static_cast<double>(counted)) / mean;
    s.imbalance.top_share = static_cast<double>(top) / static_cast<double>(total);
  }
  return s;
}

TimeSeries SliCollector::timeseries(const std::vector<std::string>& server_names) {
  SIM_CHECK(server_names.size() == per_server_.size(), "one name per server");
  while (open_row_ < rows_) {  // close the rows no answer reached
    finalize_row();
    ++open_row_;
  }
  TimeSeries ts;
  ts.interval_s = config_.interval.seconds_f();
  for (size_t row = 0; row < rows_; ++row) {
    const engine::SimTime end = row_end(row);
    const double width_s = (end - engine::SimTime{static_cast<int64_t>(row) * config_.interval.ns}).seconds_f();
    ts.time_s.push_back(end.seconds_f());
    ts.rps.push_back(static_cast<double>(sent_per_row_[row]) / width_s);
    ts.completed_rps.push_back(static_cast<double>(ok_per_row_[row]) / width_s);
    ts.latency_mean_ms.push_back(
        ok_per_row_[row] == 0 ? 0.0 : latency_sum_ms_per_row_[row] / static_cast<double>(ok_per_row_[row]));
    ts.latency_p99_ms.push_back(latency_p99_ms_per_row_[row]);
    ts.queue_depth_total.push_back(queue_depth_per_row_[row]);
    ts.in_system_total.push_back(in_system_per_row_[row]);
  }
  ts.pod_names = server_names;
  ts.pod_rps.assign(per_server_.size(), {});
  for (size_t server = 0; server < per_server_.size(); ++server) {
    for (size_t row = 0; row < rows_; ++row) {
      const double width_s = (row_end(row) - engine::SimTime{static_cast<int64_t>(row) * config_.interval.ns}).seconds_f();
      ts.pod_rps[server].push_back(answered_per_row_server_[server][row] / width_s);
    }
  }
  return ts;
}

}  // namespace kubemind::report
