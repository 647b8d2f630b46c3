// SPDX-License-Identifier: MIT
#include "sim/scenario/promql.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <system_error>

namespace kubemind::scenario {
namespace {

using control::AppCounter;
using control::AppGauge;
using control::PromQuery;
using control::PromQueryKind;

constexpr std::string_view kForms =
    "a query of the form sum(queue_depth), avg(G), sum(rate(C[1m])) or "
    "histogram_quantile(0.99, sum by (le) (rate(request_duration_seconds_bucket[1m])))";
constexpr std::string_view kBucket = "request_duration_seconds_bucket";
constexpr std::string_view kExported =
    "gauges queue_depth, inflight_requests, gpu_utilization; counters requests_total, "
    "inflight_request_seconds_total; histogram request_duration_seconds_bucket";

struct GaugeName {
  std::string_view name;
  AppGauge gauge;
};
constexpr std::array<GaugeName, 3> kGauges = {{{"queue_depth", AppGauge::kQueueDepth},
                                               {"inflight_requests", AppGauge::kInflight},
                                               {"gpu_utilization", AppGauge::kGpuUtilization}}};
struct CounterName {
  std::string_view name;
  AppCounter counter;
};
constexpr std::array<CounterName, 2> kCounters = {{{"requests_total", AppCounter::kRequestsTotal},
                                                   {"inflight_request_seconds_total",
                                                    AppCounter::kInflightSecondsTotal}}};

std::optional<AppGauge> gauge_named(std::string_view name) {
  for (const auto& g : kGauges) {
    if (g.name == name) return g.gauge;
  }
  return std::nullopt;
}
std::optional<AppCounter> counter_named(std::string_view name) {
  for (const auto& c : kCounters) {
    if (c.name == name) return c.counter;
  }
  return std::nullopt;
}

// Prometheus duration units, largest first (model.ParseDuration).
struct Unit {
  std::string_view name;
  int64_t ns;
};
constexpr int64_t kMs = 1'000'000;
constexpr std::array<Unit, 7> kUnits = {{{"y", 365LL * 86400 * 1000 * kMs},
                                         {"w", 7LL * 86400 * 1000 * kMs},
                                         {"d", 86400LL * 1000 * kMs},
                                         {"h", 3600LL * 1000 * kMs},
                                         {"m", 60LL * 1000 * kMs},
                                         {"s", 1000 * kMs},
                                         {"ms", kMs}}};

bool is_ident_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':'; }
bool is_ident_char(char c) { return is_ident_start(c) || (c >= '0' && c <= '9'); }

/// Recursive descent over the accepted forms; the first problem found is the error.
class Parser {
 public:
  Parser(std::string_view text, std::string& error) : s_(text), error_(error) {}

  std::optional<PromQuery> parse() {
    PromQuery q;
    skip_ws();
    const size_t start = pos_;
    const std::string_view fn = ident();
    if (fn == "sum" || fn == "avg") {
      if (!expect('(')) return std::nullopt;
      skip_ws();
      const size_t inner_at = pos_;
      const std::string_view inner = ident();
      if (inner == "rate") {
        if (fn == "avg") return fail(std::string(kForms) + "; avg(rate(...)) is not one of them (use sum)");
        pos_ = inner_at;
        if (!rate(q, false)) return std::nullopt;
        q.kind = PromQueryKind::kSumRate;
      } else {
        pos_ = inner_at;
        if (!gauge_selector(q)) return std::nullopt;
        q.kind = fn == "sum" ? PromQueryKind::kSumGauge : PromQueryKind::kAvgGauge;
      }
      if (!expect(')')) return std::nullopt;
    } else if (fn == "histogram_quantile") {
      if (!expect('(') || !quantile(q) || !expect(',')) return std::nullopt;
      skip_ws();
      const size_t sum_at = pos_;
      if (ident() != "sum") {
        pos_ = sum_at;
        return fail(syntax("sum by (le) (rate(request_duration_seconds_bucket[W])) as histogram_quantile's second "
                           "argument"));
      }
      skip_ws();
      const size_t by_at = pos_;
      if (ident() == "by") {
        if (!by_le() || !expect('(') || !rate(q, true) || !expect(')')) return std::nullopt;
      } else {
        pos_ = by_at;
        if (!expect('(') || !rate(q, true) || !expect(')') || !keyword("by") || !by_le()) return std::nullopt;
      }
      if (!expect(')')) return std::nullopt;
      q.kind = PromQueryKind::kHistogramQuantile;
    } else {
      pos_ = start;
      return fail(std::string(kForms));
    }
    skip_ws();
    if (pos_ != s_.size()) return fail(syntax("the end of the query"));
    return q;
  }

  std::optional<std::string> app;

 private:
  std::nullopt_t fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
    return std::nullopt;
  }
  std::string syntax(std::string_view expected) const {
    return std::string(expected) + " at column " + std::to_string(pos_ + 1);
  }

