// SPDX-License-Identifier: MIT
#include "sim/scenario/config_json.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "sim/scenario/schema_v1.h"

namespace kubemind::scenario {
namespace {

using Ordered = nlohmann::ordered_json;  // keeps fields in schema order

/// A limit that may be infinite ("none"): null in JSON.
Ordered limit_json(double value) { return std::isfinite(value) ? Ordered(value) : Ordered(nullptr); }

Ordered grpc_json(const net::ServerTransportConfig& g) {
  Ordered out = Ordered::object();
  out["max_concurrent_streams"] =
      g.max_concurrent_streams == net::kUnlimitedStreams ? Ordered(nullptr) : Ordered(g.max_concurrent_streams);
  out["max_connection_age_s"] = limit_json(g.max_connection_age_s);
  out["max_connection_age_grace_s"] = limit_json(g.max_connection_age_grace_s);
  return out;
}

Ordered server_json(const serve::InferenceServerConfig& server, const net::ServerTransportConfig& grpc) {
  using serve::ServiceDistribution;
  Ordered out = Ordered::object();
  // With a model the mean comes from its profile; writing mean_ms as well would not load again.
  if (!server.model.empty()) out["model"] = server.model;
  out["instances"] = server.instances;
  out["max_queue_size"] = server.max_queue_size;
  out["default_timeout_microseconds"] = server.default_timeout_us;
  out["max_batch_size"] = server.max_batch_size;
  if (server.dynamic_batching.enabled) {
    out["dynamic_batching"] = Ordered{{"preferred_batch_size", server.dynamic_batching.preferred_batch_sizes},
                                      {"max_queue_delay_microseconds", server.dynamic_batching.max_queue_delay_us}};
  }
  out["resources"] = Ordered{{"requests", Ordered{{"cpu", server.cpu.request_cores}}}};
  out["cpu"] = Ordered{{"baseline_cores", server.cpu.baseline_cores},
                       {"preprocess_ms", server.cpu.preprocess_cpu_ms},
                       {"postprocess_ms", server.cpu.postprocess_cpu_ms}};
  out["memory"] = Ordered{{"runtime_gb", server.memory.runtime_gb}, {"per_request_bytes", server.memory.per_request_bytes}};
  Ordered service = Ordered::object();
  service["distribution"] = name_of(service_distributions(), server.service_time.distribution);
  if (server.model.empty()) service["mean_ms"] = server.service_time.mean_ms;
  // cv is implied for deterministic (0) and exponential (1), and only written where it is a parameter.
  if (server.service_time.distribution == ServiceDistribution::kLognormal) service["cv"] = server.service_time.cv;
  out["service_time"] = std::move(service);
  out["grpc"] = grpc_json(grpc);
  return out;
}

Ordered channel_json(const net::ChannelConfig& ch) {
  return Ordered{{"lb_policy", name_of(grpc_lb_policies(), ch.lb_policy)},
                 {"connections", ch.connections_per_address},
                 {"min_time_between_resolutions_s", ch.min_time_between_resolutions_s},
                 {"one_way_latency_ms", ch.connection.one_way_latency_ms},
                 {"tls", ch.connection.tls},
                 {"initial_max_concurrent_streams", ch.connection.initial_max_concurrent_streams},
                 {"at_stream_limit", name_of(stream_limit_behaviours(), ch.connection.at_stream_limit)}};
}

Ordered proxy_json(const ProxyConfig& p) {
  const balance::CircuitBreakerConfig& cb = p.proxy.circuit_breakers;
  Ordered out{{"name", p.name}};
  if (!p.upstream_service.empty()) out["upstream_service"] = p.upstream_service;
  if (!p.upstream_proxy.empty()) out["upstream_proxy"] = p.upstream_proxy;
  const Ordered rest{
                 {"lb_policy", name_of(envoy_lb_policies(), p.proxy.lb_policy)},
                 {"workers", p.proxy.workers},
                 {"cpu_per_request_ms", p.proxy.cpu_per_request_ms},
                 {"route_timeout_ms", p.proxy.route_timeout_ms},
                 {"upstream_connection", Ordered{{"one_way_latency_ms", p.proxy.upstream_connection.one_way_latency_ms},
                                                 {"tls", p.proxy.upstream_connection.tls}}},
                 {"circuit_breakers", Ordered{{"max_connections", cb.max_connections},
                                              {"max_pending_requests", cb.max_pending_requests},
                                              {"max_requests", cb.max_requests},
                                              {"max_retries", cb.max_retries}}},
                 {"eds_delay_ms", p.proxy.eds_delay_ms},
                 {"retry_policy", Ordered{{"num_retries", p.proxy.retry_policy.num_retries},
                                          {"retry_back_off", Ordered{{"base_interval_ms", p.proxy.retry_policy.base_interval_ms},
                                                                     {"max_interval_ms", p.proxy.retry_policy.max_interval_ms}}}}},
                 {"metrics_refresh_ms", p.metrics_refresh_ms},
                 {"replicas", p.replicas}};
  for (const auto& item : rest.items()) out[item.key()] = item.value();
  if (p.proxy.outlier_detection.enabled) {
    const balance::OutlierDetectionConfig& o = p.proxy.outlier_detection;
    out["outlier_detection"] = Ordered{{"consecutive_5xx", o.consecutive_5xx},
                                       {"interval_ms", o.interval_ms},
                                       {"base_ejection_time_ms", o.base_ejection_time_ms},
                                       {"max_ejection_time_ms", o.max_ejection_time_ms},
                                       {"max_ejection_percent", o.max_ejection_percent}};
  }
  return out;
}

Ordered arrival_json(const traffic::ArrivalConfig& a) {
  using traffic::ArrivalProcess;
  Ordered out = Ordered::object();
  out["process"] = name_of(arrival_processes(), a.process);
  switch (a.process) {
    case ArrivalProcess::kPoisson:
    case ArrivalProcess::kConstant:
      out["rate_rps"] = a.rate_rps;
      break;
    case ArrivalProcess::kDiurnal:
      out["rate_rps"] = a.rate_rps;
      out["amplitude"] = a.amplitude;
      out["period_s"] = a.period_s;
      out["phase_s"] = a.phase_s;
      break;
    case ArrivalProcess::kMmpp:
      out["on_rate_rps"] = a.on_rate_rps;
      out["off_rate_rps"] = a.off_rate_rps;
      out["mean_on_s"] = a.mean_on_s;
      out["mean_off_s"] = a.mean_off_s;
      break;
    case ArrivalProcess::kSchedule: {
      out["shape"] = name_of(schedule_shapes(), a.schedule_linear);
      Ordered points = Ordered::array();
      for (const auto& p : a.schedule) points.push_back(Ordered{{"at_s", p.at_s}, {"rate_rps", p.rate_rps}});
      out["points"] = std::move(points);
      break;
    }
    case ArrivalProcess::kTrace:
      out["file"] = a.trace_file;  // as written in the scenario (relative to its folder)
      break;
  }
  return out;
}

Ordered client_json(const ClientConfig& c) {
  const traffic::ClientConfig& client = c.client;
  Ordered entry = Ordered::object();
  entry["name"] = client.name;
  entry["target"] = c.target;
  switch (client.load) {
    case traffic::LoadModel::kOpenLoop:
      entry["arrival"] = arrival_json(client.arrival);
      break;
    case traffic::LoadModel::kClosedLoop:
      entry["closed_loop"] = Ordered{
          {"concurrency", client.concurrency},
          {"think_time", Ordered{{"distribution", name_of(think_time_distributions(), client.think.exponential)},
                                 {"mean_ms", client.think.mean_ms}}}};
      break;
  }
  if (c.channel) entry["channel"] = channel_json(*c.channel);
  entry["deadline_ms"] = client.deadline_ms;
  entry["key_space"] = client.key_space;
  entry["retry_policy"] = Ordered{{"max_attempts", client.retry.max_attempts},
                                  {"initial_backoff_s", client.retry.initial_backoff_s},
                                  {"max_backoff_s", client.retry.max_backoff_s},
                                  {"backoff_multiplier", client.retry.backoff_multiplier}};
  return entry;
}

}  // namespace

std::string resolved_config_json(const ScenarioConfig& config) {
  Ordered out = Ordered::object();
  out["kubemind"] = config.version;
  out["name"] = config.name;
  out["description"] = config.description;
  out["seed"] = config.seed;
  out["duration_s"] = config.duration_s;
  out["warmup_s"] = config.warmup_s;
  if (config.slo.latency_ms) out["slo"] = Ordered{{"latency_ms", *config.slo.latency_ms}};  // no SLO: no key
  out["report"] = Ordered{{"interval_s", config.report.interval_s}};
  out["kube_proxy"] = Ordered{{"mode", name_of(kube_proxy_modes(), config.kube_proxy.mode)},
                              {"ipvs_scheduler", name_of(ipvs_schedulers(), config.kube_proxy.ipvs_scheduler)},
                              {"min_sync_period_s", config.kube_proxy.min_sync_period_s}};

  Ordered clients = Ordered::array();
  for (const auto& client : config.clients) clients.push_back(client_json(client));
  out["clients"] = std::move(clients);

  Ordered pods = Ordered::array();
  for (const auto& pod : config.pods) {
    if (!pod.deployment.empty()) continue;  // a Deployment's replicas are echoed as the Deployment
    Ordered entry = Ordered::object();
    entry["name"] = pod.name;
    if (!pod.labels.empty()) entry["labels"] = pod.labels;
    entry["server"] = server_json(pod.server, pod.grpc);
    pods.push_back(std::move(entry));
  }
  if (!pods.empty()) out["pods"] = std::move(pods);
  Ordered deployments = Ordered::array();
  for (const auto& d : config.deployments) {
    deployments.push_back(Ordered{{"name", d.name}, {"replicas", d.replicas}, {"server", server_json(d.server, d.grpc)}});
  }
  if (!deployments.empty()) out["deployments"] = std::move(deployments);
  Ordered services = Ordered::array();
  for (const auto& svc : config.services) {
    Ordered entry{{"name", svc.name}, {"selector", svc.selector}};
    if (svc.headless) entry["clusterIP"] = "None";
    services.push_back(std::move(entry));
  }
  if (!services.empty()) out["services"] = std::move(services);
  Ordered proxies = Ordered::array();
  for (const auto& p : config.proxies) proxies.push_back(proxy_json(p));
  if (!proxies.empty()) out["proxies"] = std::move(proxies);
  return out.dump(2, ' ', false, Ordered::error_handler_t::replace);
}

}  // namespace kubemind::scenario
