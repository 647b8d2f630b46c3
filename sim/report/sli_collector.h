// SPDX-License-Identifier: MIT
#pragma once
// Collects the service-level indicators of one run as requests are answered, and the per-interval
// time series. Fed by the scenario layer; knows nothing of the models.
//
// Conventions
// - The measured span is [warmup, end). A request counts towards the SLIs if it was SENT in that span
//   (so the SLIs describe the load offered after warm-up); requests still in flight at `end` are
//   "unfinished".
// - Latency is client-observed: answer time - send time. Wait is queueing time at the server:
//   service start - arrival at the server.
// - Time-series rows are bucketed by event time: sends by send time, answers by answer time. The
//   gauges (queue depth, requests in system) are exact time-averages supplied by the caller.
// - Answers arrive in non-decreasing time, so each row's exact p99 is computed once, when time moves
//   past it, from a buffer that is reused (no allocation per request in steady state).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/engine/time.h"
#include "sim/report/latency_histogram.h"
#include "sim/report/run_report.h"

namespace kubemind::report {

struct SliCollectorConfig {
  engine::SimTime warmup;
  engine::SimTime end;
  engine::Duration interval;
  std::optional<double> slo_latency_ms;
  size_t servers = 0;  // pods known at the start, indexed 0..servers-1 (add_server() adds more)
};

class SliCollector {
 public:
  explicit SliCollector(const SliCollectorConfig& config);

  /// A pod that appeared during the run; returns its server index (the next one).
  uint32_t add_server();
  /// Leaves `server` out of the imbalance SLIs (a pod that never served during the measured span,
  /// e.g. one that was never Ready in it). Its requests still count everywhere else.
  void exclude_from_imbalance(uint32_t server) { in_imbalance_[server] = false; }
  size_t servers() const { return per_server_.size(); }

  void on_sent(engine::SimTime sent_at);
  /// A request answered successfully at `finished_at` by `server`.
  void on_completed(engine::SimTime sent_at, engine::SimTime arrived_at, engine::SimTime started_at,
                    engine::SimTime finished_at, uint32_t server);
  /// A request answered with an error; `server` is UINT32_MAX if it reached none.
  void on_failed(engine::SimTime sent_at, engine::SimTime finished_at, uint32_t server, std::string_view reason);
  /// An LLM request's token timings (TTFT, TPOT), told when it finishes at the server.
  void on_token_timing(engine::SimTime sent_at, engine::Duration ttft, engine::Duration tpot);
  /// Time-averaged gauges for time-series row `row` (the row ending at min((row + 1) * interval, end)).
  void set_gauges(size_t row, double queue_depth_total, double in_system_total);

  size_t rows() const { return rows_; }
  engine::SimTime row_end(size_t row) const;

  /// Final SLIs, per-pod request counts (share filled; queue/utilization left to the caller) and the
  /// time series. Call once, after the run.
  Sli sli();
  std::vector<uint64_t> requests_per_server() const { return per_server_; }
  /// The time series; `server_names` label the per-pod columns.
  TimeSeries timeseries(const std::vector<std::string>& server_names);

 private:
  size_t row_of(engine::SimTime t) const;
  void on_answer_time(engine::SimTime finished_at);
  void finalize_row();
  bool measured(engine::SimTime sent_at) const { return sent_at >= config_.warmup && sent_at < config_.end; }

  SliCollectorConfig config_;
  size_t rows_;
  // SLIs over the measured span.
  RequestCounts counts_;
  LatencyHistogram latency_;
  LatencyHistogram ttft_;
  LatencyHistogram tpot_;
  uint64_t token_timed_ = 0;
  LatencyHistogram wait_;
  uint64_t waited_ = 0;
  uint64_t served_in_span_ = 0;  // answered OK at or after warm-up, whenever sent
  uint64_t within_slo_ = 0;
  int64_t slo_ns_ = -1;
  std::vector<uint64_t> per_server_;
  // Time series.
  std::vector<uint64_t> sent_per_row_;
  std::vector<uint64_t> ok_per_row_;
  std::vector<double> latency_sum_ms_per_row_;
  std::vector<double> latency_p99_ms_per_row_;
  std::vector<double> queue_depth_per_row_;
  std::vector<double> in_system_per_row_;
  std::vector<std::vector<uint32_t>> answered_per_row_server_;  // [server][row]
  std::vector<bool> in_imbalance_;                             // per server
  size_t open_row_ = 0;                // row whose answers are being buffered
  std::vector<int64_t> open_row_latencies_ns_;
};

}  // namespace kubemind::report
