// SPDX-License-Identifier: MIT
#pragma once
// Private to sim/scenario: the words and limits of scenario schema "v1", shared by the loader and the
// resolved-config echo so that what is written is exactly what is read back.
// Limits are sanity bounds that keep a run finite and its numbers meaningful, not modelling choices.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sim/balance/kube_proxy.h"
#include "sim/balance/l7_proxy.h"
#include "sim/cluster/cluster_types.h"
#include "sim/net/channel.h"
#include "sim/serve/inference_server.h"
#include "sim/traffic/client.h"

namespace kubemind::scenario {

inline constexpr const char* kSchemaVersion = "v1";
inline constexpr std::size_t kMaxNameLength = 253;  // a Kubernetes object name (DNS-1123 subdomain)
inline constexpr std::size_t kMaxLabelLength = 63;  // a DNS-1123 label
inline constexpr uint64_t kDefaultSeed = 1;
inline constexpr double kMaxDurationS = 1e9;
inline constexpr double kMinReportIntervalS = 0.001;
inline constexpr double kMaxTimeSeriesPoints = 1e5;  // duration_s / report.interval_s
inline constexpr double kMaxRequests = 1e10;         // sum of rate_rps x duration_s over clients
inline constexpr double kMaxRateRps = 1e7;
inline constexpr int64_t kMaxInstances = 4096;
inline constexpr int64_t kMaxQueueSize = 1'000'000'000;
inline constexpr double kMaxMeanMs = 1e7;
inline constexpr double kMaxCv = 10;

template <typename T>
using Names = std::vector<std::pair<std::string, T>>;

inline constexpr int64_t kMaxConcurrency = 1'000'000;
inline constexpr int64_t kMaxAttempts = 5;          // gRPC caps retryPolicy.maxAttempts at 5 (gRFC A6)
inline constexpr std::size_t kMaxTraceBytes = 256u << 20;

inline const Names<traffic::ArrivalProcess>& arrival_processes() {
  static const Names<traffic::ArrivalProcess> names = {
      {"poisson", traffic::ArrivalProcess::kPoisson}, {"constant", traffic::ArrivalProcess::kConstant},
      {"schedule", traffic::ArrivalProcess::kSchedule}, {"mmpp", traffic::ArrivalProcess::kMmpp},
      {"diurnal", traffic::ArrivalProcess::kDiurnal},   {"trace", traffic::ArrivalProcess::kTrace}};
  return names;
}

/// server.engine: Triton-style dynamic batching, vLLM-style continuous batching, or a CPU-bound Python
/// model server (gunicorn/uvicorn workers on the node's CFS share: serve::CpuBoundServer).
enum class ServerEngine : uint8_t { kTriton, kVllm, kCpu };
inline const Names<ServerEngine>& server_engines() {
  static const Names<ServerEngine> names = {
      {"triton", ServerEngine::kTriton}, {"vllm", ServerEngine::kVllm}, {"cpu", ServerEngine::kCpu}};
  return names;
}

inline constexpr int64_t kMaxReplicas = 10'000;
inline constexpr int64_t kMaxClientProcesses = 1'000;  // clients[].processes
inline constexpr int64_t kMaxBatchSize = 65'536;
inline constexpr int64_t kMaxWorkers = 1'024;
inline constexpr int64_t kMaxStreams = 2'147'483'647;  // HTTP/2 SETTINGS value is 31 bits in practice
inline constexpr int64_t kMaxConnections = 100'000;

/// Envoy's Cluster.lb_policy names, plus ENDPOINT_PICKER: the Gateway API Inference Extension's
/// queue-aware picker (scores pods on scraped queue depth).
inline const Names<balance::LbPolicyKind>& envoy_lb_policies() {
  static const Names<balance::LbPolicyKind> names = {{"ROUND_ROBIN", balance::LbPolicyKind::kRoundRobin},
                                                     {"LEAST_REQUEST", balance::LbPolicyKind::kLeastRequest},
                                                     {"RANDOM", balance::LbPolicyKind::kRandom},
                                                     {"RING_HASH", balance::LbPolicyKind::kRingHash},
                                                     {"ENDPOINT_PICKER", balance::LbPolicyKind::kEndpointPicker}};
  return names;
}

/// gRPC load-balancing policy names (service config loadBalancingConfig).
inline const Names<net::LbPolicy>& grpc_lb_policies() {
  static const Names<net::LbPolicy> names = {{"pick_first", net::LbPolicy::kPickFirst},
                                             {"round_robin", net::LbPolicy::kRoundRobin}};
  return names;
}

/// `protocol` of a channel or a proxy's upstream_connection: true for HTTP/1.1.
inline const Names<bool>& http_protocols() {
  static const Names<bool> names = {{"HTTP/2", false}, {"HTTP/1.1", true}};
  return names;
}

inline const Names<net::AtStreamLimit>& stream_limit_behaviours() {
  static const Names<net::AtStreamLimit> names = {{"queue", net::AtStreamLimit::kQueueInTransport},
                                                  {"new_connection", net::AtStreamLimit::kReportFull}};
  return names;
}

/// KubeProxyConfiguration `mode` and `ipvs.scheduler`.
inline const Names<balance::ProxyMode>& kube_proxy_modes() {
  static const Names<balance::ProxyMode> names = {{"iptables", balance::ProxyMode::kIptables},
                                                  {"ipvs", balance::ProxyMode::kIpvs}};
  return names;
}

inline const Names<balance::IpvsScheduler>& ipvs_schedulers() {
  static const Names<balance::IpvsScheduler> names = {{"rr", balance::IpvsScheduler::kRoundRobin},
                                                      {"lc", balance::IpvsScheduler::kLeastConnection}};
  return names;
}

inline const Names<bool>& schedule_shapes() {  // true: linear ramps
  static const Names<bool> names = {{"step", false}, {"linear", true}};
  return names;
}

inline const Names<bool>& think_time_distributions() {  // true: exponential
  static const Names<bool> names = {{"constant", false}, {"exponential", true}};
  return names;
}

inline const Names<serve::ServiceDistribution>& service_distributions() {
  static const Names<serve::ServiceDistribution> names = {{"deterministic", serve::ServiceDistribution::kDeterministic},
                                                          {"exponential", serve::ServiceDistribution::kExponential},
                                                          {"lognormal", serve::ServiceDistribution::kLognormal}};
  return names;
}

// --- Cluster: pods and node pools ------------------------------------------------------------------

inline constexpr int64_t kMaxGpusPerPod = 64;
inline constexpr int64_t kMaxGpusPerNode = 64;
inline constexpr int64_t kMaxNodesPerPool = 10'000;
inline constexpr double kMaxCores = 1024;
/// Memory quantities (bytes) up to 2^53: still exact as a double, far above any node (8 PiB).
inline constexpr double kMaxMemoryBytes = 9007199254740992.0;
inline constexpr double kMaxSizeGb = 1e6;            // image and weights sizes
inline constexpr int64_t kMaxSeconds = 1'000'000'000;  // integer seconds fields (grace period, probe)
/// Typical kube-scheduler decision + bind + kubelet sync per pod: ~10-100 ms (reference/autoscalers.md
/// 4.2). cluster::ClusterConfig keeps 0 so its own tests do exact arithmetic; a scenario with a
/// cluster section gets this typical value unless it says otherwise.
inline constexpr double kDefaultSchedulingLatencyMs = 50;
inline constexpr const char* kDefaultImage = "inference-server";

inline const Names<cluster::TaintEffect>& taint_effects() {
  static const Names<cluster::TaintEffect> names = {{"NoSchedule", cluster::TaintEffect::kNoSchedule},
                                                    {"PreferNoSchedule", cluster::TaintEffect::kPreferNoSchedule},
                                                    {"NoExecute", cluster::TaintEffect::kNoExecute}};
  return names;
}

inline const Names<cluster::Toleration::Operator>& toleration_operators() {
  static const Names<cluster::Toleration::Operator> names = {{"Equal", cluster::Toleration::Operator::kEqual},
                                                             {"Exists", cluster::Toleration::Operator::kExists}};
  return names;
}

inline const Names<cluster::NodeSelectorRequirement::Operator>& node_selector_operators() {
  using Op = cluster::NodeSelectorRequirement::Operator;
  static const Names<Op> names = {
      {"In", Op::kIn}, {"NotIn", Op::kNotIn}, {"Exists", Op::kExists}, {"DoesNotExist", Op::kDoesNotExist}};
  return names;
}

inline const Names<cluster::TopologySpreadConstraint::WhenUnsatisfiable>& when_unsatisfiable_names() {
  using W = cluster::TopologySpreadConstraint::WhenUnsatisfiable;
  static const Names<W> names = {{"DoNotSchedule", W::kDoNotSchedule}, {"ScheduleAnyway", W::kScheduleAnyway}};
  return names;
}

inline const Names<cluster::WeightLoad>& weight_loads() {
  static const Names<cluster::WeightLoad> names = {{"in_process", cluster::WeightLoad::kInProcess},
                                                   {"init_container", cluster::WeightLoad::kInitContainer}};
  return names;
}

inline const Names<cluster::DrainMode>& drain_modes() {
  static const Names<cluster::DrainMode> names = {{"until_idle", cluster::DrainMode::kUntilIdle},
                                                  {"full_grace_period", cluster::DrainMode::kFullGracePeriod},
                                                  {"exit_immediately", cluster::DrainMode::kExitImmediately}};
  return names;
}

inline const Names<cluster::ScoringStrategy>& scoring_strategies() {
  static const Names<cluster::ScoringStrategy> names = {{"LeastAllocated", cluster::ScoringStrategy::kLeastAllocated},
                                                        {"MostAllocated", cluster::ScoringStrategy::kMostAllocated}};
  return names;
}

/// The schema word for an enum value.
template <typename T>
std::string name_of(const Names<T>& names, T value) {
  for (const auto& [name, v] : names) {
    if (v == value) return name;
  }
  return "unknown";
}

}  // namespace kubemind::scenario
