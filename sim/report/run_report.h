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
  /// LLM servers (continuous batching) only: time to first token, from arrival at the server, and
  /// time per output token after the first, of the requests sent in the measured span. Absent
  /// when no such request finished.
  std::optional<LatencySummary> ttft_ms;
  std::optional<LatencySummary> tpot_ms;
};

/// Seconds a pod spent in each cold-start stage (cluster::ColdStartBreakdown); stages it skipped are 0.
struct ColdStartReport {
  double pending_s = 0, node_provisioning_s = 0, admission_s = 0, image_pull_s = 0, weight_load_s = 0,
         container_start_s = 0, warm_up_s = 0, readiness_wait_s = 0, endpoint_publish_s = 0;
  double to_ready_s = 0;  // created -> Ready
};

struct PodReport {
  std::string name;
  std::string deployment;         // empty for a bare pod
  std::string node;               // empty if never scheduled
  double created_s = 0.0;         // 0 for pods running when the run starts
  std::optional<double> ready_s;  // first Ready (absent: never Ready)
  std::optional<double> gone_s;   // process ended (absent: still running at the end)
  std::optional<ColdStartReport> cold_start;  // absent for pods already running at t = 0
  uint64_t requests = 0;          // requests that reached the pod (after warm-up)
  double share = 0.0;             // requests / all requests that reached any pod
  double mean_queue_depth = 0.0;  // time-average over the measured span
  double utilization = 0.0;       // time-average busy instances / instances, measured span
  uint64_t connections = 0;       // client connections to the pod open at the end of the run
  double cpu_utilization = 0.0;   // CPU used / CPU requested, measured span (what the HPA averages)
  double mean_batch_size = 0.0;   // requests per batch the GPU executed, whole run
  std::vector<uint64_t> batch_size_counts;  // [b] = batches of size b, whole run (index 0 unused)
  double max_queue_depth = 0.0;   // most requests waiting at once, whole run
  uint64_t degraded_requests = 0; // served by the cheaper quality tier (server.degraded), whole run
};

/// One L7 proxy pod (an Envoy or ingress-nginx replica) over the measured span: where a chain of
/// proxies adds latency and where its queue builds. Each request costs cpu_per_request_ms of one of
/// `workers` worker threads; requests wait FCFS for a worker.
struct ProxyReport {
  std::string name;                 // "NAME", or "NAME-r" for replica r of a replicated proxy
  std::string upstream;             // "service/NAME" or "proxy/NAME"
  uint64_t requests = 0;            // received during the measured span
  int workers = 0;
  double cpu_per_request_ms = 0.0;
  double worker_utilization = 0.0;  // time-average busy workers / workers
  double mean_worker_queue = 0.0;   // time-average requests waiting for a worker
  double max_worker_queue = 0.0;    // most requests waiting at once, whole run
  double mean_worker_wait_ms = 0.0; // Little's law: mean queue / arrival rate
  /// Mean time this hop adds to a request: worker wait + CPU + the upstream round trip
  /// (2 x one_way_latency_ms); connection set-ups are not included.
  double hop_ms = 0.0;
  uint64_t upstream_connections_opened = 0;  // whole run, all workers' pools
  uint64_t failed = 0;              // downstream requests answered other than OK, whole run
};

/// One client (a clients[] entry, or one process of one) over the measured span: what that caller saw,
/// e.g. one tenant of a shared cluster next to another's burst. Same conventions as Sli: requests sent
/// in the measured span; latency of those answered OK; attainment as sli.slo.attainment.
struct ClientReport {
  std::string name;
  uint64_t sent = 0;
  uint64_t completed = 0;
  uint64_t failed = 0;
  LatencySummary latency_ms;
  std::optional<double> slo_attainment;  // absent when the scenario sets no SLO
};

/// One node pool's use over the run: billed from each node's request to its removal (or the end).
struct PoolReport {
  std::string name;
  std::string gpu_type;
  int32_t nodes_at_end = 0;
  double node_hours = 0.0;
  double gpu_hours = 0.0;
  double cost_usd = 0.0;
};

/// A node that failed (node_failure / zone_failure): when, and when the control plane noticed.
struct NodeFailureReport {
  std::string node;
  std::string zone;
  double failed_s = 0.0;
  std::optional<double> not_ready_s;  // node lifecycle controller: Ready=Unknown (absent: not by the end)
  uint64_t pods = 0;                  // pods bound to it when it failed or after
};

