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
#include "sim/net/channel.h"
#include "sim/serve/inference_server.h"
#include "sim/traffic/client.h"

namespace kubemind::scenario {

/// A Pod running one inference server: a bare pod, or one of a Deployment's replicas (named
/// <deployment>-<i>, labelled app=<deployment>). Pods are Ready from t = 0 (the cluster lifecycle
/// is not wired into scenarios yet).
struct PodConfig {
  std::string name;
  std::map<std::string, std::string> labels;
  std::string deployment;  // empty for a bare pod
  serve::InferenceServerConfig server;
  net::ServerTransportConfig grpc;  // what the pod's gRPC server advertises and enforces
};

/// A Deployment: `replicas` identical pods.
struct DeploymentConfig {
  std::string name;
  int replicas = 1;
  serve::InferenceServerConfig server;
  net::ServerTransportConfig grpc;
};

/// A Service selecting pods by labels. ClusterIP: one virtual IP, each new connection placed by
/// kube-proxy. Headless (clusterIP: None): DNS returns the selected pods' IPs.
struct ServiceConfig {
  std::string name;
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
};

struct SloConfig {
  std::optional<double> latency_ms;  // a request meets the SLO if it succeeds within this latency
};

struct ReportConfig {
  double interval_s = 1.0;  // time-series resolution
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
};

}  // namespace kubemind::scenario
