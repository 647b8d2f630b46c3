// SPDX-License-Identifier: MIT
#pragma once
// The result of one run, as plain data. Key order of every writer follows member order here, and
// names are stable (the JSON report is an interface: scripts, notebooks and `compare` read it).
// Times in the report are seconds (*_s) or milliseconds (*_ms) as the name says.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kubemind::report {

struct ScenarioInfo {
  std::string name;
  uint64_t seed = 0;
  double duration_s = 0.0;
  double warmup_s = 0.0;
};

struct RequestCounts {
  uint64_t sent = 0;        // sent at or after warm-up
  uint64_t completed = 0;   // of those, answered successfully
  uint64_t failed = 0;      // of those, answered with an error
  uint64_t unfinished = 0;  // of those, still in flight when the run ended
  std::map<std::string, uint64_t> failed_by_reason;  // ordered by reason name
};

struct LatencySummary {
  double mean = 0, p50 = 0, p90 = 0, p95 = 0, p99 = 0, p999 = 0, max = 0;  // ms
};

struct WaitSummary {
  double mean = 0, p99 = 0;  // ms, time queued before service
  double waited_fraction = 0;  // share of completed requests that waited at all (P(W > 0))
};

struct SloSummary {
  std::optional<double> target_ms;   // absent when the scenario sets no SLO
  std::optional<double> attainment;  // share of answered requests (OK or failed) that were OK within target_ms
};

/// How unevenly requests spread over the pods (all pods, idle ones included), measured span.
struct Imbalance {
  double max_over_mean = 0.0;  // busiest pod's requests / mean requests per pod (1 = even)
  double cv = 0.0;             // coefficient of variation of per-pod requests (population sd / mean)
  double top_share = 0.0;      // busiest pod's share of all requests
  uint64_t pods_serving = 0;   // pods that answered at least one request
};

struct Sli {
  RequestCounts requests;
  LatencySummary latency_ms;
  WaitSummary wait_ms;
  double throughput_rps = 0.0;  // requests sent in the measured span that completed, per second of it
  double served_rps = 0.0;      // requests answered OK during the measured span, per second, whenever
                                // sent (under overload requests sent late are still queued at the end)
  SloSummary slo;
  Imbalance imbalance;
};

struct PodReport {
  std::string name;
  uint64_t requests = 0;          // requests that reached the pod (after warm-up)
  double share = 0.0;             // requests / all requests that reached any pod
  double mean_queue_depth = 0.0;  // time-average over the measured span
  double utilization = 0.0;       // time-average busy instances / instances, measured span
  uint64_t connections = 0;       // client connections to the pod open at the end of the run
  double cpu_utilization = 0.0;   // CPU used / CPU requested, measured span (what the HPA averages)
  double mean_batch_size = 0.0;   // requests per batch the GPU executed, whole run
  std::vector<uint64_t> batch_size_counts;  // [b] = batches of size b, whole run (index 0 unused)
};

/// Per-interval series over the whole run (warm-up included so it can be seen). Row i covers
/// [time_s[i] - interval_s, time_s[i]).
struct TimeSeries {
  double interval_s = 0.0;
  std::vector<double> time_s;             // end of each interval
  std::vector<double> rps;                // requests sent per second
  std::vector<double> completed_rps;      // requests answered OK per second
  std::vector<double> latency_mean_ms;    // of requests answered OK in the interval (0 if none)
  std::vector<double> latency_p99_ms;     // likewise, exact within the interval
  std::vector<double> queue_depth_total;  // time-average requests waiting, summed over pods
  std::vector<double> in_system_total;    // time-average requests waiting or in service
  std::vector<std::string> pod_names;     // the pods of pod_rps, in pods order
  std::vector<std::vector<double>> pod_rps;  // per pod: requests it answered per second
};

struct EngineStats {
  uint64_t events = 0;
};

struct RunReport {
  ScenarioInfo scenario;
  std::string config_json;  // the fully resolved scenario, as JSON text (written verbatim)
  Sli sli;
  std::vector<PodReport> pods;
  TimeSeries timeseries;
  EngineStats engine;
};

}  // namespace kubemind::report
