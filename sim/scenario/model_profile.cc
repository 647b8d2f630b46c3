// SPDX-License-Identifier: MIT
#include "sim/scenario/model_profile.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "sim/scenario/json_reader.h"
#include "sim/scenario/scenario_error.h"

namespace kubemind::scenario {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kMaxBatch = 65536;
constexpr double kMaxLatencyMs = 1e7;

bool non_empty(std::string_view text) { return !text.empty(); }
bool is_v1(std::string_view text) { return text == "v1"; }

/// A name that can only mean a file directly inside models_dir.
bool is_plain_stem(const std::string& name) {
  return !name.empty() && name.front() != '.' && name.find_first_of("/\\") == std::string::npos &&
         name.find('\0') == std::string::npos;
}

std::string profile_path(const std::string& models_dir, const std::string& name) {
  return (fs::path(models_dir) / (name + ".json")).string();
}

std::vector<LatencyKnot> read_latencies(ObjectReader& profile) {
  std::vector<LatencyKnot> knots;
  const Json* list = profile.array("latency_ms", Presence::kRequired, 1);
  if (list == nullptr) return knots;
  std::optional<int64_t> previous_batch;
  for (std::size_t i = 0; i < list->size(); ++i) {
    ObjectReader knot((*list)[i], child_pointer(profile.pointer("latency_ms"), i), profile.issues());
    const auto batch = knot.integer("batch", 1, kMaxBatch, Presence::kRequired);
    const auto mean = knot.number("mean", greater_than_up_to(0, kMaxLatencyMs), Presence::kRequired);
    const auto p99 = knot.number("p99", greater_than_up_to(0, kMaxLatencyMs), Presence::kOptional);
    knot.finish();
    if (batch && previous_batch && *batch <= *previous_batch) {
      knot.issue("batch", "integer > " + std::to_string(*previous_batch) + " (batch sizes strictly increasing)",
                 std::to_string(*batch));
    }
    if (mean && p99 && *p99 < *mean) {
      knot.issue("p99", "number >= mean (" + format_number(*mean) + ")", format_number(*p99));
    }
    if (batch) previous_batch = batch;
    if (batch && mean) knots.push_back({static_cast<int>(*batch), *mean, p99.value_or(0.0)});
  }
  return knots;
}

ModelProfile read_profile(const Json& document, const std::string& stem, std::vector<Issue>& issues) {
  ModelProfile profile;
  ObjectReader r(document, "", issues);
  r.string("kubemind_model", Presence::kRequired, "\"v1\"", is_v1);
  const auto name = r.string("name", Presence::kRequired, "non-empty string", non_empty);
  if (name && *name != stem) r.issue("name", quote(stem) + " (the file's name without .json)", describe_string(*name));
  profile.name = stem;
  profile.model = r.string("model", Presence::kRequired, "non-empty string", non_empty).value_or("");
  profile.gpu = r.string("gpu", Presence::kRequired, "non-empty string", non_empty).value_or("");
  profile.precision = r.string("precision", Presence::kRequired, "non-empty string", non_empty).value_or("");
  profile.latency_ms = read_latencies(r);
  profile.source = r.string("source", Presence::kRequired, "non-empty string", non_empty).value_or("");
  r.finish();
  return profile;
}

}  // namespace

bool model_profile_exists(const std::string& models_dir, const std::string& name) {
  if (!is_plain_stem(name)) return false;
  std::error_code error;
  return fs::is_regular_file(profile_path(models_dir, name), error);
}

ModelProfile load_model_profile(const std::string& models_dir, const std::string& name) {
  const std::string path = profile_path(models_dir, name);
  std::vector<Issue> issues;
  if (!is_plain_stem(name)) {
    issues.push_back({"/", "a readable file", "a profile name that is not a plain file name"});
    throw ScenarioError(path, std::move(issues));
  }
  const auto text = read_text_file(path, issues);
  const auto document = text ? parse_json(*text, issues) : std::nullopt;
  ModelProfile profile;
  if (document) profile = read_profile(*document, name, issues);
  if (!issues.empty()) throw ScenarioError(path, std::move(issues));
  return profile;
}

std::vector<std::string> model_profile_names(const std::string& models_dir) {
  std::vector<std::string> names;
  std::error_code error;
  fs::directory_iterator it(models_dir, error);
  for (; !error && it != fs::directory_iterator(); it.increment(error)) {
    std::error_code type_error;
    const std::string stem = it->path().stem().string();
    if (it->path().extension() == ".json" && is_plain_stem(stem) && it->is_regular_file(type_error)) {
      names.push_back(stem);
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace kubemind::scenario
