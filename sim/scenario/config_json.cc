// SPDX-License-Identifier: MIT
#include "sim/scenario/config_json.h"

#include <nlohmann/json.hpp>

#include "sim/scenario/schema_v1.h"

namespace kubemind::scenario {
namespace {

using Ordered = nlohmann::ordered_json;  // keeps fields in schema order

Ordered server_json(const serve::InferenceServerConfig& server) {
  using serve::ServiceDistribution;
  Ordered out = Ordered::object();
  // With a model the mean comes from its profile; writing mean_ms as well would not load again.
  if (!server.model.empty()) out["model"] = server.model;
  out["instances"] = server.instances;
  out["max_queue_size"] = server.max_queue_size;
  Ordered service = Ordered::object();
  service["distribution"] = name_of(service_distributions(), server.service_time.distribution);
  if (server.model.empty()) service["mean_ms"] = server.service_time.mean_ms;
  // cv is implied for deterministic (0) and exponential (1), and only written where it is a parameter.
  if (server.service_time.distribution == ServiceDistribution::kLognormal) service["cv"] = server.service_time.cv;
  out["service_time"] = std::move(service);
  return out;
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

  Ordered clients = Ordered::array();
  for (const auto& client : config.clients) {
    Ordered entry = Ordered::object();
    entry["name"] = client.client.name;
    entry["target"] = client.target;
    entry["arrival"] = Ordered{{"process", name_of(arrival_processes(), client.client.arrival.process)},
                               {"rate_rps", client.client.arrival.rate_rps}};
    clients.push_back(std::move(entry));
  }
  out["clients"] = std::move(clients);

  Ordered pods = Ordered::array();
  for (const auto& pod : config.pods) {
    Ordered entry = Ordered::object();
    entry["name"] = pod.name;
    entry["server"] = server_json(pod.server);
    pods.push_back(std::move(entry));
  }
  out["pods"] = std::move(pods);
  return out.dump(2, ' ', false, Ordered::error_handler_t::replace);
}

}  // namespace kubemind::scenario
