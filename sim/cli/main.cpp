// SPDX-License-Identifier: MIT
// The kubemind command line: a thin shell over load_scenario -> run_scenario -> report writers.
// Exit codes: 0 success, 1 internal or I/O error, 2 bad scenario or bad usage.
// The wall clock is read here only, for the rate printed to stderr; it never reaches a report.

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/core.h>

#include "sim/report/writers.h"
#include "sim/scenario/load.h"
#include "sim/scenario/world.h"

namespace {

using kubemind::scenario::ScenarioError;

constexpr int kExitOk = 0;
constexpr int kExitInternal = 1;
constexpr int kExitBadInput = 2;

constexpr std::string_view kMainHelp = R"(kubemind - a deterministic simulator of Kubernetes routing and autoscaling for AI inference

Usage:
  kubemind run SCENARIO [options]       simulate a scenario and print its SLI report
  kubemind validate SCENARIO [options]  check a scenario and report every problem in it
  kubemind help [COMMAND]               show help for a command
  kubemind --version                    print the version

A scenario is a JSON file ("kubemind": "v1") describing clients, pods and their inference
servers; see README.md, "Scenario format", and the examples in scenarios/.

Examples:
  kubemind run scenarios/mmc.json
  kubemind run scenarios/mmc.json --seed 7 --set /clients/0/arrival/rate_rps=6.4 --format json
  kubemind run scenarios/mmc.json --out out/mmc
  kubemind validate my-scenario.json

Exit status: 0 success, 1 internal or I/O error, 2 bad scenario or bad usage.
)";

constexpr std::string_view kRunHelp = R"(Usage: kubemind run SCENARIO [options]

Simulates SCENARIO and reports its service-level indicators: requests sent, completed and failed,
client-observed latency percentiles, queueing wait, throughput, SLO attainment, per-pod load and a
time series. The same scenario and seed always give byte-identical reports.

Options:
  --seed N             replace the scenario's seed (an integer >= 0)
  --set POINTER=VALUE  override one field before validation; POINTER is a JSON pointer
                       (RFC 6901), VALUE is parsed as JSON, else taken as a string.
                       Repeatable, applied in order.
  --format text|json   what to print on stdout (default: text)
  --out DIR            also write DIR/report.json, DIR/report.txt and DIR/timeseries.csv
                       (each file appears whole or not at all)
  --quiet              print nothing on stdout or stderr except errors
  --models DIR         folder of model profiles (default: models/ beside the scenario's folder,
                       then the installed ones)

Progress is shown on stderr when it is a terminal. Wall-clock time is printed to stderr only.

Examples:
  kubemind run scenarios/mmc.json
  kubemind run scenarios/mmc.json --set /pods/0/server/instances=9 --set /duration_s=50000
  kubemind run scenarios/mmc.json --format json > report.json
)";

constexpr std::string_view kValidateHelp = R"(Usage: kubemind validate SCENARIO [options]

Loads SCENARIO, applies the overrides and checks everything a run would check, without running.
Every problem is listed, one per line, sorted by JSON pointer:
  <file>: <json-pointer>: expected <what>, got <what>
Exit status 2 if there is any problem, 0 (and "ok: <file>") if there is none.

Options:
  --seed N             as for run
  --set POINTER=VALUE  as for run
  --models DIR         as for run

Example:
  kubemind validate scenarios/mmc.json --set /pods/0/server/instances=0
)";

struct UsageError {
  std::string message;
};

struct Args {
  std::string command;
  std::vector<std::string> scenarios;
  kubemind::scenario::LoadOptions load;
  std::string format = "text";
  std::optional<std::string> out_dir;
  bool quiet = false;
  bool help = false;
};

uint64_t parse_seed(std::string_view text) {
  if (text.empty() || text.size() > 20) throw UsageError{fmt::format("--seed expects an integer >= 0, got \"{}\"", text)};
  uint64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') throw UsageError{fmt::format("--seed expects an integer >= 0, got \"{}\"", text)};
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) throw UsageError{fmt::format("--seed is larger than 2^64-1: {}", text)};
    value = value * 10 + digit;
  }
  return value;
}

