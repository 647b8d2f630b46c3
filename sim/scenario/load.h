// SPDX-License-Identifier: MIT
#pragma once
// Loading a scenario: text -> JSON -> overrides applied -> validated -> ScenarioConfig.
// Every problem is collected and thrown as one ScenarioError; a returned config is valid and
// complete (every default filled in, model profiles resolved).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/scenario/scenario_config.h"
#include "sim/scenario/scenario_error.h"

namespace kubemind::scenario {

/// One `--set /json/pointer=value`: the value is parsed as JSON, or taken as a string if it is not.
struct Override {
  std::string pointer;
  std::string value_text;
};

/// Splits "POINTER=VALUE" at the first '='. Throws ScenarioError (source "--set") if there is no '='
/// or the pointer does not start with '/'.
Override parse_override(std::string_view arg);

struct LoadOptions {
  std::vector<Override> overrides;  // applied in order, before validation
  std::optional<uint64_t> seed;     // replaces the scenario's seed (the CLI's --seed)
  /// Folder of models/ profiles. Empty: the first that exists of <scenario dir>/../models,
  /// <scenario dir>/../../models, <scenario dir>/models, and the installed data folder.
  std::string models_dir;
};

ScenarioConfig load_scenario_file(const std::string& path, const LoadOptions& options = {});
/// As load_scenario_file; `source` names the text in messages, `base_dir` stands for the scenario's
/// folder when looking for models/.
ScenarioConfig load_scenario_text(std::string_view text, const std::string& source, const LoadOptions& options = {},
                                  const std::string& base_dir = ".");

}  // namespace kubemind::scenario
