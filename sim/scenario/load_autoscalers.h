// SPDX-License-Identifier: MIT
#pragma once
// Private to sim/scenario: reading and echoing the scenario's control plane, `metrics` (the
// metrics pipeline and kube-controller-manager flags) and `autoscalers[]` (HorizontalPodAutoscaler,
// ScaledObject, PodAutoscaler objects in their real shape). load.cc calls these after the
// Deployments are read; config_json.cc calls the *_json functions for the resolved-config echo.
// Problems are Issues on the reader, as everywhere in the loader.

#include <nlohmann/json.hpp>

#include "sim/scenario/json_reader.h"
#include "sim/scenario/scenario_config.h"

namespace kubemind::scenario {

/// Reads the optional top-level `metrics` object into config.metrics (defaults when absent).
void read_metrics(ObjectReader& root, ScenarioConfig& config);
/// Reads the optional top-level `autoscalers` array into config.autoscalers. config.deployments
/// must already be read: every scaleTargetRef must name one of them, and no Deployment may have
/// two autoscalers.
void read_autoscalers(ObjectReader& root, ScenarioConfig& config);

/// The resolved `metrics` object (every default written out).
nlohmann::ordered_json metrics_json(const MetricsConfig& metrics);
/// The resolved `autoscalers` array, in the objects' own shape (reads back to the same config).
nlohmann::ordered_json autoscalers_json(const std::vector<AutoscalerConfig>& autoscalers);

}  // namespace kubemind::scenario