Args parse_args(int argc, char** argv) {
  Args args;
  std::vector<std::string_view> rest(argv + 1, argv + argc);
  if (rest.empty()) {
    args.help = true;
    return args;
  }
  size_t i = 0;
  args.command = std::string(rest[i++]);
  if (args.command == "--help" || args.command == "-h") {
    args.command.clear();
    args.help = true;
    return args;
  }
  if (args.command == "help") {
    args.help = true;
    args.command = i < rest.size() ? std::string(rest[i]) : "";
    return args;
  }
  if (args.command != "run" && args.command != "validate" && args.command != "--version") {
    throw UsageError{fmt::format("unknown command \"{}\" (expected run, validate or help)", args.command)};
  }
  auto value_of = [&](std::string_view option) -> std::string_view {
    if (i >= rest.size()) throw UsageError{fmt::format("{} needs a value", option)};
    return rest[i++];
  };
  while (i < rest.size()) {
    const std::string_view a = rest[i++];
    if (a == "--help" || a == "-h") {
      args.help = true;
    } else if (a == "--seed") {
      args.load.seed = parse_seed(value_of(a));
    } else if (a == "--set") {
      args.load.overrides.push_back(kubemind::scenario::parse_override(value_of(a)));
    } else if (a == "--models") {
      args.load.models_dir = std::string(value_of(a));
    } else if (a == "--format" && args.command == "run") {
      args.format = std::string(value_of(a));
      if (args.format != "text" && args.format != "json") {
        throw UsageError{fmt::format("--format expects text or json, got \"{}\"", args.format)};
      }
    } else if (a == "--out" && args.command == "run") {
      args.out_dir = std::string(value_of(a));
    } else if (a == "--quiet" && args.command == "run") {
      args.quiet = true;
    } else if (a.starts_with("-")) {
      throw UsageError{fmt::format("unknown option \"{}\" for {} (see kubemind help {})", a, args.command, args.command)};
    } else {
      args.scenarios.emplace_back(a);
    }
  }
  if (!args.help && args.command != "--version") {
    if (args.scenarios.empty()) throw UsageError{fmt::format("{} needs a SCENARIO file", args.command)};
    if (args.scenarios.size() > 1) {
      throw UsageError{fmt::format("{} takes one SCENARIO, got {}", args.command, args.scenarios.size())};
    }
  }
  return args;
}

int print_help(std::string_view command) {
  if (command == "run") {
    fmt::print("{}", kRunHelp);
  } else if (command == "validate") {
    fmt::print("{}", kValidateHelp);
  } else if (command.empty()) {
    fmt::print("{}", kMainHelp);
  } else {
    fmt::print(stderr, "kubemind: no help for \"{}\" (commands: run, validate)\n", command);
    return kExitBadInput;
  }
  return kExitOk;
}

/// Progress on stderr, "\r"-rewritten, only when stderr is a terminal.
class Progress {
 public:
  Progress(bool enabled, std::string name, double duration_s)
      : enabled_(enabled), name_(std::move(name)), duration_s_(duration_s) {}
  void operator()(double fraction) {
    if (!enabled_) return;
    const int percent = static_cast<int>(fraction * 100);
    if (percent == last_percent_) return;
    last_percent_ = percent;
    fmt::print(stderr, "\r{}: {:3d}% of {:g} s simulated", name_, percent, duration_s_);
    if (percent >= 100) fmt::print(stderr, "\n");
    std::fflush(stderr);
  }

 private:
  bool enabled_;
  std::string name_;
  double duration_s_;
  int last_percent_ = -1;
};

int run(const Args& args) {
  const std::string& path = args.scenarios.front();
  const kubemind::scenario::ScenarioConfig config = kubemind::scenario::load_scenario_file(path, args.load);
  if (args.command == "validate") {
    fmt::print("ok: {}\n", path);
    return kExitOk;
  }
  Progress progress(!args.quiet && isatty(STDERR_FILENO) != 0, config.name, config.duration_s);
  kubemind::scenario::RunOptions options;
  options.progress = std::ref(progress);
  const auto wall_start = std::chrono::steady_clock::now();
  const kubemind::report::RunReport report = kubemind::scenario::run_scenario(config, options);
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();

  if (args.out_dir) kubemind::report::write_report_files(*args.out_dir, report);
  if (!args.quiet) {
    const std::string body = args.format == "json" ? kubemind::report::to_json(report) : kubemind::report::to_text(report);
    std::fwrite(body.data(), 1, body.size(), stdout);
    std::fflush(stdout);
    const uint64_t sent = report.sli.requests.sent;
    fmt::print(stderr, "{}: {} events, {} requests measured in {:.2f} s wall clock ({:.2f} M events/s){}\n",
               config.name, report.engine.events, sent, wall_s,
               wall_s > 0 ? static_cast<double>(report.engine.events) / wall_s / 1e6 : 0.0,
               args.out_dir ? fmt::format("; wrote {}/report.json, report.txt, timeseries.csv", *args.out_dir) : "");
  }
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Args args = parse_args(argc, argv);
    if (args.help) return print_help(args.command);
    if (args.command == "--version") {
      fmt::print("kubemind {}\n", KUBEMIND_VERSION);
      return kExitOk;
    }
    return run(args);
  } catch (const UsageError& e) {
    fmt::print(stderr, "kubemind: {}\nTry 'kubemind help'.\n", e.message);
    return kExitBadInput;
  } catch (const ScenarioError& e) {
    fmt::print(stderr, "{}\n", e.what());
    return kExitBadInput;
  } catch (const std::exception& e) {
    fmt::print(stderr, "kubemind: error: {}\n", e.what());
    return kExitInternal;
  }
}
