// SPDX-License-Identifier: MIT
// `kubemind hpa-eval`, `keda-eval` and `kpa-eval` as a user runs them (the real binary,
// KUBEMIND_CLI, as a subprocess): a sample of the transcribed vectors in tests/control/vectors/
// (every twentieth HPA vector plus the multi-metric ones, every second KEDA vector, every third KPA
// vector with its first two steps; every vector and step goes through the same run_*_eval
// functions in tests/scenario/control_eval_test.cpp, the CLI adds only reading and printing;
// subprocesses are slow under ASan, hence the sample) read from a FILE
// and from stdin, checked field by field against the expected values of the Kubernetes, KEDA
// and Knative tests they cite; help texts; exit status 2 with JSON-pointer messages on bad input.
// The matching rules are those of tests/scenario/control_eval_test.cpp.


#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/cli.h"
#include "tests/support/vector_match.h"
#include "tests/support/temp_dir.h"

namespace {

using nlohmann::json;

using kubemind::test::CliResult;
using kubemind::test::read_file;
using kubemind::test::run_cli;

using kubemind::test::load_vectors;
using kubemind::test::matches;

/// Runs one vector through `kubemind <command>`: the first step from a FILE, later steps from
/// stdin ("-"), each carrying `carry` from the previous output. Returns the decisions checked.
int run_vector(const kubemind::test::TempDir& dir, const std::string& command, const json& v, const char* carry,
               size_t max_steps = 100) {
  json steps = v.contains("steps") ? v["steps"] : json::array({json{{"input", v["input"]}, {"expect", v["expect"]}}});
  const json within = v.value("within", json::object());
  json previous;
  int checked = 0;
  for (size_t i = 0; i < steps.size() && i < max_steps; ++i) {
    json input = steps[i]["input"];
    if (i > 0 && !input.contains(carry)) input[carry] = previous[carry];
    const std::string file = dir.write("input.json", input.dump(1));
    const CliResult r = i == 0 ? run_cli(dir, {command, file}) : run_cli(dir, {command, "-"}, file);
    INFO(v["name"].get<std::string>() << " (" << v["source"].get<std::string>() << "), step " << i << "\n" << r.err);
    REQUIRE(r.exit_status == 0);
    REQUIRE(r.err.empty());
    const json out = json::parse(r.out);
    std::string why;
    const bool ok = matches(steps[i]["expect"], out, within, "", why);
    INFO(why);
    CHECK(ok);
    previous = out;
    ++checked;
  }
  return checked;
}

}  // namespace

TEST_CASE("kubemind hpa-eval reproduces the Kubernetes HPA test vectors", "[cli][control_eval]") {
  const kubemind::test::TempDir dir;
  const json vectors = load_vectors("hpa.json");
  int run = 0;
  for (size_t i = 0; i < vectors.size(); ++i) {
    const std::string name = vectors[i]["name"].get<std::string>();
    // Every twentieth vector (each source, metric type and path), and those with several metrics.
    if (i % 20 != 0 && name.find("OneMetric") == std::string::npos) continue;
    run += run_vector(dir, "hpa-eval", vectors[i], "history");
  }
  CHECK(run >= 10);
}

TEST_CASE("kubemind keda-eval reproduces the KEDA executor and fallback test vectors", "[cli][control_eval]") {
  const kubemind::test::TempDir dir;
  const json vectors = load_vectors("keda.json");
  int run = 0;
  for (size_t i = 0; i < vectors.size(); i += 2) run += run_vector(dir, "keda-eval", vectors[i], "status");
  CHECK(run >= 10);
}

TEST_CASE("kubemind kpa-eval reproduces the Knative autoscaler test vectors, threading the decider state",
          "[cli][control_eval]") {
  const kubemind::test::TempDir dir;
  const json vectors = load_vectors("kpa.json");
  int run = 0;
  // Every third vector, its first two steps (the second reads the state the first printed, from stdin).
  for (size_t i = 0; i < vectors.size(); i += 3) run += run_vector(dir, "kpa-eval", vectors[i], "state", 2);
  CHECK(run >= 10);
}

TEST_CASE("kubemind *-eval documents its input schema in --help and in kubemind help", "[cli][control_eval]") {
  const kubemind::test::TempDir dir;
  for (const std::string command : {"hpa-eval", "keda-eval", "kpa-eval"}) {
    const CliResult a = run_cli(dir, {command, "--help"});
    CHECK(a.exit_status == 0);
    CHECK(a.out.starts_with("Usage: kubemind " + command + " [FILE]"));
    CHECK(a.out.find("Example") != std::string::npos);
    const CliResult b = run_cli(dir, {"help", command});
    CHECK(b.exit_status == 0);
    CHECK(b.out == a.out);
  }
  const CliResult main_help = run_cli(dir, {"--help"});
  CHECK(main_help.out.find("kubemind hpa-eval [FILE]") != std::string::npos);
}

TEST_CASE("kubemind hpa-eval on bad input exits 2 and names every problem by JSON pointer", "[cli][control_eval]") {
  const kubemind::test::TempDir dir;
  const std::string file = dir.write("bad.json", R"({"hpa": {"spec": {"maxReplicas": 5, "minReplica": 1}},
      "scale": {"spec": {"replicas": 2}}, "metrics": [{"pods": [{"pod": "a", "value": "lots"}]}], "now": 0})");
  const CliResult r = run_cli(dir, {"hpa-eval", file});
  CHECK(r.exit_status == 2);
  CHECK(r.out.empty());
  CHECK(r.err == file + ": /hpa/spec/minReplica: expected one of the fields [\"scaleTargetRef\",\"minReplicas\","
                        "\"maxReplicas\",\"metrics\",\"behavior\"] (did you mean \"minReplicas\"?), got unknown field\n" +
                     file + ": /metrics/0/pods/0/value: expected a Kubernetes quantity (e.g. \"500m\", \"2\", \"1Gi\") "
                            "or a number, got \"lots\"\n");
  // Not JSON at all, from stdin.
  const std::string junk = dir.write("junk.txt", "{\"now\": ");
  const CliResult s = run_cli(dir, {"kpa-eval"}, junk);
  CHECK(s.exit_status == 2);
  CHECK(s.err.starts_with("<stdin>: /: expected"));
  // A missing file, and a second FILE argument.
  CHECK(run_cli(dir, {"keda-eval", (dir.path() / "nope.json").string()}).exit_status == 2);
  const CliResult two = run_cli(dir, {"keda-eval", file, file});
  CHECK(two.exit_status == 2);
  CHECK(two.err.find("takes one FILE") != std::string::npos);
}