  void skip_ws() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
  }
  std::string_view ident() {
    skip_ws();
    if (pos_ >= s_.size() || !is_ident_start(s_[pos_])) return {};
    const size_t start = pos_;
    while (pos_ < s_.size() && is_ident_char(s_[pos_])) ++pos_;
    return s_.substr(start, pos_ - start);
  }
  bool expect(char c) {
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    fail(syntax(std::string("\"") + c + "\""));
    return false;
  }
  bool keyword(std::string_view word) {
    skip_ws();
    const size_t at = pos_;
    if (ident() == word) return true;
    pos_ = at;
    fail(syntax(std::string("\"") + std::string(word) + "\""));
    return false;
  }
  /// "(le)" after `by`.
  bool by_le() {
    if (!expect('(')) return false;
    skip_ws();
    const size_t at = pos_;
    if (ident() != "le") {
      pos_ = at;
      fail(syntax("by (le) (only the le label)"));
      return false;
    }
    return expect(')');
  }

  /// A metric name with optional {app="..."}; the name is returned (and checked by the caller).
  std::optional<std::string_view> selector() {
    skip_ws();
    const size_t at = pos_;
    const std::string_view name = ident();
    if (name.empty()) {
      pos_ = at;
      fail(syntax(std::string("a metric name (") + std::string(kExported) + ")"));
      return std::nullopt;
    }
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == '{') {
      ++pos_;
      skip_ws();
      while (pos_ < s_.size() && s_[pos_] != '}') {
        const size_t label_at = pos_;
        const std::string_view label = ident();
        skip_ws();
        const bool equals = pos_ < s_.size() && s_[pos_] == '=' && (pos_ + 1 >= s_.size() || s_[pos_ + 1] != '~');
        if (label != "app" || !equals || app) {
          pos_ = label_at;
          fail(syntax("a single label matcher app=\"NAME\" (the scale target's pods)"));
          return std::nullopt;
        }
        ++pos_;
        skip_ws();
        const auto value = string_literal();
        if (!value) return std::nullopt;
        app = std::string(*value);
        skip_ws();
        if (pos_ < s_.size() && s_[pos_] == ',') {
          ++pos_;
          skip_ws();
        }
      }
      if (!expect('}')) return std::nullopt;
    }
    return name;
  }
  std::optional<std::string_view> string_literal() {
    if (pos_ >= s_.size() || (s_[pos_] != '"' && s_[pos_] != '\'')) {
      fail(syntax("a quoted label value"));
      return std::nullopt;
    }
    const char quote = s_[pos_];
    const size_t start = ++pos_;
    while (pos_ < s_.size() && s_[pos_] != quote && s_[pos_] != '\\') ++pos_;
    if (pos_ >= s_.size() || s_[pos_] != quote) {
      fail(syntax(std::string("a closing ") + quote + " (no escapes)"));
      return std::nullopt;
    }
    const std::string_view value = s_.substr(start, pos_ - start);
    ++pos_;
    return value;
  }

  std::nullopt_t unknown_metric(std::string_view name) {
    return fail("a metric the pods export (" + std::string(kExported) + "), not \"" + std::string(name) + "\"");
  }

  /// A gauge selector (inside sum / avg).
  bool gauge_selector(PromQuery& q) {
    const auto name = selector();
    if (!name) return false;
    if (auto g = gauge_named(*name)) {
      q.gauge = *g;
      skip_ws();
      if (pos_ < s_.size() && s_[pos_] == '[') {
        fail(syntax("no range after the gauge " + std::string(*name) + " (sum(G) and avg(G) take an instant vector)"));
        return false;
      }
      return true;
    }
    if (counter_named(*name)) {
      fail("a gauge inside sum() or avg() (queue_depth, inflight_requests or gpu_utilization); for the counter " +
           std::string(*name) + " use sum(rate(" + std::string(*name) + "[1m]))");
      return false;
    }
    if (*name == kBucket) {
      fail(std::string(kBucket) + " only inside histogram_quantile(Q, sum by (le) (rate(" + std::string(kBucket) +
           "[W])))");
      return false;
    }
    unknown_metric(*name);
    return false;
  }

  /// rate(C[W]); `histogram`: C must be the bucket series, else a counter.
  bool rate(PromQuery& q, bool histogram) {
    if (!keyword("rate") || !expect('(')) return false;
    const auto name = selector();
    if (!name) return false;
    if (histogram) {
      if (*name != kBucket) {
        fail(std::string(kBucket) + " inside histogram_quantile, not \"" + std::string(*name) + "\"");
        return false;
      }
    } else if (auto c = counter_named(*name)) {
      q.counter = *c;
    } else if (gauge_named(*name)) {
      fail("a counter inside rate() (requests_total or inflight_request_seconds_total), not the gauge " +
           std::string(*name));
      return false;
    } else if (*name == kBucket) {
      fail(std::string(kBucket) + " only inside histogram_quantile(Q, sum by (le) (rate(" + std::string(kBucket) +
           "[W])))");
      return false;
    } else {
      unknown_metric(*name);
      return false;
    }
    skip_ws();
    if (pos_ >= s_.size() || s_[pos_] != '[') {
      fail(syntax("a range such as [1m] after " + std::string(*name) + " (rate() needs a range vector)"));
      return false;
    }
    ++pos_;
    skip_ws();
    const size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] != ']' && s_[pos_] != ' ' && s_[pos_] != ')') ++pos_;
    const std::string_view text = s_.substr(start, pos_ - start);
    const auto ns = parse_prometheus_duration_ns(text);
    if (!ns) {
      pos_ = start;
      fail(syntax("a duration > 0 such as 30s, 1m or 1m30s (units ms, s, m, h, d)") + ", not \"" +
           std::string(text) + "\"");
      return false;
    }
    q.window = control::Duration{*ns};
    return expect(']') && expect(')');
  }

  bool quantile(PromQuery& q) {
    skip_ws();
    const size_t start = pos_;
    while (pos_ < s_.size() && (is_ident_char(s_[pos_]) || s_[pos_] == '.' || s_[pos_] == '+' || s_[pos_] == '-')) {
      ++pos_;
    }
    double v = std::numeric_limits<double>::quiet_NaN();
    const char* first = s_.data() + start;
    const char* last = s_.data() + pos_;
    const auto [ptr, ec] = std::from_chars(first, last, v);
    if (start == pos_ || ec != std::errc() || ptr != last || !std::isfinite(v) || v < 0 || v > 1) {
      pos_ = start;
      fail(syntax("a quantile in [0, 1] as histogram_quantile's first argument"));
      return false;
    }
    q.quantile = v;
    return true;
  }

  std::string_view s_;
  std::string& error_;
  size_t pos_ = 0;
};

}  // namespace

