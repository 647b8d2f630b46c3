// SPDX-License-Identifier: MIT
// The kubemind command line: a thin shell over load_scenario -> run_scenario -> report writers.
// hpa-eval / keda-eval / kpa-eval are thin shells over sim/scenario/control_eval.h (JSON in, decision out).
// compare is a thin shell over sim/report/compare.h (report JSON files in, a table out).
// explain is a thin shell over sim/report/findings.h (a report JSON file in, its findings out).
// Exit codes: 0 success, 1 internal or I/O error, 2 bad scenario or bad usage.
// The wall clock is read here only, for the rate printed to stderr; it never reaches a report.

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/core.h>

#include "sim/report/compare.h"
#include "sim/report/findings.h"
#include "sim/report/writers.h"
#include "sim/scenario/control_eval.h"
#include "sim/scenario/load.h"
#include "sim/scenario/world.h"

namespace {

using kubemind::scenario::ScenarioError;

constexpr int kExitOk = 0;
constexpr int kExitInternal = 1;
constexpr int kExitBadInput = 2;

constexpr std::string_view kMainHelp = R"(kubemind - a deterministic simulator of Kubernetes routing and autoscaling for AI inference

Usage:
  kubemind run SCENARIO... [options]    simulate scenarios and print their SLI reports
  kubemind validate SCENARIO [options]  check a scenario and report every problem in it
  kubemind hpa-eval [FILE]              one HorizontalPodAutoscaler sync: the decision as JSON
  kubemind keda-eval [FILE]             one KEDA ScaledObject poll: the decision as JSON
  kubemind kpa-eval [FILE]              one Knative KPA decider tick: the decision as JSON
  kubemind compare A.json B.json [...]  put the headline numbers of run reports side by side
  kubemind explain REPORT.json          the automatic findings of a run report, in plain words
  kubemind help [COMMAND]               show help for a command
  kubemind --version                    print the version

A scenario is a JSON file ("kubemind": "v1") describing clients, pods and their inference
servers; see README.md, "Scenario format", and the examples in scenarios/.

Examples:
  kubemind run scenarios/mmc.json
  kubemind run scenarios/mmc.json --seed 7 --set /clients/0/arrival/rate_rps=6.4 --format json
  kubemind run scenarios/mmc.json --out out/mmc
  kubemind validate my-scenario.json
  kubemind hpa-eval sync.json
  kubemind compare out/before/report.json out/after/report.json
  kubemind explain out/before/report.json

Exit status: 0 success, 1 internal or I/O error, 2 bad scenario or bad usage.
)";

constexpr std::string_view kRunHelp = R"(Usage: kubemind run SCENARIO [SCENARIO...] [options]

Simulates SCENARIO and reports its service-level indicators: requests sent, completed and failed,
client-observed latency percentiles, queueing wait, throughput, SLO attainment, per-pod load, the
cluster's cost, every scaling decision, what each autoscaler saw next to the truth, a time series and
automatic findings. The same scenario and seed always give byte-identical reports.

With several scenarios, all are checked first, then run side by side with the same seed (common
random numbers: clients with the same names send the same arrivals), and the output is each run's
findings followed by a side-by-side comparison (as kubemind compare prints it; --format json gives
the comparison as JSON). --out DIR then writes DIR/<scenario name>/ for each.

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
  kubemind run scenarios/loophole.json scenarios/fix.json --out out
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

constexpr std::string_view kHpaEvalHelp = R"help(Usage: kubemind hpa-eval [FILE]

Runs one reconcile of kube-controller-manager's HorizontalPodAutoscaler controller (autoscaling/v2)
on exactly what the controller holds at that sync, read as one JSON document from FILE (or stdin
when FILE is "-" or absent), and prints the decision as JSON on stdout. The simulator's HPA calls
the same function.

