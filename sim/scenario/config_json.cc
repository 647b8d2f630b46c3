// SPDX-License-Identifier: MIT
#include "sim/scenario/config_json.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "sim/scenario/control_readers.h"
#include "sim/scenario/load_autoscalers.h"
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

/// Server and pod requests: cpu is the server's own request; memory (bytes) and GPUs are the pod's.
/// A vllm server: the engine arguments as resolved (the KV capacity in tokens, the KV read per token).
Ordered vllm_json(const serve::ContinuousBatchingConfig& c, const net::ServerTransportConfig& grpc,
                  const cluster::Resources& requests) {
  Ordered out = Ordered::object();
  out["engine"] = "vllm";
  out["model"] = c.model;
  out["max_num_seqs"] = c.max_num_seqs;
  out["max_num_batched_tokens"] = c.max_num_batched_tokens;
  out["block_size"] = c.block_size_tokens;
  out["kv_cache_tokens"] = c.kv_cache_tokens;
  out["kv_read_ms_per_token"] = c.kv_read_ms_per_token;
  out["prompt_tokens"] = c.prompt_tokens;
  out["output_tokens"] = c.output_tokens;
  out["resources"] = Ordered{{"requests", Ordered{{"cpu", c.cpu.request_cores},
                                                  {"memory", requests.memory_bytes},
                                                  {"nvidia.com/gpu", requests.gpus}}}};
  out["cpu"] = Ordered{{"baseline_cores", c.cpu.baseline_cores},
                       {"preprocess_ms", c.cpu.preprocess_cpu_ms},
                       {"postprocess_ms", c.cpu.postprocess_cpu_ms}};
  out["memory"] = Ordered{{"runtime_gb", c.memory.runtime_gb}, {"per_request_bytes", c.memory.per_request_bytes}};
  out["grpc"] = grpc_json(grpc);
  return out;
}

/// A cpu-engine server: workers, the CPU work per request, and the CPU limit (absent: none).
Ordered cpu_server_json(const serve::CpuBoundServerConfig& c, const net::ServerTransportConfig& grpc,
                        const cluster::Resources& requests) {
  Ordered out = Ordered::object();
  out["engine"] = "cpu";
  out["workers"] = c.workers;
  out["max_queue_size"] = c.max_queue_size;
  Ordered resources{{"requests", Ordered{{"cpu", c.cpu.request_cores},
                                         {"memory", requests.memory_bytes},
                                         {"nvidia.com/gpu", requests.gpus}}}};
  if (c.cpu_limit_cores > 0) resources["limits"] = Ordered{{"cpu", c.cpu_limit_cores}};
  out["resources"] = std::move(resources);
  out["cpu"] = Ordered{{"baseline_cores", c.cpu.baseline_cores}};
  out["memory"] = Ordered{{"runtime_gb", c.memory.runtime_gb}, {"per_request_bytes", c.memory.per_request_bytes}};
  Ordered service{{"distribution", name_of(service_distributions(), c.service_time.distribution)},
                  {"mean_ms", c.service_time.mean_ms}};
  if (c.service_time.distribution == serve::ServiceDistribution::kLognormal) service["cv"] = c.service_time.cv;
  out["service_time"] = std::move(service);
  out["grpc"] = grpc_json(grpc);
  return out;
}

Ordered server_json(const serve::InferenceServerConfig& server, const net::ServerTransportConfig& grpc,
                    const cluster::Resources& requests,
                    const std::optional<serve::ContinuousBatchingConfig>& vllm = std::nullopt,
                    const std::optional<serve::CpuBoundServerConfig>& cpu_server = std::nullopt) {
  using serve::ServiceDistribution;
  if (vllm) return vllm_json(*vllm, grpc, requests);
  if (cpu_server) return cpu_server_json(*cpu_server, grpc, requests);
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
  out["resources"] = Ordered{{"requests", Ordered{{"cpu", server.cpu.request_cores},
                                                  {"memory", requests.memory_bytes},
                                                  {"nvidia.com/gpu", requests.gpus}}}};
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
  if (server.degraded) {
    out["degraded"] = Ordered{{"model", server.degraded->model},
                              {"queue_depth_above", server.degraded->queue_depth_above},
                              {"restore_below", server.degraded->restore_below}};
  }
  out["grpc"] = grpc_json(grpc);
  return out;
}

