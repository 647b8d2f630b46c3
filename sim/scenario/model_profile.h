// SPDX-License-Identifier: MIT
#pragma once
// A served model's measured performance on one GPU type, from models/<name>.json. The foundation uses
// the batch-1 mean latency as a server's mean service time; the serving layer adds batching curves.

#include <string>
#include <vector>

namespace kubemind::scenario {

struct LatencyKnot {
  int batch = 1;
  double mean_ms = 0.0;
  double p99_ms = 0.0;  // 0 when the source gives none
};

struct ModelProfile {
  std::string name;                     // file stem, referenced by scenarios
  std::string model;                    // e.g. "ResNet-50 v1.5"
  std::string gpu;                      // e.g. "NVIDIA T4 16GB"
  std::string precision;                // e.g. "FP16, TensorRT"
  std::vector<LatencyKnot> latency_ms;  // strictly increasing batch
  std::string source;                   // where the numbers come from
};

/// True if models_dir holds the profile <name>.json (`name` must be a plain file stem, no folders).
/// The loader checks this first so that an unknown reference is reported at the scenario's pointer.
bool model_profile_exists(const std::string& models_dir, const std::string& name);
/// Loads and validates models_dir/<name>.json. Throws ScenarioError (source: that file's path) listing
/// every problem, including a missing or unreadable file.
ModelProfile load_model_profile(const std::string& models_dir, const std::string& name);
/// Names of all profiles in models_dir, sorted (for "expected one of [...]" messages).
std::vector<std::string> model_profile_names(const std::string& models_dir);

}  // namespace kubemind::scenario