Input (times and durations in seconds; durations may also be Go strings like "5m"; quantities are
Kubernetes quantities like "500m", "2", "1Gi", or JSON numbers in whole units):
  hpa         the HorizontalPodAutoscaler: {"spec": {"minReplicas" (default 1), "maxReplicas",
              "metrics" (default cpu 80 %), "behavior"}} with the autoscaling/v2 names:
                {"type": "Resource", "resource": {"name": "cpu"|"memory", "target":
                  {"type": "Utilization", "averageUtilization": 60} | {"type": "AverageValue",
                  "averageValue": "500m"}}}
                {"type": "Pods", "pods": {"metric": {"name": "qps"}, "target": {"type":
                  "AverageValue", "averageValue": "15"}}}
                {"type": "Object", "object": {"describedObject": {"kind": "Service", "name": "x"},
                  "metric": {"name": "qps"}, "target": {"type": "Value"|"AverageValue", ...}}}
                {"type": "External", "external": {"metric": {"name": "queue"}, "target": ...}}
              behavior.scaleUp / scaleDown: stabilizationWindowSeconds, selectPolicy
              (Max|Min|Disabled), policies [{"type": "Pods"|"Percent", "value", "periodSeconds"}],
              tolerance; missing fields get the API defaults. No behavior: the legacy path.
  scale       the target's scale subresource: {"spec": {"replicas"}, "status": {"replicas"}}
  pods        the pods the selector matched: [{"name", "phase" (Running), "startTime",
              "ready": {"status": "True"|"False"|"Unknown", "lastTransitionTime"},
              "deletionTimestamp", "requests": {"cpu", "memory"}}]
  metrics     one observation per spec.metrics entry, in order: {"available" (true),
              "pods": [{"pod", "value", "timestamp", "window"}] (Resource, Pods),
              "values": [...] (Object: one; External: every series), "timestamp"}
  history     the controller's memory (lost on restart): {"recommendations": [{"replicas",
              "timestamp"}] (absent or null: first sync), "scaleUpEvents" / "scaleDownEvents":
              [{"replicaChange", "timestamp", "outdated"}]}
  controller  flags (production defaults): syncPeriod 15, tolerance 0.1,
              cpuInitializationPeriod 300, initialReadinessDelay 30, downscaleStabilization 300,
              scaleUpLimitFactor 2, scaleUpLimitMinimum 4, configurableTolerance true
  now         the sync time

