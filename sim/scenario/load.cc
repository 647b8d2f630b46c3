// SPDX-License-Identifier: MIT
#include "sim/scenario/load.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <system_error>
#include <utility>

#include "sim/scenario/json_reader.h"
#include "sim/scenario/load_autoscalers.h"
#include "sim/scenario/model_profile.h"
#include "sim/scenario/schema_v1.h"

#ifndef KUBEMIND_DEFAULT_MODELS_DIR
#define KUBEMIND_DEFAULT_MODELS_DIR "/usr/local/share/kubemind/models"
#endif

namespace kubemind::scenario {
namespace {

namespace fs = std::filesystem;
using cluster::Duration;

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
      // A scenario in scenarios/ or one folder below it (scenarios/architectures/) finds the repository's.
      searched_ = {(fs::path(base_dir) / ".." / "models").lexically_normal().string(),
                   (fs::path(base_dir) / ".." / ".." / "models").lexically_normal().string(),
                   (fs::path(base_dir) / "models").lexically_normal().string(), KUBEMIND_DEFAULT_MODELS_DIR};
    }
  }

  /// Profile `name` measured in `unit`, or nullptr after an issue at `server`'s "model".
  const ModelProfile* profile(ObjectReader& server, const std::string& name,
                              serve::BatchUnit unit = serve::BatchUnit::kRequests) {
    const std::string* dir = models_dir();
    if (dir == nullptr) {
      server.issue("model",
                   "name of a model profile (no models folder found; looked in " + quoted_list(searched_) + ")",
                   describe_string(name));
      return nullptr;
    }
    const auto names = model_profile_names(*dir);
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      server.issue("model", "name of a model profile, one of " + quoted_list(names) + did_you_mean(name, names),
                   describe_string(name));
      return nullptr;
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
    if (!entry.profile) return nullptr;
    if (entry.profile->batch_unit != unit) {
      if (unit == serve::BatchUnit::kRequests) {
        server.issue("model", "a profile measured per request (batch_unit \"requests\"): this server batches requests",
                     describe_string(name) + ", measured per token (for continuous batching: \"engine\": \"vllm\")");
      } else {
        server.issue("model", "a profile measured per token (batch_unit \"tokens\"): the vllm engine batches tokens",
                     describe_string(name) + ", measured per request");
      }
      return nullptr;
    }
    const LatencyKnot& first = entry.profile->latency_ms.front();
    if (first.batch != 1) {
      server.issue("model", "a model profile with a batch-1 latency", "smallest batch " + std::to_string(first.batch));
      return nullptr;
    }
    return &*entry.profile;
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

/// A CPU quantity as Kubernetes writes it: a number of cores (0.5) or a string ("500m", "2").
std::optional<double> read_cpu_quantity(ObjectReader& reader, std::string_view key) {
  const Json* raw = reader.find(key);
  if (raw == nullptr) return std::nullopt;
  const std::string expected = "a CPU quantity > 0 and <= 1024 cores: a number of cores or a string such as \"500m\"";
  double cores = -1;
  if (raw->is_number()) {
    cores = raw->get<double>();
  } else if (raw->is_string()) {
    const std::string text = raw->get<std::string>();
    char* end = nullptr;
    const double value = std::strtod(text.c_str(), &end);
    if (end != text.c_str() && *end == 'm' && end[1] == '\0') {
      cores = value / 1000;
    } else if (end != text.c_str() && *end == '\0') {
      cores = value;
    }
  }
  if (!(cores > 0 && cores <= 1024)) {
    reader.issue(key, expected, describe(*raw));
    return std::nullopt;
  }
  return cores;
}

/// The multiplier of a Kubernetes quantity suffix: binary (Ki .. Ei), decimal (k .. E) or a decimal
/// exponent ("e3", "E-2"); nullopt for anything else (resource.Quantity's grammar).
std::optional<double> quantity_scale(const std::string& suffix) {
  static const std::vector<std::pair<std::string, double>> kSuffixes = {
      {"", 1},         {"k", 1e3},      {"M", 1e6},      {"G", 1e9},      {"T", 1e12},
      {"P", 1e15},     {"E", 1e18},     {"Ki", 0x1p10},  {"Mi", 0x1p20},  {"Gi", 0x1p30},
      {"Ti", 0x1p40},  {"Pi", 0x1p50},  {"Ei", 0x1p60}};
  for (const auto& [name, factor] : kSuffixes) {
    if (suffix == name) return factor;
  }
  if (suffix.size() < 2 || (suffix[0] != 'e' && suffix[0] != 'E')) return std::nullopt;
  const std::size_t first_digit = (suffix[1] == '+' || suffix[1] == '-') ? 2 : 1;
  const std::size_t digits = suffix.size() - first_digit;
  if (digits == 0 || digits > 3 || suffix.find_first_not_of("0123456789", first_digit) != std::string::npos) {
    return std::nullopt;
  }
  return std::pow(10.0, std::stoi(suffix.substr(1)));
}

/// A memory quantity as Kubernetes writes it: a number of bytes (17179869184) or a string with a
/// suffix: "16Gi", "512Mi", "1G", "5e9". A fraction of a byte rounds up, as resource.Quantity.Value()
/// does. Zero only if `allow_zero`.
std::optional<int64_t> read_memory_quantity(ObjectReader& reader, std::string_view key, bool allow_zero) {
  const Json* raw = reader.find(key);
  if (raw == nullptr) return std::nullopt;
  double bytes = -1;
  if (raw->is_number()) {
    bytes = std::ceil(raw->get<double>());
  } else if (raw->is_string()) {
    const std::string& text = raw->get_ref<const std::string&>();
    std::size_t i = 0, digits = 0, dots = 0;
    for (; i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.'); ++i) {
      (text[i] == '.' ? dots : digits) += 1;
    }
    const auto scale = quantity_scale(text.substr(i));
    if (digits > 0 && dots <= 1 && scale) bytes = std::ceil(std::stod(text.substr(0, i)) * *scale);
  }
  if (!(bytes >= 0 && bytes <= kMaxMemoryBytes) || (bytes == 0 && !allow_zero)) {
    reader.issue(key,
                 std::string("a memory quantity ") + (allow_zero ? ">= 0" : "> 0") +
                     " and <= 8Pi: a number of bytes or a string such as \"16Gi\", \"512Mi\" or \"1G\"",
                 describe(*raw));
    return std::nullopt;
  }
  return static_cast<int64_t>(bytes);
}

const char* const kGpuResource = "nvidia.com/gpu";

/// `resources`: requests (cpu, memory, nvidia.com/gpu) and limits (nvidia.com/gpu: an extended
/// resource cannot be overcommitted, so a limit must equal the request, and a limit alone sets the
/// request; core/v1 ResourceRequirements). The CPU request also sizes the server's CPU model.
/// limits.cpu (CFS bandwidth control) only where `cpu_limit` is given (the cpu engine: the only
/// server whose work runs on the node's CPU); it must be >= the request (the API server's
/// validation), and alone it sets the request too (Kubernetes copies a limit to an absent request).
void read_resources(ObjectReader& resources, serve::InferenceServerConfig& config, cluster::Resources& requests,
                    double* cpu_limit = nullptr) {
  std::optional<int64_t> gpu_request;
  std::optional<double> cpu_request;
  if (auto r = resources.object("requests", Presence::kOptional)) {
    cpu_request = read_cpu_quantity(*r, "cpu");
    if (cpu_request) config.cpu.request_cores = *cpu_request;
    requests.memory_bytes = read_memory_quantity(*r, "memory", true).value_or(0);
    gpu_request = r->integer(kGpuResource, 0, kMaxGpusPerPod, Presence::kOptional);
    r->finish();
  }
  std::optional<int64_t> gpu_limit;
  if (auto l = resources.object("limits", Presence::kOptional)) {
    gpu_limit = l->integer(kGpuResource, 0, kMaxGpusPerPod, Presence::kOptional);
    if (cpu_limit == nullptr) {
      l->forbid("cpu", "no cpu limit (CFS throttling is modelled only for \"engine\": \"cpu\"; this server's work "
                       "runs on its GPU)");
    } else if (const auto limit = read_cpu_quantity(*l, "cpu")) {
      if (!cpu_request) config.cpu.request_cores = *limit;
      if (*limit < config.cpu.request_cores) {
        l->issue("cpu",
                 "a limit >= the request " + format_number(config.cpu.request_cores) + " cores at " +
                     child_pointer(resources.pointer("requests"), "cpu") + " (the API server rejects a lower one)",
                 format_number(*limit) + " cores");
      }
      *cpu_limit = *limit;
    }
    if (gpu_request && gpu_limit && *gpu_request != *gpu_limit) {
      l->issue(kGpuResource,
               std::to_string(*gpu_request) + " (the request at " +
                   child_pointer(resources.pointer("requests"), kGpuResource) +
                   ": an extended resource's limit must equal its request)",
               std::to_string(*gpu_limit));
    }
    l->finish();
  }
  requests.gpus = gpu_request.value_or(gpu_limit.value_or(0));
}

/// The server of a pod or Deployment. `requests` receives the container's resource requests.
/// The fields every engine has: resources (requests), the CPU and the memory model.
/// `cpu_limit` (the cpu engine only): receives resources.limits.cpu, 0 if none; that engine's whole
/// CPU work is its service_time, so cpu.preprocess_ms / postprocess_ms are refused.
void read_shared_server_fields(ObjectReader& server, serve::InferenceServerConfig& config, cluster::Resources& requests,
                               double* cpu_limit = nullptr) {
  if (auto resources = server.object("resources", Presence::kOptional)) {
    read_resources(*resources, config, requests, cpu_limit);
    resources->finish();
  }
  requests.cpu_millicores = std::llround(config.cpu.request_cores * 1000);
  if (auto cpu = server.object("cpu", Presence::kOptional)) {
    if (cpu_limit != nullptr) {
      for (const char* per_request : {"preprocess_ms", "postprocess_ms"}) {
        cpu->forbid(per_request, std::string("no ") + per_request +
                                     " (the cpu engine's CPU work per request is service_time.mean_ms)");
      }
    }
    config.cpu.baseline_cores = cpu->number("baseline_cores", {0, true, 1024, true}, Presence::kOptional).value_or(0.0);
    config.cpu.preprocess_cpu_ms = cpu->number("preprocess_ms", {0, true, 1e6, true}, Presence::kOptional).value_or(0.0);
    config.cpu.postprocess_cpu_ms = cpu->number("postprocess_ms", {0, true, 1e6, true}, Presence::kOptional).value_or(0.0);
    cpu->finish();
  }
  if (auto memory = server.object("memory", Presence::kOptional)) {
    config.memory.runtime_gb = memory->number("runtime_gb", {0, true, 1e5, true}, Presence::kOptional).value_or(0.0);
    config.memory.per_request_bytes =
        memory->number("per_request_bytes", {0, true, 1e12, true}, Presence::kOptional).value_or(0.0);
    memory->finish();
  }
}

/// The vllm engine's own fields (vLLM's engine arguments), after the shared resources, cpu and memory.
serve::ContinuousBatchingConfig read_vllm(ObjectReader& server, ModelCatalog& catalog,
                                          serve::InferenceServerConfig& shared) {
  serve::ContinuousBatchingConfig c;
  c.cpu = shared.cpu;
  c.memory = shared.memory;
  for (const char* triton : {"instances", "max_queue_size", "default_timeout_microseconds", "max_batch_size",
                             "dynamic_batching", "service_time"}) {
    server.forbid(triton, std::string("no ") + triton + " (a Triton field; the vllm engine schedules tokens)");
  }
  const auto model = server.string("model", Presence::kRequired);
  const ModelProfile* profile = model ? catalog.profile(server, *model, serve::BatchUnit::kTokens) : nullptr;
  if (model) c.model = shared.model = *model;  // the pod's default image and weights follow the model
  if (profile != nullptr) {
    c.step_time = serve::LatencyCurve::from_profile(*profile);
    shared.memory.weights_gb = profile->memory.weights_gb;
  }
  c.max_num_seqs = static_cast<int>(server.integer("max_num_seqs", 1, kMaxConcurrency, Presence::kOptional).value_or(c.max_num_seqs));
  c.max_num_batched_tokens = static_cast<int>(
      server.integer("max_num_batched_tokens", 1, kMaxConcurrency, Presence::kOptional).value_or(c.max_num_batched_tokens));
  c.block_size_tokens = static_cast<int>(server.integer("block_size", 1, 1024, Presence::kOptional).value_or(c.block_size_tokens));
  c.prompt_tokens = static_cast<int>(server.integer("prompt_tokens", 1, kMaxConcurrency, Presence::kOptional).value_or(c.prompt_tokens));
  c.output_tokens = static_cast<int>(server.integer("output_tokens", 1, kMaxConcurrency, Presence::kOptional).value_or(c.output_tokens));
  // KV capacity: given, or vLLM's own sizing: gpu_memory_utilization x GPU memory - weights, in tokens.
  if (server.find("kv_cache_tokens") != nullptr) {
    c.kv_cache_tokens = server.integer("kv_cache_tokens", 1, int64_t{1} << 40, Presence::kOptional).value_or(1);
    server.forbid("gpu_memory_gb", "no gpu_memory_gb with kv_cache_tokens (one sizes the other)");
  } else {
    const auto gpu_gb = server.number("gpu_memory_gb", greater_than_up_to(0, 1e4), Presence::kRequired);
    const double utilization =
        server.number("gpu_memory_utilization", {0, false, 1, true}, Presence::kOptional).value_or(0.9);  // vLLM default
    if (gpu_gb && profile != nullptr) {
      const double kv_bytes = profile->memory.kv_bytes_per_token;
      const double free_gb = *gpu_gb * utilization - profile->memory.weights_gb;
      if (kv_bytes <= 0) {
        server.issue("model", "a profile with memory.kv_bytes_per_token (to size the KV cache)", describe_string(*model));
      } else if (free_gb <= 0) {
        server.issue("gpu_memory_gb", "more GPU memory x gpu_memory_utilization than the weights (" +
                                          format_number(profile->memory.weights_gb) + " GB)",
                     format_number(*gpu_gb));
      } else {
        c.kv_cache_tokens = static_cast<int64_t>(free_gb * 1e9 / kv_bytes);
      }
    }
  }
  // The attention's KV read per context token: given, or from the HBM bandwidth (reference/dataplane.md
  // 6.4(b)); 0 (absent) leaves it out.
  if (server.find("kv_read_ms_per_token") != nullptr) {
    c.kv_read_ms_per_token = server.number("kv_read_ms_per_token", {0, true, 1e3, true}, Presence::kOptional).value_or(0.0);
    server.forbid("hbm_gb_per_s", "no hbm_gb_per_s with kv_read_ms_per_token (one gives the other)");
  } else if (const auto hbm = server.number("hbm_gb_per_s", greater_than_up_to(0, 1e5), Presence::kOptional);
             hbm && profile != nullptr) {
    c.kv_read_ms_per_token = serve::kv_read_ms_per_token(profile->memory.kv_bytes_per_token, *hbm * 1e9);
  }
  return c;
}

/// The cpu engine's own fields (gunicorn/uvicorn workers, the CPU work per request, admission), after
/// the shared resources (with limits.cpu), cpu and memory.
serve::CpuBoundServerConfig read_cpu_server(ObjectReader& server, const serve::InferenceServerConfig& shared,
                                            double cpu_limit) {
  using serve::ServiceDistribution;
  serve::CpuBoundServerConfig c;
  c.cpu = shared.cpu;
  c.memory = shared.memory;
  c.cpu_limit_cores = cpu_limit;
  for (const char* triton : {"instances", "default_timeout_microseconds", "max_batch_size", "dynamic_batching",
                             "degraded"}) {
    server.forbid(triton, std::string("no ") + triton +
                              " (a Triton field; the cpu engine runs one request per worker on the node's CPU)");
  }
  server.forbid("model", "no model (model profiles are GPU measurements; the cpu engine's work per request is "
                         "service_time.mean_ms)");
  c.workers = static_cast<int>(server.integer("workers", 1, kMaxWorkers, Presence::kOptional).value_or(1));
  c.max_queue_size = server.integer("max_queue_size", 0, kMaxQueueSize, Presence::kOptional).value_or(0);
  if (auto service = server.object("service_time", Presence::kRequired)) {
    const bool has_distribution = service->find("distribution") != nullptr;
    const auto chosen = service->choice("distribution", service_distributions(), Presence::kOptional);
    c.service_time.distribution = chosen.value_or(ServiceDistribution::kDeterministic);
    c.service_time.mean_ms = service->number("mean_ms", greater_than_up_to(0, kMaxMeanMs), Presence::kRequired).value_or(0.0);
    switch (c.service_time.distribution) {
      case ServiceDistribution::kLognormal:
        c.service_time.cv = service->number("cv", greater_than_up_to(0, kMaxCv), Presence::kRequired).value_or(0.0);
        break;
      case ServiceDistribution::kExponential:
        c.service_time.cv = 1.0;
        [[fallthrough]];
      case ServiceDistribution::kDeterministic:
        if (!has_distribution || chosen) {
          service->forbid("cv", "no cv (only \"lognormal\" takes one; exponential has cv 1, deterministic cv 0)");
        } else {
          service->find("cv");
        }
        break;
    }
    service->finish();
  }
  return c;
}

serve::InferenceServerConfig read_server(ObjectReader& server, ModelCatalog& catalog, cluster::Resources& requests,
                                         std::optional<serve::ContinuousBatchingConfig>& vllm,
                                         std::optional<serve::CpuBoundServerConfig>& cpu_server) {
  using serve::ServiceDistribution;
  serve::InferenceServerConfig config;
  const ServerEngine kind =
      server.choice("engine", server_engines(), Presence::kOptional).value_or(ServerEngine::kTriton);
  if (kind == ServerEngine::kVllm) {
    read_shared_server_fields(server, config, requests);
    vllm = read_vllm(server, catalog, config);
    return config;
  }
  if (kind == ServerEngine::kCpu) {
    double cpu_limit = 0.0;
    read_shared_server_fields(server, config, requests, &cpu_limit);
    cpu_server = read_cpu_server(server, config, cpu_limit);
    return config;
  }
  const bool has_model = server.find("model") != nullptr;
  const auto model = server.string("model", Presence::kOptional);
  config.instances = static_cast<int>(server.integer("instances", 1, kMaxInstances, Presence::kOptional).value_or(1));
  config.max_queue_size = server.integer("max_queue_size", 0, kMaxQueueSize, Presence::kOptional).value_or(0);
  config.default_timeout_us =
      server.integer("default_timeout_microseconds", 0, kMaxQueueSize * 1000, Presence::kOptional).value_or(0);
  config.max_batch_size = static_cast<int>(server.integer("max_batch_size", 1, kMaxBatchSize, Presence::kOptional).value_or(1));
  if (auto batching = server.object("dynamic_batching", Presence::kOptional)) {
    config.dynamic_batching.enabled = true;
    config.dynamic_batching.max_queue_delay_us =
        batching->integer("max_queue_delay_microseconds", 0, kMaxQueueSize * 1000, Presence::kOptional).value_or(0);
    if (const Json* sizes = batching->array("preferred_batch_size", Presence::kOptional)) {
      for (std::size_t i = 0; i < sizes->size(); ++i) {
        const Json& v = (*sizes)[i];
        const std::string at = child_pointer(batching->pointer("preferred_batch_size"), i);
        if (!v.is_number_integer() || v.get<int64_t>() < 1 || v.get<int64_t>() > config.max_batch_size) {
          batching->issues().push_back({at, "integer in [1, " + std::to_string(config.max_batch_size) +
                                                "] (max_batch_size)", describe(v)});
          continue;
        }
        config.dynamic_batching.preferred_batch_sizes.push_back(static_cast<int>(v.get<int64_t>()));
      }
    }
    batching->finish();
  } else if (config.max_batch_size > 1) {
    server.issue("max_batch_size", "1 without a dynamic_batching block (Triton batches only with one)",
                 std::to_string(config.max_batch_size));
  }
  read_shared_server_fields(server, config, requests);

  const ModelProfile* profile = nullptr;
  std::optional<double> model_mean_ms;
  if (model) {
    config.model = *model;
    profile = catalog.profile(server, *model);
    if (profile != nullptr) {
      model_mean_ms = profile->latency_ms.front().mean_ms;
      config.latency = serve::LatencyCurve::from_profile(*profile);
      config.memory.weights_gb = profile->memory.weights_gb;
    }
  }
  // A quality tier (a platform policy, e.g. KAI's): batches formed while more than queue_depth_above
  // requests wait run on a cheaper model's measured curve, until the queue is down to restore_below.
  if (auto tier = server.object("degraded", Presence::kOptional)) {
    serve::DegradedTierConfig d;
    if (!model) server.issue("degraded", "no degraded tier without a model (both tiers are models/ profiles)", "a degraded tier");
    if (auto name = tier->string("model", Presence::kRequired)) {
      d.model = *name;
      if (const ModelProfile* cheaper = catalog.profile(*tier, *name)) d.latency = serve::LatencyCurve::from_profile(*cheaper);
    }
    d.queue_depth_above = tier->integer("queue_depth_above", 0, kMaxQueueSize, Presence::kRequired).value_or(0);
    d.restore_below =
        tier->integer("restore_below", 0, d.queue_depth_above, Presence::kOptional).value_or(d.queue_depth_above);
    tier->finish();
    if (!d.latency.empty()) config.degraded = std::move(d);
  }

  // With a model the profile gives the mean, so service_time is optional and must not repeat it.
  std::optional<double> mean_ms = model_mean_ms;
  std::optional<double> cv;
  auto distribution = ServiceDistribution::kDeterministic;
  bool has_service_time = false;
  if (auto service = server.object("service_time", has_model ? Presence::kOptional : Presence::kRequired)) {
    has_service_time = true;
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
  // A profile's own jitter applies when the scenario does not say how batch times vary.
  if (!has_service_time && profile != nullptr && profile->jitter_cv > 0) {
    distribution = ServiceDistribution::kLognormal;
    cv = profile->jitter_cv;
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

// --- Clients ---------------------------------------------------------------------------------------

/// Reads a trace CSV: a header line "at_s,class[,input_size[,output_size]]", then one request per
/// line with non-decreasing at_s. Problems are issues at `reader`'s "file" field.
void read_trace(ObjectReader& reader, const std::string& path, traffic::ArrivalConfig& arrival) {
  std::vector<Issue> file_issues;
  const auto text = read_text_file(path, file_issues);
  if (!text) {
    reader.issue("file", "a readable CSV file", file_issues.front().got + " (" + path + ")");
    return;
  }
  if (text->size() > kMaxTraceBytes) {
    reader.issue("file", "a trace of at most 256 MiB", std::to_string(text->size()) + " bytes");
    return;
  }
  const std::string header_help = "a CSV whose header is at_s,class[,input_size[,output_size]]";
  std::map<std::string, uint32_t> class_index;
  size_t line_no = 0, columns = 0, pos = 0;
  while (pos < text->size()) {
    size_t end = text->find('\n', pos);
    if (end == std::string::npos) end = text->size();
    std::string line = text->substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> cells;
    for (size_t start = 0;;) {
      const size_t comma = line.find(',', start);
      cells.push_back(line.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    if (columns == 0) {
      static const std::vector<std::string> kNames = {"at_s", "class", "input_size", "output_size"};
      const bool ok = cells.size() >= 2 && cells.size() <= kNames.size() &&
                      std::equal(cells.begin(), cells.end(), kNames.begin());
      if (!ok) {
        reader.issue("file", header_help, "line 1: " + describe_string(line));
        return;
      }
      columns = cells.size();
      continue;
    }
    const auto bad = [&](const std::string& what) {
      reader.issue("file", header_help + " and one request per line (" + what + ")",
                   "line " + std::to_string(line_no) + " of " + path + ": " + describe_string(line));
    };
    if (cells.size() != columns) return bad(std::to_string(columns) + " cells");
    traffic::TraceEntry entry;
    char* stop = nullptr;
    entry.at_s = std::strtod(cells[0].c_str(), &stop);
    if (cells[0].empty() || *stop != '\0' || !std::isfinite(entry.at_s) || entry.at_s < 0) {
      return bad("at_s a finite number >= 0");
    }
    if (!arrival.trace.empty() && entry.at_s < arrival.trace.back().at_s) return bad("at_s non-decreasing");
    if (cells[1].empty()) return bad("a class name");
    const auto [it, inserted] = class_index.try_emplace(cells[1], static_cast<uint32_t>(arrival.trace_classes.size()));
    if (inserted) arrival.trace_classes.push_back(cells[1]);
    entry.request_class = it->second;
    for (size_t c = 2; c < columns; ++c) {
      const std::string& cell = cells[c];
      if (cell.empty()) continue;  // optional size left out
      const unsigned long long v = std::strtoull(cell.c_str(), &stop, 10);
      if (*stop != '\0' || cell.front() == '-' || v > UINT32_MAX) return bad("sizes integers in [0, 2^32)");
      (c == 2 ? entry.input_size : entry.output_size) = static_cast<uint32_t>(v);
    }
    arrival.trace.push_back(entry);
  }
  if (arrival.trace.empty()) reader.issue("file", header_help + " with at least one request", "no requests");
}

/// Reads the open-loop "arrival" object. Adds the process's peak rate to `total_rate_rps` (for the
/// run-size bound).
void read_arrival(ObjectReader& arrival, traffic::ArrivalConfig& out, const std::string& base_dir,
                  double& total_rate_rps) {
  using traffic::ArrivalProcess;
  out.process = arrival.choice("process", arrival_processes(), Presence::kOptional).value_or(ArrivalProcess::kPoisson);
  const NumberRange rate = greater_than_up_to(0, kMaxRateRps);
  const NumberRange rate_or_zero{0, true, kMaxRateRps, true};
  switch (out.process) {
    case ArrivalProcess::kPoisson:
    case ArrivalProcess::kConstant:
      out.rate_rps = arrival.number("rate_rps", rate, Presence::kRequired).value_or(0.0);
      total_rate_rps += out.rate_rps;
      break;
    case ArrivalProcess::kDiurnal:
      out.rate_rps = arrival.number("rate_rps", rate, Presence::kRequired).value_or(0.0);
      out.amplitude = arrival.number("amplitude", {0, true, 1, true}, Presence::kRequired).value_or(0.0);
      out.period_s = arrival.number("period_s", greater_than_up_to(0, kMaxDurationS), Presence::kOptional).value_or(86400.0);
      out.phase_s = arrival.number("phase_s", {}, Presence::kOptional).value_or(0.0);
      total_rate_rps += out.rate_rps * (1 + out.amplitude);
      break;
    case ArrivalProcess::kMmpp:
      out.on_rate_rps = arrival.number("on_rate_rps", rate, Presence::kRequired).value_or(0.0);
      out.off_rate_rps = arrival.number("off_rate_rps", rate_or_zero, Presence::kRequired).value_or(0.0);
      out.mean_on_s = arrival.number("mean_on_s", greater_than_up_to(0, kMaxDurationS), Presence::kRequired).value_or(1.0);
      out.mean_off_s = arrival.number("mean_off_s", greater_than_up_to(0, kMaxDurationS), Presence::kRequired).value_or(1.0);
      total_rate_rps += std::max(out.on_rate_rps, out.off_rate_rps);
      break;
    case ArrivalProcess::kSchedule: {
      out.schedule_linear = arrival.choice("shape", schedule_shapes(), Presence::kOptional).value_or(false);
      const Json* points = arrival.array("points", Presence::kRequired, 1);
      if (points == nullptr) break;
      double peak = 0;
      for (std::size_t i = 0; i < points->size(); ++i) {
        ObjectReader point((*points)[i], child_pointer(arrival.pointer("points"), i), arrival.issues());
        traffic::RatePoint p;
        const double earliest = out.schedule.empty() ? 0.0 : out.schedule.back().at_s;
        if (i == 0) {
          p.at_s = point.number("at_s", {0, true, 0, true}, Presence::kRequired).value_or(0.0);
        } else {
          p.at_s = point.number("at_s", greater_than_up_to(earliest, kMaxDurationS), Presence::kRequired).value_or(earliest);
        }
        p.rate_rps = point.number("rate_rps", rate_or_zero, Presence::kRequired).value_or(0.0);
        peak = std::max(peak, p.rate_rps);
        point.finish();
        out.schedule.push_back(p);
      }
      total_rate_rps += peak;
      break;
    }
    case ArrivalProcess::kTrace:
      if (auto file = arrival.string("file", Presence::kRequired)) {
        out.trace_file = *file;
        const fs::path path = fs::path(*file).is_absolute() ? fs::path(*file) : fs::path(base_dir) / *file;
        read_trace(arrival, path.lexically_normal().string(), out);
      }
      break;
  }
}

/// Reads what a client does: open loop ("arrival") or closed loop ("closed_loop"), deadline, retries.
void read_client(ObjectReader& element, traffic::ClientConfig& client, const std::string& base_dir,
                 double& total_rate_rps) {
  const bool open = element.find("arrival") != nullptr;
  const bool closed = element.find("closed_loop") != nullptr;
  if (open && closed) {
    element.issue("closed_loop", "either \"arrival\" (open loop) or \"closed_loop\", not both", "both");
  } else if (!open && !closed) {
    element.issue("arrival", "an \"arrival\" object (open loop) or a \"closed_loop\" object", "nothing");
  }
  if (auto arrival = element.object("arrival", Presence::kOptional)) {
    client.load = traffic::LoadModel::kOpenLoop;
    read_arrival(*arrival, client.arrival, base_dir, total_rate_rps);
    arrival->finish();
  }
  if (auto loop = element.object("closed_loop", Presence::kOptional)) {
    client.load = traffic::LoadModel::kClosedLoop;
    client.concurrency = static_cast<int>(loop->integer("concurrency", 1, kMaxConcurrency, Presence::kRequired).value_or(1));
    if (auto think = loop->object("think_time", Presence::kOptional)) {
      client.think.exponential = think->choice("distribution", think_time_distributions(), Presence::kOptional).value_or(false);
      client.think.mean_ms = think->number("mean_ms", {0, true, kMaxMeanMs, true}, Presence::kRequired).value_or(0.0);
      think->finish();
    }
    loop->finish();
  }
  client.deadline_ms = element.number("deadline_ms", {0, true, kMaxMeanMs, true}, Presence::kOptional).value_or(0.0);
  client.key_space = element.unsigned_integer("key_space", Presence::kOptional).value_or(0);
  if (auto retry = element.object("retry_policy", Presence::kOptional)) {
    traffic::RetryPolicy& p = client.retry;
    p.max_attempts = static_cast<int>(retry->integer("max_attempts", 1, kMaxAttempts, Presence::kRequired).value_or(1));
    p.initial_backoff_s = retry->number("initial_backoff_s", greater_than_up_to(0, 3600), Presence::kOptional).value_or(p.initial_backoff_s);
    p.max_backoff_s = retry->number("max_backoff_s", greater_than_up_to(0, 3600), Presence::kOptional).value_or(p.max_backoff_s);
    p.backoff_multiplier = retry->number("backoff_multiplier", greater_than_up_to(0, 100), Presence::kOptional).value_or(p.backoff_multiplier);
    retry->finish();
  }
}

struct TargetRef {
  std::string pointer;
  std::string name;
  size_t client = 0;
};

/// A number field that may be null, meaning "none" (infinite); absent also means none.
double optional_limit(ObjectReader& reader, std::string_view key, NumberRange range) {
  const Json* raw = reader.find(key);
  if (raw == nullptr || raw->is_null()) return net::kInfinite;
  return reader.number(key, range, Presence::kOptional).value_or(net::kInfinite);
}

/// `grpc`: what a pod's gRPC server advertises and enforces (gRFC A9 connection management).
net::ServerTransportConfig read_grpc_server(ObjectReader& server) {
  net::ServerTransportConfig grpc;
  if (auto g = server.object("grpc", Presence::kOptional)) {
    const Json* streams = g->find("max_concurrent_streams");
    if (streams != nullptr && !streams->is_null()) {
      grpc.max_concurrent_streams = static_cast<uint32_t>(
          g->integer("max_concurrent_streams", 1, kMaxStreams, Presence::kOptional).value_or(net::kUnlimitedStreams));
    }
    grpc.max_connection_age_s = optional_limit(*g, "max_connection_age_s", greater_than_up_to(0, kMaxDurationS));
    grpc.max_connection_age_grace_s = optional_limit(*g, "max_connection_age_grace_s", {0, true, kMaxDurationS, true});
    g->finish();
  }
  return grpc;
}

/// `channel`: the client's gRPC channel (resolver, LB policy, connections, transport).
net::ChannelConfig read_channel(ObjectReader& c) {
  net::ChannelConfig ch;
  ch.lb_policy = c.choice("lb_policy", grpc_lb_policies(), Presence::kOptional).value_or(ch.lb_policy);
  ch.connections_per_address = static_cast<int>(
      c.integer("connections", 1, kMaxConnections, Presence::kOptional).value_or(ch.connections_per_address));
  ch.min_time_between_resolutions_s =
      c.number("min_time_between_resolutions_s", {0, true, 3600, true}, Presence::kOptional)
          .value_or(ch.min_time_between_resolutions_s);
  net::ConnectionConfig& conn = ch.connection;
  conn.one_way_latency_ms =
      c.number("one_way_latency_ms", {0, true, 1e4, true}, Presence::kOptional).value_or(conn.one_way_latency_ms);
  conn.connect_timeout_s = c.number("connect_timeout_s", greater_than_up_to(0, kMaxDurationS), Presence::kOptional)
                               .value_or(conn.connect_timeout_s);
  if (const Json* tls = c.find("tls"); tls != nullptr) {
    if (tls->is_boolean()) {
      conn.tls = tls->get<bool>();
    } else {
      c.issue("tls", "true or false", describe(*tls));
    }
  }
  conn.initial_max_concurrent_streams = static_cast<uint32_t>(
      c.integer("initial_max_concurrent_streams", 1, kMaxStreams, Presence::kOptional)
          .value_or(conn.initial_max_concurrent_streams));
  conn.http1 = c.choice("protocol", http_protocols(), Presence::kOptional).value_or(false);
  // An HTTP/1.1 client opens another keep-alive connection when all of its connections are busy.
  conn.at_stream_limit = c.choice("at_stream_limit", stream_limit_behaviours(), Presence::kOptional)
                             .value_or(conn.http1 ? net::AtStreamLimit::kReportFull : conn.at_stream_limit);
  return ch;
}

/// An Envoy-like proxy: lb_policy, workers, circuit_breakers, route timeout (Envoy's names).
balance::L7ProxyConfig read_proxy(ObjectReader& p) {
  balance::L7ProxyConfig proxy;
  proxy.lb_policy = p.choice("lb_policy", envoy_lb_policies(), Presence::kOptional).value_or(proxy.lb_policy);
  proxy.workers = static_cast<int>(p.integer("workers", 1, kMaxWorkers, Presence::kOptional).value_or(proxy.workers));
  proxy.cpu_per_request_ms =
      p.number("cpu_per_request_ms", {0, true, 1e4, true}, Presence::kOptional).value_or(proxy.cpu_per_request_ms);
  proxy.route_timeout_ms =
      p.number("route_timeout_ms", {0, true, kMaxMeanMs, true}, Presence::kOptional).value_or(proxy.route_timeout_ms);
  proxy.eds_delay_ms = p.number("eds_delay_ms", {0, true, 3.6e6, true}, Presence::kOptional).value_or(proxy.eds_delay_ms);
  if (auto retry = p.object("retry_policy", Presence::kOptional)) {  // Envoy RetryPolicy, retry_on 5xx
    balance::RetryPolicyConfig& rp = proxy.retry_policy;
    rp.num_retries = static_cast<uint32_t>(retry->integer("num_retries", 0, 100, Presence::kOptional).value_or(1));
    if (auto backoff = retry->object("retry_back_off", Presence::kOptional)) {
      rp.base_interval_ms = backoff->number("base_interval_ms", greater_than_up_to(0, 3.6e6), Presence::kOptional).value_or(rp.base_interval_ms);
      rp.max_interval_ms = backoff->number("max_interval_ms", {0, true, 3.6e6, true}, Presence::kOptional).value_or(rp.max_interval_ms);
      backoff->finish();
    }
    retry->finish();
  }
  if (auto od = p.object("outlier_detection", Presence::kOptional)) {  // Envoy OutlierDetection
    balance::OutlierDetectionConfig& o = proxy.outlier_detection;
    o.enabled = true;
    o.consecutive_5xx = static_cast<uint32_t>(od->integer("consecutive_5xx", 1, 1'000'000, Presence::kOptional).value_or(o.consecutive_5xx));
    o.interval_ms = od->number("interval_ms", greater_than_up_to(0, 3.6e6), Presence::kOptional).value_or(o.interval_ms);
    o.base_ejection_time_ms = od->number("base_ejection_time_ms", greater_than_up_to(0, 3.6e7), Presence::kOptional).value_or(o.base_ejection_time_ms);
    o.max_ejection_time_ms = od->number("max_ejection_time_ms", greater_than_up_to(0, 3.6e7), Presence::kOptional).value_or(o.max_ejection_time_ms);
    o.max_ejection_percent = static_cast<uint32_t>(od->integer("max_ejection_percent", 0, 100, Presence::kOptional).value_or(o.max_ejection_percent));
    od->finish();
  }
  // Envoy always reaches its hosts through per-worker HTTP/2 pools to the pod IPs.
  proxy.upstream_connections = true;
  if (auto up = p.object("upstream_connection", Presence::kOptional)) {
    net::ConnectionConfig& c = proxy.upstream_connection;
    c.one_way_latency_ms = up->number("one_way_latency_ms", {0, true, 1e4, true}, Presence::kOptional).value_or(c.one_way_latency_ms);
    c.connect_timeout_s = up->number("connect_timeout_s", greater_than_up_to(0, kMaxDurationS), Presence::kOptional)
                              .value_or(c.connect_timeout_s);
    // HTTP/1.1 upstream keep-alive (ingress-nginx: proxy_http_version 1.1 with an upstream keepalive
    // pool): one request per connection at a time; the pool opens another when all are busy.
    c.http1 = up->choice("protocol", http_protocols(), Presence::kOptional).value_or(false);
    if (const Json* tls = up->find("tls"); tls != nullptr) {
      if (tls->is_boolean()) {
        c.tls = tls->get<bool>();
      } else {
        up->issue("tls", "true or false", describe(*tls));
      }
    }
    up->finish();
  }
  if (auto cb = p.object("circuit_breakers", Presence::kOptional)) {
    balance::CircuitBreakerConfig& b = proxy.circuit_breakers;
    const auto limit = [&](std::string_view key, uint32_t fallback) {
      return static_cast<uint32_t>(cb->integer(key, 0, UINT32_MAX, Presence::kOptional).value_or(fallback));
    };
    b.max_connections = limit("max_connections", b.max_connections);
    b.max_pending_requests = limit("max_pending_requests", b.max_pending_requests);
    b.max_requests = limit("max_requests", b.max_requests);
    b.max_retries = limit("max_retries", b.max_retries);
    cb->finish();
  }
  return proxy;
}

/// A label map {"key": "value"}; every value must be a string.
std::map<std::string, std::string> read_labels(ObjectReader& parent, std::string_view key, Presence presence) {
  std::map<std::string, std::string> labels;
  const Json* raw = parent.find(key);
  if (raw == nullptr) {
    if (presence == Presence::kRequired) parent.issue(key, "an object of label strings", "nothing");
    return labels;
  }
  if (!raw->is_object() || raw->empty()) {
    parent.issue(key, "a non-empty object of label strings", describe(*raw));
    return labels;
  }
  for (const auto& item : raw->items()) {
    if (!item.value().is_string()) {
      parent.issues().push_back({child_pointer(parent.pointer(key), item.key()), "string", describe(item.value())});
      continue;
    }
    labels[item.key()] = item.value().get<std::string>();
  }
  return labels;
}


/// Reads a list of uniquely named objects (clients, pods, ...): calls read(element_reader, name) per
/// element. A required list must have at least one element.
template <typename ReadElement>
void read_named_list(ObjectReader& parent, std::string_view key, std::string_view kind, Presence presence,
                     ReadElement read) {
  const Json* list = parent.array(key, presence, presence == Presence::kRequired ? 1 : 0);
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

// --- Cluster: pod template, rollout strategy, nodes ------------------------------------------------

bool is_non_empty(std::string_view text) { return !text.empty(); }

/// A true/false field; nullopt when absent or not a boolean (an issue).
std::optional<bool> read_bool(ObjectReader& reader, std::string_view key) {
  const Json* raw = reader.find(key);
  if (raw == nullptr) return std::nullopt;
  if (!raw->is_boolean()) {
    reader.issue(key, "true or false", describe(*raw));
    return std::nullopt;
  }
  return raw->get<bool>();
}

/// An array of strings (every element a string).
std::vector<std::string> read_strings(ObjectReader& reader, std::string_view key) {
  std::vector<std::string> out;
  const Json* list = reader.array(key, Presence::kOptional);
  if (list == nullptr) return out;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const Json& v = (*list)[i];
    if (!v.is_string()) {
      reader.issues().push_back({child_pointer(reader.pointer(key), i), "string", describe(v)});
      continue;
    }
    out.push_back(v.get<std::string>());
  }
  return out;
}

Duration seconds_field(ObjectReader& reader, std::string_view key, NumberRange range, Duration fallback) {
  const auto s = reader.number(key, range, Presence::kOptional);
  return s ? Duration::from_seconds(*s) : fallback;
}

int64_t gb_to_bytes(double gb) { return std::llround(gb * 1e9); }

/// An apps/v1 int-or-string: an integer >= 0, or a percentage "N%" with N in [0, 100].
std::optional<cluster::IntOrPercent> read_int_or_percent(ObjectReader& reader, std::string_view key) {
  const Json* raw = reader.find(key);
  if (raw == nullptr) return std::nullopt;
  if (raw->is_number_integer() && raw->get<int64_t>() >= 0 && raw->get<int64_t>() <= kMaxReplicas) {
    return cluster::IntOrPercent{static_cast<int32_t>(raw->get<int64_t>()), false};
  }
  if (raw->is_string()) {
    const std::string& text = raw->get_ref<const std::string&>();
    const std::string digits = text.empty() ? "" : text.substr(0, text.size() - 1);
    if (text.size() >= 2 && text.size() <= 4 && text.back() == '%' &&
        digits.find_first_not_of("0123456789") == std::string::npos && std::stoi(digits) <= 100) {
      return cluster::IntOrPercent{std::stoi(digits), true};
    }
  }
  reader.issue(key, "an integer in [0, " + std::to_string(kMaxReplicas) + "] or a percentage \"0%\" to \"100%\"",
               describe(*raw));
  return std::nullopt;
}

/// `strategy` (apps/v1 DeploymentStrategy): only RollingUpdate is modelled; maxSurge and
/// maxUnavailable default to 25% each and may not both be 0.
void read_strategy(ObjectReader& element, DeploymentConfig& d) {
  auto strategy = element.object("strategy", Presence::kOptional);
  if (!strategy) return;
  if (const Json* type = strategy->find("type"); type != nullptr && *type != "RollingUpdate") {
    strategy->issue("type", "\"RollingUpdate\" (the only Deployment strategy modelled)", describe(*type));
  }
  if (auto rolling = strategy->object("rollingUpdate", Presence::kOptional)) {
    d.max_surge = read_int_or_percent(*rolling, "maxSurge").value_or(d.max_surge);
    const auto unavailable = read_int_or_percent(*rolling, "maxUnavailable");
    d.max_unavailable = unavailable.value_or(d.max_unavailable);
    if (d.max_surge.value == 0 && d.max_unavailable.value == 0) {
      rolling->issue("maxUnavailable", "a value > 0 when maxSurge is 0 (else a rollout can never progress)",
                     unavailable ? describe(*rolling->find("maxUnavailable")) : "nothing (default 25%)");
    }
    rolling->finish();
  }
  strategy->finish();
}

/// The pod template's defaults before its `pod` block is read: what the server implies.
cluster::PodSpec pod_defaults(const std::string& app, const serve::InferenceServerConfig& server,
                              const cluster::Resources& requests) {
  cluster::PodSpec spec;
  spec.app = app;
  spec.requests = requests;
  spec.image = server.model.empty() ? kDefaultImage : server.model;
  spec.weights_bytes = gb_to_bytes(server.memory.weights_gb);  // the model profile's weights_gb, or 0
  return spec;
}

std::vector<cluster::Toleration> read_tolerations(ObjectReader& pod) {
  std::vector<cluster::Toleration> out;
  const Json* list = pod.array("tolerations", Presence::kOptional);
  if (list == nullptr) return out;
  for (std::size_t i = 0; i < list->size(); ++i) {
    ObjectReader t((*list)[i], child_pointer(pod.pointer("tolerations"), i), pod.issues());
    cluster::Toleration tol;
    tol.key = t.string("key", Presence::kOptional).value_or("");
    tol.op = t.choice("operator", toleration_operators(), Presence::kOptional).value_or(tol.op);
    tol.value = t.string("value", Presence::kOptional).value_or("");
    if (const auto effect = t.choice("effect", taint_effects(), Presence::kOptional)) {
      tol.any_effect = false;
      tol.effect = *effect;
    }
    // core/v1 validation (ValidateTolerations): an empty key needs Exists; Exists takes no value.
    if (tol.op == cluster::Toleration::Operator::kExists && !tol.value.empty()) {
      t.issue("value", "no value with operator \"Exists\"", describe_string(tol.value));
    }
    if (tol.op == cluster::Toleration::Operator::kEqual && tol.key.empty() && t.is_object()) {
      t.issue("key", "a key (an empty key matches every taint only with operator \"Exists\")", "nothing");
    }
    t.finish();
    out.push_back(std::move(tol));
  }
  return out;
}

/// affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms.
std::vector<cluster::NodeSelectorTerm> read_node_affinity(ObjectReader& pod) {
  using Op = cluster::NodeSelectorRequirement::Operator;
  std::vector<cluster::NodeSelectorTerm> terms;
  auto affinity = pod.object("affinity", Presence::kOptional);
  if (!affinity) return terms;
  if (auto node = affinity->object("nodeAffinity", Presence::kOptional)) {
    if (auto required = node->object("requiredDuringSchedulingIgnoredDuringExecution", Presence::kRequired)) {
      const Json* list = required->array("nodeSelectorTerms", Presence::kRequired, 1);
      for (std::size_t i = 0; list != nullptr && i < list->size(); ++i) {
        ObjectReader term((*list)[i], child_pointer(required->pointer("nodeSelectorTerms"), i), pod.issues());
        cluster::NodeSelectorTerm requirements;
        const Json* expressions = term.array("matchExpressions", Presence::kRequired, 1);
        for (std::size_t j = 0; expressions != nullptr && j < expressions->size(); ++j) {
          ObjectReader e((*expressions)[j], child_pointer(term.pointer("matchExpressions"), j), pod.issues());
          cluster::NodeSelectorRequirement req;
          req.key = e.string("key", Presence::kRequired).value_or("");
          const auto op = e.choice("operator", node_selector_operators(), Presence::kRequired);
          req.op = op.value_or(Op::kIn);
          const Json* raw_values = e.find("values");
          req.values = read_strings(e, "values");  // issues for a non-array and for non-string elements
          const bool set_operator = op && (*op == Op::kIn || *op == Op::kNotIn);
          if (set_operator && (raw_values == nullptr || (raw_values->is_array() && raw_values->empty()))) {
            e.issue("values", "a non-empty array of strings (operator " + name_of(node_selector_operators(), *op) + ")",
                    raw_values == nullptr ? "nothing" : "[]");
          } else if (op && !set_operator && raw_values != nullptr) {
            e.issue("values", "no values (operator " + name_of(node_selector_operators(), *op) + ")",
                    describe(*raw_values));
          }
          e.finish();
          requirements.push_back(std::move(req));
        }
        term.finish();
        terms.push_back(std::move(requirements));
      }
      required->finish();
    }
    node->finish();
  }
  affinity->finish();
  return terms;
}

std::vector<cluster::TopologySpreadConstraint> read_topology_spread(ObjectReader& pod) {
  std::vector<cluster::TopologySpreadConstraint> out;
  const Json* list = pod.array("topologySpreadConstraints", Presence::kOptional);
  if (list == nullptr) return out;
  for (std::size_t i = 0; i < list->size(); ++i) {
    ObjectReader c((*list)[i], child_pointer(pod.pointer("topologySpreadConstraints"), i), pod.issues());
    cluster::TopologySpreadConstraint tsc;
    tsc.max_skew = static_cast<int32_t>(c.integer("maxSkew", 1, INT32_MAX, Presence::kRequired).value_or(1));
    tsc.topology_key = c.string("topologyKey", Presence::kRequired).value_or(tsc.topology_key);
    tsc.when_unsatisfiable =
        c.choice("whenUnsatisfiable", when_unsatisfiable_names(), Presence::kRequired).value_or(tsc.when_unsatisfiable);
    c.forbid("labelSelector", "no labelSelector (implied: the pods with the same app, i.e. the same Deployment)");
    c.finish();
    out.push_back(std::move(tsc));
  }
  return out;
}

/// `pod`: scheduling constraints, cold-start stages and termination of a pod. core/v1 PodSpec field
/// names where Kubernetes has the field; snake_case with units for the application's own timings.
/// `spec` arrives with pod_defaults() filled in.
cluster::PodSpec read_pod_spec(ObjectReader& element, cluster::PodSpec spec) {
  auto pod = element.object("pod", Presence::kOptional);
  if (!pod) return spec;
  spec.priority = static_cast<int32_t>(pod->integer("priority", INT32_MIN, INT32_MAX, Presence::kOptional).value_or(0));
  spec.tolerations = read_tolerations(*pod);
  const auto node_selector = read_labels(*pod, "nodeSelector", Presence::kOptional);
  spec.required_node_affinity = read_node_affinity(*pod);
  // nodeSelector and required node affinity must both hold: its pairs join every term (ANDed).
  if (!node_selector.empty() && spec.required_node_affinity.empty()) spec.required_node_affinity.emplace_back();
  for (auto& term : spec.required_node_affinity) {
    for (const auto& [key, value] : node_selector) {
      term.push_back({key, cluster::NodeSelectorRequirement::Operator::kIn, {value}});
    }
  }
  spec.topology_spread = read_topology_spread(*pod);

  if (const Json* probe = pod->find("readinessProbe"); probe != nullptr && probe->is_null()) {
    spec.has_readiness_probe = false;
  } else if (auto p = pod->object("readinessProbe", Presence::kOptional)) {
    cluster::ReadinessProbe& rp = spec.readiness_probe;
    rp.initial_delay_seconds = static_cast<int32_t>(
        p->integer("initialDelaySeconds", 0, INT32_MAX, Presence::kOptional).value_or(rp.initial_delay_seconds));
    rp.period_seconds = static_cast<int32_t>(
        p->integer("periodSeconds", 1, INT32_MAX, Presence::kOptional).value_or(rp.period_seconds));
    rp.success_threshold = static_cast<int32_t>(
        p->integer("successThreshold", 1, INT32_MAX, Presence::kOptional).value_or(rp.success_threshold));
    p->finish();
  }
  const auto grace = pod->integer("terminationGracePeriodSeconds", 0, kMaxSeconds, Presence::kOptional);
  if (grace) spec.termination_grace_period = Duration::seconds(*grace);
  if (auto lifecycle = pod->object("lifecycle", Presence::kOptional)) {
    if (auto pre_stop = lifecycle->object("preStop", Presence::kOptional)) {
      if (auto sleep = pre_stop->object("sleep", Presence::kRequired)) {
        // core/v1 validation: the sleep must fit in the grace period (validateSleepAction).
        const int64_t grace_s = spec.termination_grace_period.ns / 1'000'000'000;
        if (const auto s = sleep->integer("seconds", 0, grace_s, Presence::kRequired)) {
          spec.pre_stop_sleep = Duration::seconds(*s);
        }
        sleep->finish();
      }
      pre_stop->finish();
    }
    lifecycle->finish();
  }

  if (auto image = pod->object("image", Presence::kOptional)) {
    spec.image = image->string("name", Presence::kOptional, "non-empty string", is_non_empty).value_or(spec.image);
    spec.image_size_bytes =
        gb_to_bytes(image->number("size_gb", {0, true, kMaxSizeGb, true}, Presence::kOptional).value_or(0.0));
    image->finish();
  }
  spec.container_start = seconds_field(*pod, "container_start_s", {0, true, 3600, true}, spec.container_start);
  if (auto weights = pod->object("weights", Presence::kOptional)) {
    if (const auto gb = weights->number("size_gb", {0, true, kMaxSizeGb, true}, Presence::kOptional)) {
      spec.weights_bytes = gb_to_bytes(*gb);
    }
    if (const auto rate = weights->number("load_gb_per_s", greater_than_up_to(0, 1e6), Presence::kOptional)) {
      spec.weight_load_bandwidth_bytes_per_s = *rate * 1e9;
    }
    spec.weight_load = weights->choice("load", weight_loads(), Presence::kOptional).value_or(spec.weight_load);
    weights->finish();
  }
  spec.warm_up = seconds_field(*pod, "warm_up_s", {0, true, kMaxDurationS, true}, spec.warm_up);
  spec.drain = pod->choice("drain", drain_modes(), Presence::kOptional).value_or(spec.drain);
  pod->finish();
  return spec;
}

cluster::NodePoolConfig read_node_pool(ObjectReader& p, const std::string& name) {
  cluster::NodePoolConfig pool;
  pool.name = name;
  pool.zone = p.string("zone", Presence::kOptional, "non-empty string", is_non_empty).value_or(pool.zone);
  pool.gpu_type = p.string("gpu_type", Presence::kOptional).value_or("");
  pool.gpu_count = static_cast<int32_t>(p.integer("gpus", 0, kMaxGpusPerNode, Presence::kOptional).value_or(0));
  if (const auto cores = read_cpu_quantity(p, "cpu")) pool.allocatable_cpu_millicores = std::llround(*cores * 1000);
  pool.allocatable_memory_bytes = read_memory_quantity(p, "memory", false).value_or(pool.allocatable_memory_bytes);
  if (const Json* taints = p.array("taints", Presence::kOptional)) {
    for (std::size_t i = 0; i < taints->size(); ++i) {
      ObjectReader t((*taints)[i], child_pointer(p.pointer("taints"), i), p.issues());
      cluster::Taint taint;
      taint.key = t.string("key", Presence::kRequired, "non-empty string", is_non_empty).value_or("");
      taint.value = t.string("value", Presence::kOptional).value_or("");
      taint.effect = t.choice("effect", taint_effects(), Presence::kRequired).value_or(taint.effect);
      t.finish();
      pool.taints.push_back(std::move(taint));
    }
  }
  for (const auto& label : read_labels(p, "labels", Presence::kOptional)) pool.labels.push_back(label);
  pool.spot = read_bool(p, "spot").value_or(false);
  pool.hourly_price_usd = p.number("hourly_price_usd", {0, true, 1e6, true}, Presence::kOptional).value_or(0.0);
  const auto node_count = [&](std::string_view key) {
    return static_cast<int32_t>(p.integer(key, 0, kMaxNodesPerPool, Presence::kOptional).value_or(0));
  };
  pool.initial_nodes = node_count("initial_nodes");
  pool.min_nodes = node_count("min_nodes");
  pool.max_nodes = pool.initial_nodes;
  if (const auto max = p.integer("max_nodes", 0, kMaxNodesPerPool, Presence::kOptional)) {
    pool.max_nodes = static_cast<int32_t>(*max);
    if (*max < pool.initial_nodes) {
      p.issue("max_nodes", "integer >= initial_nodes (" + std::to_string(pool.initial_nodes) + ")",
              std::to_string(*max));
    }
  }
  if (pool.min_nodes > pool.max_nodes) {
    p.issue("min_nodes", "integer <= max_nodes (" + std::to_string(pool.max_nodes) + ")",
            std::to_string(pool.min_nodes));
  }
  pool.provision_delay = seconds_field(p, "provision_delay_s", {0, true, kMaxDurationS, true}, pool.provision_delay);
  if (const auto mb = p.number("image_pull_mb_per_s", greater_than_up_to(0, 1e6), Presence::kOptional)) {
    pool.image_pull_bandwidth_bytes_per_s = *mb * 1e6;
  }
  pool.cached_images = read_strings(p, "cached_images");
  pool.spot_notice = seconds_field(p, "spot_notice_s", {0, true, 3600, true}, pool.spot_notice);
  return pool;
}

/// `cluster`: node pools, Cluster Autoscaler flags, scheduler and endpoint timings, spot reclaims.
/// Absent: an unlimited cluster (ClusterSection::unlimited). Pods that fit no pool are not an error:
/// they stay Pending, which the report shows.
ClusterSection read_cluster(ObjectReader& root) {
  ClusterSection out;
  auto c = root.object("cluster", Presence::kOptional);
  if (!c) return out;
  out.unlimited = false;
  cluster::ClusterConfig& cc = out.cluster;
  read_named_list(*c, "node_pools", "node pool", Presence::kRequired, [&](ObjectReader& p, const std::string& name) {
    cc.pools.push_back(read_node_pool(p, name));
  });
  if (auto a = c->object("autoscaler", Presence::kOptional)) {
    cluster::ClusterAutoscalerConfig& ca = cc.autoscaler;
    const NumberRange seconds{0, true, kMaxDurationS, true};
    ca.enabled = read_bool(*a, "enabled").value_or(ca.enabled);
    ca.scan_interval = seconds_field(*a, "scan_interval_s", greater_than_up_to(0, kMaxDurationS), ca.scan_interval);
    ca.new_pod_scale_up_delay = seconds_field(*a, "new_pod_scale_up_delay_s", seconds, ca.new_pod_scale_up_delay);
    ca.scale_down_enabled = read_bool(*a, "scale_down_enabled").value_or(ca.scale_down_enabled);
    ca.scale_down_unneeded_time = seconds_field(*a, "scale_down_unneeded_time_s", seconds, ca.scale_down_unneeded_time);
    ca.scale_down_delay_after_add =
        seconds_field(*a, "scale_down_delay_after_add_s", seconds, ca.scale_down_delay_after_add);
    ca.scale_down_utilization_threshold =
        a->number("scale_down_utilization_threshold", {0, true, 1, true}, Presence::kOptional)
            .value_or(ca.scale_down_utilization_threshold);
    ca.scale_down_gpu_utilization_threshold =
        a->number("scale_down_gpu_utilization_threshold", {0, true, 1, true}, Presence::kOptional)
            .value_or(ca.scale_down_gpu_utilization_threshold);
    ca.max_graceful_termination = seconds_field(*a, "max_graceful_termination_s", seconds, ca.max_graceful_termination);
    a->finish();
  }
  cc.scoring = c->choice("scoring", scoring_strategies(), Presence::kOptional).value_or(cc.scoring);
  cc.scheduling_latency = Duration::from_milliseconds(  // kubemind's typical value, not ClusterConfig's 0
      c->number("scheduling_latency_ms", {0, true, 3.6e6, true}, Presence::kOptional)
          .value_or(kDefaultSchedulingLatencyMs));
  cc.endpoint_publish_delay = Duration::from_milliseconds(
      c->number("endpoint_publish_delay_ms", {0, true, 3.6e6, true}, Presence::kOptional)
          .value_or(cc.endpoint_publish_delay.milliseconds_f()));
  cc.serialize_image_pulls = read_bool(*c, "serialize_image_pulls").value_or(cc.serialize_image_pulls);

  if (const Json* list = c->array("spot_interruptions", Presence::kOptional)) {
    std::vector<std::string> pool_names, spot_names;
    for (const auto& pool : cc.pools) {
      pool_names.push_back(pool.name);
      if (pool.spot) spot_names.push_back(pool.name);
    }
    for (std::size_t i = 0; i < list->size(); ++i) {
      ObjectReader e((*list)[i], child_pointer(c->pointer("spot_interruptions"), i), c->issues());
      ClusterSection::SpotInterruption si;
      si.pool = e.string("pool", Presence::kRequired).value_or("");
      const auto node = e.integer("node", 0, kMaxNodesPerPool - 1, Presence::kRequired);
      si.node_index = static_cast<int>(node.value_or(0));
      si.at_s = e.number("at_s", {0, true, kMaxDurationS, true}, Presence::kRequired).value_or(0.0);
      const auto pool =
          std::find_if(cc.pools.begin(), cc.pools.end(), [&](const auto& p) { return p.name == si.pool; });
      if (e.find("pool") != nullptr && !si.pool.empty() && (pool == cc.pools.end() || !pool->spot)) {
        const bool known = pool != cc.pools.end();
        e.issue("pool", "name of a pool with spot: true in " + c->pointer("node_pools") + ", one of " +
                            quoted_list(spot_names) + (known ? "" : did_you_mean(si.pool, pool_names)),
                describe_string(si.pool) + (known ? " (not a spot pool)" : ""));
      } else if (pool != cc.pools.end() && node && *node >= pool->max_nodes) {
        e.issue("node", "integer < max_nodes of pool " + quote(si.pool) + " (" + std::to_string(pool->max_nodes) + ")",
                std::to_string(*node));
      }
      e.finish();
      out.spot_interruptions.push_back(std::move(si));
    }
  }
  c->finish();
  return out;
}

/// `events[]`: {at_s, scale: {deployment, replicas}}, {at_s, delete_pod: {name}}, {at_s, zone_failure:
/// {zone}} or {at_s, node_failure: {pool, node}}, applied in time order (file order for equal times).
/// Needs the Deployments, pods and cluster read.
void read_events(ObjectReader& root, ScenarioConfig& config) {
  const Json* list = root.array("events", Presence::kOptional);
  if (list == nullptr) return;
  std::vector<std::string> deployments, pods, zones, pools;
  for (const auto& d : config.deployments) deployments.push_back(d.name);
  for (const auto& p : config.pods) pods.push_back(p.name);
  for (const auto& p : config.cluster.cluster.pools) {
    pools.push_back(p.name);
    if (std::find(zones.begin(), zones.end(), p.zone) == zones.end()) zones.push_back(p.zone);
  }
  static const std::array<std::string_view, 4> kinds = {"scale", "delete_pod", "zone_failure", "node_failure"};
  for (std::size_t i = 0; i < list->size(); ++i) {
    ObjectReader e((*list)[i], child_pointer(root.pointer("events"), i), root.issues());
    ScenarioEvent ev;
    ev.at_s = e.number("at_s", {0, true, kMaxDurationS, true}, Presence::kRequired).value_or(0.0);
    std::vector<std::string_view> present;
    for (const std::string_view k : kinds) {
      if (e.find(k) != nullptr) present.push_back(k);
    }
    if (present.size() != 1) {
      std::string got = present.empty() ? "none" : "";
      for (const std::string_view k : present) got += (got.empty() ? "" : " and ") + std::string(k);
      e.issue(present.empty() ? "scale" : present[1],
              "exactly one of scale, delete_pod, zone_failure or node_failure", got);
    } else if (present[0] == "scale") {
      if (auto sc = e.object("scale", Presence::kRequired)) {
        ev.kind = ScenarioEvent::Kind::kScale;
        if (auto d = sc->string("deployment", Presence::kRequired)) {
          ev.deployment = *d;
          if (std::find(deployments.begin(), deployments.end(), *d) == deployments.end()) {
            sc->issue("deployment", "name of a Deployment in /deployments, one of " + quoted_list(deployments) +
                                        did_you_mean(*d, deployments),
                      describe_string(*d));
          }
        }
        ev.replicas = static_cast<int>(sc->integer("replicas", 0, kMaxReplicas, Presence::kRequired).value_or(0));
        sc->finish();
      }
    } else if (present[0] == "delete_pod") {
      if (auto dp = e.object("delete_pod", Presence::kRequired)) {
        ev.kind = ScenarioEvent::Kind::kDeletePod;
        if (auto n = dp->string("name", Presence::kRequired)) {
          ev.pod = *n;
          if (std::find(pods.begin(), pods.end(), *n) == pods.end()) {
            dp->issue("name", "name of a pod that exists when the run starts, one of " + quoted_list(pods) +
                                  did_you_mean(*n, pods),
                      describe_string(*n));
          }
        }
        dp->finish();
      }
    } else if (present[0] == "zone_failure") {
      if (auto zf = e.object("zone_failure", Presence::kRequired)) {
        ev.kind = ScenarioEvent::Kind::kZoneFailure;
        if (auto z = zf->string("zone", Presence::kRequired)) {
          ev.zone = *z;
          if (std::find(zones.begin(), zones.end(), *z) == zones.end()) {
            zf->issue("zone", zones.empty() ? "a zone of /cluster/node_pools (the scenario has no cluster section)"
                                            : "a zone of /cluster/node_pools, one of " + quoted_list(zones) + did_you_mean(*z, zones),
                      describe_string(*z));
          }
        }
        zf->finish();
      }
    } else if (auto nf = e.object("node_failure", Presence::kRequired)) {
      ev.kind = ScenarioEvent::Kind::kNodeFailure;
      int64_t max_nodes = kMaxReplicas;
      if (auto p = nf->string("pool", Presence::kRequired)) {
        ev.pool = *p;
        const auto it = std::find(pools.begin(), pools.end(), *p);
        if (it == pools.end()) {
          nf->issue("pool", pools.empty() ? "a node pool of /cluster/node_pools (the scenario has no cluster section)"
                                          : "a node pool of /cluster/node_pools, one of " + quoted_list(pools) + did_you_mean(*p, pools),
                    describe_string(*p));
        } else {
          max_nodes = config.cluster.cluster.pools[static_cast<size_t>(it - pools.begin())].max_nodes;
        }
      }
      ev.node = static_cast<int>(nf->integer("node", 0, std::max<int64_t>(0, max_nodes - 1), Presence::kRequired).value_or(0));
      nf->finish();
    }
    e.finish();
    config.events.push_back(std::move(ev));
  }
  std::stable_sort(config.events.begin(), config.events.end(),
                   [](const ScenarioEvent& a, const ScenarioEvent& b) { return a.at_s < b.at_s; });
}

// --- Namespaces and ResourceQuotas ----------------------------------------------------------------

/// metadata.namespace of a pod, Deployment or Service: a DNS-1123 label, "default" when absent.
std::string read_namespace(ObjectReader& element) {
  return element.string("namespace", Presence::kOptional, kDnsLabel, is_dns_label).value_or("default");
}

/// A count quantity (nvidia.com/gpu, pods): a JSON integer or a string of digits ("4"), in [0, max].
std::optional<int64_t> read_count_quantity(ObjectReader& reader, std::string_view key, int64_t max) {
  const Json* raw = reader.find(key);
  if (raw == nullptr) return std::nullopt;
  int64_t value = -1;
  if (raw->is_number_integer()) {
    value = raw->get<int64_t>();
  } else if (raw->is_string()) {
    const std::string& text = raw->get_ref<const std::string&>();
    if (!text.empty() && text.size() <= 12 && text.find_first_not_of("0123456789") == std::string::npos) {
      value = std::stoll(text);
    }
  }
  if (value < 0 || value > max) {
    reader.issue(key, "a whole number in [0, " + std::to_string(max) + "] (a JSON integer or a string such as \"4\")",
                 describe(*raw));
    return std::nullopt;
  }
  return value;
}

/// The smaller of two optional limits (both "cpu" and "requests.cpu" bound the same requests sum).
std::optional<int64_t> tighter(std::optional<int64_t> a, std::optional<int64_t> b) {
  if (a && b) return std::min(*a, *b);
  return a ? a : b;
}

/// `resource_quotas`: core/v1 ResourceQuota objects, {"metadata": {"name", "namespace"}, "spec":
/// {"hard": {...}}}. spec.hard keys: requests.cpu (or its alias cpu), requests.memory (or memory),
/// requests.nvidia.com/gpu, pods; quantities as in resources.requests. Names are unique across the
/// scenario. Several quotas of one namespace all apply (each must admit a pod).
std::vector<cluster::ResourceQuota> read_resource_quotas(ObjectReader& root) {
  std::vector<cluster::ResourceQuota> out;
  const Json* list = root.array("resource_quotas", Presence::kOptional);
  if (list == nullptr) return out;
  std::map<std::string, std::string> first_pointer;
  for (std::size_t i = 0; i < list->size(); ++i) {
    ObjectReader element((*list)[i], child_pointer(root.pointer("resource_quotas"), i), root.issues());
    cluster::ResourceQuota q;
    if (auto meta = element.object("metadata", Presence::kRequired)) {
      if (const auto name = meta->string("name", Presence::kRequired, kDnsLabel, is_dns_label)) {
        q.name = *name;
        const auto [it, inserted] = first_pointer.try_emplace(*name, meta->pointer("name"));
        if (!inserted) {
          meta->issue("name", "a name no other ResourceQuota has (" + it->second + " has it)", describe_string(*name));
        }
      }
      q.ns = read_namespace(*meta);
      meta->finish();
    }
    if (auto spec = element.object("spec", Presence::kRequired)) {
      if (auto hard = spec->object("hard", Presence::kRequired)) {
        std::optional<int64_t> cpu, memory;
        for (const char* key : {"requests.cpu", "cpu"}) {
          if (const auto cores = read_cpu_quantity(*hard, key)) cpu = tighter(cpu, std::llround(*cores * 1000));
        }
        for (const char* key : {"requests.memory", "memory"}) {
          memory = tighter(memory, read_memory_quantity(*hard, key, true));
        }
        const auto gpus = read_count_quantity(*hard, std::string("requests.") + kGpuResource, kMaxGpusPerNode * kMaxNodesPerPool);
        const auto pods = read_count_quantity(*hard, "pods", kMaxReplicas * 100);
        q.cpu_millicores = cpu.value_or(-1);
        q.memory_bytes = memory.value_or(-1);
        q.gpus = gpus.value_or(-1);
        q.pods = pods.value_or(-1);
        hard->finish();  // any other key (limits.cpu, count/pods, ...): not modelled, refused by name
      }
      spec->finish();
    }
    element.finish();
    out.push_back(std::move(q));
  }
  return out;
}

/// Bare pods are created at t = 0, in file order, before any Deployment's: if ResourceQuota
/// admission would refuse one, it would simply not exist (nothing retries it), so the file is refused.
void check_bare_pods_within_quotas(const ScenarioConfig& config, std::vector<Issue>& issues) {
  const auto& quotas = config.cluster.cluster.quotas;
  for (size_t q = 0; q < quotas.size(); ++q) {
    cluster::Resources used;
    int64_t pods = 0;
    for (size_t i = 0; i < config.pods.size(); ++i) {
      const PodConfig& pod = config.pods[i];
      if (!pod.deployment.empty() || pod.pod.ns != quotas[q].ns) continue;
      used += pod.pod.requests;
      ++pods;
      const auto over = [](int64_t value, int64_t hard) { return hard >= 0 && value > hard; };
      if (over(used.cpu_millicores, quotas[q].cpu_millicores) || over(used.memory_bytes, quotas[q].memory_bytes) ||
          over(used.gpus, quotas[q].gpus) || over(pods, quotas[q].pods)) {
        issues.push_back({"/pods/" + std::to_string(i),
                          "bare pods of namespace " + quote(quotas[q].ns) + " that fit ResourceQuota " +
                              quote(quotas[q].name) + " (/resource_quotas/" + std::to_string(q) +
                              ": the API server would refuse this pod, and no controller retries a bare pod)",
                          "pod " + quote(pod.name) + " exceeding it"});
        break;
      }
    }
  }
}

ScenarioConfig read_scenario(const Json& document, ModelCatalog& catalog, const std::string& base_dir,
                             std::vector<Issue>& issues) {
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

  if (auto kp = r.object("kube_proxy", Presence::kOptional)) {
    balance::KubeProxyConfig& k = config.kube_proxy;
    k.mode = kp->choice("mode", kube_proxy_modes(), Presence::kOptional).value_or(k.mode);
    k.ipvs_scheduler = kp->choice("ipvs_scheduler", ipvs_schedulers(), Presence::kOptional).value_or(k.ipvs_scheduler);
    k.min_sync_period_s = kp->number("min_sync_period_s", {0, true, 3600, true}, Presence::kOptional).value_or(k.min_sync_period_s);
    kp->finish();
  }

  std::vector<TargetRef> targets;
  double total_rate_rps = 0.0;
  read_named_list(r, "clients", "client", Presence::kRequired, [&](ObjectReader& element, const std::string& name) {
    ClientConfig client;
    client.client.name = name;
    // N identical client processes (a Deployment of load generators): each its own channel, hence
    // its own connections through kube-proxy, and its own random streams (named <name>-0..N-1).
    const int64_t processes = element.integer("processes", 1, kMaxClientProcesses, Presence::kOptional).value_or(1);
    if (element.find("channel_of") != nullptr) {
      // Another call pattern of an earlier client's process: its channel, hence its target.
      const std::string at = element.pointer("channel_of");
      if (auto of = element.string("channel_of", Presence::kOptional)) {
        std::vector<std::string> owners;  // earlier clients with a channel of their own
        for (const ClientConfig& c : config.clients) {
          if (c.channel && c.channel_of.empty()) owners.push_back(c.client.name);
        }
        const auto owner = std::find(owners.begin(), owners.end(), *of);
        if (owner == owners.end()) {
          element.issues().push_back({at, "name of an earlier client with its own channel, one of " +
                                              quoted_list(owners) + did_you_mean(*of, owners),
                                      describe_string(*of)});
        } else {
          client.channel_of = *of;
          for (const ClientConfig& c : config.clients) {
            if (c.client.name == *of) client.target = c.target;
          }
        }
      }
      element.forbid("target", "no target (a client with channel_of sends where that client's channel goes)");
      element.forbid("channel", "no channel (a client with channel_of uses that client's channel)");
      element.forbid("processes", "no processes (a client with channel_of is a call pattern of one process)");
    } else if (auto target = element.string("target", Presence::kRequired)) {
      client.target = *target;
      for (int64_t i = 0; i < processes; ++i) targets.push_back({element.pointer("target"), *target, config.clients.size() + i});
    }
    const double rate_before = total_rate_rps;
    read_client(element, client.client, base_dir, total_rate_rps);
    total_rate_rps += (total_rate_rps - rate_before) * static_cast<double>(processes - 1);
    if (client.channel_of.empty()) {
      if (auto channel = element.object("channel", Presence::kOptional)) {
        client.channel = read_channel(*channel);
        channel->finish();
      }
    }
    if (processes == 1) {
      config.clients.push_back(std::move(client));
      return;
    }
    for (int64_t i = 0; i < processes; ++i) {
      ClientConfig copy = client;
      copy.client.name = name + "-" + std::to_string(i);
      for (const ClientConfig& c : config.clients) {
        if (c.client.name == copy.client.name) {
          element.issue("name", "a name whose processes (<name>-<i>) no other client has", describe_string(name));
        }
      }
      config.clients.push_back(std::move(copy));
    }
  });

  // Pods: bare ones, then each Deployment's replicas. Either list may be absent, not both.
  const bool has_deployments = r.find("deployments") != nullptr;
  read_named_list(r, "pods", "pod", has_deployments ? Presence::kOptional : Presence::kRequired, [&](ObjectReader& element, const std::string& name) {
    PodConfig pod;
    pod.name = name;
    pod.labels = read_labels(element, "labels", Presence::kOptional);
    cluster::Resources requests;
    if (auto server = element.object("server", Presence::kRequired)) {
      pod.server = read_server(*server, catalog, requests, pod.vllm, pod.cpu_server);
      pod.grpc = read_grpc_server(*server);
      server->finish();
    }
    pod.pod = read_pod_spec(element, pod_defaults(name, pod.server, requests));
    pod.pod.ns = read_namespace(element);
    config.pods.push_back(std::move(pod));
  });
  read_named_list(r, "deployments", "deployment", Presence::kOptional,
                  [&](ObjectReader& element, const std::string& name) {
    DeploymentConfig d;
    d.name = name;
    d.replicas = static_cast<int>(element.integer("replicas", 0, kMaxReplicas, Presence::kOptional).value_or(1));
    // spec.template.metadata.labels beyond app=<name>: a Service selecting a shared label spans
    // several Deployments (a canary takes its share of new connections by its pod count).
    d.labels = read_labels(element, "labels", Presence::kOptional);
    if (const auto app = d.labels.find("app"); app != d.labels.end() && app->second != name) {
      element.issue("labels", "labels whose app, if given, is the Deployment's name " + quote(name), describe_string(app->second));
    }
    d.labels["app"] = name;
    read_strategy(element, d);
    cluster::Resources requests;
    if (auto server = element.object("server", Presence::kRequired)) {
      d.server = read_server(*server, catalog, requests, d.vllm, d.cpu_server);
      d.grpc = read_grpc_server(*server);
      server->finish();
    }
    d.pod = read_pod_spec(element, pod_defaults(name, d.server, requests));
    d.pod.ns = read_namespace(element);
    config.deployments.push_back(std::move(d));
  });
  std::map<std::string, std::string> pod_pointer;  // pod name -> where it comes from
  for (size_t i = 0; i < config.pods.size(); ++i) pod_pointer[config.pods[i].name] = "/pods/" + std::to_string(i);
  for (size_t d = 0; d < config.deployments.size(); ++d) {
    const DeploymentConfig& dep = config.deployments[d];
    for (int i = 0; i < dep.replicas; ++i) {
      PodConfig pod{dep.name + "-" + std::to_string(i), dep.labels, dep.name, dep.server, dep.grpc, dep.pod, dep.vllm,
                    dep.cpu_server};
      const std::string at = "/deployments/" + std::to_string(d) + "/name";
      if (const auto [it, inserted] = pod_pointer.try_emplace(pod.name, at); !inserted) {
        issues.push_back({at, "a name whose pods (<name>-<i>) no other pod has (" + it->second + " has " +
                                  quote(pod.name) + ")", describe_string(dep.name)});
      }
      config.pods.push_back(std::move(pod));
    }
  }

  read_named_list(r, "services", "service", Presence::kOptional, [&](ObjectReader& element, const std::string& name) {
    ServiceConfig svc;
    svc.name = name;
    svc.ns = read_namespace(element);
    svc.selector = read_labels(element, "selector", Presence::kRequired);
    if (const Json* ip = element.find("clusterIP"); ip != nullptr) {
      if (ip->is_string() && ip->get<std::string>() == "None") {
        svc.headless = true;
      } else {
        element.issue("clusterIP", "\"None\" (a headless Service) or no field (a ClusterIP)", describe(*ip));
      }
    }
    config.services.push_back(std::move(svc));
  });

  std::vector<TargetRef> upstreams;
  read_named_list(r, "proxies", "proxy", Presence::kOptional, [&](ObjectReader& element, const std::string& name) {
    ProxyConfig proxy;
    proxy.name = name;
    const bool to_service = element.find("upstream_service") != nullptr;
    const bool to_proxy = element.find("upstream_proxy") != nullptr;
    if (to_service == to_proxy) {
      element.issue("upstream_service", "exactly one of upstream_service and upstream_proxy",
                    to_service ? "both" : "neither");
    }
    if (auto upstream = element.string("upstream_service", Presence::kOptional)) {
      proxy.upstream_service = *upstream;
      upstreams.push_back({element.pointer("upstream_service"), *upstream, config.proxies.size()});
    }
    if (auto upstream = element.string("upstream_proxy", Presence::kOptional)) {
      proxy.upstream_proxy = *upstream;
      // Only a proxy defined earlier: chains stay acyclic and are built in order.
      std::vector<std::string> earlier;
      for (const auto& p : config.proxies) earlier.push_back(p.name);
      if (std::find(earlier.begin(), earlier.end(), *upstream) == earlier.end()) {
        element.issue("upstream_proxy",
                      "name of a proxy defined before this one in /proxies, one of " + quoted_list(earlier) +
                          did_you_mean(*upstream, earlier),
                      describe_string(*upstream));
      }
    }
    proxy.proxy = read_proxy(element);
    proxy.metrics_refresh_ms =
        element.number("metrics_refresh_ms", greater_than_up_to(0, 3.6e6), Presence::kOptional).value_or(50.0);
    proxy.replicas = static_cast<int>(element.integer("replicas", 1, kMaxReplicas, Presence::kOptional).value_or(1));
    config.proxies.push_back(std::move(proxy));
  });
  config.cluster = read_cluster(r);
  config.cluster.cluster.quotas = read_resource_quotas(r);
  check_bare_pods_within_quotas(config, issues);
  read_metrics(r, config);
  read_autoscalers(r, config);
  read_events(r, config);
  r.finish();

  // References between objects.
  std::vector<std::string> service_names;
  for (const auto& svc : config.services) service_names.push_back(svc.name);
  for (const auto& ref : upstreams) {
    if (std::find(service_names.begin(), service_names.end(), ref.name) != service_names.end()) continue;
    issues.push_back({ref.pointer, "name of a Service in /services, one of " + quoted_list(service_names) +
                                       did_you_mean(ref.name, service_names),
                      describe_string(ref.name)});
  }
  std::vector<std::string> target_names;  // "kind/name"
  for (const auto& pod : config.pods) target_names.push_back("pod/" + pod.name);
  for (const auto& svc : config.services) target_names.push_back("service/" + svc.name);
  for (const auto& proxy : config.proxies) target_names.push_back("proxy/" + proxy.name);
  for (const auto& a : config.autoscalers) {  // a Knative revision is reached through its activator
    if (a.kind == AutoscalerConfig::Kind::kKpa) target_names.push_back("activator/" + a.name);
  }
  for (const auto& ref : targets) {
    if (target_names.empty()) break;  // no pod could be read: that is reported already
    // "kind/name", or a bare name that names exactly one object.
    std::vector<std::string> matches;
    for (const auto& t : target_names) {
      if (t == ref.name || t.substr(t.find('/') + 1) == ref.name) matches.push_back(t);
    }
    if (matches.size() == 1) {
      config.clients[ref.client].target = matches.front();
      continue;
    }
    if (matches.empty()) {
      std::vector<std::string> bare;
      for (const auto& t : target_names) bare.push_back(t.substr(t.find('/') + 1));
      issues.push_back({ref.pointer, "name of a pod, Service, proxy or activator, one of " + quoted_list(target_names) +
                                         did_you_mean(ref.name, bare),
                        describe_string(ref.name)});
    } else {
      issues.push_back({ref.pointer, "one object; say which with kind/name, one of " + quoted_list(matches),
                        describe_string(ref.name)});
    }
  }

  for (ClientConfig& c : config.clients) {  // channel_of: the owner's target, now resolved
    for (const ClientConfig& owner : config.clients) {
      if (!c.channel_of.empty() && owner.client.name == c.channel_of) c.target = owner.target;
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
    config = read_scenario(*document, catalog, base_dir, issues);
  } catch (const Json::exception& error) {  // a loader bug, but still reported as bad input, never a crash
    issues.push_back({"/", "a scenario the loader can read", std::string("an internal JSON error: ") + error.what()});
  }
  if (!issues.empty()) throw ScenarioError(source, std::move(issues));
  if (options.seed) config.seed = *options.seed;
  return config;
}

}  // namespace kubemind::scenario
