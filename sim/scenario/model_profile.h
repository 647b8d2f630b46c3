// SPDX-License-Identifier: MIT
#pragma once
// Reads a served model's measured performance on one GPU type from models/<name>.json into the plain
// serve::ModelProfile (sim/serve/model_profile.h documents the fields). The foundation uses the
// batch-1 mean latency as a server's mean service time; serve::LatencyCurve turns the knots into L(b).

#include <string>
#include <vector>

#include "sim/serve/model_profile.h"

namespace kubemind::scenario {

using LatencyKnot = serve::LatencyKnot;
using ModelProfile = serve::ModelProfile;

/// True if models_dir holds the profile <name>.json (`name` must be a plain file stem, no folders).
/// The loader checks this first so that an unknown reference is reported at the scenario's pointer.
bool model_profile_exists(const std::string& models_dir, const std::string& name);
/// Loads and validates models_dir/<name>.json. Throws ScenarioError (source: that file's path) listing
/// every problem, including a missing or unreadable file.
ModelProfile load_model_profile(const std::string& models_dir, const std::string& name);
/// Names of all profiles in models_dir, sorted (for "expected one of [...]" messages).
std::vector<std::string> model_profile_names(const std::string& models_dir);

}  // namespace kubemind::scenario
