// SPDX-License-Identifier: MIT
// Bad input: every broken scenario raises one ScenarioError naming the JSON pointer, what was
// expected and what was found (tests/support/bad_scenarios.h is the table, shared with the CLI test).

#include <algorithm>
#include <catch2/catch.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "sim/scenario/load.h"
#include "tests/support/bad_scenarios.h"
#include "tests/support/temp_dir.h"

namespace {

using kubemind::scenario::Issue;
using kubemind::scenario::LoadOptions;
using kubemind::scenario::ScenarioError;

const std::string kModelsDir = KUBEMIND_SOURCE_DIR "/models";

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

/// Loads `text` and returns the error it must raise.
ScenarioError rejection(const std::string& text, const std::vector<std::string>& overrides = {},
                        std::string models_dir = kModelsDir) {
  LoadOptions options;
  options.models_dir = std::move(models_dir);
  for (const auto& o : overrides) options.overrides.push_back(kubemind::scenario::parse_override(o));
  try {
    kubemind::scenario::load_scenario_text(text, "bad.json", options);
  } catch (const ScenarioError& error) {
    return error;
  }
  FAIL("the scenario was accepted:\n" << text);
  throw std::logic_error("unreachable");
}

bool has_pointer(const ScenarioError& error, const std::string& pointer) {
  return std::any_of(error.issues().begin(), error.issues().end(),
                     [&](const Issue& issue) { return issue.pointer == pointer; });
}

}  // namespace

TEST_CASE("the broken-scenario table has at least 30 rows with distinct labels", "[scenario]") {
  const auto& rows = kubemind::test::bad_scenarios();
  CHECK(rows.size() >= 30);
  std::vector<std::string> labels;
  for (const auto& row : rows) labels.push_back(row.label);
  std::sort(labels.begin(), labels.end());
  CHECK(std::adjacent_find(labels.begin(), labels.end()) == labels.end());
}

TEST_CASE("every broken scenario is rejected at its pointer with its message", "[scenario]") {
  for (const auto& row : kubemind::test::bad_scenarios()) {
    INFO("row: " << row.label);
    const ScenarioError error = rejection(row.text, row.overrides);
    INFO("what(): " << error.what());
    CHECK(error.source() == "bad.json");
    CHECK(has_pointer(error, row.pointer));
    CHECK_THAT(error.what(), Catch::Contains(row.message));
    // The message belongs to that pointer's line, in the documented grammar.
    const auto lines = lines_of(error.what());
    const std::string prefix = "bad.json: " + row.pointer + ": expected ";
    CHECK(std::any_of(lines.begin(), lines.end(), [&](const std::string& line) {
      return line.rfind(prefix, 0) == 0 && line.find(row.message) != std::string::npos;
    }));
  }
}

TEST_CASE("every message line reads <source>: <pointer>: expected <what>, got <what>", "[scenario]") {
  for (const auto& row : kubemind::test::bad_scenarios()) {
    INFO("row: " << row.label);
    const ScenarioError error = rejection(row.text, row.overrides);
    const auto lines = lines_of(error.what());
    REQUIRE(lines.size() == error.issues().size());
    for (size_t i = 0; i < lines.size(); ++i) {
      const Issue& issue = error.issues()[i];
      CHECK(lines[i] == "bad.json: " + issue.pointer + ": expected " + issue.expected + ", got " + issue.got);
      CHECK_FALSE(issue.expected.empty());
      CHECK_FALSE(issue.got.empty());
    }
  }
}

TEST_CASE("a scenario with three problems reports all three, sorted by pointer", "[scenario]") {
  std::string text = kubemind::test::edit("\"rate_rps\": 100", "\"rate_rps\": -1");
  text = kubemind::test::edit(text, "\"duration_s\": 10,\n", "");
  text = kubemind::test::edit(text, "{\"service_time\"", "{\"instances\": 0, \"service_time\"");
  const ScenarioError error = rejection(text);
  REQUIRE(error.issues().size() == 3);
  CHECK(error.issues()[0].pointer == "/clients/0/arrival/rate_rps");
  CHECK(error.issues()[1].pointer == "/duration_s");
  CHECK(error.issues()[2].pointer == "/pods/0/server/instances");
  CHECK(std::string(error.what()) ==
        "bad.json: /clients/0/arrival/rate_rps: expected number in (0, 1e+07], got -1\n"
        "bad.json: /duration_s: expected number in (0, 1e+09], got nothing\n"
        "bad.json: /pods/0/server/instances: expected integer in [1, 4096], got 0");
}

