// SPDX-License-Identifier: MIT
#pragma once
// The _kubemind extension, one file per concept: scenario loading and its errors
// (scenario_binding.cpp), running (run_binding.cpp), and results: comparison and findings of
// finished reports (results_binding.cpp). Results cross into Python once, at the end of a run, as
// the report's JSON text (report::to_json, the bytes `kubemind run --format json` prints); no Python
// code runs during a simulation, and the GIL is released while it does.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <pybind11/pybind11.h>

#include "sim/scenario/load.h"

namespace kubemind::python {

/// Where a scenario comes from: a file (path) or a text with a name for messages and a folder that
/// stands for its location when looking for models/.
struct ScenarioSource {
  std::optional<std::string> path;
  std::string text;
  std::string source = "<string>";
  std::string base_dir = ".";
};

/// LoadOptions from Python's arguments: overrides as (pointer, JSON text) pairs in order.
scenario::LoadOptions make_load_options(const std::vector<std::pair<std::string, std::string>>& overrides,
                                        std::optional<uint64_t> seed, const std::string& models_dir);

/// Loads (validates) a scenario; throws scenario::ScenarioError. Call without the GIL.
scenario::ScenarioConfig load_source(const ScenarioSource& source, const scenario::LoadOptions& options);

void bind_scenario(pybind11::module_& m);
void bind_run(pybind11::module_& m);
void bind_results(pybind11::module_& m);

}  // namespace kubemind::python
