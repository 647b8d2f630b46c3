// SPDX-License-Identifier: MIT
// The scenario's control plane: `metrics` (metrics-server, Prometheus, kube-controller-manager's
// HPA flags, prometheus-adapter rules) and `autoscalers[]` (HorizontalPodAutoscaler, ScaledObject,
// PodAutoscaler in their real shape), read with the same field readers as hpa-eval / keda-eval /
// kpa-eval (control_readers.h), and echoed back with every default written out.
#include "sim/scenario/load_autoscalers.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "sim/scenario/control_readers.h"
#include "sim/scenario/promql.h"

namespace kubemind::scenario {
namespace {

namespace ctl = kubemind::control;
using engine::Duration;
using Kind = AutoscalerConfig::Kind;
using Ordered = nlohmann::ordered_json;

constexpr int64_t kMaxReplicas = 2'147'483'647;
constexpr double kDay_s = 86400.0;
constexpr const char* kKnativePrefix = "autoscaling.knative.dev/";
constexpr const char* kKpaClass = "kpa.autoscaling.knative.dev";
/// The Prometheus model keeps this much history at least (PrometheusConfig::retention).
const Duration kMinRetention = Duration::seconds(900);

double seconds_of(Duration d) { return static_cast<double>(d.ns) / 1e9; }

std::optional<Duration> seconds_field(ObjectReader& r, std::string_view key, NumberRange range) {
  if (auto s = r.number(key, range, Presence::kOptional)) return Duration::from_seconds(*s);
  return std::nullopt;
}

/// DNS-1123 subdomain: what metadata.name must be.
bool is_object_name(std::string_view text) {
  const auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (text.empty() || text.size() > 253 || !alnum(text.front()) || !alnum(text.back())) return false;
  return std::all_of(text.begin(), text.end(), [&](char c) { return alnum(c) || c == '-' || c == '.'; });
}
constexpr const char* kObjectName =
    "DNS-1123 subdomain (lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at "
    "most 253 characters)";

/// metrics.prometheus_adapter.rules as written (nullptr if absent or not an object).
const Json* raw_adapter_rules(ObjectReader& root) {
  const Json* m = root.find("metrics");
  if (m == nullptr || !m->is_object()) return nullptr;
  const auto pa = m->find("prometheus_adapter");
  if (pa == m->end() || !pa->is_object()) return nullptr;
  const auto rules = pa->find("rules");
  if (rules == pa->end() || !rules->is_object()) return nullptr;
  return &*rules;
}

/// Where an autoscaler was read: its pointer and the pointer of its scaleTargetRef.name.
struct Placed {
  std::string at;
  std::string name_at;
  std::string target_at;
};

/// metadata: name (required, a DNS-1123 subdomain); `annotations` is left to the caller.
std::optional<ObjectReader> read_metadata(ObjectReader& e, AutoscalerConfig& a, Placed& placed) {
  auto md = e.object("metadata", Presence::kRequired);
  if (!md) return std::nullopt;
  if (auto n = md->string("name", Presence::kRequired, kObjectName, is_object_name)) {
    a.name = *n;
    placed.name_at = md->pointer("name");
  }
  return md;
}

/// spec.scaleTargetRef: {apiVersion apps/v1, kind Deployment, name}.
void read_target_ref(ObjectReader& spec, Presence kind_presence, AutoscalerConfig& a, Placed& placed) {
  auto ref = spec.object("scaleTargetRef", Presence::kRequired);
  if (!ref) return;
  ref->choice("apiVersion", std::vector<std::pair<std::string, int>>{{"apps/v1", 0}}, Presence::kOptional);
  ref->choice("kind", std::vector<std::pair<std::string, int>>{{"Deployment", 0}}, kind_presence);
  if (auto n = ref->string("name", Presence::kRequired)) {
    a.target = *n;
    placed.target_at = ref->pointer("name");
  }
  ref->finish();
}

/// Checks that a query's {app="..."} matcher (if any) selects the scale target's pods. (A ScaledObject's
/// triggers may also name a proxy: read_scaled_object.)
void check_app(const std::optional<std::string>& app, const AutoscalerConfig& a, const std::string& at,
               const std::string& what, std::vector<Issue>& issues) {
  if (!app || a.target.empty() || *app == a.target) return;
  issues.push_back({at, what + " whose app matcher names the scaleTargetRef's name (app=" + quote(a.target) + ")",
                    "app=" + quote(*app)});
}

/// The longest range any query reads: the Prometheus model must keep at least that much.
void keep_range(MetricsConfig& metrics, const ctl::PromQuery& q) {
  metrics.prometheus.retention = std::max(metrics.prometheus.retention, q.window);
}

// --- HorizontalPodAutoscaler -------------------------------------------------------------------

void read_hpa_object(ObjectReader& e, AutoscalerConfig& a, Placed& placed, const Json* rules,
                     ScenarioConfig& config) {
  a.hpa = read_hpa(e);  // spec (finished), apiVersion, kind; metadata and status marked known
  if (const Json* v = e.find("apiVersion"); v != nullptr && v->is_string() && *v != "autoscaling/v2") {
    e.issue("apiVersion", "\"autoscaling/v2\"", describe(*v));
  }
  e.forbid("status", "no status (the simulation keeps it)");
  if (!a.hpa.min_replicas) a.hpa.min_replicas = 1;  // SetDefaults_HorizontalPodAutoscaler
  if (auto md = read_metadata(e, a, placed)) md->finish();
  const Json* spec = e.find("spec");
  if (spec == nullptr || !spec->is_object()) return;
  ObjectReader spec_reader(*spec, e.pointer("spec"), e.issues());  // read_hpa finished it
  read_target_ref(spec_reader, Presence::kRequired, a, placed);

  // prometheus-adapter serves every Pods / Object / External metric by its name.
  a.hpa_rules.assign(a.hpa.metrics.size(), std::nullopt);
  const auto raw_metrics = spec->find("metrics");
  if (raw_metrics == spec->end() || !raw_metrics->is_array() || raw_metrics->size() != a.hpa.metrics.size()) return;
  std::vector<std::string> rule_names;
  if (rules != nullptr) {
    for (const auto& [name, value] : rules->items()) rule_names.push_back(name);
  }
  for (size_t j = 0; j < a.hpa.metrics.size(); ++j) {
    const ctl::MetricSpec& m = a.hpa.metrics[j];
    if (m.type == ctl::MetricSourceType::kResource || m.metric_name.empty()) continue;
    const char* source = m.type == ctl::MetricSourceType::kPods     ? "pods"
                         : m.type == ctl::MetricSourceType::kObject ? "object"
                                                                    : "external";
    const std::string at = child_pointer(
        child_pointer(child_pointer(child_pointer(spec_reader.pointer("metrics"), j), source), "metric"), "name");
    if (rules == nullptr || !rules->contains(m.metric_name)) {
      e.issues().push_back({at,
                            "a metric served by a rule in /metrics/prometheus_adapter/rules, one of " +
                                quoted_list(rule_names) + did_you_mean(m.metric_name, rule_names),
                            describe_string(m.metric_name)});
      continue;
    }
    const Json& rule = rules->at(m.metric_name);
    if (!rule.is_string()) continue;  // reported by read_metrics
    std::string error;
    std::optional<std::string> app;
    const auto q = parse_promql(rule.get<std::string>(), error, &app);
    if (!q) continue;  // reported by read_metrics
    check_app(app, a, at, "a metric whose rule is a query", e.issues());
    keep_range(config.metrics, *q);
    a.hpa_rules[j] = *q;
  }
}

// --- ScaledObject ------------------------------------------------------------------------------

void read_scaled_object(ObjectReader& e, AutoscalerConfig& a, Placed& placed, ScenarioConfig& config) {
  e.choice("apiVersion", std::vector<std::pair<std::string, int>>{{"keda.sh/v1alpha1", 0}}, Presence::kOptional);
  if (auto md = read_metadata(e, a, placed)) {
    read_annotations(*md, a.keda);
    md->finish();
  }
  auto s = e.object("spec", Presence::kRequired);
  if (!s) return;
  read_target_ref(*s, Presence::kOptional, a, placed);
  if (auto adv = s->object("advanced", Presence::kOptional)) {
    if (auto hc = adv->object("horizontalPodAutoscalerConfig", Presence::kOptional)) {
      if (auto b = hc->object("behavior", Presence::kOptional)) a.keda_behavior = read_behavior(*b);
      hc->finish();
    }
    adv->finish();
  }
  read_keda_spec(*s, a.keda);
  s->finish();

  // One Prometheus serves every trigger: metadata.query is required, serverAddress ignored.
  a.keda_queries.assign(a.keda.triggers.size(), std::nullopt);
  const Json* raw = s->find("triggers");
  if (raw == nullptr || !raw->is_array() || raw->size() != a.keda.triggers.size()) return;
  for (size_t i = 0; i < a.keda.triggers.size(); ++i) {
    if (a.keda.triggers[i].type != ctl::KedaTriggerType::kPrometheus) continue;
    const Json& t = (*raw)[i];
    const auto md = t.find("metadata");
    if (md == t.end() || !md->is_object()) continue;  // reported by read_trigger
    const std::string at = child_pointer(child_pointer(child_pointer(s->pointer("triggers"), i), "metadata"), "query");
    const auto query = md->find("query");
    if (query == md->end()) {
      e.issues().push_back({at, "a PromQL query (a prometheus trigger needs metadata.query)", "nothing"});
      continue;
    }
    if (!query->is_string()) continue;  // reported by read_trigger
    std::string error;
    std::optional<std::string> app;
    const auto q = parse_promql(query->get<std::string>(), error, &app);
    if (!q) {
      e.issues().push_back({at, error, describe(*query)});
      continue;
    }
    // The app matcher names the target's pods, or a proxy (its series exist at zero replicas too).
    const bool names_proxy = app && *app != a.target &&
                             std::any_of(config.proxies.begin(), config.proxies.end(),
                                         [&](const ProxyConfig& p) { return p.name == *app; });
    if (names_proxy) {
      if (std::any_of(a.keda_queries.begin(), a.keda_queries.begin() + static_cast<std::ptrdiff_t>(i),
                      [](const auto& earlier) { return earlier.has_value(); }) &&
          a.keda_metrics_proxy != *app) {
        e.issues().push_back({at, "the same series as the ScaledObject's other prometheus triggers (one Prometheus job)",
                              "app=" + quote(*app)});
      }
      a.keda_metrics_proxy = *app;
    } else {
      check_app(app, a, at, "a query", e.issues());
      if (!a.keda_metrics_proxy.empty()) {
        e.issues().push_back({at, "a query on the proxy " + quote(a.keda_metrics_proxy) +
                                      " like the ScaledObject's other prometheus triggers",
                              app ? "app=" + quote(*app) : std::string("no app matcher")});
      }
    }
    keep_range(config.metrics, *q);
    a.keda_queries[i] = *q;
  }
}

// --- Knative PodAutoscaler ---------------------------------------------------------------------

void read_pod_autoscaler(ObjectReader& e, AutoscalerConfig& a, Placed& placed) {
  e.choice("apiVersion", std::vector<std::pair<std::string, int>>{{"autoscaling.internal.knative.dev/v1alpha1", 0}},
           Presence::kOptional);
  ctl::KpaConfig& c = a.kpa.autoscaler;
  std::string initial_scale_at;
  if (auto cfg = e.object("config", Presence::kOptional)) {
    read_kpa_config(*cfg, c);
    if (cfg->find("initial-scale") != nullptr) initial_scale_at = cfg->pointer("initial-scale");
    cfg->finish();
  }
  if (auto md = read_metadata(e, a, placed)) {
    if (auto an = md->object("annotations", Presence::kOptional)) {
      const std::string p = kKnativePrefix;
      read_revision_annotations(*an, c, a.kpa.revision);
      if (const Json* w = an->find(p + "window"); w != nullptr && (c.stable_window_s < 6 || c.stable_window_s > 3600)) {
        an->issue(p + "window", "a window in [6s, 1h]", describe(*w));
      }
      if (const Json* cls = an->find(p + "class"); cls != nullptr && cls->is_string() && *cls != kKpaClass) {
        an->issue(p + "class", quote(kKpaClass) + " (for the hpa class, write a HorizontalPodAutoscaler)", describe(*cls));
      }
      if (auto v = string_integer(*an, p + "min-scale", 0, kMaxReplicas, Presence::kOptional)) {
        a.kpa.min_scale = static_cast<int32_t>(*v);
      }
      if (auto v = string_integer(*an, p + "max-scale", 0, kMaxReplicas, Presence::kOptional)) {
        a.kpa.max_scale = static_cast<int32_t>(*v);
        if (a.kpa.max_scale != 0 && a.kpa.max_scale < a.kpa.min_scale) {
          an->issue(p + "max-scale", "max-scale >= min-scale (" + std::to_string(a.kpa.min_scale) + "), or 0 (no limit)",
                    describe(*an->find(p + "max-scale")));
        }
      }
      if (auto v = string_integer(*an, p + "initial-scale", 0, kMaxReplicas, Presence::kOptional)) {
        c.initial_scale = static_cast<int32_t>(*v);
        initial_scale_at = an->pointer(p + "initial-scale");
      }
      if (const Json* raw = md->find("annotations"); raw != nullptr && raw->is_object()) {
        for (const auto& [key, value] : raw->items()) {
          if (!std::string_view(key).starts_with(p)) an->find(key);  // other tools' annotations
        }
      }
      an->finish();
    }
    md->finish();
  }
  if (c.initial_scale == 0 && !c.allow_zero_initial_scale && !initial_scale_at.empty()) {
    e.issues().push_back(
        {initial_scale_at, "initial-scale >= 1 (0 needs allow-zero-initial-scale: \"true\" in /config)", "0"});
  }
  if (auto s = e.object("spec", Presence::kRequired)) {
    read_target_ref(*s, Presence::kOptional, a, placed);
    if (auto v = s->integer("containerConcurrency", 0, 1000, Presence::kOptional)) {
      a.kpa.revision.container_concurrency = static_cast<int32_t>(*v);
    }
    s->finish();
  }
}

// --- Echo --------------------------------------------------------------------------------------

/// A milli-quantity as the shortest quantity string that reads back the same ("8", "500m").
std::string quantity_text(int64_t milli) {
  return milli % 1000 == 0 ? std::to_string(milli / 1000) : std::to_string(milli) + "m";
}

Ordered target_ref_json(const std::string& name) {
  return Ordered{{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"name", name}};
}

Ordered rules_json(const ctl::HpaScalingRules& r) {
  Ordered out = Ordered::object();
  if (r.stabilization_window_seconds) out["stabilizationWindowSeconds"] = *r.stabilization_window_seconds;
  out["selectPolicy"] = r.select_policy == ctl::SelectPolicy::kMax   ? "Max"
                        : r.select_policy == ctl::SelectPolicy::kMin ? "Min"
                                                                     : "Disabled";
  Ordered policies = Ordered::array();
  for (const auto& p : r.policies) {
    policies.push_back(Ordered{{"type", p.type == ctl::ScalingPolicyType::kPods ? "Pods" : "Percent"},
                               {"value", p.value},
                               {"periodSeconds", p.period_seconds}});
  }
  out["policies"] = std::move(policies);
  if (r.tolerance) out["tolerance"] = quantity_text(static_cast<int64_t>(std::llround(*r.tolerance * 1000.0)));
  return out;
}

Ordered behavior_json(const ctl::HpaBehavior& b) {
  return Ordered{{"scaleUp", rules_json(b.scale_up)}, {"scaleDown", rules_json(b.scale_down)}};
}

Ordered metric_target_json(const ctl::MetricTarget& t) {
  switch (t.type) {
    case ctl::MetricTargetType::kUtilization:
      return Ordered{{"type", "Utilization"}, {"averageUtilization", t.average_utilization}};
    case ctl::MetricTargetType::kValue:
      return Ordered{{"type", "Value"}, {"value", quantity_text(t.value_milli)}};
    case ctl::MetricTargetType::kAverageValue:
      return Ordered{{"type", "AverageValue"}, {"averageValue", quantity_text(t.average_value_milli)}};
  }
  return Ordered::object();
}

Ordered metric_spec_json(const ctl::MetricSpec& m) {
  Ordered out = Ordered::object();
  const Ordered metric{{"name", m.metric_name}};
  switch (m.type) {
    case ctl::MetricSourceType::kResource:
      out["type"] = "Resource";
      out["resource"] = Ordered{{"name", m.resource == ctl::ResourceName::kCpu ? "cpu" : "memory"},
                                {"target", metric_target_json(m.target)}};
      break;
    case ctl::MetricSourceType::kPods:
      out["type"] = "Pods";
      out["pods"] = Ordered{{"metric", metric}, {"target", metric_target_json(m.target)}};
      break;
    case ctl::MetricSourceType::kObject:
      out["type"] = "Object";
      out["object"] = Ordered{{"describedObject", Ordered{{"kind", m.described_object_kind}}},
                              {"metric", metric},
                              {"target", metric_target_json(m.target)}};
      break;
    case ctl::MetricSourceType::kExternal:
      out["type"] = "External";
      out["external"] = Ordered{{"metric", metric}, {"target", metric_target_json(m.target)}};
      break;
  }
  return out;
}

Ordered hpa_json(const AutoscalerConfig& a) {
  Ordered spec = Ordered::object();
  spec["scaleTargetRef"] = target_ref_json(a.target);
  spec["minReplicas"] = a.hpa.min_replicas.value_or(1);
  spec["maxReplicas"] = a.hpa.max_replicas;
  Ordered metrics = Ordered::array();
  for (const auto& m : a.hpa.metrics) metrics.push_back(metric_spec_json(m));
  spec["metrics"] = std::move(metrics);
  if (a.hpa.behavior) spec["behavior"] = behavior_json(*a.hpa.behavior);
  return Ordered{{"kind", "HorizontalPodAutoscaler"},
                 {"apiVersion", "autoscaling/v2"},
                 {"metadata", Ordered{{"name", a.name}}},
                 {"spec", std::move(spec)}};
}

const char* bool_text(bool b) { return b ? "true" : "false"; }

Ordered scaled_object_json(const AutoscalerConfig& a) {
  const ctl::KedaScaledObjectSpec& k = a.keda;
  const std::string p = "autoscaling.keda.sh/";
  Ordered annotations = Ordered::object();
  if (k.paused_replicas) annotations[p + "paused-replicas"] = std::to_string(*k.paused_replicas);
  annotations[p + "paused"] = bool_text(k.paused);
  annotations[p + "paused-scale-in"] = bool_text(k.paused_scale_in);
  annotations[p + "paused-scale-out"] = bool_text(k.paused_scale_out);
  annotations[p + "force-activation"] = bool_text(k.force_activation);

  Ordered spec = Ordered::object();
  spec["scaleTargetRef"] = target_ref_json(a.target);
  spec["pollingInterval"] = k.polling_interval_s;
  spec["cooldownPeriod"] = k.cooldown_period_s;
  spec["initialCooldownPeriod"] = k.initial_cooldown_period_s;
  spec["minReplicaCount"] = k.min_replica_count;
  spec["maxReplicaCount"] = k.max_replica_count;
  if (k.idle_replica_count) spec["idleReplicaCount"] = *k.idle_replica_count;
  if (k.fallback) {
    const char* behavior = "static";
    switch (k.fallback->behavior) {
      case ctl::KedaFallbackBehavior::kStatic: behavior = "static"; break;
      case ctl::KedaFallbackBehavior::kCurrentReplicas: behavior = "currentReplicas"; break;
      case ctl::KedaFallbackBehavior::kCurrentReplicasIfHigher: behavior = "currentReplicasIfHigher"; break;
      case ctl::KedaFallbackBehavior::kCurrentReplicasIfLower: behavior = "currentReplicasIfLower"; break;
    }
    spec["fallback"] = Ordered{{"failureThreshold", k.fallback->failure_threshold},
                               {"replicas", k.fallback->replicas},
                               {"behavior", behavior}};
  }
  if (a.keda_behavior) {
    spec["advanced"] = Ordered{{"horizontalPodAutoscalerConfig", Ordered{{"behavior", behavior_json(*a.keda_behavior)}}}};
  }
  Ordered triggers = Ordered::array();
  for (size_t i = 0; i < k.triggers.size(); ++i) {
    const ctl::KedaTrigger& t = k.triggers[i];
    Ordered out = Ordered::object();
    out["type"] = t.type == ctl::KedaTriggerType::kPrometheus ? "prometheus"
                  : t.type == ctl::KedaTriggerType::kCpu      ? "cpu"
                                                              : "memory";
    if (!t.name.empty()) out["name"] = t.name;
    out["metricType"] = t.metric_type == ctl::KedaMetricType::kAverageValue ? "AverageValue"
                        : t.metric_type == ctl::KedaMetricType::kValue      ? "Value"
                                                                            : "Utilization";
    Ordered md = Ordered::object();
    if (t.type == ctl::KedaTriggerType::kPrometheus) {
      if (i < a.keda_queries.size() && a.keda_queries[i]) {
        md["query"] = promql_text(*a.keda_queries[i], a.keda_metrics_proxy.empty() ? a.target : a.keda_metrics_proxy);
      }
      md["threshold"] = format_number(t.threshold);
      md["activationThreshold"] = format_number(t.activation_threshold);
      md["ignoreNullValues"] = bool_text(t.ignore_null_values);
    } else {
      md["value"] = format_number(t.threshold);
    }
    out["metadata"] = std::move(md);
    triggers.push_back(std::move(out));
  }
  spec["triggers"] = std::move(triggers);
  return Ordered{{"kind", "ScaledObject"},
                 {"apiVersion", "keda.sh/v1alpha1"},
                 {"metadata", Ordered{{"name", a.name}, {"annotations", std::move(annotations)}}},
                 {"spec", std::move(spec)}};
}

std::string seconds_text(int64_t s) { return std::to_string(s) + "s"; }

Ordered pod_autoscaler_json(const AutoscalerConfig& a) {
  const ctl::KpaConfig& c = a.kpa.autoscaler;
  const ctl::KpaRevision& r = a.kpa.revision;
  const std::string p = kKnativePrefix;
  Ordered annotations = Ordered::object();
  annotations[p + "class"] = kKpaClass;
  annotations[p + "metric"] = r.metric == ctl::KpaScalingMetric::kConcurrency ? "concurrency" : "rps";
  if (r.target) annotations[p + "target"] = format_number(*r.target);
  if (r.target_utilization_percentage) {
    annotations[p + "target-utilization-percentage"] = format_number(*r.target_utilization_percentage);
  }
  annotations[p + "activation-scale"] = std::to_string(r.activation_scale);
  annotations[p + "min-scale"] = std::to_string(a.kpa.min_scale);
  annotations[p + "max-scale"] = std::to_string(a.kpa.max_scale);
  // window, panic-*, scale-down-delay and initial-scale are resolved into config below.
  Ordered config = Ordered::object();
  config["container-concurrency-target-percentage"] = c.container_concurrency_target_percentage;
  config["container-concurrency-target-default"] = c.container_concurrency_target_default;
  config["requests-per-second-target-default"] = c.requests_per_second_target_default;
  config["target-burst-capacity"] = c.target_burst_capacity;
  config["activator-capacity"] = c.activator_capacity;
  config["max-scale-up-rate"] = c.max_scale_up_rate;
  config["max-scale-down-rate"] = c.max_scale_down_rate;
  config["panic-window-percentage"] = c.panic_window_percentage;
  config["panic-threshold-percentage"] = c.panic_threshold_percentage;
  config["stable-window"] = seconds_text(c.stable_window_s);
  config["scale-to-zero-grace-period"] = seconds_text(c.scale_to_zero_grace_period_s);
  config["scale-down-delay"] = seconds_text(c.scale_down_delay_s);
  config["initial-scale"] = std::to_string(c.initial_scale);
  config["allow-zero-initial-scale"] = bool_text(c.allow_zero_initial_scale);
  config["enable-scale-to-zero"] = bool_text(c.enable_scale_to_zero);
  return Ordered{{"kind", "PodAutoscaler"},
                 {"apiVersion", "autoscaling.internal.knative.dev/v1alpha1"},
                 {"metadata", Ordered{{"name", a.name}, {"annotations", std::move(annotations)}}},
                 {"spec", Ordered{{"scaleTargetRef", target_ref_json(a.target)},
                                  {"containerConcurrency", r.container_concurrency}}},
                 {"config", std::move(config)}};
}

}  // namespace

void read_metrics(ObjectReader& root, ScenarioConfig& config) {
  MetricsConfig& m = config.metrics;
  auto r = root.object("metrics", Presence::kOptional);
  if (r) {
    if (auto ms = r->object("metrics_server", Presence::kOptional)) {
      if (auto d = seconds_field(*ms, "metric_resolution_s", greater_than_up_to(0, 3600))) {
        m.metrics_server.metric_resolution = *d;
      }
      ms->finish();
    }
    if (auto pr = r->object("prometheus", Presence::kOptional)) {
      if (auto d = seconds_field(*pr, "scrape_interval_s", greater_than_up_to(0, 3600))) {
        m.prometheus.scrape_interval = *d;
      }
      if (auto d = seconds_field(*pr, "lookback_delta_s", greater_than_up_to(0, kDay_s))) {
        m.prometheus.lookback_delta = *d;
      }
      pr->finish();
    }
    if (auto h = r->object("hpa_controller", Presence::kOptional)) {
      ctl::HpaControllerConfig& c = m.hpa;
      if (auto d = seconds_field(*h, "sync_period_s", greater_than_up_to(0, 3600))) c.sync_period = *d;
      if (auto t = h->number("tolerance", NumberRange{0, true, 1, true}, Presence::kOptional)) c.tolerance = *t;
      if (auto d = seconds_field(*h, "cpu_initialization_period_s", NumberRange{0, true, kDay_s, true})) {
        c.cpu_initialization_period = *d;
      }
      if (auto d = seconds_field(*h, "initial_readiness_delay_s", NumberRange{0, true, kDay_s, true})) {
        c.initial_readiness_delay = *d;
      }
      if (auto d = seconds_field(*h, "downscale_stabilization_s", NumberRange{0, true, kDay_s, true})) {
        c.downscale_stabilization_window = *d;
      }
      h->finish();
    }
    if (auto pa = r->object("prometheus_adapter", Presence::kOptional)) {
      if (auto rules = pa->object("rules", Presence::kOptional)) {
        const Json* raw = pa->find("rules");
        for (const auto& [name, value] : raw->items()) {
          const auto query = rules->string(name, Presence::kRequired);
          if (!query) continue;
          std::string error;
          if (!parse_promql(*query, error)) rules->issue(name, error, describe(value));
        }
        rules->finish();
      }
      pa->finish();
    }
    r->finish();
  }
  m.prometheus.retention = std::max({m.prometheus.retention, kMinRetention, m.prometheus.lookback_delta});
}

void read_autoscalers(ObjectReader& root, ScenarioConfig& config) {
  const Json* list = root.array("autoscalers", Presence::kOptional);
  if (list == nullptr) return;
  std::vector<Issue>& issues = root.issues();
  std::vector<std::string> deployments;
  for (const auto& d : config.deployments) deployments.push_back(d.name);
  std::map<std::string, std::string> name_owner;    // autoscaler name -> where it was read
  std::map<std::string, std::string> target_owner;  // deployment -> the autoscaler scaling it
  const Json* rules = raw_adapter_rules(root);
  const std::vector<std::pair<std::string, Kind>> kinds = {
      {"HorizontalPodAutoscaler", Kind::kHpa}, {"ScaledObject", Kind::kScaledObject}, {"PodAutoscaler", Kind::kKpa}};
  for (size_t i = 0; i < list->size(); ++i) {
    ObjectReader e((*list)[i], child_pointer(root.pointer("autoscalers"), i), issues);
    if (!e.is_object()) continue;
    AutoscalerConfig a;
    Placed placed{e.pointer(), "", ""};
    const auto kind = e.choice("kind", kinds, Presence::kRequired);
    if (!kind) {
      for (const char* k : {"apiVersion", "metadata", "spec", "config"}) e.find(k);  // not knowing the kind, skip
      e.finish();
      continue;
    }
    a.kind = *kind;
    switch (*kind) {
      case Kind::kHpa: read_hpa_object(e, a, placed, rules, config); break;
      case Kind::kScaledObject: read_scaled_object(e, a, placed, config); break;
      case Kind::kKpa: read_pod_autoscaler(e, a, placed); break;
    }
    e.finish();
    if (!a.name.empty()) {
      if (const auto [it, inserted] = name_owner.try_emplace(a.name, placed.at); !inserted) {
        issues.push_back({placed.name_at, "a name no other autoscaler has (" + it->second + " has it)", quote(a.name)});
      }
    }
    if (!a.target.empty()) {
      if (std::find(deployments.begin(), deployments.end(), a.target) == deployments.end()) {
        issues.push_back({placed.target_at,
                          "name of a Deployment in /deployments, one of " + quoted_list(deployments) +
                              did_you_mean(a.target, deployments),
                          describe_string(a.target)});
      } else if (const auto [it, inserted] = target_owner.try_emplace(a.target, placed.at); !inserted) {
        issues.push_back({placed.target_at,
                          "a Deployment no other autoscaler scales (" + it->second + " scales it)",
                          describe_string(a.target)});
      }
    }
    config.autoscalers.push_back(std::move(a));
  }
}

nlohmann::ordered_json metrics_json(const MetricsConfig& m) {
  Ordered out = Ordered::object();
  out["metrics_server"] = Ordered{{"metric_resolution_s", seconds_of(m.metrics_server.metric_resolution)}};
  out["prometheus"] = Ordered{{"scrape_interval_s", seconds_of(m.prometheus.scrape_interval)},
                              {"lookback_delta_s", seconds_of(m.prometheus.lookback_delta)}};
  out["hpa_controller"] = Ordered{{"sync_period_s", seconds_of(m.hpa.sync_period)},
                                  {"tolerance", m.hpa.tolerance},
                                  {"cpu_initialization_period_s", seconds_of(m.hpa.cpu_initialization_period)},
                                  {"initial_readiness_delay_s", seconds_of(m.hpa.initial_readiness_delay)},
                                  {"downscale_stabilization_s", seconds_of(m.hpa.downscale_stabilization_window)}};
  return out;
}

nlohmann::ordered_json prometheus_adapter_json(const std::vector<AutoscalerConfig>& autoscalers) {
  std::map<std::string, std::string> rules;  // sorted by metric name
  for (const auto& a : autoscalers) {
    if (a.kind != Kind::kHpa) continue;
    for (size_t j = 0; j < a.hpa.metrics.size() && j < a.hpa_rules.size(); ++j) {
      if (a.hpa_rules[j]) rules.emplace(a.hpa.metrics[j].metric_name, promql_text(*a.hpa_rules[j]));
    }
  }
  Ordered out = Ordered::object();
  for (const auto& [name, query] : rules) out[name] = query;
  return Ordered{{"rules", std::move(out)}};
}

nlohmann::ordered_json autoscalers_json(const std::vector<AutoscalerConfig>& autoscalers) {
  Ordered out = Ordered::array();
  for (const auto& a : autoscalers) {
    switch (a.kind) {
      case Kind::kHpa: out.push_back(hpa_json(a)); break;
      case Kind::kScaledObject: out.push_back(scaled_object_json(a)); break;
      case Kind::kKpa: out.push_back(pod_autoscaler_json(a)); break;
    }
  }
  return out;
}

}  // namespace kubemind::scenario
