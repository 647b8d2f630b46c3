// SPDX-License-Identifier: MIT
#include "sim/scenario/control_eval.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstddef>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "sim/control/hpa.h"
#include "sim/scenario/control_readers.h"
#include "sim/scenario/json_reader.h"

namespace kubemind::scenario {

namespace ctl = kubemind::control;
using engine::Duration;
using engine::SimTime;
using Ordered = nlohmann::ordered_json;  // keeps output fields in schema order

// ---------------------------------------------------------------------------------------------
// Quantities and durations

std::optional<int64_t> parse_quantity_milli(std::string_view text) {
  // <sign><digits>[.<digits>][suffix]; suffix: n u m "" k M G T P E | Ki Mi Gi Ti Pi Ei | e<int>/E<int>.
  size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';
  int64_t mantissa = 0;
  int digits = 0, frac_digits = 0;
  bool seen_dot = false, any_digit = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '.' && !seen_dot) {
      seen_dot = true;
      continue;
    }
    if (c < '0' || c > '9') break;
    any_digit = true;
    if (mantissa == 0 && c == '0' && !seen_dot) continue;
    if (digits >= 18) {
      if (seen_dot) continue;  // extra fractional precision beyond 18 digits is dropped (then rounded up below)
      return std::nullopt;
    }
    mantissa = mantissa * 10 + (c - '0');
    ++digits;
    if (seen_dot) ++frac_digits;
  }
  if (!any_digit) return std::nullopt;
  const std::string_view suffix = text.substr(i);
  int exp10 = 0;
  int64_t binary = 1;
  if (suffix.empty()) {
  } else if (suffix == "n") {
    exp10 = -9;
  } else if (suffix == "u") {
    exp10 = -6;
  } else if (suffix == "m") {
    exp10 = -3;
  } else if (suffix == "k") {
    exp10 = 3;
  } else if (suffix == "M") {
    exp10 = 6;
  } else if (suffix == "G") {
    exp10 = 9;
  } else if (suffix == "T") {
    exp10 = 12;
  } else if (suffix == "P") {
    exp10 = 15;
  } else if (suffix == "E") {
    exp10 = 18;
  } else if (suffix.size() == 2 && suffix[1] == 'i') {
    static constexpr std::string_view kBin = "KMGTPE";
    const size_t k = kBin.find(suffix[0]);
    if (k == std::string_view::npos) return std::nullopt;
    for (size_t j = 0; j <= k; ++j) binary *= 1024;
  } else if ((suffix[0] == 'e' || suffix[0] == 'E') && suffix.size() > 1) {
    size_t j = 1;
    bool neg_exp = false;
    if (suffix[j] == '+' || suffix[j] == '-') neg_exp = suffix[j++] == '-';
    if (j >= suffix.size()) return std::nullopt;
    for (; j < suffix.size(); ++j) {
      if (suffix[j] < '0' || suffix[j] > '9' || exp10 > 100) return std::nullopt;
      exp10 = exp10 * 10 + (suffix[j] - '0');
    }
    if (neg_exp) exp10 = -exp10;
  } else {
    return std::nullopt;
  }
  // value_milli = mantissa * binary * 10^(exp10 + 3 - frac_digits), rounded up (away from zero).
  int64_t value = 0;
  if (__builtin_mul_overflow(mantissa, binary, &value)) return std::nullopt;
  int power = exp10 + 3 - frac_digits;
  for (; power > 0; --power) {
    if (__builtin_mul_overflow(value, int64_t{10}, &value)) return std::nullopt;
  }
  bool remainder = false;
  for (; power < 0 && value != 0; ++power) {
    remainder = remainder || value % 10 != 0;
    value /= 10;
  }
  if (power < 0) remainder = remainder || mantissa != 0;
  if (remainder && !negative) ++value;  // ceil: up for positive values, toward zero for negative ones
  return negative ? -value : value;
}