Output: currentReplicas, desiredReplicas, rescale, metricDesiredReplicas, metricName,
rescaleReason, stabilizedReplicas, stabilizationReason, limited, limitReason, error, proposals
(per metric: replicas, utilization, valueMilli, rule, failureReason, pods grouped as ready /
unready / missing / ignored), conditions (AbleToScale, ScalingActive, ScalingLimited) and history
(pass it as the next call's history).

Example (3 pods at 50 % of request against a 30 % target: 3 -> 5):
  {"hpa": {"spec": {"minReplicas": 2, "maxReplicas": 6, "metrics": [{"type": "Resource",
     "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 30}}}]}},
   "scale": {"spec": {"replicas": 3}},
   "pods": [{"name": "p0", "startTime": 0, "ready": {"status": "True", "lastTransitionTime": 0},
             "requests": {"cpu": "1"}}, {"name": "p1", ...}, {"name": "p2", ...}],
   "metrics": [{"pods": [{"pod": "p0", "value": "300m", "timestamp": 995, "window": 15},
                         {"pod": "p1", "value": "500m", ...}, {"pod": "p2", "value": "700m", ...}]}],
   "history": {"recommendations": []}, "now": 1000}

Exit status: 0 decision printed, 2 bad input (every problem listed by JSON pointer), 1 I/O error.
)help";

constexpr std::string_view kKedaEvalHelp = R"help(Usage: kubemind keda-eval [FILE]

Runs one poll of the KEDA operator for one ScaledObject (activity, then the executor's 0 <-> 1 and
idle/min moves, cooldown and fallback hold) and the metrics adapter's answer to the HPA KEDA
creates (the external metric per trigger, fallback values, status.health), on the JSON document in
FILE (or stdin when FILE is "-" or absent); prints the decision as JSON.

Input (times in seconds):
  scaledObject     a ScaledObject (keda.sh/v1alpha1):
                   metadata: creationTimestamp, annotations (autoscaling.keda.sh/paused-replicas,
                     paused, paused-scale-in, paused-scale-out, force-activation)
                   spec: pollingInterval (30), cooldownPeriod (300), initialCooldownPeriod (0),
                     minReplicaCount (0), maxReplicaCount (100), idleReplicaCount,
                     fallback {failureThreshold, replicas, behavior: static|currentReplicas|
                     currentReplicasIfHigher|currentReplicasIfLower},
                     triggers [{"type": "prometheus", "name", "metricType": AverageValue|Value,
                     "metadata": {"serverAddress", "query", "threshold", "activationThreshold",
                     "ignoreNullValues"}} | {"type": "cpu"|"memory", "metricType":
                     Utilization|AverageValue, "metadata": {"value"}}]
                   status: lastActiveTime, health {"s0-prometheus": {"numberOfFailures",
                     "status": Happy|Failing}}
  currentReplicas  the scale target's spec.replicas
  observations     one per trigger, in order: {"value": 12.5} | {"error": true} |
                   {"nullResult": true} (cpu/memory triggers are not queried: {})
  now              the poll time

Output: poll (isActive, isError, activeTriggers, action, targetReplicas, reason, the Ready and
Active conditions, lastActiveTime), hpa (minReplicas, maxReplicas, metrics with targetMilli and
valueMilli, fallbackCondition, anyError) and status (pass it as the next call's status).

Example (a queue of 35 against threshold 10 activates 0 -> 1; the HPA then sees 35000m):
  {"scaledObject": {"spec": {"maxReplicaCount": 20, "triggers": [{"type": "prometheus",
     "metadata": {"serverAddress": "http://prometheus:9090", "query": "sum(queue_depth)",
     "threshold": "10", "activationThreshold": "2"}}]}},
   "currentReplicas": 0, "observations": [{"value": 35}], "now": 60}

Exit status: 0 decision printed, 2 bad input (every problem listed by JSON pointer), 1 I/O error.
)help";

constexpr std::string_view kKpaEvalHelp = R"help(Usage: kubemind kpa-eval [FILE]

Runs one tick of the Knative Pod Autoscaler's decider (stable and panic windows, panic mode,
max scale up/down rates, activation scale, scale-down delay, excess burst capacity and the number
of activators) on the JSON document in FILE (or stdin when FILE is "-" or absent); prints the
decision as JSON.

Input (times and durations in seconds; durations may also be "60s"):
  config           config-autoscaler keys (strings or numbers), Knative's defaults:
                   container-concurrency-target-percentage 70, container-concurrency-target-default
                   100, requests-per-second-target-default 200, target-burst-capacity 200,
                   activator-capacity 100, max-scale-up-rate 1000, max-scale-down-rate 2,
                   panic-window-percentage 10, panic-threshold-percentage 200, stable-window 60s,
                   scale-to-zero-grace-period 30s, scale-down-delay 0s, initial-scale 1,
                   allow-zero-initial-scale false, enable-scale-to-zero true
  revision         {"containerConcurrency", "annotations": {autoscaling.knative.dev/metric
                   (concurrency|rps), /target, /target-utilization-percentage, /activation-scale,
                   /window, /panic-window-percentage, /panic-threshold-percentage,
                   /scale-down-delay, /class}}
  deciderSpec      instead of config + revision, the resolved DeciderSpec: targetValue,
                   totalValue, targetBurstCapacity, activatorCapacity, panicThreshold (a ratio),
                   maxScaleUpRate, maxScaleDownRate, stableWindow, panicWindow, scaleDownDelay,
                   activationScale, scalingMetric
  reachable        the revision receives traffic (true)
  readyPods        ready pods counted by the decider; readyCountError: the count failed
  metrics          {"stable": 50, "panic": 50} (window averages) | {"samples": [{"time",
                   "value"}]} (per-second readings averaged over both windows) | {"noData": true}
  state            the decider's memory {"panicTime", "maxPanicPods", "delayWindow"}; absent: a
                   decider created now (in panic if more than one pod is ready)
  now              the tick time

Output: scaleValid, desiredPodCount, excessBurstCapacity, numActivators, inPanic, reason, the rate
limits and intermediate pod counts, the observed averages, the resolved deciderSpec and state
(pass it as the next call's state).

Example (50 concurrent requests on one pod, containerConcurrency 10: 7 target -> 8 pods, panic):
  {"revision": {"containerConcurrency": 10}, "readyPods": 1,
   "metrics": {"stable": 50, "panic": 50}, "now": 1000}

Exit status: 0 decision printed, 2 bad input (every problem listed by JSON pointer), 1 I/O error.
)help";

constexpr std::string_view kCompareHelp = R"(Usage: kubemind compare A.json B.json [C.json ...] [--format text|json]

Reads JSON reports (written by kubemind run --format json or --out DIR as DIR/report.json) and
prints their headline numbers side by side, one column per report (its scenario name; the file
is added when two reports share a name): requests sent, completed and failed by reason, latency
percentiles, SLO attainment, throughput, load balance, maximum and mean replicas per Deployment,
GPU-hours, cost and pods created, the number of scaling events, and for each autoscaler trace
the mean of what the controller saw next to the mean of the truth.
With two reports a last column "B vs A" gives B / A, or B - A in percentage points for shares.
A field a report does not have (an older report, a run without a cluster) shows as "-" (null).

Options:
  --format text|json   text (default) or {"reports": [...], "rows": [{"metric", "unit",
                       "values": [...], "change"}]}

Example:
  kubemind run scenarios/mmc.json --out out/a
  kubemind run scenarios/mmc.json --set /pods/0/server/instances=9 --out out/b
  kubemind compare out/a/report.json out/b/report.json

Exit status: 0 table printed, 2 bad usage or a file that is not a report.
)";

constexpr std::string_view kExplainHelp = R"(Usage: kubemind explain REPORT.json [--format text|json]

Prints the automatic findings of a JSON report (written by kubemind run --format json or --out DIR
as DIR/report.json): plain-words statements about the run, each tagged problem, warning or info,
with the numbers they rest on. They are computed when the run ends (also at the end of report.txt):
requests pinned to one pod (imbalance), Ready pods that got no requests, an HPA whose CPU or memory
metric stayed below target while the GPU queue grew, scale-ups whose new pods served almost nothing,
a queue of 1000 requests or more, the SLO met or missed, cold starts, errors and cost.

Options:
  --format text|json   "- [severity] text" lines (default), or the report's findings array
                       [{"id", "severity", "text", "numbers": {name: value}}]

Example:
  kubemind run scenarios/loophole.json --out out/loophole
  kubemind explain out/loophole/report.json

Exit status: 0 findings printed, 2 bad usage or a file that is not a report with findings (a report
written by an older version: run the scenario again).
)";

bool is_eval_command(std::string_view command) {
  return command == "hpa-eval" || command == "keda-eval" || command == "kpa-eval";
}

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
  if (args.command != "run" && args.command != "validate" && args.command != "--version" &&
      args.command != "compare" && args.command != "explain" && !is_eval_command(args.command)) {
    throw UsageError{fmt::format(
        "unknown command \"{}\" (expected run, validate, hpa-eval, keda-eval, kpa-eval, compare, explain or help)",
        args.command)};
  }
  auto value_of = [&](std::string_view option) -> std::string_view {
    if (i >= rest.size()) throw UsageError{fmt::format("{} needs a value", option)};
    return rest[i++];
  };
  while (i < rest.size()) {
    const std::string_view a = rest[i++];
    if (a == "--help" || a == "-h") {
      args.help = true;
    } else if (is_eval_command(args.command) && a == "-") {
      args.scenarios.emplace_back(a);
    } else if (is_eval_command(args.command) && a.starts_with("-")) {
      throw UsageError{fmt::format("unknown option \"{}\" for {} (see kubemind help {})", a, args.command, args.command)};
    } else if (args.command == "compare" && a != "--format" && a.starts_with("-")) {
      throw UsageError{fmt::format("unknown option \"{}\" for compare (see kubemind help compare)", a)};
    } else if (args.command == "explain" && a != "--format" && a.starts_with("-")) {
      throw UsageError{fmt::format("unknown option \"{}\" for explain (see kubemind help explain)", a)};
    } else if (a == "--seed") {
      args.load.seed = parse_seed(value_of(a));
    } else if (a == "--set") {
      args.load.overrides.push_back(kubemind::scenario::parse_override(value_of(a)));
    } else if (a == "--models") {
      args.load.models_dir = std::string(value_of(a));
    } else if (a == "--format" &&
               (args.command == "run" || args.command == "compare" || args.command == "explain")) {
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
  if (is_eval_command(args.command)) {
    if (args.scenarios.size() > 1) {
      throw UsageError{fmt::format("{} takes one FILE (or - for stdin), got {}", args.command, args.scenarios.size())};
    }
  } else if (args.command == "compare") {
    if (!args.help && args.scenarios.size() < 2) {
      throw UsageError{fmt::format("compare needs at least two report files, got {}", args.scenarios.size())};
    }
  } else if (args.command == "explain") {
    if (!args.help && args.scenarios.size() != 1) {
      throw UsageError{fmt::format("explain takes one REPORT file, got {}", args.scenarios.size())};
    }
  } else if (!args.help && args.command != "--version") {
    if (args.scenarios.empty()) throw UsageError{fmt::format("{} needs a SCENARIO file", args.command)};
  }
  return args;
}

int print_help(std::string_view command) {
  if (command == "run") {
    fmt::print("{}", kRunHelp);
  } else if (command == "validate") {
    fmt::print("{}", kValidateHelp);
  } else if (command == "hpa-eval") {
    fmt::print("{}", kHpaEvalHelp);
  } else if (command == "keda-eval") {
    fmt::print("{}", kKedaEvalHelp);
  } else if (command == "kpa-eval") {
    fmt::print("{}", kKpaEvalHelp);
  } else if (command == "compare") {
    fmt::print("{}", kCompareHelp);
  } else if (command == "explain") {
    fmt::print("{}", kExplainHelp);
  } else if (command.empty()) {
    fmt::print("{}", kMainHelp);
  } else {
    fmt::print(stderr,
               "kubemind: no help for \"{}\" (commands: run, validate, hpa-eval, keda-eval, kpa-eval, compare, "
               "explain)\n",
               command);
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

/// hpa-eval / keda-eval / kpa-eval: one JSON document in, one decision out.
int run_eval(const Args& args) {
  const bool from_stdin = args.scenarios.empty() || args.scenarios.front() == "-";
  const std::string source = from_stdin ? "<stdin>" : args.scenarios.front();
  std::string text;
  if (from_stdin) {
    std::ostringstream buffer;
    buffer << std::cin.rdbuf();
    text = buffer.str();
  } else {
    text = kubemind::scenario::read_eval_file(source);
  }
  std::string out;
  if (args.command == "hpa-eval") {
    out = kubemind::scenario::run_hpa_eval(text, source);
  } else if (args.command == "keda-eval") {
    out = kubemind::scenario::run_keda_eval(text, source);
  } else {
    out = kubemind::scenario::run_kpa_eval(text, source);
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  return kExitOk;
}

/// compare: report files in, one table out. A file that is not a report is bad input (exit 2).
int run_compare(const Args& args) {
  std::vector<kubemind::report::ReportInput> inputs;
  std::string out;
  try {
    for (const std::string& path : args.scenarios) inputs.push_back({path, kubemind::report::read_report_file(path)});
    const kubemind::report::Comparison comparison = kubemind::report::compare_reports(inputs);
    out = args.format == "json" ? kubemind::report::comparison_to_json(comparison)
                                : kubemind::report::comparison_to_text(comparison);
  } catch (const kubemind::report::CompareError& e) {
    fmt::print(stderr, "{}\n", e.what());
    return kExitBadInput;
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  return kExitOk;
}

/// explain: one report file in, its findings out. A file that is not a report with findings is bad
/// input (exit 2).
int run_explain(const Args& args) {
  const std::string& path = args.scenarios.front();
  std::string out;
  try {
    out = kubemind::report::explain_report(kubemind::report::read_report_file(path), path, args.format == "json");
  } catch (const kubemind::report::CompareError& e) {  // the file cannot be read
    fmt::print(stderr, "{}\n", e.what());
    return kExitBadInput;
  } catch (const kubemind::report::ExplainError& e) {
    fmt::print(stderr, "{}\n", e.what());
    return kExitBadInput;
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  return kExitOk;
}

/// run (or validate) with several scenarios: all are loaded first (every problem of every file is
/// reported before anything runs), then run side by side on separate threads with the same seed
/// (common random numbers: clients with the same names draw the same arrivals). Prints each run's
/// findings and the comparison; --out DIR writes DIR/<scenario name>/ for each.
int run_several(const Args& args) {
  std::vector<kubemind::scenario::ScenarioConfig> configs;
  std::vector<std::string> problems;
  for (const std::string& path : args.scenarios) {
    try {
      configs.push_back(kubemind::scenario::load_scenario_file(path, args.load));
    } catch (const ScenarioError& e) {
      problems.emplace_back(e.what());
    }
  }
  if (!problems.empty()) {
    for (const std::string& p : problems) fmt::print(stderr, "{}\n", p);
    return kExitBadInput;
  }
  if (args.command == "validate") {
    for (const std::string& path : args.scenarios) fmt::print("ok: {}\n", path);
    return kExitOk;
  }
  for (size_t i = 0; i < configs.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (configs[i].name == configs[j].name) {
        throw UsageError{fmt::format("{} and {} are both named \"{}\": give each run its own name (its --out folder)",
                                     args.scenarios[j], args.scenarios[i], configs[i].name)};
      }
    }
  }
  std::vector<kubemind::report::RunReport> reports(configs.size());
  std::vector<std::string> failures(configs.size());
  const auto wall_start = std::chrono::steady_clock::now();
  {
    std::vector<std::thread> threads;
    for (size_t i = 0; i < configs.size(); ++i) {
      threads.emplace_back([&, i] {
        try {
          reports[i] = kubemind::scenario::run_scenario(configs[i]);
        } catch (const std::exception& e) {
          failures[i] = e.what();
        }
      });
    }
    for (std::thread& t : threads) t.join();
  }
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  for (size_t i = 0; i < configs.size(); ++i) {
    if (!failures[i].empty()) throw std::runtime_error(configs[i].name + ": " + failures[i]);
  }
  std::vector<kubemind::report::ReportInput> inputs;
  for (size_t i = 0; i < configs.size(); ++i) {
    if (args.out_dir) kubemind::report::write_report_files(*args.out_dir + "/" + configs[i].name, reports[i]);
    inputs.push_back({args.scenarios[i], kubemind::report::to_json(reports[i])});
  }
  const kubemind::report::Comparison comparison = kubemind::report::compare_reports(inputs);
  if (args.quiet) return kExitOk;
  std::string out;
  if (args.format == "json") {
    out = kubemind::report::comparison_to_json(comparison);
  } else {
    for (size_t i = 0; i < configs.size(); ++i) {
      out += fmt::format("Findings: {}\n", configs[i].name);
      if (reports[i].findings.empty()) out += "  (none)\n";
      for (const auto& f : reports[i].findings) out += fmt::format("  - [{}] {}\n", f.severity, f.text);
      out += "\n";
    }
    out += kubemind::report::comparison_to_text(comparison);
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  fmt::print(stderr, "ran {} scenarios in {:.2f} s wall clock{}\n", configs.size(), wall_s,
             args.out_dir ? fmt::format("; wrote {}/<scenario>/report.json, report.txt, timeseries.csv", *args.out_dir)
                          : "");
  return kExitOk;
}

int run(const Args& args) {
  if (is_eval_command(args.command)) return run_eval(args);
  if (args.command == "compare") return run_compare(args);
  if (args.command == "explain") return run_explain(args);
  if (args.scenarios.size() > 1) return run_several(args);
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
