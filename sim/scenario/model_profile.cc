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
constexpr double kMaxMemoryGb = 1e4;
constexpr double kMaxKvBytes = 1e9;
constexpr double kMaxCv = 10;

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

/// A list of knots {batch, mean, p99?} under `key`, batch strictly increasing, p99 >= mean.
std::vector<LatencyKnot> read_knots(ObjectReader& parent, std::string_view key) {
  std::vector<LatencyKnot> knots;
  const Json* list = parent.array(key, Presence::kRequired, 1);
  if (list == nullptr) return knots;
  std::optional<int64_t> previous_batch;
  for (std::size_t i = 0; i < list->size(); ++i) {
    ObjectReader knot((*list)[i], child_pointer(parent.pointer(key), i), parent.issues());
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

const std::vector<std::pair<std::string, serve::BatchUnit>>& batch_units() {
  static const std::vector<std::pair<std::string, serve::BatchUnit>> units{
      {"requests", serve::BatchUnit::kRequests}, {"tokens", serve::BatchUnit::kTokens}};
  return units;
}

const std::vector<std::pair<std::string, int>>& jitter_distributions() {
  static const std::vector<std::pair<std::string, int>> distributions{{"lognormal", 0}};
  return distributions;
}

void read_memory(ObjectReader& profile, serve::MemoryProfile& memory) {
  auto m = profile.object("memory", Presence::kOptional);
  if (!m) return;
  memory.weights_gb = m->number("weights_gb", greater_than_up_to(0, kMaxMemoryGb), Presence::kRequired).value_or(0.0);
  memory.kv_bytes_per_token =
      m->number("kv_bytes_per_token", greater_than_up_to(0, kMaxKvBytes), Presence::kOptional).value_or(0.0);
  memory.source = m->string("source", Presence::kRequired, "non-empty string", non_empty).value_or("");
  m->finish();
}

void read_decode_steps(ObjectReader& profile, serve::DecodeStepTable& decode, bool is_llm) {
  if (!is_llm) {
    profile.forbid("decode_step_ms", "no decode_step_ms (only profiles with batch_unit \"tokens\" take one)");
    return;
  }
  auto d = profile.object("decode_step_ms", Presence::kOptional);
  if (!d) return;
  decode.context_tokens =
      static_cast<int>(d->integer("context_tokens", 1, kMaxBatch, Presence::kRequired).value_or(0));
  decode.steps = read_knots(*d, "steps");
  decode.source = d->string("source", Presence::kRequired, "non-empty string", non_empty).value_or("");
  d->finish();
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
  profile.batch_unit = r.choice("batch_unit", batch_units(), Presence::kOptional).value_or(serve::BatchUnit::kRequests);
  profile.latency_ms = read_knots(r, "latency_ms");
  const int first_batch = profile.latency_ms.empty() ? 1 : profile.latency_ms.front().batch;
  const int last_batch = profile.latency_ms.empty() ? 1 : profile.latency_ms.back().batch;
  profile.knee_batch = first_batch;
  if (const auto knee = r.integer("knee_batch", 1, kMaxBatch, Presence::kOptional)) {
    if (*knee < first_batch || *knee > last_batch) {
      r.issue("knee_batch",
              "integer in [" + std::to_string(first_batch) + ", " + std::to_string(last_batch) +
                  "] (the first and last batch of latency_ms)",
              std::to_string(*knee));
    } else {
      profile.knee_batch = static_cast<int>(*knee);
    }
  }
  if (auto jitter = r.object("jitter", Presence::kOptional)) {
    jitter->choice("distribution", jitter_distributions(), Presence::kRequired);
    profile.jitter_cv = jitter->number("cv", greater_than_up_to(0, kMaxCv), Presence::kRequired).value_or(0.0);
    jitter->finish();
  }
  read_memory(r, profile.memory);
  read_decode_steps(r, profile.decode_step_ms, profile.batch_unit == serve::BatchUnit::kTokens);
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