/// One ResourceQuota at the end of the run: spec.hard (-1: no limit on that resource), status.used
/// (the namespace's pods that still count) and the pod creations it refused during the run.
struct QuotaReport {
  std::string name;
  std::string ns;
  int64_t hard_cpu_millicores = -1, hard_memory_bytes = -1, hard_gpus = -1, hard_pods = -1;
  int64_t used_cpu_millicores = 0, used_memory_bytes = 0, used_gpus = 0, used_pods = 0;
  uint64_t rejections = 0;
  /// Deployments of the namespace that had creates refused and ended below their desired replicas.
  std::vector<std::string> blocked_deployments;
};

/// The cluster's capacity and cost. `unlimited`: the scenario has no cluster section (no pools).
struct ClusterReport {
  bool unlimited = true;
  std::vector<PoolReport> pools;
  double gpu_hours = 0.0;
  double cost_usd = 0.0;
  uint64_t pods_created = 0;       // during the run, initial pods included
  uint64_t nodes_provisioned = 0;  // by the Cluster Autoscaler
  uint64_t nodes_scaled_down = 0;
  uint64_t spot_interruptions = 0;
  uint64_t preemptions = 0;
  uint64_t nodes_failed = 0;              // node_failure / zone_failure events
  uint64_t pods_evicted_unreachable = 0;  // deleted by the taint eviction of an unreachable node
  uint64_t quota_rejections = 0;          // pod creations refused by ResourceQuota admission
  std::vector<QuotaReport> quotas;        // resource_quotas, in file order
  std::vector<NodeFailureReport> node_failures;  // in node order
};

struct ScalingMetricReport {
  std::string metric;
  double value = 0.0;  // as the controller saw it
  double target = 0.0;
  bool valid = true;
};

/// A decision that changed the replica count, or was held by a rule (from == to).
struct ScalingEventReport {
  double time_s = 0.0;
  std::string controller;  // e.g. "hpa/inference", "keda/inference", "keda-hpa/inference"
  int32_t from_replicas = 0;
  int32_t to_replicas = 0;
  std::string rule;        // the rule that decided, e.g. "ScaleDownStabilized"
  std::vector<ScalingMetricReport> metrics;
};

/// What a controller saw of one metric at each of its syncs, next to the truth at that instant.
/// NaN (JSON null) where unavailable: seen when the metric was missing, truth when unknowable.
struct ControllerTraceReport {
  std::string controller;
  std::string metric;
  std::string unit;  // "percent", "milli", "requests", ...
  std::vector<double> time_s;
  std::vector<double> seen;
  std::vector<double> truth;
};

struct AutoscalingReport {
  std::vector<ScalingEventReport> events;  // by time, then controller
  std::vector<ControllerTraceReport> traces;
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
  std::vector<std::string> deployment_names;  // the Deployments of the two series below, in order
  std::vector<std::vector<double>> replicas;        // per Deployment: spec.replicas at the end of each row
  std::vector<std::vector<double>> ready_replicas;  // per Deployment: Ready pods at the end of each row
};

/// One automatic finding: a plain-words statement about the run and the numbers it rests on.
struct Finding {
  std::string id;        // stable kind, e.g. "imbalance", "scaling-metric-blind", "idle-ready-pods"
  std::string severity;  // "problem", "warning" or "info"
  std::string text;      // one or two sentences citing the numbers
  std::map<std::string, double> numbers;  // the numbers the text cites, by name
};

struct EngineStats {
  uint64_t events = 0;
};

inline constexpr size_t kMaxClientReports = 64;

struct RunReport {
  ScenarioInfo scenario;
  std::string config_json;  // the fully resolved scenario, as JSON text (written verbatim)
  Sli sli;
  std::vector<PodReport> pods;
  std::vector<ProxyReport> proxies;  // one per proxy pod, in the scenario's order
  /// Per client, in the scenario's order (processes expanded); empty (and not written) with one client
  /// (sli is its summary) or more than kMaxClientReports (each costs a 432 KiB latency histogram).
  std::vector<ClientReport> clients;
  TimeSeries timeseries;
  ClusterReport cluster;
  AutoscalingReport autoscaling;
  std::vector<Finding> findings;  // computed from the rest by report::find_findings
  EngineStats engine;
};

}  // namespace kubemind::report
