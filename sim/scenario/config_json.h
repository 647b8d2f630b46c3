// SPDX-License-Identifier: MIT
#pragma once
// The fully resolved scenario as JSON text, for the report's "config" key: every field with the
// value in force (defaults included), in schema order, 2-space indented, no trailing newline.
// Loading this text again gives the same ScenarioConfig.

#include <string>

#include "sim/scenario/scenario_config.h"

namespace kubemind::scenario {

std::string resolved_config_json(const ScenarioConfig& config);

}  // namespace kubemind::scenario
