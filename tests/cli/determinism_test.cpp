// SPDX-License-Identifier: MIT
// The determinism gate (STYLE.md, Rule 7): the same scenario and seed give byte-identical reports,
// in one process and across processes; another seed gives other numbers.

#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "sim/report/writers.h"
#include "sim/scenario/load.h"
#include "sim/scenario/world.h"

using namespace kubemind;

namespace {

const std::string kSource = KUBEMIND_SOURCE_DIR;

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// Runs the CLI with `args`, stdout to `out`; returns the exit status.
int cli(const std::string& args, const std::filesystem::path& out) {
  const std::string cmd = std::string(KUBEMIND_CLI) + " " + args + " > " + out.string() + " 2>/dev/null";
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string run_in_process(const std::string& scenario, std::optional<uint64_t> seed = {}) {
  scenario::LoadOptions options;
  options.seed = seed;
  return report::to_json(scenario::run_scenario(scenario::load_scenario_file(kSource + "/scenarios/" + scenario, options)));
}

std::filesystem::path temp_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("kubemind-test-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace

TEST_CASE("the same scenario and seed give byte-identical JSON in one process", "[cli][determinism]") {
  const std::string a = run_in_process("md1.json");
  const std::string b = run_in_process("md1.json");
  CHECK(a == b);
  CHECK(a.size() > 1000);
}

// The reference architectures cross every newer path: node failures and silent pods, CFS sharing
// between tenants, preemption, quality tiers, HTTP/1.1 pools and proxy chains.
TEST_CASE("each reference architecture gives byte-identical JSON twice in one process", "[cli][determinism]") {
  for (const char* name : {"architectures/kube-mind.json", "architectures/kai-platform.json",
                           "architectures/mlops-multitenant.json", "architectures/ingress-envoy-grpc.json"}) {
    INFO(name);
    const std::string a = run_in_process(name);
    CHECK(a == run_in_process(name));
  }
}

TEST_CASE("another seed gives other numbers", "[cli][determinism]") {
  CHECK(run_in_process("md1.json", 1) != run_in_process("md1.json", 2));
}

TEST_CASE("two CLI processes write byte-identical reports, equal to the library's", "[cli][determinism]") {
  const auto dir = temp_dir("determinism");
  const std::string scenario = kSource + "/scenarios/md1.json";
  REQUIRE(cli("run " + scenario + " --format json --out " + (dir / "a").string(), dir / "a.json") == 0);
  REQUIRE(cli("run " + scenario + " --format json --out " + (dir / "b").string(), dir / "b.json") == 0);
  const std::string a = read_file(dir / "a.json");
  CHECK(a == read_file(dir / "b.json"));
  CHECK(a == run_in_process("md1.json"));
  // --out holds the same report, whole, and no temporary files.
  CHECK(read_file(dir / "a" / "report.json") == a);
  CHECK(read_file(dir / "a" / "report.txt") == read_file(dir / "b" / "report.txt"));
  CHECK(read_file(dir / "a" / "timeseries.csv") == read_file(dir / "b" / "timeseries.csv"));
  int files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir / "a")) ++files;
  CHECK(files == 3);
  // A different seed on the command line changes the report.
  REQUIRE(cli("run " + scenario + " --format json --seed 2", dir / "c.json") == 0);
  CHECK(read_file(dir / "c.json") != a);
  std::filesystem::remove_all(dir);
}

TEST_CASE("every scenario in scenarios/ validates and runs", "[cli]") {
  const auto dir = temp_dir("scenarios");
  int count = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(kSource + "/scenarios")) {
    if (entry.path().extension() != ".json") continue;
    ++count;
    INFO(entry.path().string());
    CHECK(cli("validate " + entry.path().string(), dir / "v.txt") == 0);
    // A short run keeps the suite fast: the long analytic runs are in tests/properties.
    CHECK(cli("run " + entry.path().string() + " --set /duration_s=30 --set /warmup_s=5 --set /report/interval_s=1",
              dir / "r.txt") == 0);
  }
  CHECK(count >= 4);
  std::filesystem::remove_all(dir);
}

TEST_CASE("the CLI teaches: help for every command, and usage errors exit 2", "[cli]") {
  const auto dir = temp_dir("help");
  CHECK(cli("--help", dir / "h.txt") == 0);
  CHECK(read_file(dir / "h.txt").find("kubemind run SCENARIO") != std::string::npos);
  CHECK(cli("help run", dir / "h.txt") == 0);
  CHECK(read_file(dir / "h.txt").find("--set POINTER=VALUE") != std::string::npos);
  CHECK(cli("run --help", dir / "h.txt") == 0);
  CHECK(cli("validate --help", dir / "h.txt") == 0);
  CHECK(cli("frobnicate", dir / "h.txt") == 2);
  CHECK(cli("run", dir / "h.txt") == 2);
  CHECK(cli("run x.json --format yaml", dir / "h.txt") == 2);
  CHECK(cli("run x.json --seed -3", dir / "h.txt") == 2);
  CHECK(cli("run " + kSource + "/scenarios/md1.json --bogus", dir / "h.txt") == 2);
  std::filesystem::remove_all(dir);
}
