// SPDX-License-Identifier: MIT
#pragma once
// A scenario after loading and validation: plain structs, every default filled in. Models receive
// their own *Config parts and trust them (all checks happen once, in load_scenario()).
// Schema "v1" (docs: README.md, "Scenario format").

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/serve/inference_server.h"
#include "sim/traffic/client.h"

namespace kubemind::scenario {

/// A bare Pod running one inference server (Deployments and Services come with later layers).
struct PodConfig {
  std::string name;
  serve::InferenceServerConfig server;
};

struct ClientConfig {
  traffic::ClientConfig client;  // client.name is the client's name
  std::string target;                    // name of the pod it sends to
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
  std::vector<ClientConfig> clients;
  std::vector<PodConfig> pods;
};

}  // namespace kubemind::scenario
