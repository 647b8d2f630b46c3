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
  entry["deadline_ms"] = client.deadline_ms;
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

  Ordered clients = Ordered::array();
  for (const auto& client : config.clients) clients.push_back(client_json(client));
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
