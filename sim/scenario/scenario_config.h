// SPDX-License-Identifier: MIT
#pragma once
// A scenario after loading and validation: plain structs, every default filled in. Models receive
// their own *Config parts and trust them (all checks happen once, in load_scenario()).
// Schema "v1" (docs: README.md, "Scenario format").

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <map>

#include "sim/balance/kube_proxy.h"
#include "sim/balance/l7_proxy.h"
#include "sim/cluster/cluster_types.h"
#include "sim/control/hpa_controller.h"
#include "sim/control/keda.h"
#include "sim/control/kpa_controller.h"
#include "sim/control/metrics_server.h"
#include "sim/control/prometheus.h"
#include "sim/net/channel.h"
#include "sim/serve/continuous_batching_server.h"
#include "sim/serve/cpu_server.h"
#include "sim/serve/inference_server.h"
#include "sim/traffic/client.h"

namespace kubemind::scenario {

/// A Pod running one inference server: a bare pod, or one of a Deployment's initial replicas (named
/// <deployment>-<i>, labelled app=<deployment>). Pods that exist when the run starts are running,
/// Ready and published at t = 0 if a node fits them (the scenario starts in steady state); pods
/// created later (scale-out, replacements) go through every cold-start stage of `pod`.
struct PodConfig {
  std::string name;
  std::map<std::string, std::string> labels;
  std::string deployment;  // empty for a bare pod
  serve::InferenceServerConfig server;
  net::ServerTransportConfig grpc;  // what the pod's gRPC server advertises and enforces
  /// Scheduling and lifecycle. requests come from server.resources.requests (cpu, memory,
  /// nvidia.com/gpu); app is the Deployment's name (or the pod's for a bare pod).
  cluster::PodSpec pod;
  /// server.engine "vllm": continuous batching with these settings (cpu and memory from `server`);
  /// absent: Triton-style dynamic batching with `server`.
  std::optional<serve::ContinuousBatchingConfig> vllm;
  /// server.engine "cpu": a CPU-bound model server (workers on the node's CFS share) with these
  /// settings; `server` then holds only the shared cpu request, memory and model name.
  std::optional<serve::CpuBoundServerConfig> cpu_server;
};

/// A Deployment: `replicas` identical pods, rolled by maxSurge / maxUnavailable.
struct DeploymentConfig {
  std::string name;
  int replicas = 1;
  std::map<std::string, std::string> labels;  // the pods' labels: app=<name> plus any given
  serve::InferenceServerConfig server;
  net::ServerTransportConfig grpc;
  cluster::PodSpec pod;
  cluster::IntOrPercent max_surge{25, true};        // spec.strategy.rollingUpdate.maxSurge
  cluster::IntOrPercent max_unavailable{25, true};  // spec.strategy.rollingUpdate.maxUnavailable
  std::optional<serve::ContinuousBatchingConfig> vllm;  // as PodConfig::vllm
  std::optional<serve::CpuBoundServerConfig> cpu_server;  // as PodConfig::cpu_server
};

/// The nodes pods run on. Absent from the file (`unlimited`): one node that fits every pod, Ready
/// at t = 0, free, never provisioned: capacity plays no part and only the pod stages take time.
struct ClusterSection {
  bool unlimited = true;
  cluster::ClusterConfig cluster;  // node pools, Cluster Autoscaler flags, scheduler, endpoints delay
  /// Scheduled spot reclaims: node `node_index` of pool `pool` (in the order nodes were added).
  struct SpotInterruption {
    std::string pool;
    int node_index = 0;
    double at_s = 0.0;
  };
  std::vector<SpotInterruption> spot_interruptions;
};

/// The metrics pipeline every autoscaler reads (one of each per scenario).
struct MetricsConfig {
  control::MetricsServerConfig metrics_server;  // Resource metrics (cpu, memory)
  control::PrometheusConfig prometheus;         // app metrics scraped from the pods
  control::HpaControllerConfig hpa;             // kube-controller-manager flags, shared by every HPA
};

/// One autoscaler object scaling one Deployment (`target` = scaleTargetRef.name).
struct AutoscalerConfig {
  enum class Kind : uint8_t { kHpa, kScaledObject, kKpa };
  Kind kind = Kind::kHpa;
  std::string name;
  std::string target;
  /// HorizontalPodAutoscaler (autoscaling/v2): spec; rules[i] is the prometheus-adapter query that
  /// serves spec.metrics[i] (nullopt for Resource metrics).
  control::HpaSpec hpa;
  std::vector<std::optional<control::PromQuery>> hpa_rules;
  /// ScaledObject (keda.sh/v1alpha1): spec, one query per trigger (nullopt for cpu/memory), and
  /// advanced.horizontalPodAutoscalerConfig.behavior.
  control::KedaScaledObjectSpec keda;
  std::vector<std::optional<control::PromQuery>> keda_queries;
  std::optional<control::HpaBehavior> keda_behavior;
  /// The proxy whose series the Prometheus triggers read ({app="<proxy>"}), e.g. a gateway's request
  /// rate, which exists while the target has no pod (scale from zero); empty: the target's pods.
  std::string keda_metrics_proxy;
  /// Knative PodAutoscaler (config-autoscaler + revision annotations).
  control::KpaControllerConfig kpa;
};

/// A Service selecting pods by labels. ClusterIP: one virtual IP, each new connection placed by
/// kube-proxy. Headless (clusterIP: None): DNS returns the selected pods' IPs.
struct ServiceConfig {
  std::string name;
  std::string ns = "default";  // metadata.namespace: selects only pods of this namespace
  std::map<std::string, std::string> selector;
  bool headless = false;
};

/// An Envoy-like L7 proxy in front of a Service's pods (EDS from the Service's endpoints), or in
/// front of another proxy defined before it (a chain: ingress -> proxy -> pods).
struct ProxyConfig {
  std::string name;
  std::string upstream_service;  // exactly one of the two is set
  std::string upstream_proxy;
  balance::L7ProxyConfig proxy;
  double metrics_refresh_ms = 50.0;  // ENDPOINT_PICKER's scrape interval (EPP RefreshMetricsInterval)
  /// Proxy pods. Clients reach them through a ClusterIP over the replicas (kube-proxy places each
  /// client connection on one proxy pod); each replica balances on its own.
  int replicas = 1;
};

struct ClientConfig {
  traffic::ClientConfig client;  // client.name is the client's name
  std::string target;            // a pod, a Service or a proxy
  /// The client's gRPC channel. Absent for a pod target: the call reaches the pod directly, with no
  /// network modelled (the queueing checks use this).
  std::optional<net::ChannelConfig> channel;
  /// Sends over the channel of this earlier client instead (one process, several call patterns,
  /// one HTTP/2 connection: e.g. ghz's closed-loop workers plus an open-loop burst). Then `target`
  /// and `channel` are that client's.
  std::string channel_of;
};

struct SloConfig {
  std::optional<double> latency_ms;  // a request meets the SLO if it succeeds within this latency
};

struct ReportConfig {
  double interval_s = 1.0;  // time-series resolution
};

/// Something that happens to the cluster at a set time, as a user or a fault would do it.
struct ScenarioEvent {
  enum class Kind : uint8_t {
    kScale,        // kubectl scale deployment/<deployment> --replicas=<replicas>
    kDeletePod,    // kubectl delete pod <pod> (its owner, if any, replaces it)
    kZoneFailure,  // every node of <zone> loses power / network at once (Cluster::fail_zone)
    kNodeFailure   // node <node> of pool <pool> fails (Cluster::fail_node)
  };
  Kind kind = Kind::kScale;
  double at_s = 0.0;
  std::string deployment;  // kScale
  int replicas = 0;        // kScale
  std::string pod;         // kDeletePod: a pod that exists when the run starts
  std::string zone;        // kZoneFailure: a zone of /cluster/node_pools
  std::string pool;        // kNodeFailure: a node pool
  int node = 0;            // kNodeFailure: index in the order the pool's nodes were added
};

struct ScenarioConfig {
  std::string version = "v1";
  std::string name;
  std::string description;
  uint64_t seed = 1;
  double duration_s = 0.0;  // simulated time during which clients send
  double warmup_s = 0.0;    // requests sent before this are excluded from SLIs
  SloConfig slo;
  ReportConfig report;
  balance::KubeProxyConfig kube_proxy;
  std::vector<ClientConfig> clients;
  std::vector<PodConfig> pods;  // bare pods first, then each Deployment's replicas
  std::vector<DeploymentConfig> deployments;
  std::vector<ServiceConfig> services;
  std::vector<ProxyConfig> proxies;
  ClusterSection cluster;
  MetricsConfig metrics;
  std::vector<AutoscalerConfig> autoscalers;
  std::vector<ScenarioEvent> events;  // by at_s, then file order
};

}  // namespace kubemind::scenario