std::optional<int64_t> parse_prometheus_duration_ns(std::string_view text) {
  if (text.empty()) return std::nullopt;
  int64_t total = 0;
  size_t pos = 0;
  size_t next_unit = 0;  // units must come largest first, each at most once
  while (pos < text.size()) {
    const size_t digits = pos;
    int64_t n = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (n > (std::numeric_limits<int64_t>::max() - 9) / 10) return std::nullopt;
      n = n * 10 + (text[pos] - '0');
      ++pos;
    }
    if (pos == digits) return std::nullopt;
    // "ms" before "m": the longest unit that matches.
    std::optional<size_t> unit;
    for (size_t u = 0; u < kUnits.size(); ++u) {
      const auto name = kUnits[u].name;
      if (text.substr(pos, name.size()) == name && (!unit || name.size() > kUnits[*unit].name.size())) unit = u;
    }
    if (!unit || *unit < next_unit) return std::nullopt;
    next_unit = *unit + 1;
    pos += kUnits[*unit].name.size();
    if (n > (std::numeric_limits<int64_t>::max() - total) / kUnits[*unit].ns) return std::nullopt;
    total += n * kUnits[*unit].ns;
  }
  if (total <= 0) return std::nullopt;
  return total;
}

std::string prometheus_duration_text(int64_t ns) {
  int64_t ms = ns / kMs;
  if (ms == 0) return "0s";
  std::string out;
  for (const auto& u : kUnits) {
    const int64_t unit_ms = u.ns / kMs;
    if (ms >= unit_ms) {
      out += std::to_string(ms / unit_ms) + std::string(u.name);
      ms %= unit_ms;
    }
  }
  return out;
}

std::optional<PromQuery> parse_promql(std::string_view text, std::string& error, std::optional<std::string>* app) {
  error.clear();
  Parser parser(text, error);
  auto q = parser.parse();
  if (app != nullptr) *app = q ? parser.app : std::nullopt;
  return q;
}

std::string promql_text(const PromQuery& q, std::string_view app) {
  const std::string matcher = app.empty() ? "" : "{app=\"" + std::string(app) + "\"}";
  switch (q.kind) {
    case PromQueryKind::kSumGauge:
    case PromQueryKind::kAvgGauge: {
      std::string_view name;
      for (const auto& g : kGauges) {
        if (g.gauge == q.gauge) name = g.name;
      }
      return std::string(q.kind == PromQueryKind::kSumGauge ? "sum(" : "avg(") + std::string(name) + matcher + ")";
    }
    case PromQueryKind::kSumRate: {
      std::string_view name;
      for (const auto& c : kCounters) {
        if (c.counter == q.counter) name = c.name;
      }
      return "sum(rate(" + std::string(name) + matcher + "[" + prometheus_duration_text(q.window.ns) + "]))";
    }
    case PromQueryKind::kHistogramQuantile: {
      std::array<char, 32> buf{};
      const auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), q.quantile);
      const std::string quantile = ec == std::errc() ? std::string(buf.data(), end) : "0.99";
      return "histogram_quantile(" + quantile + ", sum by (le) (rate(" + std::string(kBucket) + matcher + "[" +
             prometheus_duration_text(q.window.ns) + "])))";
    }
  }
  return {};
}

}  // namespace kubemind::scenario
