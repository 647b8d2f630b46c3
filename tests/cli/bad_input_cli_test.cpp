// SPDX-License-Identifier: MIT
// `kubemind validate` on broken input: exit status 2 and every problem on stderr, named by its JSON
// pointer; on a valid scenario, exit 0 and "ok: <file>". The CLI runs as a subprocess (KUBEMIND_CLI).


#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/bad_scenarios.h"
#include "tests/support/cli.h"
#include "tests/support/temp_dir.h"

namespace {

using kubemind::test::CliResult;
using kubemind::test::read_file;
using kubemind::test::run_cli;

/// A folder with a copy of the source tree's models/, so scenarios written into it find the profiles.
void add_models(const kubemind::test::TempDir& dir) {
  std::filesystem::copy(KUBEMIND_SOURCE_DIR "/models", dir.path() / "models");
}

}  // namespace

TEST_CASE("kubemind validate exits 2 and names the pointer for every broken scenario", "[cli]") {
  kubemind::test::TempDir dir;
  add_models(dir);
  const auto& rows = kubemind::test::bad_scenarios();
  REQUIRE(rows.size() >= 25);
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& row = rows[i];
    INFO("row: " << row.label);
    const std::string file = dir.write("bad-" + std::to_string(i) + ".json", row.text);
    std::vector<std::string> args = {"validate", file};
    for (const auto& o : row.overrides) {
      args.push_back("--set");
      args.push_back(o);
    }
    const CliResult result = run_cli(dir, args);
    INFO("stderr: " << result.err);
    CHECK(result.exit_status == 2);
    CHECK_THAT(result.err, Catch::Contains(file + ": " + row.pointer + ": expected "));
    CHECK_THAT(result.err, Catch::Contains(row.message));
    CHECK(result.out.empty());
  }
}

TEST_CASE("kubemind validate accepts a valid scenario with exit 0 and says so", "[cli]") {
  kubemind::test::TempDir dir;
  add_models(dir);
  const std::string file = dir.write("valid.json", kubemind::test::kValidScenario);
  const CliResult plain = run_cli(dir, {"validate", file});
  INFO("stderr: " << plain.err);
  CHECK(plain.exit_status == 0);
  CHECK(plain.out == "ok: " + file + "\n");

  const CliResult overridden =
      run_cli(dir, {"validate", file, "--set", "/pods/0/server={\"model\": \"resnet50-t4\"}", "--seed", "7"});
  INFO("stderr: " << overridden.err);
  CHECK(overridden.exit_status == 0);
}

TEST_CASE("kubemind validate reports a missing file at / with exit 2", "[cli]") {
  kubemind::test::TempDir dir;
  const std::string file = (dir.path() / "missing.json").string();
  const CliResult result = run_cli(dir, {"validate", file});
  CHECK(result.exit_status == 2);
  CHECK_THAT(result.err, Catch::Contains(file + ": /: expected a readable file, got No such file or directory"));
}

TEST_CASE("kubemind validate rejects a --set without '=' with exit 2", "[cli]") {
  kubemind::test::TempDir dir;
  const std::string file = dir.write("valid.json", kubemind::test::kValidScenario);
  const CliResult result = run_cli(dir, {"validate", file, "--set", "duration_s"});
  CHECK(result.exit_status == 2);
  CHECK_THAT(result.err, Catch::Contains("--set"));
}
