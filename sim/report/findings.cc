// SPDX-License-Identifier: MIT
#include "sim/report/findings.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <limits>
#include <optional>
#include <string_view>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/report/json_kind.h"

namespace kubemind::report {
namespace {

constexpr double kImbalanceTopShare = 0.5;      // one pod took at least half of the requests
constexpr double kUnusedScaleUpShare = 0.05;    // pods added by scaling served less than this
constexpr double kQueueExplosionDepth = 1000.0;  // waiting requests at one pod
constexpr double kQueueBatchFactor = 10.0;      // a queue of 10 batches is a backlog, not a blip
constexpr double kUnknownBatchSize = 10.0;      // stands in for the batch size when no pod batched
constexpr double kSloObjective = 0.99;          // share of answered requests within the target
constexpr size_t kMaxNamesListed = 5;
constexpr size_t kMaxReasonsListed = 3;

/// A share as a whole percent; more decimals (up to 3) only where rounding would print 0 % for a
/// positive share or 100 % for one below 1, which would say something false.
std::string percent(double share) {
  const double p = 100.0 * share;
  for (int decimals = 0; decimals < 3; ++decimals) {
    const std::string s = fmt::format("{:.{}f}", p, decimals);
    const double shown = std::stod(s);
    const bool false_zero = shown == 0.0 && share > 0.0;
    const bool false_full = shown == 100.0 && share < 1.0;
    if (!false_zero && !false_full) return s + "%";
  }
  return fmt::format("{:.3f}%", p);
}

/// A value already in percent (an HPA's utilization), whole.
std::string whole_percent(double p) { return fmt::format("{:.0f}%", p); }

/// 3 significant digits without an exponent: 1840, 184, 18.4, 1.84, 0.184.
std::string sig3(double v) {
  const double a = std::fabs(v);
  if (a >= 100.0) return fmt::format("{:.0f}", v);
  if (a >= 10.0) return fmt::format("{:.1f}", v);
  if (a >= 1.0) return fmt::format("{:.2f}", v);
  return fmt::format("{:.3g}", v);
}

/// A ratio: 2 significant digits below 10 (0.75, 9.2), whole above (12, 140).
std::string ratio(double v) { return std::fabs(v) < 10.0 ? fmt::format("{:.2g}", v) : fmt::format("{:.0f}", v); }

std::string plural(uint64_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

/// "a, b and c"; beyond kMaxNamesListed: "a, b, c, d, e and 3 more".
std::string name_list(const std::vector<std::string>& names) {
  std::string out;
  const size_t listed = std::min(names.size(), kMaxNamesListed);
  for (size_t i = 0; i < listed; ++i) {
    if (i > 0) out += (i + 1 == listed && listed == names.size()) ? " and " : ", ";
    out += names[i];
  }
  if (names.size() > listed) out += fmt::format(" and {} more", names.size() - listed);
  return out;
}

/// Mean and maximum of the finite values (NaN marks an unavailable sync).
struct FiniteStats {
  size_t n = 0;
  double mean = 0.0;
  double max = 0.0;
};
FiniteStats finite_stats(const std::vector<double>& values) {
  FiniteStats s;
  double sum = 0.0;
  for (const double v : values) {
    if (!std::isfinite(v)) continue;
    s.max = s.n == 0 ? v : std::max(s.max, v);
    sum += v;
    ++s.n;
  }
  if (s.n > 0) s.mean = sum / static_cast<double>(s.n);
  return s;
}

uint64_t total_pod_requests(const RunReport& r) {
  uint64_t total = 0;
  for (const PodReport& p : r.pods) total += p.requests;
  return total;
}

/// Ready at some instant of the measured span [warmup_s, duration_s): Ready before the end and not
/// gone before warm-up ended (a pod gone by then could not receive a counted request).
bool ready_in_measured_span(const RunReport& r, const PodReport& p) {
  if (!p.ready_s) return false;
  if (r.scenario.duration_s > 0.0 && *p.ready_s >= r.scenario.duration_s) return false;
  if (p.gone_s && *p.gone_s <= r.scenario.warmup_s) return false;
  return true;
}

void imbalance(const RunReport& r, std::vector<Finding>& out) {
  const double top_share = r.sli.imbalance.top_share;
  uint64_t ready = 0;
  uint64_t connections = 0;
  const PodReport* busiest = nullptr;  // first of the pods with the most requests
  for (const PodReport& p : r.pods) {
    if (p.ready_s) ++ready;
    connections += p.connections;
    if (busiest == nullptr || p.requests > busiest->requests) busiest = &p;
  }
  if (top_share < kImbalanceTopShare || ready < 2) return;
  Finding f{"imbalance", "problem", "", {}};
  const std::string head =
      fmt::format("{} of requests went to 1 of {} pods ({})", percent(top_share), ready, busiest->name);
  if (connections == 0) {  // nothing open at the end (or no connection model): no cause to name
    f.text = fmt::format("{}; no client connection was open at the end of the run to tell why.", head);
  } else if (connections < ready) {
    f.text = fmt::format(
        "{}: clients held {} for {} pods, so an L4 Service (which balances connections, not requests) pinned "
        "them. Balance per request at L7 (a gRPC-aware proxy or client-side balancing).",
        head, plural(connections, "connection", "connections"), ready);
  } else {
    f.text = fmt::format("{}, though requests were spread over {}.", head,
                         plural(connections, "connection", "connections"));
  }
  f.numbers = {{"top_share", top_share},
               {"ready_pods", static_cast<double>(ready)},
               {"connections", static_cast<double>(connections)},
               {"busiest_pod_requests", static_cast<double>(busiest->requests)}};
  out.push_back(std::move(f));
}

void idle_ready_pods(const RunReport& r, std::vector<Finding>& out) {
  std::vector<std::string> idle;
  uint64_t ready = 0;
  uint64_t scaled = 0;
  for (const PodReport& p : r.pods) {
    if (!ready_in_measured_span(r, p)) continue;
    ++ready;
    if (p.requests != 0) continue;
    idle.push_back(p.name);
    if (p.created_s > 0.0) ++scaled;
  }
  if (idle.empty()) return;
  const auto k = static_cast<uint64_t>(idle.size());
  Finding f{"idle-ready-pods", "problem", "", {}};
  f.text = fmt::format("{} of {} Ready pods received no requests ({})", k, ready, name_list(idle));
  if (scaled == k) {
    f.text += k == 1 ? "; it was started by scaling during the run, and traffic never reached it."
                     : "; all were started by scaling during the run, and traffic never reached them.";
  } else if (scaled > 0) {
    f.text += fmt::format("; {} of them {} started by scaling during the run.", scaled, scaled == 1 ? "was" : "were");
  } else {
    f.text += ".";
  }
  f.numbers = {{"idle_pods", static_cast<double>(k)},
               {"ready_pods", static_cast<double>(ready)},
               {"idle_pods_from_scaling", static_cast<double>(scaled)}};
  out.push_back(std::move(f));
}

/// 10 x the pods' mean batch size (mean over the pods that ran a batch), 10 x 10 when none did.
double queue_threshold(const RunReport& r) {
  double sum = 0.0;
  size_t n = 0;
  for (const PodReport& p : r.pods) {
    if (p.mean_batch_size <= 0.0) continue;
    sum += p.mean_batch_size;
    ++n;
  }
  return kQueueBatchFactor * (n > 0 ? sum / static_cast<double>(n) : kUnknownBatchSize);
}

void scaling_metric_blind(const RunReport& r, std::vector<Finding>& out) {
  const AutoscalingReport& a = r.autoscaling;
  const double threshold = queue_threshold(r);
  for (const ControllerTraceReport& t : a.traces) {
    const bool hpa = t.controller.starts_with("hpa/") || t.controller.starts_with("keda-hpa-");
    if (!hpa || (t.metric != "cpu" && t.metric != "memory") || t.unit != "percent") continue;
    const FiniteStats seen = finite_stats(t.seen);
    if (seen.n == 0) continue;
    // The target from the controller's last event that carried this metric.
    std::optional<double> target;
    bool any_event = false;
    for (const ScalingEventReport& e : a.events) {
      if (e.controller != t.controller) continue;
      any_event = true;
      for (const ScalingMetricReport& m : e.metrics) {
        if (m.metric == t.metric) target = m.target;
      }
    }
    // Events that never carried this metric (another metric decided): nothing to compare with.
    if (!target && any_event) continue;
    std::optional<double> max_queue;
    for (const ControllerTraceReport& q : a.traces) {
      if (q.controller != t.controller || q.metric != "queue_depth") continue;
      const FiniteStats truth = finite_stats(q.truth);
      if (truth.n > 0) max_queue = max_queue ? std::max(*max_queue, truth.max) : truth.max;
    }
    if (!max_queue || *max_queue <= threshold) continue;
    if (target && seen.mean >= *target) continue;
    const char* what = t.metric == "cpu" ? "CPU" : "memory";
    // Whole percents, but never "saw 60% (target 60%)" for a mean just below the target.
    std::string seen_text = whole_percent(seen.mean);
    if (target && seen_text == whole_percent(*target)) seen_text = fmt::format("{:.1f}%", seen.mean);
    Finding f{"scaling-metric-blind", "problem", "", {}};
    if (target) {
      f.text = fmt::format(
          "The HPA {} saw {} {} on average (target {}) while the queue depth reached {}: the scaling metric does "
          "not measure the bottleneck (the GPU queue). Scale on queue depth instead (e.g. KEDA).",
          t.controller, seen_text, what, whole_percent(*target), sig3(*max_queue));
      f.numbers.emplace("target_percent", *target);
    } else {
      f.text = fmt::format(
          "The HPA {} saw {} {} on average and never scaled while the queue depth reached {}: the scaling metric "
          "does not measure the bottleneck (the GPU queue). Scale on queue depth instead (e.g. KEDA).",
          t.controller, seen_text, what, sig3(*max_queue));
    }
    f.numbers.emplace("seen_mean_percent", seen.mean);
    f.numbers.emplace("max_queue_depth", *max_queue);
    f.numbers.emplace("queue_depth_threshold", threshold);
    out.push_back(std::move(f));
  }
}

void scaled_but_unused(const RunReport& r, std::vector<Finding>& out) {
  const TimeSeries& ts = r.timeseries;
  const uint64_t total = total_pod_requests(r);
  if (total == 0) return;
  for (size_t i = 0; i < ts.deployment_names.size() && i < ts.replicas.size(); ++i) {
    const std::vector<double>& replicas = ts.replicas[i];
    if (replicas.empty()) continue;
    const double first = replicas.front();
    const double max = *std::max_element(replicas.begin(), replicas.end());
    if (!(max > first)) continue;
    const std::string& deployment = ts.deployment_names[i];
    uint64_t added = 0;
    uint64_t served = 0;
    for (const PodReport& p : r.pods) {
      if (p.deployment != deployment || p.created_s <= 0.0) continue;
      ++added;
      served += p.requests;
    }
    const double share = static_cast<double>(served) / static_cast<double>(total);
    if (share >= kUnusedScaleUpShare) continue;
    Finding f{"scaled-but-unused", "warning", "", {}};
    f.text = fmt::format(
        "{} scaled from {} to {} replicas, but the {} started during the run served {} of requests ({} of {}): "
        "scaling added capacity that traffic did not use.",
        deployment, first, max, plural(added, "pod", "pods"), percent(share), served, total);
    f.numbers = {{"replicas_first", first},
                 {"replicas_max", max},
                 {"pods_added", static_cast<double>(added)},
                 {"pods_added_share", share},
                 {"pods_added_requests", static_cast<double>(served)},
                 {"requests", static_cast<double>(total)}};
    out.push_back(std::move(f));
  }
}

void queue_explosion(const RunReport& r, std::vector<Finding>& out) {
  const PodReport* worst = nullptr;  // first of the pods with the longest queue
  for (const PodReport& p : r.pods) {
    if (worst == nullptr || p.max_queue_depth > worst->max_queue_depth) worst = &p;
  }
  if (worst == nullptr || worst->max_queue_depth < kQueueExplosionDepth) return;
  Finding f{"queue-explosion", "problem", "", {}};
  f.text = fmt::format(
      "The queue of pod {} reached {} waiting requests while it took {} of requests: requests arrived faster "
      "than it could serve them.",
      worst->name, sig3(worst->max_queue_depth), percent(worst->share));
  f.numbers = {{"max_queue_depth", worst->max_queue_depth}, {"share", worst->share}};
  out.push_back(std::move(f));
}

/// A proxy whose workers are the bottleneck: requests wait for a worker longer than the work takes,
/// many at once, while the pods behind it keep short queues. One finding per proxy pod that qualifies.
void proxy_bottleneck(const RunReport& r, std::vector<Finding>& out) {
  double pods_queue = 0.0;  // mean requests waiting, summed over the pods
  for (const PodReport& p : r.pods) pods_queue += p.mean_queue_depth;
  for (const ProxyReport& x : r.proxies) {
    if (x.max_worker_queue < kQueueExplosionDepth || x.mean_worker_wait_ms <= 10.0 * x.cpu_per_request_ms) continue;
    Finding f{"proxy-bottleneck", "problem", "", {}};
    const double capacity_rps = x.cpu_per_request_ms > 0 ? 1e3 * x.workers / x.cpu_per_request_ms : 0.0;
    f.text = fmt::format(
        "Requests queued for a worker of proxy {}: up to {} at once, {} ms on average; its workers ({} x {} ms of CPU "
        "per request: {} requests/s) were the bottleneck, while the pods' queues held {} requests on average in all. "
        "An autoscaler on the pods' queue or GPU does not see this queue.",
        x.name, sig3(x.max_worker_queue), sig3(x.mean_worker_wait_ms), x.workers, x.cpu_per_request_ms,
        sig3(capacity_rps), sig3(pods_queue));
    f.numbers = {{"max_worker_queue", x.max_worker_queue},
                 {"mean_worker_wait_ms", x.mean_worker_wait_ms},
                 {"capacity_rps", capacity_rps},
                 {"pods_mean_queue", pods_queue}};
    out.push_back(std::move(f));
  }
}

/// Requests answered by a cheaper quality tier (server.degraded) because queues were long.
void degraded_quality(const RunReport& r, std::vector<Finding>& out) {
  uint64_t degraded = 0;
  std::vector<std::string> pods;
  for (const PodReport& p : r.pods) {
    degraded += p.degraded_requests;
    if (p.degraded_requests > 0) pods.push_back(p.name);
  }
  if (degraded == 0) return;
  const double served = static_cast<double>(r.sli.requests.completed);
  Finding f{"quality-degraded", "warning", "", {}};
  f.text = fmt::format(
      "{} requests were answered by the cheaper quality tier on {} pods (about {} of the requests completed): their "
      "queues passed the tier's threshold, so latency held at the cost of answer quality.",
      degraded, pods.size(), percent(served > 0 ? static_cast<double>(degraded) / served : 0.0));
  f.numbers = {{"degraded_requests", static_cast<double>(degraded)}, {"pods", static_cast<double>(pods.size())}};
  out.push_back(std::move(f));
}

/// Nodes that failed: how long the control plane kept routing to them, and the timeouts that followed.
void node_failures(const RunReport& r, std::vector<Finding>& out) {
  const auto& failures = r.cluster.node_failures;
  if (failures.empty()) return;
  std::vector<std::string> zones;
  double first_s = failures.front().failed_s, detect_s = 0.0;
  uint64_t pods = 0;
  for (const NodeFailureReport& f : failures) {
    if (std::find(zones.begin(), zones.end(), f.zone) == zones.end()) zones.push_back(f.zone);
    first_s = std::min(first_s, f.failed_s);
    if (f.not_ready_s) detect_s = std::max(detect_s, *f.not_ready_s - f.failed_s);
    pods += f.pods;
  }
  std::string zone_list;
  for (const std::string& z : zones) zone_list += (zone_list.empty() ? "" : ", ") + z;
  const auto failed_with = [&r](const char* reason) -> uint64_t {
    const auto it = r.sli.requests.failed_by_reason.find(reason);
    return it == r.sli.requests.failed_by_reason.end() ? 0 : it->second;
  };
  const uint64_t timeouts = failed_with("timeout");
  const uint64_t unavailable = failed_with("no_healthy_upstream");
  uint64_t pending = 0;  // pods created after the failure (replacements) that no node took by the end
  for (const PodReport& p : r.pods) pending += p.created_s >= first_s && p.node.empty() ? 1 : 0;
  const std::string pending_text =
      pending == 0 ? std::string()
                   : fmt::format(" {} pods created after the failure (replacements of evicted pods) were still Pending at "
                                 "the end: a DoNotSchedule topology spread still counts the failed zone as a domain.",
                                 pending);
  Finding f{"node-failure", "problem", "", {}};
  f.text = fmt::format(
      "{} nodes failed (zone {}; first at {} s), holding {} pods. Their endpoints stayed published for {} s, until the "
      "node lifecycle controller marked the nodes NotReady; connections already pinned to them stay silent (a dead "
      "machine sends no RST), so their calls end only at a deadline, a proxy's timeout or the kernel's retransmission "
      "abort (~15 min), and connections dialled to them meanwhile hold their calls until the connect timeout (gRPC "
      "20 s, Envoy 5 s): {} requests timed out, {} failed with no healthy upstream. gRPC keepalive or an L7 proxy with "
      "timeouts and outlier detection bounds this.{}",
      failures.size(), zone_list, sig3(first_s), pods, sig3(detect_s), timeouts, unavailable, pending_text);
  f.numbers = {{"nodes", static_cast<double>(failures.size())},
               {"first_failure_s", first_s},
               {"detection_s", detect_s},
               {"timeouts", static_cast<double>(timeouts)},
               {"no_healthy_upstream", static_cast<double>(unavailable)},
               {"pending_replacements", static_cast<double>(pending)}};
  out.push_back(std::move(f));
}

/// Pods displaced by the cluster itself: preempted for higher-priority pods, or moved off reclaimed spot nodes.
void displaced_pods(const RunReport& r, std::vector<Finding>& out) {
  const ClusterReport& c = r.cluster;
  if (c.preemptions == 0 && c.spot_interruptions == 0) return;
  Finding f{"pods-displaced", "info", "", {}};
  f.text = fmt::format(
      "The scheduler preempted {} lower-priority pods to place higher-priority ones at once (without waiting for "
      "new nodes), and {} spot nodes were reclaimed (their pods were deleted at the notice and replaced elsewhere).",
      c.preemptions, c.spot_interruptions);
  f.numbers = {{"preemptions", static_cast<double>(c.preemptions)},
               {"spot_interruptions", static_cast<double>(c.spot_interruptions)}};
  out.push_back(std::move(f));
}

/// Pod creations refused by ResourceQuota admission, per quota that refused any.
void quota_blocked(const RunReport& r, std::vector<Finding>& out) {
  for (const QuotaReport& q : r.cluster.quotas) {
    if (q.rejections == 0) continue;
    Finding f{"quota-blocked", "warning", "", {}};
    const std::string blocked = name_list(q.blocked_deployments);
    f.text = fmt::format("{} refused by ResourceQuota {} in namespace {}; {}.",
                         plural(q.rejections, "pod creation was", "pod creations were"), q.name, q.ns,
                         blocked.empty() ? "every Deployment of the namespace reached its desired replicas by the end"
                                         : fmt::format("{} stayed below {} desired replicas",
                                                       q.blocked_deployments.size() == 1 ? "the Deployment " + blocked
                                                                                         : "the Deployments " + blocked,
                                                       q.blocked_deployments.size() == 1 ? "its" : "their"));
    f.numbers = {{"rejections", static_cast<double>(q.rejections)},
                 {"blocked_deployments", static_cast<double>(q.blocked_deployments.size())}};
    out.push_back(std::move(f));
  }
}

/// What each hop of a proxy chain adds to a request on average (worker wait + CPU + round trip).
void proxy_hops(const RunReport& r, std::vector<Finding>& out) {
  if (r.proxies.empty()) return;
  std::string hops;
  double total = 0.0;
  for (const ProxyReport& x : r.proxies) {
    hops += fmt::format("{}{} {} ms", hops.empty() ? "" : ", ", x.name, sig3(x.hop_ms));
    total += x.hop_ms;
  }
  Finding f{"proxy-hops", "info", "", {}};
  f.text = fmt::format("Each proxy hop added on average (worker wait + CPU + upstream round trip): {}.", hops);
  f.numbers = {{"hops_ms_sum", total}};
  out.push_back(std::move(f));
}

void slo(const RunReport& r, std::vector<Finding>& out) {
  const SloSummary& s = r.sli.slo;
  if (!s.target_ms || !s.attainment) return;
  const double target = *s.target_ms;
  const double attainment = *s.attainment;
  const double p99 = r.sli.latency_ms.p99;
  const bool met = attainment >= kSloObjective && p99 <= target;
  Finding f{met ? "slo-met" : "slo-missed", met ? "info" : "problem", "", {}};
  f.text = fmt::format("The SLO (latency <= {} ms for {} of requests) was {}: {} of answered requests were within it; "
                       "p99 was {} ms ({}x the target).",
                       target, percent(kSloObjective), met ? "met" : "missed", percent(attainment), sig3(p99),
                       ratio(target > 0.0 ? p99 / target : 0.0));
  f.numbers = {{"target_ms", target},
               {"objective", kSloObjective},
               {"attainment", attainment},
               {"p99_ms", p99},
               {"p99_over_target", target > 0.0 ? p99 / target : 0.0}};
  out.push_back(std::move(f));
}

struct Stage {
  const char* words;
  double ColdStartReport::*seconds;
};
constexpr std::array<Stage, 9> kStages = {{{"scheduling (pending)", &ColdStartReport::pending_s},
                                           {"node provisioning", &ColdStartReport::node_provisioning_s},
                                           {"admission", &ColdStartReport::admission_s},
                                           {"image pull", &ColdStartReport::image_pull_s},
                                           {"weight load", &ColdStartReport::weight_load_s},
                                           {"container start", &ColdStartReport::container_start_s},
                                           {"warm-up", &ColdStartReport::warm_up_s},
                                           {"readiness wait", &ColdStartReport::readiness_wait_s},
                                           {"endpoint publishing", &ColdStartReport::endpoint_publish_s}}};

void cold_starts(const RunReport& r, std::vector<Finding>& out) {
  uint64_t started = 0;
  uint64_t ready = 0;
  double to_ready_sum = 0.0;
  std::array<double, kStages.size()> stage_sum{};
  for (const PodReport& p : r.pods) {
    if (!p.cold_start) continue;
    ++started;
    if (!p.ready_s) continue;  // the stages of a pod that never got Ready are incomplete
    ++ready;
    to_ready_sum += p.cold_start->to_ready_s;
    for (size_t s = 0; s < kStages.size(); ++s) stage_sum[s] += (*p.cold_start).*kStages[s].seconds;
  }
  if (started == 0) return;
  Finding f{"cold-starts", "info", "", {}};
  f.numbers = {{"pods", static_cast<double>(started)}, {"pods_ready", static_cast<double>(ready)}};
  if (ready == 0) {
    f.text = fmt::format("{} started during the run; none became Ready.", plural(started, "pod", "pods"));
    out.push_back(std::move(f));
    return;
  }
  const double n = static_cast<double>(ready);
  size_t largest = 0;  // the first stage with the largest mean
  for (size_t s = 1; s < kStages.size(); ++s) {
    if (stage_sum[s] > stage_sum[largest]) largest = s;
  }
  const double mean_to_ready = to_ready_sum / n;
  const double stage_mean = stage_sum[largest] / n;
  const double stage_share = mean_to_ready > 0.0 ? stage_mean / mean_to_ready : 0.0;
  f.text = fmt::format(
      "{} started during the run ({} became Ready), taking {} s on average from creation to Ready; the largest "
      "stage was {} ({} s on average, {} of it).",
      plural(started, "pod", "pods"), ready, sig3(mean_to_ready), kStages[largest].words, sig3(stage_mean),
      percent(stage_share));
  f.numbers.emplace("mean_to_ready_s", mean_to_ready);
  f.numbers.emplace("largest_stage_mean_s", stage_mean);
  f.numbers.emplace("largest_stage_share", stage_share);
  out.push_back(std::move(f));
}

void errors(const RunReport& r, std::vector<Finding>& out) {
  const RequestCounts& c = r.sli.requests;
  if (c.failed == 0) return;
  // Reasons by count, most first; equal counts by name (the map's order, kept by stable_sort).
  std::vector<std::pair<std::string, uint64_t>> reasons(c.failed_by_reason.begin(), c.failed_by_reason.end());
  std::stable_sort(reasons.begin(), reasons.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  const double share = c.sent > 0 ? static_cast<double>(c.failed) / static_cast<double>(c.sent) : 0.0;
  Finding f{"errors", "warning", "", {}};
  f.text = fmt::format("{} of {} requests failed ({})", c.failed, c.sent, percent(share));
  f.numbers = {
      {"failed", static_cast<double>(c.failed)}, {"sent", static_cast<double>(c.sent)}, {"failed_share", share}};
  const size_t listed = std::min(reasons.size(), kMaxReasonsListed);
  for (size_t i = 0; i < listed; ++i) {
    f.text += fmt::format("{}{} {}", i == 0 ? ": " : ", ", reasons[i].first, reasons[i].second);
    f.numbers.emplace("failed_" + reasons[i].first, static_cast<double>(reasons[i].second));
  }
  if (reasons.size() > listed) f.text += fmt::format(" and {} other reason(s)", reasons.size() - listed);
  f.text += ".";
  out.push_back(std::move(f));
}

void cost(const RunReport& r, std::vector<Finding>& out) {
  const ClusterReport& c = r.cluster;
  if (c.unlimited) return;
  Finding f{"cost", "info", "", {}};
  f.text = fmt::format("The cluster used {} GPU-hours, costing ${:.2f}.", sig3(c.gpu_hours), c.cost_usd);
  f.numbers = {{"gpu_hours", c.gpu_hours}, {"cost_usd", c.cost_usd}};
  out.push_back(std::move(f));
}

// ---------------------------------------------------------------------------------------------------
// explain

using nlohmann::ordered_json;

/// One finding read back; numbers that are null (non-finite when written) become NaN.
Finding finding_from_json(const ordered_json& j, const std::string& source, size_t index) {
  // "SOURCE: /findings/I/suffix: expected what, got kind" (one line).
  const auto fail = [&](const std::string& suffix, std::string_view what, const ordered_json& got) {
    throw ExplainError(
        fmt::format("{}: /findings/{}{}: expected {}, got {}", source, index, suffix, what, json_kind(got)));
  };
  if (!j.is_object()) fail("", "a finding (an object)", j);
  Finding f;
  const std::array<std::pair<const char*, std::string*>, 3> fields = {
      {{"id", &f.id}, {"severity", &f.severity}, {"text", &f.text}}};
  for (const auto& [key, field] : fields) {
    const auto it = j.find(key);
    if (it == j.end()) {
      throw ExplainError(fmt::format("{}: /findings/{}: expected a finding with \"{}\", got none", source, index, key));
    }
    if (!it->is_string()) fail(fmt::format("/{}", key), "a string", *it);
    *field = it->get<std::string>();
  }
  const auto numbers = j.find("numbers");
  if (numbers != j.end() && !numbers->is_null()) {
    if (!numbers->is_object()) fail("/numbers", "an object", *numbers);
    for (const auto& item : numbers->items()) {
      const ordered_json& v = item.value();
      if (v.is_null()) {
        f.numbers.emplace(item.key(), std::numeric_limits<double>::quiet_NaN());
      } else if (v.is_number()) {
        f.numbers.emplace(item.key(), v.get<double>());
      } else {
        fail(fmt::format("/numbers/{}", item.key()), "a number", v);
      }
    }
  }
  return f;
}

}  // namespace

std::vector<Finding> find_findings(const RunReport& report) {
  std::vector<Finding> out;
  imbalance(report, out);
  idle_ready_pods(report, out);
  scaling_metric_blind(report, out);
  scaled_but_unused(report, out);
  queue_explosion(report, out);
  proxy_bottleneck(report, out);
  degraded_quality(report, out);
  slo(report, out);
  cold_starts(report, out);
  errors(report, out);
  node_failures(report, out);
  displaced_pods(report, out);
  quota_blocked(report, out);
  proxy_hops(report, out);
  cost(report, out);
  return out;
}

std::string findings_to_text(const std::vector<Finding>& findings) {
  if (findings.empty()) return "(no findings)\n";
  std::string out;
  for (const Finding& f : findings) fmt::format_to(std::back_inserter(out), "- [{}] {}\n", f.severity, f.text);
  return out;
}

std::string explain_report(const std::string& text, const std::string& source, bool as_json) {
  const ordered_json doc = ordered_json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    throw ExplainError(fmt::format(
        "{}: expected a kubemind report (JSON from kubemind run --format json), got text that is not JSON", source));
  }
  if (!doc.is_object()) {
    throw ExplainError(fmt::format("{}: expected a kubemind report (a JSON object), got {}", source, json_kind(doc)));
  }
  const auto it = doc.find("findings");
  if (it == doc.end() || !it->is_array()) {
    throw ExplainError(fmt::format("{}: expected a kubemind report with findings (run it with this version)", source));
  }
  std::vector<Finding> findings;
  for (size_t i = 0; i < it->size(); ++i) findings.push_back(finding_from_json((*it)[i], source, i));
  if (as_json) return it->dump(2) + "\n";
  return findings_to_text(findings);
}

}  // namespace kubemind::report
