// SPDX-License-Identifier: MIT
#pragma once
// Builds the simulated world a scenario describes, runs it, and reports.
//
// Wiring: pods live in a cluster (sim/cluster): Deployments and bare pods are created at t = 0,
// scheduled, and those that fit start in steady state (running, Ready, published); pods created
// later (autoscalers, rolling updates, replacements) go through every cold-start stage. A pod's
// inference server exists from its container's start to its end. Services, kube-proxy, L7 proxies
// and headless DNS follow the endpoints controller (pods join when their endpoint is published and
// leave when it is removed); on SIGTERM a pod's gRPC server sends GOAWAY on its connections and
// drains; when it is gone its connections are reset. Clients send through gRPC channels (or
// straight to a pod's server, with no network, when a pod target has no channel); answers come
// back to the client, which tells the SLI collector. Autoscalers read the pods through
// metrics-server and Prometheus and write the Deployment's scale. Clients send during
// [0, duration); the run ends at duration and requests still in flight are reported as unfinished.

#include <functional>

#include "sim/report/run_report.h"
#include "sim/scenario/scenario_config.h"
#include "sim/traffic/request.h"

namespace kubemind::scenario {

struct RunOptions {
  /// Also told of every request sent and answered (per-request export, tests). Not owned.
  traffic::RequestObserver* observer = nullptr;
  /// Called between slices of simulated time with the fraction done, in [0, 1]. The run is the same
  /// with or without it.
  std::function<void(double fraction_done)> progress;
};

/// Runs a validated scenario. Deterministic: the same config gives the same report.
report::RunReport run_scenario(const ScenarioConfig& config, const RunOptions& options = {});

}  // namespace kubemind::scenario