TEST_CASE("issues sort by pointer with array indices in numeric order, duplicates removed", "[scenario]") {
  const ScenarioError error("s.json", {
                                          {"/pods/10/name", "b", "x"},
                                          {"/pods/2/name", "a", "x"},
                                          {"/", "c", "x"},
                                          {"/pods/2/name", "a", "x"},
                                          {"/pods", "d", "x"},
                                          {"/pods/2/name", "0", "x"},
                                      });
  REQUIRE(error.issues().size() == 5);
  CHECK(error.issues()[0].pointer == "/");
  CHECK(error.issues()[1].pointer == "/pods");
  CHECK(error.issues()[2] == Issue{"/pods/2/name", "a", "x"});  // stable: input order within a pointer
  CHECK(error.issues()[3] == Issue{"/pods/2/name", "0", "x"});
  CHECK(error.issues()[4].pointer == "/pods/10/name");
}

TEST_CASE("a long value is shown cut to 40 characters", "[scenario]") {
  const std::string long_name(100, 'x');
  const auto error = rejection(kubemind::test::edit("\"target\": \"gpu-0\"", "\"target\": \"" + long_name + "\""));
  CHECK_THAT(error.what(), Catch::Contains("got \"" + std::string(39, 'x') + "..."));
  CHECK_THAT(error.what(), !Catch::Contains(std::string(41, 'x')));
}

TEST_CASE("an unreadable scenario file is reported at / with the system's reason", "[scenario]") {
  kubemind::test::TempDir dir;
  SECTION("missing") {
    const std::string path = (dir.path() / "missing.json").string();
    try {
      kubemind::scenario::load_scenario_file(path);
      FAIL("accepted");
    } catch (const ScenarioError& error) {
      CHECK(std::string(error.what()) == path + ": /: expected a readable file, got No such file or directory");
    }
  }
  SECTION("a folder") {
    try {
      kubemind::scenario::load_scenario_file(dir.path().string());
      FAIL("accepted");
    } catch (const ScenarioError& error) {
      CHECK_THAT(error.what(), Catch::Contains(": /: expected a readable file, got Is a directory"));
    }
  }
}

TEST_CASE("a broken model profile is reported at the model reference, citing the profile", "[scenario]") {
  kubemind::test::TempDir dir;
  dir.write("models/broken.json", R"({"kubemind_model": "v1", "name": "other", "model": "m", "gpu": "g",
    "precision": "p", "latency_ms": [{"batch": 1, "mean": 2, "p99": 1}, {"batch": 1, "mean": -1}],
    "source": "s", "extra": 1})");
  const std::string text = kubemind::test::edit("\"service_time\": {\"mean_ms\": 5}", "\"model\": \"broken\"");
  const ScenarioError error = rejection(text, {}, (dir.path() / "models").string());
  INFO(error.what());
  const std::string profile = (dir.path() / "models" / "broken.json").string();
  for (const std::string& expected : {
           "/pods/0/server/model: expected a valid model profile; " + profile + ": /extra: expected one of the fields",
           profile + ": /latency_ms/0/p99: expected number >= mean (2), got 1",
           profile + ": /latency_ms/1/batch: expected integer > 1 (batch sizes strictly increasing), got 1",
           profile + ": /latency_ms/1/mean: expected number in (0, 1e+07], got -1",
           profile + ": /name: expected \"broken\" (the file's name without .json), got \"other\"",
       }) {
    CHECK_THAT(error.what(), Catch::Contains(expected));
  }
}

TEST_CASE("a model reference without any models folder says where it looked", "[scenario]") {
  const std::string text = kubemind::test::edit("\"service_time\": {\"mean_ms\": 5}", "\"model\": \"resnet50-t4\"");
  const auto error = rejection(text, {}, "/nonexistent/models");
  CHECK_THAT(error.what(), Catch::Contains("/pods/0/server/model: expected name of a model profile (no models folder "
                                           "found; looked in [\"/nonexistent/models\"]), got \"resnet50-t4\""));
}

TEST_CASE("a valid scenario cut short anywhere is rejected, never a crash", "[scenario]") {
  const std::string& text = kubemind::test::kValidScenario;
  for (size_t n = 0; n < text.size(); ++n) {
    INFO("first " << n << " bytes");
    bool rejected = false;
    try {
      kubemind::scenario::load_scenario_text(text.substr(0, n), "cut.json", {});
    } catch (const ScenarioError& error) {
      rejected = !error.issues().empty();
    }
    CHECK(rejected);
  }
}

TEST_CASE("stray bytes anywhere in a scenario give a ScenarioError or a valid config, never a crash", "[scenario]") {
  const std::string& text = kubemind::test::kValidScenario;
  for (const char stray : {'\0', '\xff', '"', '{', ']', ',', '~', '/', '9', '-'}) {
    for (size_t at = 0; at < text.size(); ++at) {
      std::string mutated = text;
      mutated[at] = stray;
      try {
        kubemind::scenario::load_scenario_text(mutated, "mutated.json", {});
      } catch (const ScenarioError& error) {
        CHECK_FALSE(error.issues().empty());
      }
    }
  }
}
