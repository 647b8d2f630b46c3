// SPDX-License-Identifier: MIT
#pragma once
// Builds the simulated world a scenario describes, runs it, and reports.
// Wiring (foundation): each client sends straight to its target pod's inference server; answers come
// back to the client, which tells the SLI collector. Clients send during [0, duration); the run ends
// at duration and requests still in flight are reported as unfinished.

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