std::optional<int64_t> parse_go_duration_ns(std::string_view text) {
  if (text == "0") return 0;
  if (text.empty()) return std::nullopt;
  double total = 0.0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
    if (i == start) return std::nullopt;
    const std::string number(text.substr(start, i - start));
    char* stop = nullptr;
    const double value = std::strtod(number.c_str(), &stop);
    if (*stop != '\0') return std::nullopt;
    start = i;
    while (i < text.size() && !((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
    const std::string_view unit = text.substr(start, i - start);
    double scale = 0.0;
    if (unit == "ns") {
      scale = 1.0;
    } else if (unit == "us" || unit == "µs") {
      scale = 1e3;
    } else if (unit == "ms") {
      scale = 1e6;
    } else if (unit == "s") {
      scale = 1e9;
    } else if (unit == "m") {
      scale = 60e9;
    } else if (unit == "h") {
      scale = 3600e9;
    } else {
      return std::nullopt;
    }
    total += value * scale;
  }
  if (!(total <= 9.2e18)) return std::nullopt;
  return static_cast<int64_t>(std::llround(total));
}

std::string read_eval_file(const std::string& path) {
  std::vector<Issue> issues;
  auto text = read_text_file(path, issues);
  if (!text) throw ScenarioError(path, std::move(issues));
  return std::move(*text);
}

namespace {

constexpr int32_t kMaxReplicas = std::numeric_limits<int32_t>::max();

// ---------------------------------------------------------------------------------------------
// Field readers beyond ObjectReader's

}  // namespace

/// true / false.
std::optional<bool> boolean(ObjectReader& r, std::string_view key, Presence presence) {
  const Json* v = r.find(key);
  if (v == nullptr) {
    if (presence == Presence::kRequired && r.is_object()) r.issue(key, "true or false", "nothing");
    return std::nullopt;
  }
  if (!v->is_boolean()) {
    r.issue(key, "true or false", describe(*v));
    return std::nullopt;
  }
  return v->get<bool>();
}

/// A boolean written as JSON true/false or as the strings "true"/"false" (annotations, ConfigMaps).
std::optional<bool> string_boolean(ObjectReader& r, std::string_view key, Presence presence) {
  const Json* v = r.find(key);
  if (v == nullptr) {
    if (presence == Presence::kRequired && r.is_object()) r.issue(key, "\"true\" or \"false\"", "nothing");
    return std::nullopt;
  }
  if (v->is_boolean()) return v->get<bool>();
  if (v->is_string()) {
    const auto s = v->get<std::string>();
    if (s == "true") return true;
    if (s == "false") return false;
  }
  r.issue(key, "\"true\" or \"false\"", describe(*v));
  return std::nullopt;
}

/// A number written as a JSON number or as a string holding one (CRD metadata, ConfigMaps).
std::optional<double> string_number(ObjectReader& r, std::string_view key, NumberRange range, Presence presence) {
  const Json* v = r.find(key);
  const std::string expected = range.describe() + " (a number or a string holding one)";
  if (v == nullptr) {
    if (presence == Presence::kRequired && r.is_object()) r.issue(key, expected, "nothing");
    return std::nullopt;
  }
  double value = std::numeric_limits<double>::quiet_NaN();
  if (v->is_number()) {
    value = v->get<double>();
  } else if (v->is_string()) {
    const auto s = v->get<std::string>();
    char* stop = nullptr;
    if (!s.empty()) value = std::strtod(s.c_str(), &stop);
    if (s.empty() || *stop != '\0') value = std::numeric_limits<double>::quiet_NaN();
  }
  if (!std::isfinite(value) || !range.contains(value)) {
    r.issue(key, expected, describe(*v));
    return std::nullopt;
  }
  return value;
}

/// An integer written as a JSON integer or a string holding one.
std::optional<int64_t> string_integer(ObjectReader& r, std::string_view key, int64_t min, int64_t max,
                                      Presence presence) {
  const Json* v = r.find(key);
  const std::string expected =
      "integer in [" + std::to_string(min) + ", " + std::to_string(max) + "] (a number or a string holding one)";
  if (v == nullptr) {
    if (presence == Presence::kRequired && r.is_object()) r.issue(key, expected, "nothing");
    return std::nullopt;
  }
  std::optional<int64_t> value;
  if (v->is_number_integer()) {
    value = v->get<int64_t>();
  } else if (v->is_string()) {
    const auto s = v->get<std::string>();
    char* stop = nullptr;
    errno = 0;
    const long long parsed = s.empty() ? 0 : std::strtoll(s.c_str(), &stop, 10);
    if (!s.empty() && *stop == '\0' && errno == 0) value = parsed;
  }
  if (!value || *value < min || *value > max) {
    r.issue(key, expected, describe(*v));
    return std::nullopt;
  }
  return value;
}

int32_t to_i32(int64_t v) { return static_cast<int32_t>(v); }

/// A point in simulated time, in seconds (any finite number; the Go zero time is 0).
std::optional<SimTime> time_field(ObjectReader& r, std::string_view key, Presence presence) {
  const auto s = r.number(key, NumberRange{-9e9, true, 9e9, true}, presence);
  if (!s) return std::nullopt;
  return SimTime::from_seconds(*s);
}

/// A duration: seconds as a number >= 0, or a Go duration string ("2m", "90s").
std::optional<Duration> duration_field(ObjectReader& r, std::string_view key, Presence presence) {
  const Json* v = r.find(key);
  const std::string expected = "a duration: seconds >= 0 or a Go duration string such as \"90s\" or \"5m\"";
  if (v == nullptr) {
    if (presence == Presence::kRequired && r.is_object()) r.issue(key, expected, "nothing");
    return std::nullopt;
  }
  if (v->is_number()) {
    const double s = v->get<double>();
    if (std::isfinite(s) && s >= 0 && s <= 9e9) return Duration::from_seconds(s);
  } else if (v->is_string()) {
    const auto ns = parse_go_duration_ns(v->get<std::string>());
    if (ns) return Duration{*ns};
  }
  r.issue(key, expected, describe(*v));
  return std::nullopt;
}

/// A Kubernetes quantity in milli-units: a string ("500m", "2Gi") or a JSON number in whole units.
std::optional<int64_t> quantity_of(const Json& v) {
  if (v.is_string()) return parse_quantity_milli(v.get<std::string>());
  if (v.is_number_integer()) {
    const int64_t n = v.get<int64_t>();
    if (n > std::numeric_limits<int64_t>::max() / 1000 || n < std::numeric_limits<int64_t>::min() / 1000) {
      return std::nullopt;
    }
    return n * 1000;
  }
  if (v.is_number()) {
    const double d = v.get<double>() * 1000.0;
    if (!std::isfinite(d) || std::fabs(d) > 9e18) return std::nullopt;
    return static_cast<int64_t>(std::ceil(d - 1e-9));
  }
  return std::nullopt;
}
constexpr const char* kQuantityExpected = "a Kubernetes quantity (e.g. \"500m\", \"2\", \"1Gi\") or a number";

std::optional<int64_t> quantity_field(ObjectReader& r, std::string_view key, Presence presence, bool non_negative) {
  const Json* v = r.find(key);
  const std::string expected = std::string(kQuantityExpected) + (non_negative ? " >= 0" : "");
  if (v == nullptr) {
    if (presence == Presence::kRequired && r.is_object()) r.issue(key, expected, "nothing");
    return std::nullopt;
  }
  const auto q = quantity_of(*v);
  if (!q || (non_negative && *q < 0)) {
    r.issue(key, expected, describe(*v));
    return std::nullopt;
  }
  return q;
}

namespace {

/// Calls `each(reader)` for every element of the array `key` (each element must be an object),
/// then finishes the element's reader.
template <typename F>
size_t for_each_object(ObjectReader& r, std::string_view key, Presence presence, F&& each) {
  const Json* a = r.array(key, presence);
  if (a == nullptr) return 0;
  for (size_t i = 0; i < a->size(); ++i) {
    ObjectReader e((*a)[i], child_pointer(r.pointer(key), i), r.issues());
    if (e.is_object()) {
      each(e, i);
      e.finish();
    }
  }
  return a->size();
}

void throw_if_issues(const std::string& source, std::vector<Issue>& issues) {
  if (!issues.empty()) throw ScenarioError(source, std::move(issues));
}

Json parse_document(std::string_view text, const std::string& source) {
  std::vector<Issue> issues;
  auto doc = parse_json(text, issues);
  if (!doc) throw ScenarioError(source, std::move(issues));
  throw_if_issues(source, issues);
  return std::move(*doc);
}

// ns / 1e9 (one rounding), so whole and decimal seconds read back as written.
double seconds_of(SimTime t) { return static_cast<double>(t.ns) / 1e9; }
double seconds_of(Duration d) { return static_cast<double>(d.ns) / 1e9; }

std::string dump(const Ordered& out) { return out.dump(2, ' ', false, Ordered::error_handler_t::replace) + "\n"; }

}  // namespace

// ---------------------------------------------------------------------------------------------
// hpa-eval: reading

const std::vector<std::pair<std::string, ctl::MetricSourceType>> kSourceTypes = {
    {"Resource", ctl::MetricSourceType::kResource},
    {"Pods", ctl::MetricSourceType::kPods},
    {"Object", ctl::MetricSourceType::kObject},
    {"External", ctl::MetricSourceType::kExternal}};
const std::vector<std::pair<std::string, ctl::MetricTargetType>> kTargetTypes = {
    {"Utilization", ctl::MetricTargetType::kUtilization},
    {"Value", ctl::MetricTargetType::kValue},
    {"AverageValue", ctl::MetricTargetType::kAverageValue}};

/// MetricTarget; `allowed` lists the target types this source accepts.
void read_target(ObjectReader& parent, ctl::MetricTarget& target, const std::vector<ctl::MetricTargetType>& allowed,
                 const std::string& allowed_text) {
  auto r = parent.object("target", Presence::kRequired);
  if (!r) return;
  const auto type = r->choice("type", kTargetTypes, Presence::kRequired);
  if (type) {
    bool ok = false;
    for (const auto a : allowed) ok = ok || a == *type;
    if (!ok) {
      r->issue("type", allowed_text, describe(*r->find("type")));
    } else {
      target.type = *type;
    }
    if (*type == ctl::MetricTargetType::kUtilization) {
      if (auto u = r->integer("averageUtilization", 1, kMaxReplicas, Presence::kRequired)) {
        target.average_utilization = to_i32(*u);
      }
      r->forbid("value", "no value with type Utilization");
      r->forbid("averageValue", "no averageValue with type Utilization");
    } else if (*type == ctl::MetricTargetType::kValue) {
      if (auto q = quantity_field(*r, "value", Presence::kRequired, true)) target.value_milli = *q;
      r->forbid("averageUtilization", "no averageUtilization with type Value");
      r->forbid("averageValue", "no averageValue with type Value");
    } else {
      if (auto q = quantity_field(*r, "averageValue", Presence::kRequired, true)) target.average_value_milli = *q;
      r->forbid("averageUtilization", "no averageUtilization with type AverageValue");
      r->forbid("value", "no value with type AverageValue");
    }
  }
  r->finish();
}

/// MetricIdentifier {name, selector}: the name; the selector is accepted and not interpreted.
void read_metric_identifier(ObjectReader& parent, std::string& name) {
  auto r = parent.object("metric", Presence::kRequired);
  if (!r) return;
  if (auto n = r->string("name", Presence::kRequired)) name = *n;
  r->find("selector");
  r->finish();
}

ctl::MetricSpec read_metric_spec(ObjectReader& r) {
  ctl::MetricSpec m;
  const auto type = r.choice("type", kSourceTypes, Presence::kRequired);
  if (!type) return m;
  m.type = *type;
  using TT = ctl::MetricTargetType;
  switch (*type) {
    case ctl::MetricSourceType::kResource: {
      auto s = r.object("resource", Presence::kRequired);
      if (!s) break;
      if (auto n = s->choice("name", std::vector<std::pair<std::string, ctl::ResourceName>>{
                                         {"cpu", ctl::ResourceName::kCpu}, {"memory", ctl::ResourceName::kMemory}},
                             Presence::kRequired)) {
        m.resource = *n;
      }
      read_target(*s, m.target, {TT::kUtilization, TT::kAverageValue}, "Utilization or AverageValue for Resource");
      s->finish();
      break;
    }
    case ctl::MetricSourceType::kPods: {
      auto s = r.object("pods", Presence::kRequired);
      if (!s) break;
      read_metric_identifier(*s, m.metric_name);
      read_target(*s, m.target, {TT::kAverageValue}, "AverageValue for Pods");
      s->finish();
      break;
    }
    case ctl::MetricSourceType::kObject: {
      auto s = r.object("object", Presence::kRequired);
      if (!s) break;
      if (auto d = s->object("describedObject", Presence::kRequired)) {
        if (auto k = d->string("kind", Presence::kRequired)) m.described_object_kind = *k;
        d->string("name", Presence::kOptional);
        d->string("apiVersion", Presence::kOptional);
        d->finish();
      }
      read_metric_identifier(*s, m.metric_name);
      read_target(*s, m.target, {TT::kValue, TT::kAverageValue}, "Value or AverageValue for Object");
      s->finish();
      break;
    }
    case ctl::MetricSourceType::kExternal: {
      auto s = r.object("external", Presence::kRequired);
      if (!s) break;
      read_metric_identifier(*s, m.metric_name);
      read_target(*s, m.target, {TT::kValue, TT::kAverageValue}, "Value or AverageValue for External");
      s->finish();
      break;
    }
  }
  for (const auto& [name, t] : kSourceTypes) {
    if (t == *type) continue;
    std::string field = name;
    field[0] = static_cast<char>(field[0] - 'A' + 'a');
    r.forbid(field, "no " + field + " when type is " + describe(*r.find("type")));
  }
  return m;
}

const std::vector<std::pair<std::string, ctl::SelectPolicy>> kSelectPolicies = {
    {"Max", ctl::SelectPolicy::kMax}, {"Min", ctl::SelectPolicy::kMin}, {"Disabled", ctl::SelectPolicy::kDisabled}};

/// HPAScalingRules with API defaulting (SetDefaults_HorizontalPodAutoscalerBehavior).
ctl::HpaScalingRules read_rules(ObjectReader& r, const ctl::HpaScalingRules& defaults) {
  ctl::HpaScalingRules rules = defaults;
  if (auto w = r.integer("stabilizationWindowSeconds", 0, 3600, Presence::kOptional)) {
    rules.stabilization_window_seconds = to_i32(*w);
  }
  if (auto p = r.choice("selectPolicy", kSelectPolicies, Presence::kOptional)) rules.select_policy = *p;
  std::vector<ctl::HpaScalingPolicy> policies;
  const size_t n = for_each_object(r, "policies", Presence::kOptional, [&](ObjectReader& e, size_t) {
    ctl::HpaScalingPolicy p;
    if (auto t = e.choice("type", std::vector<std::pair<std::string, ctl::ScalingPolicyType>>{
                                      {"Pods", ctl::ScalingPolicyType::kPods},
                                      {"Percent", ctl::ScalingPolicyType::kPercent}},
                          Presence::kRequired)) {
      p.type = *t;
    }
    if (auto v = e.integer("value", 1, kMaxReplicas, Presence::kRequired)) p.value = to_i32(*v);
    if (auto s = e.integer("periodSeconds", 1, 1800, Presence::kRequired)) p.period_seconds = to_i32(*s);
    policies.push_back(p);
  });
  if (n > 0) rules.policies = std::move(policies);
  if (const Json* t = r.find("tolerance")) {
    const auto q = quantity_of(*t);
    if (!q || *q < 0) {
      r.issue("tolerance", std::string(kQuantityExpected) + " >= 0", describe(*t));
    } else {
      rules.tolerance = static_cast<double>(*q) / 1000.0;
    }
  }
  return rules;
}

ctl::HpaBehavior read_behavior(ObjectReader& b) {
  ctl::HpaBehavior behavior;
  if (auto up = b.object("scaleUp", Presence::kOptional)) {
    behavior.scale_up = read_rules(*up, ctl::default_scale_up_rules());
    up->finish();
  }
  if (auto down = b.object("scaleDown", Presence::kOptional)) {
    behavior.scale_down = read_rules(*down, ctl::default_scale_down_rules());
    down->finish();
  }
  b.finish();
  return behavior;
}

ctl::HpaSpec read_hpa(ObjectReader& hpa) {
  ctl::HpaSpec spec;
  hpa.string("apiVersion", Presence::kOptional);
  hpa.string("kind", Presence::kOptional);
  hpa.find("metadata");
  hpa.find("status");
  auto r = hpa.object("spec", Presence::kRequired);
  if (!r) return spec;
  r->find("scaleTargetRef");
  if (auto v = r->integer("minReplicas", 0, kMaxReplicas, Presence::kOptional)) spec.min_replicas = to_i32(*v);
  if (auto v = r->integer("maxReplicas", 1, kMaxReplicas, Presence::kRequired)) {
    spec.max_replicas = to_i32(*v);
    if (spec.min_replicas && *spec.min_replicas > spec.max_replicas) {
      r->issue("minReplicas", "minReplicas <= maxReplicas (" + std::to_string(spec.max_replicas) + ")",
               std::to_string(*spec.min_replicas));
    }
  }
  for_each_object(*r, "metrics", Presence::kOptional,
                  [&](ObjectReader& e, size_t) { spec.metrics.push_back(read_metric_spec(e)); });
  if (spec.metrics.empty()) {
    // The API server's default: cpu at 80 % utilization.
    ctl::MetricSpec cpu;
    cpu.target.average_utilization = 80;
    spec.metrics.push_back(cpu);
  }
  if (auto b = r->object("behavior", Presence::kOptional)) spec.behavior = read_behavior(*b);
  r->finish();
  return spec;
}

namespace {

const std::vector<std::pair<std::string, ctl::PodPhase>> kPhases = {{"Pending", ctl::PodPhase::kPending},
                                                                    {"Running", ctl::PodPhase::kRunning},
                                                                    {"Succeeded", ctl::PodPhase::kSucceeded},
                                                                    {"Failed", ctl::PodPhase::kFailed},
                                                                    {"Unknown", ctl::PodPhase::kUnknown}};
const std::vector<std::pair<std::string, ctl::ConditionStatus>> kConditionStatuses = {
    {"True", ctl::ConditionStatus::kTrue},
    {"False", ctl::ConditionStatus::kFalse},
    {"Unknown", ctl::ConditionStatus::kUnknown}};

ctl::PodInfo read_pod(ObjectReader& r) {
  ctl::PodInfo p;
  if (auto n = r.string("name", Presence::kRequired)) p.name = *n;
  if (auto ph = r.choice("phase", kPhases, Presence::kOptional)) p.phase = *ph;
  if (const Json* st = r.find("startTime"); st != nullptr && !st->is_null()) {
    p.start_time = time_field(r, "startTime", Presence::kOptional);
  }
  if (const Json* rd = r.find("ready"); rd != nullptr && !rd->is_null()) {
    if (auto c = r.object("ready", Presence::kOptional)) {
      ctl::PodReadyCondition cond;
      if (auto s = c->choice("status", kConditionStatuses, Presence::kRequired)) cond.status = *s;
      if (auto t = time_field(*c, "lastTransitionTime", Presence::kOptional)) cond.last_transition_time = *t;
      c->finish();
      p.ready = cond;
    }
  }
  if (const Json* d = r.find("deletionTimestamp"); d != nullptr && !d->is_null()) {
    p.deleting = time_field(r, "deletionTimestamp", Presence::kOptional).has_value();
  }
  if (auto req = r.object("requests", Presence::kOptional)) {
    p.cpu_request_milli = quantity_field(*req, "cpu", Presence::kOptional, true);
    p.memory_request_milli = quantity_field(*req, "memory", Presence::kOptional, true);
    req->finish();
  }
  return p;
}

ctl::MetricObservation read_observation(ObjectReader& r, const ctl::MetricSpec* spec) {
  ctl::MetricObservation o;
  if (auto a = boolean(r, "available", Presence::kOptional)) o.available = *a;
  for_each_object(r, "pods", Presence::kOptional, [&](ObjectReader& e, size_t) {
    ctl::PodMetricSample s;
    if (auto n = e.string("pod", Presence::kRequired)) s.pod = *n;
    if (auto q = quantity_field(e, "value", Presence::kRequired, false)) s.value_milli = *q;
    if (auto t = time_field(e, "timestamp", Presence::kOptional)) s.timestamp = *t;
    if (auto w = duration_field(e, "window", Presence::kOptional)) s.window = *w;
    o.pod_samples.push_back(std::move(s));
  });
  if (const Json* vals = r.array("values", Presence::kOptional)) {
    for (size_t i = 0; i < vals->size(); ++i) {
      const auto q = quantity_of((*vals)[i]);
      if (!q) {
        r.issues().push_back({child_pointer(r.pointer("values"), i), kQuantityExpected, describe((*vals)[i])});
      } else {
        o.values_milli.push_back(*q);
      }
    }
    if (spec != nullptr && spec->type == ctl::MetricSourceType::kObject && o.available && vals->size() != 1) {
      r.issue("values", "exactly one value for an Object metric", "an array of " + std::to_string(vals->size()));
    }
  } else if (spec != nullptr && o.available &&
             (spec->type == ctl::MetricSourceType::kObject || spec->type == ctl::MetricSourceType::kExternal)) {
    r.issue("values", "array (the metric's value(s)) when available", "nothing");
  }
  if (spec != nullptr && o.available && r.find("pods") == nullptr &&
      (spec->type == ctl::MetricSourceType::kResource || spec->type == ctl::MetricSourceType::kPods)) {
    r.issue("pods", "array (per-pod samples) when available", "nothing");
  }
  if (auto t = time_field(r, "timestamp", Presence::kOptional)) o.timestamp = *t;
  return o;
}

ctl::HpaHistory read_history(ObjectReader& r) {
  ctl::HpaHistory h;
  if (const Json* recs = r.find("recommendations"); recs != nullptr && !recs->is_null()) {
    std::vector<ctl::TimestampedRecommendation> list;
    for_each_object(r, "recommendations", Presence::kOptional, [&](ObjectReader& e, size_t) {
      ctl::TimestampedRecommendation rec;
      if (auto v = e.integer("replicas", 0, kMaxReplicas, Presence::kRequired)) rec.recommendation = to_i32(*v);
      if (auto t = time_field(e, "timestamp", Presence::kRequired)) rec.timestamp = *t;
      list.push_back(rec);
    });
    h.recommendations = std::move(list);
  }
  const auto events = [&](std::string_view key, std::vector<ctl::TimestampedScaleEvent>& out) {
    for_each_object(r, key, Presence::kOptional, [&](ObjectReader& e, size_t) {
      ctl::TimestampedScaleEvent ev;
      if (auto v = e.integer("replicaChange", 0, kMaxReplicas, Presence::kRequired)) ev.replica_change = to_i32(*v);
      if (auto t = time_field(e, "timestamp", Presence::kRequired)) ev.timestamp = *t;
      if (auto o = boolean(e, "outdated", Presence::kOptional)) ev.outdated = *o;
      out.push_back(ev);
    });
  };
  events("scaleUpEvents", h.scale_up_events);
  events("scaleDownEvents", h.scale_down_events);
  return h;
}

ctl::HpaControllerConfig read_controller(ObjectReader& r) {
  ctl::HpaControllerConfig c;
  if (auto d = duration_field(r, "syncPeriod", Presence::kOptional)) c.sync_period = *d;
  if (auto t = r.number("tolerance", NumberRange{0, true, 1, true}, Presence::kOptional)) c.tolerance = *t;
  if (auto d = duration_field(r, "cpuInitializationPeriod", Presence::kOptional)) c.cpu_initialization_period = *d;
  if (auto d = duration_field(r, "initialReadinessDelay", Presence::kOptional)) c.initial_readiness_delay = *d;
  if (auto d = duration_field(r, "downscaleStabilization", Presence::kOptional)) {
    c.downscale_stabilization_window = *d;
  }
  if (auto f = r.number("scaleUpLimitFactor", at_least(1), Presence::kOptional)) c.scale_up_limit_factor = *f;
  if (auto m = r.number("scaleUpLimitMinimum", at_least(0), Presence::kOptional)) c.scale_up_limit_minimum = *m;
  if (auto g = boolean(r, "configurableTolerance", Presence::kOptional)) c.configurable_tolerance = *g;
  return c;
}

}  // namespace

ctl::HpaSyncInput parse_hpa_eval(std::string_view text, const std::string& source) {
  const Json doc = parse_document(text, source);
  std::vector<Issue> issues;
  ctl::HpaSyncInput in;
  ObjectReader root(doc, "", issues);
  if (auto hpa = root.object("hpa", Presence::kRequired)) {
    in.spec = read_hpa(*hpa);
    hpa->finish();
  }
  if (auto scale = root.object("scale", Presence::kRequired)) {
    if (auto s = scale->object("spec", Presence::kRequired)) {
      if (auto v = s->integer("replicas", 0, kMaxReplicas, Presence::kRequired)) {
        in.scale.spec_replicas = in.scale.status_replicas = to_i32(*v);
      }
      s->finish();
    }
    if (auto s = scale->object("status", Presence::kOptional)) {
      if (auto v = s->integer("replicas", 0, kMaxReplicas, Presence::kRequired)) in.scale.status_replicas = to_i32(*v);
      s->find("selector");
      s->finish();
    }
    scale->finish();
  }
  std::set<std::string> names;
  for_each_object(root, "pods", Presence::kOptional, [&](ObjectReader& e, size_t) {
    ctl::PodInfo p = read_pod(e);
    if (!p.name.empty() && !names.insert(p.name).second) e.issue("name", "a pod name not used before", quote(p.name));
    in.pods.push_back(std::move(p));
  });
  const size_t n_metrics = for_each_object(root, "metrics", Presence::kRequired, [&](ObjectReader& e, size_t i) {
    in.metric_values.push_back(read_observation(e, i < in.spec.metrics.size() ? &in.spec.metrics[i] : nullptr));
  });
  if (root.find("metrics") != nullptr && root.find("metrics")->is_array() && n_metrics != in.spec.metrics.size()) {
    root.issue("metrics", "one observation per hpa.spec.metrics entry (" + std::to_string(in.spec.metrics.size()) + ")",
               "an array of " + std::to_string(n_metrics));
  }
  if (auto h = root.object("history", Presence::kOptional)) {
    in.history = read_history(*h);
    h->finish();
  }
  if (auto c = root.object("controller", Presence::kOptional)) {
    in.controller = read_controller(*c);
    c->finish();
  }
  if (auto t = time_field(root, "now", Presence::kRequired)) in.now = *t;
  root.finish();
  throw_if_issues(source, issues);
  return in;
}

// ---------------------------------------------------------------------------------------------
// hpa-eval: writing

namespace {

Ordered history_json(const ctl::HpaHistory& h) {
  Ordered out = Ordered::object();
  if (h.recommendations) {
    Ordered recs = Ordered::array();
    for (const auto& r : *h.recommendations) {
      recs.push_back(Ordered{{"replicas", r.recommendation}, {"timestamp", seconds_of(r.timestamp)}});
    }
    out["recommendations"] = std::move(recs);
  } else {
    out["recommendations"] = nullptr;
  }
  const auto events = [](const std::vector<ctl::TimestampedScaleEvent>& list) {
    Ordered a = Ordered::array();
    for (const auto& e : list) {
      a.push_back(Ordered{{"replicaChange", e.replica_change}, {"timestamp", seconds_of(e.timestamp)},
                          {"outdated", e.outdated}});
    }
    return a;
  };
  out["scaleUpEvents"] = events(h.scale_up_events);
  out["scaleDownEvents"] = events(h.scale_down_events);
  return out;
}

}  // namespace

std::string hpa_decision_json(const ctl::HpaDecision& d) {
  Ordered out;
  out["currentReplicas"] = d.current_replicas;
  out["desiredReplicas"] = d.desired_replicas;
  out["rescale"] = d.rescale;
  out["metricDesiredReplicas"] = d.metric_desired_replicas;
  out["metricName"] = d.metric_name;
  out["rescaleReason"] = d.rescale_reason;
  out["stabilizedReplicas"] = d.stabilized_replicas;
  out["stabilizationReason"] = d.stabilization_reason;
  out["limited"] = d.limited;
  out["limitReason"] = d.limit_reason;
  out["error"] = d.error;
  Ordered proposals = Ordered::array();
  for (const auto& p : d.proposals) {
    Ordered j;
    j["metricName"] = p.metric_name;
    j["valid"] = p.valid;
    j["replicas"] = p.replicas;
    j["utilization"] = p.utilization_percent ? Ordered(*p.utilization_percent) : Ordered(nullptr);
    j["valueMilli"] = p.value_milli;
    j["timestamp"] = seconds_of(p.timestamp);
    j["rule"] = p.rule;
    j["failureReason"] = p.failure_reason;
    j["error"] = p.error;
    j["pods"] = Ordered{{"ready", p.groups.ready_count},
                        {"unready", p.groups.unready},
                        {"missing", p.groups.missing},
                        {"ignored", p.groups.ignored}};
    proposals.push_back(std::move(j));
  }
  out["proposals"] = std::move(proposals);
  Ordered conditions = Ordered::array();
  for (const auto& c : d.conditions) {
    conditions.push_back(Ordered{{"type", c.type},
                                 {"status", c.status ? "True" : "False"},
                                 {"reason", c.reason},
                                 {"message", c.message}});
  }
  out["conditions"] = std::move(conditions);
  out["history"] = history_json(d.history);
  return dump(out);
}

std::string run_hpa_eval(std::string_view text, const std::string& source) {
  return hpa_decision_json(ctl::hpa_sync(parse_hpa_eval(text, source)));
}

// ---------------------------------------------------------------------------------------------
// keda-eval

namespace {

const std::vector<std::pair<std::string, ctl::KedaMetricType>> kKedaMetricTypes = {
    {"AverageValue", ctl::KedaMetricType::kAverageValue},
    {"Value", ctl::KedaMetricType::kValue},
    {"Utilization", ctl::KedaMetricType::kUtilization}};
const std::vector<std::pair<std::string, ctl::KedaFallbackBehavior>> kFallbackBehaviors = {
    {"static", ctl::KedaFallbackBehavior::kStatic},
    {"currentReplicas", ctl::KedaFallbackBehavior::kCurrentReplicas},
    {"currentReplicasIfHigher", ctl::KedaFallbackBehavior::kCurrentReplicasIfHigher},
    {"currentReplicasIfLower", ctl::KedaFallbackBehavior::kCurrentReplicasIfLower}};
const std::vector<std::pair<std::string, ctl::KedaHealthStatus>> kHealthStatuses = {
    {"Happy", ctl::KedaHealthStatus::kHappy}, {"Failing", ctl::KedaHealthStatus::kFailing}};

constexpr std::string_view kKedaPrefix = "autoscaling.keda.sh/";

}  // namespace

ctl::KedaTrigger read_trigger(ObjectReader& r) {
  ctl::KedaTrigger t;
  const auto type = r.choice("type", std::vector<std::pair<std::string, ctl::KedaTriggerType>>{
                                         {"prometheus", ctl::KedaTriggerType::kPrometheus},
                                         {"cpu", ctl::KedaTriggerType::kCpu},
                                         {"memory", ctl::KedaTriggerType::kMemory}},
                             Presence::kRequired);
  if (auto n = r.string("name", Presence::kOptional)) t.name = *n;
  r.find("authenticationRef");
  r.find("useCachedMetrics");
  if (!type) return t;
  t.type = *type;
  const bool resource = *type != ctl::KedaTriggerType::kPrometheus;
  if (auto m = r.choice("metricType", kKedaMetricTypes, resource ? Presence::kRequired : Presence::kOptional)) {
    // (A prometheus trigger with Utilization is accepted: KEDA's fallback then stays off, as
    // fallback_test.go exercises.)
    if (resource && *m == ctl::KedaMetricType::kValue) {
      r.issue("metricType", "Utilization or AverageValue for a cpu/memory trigger", "\"Value\"");
    }
    t.metric_type = *m;
  }
  auto md = r.object("metadata", Presence::kRequired);
  if (!md) return t;
  if (resource) {
    if (auto v = string_number(*md, "value", greater_than(0), Presence::kRequired)) t.threshold = *v;
    md->string("containerName", Presence::kOptional);
  } else {
    md->string("serverAddress", Presence::kOptional);
    md->string("query", Presence::kOptional);
    for (const char* k : {"namespace", "queryParameters", "customHeaders", "unsafeSsl", "authModes", "timeout"}) {
      md->find(k);
    }
    if (auto v = string_number(*md, "threshold", greater_than(0), Presence::kRequired)) t.threshold = *v;
    if (auto v = string_number(*md, "activationThreshold", NumberRange{}, Presence::kOptional)) {
      t.activation_threshold = *v;
    }
    if (auto v = string_boolean(*md, "ignoreNullValues", Presence::kOptional)) t.ignore_null_values = *v;
  }
  md->finish();
  return t;
}

void read_annotations(ObjectReader& metadata, ctl::KedaScaledObjectSpec& spec) {
  auto a = metadata.object("annotations", Presence::kOptional);
  if (!a) return;
  if (auto v = string_integer(*a, "autoscaling.keda.sh/paused-replicas", 0, kMaxReplicas, Presence::kOptional)) {
    spec.paused_replicas = to_i32(*v);
  }
  if (auto v = string_boolean(*a, "autoscaling.keda.sh/paused", Presence::kOptional)) spec.paused = *v;
  if (auto v = string_boolean(*a, "autoscaling.keda.sh/paused-scale-in", Presence::kOptional)) {
    spec.paused_scale_in = *v;
  }
  if (auto v = string_boolean(*a, "autoscaling.keda.sh/paused-scale-out", Presence::kOptional)) {
    spec.paused_scale_out = *v;
  }
  if (auto v = string_boolean(*a, "autoscaling.keda.sh/force-activation", Presence::kOptional)) {
    spec.force_activation = *v;
  }
  // Other annotations belong to other tools and are ignored; an unknown one in KEDA's own prefix
  // is a typo.
  if (const Json* raw = metadata.find("annotations"); raw != nullptr && raw->is_object()) {
    for (const auto& [key, value] : raw->items()) {
      if (!std::string_view(key).starts_with(kKedaPrefix)) a->find(key);
    }
  }
  a->finish();
}

/// ScaledObject spec fields the executor reads: intervals, replica counts, fallback, triggers
/// (scaleTargetRef and advanced are the caller's).
void read_keda_spec(ObjectReader& s, ctl::KedaScaledObjectSpec& spec) {
  if (auto v = s.integer("pollingInterval", 1, 1'000'000'000, Presence::kOptional)) spec.polling_interval_s = *v;
  if (auto v = s.integer("cooldownPeriod", 0, 1'000'000'000, Presence::kOptional)) spec.cooldown_period_s = *v;
  if (auto v = s.integer("initialCooldownPeriod", 0, 1'000'000'000, Presence::kOptional)) {
    spec.initial_cooldown_period_s = *v;
  }
  if (auto v = s.integer("minReplicaCount", 0, kMaxReplicas, Presence::kOptional)) {
    spec.min_replica_count = to_i32(*v);
  }
  if (auto v = s.integer("maxReplicaCount", 0, kMaxReplicas, Presence::kOptional)) {
    spec.max_replica_count = to_i32(*v);
  }
  if (auto v = s.integer("idleReplicaCount", 0, kMaxReplicas, Presence::kOptional)) {
    spec.idle_replica_count = to_i32(*v);
  }
  if (spec.min_replica_count > spec.max_replica_count) {
    s.issue("minReplicaCount", "minReplicaCount <= maxReplicaCount (" + std::to_string(spec.max_replica_count) + ")",
            std::to_string(spec.min_replica_count));
  }
  if (auto f = s.object("fallback", Presence::kOptional)) {
    ctl::KedaFallback fb;
    // KEDA's webhook rejects a negative failureThreshold; the fallback path reports it as
    // invalid at query time (fallback_test.go), so any integer is read here.
    if (auto v = f->integer("failureThreshold", std::numeric_limits<int32_t>::min(), kMaxReplicas,
                            Presence::kRequired)) {
      fb.failure_threshold = to_i32(*v);
    }
    if (auto v = f->integer("replicas", 0, kMaxReplicas, Presence::kRequired)) fb.replicas = to_i32(*v);
    if (auto b = f->choice("behavior", kFallbackBehaviors, Presence::kOptional)) fb.behavior = *b;
    f->finish();
    spec.fallback = fb;
  }
  const Json* triggers = s.array("triggers", Presence::kRequired, 1);
  if (triggers != nullptr) {
    for_each_object(s, "triggers", Presence::kRequired,
                    [&](ObjectReader& e, size_t) { spec.triggers.push_back(read_trigger(e)); });
  }
}

ctl::KedaEvalInput parse_keda_eval(std::string_view text, const std::string& source) {
  const Json doc = parse_document(text, source);
  std::vector<Issue> issues;
  ctl::KedaEvalInput in;
  ObjectReader root(doc, "", issues);
  if (auto so = root.object("scaledObject", Presence::kRequired)) {
    so->string("apiVersion", Presence::kOptional);
    so->string("kind", Presence::kOptional);
    if (auto md = so->object("metadata", Presence::kOptional)) {
      md->string("name", Presence::kOptional);
      md->string("namespace", Presence::kOptional);
      md->find("labels");
      if (auto t = time_field(*md, "creationTimestamp", Presence::kOptional)) in.creation_time = *t;
      read_annotations(*md, in.spec);
      md->finish();
    }
    if (auto s = so->object("spec", Presence::kRequired)) {
      ctl::KedaScaledObjectSpec& spec = in.spec;
      s->find("scaleTargetRef");
      s->find("advanced");  // horizontalPodAutoscalerConfig is passed to the HPA, not decided here
      read_keda_spec(*s, spec);
      s->finish();
    }
    if (auto st = so->object("status", Presence::kOptional)) {
      if (const Json* t = st->find("lastActiveTime"); t != nullptr && !t->is_null()) {
        in.status.last_active_time = time_field(*st, "lastActiveTime", Presence::kOptional);
      }
      if (auto h = st->object("health", Presence::kOptional)) {
        if (const Json* raw = st->find("health"); raw != nullptr && raw->is_object()) {
          for (const auto& [name, value] : raw->items()) {  // nlohmann::json keeps keys sorted
            auto e = h->object(name, Presence::kRequired);
            if (!e) continue;
            ctl::KedaHealthEntry entry;
            entry.metric_name = name;
            if (auto n = e->integer("numberOfFailures", 0, kMaxReplicas, Presence::kOptional)) {
              entry.number_of_failures = to_i32(*n);
            }
            if (auto s = e->choice("status", kHealthStatuses, Presence::kOptional)) entry.status = *s;
            e->finish();
            in.status.health.push_back(std::move(entry));
          }
        }
        h->finish();
      }
      for (const char* k : {"conditions", "scaleTargetKind", "scaleTargetGVKR", "originalReplicaCount",
                            "externalMetricNames", "resourceMetricNames", "hpaName", "pausedReplicaCount"}) {
        st->find(k);
      }
      st->finish();
    }
    so->finish();
  }
  if (auto v = root.integer("currentReplicas", 0, kMaxReplicas, Presence::kRequired)) in.current_replicas = to_i32(*v);
  const size_t n_obs = for_each_object(root, "observations", Presence::kRequired, [&](ObjectReader& e, size_t i) {
    ctl::KedaTriggerObservation o;
    const bool queried =
        i < in.spec.triggers.size() && in.spec.triggers[i].type == ctl::KedaTriggerType::kPrometheus;
    if (auto v = boolean(e, "error", Presence::kOptional)) o.error = *v;
    if (auto v = boolean(e, "nullResult", Presence::kOptional)) o.null_result = *v;
    if (auto v = e.number("value", NumberRange{}, Presence::kOptional)) o.value = *v;
    if (queried && !o.error && !o.null_result && e.find("value") == nullptr) {
      e.issue("value", "number (or \"error\": true, or \"nullResult\": true) for a prometheus trigger", "nothing");
    }
    in.observations.push_back(o);
  });
  if (root.find("observations") != nullptr && root.find("observations")->is_array() &&
      n_obs != in.spec.triggers.size()) {
    root.issue("observations",
               "one observation per scaledObject.spec.triggers entry (" + std::to_string(in.spec.triggers.size()) + ")",
               "an array of " + std::to_string(n_obs));
  }
  if (auto t = time_field(root, "now", Presence::kRequired)) in.now = *t;
  root.finish();
  throw_if_issues(source, issues);
  return in;
}

namespace {

const char* metric_type_name(ctl::KedaMetricType t) {
  switch (t) {
    case ctl::KedaMetricType::kAverageValue: return "AverageValue";
    case ctl::KedaMetricType::kValue: return "Value";
    case ctl::KedaMetricType::kUtilization: return "Utilization";
  }
  return "?";
}

Ordered optional_time(const std::optional<SimTime>& t) { return t ? Ordered(seconds_of(*t)) : Ordered(nullptr); }

}  // namespace

std::string keda_result_json(const ctl::KedaEvalResult& r) {
  Ordered out;
  const ctl::KedaPollDecision& p = r.poll;
  Ordered poll;
  poll["isActive"] = p.is_active;
  poll["isError"] = p.is_error;
  poll["activeTriggers"] = p.active_triggers;
  poll["action"] = ctl::to_string(p.action);
  poll["targetReplicas"] = p.target_replicas;
  poll["reason"] = p.reason;
  poll["conditions"] = Ordered::array(
      {Ordered{{"type", "Ready"}, {"status", ctl::to_string(p.ready)}, {"reason", p.ready_reason}},
       Ordered{{"type", "Active"}, {"status", ctl::to_string(p.active)}, {"reason", p.active_reason}}});
  poll["lastActiveTime"] = optional_time(p.last_active_time);
  out["poll"] = std::move(poll);
  Ordered hpa;
  hpa["minReplicas"] = r.hpa.hpa_min_replicas;
  hpa["maxReplicas"] = r.hpa.hpa_max_replicas;
  Ordered metrics = Ordered::array();
  for (const auto& m : r.hpa.metrics) {
    metrics.push_back(Ordered{{"metricName", m.metric_name},
                              {"external", m.external},
                              {"targetType", metric_type_name(m.target_type)},
                              {"targetMilli", m.target_milli},
                              {"hasValue", m.has_value},
                              {"valueMilli", m.has_value ? Ordered(m.value_milli) : Ordered(nullptr)},
                              {"fallbackApplied", m.fallback_applied}});
  }
  hpa["metrics"] = std::move(metrics);
  hpa["fallbackCondition"] = ctl::to_string(r.hpa.fallback_condition);
  hpa["anyError"] = r.hpa.any_error;
  out["hpa"] = std::move(hpa);
  Ordered status;
  status["lastActiveTime"] = optional_time(r.status.last_active_time);
  Ordered health = Ordered::object();
  for (const auto& h : r.status.health) {
    health[h.metric_name] = Ordered{{"numberOfFailures", h.number_of_failures},
                                    {"status", h.status == ctl::KedaHealthStatus::kHappy ? "Happy" : "Failing"}};
  }
  status["health"] = std::move(health);
  out["status"] = std::move(status);
  return dump(out);
}

std::string run_keda_eval(std::string_view text, const std::string& source) {
  return keda_result_json(ctl::keda_evaluate(parse_keda_eval(text, source)));
}

// ---------------------------------------------------------------------------------------------
// kpa-eval

namespace {

const std::vector<std::pair<std::string, ctl::KpaScalingMetric>> kKpaMetrics = {
    {"concurrency", ctl::KpaScalingMetric::kConcurrency}, {"rps", ctl::KpaScalingMetric::kRps}};

}  // namespace

/// A duration of whole seconds (Knative rejects sub-second windows), written "60s" or 60.
std::optional<int64_t> whole_seconds(ObjectReader& r, std::string_view key) {
  const auto d = duration_field(r, key, Presence::kOptional);
  if (!d) return std::nullopt;
  if (d->ns % 1'000'000'000 != 0) {
    r.issue(key, "a whole number of seconds", describe(*r.find(key)));
    return std::nullopt;
  }
  return d->ns / 1'000'000'000;
}

void read_kpa_config(ObjectReader& r, ctl::KpaConfig& c) {
  const auto num = [&](std::string_view key, NumberRange range, double& out) {
    if (auto v = string_number(r, key, range, Presence::kOptional)) out = *v;
  };
  num("container-concurrency-target-percentage", greater_than_up_to(0, 100), c.container_concurrency_target_percentage);
  num("container-concurrency-target-default", at_least(0.01), c.container_concurrency_target_default);
  num("requests-per-second-target-default", at_least(0.01), c.requests_per_second_target_default);
  num("target-burst-capacity", at_least(-1), c.target_burst_capacity);
  if (c.target_burst_capacity < 0 && c.target_burst_capacity != -1) {
    r.issue("target-burst-capacity", "a number >= 0, or -1 (unlimited)", describe(*r.find("target-burst-capacity")));
  }
  num("activator-capacity", at_least(1), c.activator_capacity);
  num("max-scale-up-rate", greater_than(1), c.max_scale_up_rate);
  num("max-scale-down-rate", greater_than(1), c.max_scale_down_rate);
  num("panic-window-percentage", NumberRange{1, true, 100, true}, c.panic_window_percentage);
  num("panic-threshold-percentage", NumberRange{110, true, 1000, true}, c.panic_threshold_percentage);
  if (auto s = whole_seconds(r, "stable-window")) c.stable_window_s = *s;
  if (auto s = whole_seconds(r, "scale-to-zero-grace-period")) c.scale_to_zero_grace_period_s = *s;
  if (auto s = whole_seconds(r, "scale-down-delay")) c.scale_down_delay_s = *s;
  if (auto v = string_integer(r, "initial-scale", 0, kMaxReplicas, Presence::kOptional)) c.initial_scale = to_i32(*v);
  if (auto v = string_boolean(r, "allow-zero-initial-scale", Presence::kOptional)) c.allow_zero_initial_scale = *v;
  if (auto v = string_boolean(r, "enable-scale-to-zero", Presence::kOptional)) c.enable_scale_to_zero = *v;
  if (c.stable_window_s < 6 || c.stable_window_s > 3600) {
    r.issue("stable-window", "a window in [6s, 1h]", std::to_string(c.stable_window_s) + "s");
  }
}

/// The revision: containerConcurrency and the autoscaling.knative.dev/* annotations the decider
/// reads. The per-revision window annotations override the config keys, as the PA's do.
void read_revision(ObjectReader& r, ctl::KpaConfig& c, ctl::KpaRevision& rev) {
  if (auto v = r.integer("containerConcurrency", 0, 1000, Presence::kOptional)) rev.container_concurrency = to_i32(*v);
  auto a = r.object("annotations", Presence::kOptional);
  if (!a) return;
  read_revision_annotations(*a, c, rev);
  const std::string p = "autoscaling.knative.dev/";
  if (const Json* raw = r.find("annotations"); raw != nullptr && raw->is_object()) {
    for (const auto& [key, value] : raw->items()) {
      if (!std::string_view(key).starts_with(p)) a->find(key);
    }
  }
  a->finish();
}

/// The revision annotations alone (read_revision's, and the scenario PodAutoscaler's metadata).
void read_revision_annotations(ObjectReader& a, ctl::KpaConfig& c, ctl::KpaRevision& rev) {
  const std::string p = "autoscaling.knative.dev/";
  if (auto m = a.choice(p + "metric", kKpaMetrics, Presence::kOptional)) rev.metric = *m;
  if (auto v = string_number(a, p + "target", at_least(0.01), Presence::kOptional)) rev.target = *v;
  if (auto v = string_number(a, p + "target-utilization-percentage", NumberRange{1, true, 100, true},
                             Presence::kOptional)) {
    rev.target_utilization_percentage = *v;
  }
  if (auto v = string_integer(a, p + "activation-scale", 1, kMaxReplicas, Presence::kOptional)) {
    rev.activation_scale = to_i32(*v);
  }
  if (auto s = whole_seconds(a, p + "window")) c.stable_window_s = *s;
  if (auto v = string_number(a, p + "panic-window-percentage", NumberRange{1, true, 100, true}, Presence::kOptional)) {
    c.panic_window_percentage = *v;
  }
  if (auto v = string_number(a, p + "panic-threshold-percentage", NumberRange{110, true, 1000, true},
                             Presence::kOptional)) {
    c.panic_threshold_percentage = *v;
  }
  if (auto s = whole_seconds(a, p + "scale-down-delay")) c.scale_down_delay_s = *s;
  a.string(p + "class", Presence::kOptional);
}

namespace {

/// DeciderSpec given directly, as Knative's own autoscaler tests build it.
void read_decider_spec(ObjectReader& r, ctl::KpaDeciderSpec& s, Duration& panic_window) {
  if (auto m = r.choice("scalingMetric", kKpaMetrics, Presence::kOptional)) s.scaling_metric = *m;
  const auto num = [&](std::string_view key, NumberRange range, Presence presence, double& out) {
    if (auto v = r.number(key, range, presence)) out = *v;
  };
  num("targetValue", greater_than(0), Presence::kRequired, s.target_value);
  num("totalValue", at_least(0), Presence::kRequired, s.total_value);
  num("targetBurstCapacity", at_least(-1), Presence::kOptional, s.target_burst_capacity);
  num("activatorCapacity", greater_than(0), Presence::kOptional, s.activator_capacity);
  num("panicThreshold", greater_than(0), Presence::kOptional, s.panic_threshold);
  num("maxScaleUpRate", greater_than(0), Presence::kOptional, s.max_scale_up_rate);
  num("maxScaleDownRate", greater_than(0), Presence::kOptional, s.max_scale_down_rate);
  if (auto d = duration_field(r, "stableWindow", Presence::kOptional)) {
    if (d->ns > 0) {
      s.stable_window = *d;
    } else {
      r.issue("stableWindow", "a window > 0", describe(*r.find("stableWindow")));
    }
  }
  panic_window = Duration{s.stable_window.ns / 10};
  if (auto d = duration_field(r, "panicWindow", Presence::kOptional)) {
    if (d->ns > 0) {
      panic_window = *d;
    } else {
      r.issue("panicWindow", "a window > 0", describe(*r.find("panicWindow")));
    }
  }
  if (auto d = duration_field(r, "scaleDownDelay", Presence::kOptional)) s.scale_down_delay = *d;
  if (auto v = r.integer("activationScale", 1, kMaxReplicas, Presence::kOptional)) s.activation_scale = to_i32(*v);
}

}  // namespace

KpaEvalInput parse_kpa_eval(std::string_view text, const std::string& source) {
  const Json doc = parse_document(text, source);
  std::vector<Issue> issues;
  KpaEvalInput in;
  ObjectReader root(doc, "", issues);
  if (root.find("deciderSpec") != nullptr) {
    root.forbid("config", "no config when deciderSpec is given");
    root.forbid("revision", "no revision when deciderSpec is given");
    if (auto d = root.object("deciderSpec", Presence::kRequired)) {
      read_decider_spec(*d, in.spec, in.panic_window);
      d->finish();
    }
  } else {
    ctl::KpaConfig config;
    ctl::KpaRevision revision;
    if (auto c = root.object("config", Presence::kOptional)) {
      read_kpa_config(*c, config);
      c->finish();
    }
    if (auto r = root.object("revision", Presence::kOptional)) {
      read_revision(*r, config, revision);
      r->finish();
    }
    in.spec = ctl::kpa_decider_spec(config, revision);
    in.panic_window = ctl::kpa_panic_window(config);
  }
  if (auto v = boolean(root, "reachable", Presence::kOptional)) in.spec.reachable = *v;
  ctl::KpaScaleInput& s = in.scale;
  if (auto v = root.integer("readyPods", 0, kMaxReplicas, Presence::kRequired)) s.ready_pods = to_i32(*v);
  if (auto v = boolean(root, "readyCountError", Presence::kOptional)) s.ready_count_error = *v;
  const auto now = time_field(root, "now", Presence::kRequired);
  if (now) s.now = *now;
  if (auto m = root.object("metrics", Presence::kRequired)) {
    if (auto v = boolean(*m, "noData", Presence::kOptional)) s.no_metric_data = *v;
    if (m->find("samples") != nullptr) {
      m->forbid("stable", "no stable average when samples are given");
      m->forbid("panic", "no panic average when samples are given");
      ctl::KpaWindowBuckets stable(in.spec.stable_window);
      ctl::KpaWindowBuckets panic(in.panic_window.ns > 0 ? in.panic_window : Duration::nanoseconds(1));
      for_each_object(*m, "samples", Presence::kRequired, [&](ObjectReader& e, size_t) {
        const auto t = time_field(e, "time", Presence::kRequired);
        const auto v = e.number("value", at_least(0), Presence::kRequired);
        if (t && v) {
          stable.record(*t, *v);
          panic.record(*t, *v);
        }
      });
      if (now) {
        if (stable.is_empty(*now)) s.no_metric_data = true;
        s.observed_stable_value = stable.window_average(*now);
        s.observed_panic_value = panic.window_average(*now);
      }
    } else if (!s.no_metric_data) {
      if (auto v = m->number("stable", at_least(0), Presence::kRequired)) s.observed_stable_value = *v;
      if (auto v = m->number("panic", at_least(0), Presence::kRequired)) s.observed_panic_value = *v;
    }
    m->finish();
  }
  if (const Json* st = root.find("state"); st != nullptr) {
    if (auto r = root.object("state", Presence::kOptional)) {
      if (const Json* t = r->find("panicTime"); t != nullptr && !t->is_null()) {
        s.state.panic_time = time_field(*r, "panicTime", Presence::kOptional);
      }
      if (auto v = r->integer("maxPanicPods", 0, kMaxReplicas, Presence::kOptional)) s.state.max_panic_pods = to_i32(*v);
      for_each_object(*r, "delayWindow", Presence::kOptional, [&](ObjectReader& e, size_t) {
        ctl::KpaDelayEntry entry;
        if (auto v = e.integer("index", std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(),
                               Presence::kRequired)) {
          entry.index = *v;
        }
        if (auto v = e.integer("value", 0, kMaxReplicas, Presence::kRequired)) entry.value = to_i32(*v);
        s.state.delay_window.push_back(entry);
      });
      r->finish();
    }
  } else {
    // A decider created now (newAutoscaler): in panic if more than one pod is ready.
    s.state = ctl::kpa_initial_state(s.ready_pods, s.now);
  }
  root.finish();
  throw_if_issues(source, issues);
  return in;
}

std::string kpa_result_json(const KpaEvalInput& in, const ctl::KpaScaleResult& r) {
  Ordered out;
  out["scaleValid"] = r.scale_valid;
  out["desiredPodCount"] = r.desired_pod_count;
  out["excessBurstCapacity"] = r.excess_burst_capacity;
  out["numActivators"] = r.num_activators;
  out["inPanic"] = r.in_panic;
  out["reason"] = r.reason;
  out["maxScaleUp"] = r.max_scale_up;
  out["maxScaleDown"] = r.max_scale_down;
  out["desiredStablePodCountRaw"] = r.desired_stable_raw;
  out["desiredPanicPodCountRaw"] = r.desired_panic_raw;
  out["desiredStablePodCount"] = r.desired_stable;
  out["desiredPanicPodCount"] = r.desired_panic;
  out["observedStableValue"] = in.scale.observed_stable_value;
  out["observedPanicValue"] = in.scale.observed_panic_value;
  const ctl::KpaDeciderSpec& s = in.spec;
  out["deciderSpec"] = Ordered{{"scalingMetric", s.scaling_metric == ctl::KpaScalingMetric::kRps ? "rps" : "concurrency"},
                               {"targetValue", s.target_value},
                               {"totalValue", s.total_value},
                               {"targetBurstCapacity", s.target_burst_capacity},
                               {"activatorCapacity", s.activator_capacity},
                               {"panicThreshold", s.panic_threshold},
                               {"maxScaleUpRate", s.max_scale_up_rate},
                               {"maxScaleDownRate", s.max_scale_down_rate},
                               {"stableWindow", seconds_of(s.stable_window)},
                               {"panicWindow", seconds_of(in.panic_window)},
                               {"scaleDownDelay", seconds_of(s.scale_down_delay)},
                               {"activationScale", s.activation_scale},
                               {"reachable", s.reachable}};
  Ordered delay = Ordered::array();
  for (const auto& e : r.state.delay_window) delay.push_back(Ordered{{"index", e.index}, {"value", e.value}});
  out["state"] = Ordered{{"panicTime", optional_time(r.state.panic_time)},
                         {"maxPanicPods", r.state.max_panic_pods},
                         {"delayWindow", std::move(delay)}};
  return dump(out);
}

std::string run_kpa_eval(std::string_view text, const std::string& source) {
  const KpaEvalInput in = parse_kpa_eval(text, source);
  return kpa_result_json(in, ctl::kpa_scale(in.spec, in.scale));
}

}  // namespace kubemind::scenario