double seconds(cluster::Duration d) { return d.seconds_f(); }
double gigabytes(int64_t bytes) { return static_cast<double>(bytes) / 1e9; }

Ordered int_or_percent_json(cluster::IntOrPercent v) {
  return v.percent ? Ordered(std::to_string(v.value) + "%") : Ordered(v.value);
}

/// The `pod` block: every field written out; nodeSelector is folded into the affinity terms.
Ordered pod_json(const cluster::PodSpec& p) {
  Ordered out = Ordered::object();
  out["priority"] = p.priority;
  Ordered tolerations = Ordered::array();
  for (const auto& t : p.tolerations) {
    Ordered entry{{"key", t.key}, {"operator", name_of(toleration_operators(), t.op)}};
    if (t.op == cluster::Toleration::Operator::kEqual) entry["value"] = t.value;
    if (!t.any_effect) entry["effect"] = name_of(taint_effects(), t.effect);
    tolerations.push_back(std::move(entry));
  }
  out["tolerations"] = std::move(tolerations);
  if (!p.required_node_affinity.empty()) {
    Ordered terms = Ordered::array();
    for (const auto& term : p.required_node_affinity) {
      Ordered expressions = Ordered::array();
      for (const auto& req : term) {
        Ordered e{{"key", req.key}, {"operator", name_of(node_selector_operators(), req.op)}};
        if (!req.values.empty()) e["values"] = req.values;
        expressions.push_back(std::move(e));
      }
      terms.push_back(Ordered{{"matchExpressions", std::move(expressions)}});
    }
    out["affinity"] = Ordered{
        {"nodeAffinity",
         Ordered{{"requiredDuringSchedulingIgnoredDuringExecution", Ordered{{"nodeSelectorTerms", std::move(terms)}}}}}};
  }
  Ordered spread = Ordered::array();
  for (const auto& c : p.topology_spread) {
    spread.push_back(Ordered{{"maxSkew", c.max_skew},
                             {"topologyKey", c.topology_key},
                             {"whenUnsatisfiable", name_of(when_unsatisfiable_names(), c.when_unsatisfiable)}});
  }
  out["topologySpreadConstraints"] = std::move(spread);
  if (p.has_readiness_probe) {
    out["readinessProbe"] = Ordered{{"initialDelaySeconds", p.readiness_probe.initial_delay_seconds},
                                    {"periodSeconds", p.readiness_probe.period_seconds},
                                    {"successThreshold", p.readiness_probe.success_threshold}};
  } else {
    out["readinessProbe"] = nullptr;
  }
  out["terminationGracePeriodSeconds"] = p.termination_grace_period.ns / 1'000'000'000;
  out["lifecycle"] = Ordered{{"preStop", Ordered{{"sleep", Ordered{{"seconds", p.pre_stop_sleep.ns / 1'000'000'000}}}}}};
  out["image"] = Ordered{{"name", p.image}, {"size_gb", gigabytes(p.image_size_bytes)}};
  out["container_start_s"] = seconds(p.container_start);
  out["weights"] = Ordered{{"size_gb", gigabytes(p.weights_bytes)},
                           {"load_gb_per_s", p.weight_load_bandwidth_bytes_per_s / 1e9},
                           {"load", name_of(weight_loads(), p.weight_load)}};
  out["warm_up_s"] = seconds(p.warm_up);
  out["drain"] = name_of(drain_modes(), p.drain);
  return out;
}

Ordered node_pool_json(const cluster::NodePoolConfig& p) {
  Ordered taints = Ordered::array();
  for (const auto& t : p.taints) {
    taints.push_back(Ordered{{"key", t.key}, {"value", t.value}, {"effect", name_of(taint_effects(), t.effect)}});
  }
  Ordered out{{"name", p.name},
              {"zone", p.zone},
              {"gpu_type", p.gpu_type},
              {"gpus", p.gpu_count},
              {"cpu", std::to_string(p.allocatable_cpu_millicores) + "m"},
              {"memory", p.allocatable_memory_bytes},
              {"taints", std::move(taints)}};
  if (!p.labels.empty()) {
    Ordered labels = Ordered::object();
    for (const auto& [key, value] : p.labels) labels[key] = value;
    out["labels"] = std::move(labels);
  }
  const Ordered rest{{"spot", p.spot},
                     {"hourly_price_usd", p.hourly_price_usd},
                     {"initial_nodes", p.initial_nodes},
                     {"min_nodes", p.min_nodes},
                     {"max_nodes", p.max_nodes},
                     {"provision_delay_s", seconds(p.provision_delay)},
                     {"image_pull_mb_per_s", p.image_pull_bandwidth_bytes_per_s / 1e6},
                     {"cached_images", p.cached_images},
                     {"spot_notice_s", seconds(p.spot_notice)}};
  for (const auto& item : rest.items()) out[item.key()] = item.value();
  return out;
}

Ordered cluster_json(const ClusterSection& section) {
  const cluster::ClusterConfig& c = section.cluster;
  const cluster::ClusterAutoscalerConfig& a = c.autoscaler;
  Ordered pools = Ordered::array();
  for (const auto& pool : c.pools) pools.push_back(node_pool_json(pool));
  Ordered spot = Ordered::array();
  for (const auto& s : section.spot_interruptions) {
    spot.push_back(Ordered{{"pool", s.pool}, {"node", s.node_index}, {"at_s", s.at_s}});
  }
  return Ordered{{"node_pools", std::move(pools)},
                 {"autoscaler", Ordered{{"enabled", a.enabled},
                                        {"scan_interval_s", seconds(a.scan_interval)},
                                        {"new_pod_scale_up_delay_s", seconds(a.new_pod_scale_up_delay)},
                                        {"scale_down_enabled", a.scale_down_enabled},
                                        {"scale_down_unneeded_time_s", seconds(a.scale_down_unneeded_time)},
                                        {"scale_down_delay_after_add_s", seconds(a.scale_down_delay_after_add)},
                                        {"scale_down_utilization_threshold", a.scale_down_utilization_threshold},
                                        {"scale_down_gpu_utilization_threshold", a.scale_down_gpu_utilization_threshold},
                                        {"max_graceful_termination_s", seconds(a.max_graceful_termination)}}},
                 {"scoring", name_of(scoring_strategies(), c.scoring)},
                 {"scheduling_latency_ms", c.scheduling_latency.milliseconds_f()},
                 {"endpoint_publish_delay_ms", c.endpoint_publish_delay.milliseconds_f()},
                 {"serialize_image_pulls", c.serialize_image_pulls},
                 {"spot_interruptions", std::move(spot)}};
}

Ordered channel_json(const net::ChannelConfig& ch) {
  return Ordered{{"lb_policy", name_of(grpc_lb_policies(), ch.lb_policy)},
                 {"connections", ch.connections_per_address},
                 {"min_time_between_resolutions_s", ch.min_time_between_resolutions_s},
                 {"one_way_latency_ms", ch.connection.one_way_latency_ms},
                 {"connect_timeout_s", ch.connection.connect_timeout_s},
                 {"tls", ch.connection.tls},
                 {"protocol", name_of(http_protocols(), ch.connection.http1)},
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
                                                 {"connect_timeout_s", p.proxy.upstream_connection.connect_timeout_s},
                                                 {"tls", p.proxy.upstream_connection.tls},
                                                 {"protocol", name_of(http_protocols(), p.proxy.upstream_connection.http1)}}},
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
  if (c.channel_of.empty()) {
    entry["target"] = c.target;
  } else {
    entry["channel_of"] = c.channel_of;
  }
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
    entry["server"] = server_json(pod.server, pod.grpc, pod.pod.requests, pod.vllm, pod.cpu_server);
    entry["pod"] = pod_json(pod.pod);
    if (pod.pod.ns != "default") entry["namespace"] = pod.pod.ns;
    pods.push_back(std::move(entry));
  }
  if (!pods.empty()) out["pods"] = std::move(pods);
  Ordered deployments = Ordered::array();
  for (const auto& d : config.deployments) {
    const Ordered strategy{{"type", "RollingUpdate"},
                           {"rollingUpdate", Ordered{{"maxSurge", int_or_percent_json(d.max_surge)},
                                                     {"maxUnavailable", int_or_percent_json(d.max_unavailable)}}}};
    Ordered entry{{"name", d.name},
                  {"replicas", d.replicas},
                  {"labels", d.labels},
                  {"strategy", strategy},
                  {"server", server_json(d.server, d.grpc, d.pod.requests, d.vllm, d.cpu_server)},
                  {"pod", pod_json(d.pod)}};
    if (d.pod.ns != "default") entry["namespace"] = d.pod.ns;
    deployments.push_back(std::move(entry));
  }
  if (!deployments.empty()) out["deployments"] = std::move(deployments);
  Ordered services = Ordered::array();
  for (const auto& svc : config.services) {
    Ordered entry{{"name", svc.name}, {"selector", svc.selector}};
    if (svc.headless) entry["clusterIP"] = "None";
    if (svc.ns != "default") entry["namespace"] = svc.ns;
    services.push_back(std::move(entry));
  }
  if (!services.empty()) out["services"] = std::move(services);
  Ordered quotas = Ordered::array();
  for (const cluster::ResourceQuota& q : config.cluster.cluster.quotas) {
    Ordered hard = Ordered::object();
    if (q.cpu_millicores >= 0) hard["requests.cpu"] = std::to_string(q.cpu_millicores) + "m";
    if (q.memory_bytes >= 0) hard["requests.memory"] = q.memory_bytes;
    if (q.gpus >= 0) hard["requests.nvidia.com/gpu"] = q.gpus;
    if (q.pods >= 0) hard["pods"] = q.pods;
    quotas.push_back(Ordered{{"metadata", Ordered{{"name", q.name}, {"namespace", q.ns}}},
                             {"spec", Ordered{{"hard", std::move(hard)}}}});
  }
  if (!quotas.empty()) out["resource_quotas"] = std::move(quotas);
  Ordered proxies = Ordered::array();
  for (const auto& p : config.proxies) proxies.push_back(proxy_json(p));
  if (!proxies.empty()) out["proxies"] = std::move(proxies);
  if (!config.cluster.unlimited) out["cluster"] = cluster_json(config.cluster);
  out["metrics"] = metrics_json(config.metrics);
  out["metrics"]["prometheus_adapter"] = prometheus_adapter_json(config.autoscalers);
  if (!config.autoscalers.empty()) out["autoscalers"] = autoscalers_json(config.autoscalers);
  Ordered events = Ordered::array();
  for (const auto& ev : config.events) {
    if (ev.kind == ScenarioEvent::Kind::kScale) {
      events.push_back(Ordered{{"at_s", ev.at_s}, {"scale", Ordered{{"deployment", ev.deployment}, {"replicas", ev.replicas}}}});
    } else if (ev.kind == ScenarioEvent::Kind::kDeletePod) {
      events.push_back(Ordered{{"at_s", ev.at_s}, {"delete_pod", Ordered{{"name", ev.pod}}}});
    } else if (ev.kind == ScenarioEvent::Kind::kZoneFailure) {
      events.push_back(Ordered{{"at_s", ev.at_s}, {"zone_failure", Ordered{{"zone", ev.zone}}}});
    } else {
      events.push_back(Ordered{{"at_s", ev.at_s}, {"node_failure", Ordered{{"pool", ev.pool}, {"node", ev.node}}}});
    }
  }
  if (!events.empty()) out["events"] = std::move(events);
  return out.dump(2, ' ', false, Ordered::error_handler_t::replace);
}

}  // namespace kubemind::scenario
