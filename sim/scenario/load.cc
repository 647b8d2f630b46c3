// SPDX-License-Identifier: MIT
#include "sim/scenario/load.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <system_error>
#include <utility>

#include "sim/scenario/json_reader.h"
#include "sim/scenario/model_profile.h"
#include "sim/scenario/schema_v1.h"

#ifndef KUBEMIND_DEFAULT_MODELS_DIR
#define KUBEMIND_DEFAULT_MODELS_DIR "/usr/local/share/kubemind/models"
#endif

namespace kubemind::scenario {
namespace {

namespace fs = std::filesystem;

const char* const kDnsLabel =
    "DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 "
    "characters)";

bool is_v1(std::string_view text) { return text == kSchemaVersion; }
bool is_scenario_name(std::string_view text) { return !text.empty() && text.size() <= kMaxNameLength; }

bool is_dns_label(std::string_view text) {
  const auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (text.empty() || text.size() > kMaxLabelLength) return false;
  if (!alnum(text.front()) || !alnum(text.back())) return false;
  return std::all_of(text.begin(), text.end(), [&](char c) { return alnum(c) || c == '-'; });
}

std::string shown(const std::string& pointer) { return pointer.empty() ? "/" : pointer; }

std::string elements(std::size_t n) { return std::to_string(n) + (n == 1 ? " element" : " elements"); }

// --- Overrides -------------------------------------------------------------------------------------

/// Splits an RFC 6901 pointer into unescaped tokens; nullopt if a '~' is not followed by 0 or 1.
std::optional<std::vector<std::string>> pointer_tokens(const std::string& pointer) {
  std::vector<std::string> tokens;
  if (pointer.empty() || pointer.front() != '/') return std::nullopt;
  std::string token;
  for (std::size_t i = 1; i <= pointer.size(); ++i) {
    if (i == pointer.size() || pointer[i] == '/') {
      tokens.push_back(std::move(token));
      token.clear();
    } else if (pointer[i] == '~') {
      if (i + 1 >= pointer.size() || (pointer[i + 1] != '0' && pointer[i + 1] != '1')) return std::nullopt;
      token += pointer[i + 1] == '0' ? '~' : '/';
      ++i;
    } else {
      token += pointer[i];
    }
  }
  return tokens;
}

/// An array index as RFC 6901 spells it: digits without a leading zero.
std::optional<std::size_t> array_index(const std::string& token) {
  if (token.empty() || token.size() > 9 || (token.size() > 1 && token.front() == '0')) return std::nullopt;
  if (!std::all_of(token.begin(), token.end(), [](char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
  return static_cast<std::size_t>(std::stoul(token));
}

std::vector<std::string> keys_of(const Json& object) {
  std::vector<std::string> keys;
  for (const auto& item : object.items()) keys.push_back(item.key());
  return keys;
}

/// What the parent at `at` offers, for "expected a path that exists (...)".
std::string parent_summary(const Json& parent, const std::string& at, const std::string& token) {
  if (parent.is_array()) return "parent " + shown(at) + " has " + elements(parent.size());
  if (parent.is_object()) {
    const auto keys = keys_of(parent);
    return "parent " + shown(at) + " has fields " + quoted_list(keys) + did_you_mean(token, keys);
  }
  return "parent " + shown(at) + " is a " + std::string(parent.type_name()) + ", not an object or array";
}

std::string token_got(const Json& parent, const std::string& token) {
  if (parent.is_array() && array_index(token)) return "index " + token;
  return (parent.is_array() ? "token " : "field ") + describe_string(token);
}

/// Sets the value at `assignment.pointer` in `document`. The parent must exist; the last token may add a
/// field to an object, or append to an array (index = size, or "-").
void apply_override(Json& document, const Override& assignment, std::vector<Issue>& issues) {
  const std::string& pointer = assignment.pointer;
  const auto tokens = pointer_tokens(pointer);
  if (!tokens) {
    issues.push_back({pointer, "a JSON pointer (RFC 6901: '/'-separated, '~' only in ~0 and ~1; from --set)",
                      describe_string(pointer)});
    return;
  }
  std::vector<Issue> value_issues;
  std::optional<Json> value = parse_json(assignment.value_text, value_issues, pointer);
  if (value) {
    issues.insert(issues.end(), value_issues.begin(), value_issues.end());  // repeated keys in the value
  } else {
    value = Json(assignment.value_text);  // not JSON: taken as a string, so --set /name=web works
  }

  Json* node = &document;
  std::string at;
  for (std::size_t i = 0; i + 1 < tokens->size(); ++i) {
    const std::string& token = (*tokens)[i];
    Json* next = nullptr;
    if (node->is_object() && node->contains(token)) {
      next = &(*node)[token];
    } else if (node->is_array()) {
      if (const auto index = array_index(token); index && *index < node->size()) next = &(*node)[*index];
    }
    if (next == nullptr) {
      issues.push_back({pointer, "a path that exists (" + parent_summary(*node, at, token) + "; from --set)",
                        token_got(*node, token)});
      return;
    }
    node = next;
    at = child_pointer(at, token);
  }

  const std::string& last = tokens->back();
  if (node->is_object()) {
    (*node)[last] = std::move(*value);
  } else if (node->is_array()) {
    const auto index = array_index(last);
    if (last == "-" || (index && *index == node->size())) {
      node->push_back(std::move(*value));
    } else if (index && *index < node->size()) {
      (*node)[*index] = std::move(*value);
    } else {
      issues.push_back({pointer,
                        "an index in [0, " + std::to_string(node->size()) + "] or \"-\" (parent " + shown(at) +
                            " has " + elements(node->size()) + "; from --set)",
                        token_got(*node, last)});
    }
  } else {
    issues.push_back(
        {pointer, "a path that exists (" + parent_summary(*node, at, last) + "; from --set)", token_got(*node, last)});
  }
}

// --- Model profiles --------------------------------------------------------------------------------

/// Finds the models folder on first use and loads each referenced profile once.
class ModelCatalog {
 public:
  ModelCatalog(const std::string& models_dir, const std::string& base_dir) {
    if (!models_dir.empty()) {
      searched_ = {models_dir};
    } else {
      searched_ = {(fs::path(base_dir) / ".." / "models").lexically_normal().string(),
                   (fs::path(base_dir) / "models").lexically_normal().string(), KUBEMIND_DEFAULT_MODELS_DIR};
    }
  }

  /// The batch-1 mean latency of profile `name` (ms), or nullopt after an issue at `server`'s "model".
  std::optional<double> batch1_mean_ms(ObjectReader& server, const std::string& name) {
    const std::string* dir = models_dir();
    if (dir == nullptr) {
      server.issue("model",
                   "name of a model profile (no models folder found; looked in " + quoted_list(searched_) + ")",
                   describe_string(name));
      return std::nullopt;
    }
    const auto names = model_profile_names(*dir);
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      server.issue("model", "name of a model profile, one of " + quoted_list(names) + did_you_mean(name, names),
                   describe_string(name));
      return std::nullopt;
    }
    auto [it, inserted] = profiles_.try_emplace(name);
    Entry& entry = it->second;
    if (inserted) {
      try {
        entry.profile = load_model_profile(*dir, name);
      } catch (const ScenarioError& error) {
        entry.source = error.source();
        entry.issues = error.issues();
      }
    }
    for (const auto& issue : entry.issues) {
      server.issue(
          "model",
          "a valid model profile; " + entry.source + ": " + shown(issue.pointer) + ": expected " + issue.expected,
          issue.got);
    }
    if (!entry.profile) return std::nullopt;
    const LatencyKnot& first = entry.profile->latency_ms.front();
    if (first.batch != 1) {
      server.issue("model", "a model profile with a batch-1 latency", "smallest batch " + std::to_string(first.batch));
      return std::nullopt;
    }
    return first.mean_ms;
  }

 private:
  struct Entry {
    std::optional<ModelProfile> profile;
    std::string source;
    std::vector<Issue> issues;
  };

  const std::string* models_dir() {
    if (!resolved_) {
      resolved_ = true;
      for (const auto& candidate : searched_) {
        std::error_code error;
        if (fs::is_directory(candidate, error)) {
          dir_ = candidate;
          break;
        }
      }
    }
    return dir_ ? &*dir_ : nullptr;
  }

  std::vector<std::string> searched_;
  bool resolved_ = false;
  std::optional<std::string> dir_;
  std::map<std::string, Entry> profiles_;
};

// --- Schema v1 -------------------------------------------------------------------------------------

serve::InferenceServerConfig read_server(ObjectReader& server, ModelCatalog& catalog) {
  using serve::ServiceDistribution;
  serve::InferenceServerConfig config;
  const bool has_model = server.find("model") != nullptr;
  const auto model = server.string("model", Presence::kOptional);
  config.instances = static_cast<int>(server.integer("instances", 1, kMaxInstances, Presence::kOptional).value_or(1));
  config.max_queue_size = server.integer("max_queue_size", 0, kMaxQueueSize, Presence::kOptional).value_or(0);

  std::optional<double> model_mean_ms;
  if (model) {
    config.model = *model;
    model_mean_ms = catalog.batch1_mean_ms(server, *model);
  }

  // With a model the profile gives the mean, so service_time is optional and must not repeat it.
  std::optional<double> mean_ms = model_mean_ms;
  std::optional<double> cv;
  auto distribution = ServiceDistribution::kDeterministic;
  if (auto service = server.object("service_time", has_model ? Presence::kOptional : Presence::kRequired)) {
    const bool has_distribution = service->find("distribution") != nullptr;
    const auto chosen = service->choice("distribution", service_distributions(), Presence::kOptional);
    distribution = chosen.value_or(ServiceDistribution::kDeterministic);
    if (has_model) {
      std::string reason = "no mean_ms when " + server.pointer("model") + " is set (the model profile gives the mean";
      reason += model_mean_ms ? ", " + format_number(*model_mean_ms) + " ms)" : ")";
      service->forbid("mean_ms", reason);
    } else {
      mean_ms = service->number("mean_ms", greater_than_up_to(0, kMaxMeanMs), Presence::kRequired);
    }
    if (distribution == ServiceDistribution::kLognormal) {
      cv = service->number("cv", greater_than_up_to(0, kMaxCv), Presence::kRequired);
    } else if (!has_distribution || chosen) {
      service->forbid("cv", "no cv (only \"lognormal\" takes one; exponential has cv 1, deterministic cv 0)");
    } else {
      service->find("cv");  // the distribution is wrong already; whether cv belongs is unknowable
    }
    service->finish();
  }
  config.service_time.distribution = distribution;
  config.service_time.mean_ms = mean_ms.value_or(0.0);
  switch (distribution) {
    case ServiceDistribution::kDeterministic:
      config.service_time.cv = 0.0;
      break;
    case ServiceDistribution::kExponential:
      config.service_time.cv = 1.0;
      break;
    case ServiceDistribution::kLognormal:
      config.service_time.cv = cv.value_or(0.0);
      break;
  }
  return config;
}

struct TargetRef {
  std::string pointer;
  std::string pod;
};

/// Reads a list of uniquely named objects (clients, pods): calls read(element_reader, name) per element.
template <typename ReadElement>
void read_named_list(ObjectReader& parent, std::string_view key, std::string_view kind, ReadElement read) {
  const Json* list = parent.array(key, Presence::kRequired, 1);
  if (list == nullptr) return;
  std::map<std::string, std::string> first_pointer;  // name -> pointer of the element that has it
  for (std::size_t i = 0; i < list->size(); ++i) {
    ObjectReader element((*list)[i], child_pointer(parent.pointer(key), i), parent.issues());
    const auto name = element.string("name", Presence::kRequired, kDnsLabel, is_dns_label);
    if (name) {
      const auto [it, inserted] = first_pointer.try_emplace(*name, element.pointer("name"));
      if (!inserted) {
        element.issue("name", "a name no other " + std::string(kind) + " has (" + it->second + " has it)",
                      describe_string(*name));
      }
    }
    read(element, name.value_or(""));
    element.finish();
  }
}

ScenarioConfig read_scenario(const Json& document, ModelCatalog& catalog, std::vector<Issue>& issues) {
  ScenarioConfig config;
  ObjectReader r(document, "", issues);
  r.string("kubemind", Presence::kRequired, "\"v1\"", is_v1);
  config.version = kSchemaVersion;
  config.name = r.string("name", Presence::kRequired, "non-empty string of at most 253 characters", is_scenario_name)
                    .value_or("");
  config.description = r.string("description", Presence::kOptional).value_or("");
  config.seed = r.unsigned_integer("seed", Presence::kOptional).value_or(kDefaultSeed);
  const auto duration_s = r.number("duration_s", greater_than_up_to(0, kMaxDurationS), Presence::kRequired);
  config.duration_s = duration_s.value_or(0.0);
  const auto warmup_s = r.number("warmup_s", at_least(0), Presence::kOptional);
  config.warmup_s = warmup_s.value_or(0.0);

  if (auto slo = r.object("slo", Presence::kOptional)) {
    config.slo.latency_ms = slo->number("latency_ms", greater_than(0), Presence::kRequired);
    slo->finish();
  }

  std::optional<double> interval_s = config.report.interval_s;
  if (auto report = r.object("report", Presence::kOptional)) {
    if (report->find("interval_s") != nullptr) {
      interval_s = report->number("interval_s", at_least(kMinReportIntervalS), Presence::kOptional);
    }
    config.report.interval_s = interval_s.value_or(config.report.interval_s);
    report->finish();
  }

  std::vector<TargetRef> targets;
  double total_rate_rps = 0.0;
  read_named_list(r, "clients", "client", [&](ObjectReader& element, const std::string& name) {
    ClientConfig client;
    client.client.name = name;
    if (auto target = element.string("target", Presence::kRequired)) {
      client.target = *target;
      targets.push_back({element.pointer("target"), *target});
    }
    if (auto arrival = element.object("arrival", Presence::kRequired)) {
      client.client.arrival.process = arrival->choice("process", arrival_processes(), Presence::kOptional)
                                          .value_or(traffic::ArrivalProcess::kPoisson);
      const auto rate_rps = arrival->number("rate_rps", greater_than_up_to(0, kMaxRateRps), Presence::kRequired);
      client.client.arrival.rate_rps = rate_rps.value_or(0.0);
      if (rate_rps) total_rate_rps += *rate_rps;
      arrival->finish();
    }
    config.clients.push_back(std::move(client));
  });

  // Targets match any pod whose name is a string, valid or not, so a bad pod name is reported once.
  std::vector<std::string> pod_names;
  bool pods_readable = false;
  read_named_list(r, "pods", "pod", [&](ObjectReader& element, const std::string& name) {
    pods_readable = true;
    if (const Json* raw = element.find("name"); raw != nullptr && raw->is_string()) {
      pod_names.push_back(raw->get<std::string>());
    }
    PodConfig pod;
    pod.name = name;
    if (auto server = element.object("server", Presence::kRequired)) {
      pod.server = read_server(*server, catalog);
      server->finish();
    }
    config.pods.push_back(std::move(pod));
  });
  r.finish();

  if (pods_readable) {
    for (const auto& target : targets) {
      if (std::find(pod_names.begin(), pod_names.end(), target.pod) != pod_names.end()) continue;
      issues.push_back(
          {target.pointer,
           "name of a pod in /pods, one of " + quoted_list(pod_names) + did_you_mean(target.pod, pod_names),
           describe_string(target.pod)});
    }
  }

  // Cross-field checks, each reported at the field a user would change.
  if (duration_s && warmup_s && *warmup_s >= *duration_s) {
    issues.push_back(
        {"/warmup_s", "number < /duration_s (" + format_number(*duration_s) + ")", format_number(*warmup_s)});
  }
  if (duration_s && interval_s && *duration_s / *interval_s > kMaxTimeSeriesPoints) {
    issues.push_back(
        {"/report/interval_s",
         "number >= " + format_number(*duration_s / kMaxTimeSeriesPoints) +
             " (so that /duration_s has at most 100000 time-series points)",
         format_number(*interval_s) + " (" + format_number(std::ceil(*duration_s / *interval_s)) + " points)"});
  }
  if (duration_s && total_rate_rps * *duration_s > kMaxRequests) {
    issues.push_back(
        {"/duration_s", "a run of at most 1e+10 requests (/duration_s x the sum of /clients/*/arrival/rate_rps)",
         format_number(*duration_s) + " s (" + format_number(total_rate_rps * *duration_s) + " requests)"});
  }
  return config;
}

}  // namespace

Override parse_override(std::string_view arg) {
  const auto equals = arg.find('=');
  if (equals == std::string_view::npos || arg.empty() || arg.front() != '/') {
    throw ScenarioError("--set", {{"/", "POINTER=VALUE with a JSON pointer starting with '/' (e.g. /duration_s=60)",
                                   describe_string(arg)}});
  }
  return {std::string(arg.substr(0, equals)), std::string(arg.substr(equals + 1))};
}

ScenarioConfig load_scenario_file(const std::string& path, const LoadOptions& options) {
  std::vector<Issue> issues;
  const auto text = read_text_file(path, issues);
  if (!text) throw ScenarioError(path, std::move(issues));
  std::string base_dir = fs::path(path).parent_path().string();
  if (base_dir.empty()) base_dir = ".";
  return load_scenario_text(*text, path, options, base_dir);
}

ScenarioConfig load_scenario_text(std::string_view text, const std::string& source, const LoadOptions& options,
                                  const std::string& base_dir) {
  std::vector<Issue> issues;
  ScenarioConfig config;
  try {
    auto document = parse_json(text, issues);
    if (!document) throw ScenarioError(source, std::move(issues));
    for (const auto& assignment : options.overrides) apply_override(*document, assignment, issues);
    ModelCatalog catalog(options.models_dir, base_dir);
    config = read_scenario(*document, catalog, issues);
  } catch (const Json::exception& error) {  // a loader bug, but still reported as bad input, never a crash
    issues.push_back({"/", "a scenario the loader can read", std::string("an internal JSON error: ") + error.what()});
  }
  if (!issues.empty()) throw ScenarioError(source, std::move(issues));
  if (options.seed) config.seed = *options.seed;
  return config;
}

}  // namespace kubemind::scenario
