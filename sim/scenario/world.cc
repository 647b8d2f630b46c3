// SPDX-License-Identifier: MIT
#include "sim/scenario/world.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <array>
#include <limits>
#include <map>
#include <memory>
#include <vector>

#include "sim/balance/activator.h"
#include "sim/balance/kube_proxy.h"
#include "sim/balance/l7_proxy.h"
#include "sim/cluster/cluster.h"
#include "sim/control/hpa_controller.h"
#include "sim/control/keda_controller.h"
#include "sim/control/kpa_controller.h"
#include "sim/control/metrics_server.h"
#include "sim/control/prometheus.h"
#include "sim/engine/rng.h"
#include "sim/engine/simulator.h"
#include "sim/net/channel.h"
#include "sim/net/endpoint.h"
#include "sim/report/findings.h"
#include "sim/report/sli_collector.h"
#include "sim/scenario/config_json.h"
#include "sim/serve/continuous_batching_server.h"
#include "sim/serve/cpu_server.h"
#include "sim/serve/inference_server.h"
#include "sim/serve/model_server.h"
#include "sim/serve/node_cpu.h"
#include "sim/traffic/client.h"

namespace kubemind::scenario {
namespace {

using cluster::PodId;
using engine::Duration;
using engine::SimTime;

/// Number of slices a run is cut into for progress reports.
constexpr int kProgressSlices = 100;
/// Endpoint ids of proxies start here; pods use their cluster index.
constexpr uint32_t kProxyEndpointBase = 1u << 30;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Without a `cluster` section: one node that fits every pod, free and Ready at t = 0.
cluster::ClusterConfig unlimited_cluster(cluster::ClusterConfig c) {
  cluster::NodePoolConfig pool;
  pool.name = "unlimited";
  // Large enough for any pod the loader accepts, small enough that the scheduler's scores
  // ((allocatable - requested) x 100) stay inside int64.
  pool.allocatable_cpu_millicores = int64_t{1} << 40;
  pool.allocatable_memory_bytes = int64_t{1} << 55;
  pool.gpu_count = int32_t{1} << 20;
  pool.initial_nodes = 1;
  pool.max_nodes = 1;
  pool.min_nodes = 1;
  c.pools = {pool};
  c.autoscaler.enabled = false;
  c.autoscaler.scale_down_enabled = false;
  return c;
}

bool selects(const std::map<std::string, std::string>& selector, const std::map<std::string, std::string>& labels) {
  for (const auto& [key, value] : selector) {
    const auto it = labels.find(key);
    if (it == labels.end() || it->second != value) return false;
  }
  return true;
}

/// A pod's IP:port as the data plane reaches it: requests go to its server while the process runs;
/// before the container starts and after the process ends, nothing listens (the stream is reset).
class PodPort final : public traffic::RequestSink, public traffic::ResponseSink {
 public:
  /// `interceptable`: the pod's node may fail (the scenario has failure events), so the port stays on
  /// the reply path of every request and can swallow answers once the pod is unreachable.
  PodPort(traffic::RequestTable& requests, bool interceptable) : requests_(requests), interceptable_(interceptable) {}
  void on_request(traffic::RequestId id) override {
    traffic::Request& r = requests_[id];
    if (unreachable_) return;  // sent into a dead machine: no answer, no reset; deadlines and timeouts act
    if (server_ != nullptr) {
      if (interceptable_) r.push_reply(this);
      server_->on_request(id);
      return;
    }
    r.outcome = traffic::Outcome::kReset;
    r.pop_reply()->on_response(id);
  }
  void on_response(traffic::RequestId id) override {
    if (unreachable_) return;  // the answer never leaves the failed node
    requests_[id].pop_reply()->on_response(id);
  }
  /// The pod's node failed: nothing it sends or is sent arrives any more (no RST, no GOAWAY).
  void set_unreachable() {
    SIM_CHECK(interceptable_, "a pod became unreachable in a scenario without failure events");
    unreachable_ = true;
  }
  /// A dead machine answers no SYN (the dialer's connect timeout acts); on a live one, nothing
  /// listens before the container starts or after the process ends: a dial is refused.
  traffic::DialAnswer answer_dial() const override {
    if (unreachable_) return traffic::DialAnswer::kNoAnswer;
    return server_ != nullptr ? traffic::DialAnswer::kAccept : traffic::DialAnswer::kRefuse;
  }
  /// The running process (nullptr: none).
  void set_server(serve::ModelServer* server) { server_ = server; }

 private:
  traffic::RequestTable& requests_;
  serve::ModelServer* server_ = nullptr;
  bool interceptable_ = false;
  bool unreachable_ = false;
};

/// Everything the world keeps per pod, indexed by the pod's cluster index (= endpoint id = the SLI
/// collector's server index).
struct PodRuntime {
  std::string name;
  int32_t deployment = -1;  // index into config.deployments, -1 for a bare pod
  size_t bare = 0;          // index into config.pods for a bare pod
  std::map<std::string, std::string> labels;
  std::unique_ptr<PodPort> port;
  std::unique_ptr<net::FixedDialer> address;  // the pod IP
  std::unique_ptr<serve::ModelServer> server;
  bool published = false;
  // Integrals at the end of warm-up (pods whose server existed then) and at the last row boundary.
  double warmup_busy = 0, warmup_waiting = 0, warmup_cpu_s = 0;
  double last_waiting = 0, last_in_system = 0;
  /// request_duration_seconds: answered requests per bucket of kDurationBucketsS (not cumulative;
  /// the last entry counts those above 10 s, the +Inf bucket's own share).
  std::array<uint64_t, 12> duration_counts{};
  // CPU-seconds at the last two row boundaries: the "true" CPU rate reports compare the HPA with.
  double cpu_at_boundary[2] = {0, 0};
  SimTime boundary[2];
};

/// A Service as the data plane sees it: its published pods, and what its DNS name resolves to.
struct ServiceWiring {
  const ServiceConfig* config = nullptr;
  std::vector<uint32_t> endpoints;                 // published selected pods, in pod order
  std::unique_ptr<balance::KubeProxy> kube_proxy;  // ClusterIP only
  net::StaticResolver resolver;
  std::vector<size_t> proxies;                     // proxy replicas (indices into proxies_) fed by it
};

class World;

/// The buckets of every pod's request_duration_seconds histogram: the Prometheus client libraries'
/// defaults (client_golang prometheus.DefBuckets), in seconds, then +Inf.
inline constexpr std::array<double, 12> kDurationBucketsS = {
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, std::numeric_limits<double>::infinity()};

/// One Deployment as the control plane sees it: its pods (the HPA's informer, metrics-server's and
/// Prometheus' targets) and its scale subresource.
class DeploymentView final : public control::PodSource, public control::ScaleTarget {
 public:
  DeploymentView(World& world, cluster::DeploymentId id) : world_(world), id_(id) {}
  void list_pods(std::vector<control::WorldPod>& out) const override;
  bool read_resources(uint64_t uid, control::PodResourceSample& out) const override;
  bool read_gauge(uint64_t uid, control::AppGauge gauge, double& out) const override;
  bool read_counter(uint64_t uid, control::AppCounter counter, double& out) const override;
  /// request_duration_seconds: from a request's arrival at the pod to its answer (observed when the
  /// answer reaches the client, so the reply's network hop is included), requests answered OK.
  std::span<const double> histogram_bounds_s() const override { return kDurationBucketsS; }
  bool read_histogram(uint64_t uid, std::span<double> cumulative_counts) const override;
  control::ScaleSubresource scale() const override;
  void set_replicas(int32_t replicas) override;

 private:
  const serve::ModelServer* running_server(uint64_t uid) const;
  World& world_;
  cluster::DeploymentId id_;
};

/// A scrape target that runs for the whole run (an activator, a proxy pod): Running and Ready from t = 0.
control::WorldPod always_ready_target(uint64_t uid, std::string name) {
  control::WorldPod w;
  w.uid = uid;
  w.info.name = std::move(name);
  w.info.start_time = SimTime::zero();
  w.info.ready = control::PodReadyCondition{control::ConditionStatus::kTrue, SimTime::zero()};
  return w;
}

/// The Knative activator's own stat, as its autoscaler reads it: one target (uid 1) exporting the
/// requests it holds (buffered or proxied) the way a queue-proxy does.
class ActivatorStat final : public control::PodSource {
 public:
  ActivatorStat(const balance::Activator& activator, const engine::Simulator& sim) : activator_(activator), sim_(sim) {}
  void list_pods(std::vector<control::WorldPod>& out) const override {
    out.assign(1, always_ready_target(1, "activator"));
  }
  bool read_resources(uint64_t, control::PodResourceSample&) const override { return false; }
  bool read_gauge(uint64_t, control::AppGauge gauge, double& out) const override {
    if (gauge != control::AppGauge::kInflight) return false;
    out = static_cast<double>(activator_.in_flight());
    return true;
  }
  bool read_counter(uint64_t, control::AppCounter counter, double& out) const override {
    out = counter == control::AppCounter::kRequestsTotal ? static_cast<double>(activator_.requests_total())
                                                         : activator_.in_flight_seconds_total(sim_.now());
    return true;
  }
  std::span<const double> histogram_bounds_s() const override { return {}; }
  bool read_histogram(uint64_t, std::span<double>) const override { return false; }

 private:
  const balance::Activator& activator_;
  const engine::Simulator& sim_;
};

/// A proxy's pods as a Prometheus job sees them (Envoy's stats): requests it received
/// (downstream_rq_total) and the requests it holds now (downstream_rq_active), exported as
/// requests_total and queue_depth / inflight_requests. They exist while the Deployment behind it
/// has no pod, which is what scaling from zero needs.
class ProxySource final : public control::PodSource {
 public:
  explicit ProxySource(std::vector<const balance::L7Proxy*> replicas) : replicas_(std::move(replicas)) {}
  void list_pods(std::vector<control::WorldPod>& out) const override {
    out.clear();
    for (size_t r = 0; r < replicas_.size(); ++r) out.push_back(always_ready_target(r + 1, "proxy-" + std::to_string(r)));
  }
  bool read_resources(uint64_t, control::PodResourceSample&) const override { return false; }
  bool read_gauge(uint64_t uid, control::AppGauge gauge, double& out) const override {
    const balance::L7Proxy* p = replica(uid);
    if (p == nullptr || gauge == control::AppGauge::kGpuUtilization) return false;
    out = static_cast<double>(p->active_requests());
    return true;
  }
  bool read_counter(uint64_t uid, control::AppCounter counter, double& out) const override {
    const balance::L7Proxy* p = replica(uid);
    if (p == nullptr || counter != control::AppCounter::kRequestsTotal) return false;
    out = static_cast<double>(p->received());
    return true;
  }
  std::span<const double> histogram_bounds_s() const override { return {}; }
  bool read_histogram(uint64_t, std::span<double>) const override { return false; }

 private:
  const balance::L7Proxy* replica(uint64_t uid) const {
    return uid >= 1 && uid <= replicas_.size() ? replicas_[uid - 1] : nullptr;
  }
  std::vector<const balance::L7Proxy*> replicas_;
};

/// The autoscaler of one Deployment with its own metrics pipeline.
struct Autoscaler {
  const AutoscalerConfig* config = nullptr;
  std::unique_ptr<control::MetricsServer> metrics_server;
  std::unique_ptr<control::Prometheus> prometheus;
  std::unique_ptr<ProxySource> proxy_source;  // a ScaledObject reading a proxy's series
  std::unique_ptr<control::PrometheusAdapter> adapter;
  std::unique_ptr<control::HpaController> hpa;
  std::unique_ptr<control::KedaController> keda;
  std::unique_ptr<control::KpaController> kpa;
  // Knative: the activator in front of the revision, its random stream and its stat.
  std::unique_ptr<engine::RngStream> activator_rng;
  std::unique_ptr<balance::Activator> activator;
  std::unique_ptr<ActivatorStat> activator_stat;
  std::unique_ptr<net::FixedDialer> activator_address;
  size_t deployment = 0;
};

class World final : public traffic::RequestObserver,
                    public balance::EndpointMetricsSource,
                    public cluster::PodLifecycleListener,
                    public serve::ServerIdleListener,
                    public serve::TokenTimingObserver {
 public:
  World(const ScenarioConfig& config, traffic::RequestObserver* observer)
      : config_(config),
        end_(SimTime::from_seconds(config.duration_s)),
        warmup_(SimTime::from_seconds(config.warmup_s)),
        interval_(Duration::from_seconds(config.report.interval_s)),
        observer_(observer),
        sli_(report::SliCollectorConfig{warmup_, end_, interval_, config.slo.latency_ms, 0}),
        cluster_(sim_, config.cluster.unlimited ? unlimited_cluster(config.cluster.cluster) : config.cluster.cluster) {
    cluster_.add_listener(this);
    if (config.clients.size() > 1 && config.clients.size() <= report::kMaxClientReports) {
      client_sli_.resize(config.clients.size());
    }
    for (const ServiceConfig& svc : config.services) {
      ServiceWiring& w = services_.emplace_back();
      w.config = &svc;
      if (!svc.headless) {
        w.kube_proxy = std::make_unique<balance::KubeProxy>(
            sim_, engine::RngStream(config.seed, "service/" + svc.name, "kube_proxy"), config.kube_proxy);
        w.resolver.set_addresses({w.kube_proxy.get()});
      }
    }
    // The pods that exist when the run starts: created, scheduled, and running in steady state.
    for (size_t i = 0; i < config.pods.size(); ++i) {
      if (!config.pods[i].deployment.empty()) continue;
      next_bare_ = i;
      cluster::PodSpec spec = config.pods[i].pod;
      cluster_.create_pod(spec);
    }
    for (const DeploymentConfig& d : config.deployments) {
      cluster::DeploymentSpec spec;
      spec.name = d.name;
      spec.replicas = d.replicas;
      spec.pod = d.pod;
      spec.max_surge = d.max_surge;
      spec.max_unavailable = d.max_unavailable;
      deployment_ids_.push_back(cluster_.create_deployment(spec));
      deployment_names_.push_back(d.name);
      pods_created_.push_back(0);
    }
    sim_.run_until(SimTime::zero());
    cluster_.warm_start();
    build_proxies();
    client_channel_.assign(config.clients.size(), nullptr);
    for (size_t i = 0; i < config.clients.size(); ++i) {
      const ClientConfig& c = config.clients[i];
      clients_.push_back(std::make_unique<traffic::Client>(
          sim_, engine::RngStream(config.seed, "client/" + c.client.name, "arrivals"),
          engine::RngStream(config.seed, "client/" + c.client.name, "behaviour"), requests_, c.client,
          static_cast<uint32_t>(i), client_target(c), *this));
    }
    build_autoscalers();
    for (Autoscaler& a : autoscalers_) {
      if (a.activator) {
        a.kpa = std::make_unique<control::KpaController>(sim_, "kpa/" + a.config->name, a.config->kpa,
                                                         *views_[a.deployment], *views_[a.deployment],
                                                         a.activator_stat.get());
      }
    }
    for (size_t k = 0; k < config.events.size(); ++k) {
      sim_.schedule_at<&World::on_scenario_event>(SimTime::from_seconds(config.events[k].at_s), this, k);
    }
    for (const auto& spot : config.cluster.spot_interruptions) {
      sim_.schedule_at<&World::on_spot_interruption>(SimTime::from_seconds(spot.at_s), this,
                                                      static_cast<uint64_t>(&spot - config.cluster.spot_interruptions.data()));
    }
    replicas_.assign(deployment_ids_.size(), std::vector<double>(sli_.rows(), 0.0));
    ready_replicas_.assign(deployment_ids_.size(), std::vector<double>(sli_.rows(), 0.0));
  }

  report::RunReport run(const RunOptions& options) {
    for (auto& scraper : scrapers_) scraper->start();
    for (auto& a : autoscalers_) {
      if (a.metrics_server) a.metrics_server->start();
      if (a.prometheus) a.prometheus->start();
      if (a.hpa) a.hpa->start();
      if (a.keda) a.keda->start();
      if (a.kpa) a.kpa->start();
    }
    for (auto& client : clients_) client->start(end_);
    if (warmup_ > SimTime::zero()) sim_.schedule_at<&World::on_warmup_end>(warmup_, this);
    if (sli_.rows() > 1) sim_.schedule_at<&World::on_interval_end>(sli_.row_end(0), this, 0);
    // The run covers [0, end): an event at exactly `end` is after it.
    const SimTime last = SimTime{end_.ns - 1};
    for (int slice = 1; slice <= kProgressSlices; ++slice) {
      sim_.run_until(slice == kProgressSlices ? last : SimTime{last.ns / kProgressSlices * slice});
      if (options.progress) options.progress(static_cast<double>(slice) / kProgressSlices);
    }
    sample_row(sli_.rows() - 1, end_);
    return make_report();
  }

  // --- what the data plane and the control plane read ---------------------------------------------

  /// What a queue-aware picker scrapes from each pod's /metrics: its queue depth. (No KV cache:
  /// these servers batch requests, not tokens.)
  uint32_t endpoint_count() const override { return static_cast<uint32_t>(pods_.size()); }
  balance::EndpointMetrics endpoint_metrics(uint32_t host_id) const override {
    const serve::ModelServer* s = pods_[host_id].server.get();
    return s == nullptr ? balance::EndpointMetrics{} : balance::EndpointMetrics{s->queue_depth(), s->kv_cache_utilization()};
  }

  const PodRuntime& pod_runtime(uint32_t index) const { return pods_[index]; }
  cluster::Cluster& cluster() { return cluster_; }
  const cluster::Cluster& cluster() const { return cluster_; }
  SimTime now() const { return sim_.now(); }

  /// CPU cores the pod used over the last full report interval (the truth next to the HPA's view).
  double true_cpu_cores(uint32_t index) const {
    const PodRuntime& p = pods_[index];
    if (p.server == nullptr || p.server->down()) return 0.0;
    const double dt = (p.boundary[1] - p.boundary[0]).seconds_f();
    return dt > 0 ? (p.cpu_at_boundary[1] - p.cpu_at_boundary[0]) / dt : 0.0;
  }

  // --- requests -----------------------------------------------------------------------------------

  void on_sent(const traffic::Request& r) override {
    sli_.on_sent(r.sent_at);
    if (r.client < client_sli_.size() && measured(r.sent_at)) ++client_sli_[r.client].sent;
    if (observer_) observer_->on_sent(r);
  }

  void on_answered(const traffic::Request& r) override {
    if (r.outcome == traffic::Outcome::kOk && r.server < pods_.size()) {
      const double seconds = (r.finished_at - r.arrived_at).seconds_f();
      size_t b = 0;
      while (seconds > kDurationBucketsS[b]) ++b;  // the last bound is +Inf
      ++pods_[r.server].duration_counts[b];
    }
    if (r.client < client_sli_.size() && measured(r.sent_at)) {
      ClientSli& c = client_sli_[r.client];
      const int64_t latency_ns = (r.finished_at - r.sent_at).ns;
      if (r.outcome == traffic::Outcome::kOk) {
        ++c.completed;
        c.latency.record(latency_ns);
        if (config_.slo.latency_ms && latency_ns <= Duration::from_milliseconds(*config_.slo.latency_ms).ns) ++c.within_slo;
      } else {
        ++c.failed;
      }
    }
    if (r.outcome == traffic::Outcome::kOk) {
      sli_.on_completed(r.sent_at, r.arrived_at, r.started_at, r.finished_at, r.server);
    } else {
      sli_.on_failed(r.sent_at, r.finished_at, r.server, traffic::outcome_name(r.outcome));
    }
    if (observer_) observer_->on_answered(r);
  }

  // --- the pod lifecycle --------------------------------------------------------------------------

  void on_pod_created(PodId id) override {
    const cluster::Pod& pod = cluster_.pod(id);
    SIM_CHECK(cluster::index_of(id) == pods_.size(), "pods are created in index order");
    PodRuntime& p = pods_.emplace_back();
    if (pod.deployment >= 0) {
      p.deployment = pod.deployment;
      const auto d = static_cast<size_t>(pod.deployment);
      p.name = config_.deployments[d].name + "-" + std::to_string(pods_created_[d]++);
      p.labels = config_.deployments[d].labels;
    } else {
      p.bare = next_bare_;
      p.name = config_.pods[p.bare].name;
      p.labels = config_.pods[p.bare].labels;
    }
    p.port = std::make_unique<PodPort>(requests_, has_failure_events_);
    p.address = std::make_unique<net::FixedDialer>(net::Endpoint{cluster::index_of(id), p.port.get()});
    const uint32_t server = sli_.add_server();
    SIM_CHECK(server == cluster::index_of(id), "one SLI server per pod");
  }

  void on_pod_started(PodId id) override {
    PodRuntime& p = pods_[cluster::index_of(id)];
    if (const auto& vllm = vllm_config(p)) {
      p.server = std::make_unique<serve::ContinuousBatchingServer>(sim_, requests_, *vllm, cluster::index_of(id), this);
    } else if (const auto& cpu = cpu_server_config(p)) {
      p.server = std::make_unique<serve::CpuBoundServer>(
          sim_, engine::RngStream(config_.seed, "pod/" + p.name, "service_time"), requests_,
          node_cpu(cluster_.pod(id).node), *cpu, cluster::index_of(id));
    } else {
      p.server = std::make_unique<serve::InferenceServer>(
          sim_, engine::RngStream(config_.seed, "pod/" + p.name, "service_time"), requests_, server_config(p),
          cluster::index_of(id));
    }
    p.port->set_server(p.server.get());
    p.boundary[0] = p.boundary[1] = sim_.now();
    p.cpu_at_boundary[0] = p.cpu_at_boundary[1] = p.server->cpu_usage_seconds();
  }

  void on_endpoint_published(PodId id) override {
    const uint32_t i = cluster::index_of(id);
    pods_[i].published = true;
    if (!building_ && pods_[i].deployment >= 0) activator_changed(static_cast<size_t>(pods_[i].deployment));
    for (ServiceWiring& w : services_) {
      // A Service selects pods of its own namespace only (the EndpointSlice controller lists pods in
      // the Service's namespace).
      if (cluster_.spec_of(id).ns != w.config->ns || !selects(w.config->selector, pods_[i].labels)) continue;
      w.endpoints.insert(std::lower_bound(w.endpoints.begin(), w.endpoints.end(), i), i);
      endpoints_changed(w);
    }
  }

  void on_endpoint_removed(PodId id) override {
    const uint32_t i = cluster::index_of(id);
    pods_[i].published = false;
    if (pods_[i].deployment >= 0) activator_changed(static_cast<size_t>(pods_[i].deployment));
    for (ServiceWiring& w : services_) {
      const auto it = std::find(w.endpoints.begin(), w.endpoints.end(), i);
      if (it == w.endpoints.end()) continue;
      w.endpoints.erase(it);
      endpoints_changed(w);
    }
  }

  /// The app's graceful stop: GOAWAY on every connection to it, then exit when the work is done.
  void on_pod_sigterm(PodId id) override {
    const uint32_t i = cluster::index_of(id);
    for (auto& ch : channels_) ch->goaway_endpoint(i);
    for (auto& proxy : proxies_) proxy->host_goaway(i);
    if (pods_[i].server) pods_[i].server->notify_when_idle(this);
  }

  /// The pod's node failed (Cluster::fail_node): its process can no longer be reached. Connections to
  /// it stay open and silent (a dead machine sends no RST): requests on them wait for a deadline or a
  /// proxy's route timeout. A new dial to its IP (directly, or through a ClusterIP rule still
  /// pointing at it) gets no answer and fails at the dialer's connect timeout (gRPC 20 s, Envoy 5 s).
  /// kube-proxy and the proxies keep sending new work to it until the endpoints controller removes it
  /// (node NotReady + publish).
  void on_pod_unreachable(PodId id) override { pods_[cluster::index_of(id)].port->set_unreachable(); }

  void on_server_idle(uint32_t server_index) override { cluster_.notify_pod_idle(PodId{server_index}); }

  /// An LLM server finished a request: its token timings (server side: from arrival).
  void on_finished(traffic::RequestId id, Duration ttft, Duration tpot, Duration) override {
    sli_.on_token_timing(requests_[id].sent_at, ttft, tpot);
  }

  /// The process is gone: what it held is lost, its connections are reset, its IP refuses.
  void on_pod_gone(PodId id) override {
    const uint32_t i = cluster::index_of(id);
    PodRuntime& p = pods_[i];
    p.address->set_reachable(false);
    p.port->set_server(nullptr);
    if (p.server) p.server->shut_down();
    for (auto& ch : channels_) ch->reset_endpoint(i);
    for (auto& proxy : proxies_) proxy->host_gone(i);
  }

 private:
  const serve::InferenceServerConfig& server_config(const PodRuntime& p) const {
    return p.deployment >= 0 ? config_.deployments[static_cast<size_t>(p.deployment)].server : config_.pods[p.bare].server;
  }
  const std::optional<serve::ContinuousBatchingConfig>& vllm_config(const PodRuntime& p) const {
    return p.deployment >= 0 ? config_.deployments[static_cast<size_t>(p.deployment)].vllm : config_.pods[p.bare].vllm;
  }
  const std::optional<serve::CpuBoundServerConfig>& cpu_server_config(const PodRuntime& p) const {
    return p.deployment >= 0 ? config_.deployments[static_cast<size_t>(p.deployment)].cpu_server
                             : config_.pods[p.bare].cpu_server;
  }
  /// The CFS of the node a cpu-engine pod runs on, made when the first such pod starts there, with the
  /// node's allocatable CPU as its cores (kube-reserved and system daemons are outside it). The
  /// unlimited cluster's one node has 2^40 millicores (~1.1e9 cores): no container ever contends,
  /// each runs at min(busy workers, limit) cores.
  serve::NodeCpu& node_cpu(cluster::NodeId node) {
    const uint32_t n = cluster::index_of(node);
    SIM_CHECK(node != cluster::kNoNode, "a started pod is bound to a node");
    if (node_cpus_.size() <= n) node_cpus_.resize(n + 1);
    if (!node_cpus_[n]) {
      const double cores = static_cast<double>(cluster_.node(node).allocatable.cpu_millicores) / 1000.0;
      node_cpus_[n] = std::make_unique<serve::NodeCpu>(cores);
    }
    return *node_cpus_[n];
  }
  const net::ServerTransportConfig& grpc_config(const PodRuntime& p) const {
    return p.deployment >= 0 ? config_.deployments[static_cast<size_t>(p.deployment)].grpc : config_.pods[p.bare].grpc;
  }

  size_t index_of(const std::string& name, auto const& list) const {
    for (size_t i = 0; i < list.size(); ++i) {
      if (list[i].name == name) return i;
    }
    SIM_CHECK(false, "a validated reference names nothing");
    return 0;
  }
  size_t service_index(const std::string& name) const { return index_of(name, config_.services); }
  uint32_t pod_index(const std::string& name) const {
    for (uint32_t i = 0; i < pods_.size(); ++i) {
      if (pods_[i].name == name) return i;
    }
    SIM_CHECK(false, "a validated pod name names no pod");
    return 0;
  }

  /// The L7 view of a Service's published pods.
  std::vector<balance::Endpoint> hosts_of(const ServiceWiring& w) const {
    std::vector<balance::Endpoint> hosts;
    for (const uint32_t i : w.endpoints) hosts.push_back(balance::Endpoint{i, 1, true, pods_[i].port.get()});
    return hosts;
  }

  /// The endpoints controller changed a Service's EndpointSlice: kube-proxy reprograms (after its
  /// minSyncPeriod), headless DNS answers the new set, proxies get an EDS update.
  void endpoints_changed(ServiceWiring& w) {
    if (building_) return;  // the world starts with every Service's whole set (build_proxies)
    if (w.kube_proxy) {
      std::vector<net::Endpoint> endpoints;
      for (const uint32_t i : w.endpoints) endpoints.push_back(pods_[i].address->endpoint());
      w.kube_proxy->set_endpoints(endpoints);
    } else {
      std::vector<net::Dialer*> ips;
      for (const uint32_t i : w.endpoints) ips.push_back(pods_[i].address.get());
      w.resolver.set_addresses(ips);
    }
    if (!w.proxies.empty()) {
      const std::vector<balance::Endpoint> hosts = hosts_of(w);
      for (const size_t r : w.proxies) proxies_[r]->update_endpoints(hosts);
    }
  }

  void build_proxies() {
    building_ = false;
    for (ServiceWiring& w : services_) endpoints_changed(w);  // the pods published by warm_start
    for (size_t k = 0; k < config_.proxies.size(); ++k) {
      const ProxyConfig& p = config_.proxies[k];
      std::vector<balance::Endpoint> hosts;
      ServiceWiring* upstream = nullptr;
      if (!p.upstream_proxy.empty()) {  // defined earlier, so already built: its replicas are the hosts
        const size_t up = index_of(p.upstream_proxy, config_.proxies);
        for (size_t r = proxy_first_[up]; r < proxy_first_[up] + static_cast<size_t>(config_.proxies[up].replicas); ++r) {
          hosts.push_back(balance::Endpoint{kProxyEndpointBase + static_cast<uint32_t>(r), 1, true, proxies_[r].get()});
        }
      } else {
        upstream = &services_[service_index(p.upstream_service)];
        hosts = hosts_of(*upstream);
      }
      proxy_first_.push_back(proxies_.size());
      std::vector<net::Endpoint> replica_endpoints;
      for (int r = 0; r < p.replicas; ++r) {
        const std::string name = p.replicas == 1 ? p.name : p.name + "-" + std::to_string(r);
        const balance::MetricsScraper* scraper = nullptr;
        if (p.proxy.lb_policy == balance::LbPolicyKind::kEndpointPicker) {
          scrapers_.push_back(std::make_unique<balance::MetricsScraper>(
              sim_, *this, balance::MetricsScraperConfig{p.metrics_refresh_ms}));
          scraper = scrapers_.back().get();
        }
        if (upstream != nullptr) upstream->proxies.push_back(proxies_.size());
        proxies_.push_back(
            std::make_unique<balance::L7Proxy>(sim_, config_.seed, "proxy/" + name, requests_, p.proxy, hosts, scraper));
        proxy_dialers_.emplace_back(
            net::Endpoint{kProxyEndpointBase + static_cast<uint32_t>(proxies_.size() - 1), proxies_.back().get()});
        replica_endpoints.push_back(proxy_dialers_.back().endpoint());
      }
      // Clients reach the proxy's pods through a ClusterIP in front of them (one pod: its IP).
      net::StaticResolver& resolver = resolvers_.emplace_back();
      if (p.replicas == 1) {
        resolver.set_addresses({&proxy_dialers_.back()});
      } else {
        proxy_vips_.push_back(std::make_unique<balance::KubeProxy>(
            sim_, engine::RngStream(config_.seed, "service/proxy-" + p.name, "kube_proxy"), config_.kube_proxy));
        proxy_vips_.back()->set_endpoints(replica_endpoints);
        resolver.set_addresses({proxy_vips_.back().get()});
      }
      proxy_resolvers_.push_back(&resolver);
    }
    // Knative revisions: an activator in front of each, fed with its pods' endpoints.
    for (const AutoscalerConfig& ac : config_.autoscalers) {
      if (ac.kind != AutoscalerConfig::Kind::kKpa) continue;
      Autoscaler& a = autoscalers_.emplace_back();
      a.config = &ac;
      a.deployment = index_of(ac.target, config_.deployments);
      a.activator_rng = std::make_unique<engine::RngStream>(config_.seed, "activator/" + ac.name, "lb");
      balance::ActivatorConfig act;
      act.container_concurrency = ac.kpa.revision.container_concurrency;
      a.activator = std::make_unique<balance::Activator>(sim_, requests_, act, *a.activator_rng);
      a.activator_stat = std::make_unique<ActivatorStat>(*a.activator, sim_);
      a.activator_address = std::make_unique<net::FixedDialer>(
          net::Endpoint{kProxyEndpointBase + static_cast<uint32_t>(proxies_.size() + autoscalers_.size()), a.activator.get()});
      activator_changed(a.deployment);
    }
  }

  /// The pods of Deployment `d` whose endpoints are published: what its activator may use.
  void activator_changed(size_t d) {
    for (Autoscaler& a : autoscalers_) {
      if (!a.activator || a.deployment != d) continue;
      std::vector<balance::Endpoint> ready;
      for (uint32_t i = 0; i < pods_.size(); ++i) {
        if (pods_[i].published && pods_[i].deployment == static_cast<int32_t>(d)) {
          ready.push_back(balance::Endpoint{i, 1, true, pods_[i].port.get()});
        }
      }
      a.activator->update_endpoints(ready);
    }
  }

  /// Where a client's calls go: straight to a pod (a pod target without a channel), or into a gRPC
  /// channel whose resolver answers for the target.
  traffic::RequestSink& client_target(const ClientConfig& c) {
    if (!c.channel_of.empty()) {
      for (size_t i = 0; i < config_.clients.size(); ++i) {
        if (config_.clients[i].client.name == c.channel_of && client_channel_[i] != nullptr) return *client_channel_[i];
      }
      SIM_CHECK(false, "channel_of names no earlier client with a channel");
    }
    const std::string kind = c.target.substr(0, c.target.find('/'));
    const std::string name = c.target.substr(c.target.find('/') + 1);
    net::Resolver* resolver = nullptr;
    net::ChannelConfig channel = c.channel.value_or(net::ChannelConfig{});
    if (kind == "pod") {
      const uint32_t i = pod_index(name);
      if (!c.channel) return *pods_[i].port;
      resolver = &resolvers_.emplace_back(std::vector<net::Dialer*>{pods_[i].address.get()});
      channel.connection.server = grpc_config(pods_[i]);
    } else if (kind == "service") {
      ServiceWiring& w = services_[service_index(name)];
      resolver = &w.resolver;
      // The pods behind a Service run one server configuration (a Deployment's): take the first's.
      for (const PodConfig& pod : config_.pods) {
        if (pod.pod.ns == w.config->ns && selects(w.config->selector, pod.labels)) {
          channel.connection.server = pod.grpc;
          break;
        }
      }
    } else if (kind == "activator") {
      for (Autoscaler& a : autoscalers_) {
        if (a.activator && a.config->name == name) resolver = &resolvers_.emplace_back(std::vector<net::Dialer*>{a.activator_address.get()});
      }
      SIM_CHECK(resolver != nullptr, "a validated activator target names no PodAutoscaler");
      channel.connection.server = net::ServerTransportConfig{};  // the activator's HTTP/2 server: no limits
    } else {
      resolver = proxy_resolvers_[index_of(name, config_.proxies)];
      // Envoy's downstream HTTP/2 defaults: max_concurrent_streams 2^31 - 1, no connection age.
      channel.connection.server = net::ServerTransportConfig{};
    }
    channels_.push_back(std::make_unique<net::Channel>(
        sim_, requests_, engine::RngStream(config_.seed, "client/" + c.client.name, "channel"), channel, *resolver));
    client_channel_[static_cast<size_t>(&c - config_.clients.data())] = channels_.back().get();
    return *channels_.back();
  }

  void build_autoscalers() {
    views_.reserve(deployment_ids_.size());
    for (const cluster::DeploymentId id : deployment_ids_) views_.push_back(std::make_unique<DeploymentView>(*this, id));
    for (const AutoscalerConfig& ac : config_.autoscalers) {
      if (ac.kind == AutoscalerConfig::Kind::kKpa) continue;  // its activator was built with the proxies
      DeploymentView& view = *views_[index_of(ac.target, config_.deployments)];
      Autoscaler& a = autoscalers_.emplace_back();
      a.config = &ac;
      a.metrics_server = std::make_unique<control::MetricsServer>(sim_, view, config_.metrics.metrics_server);
      a.prometheus = std::make_unique<control::Prometheus>(sim_, view, config_.metrics.prometheus);
      // The truth every controller's view is compared with: the real queue depth of the target.
      const control::PromQuery queue_depth{control::PromQueryKind::kSumGauge, control::AppGauge::kQueueDepth};
      switch (ac.kind) {
        case AutoscalerConfig::Kind::kHpa:
          a.adapter = std::make_unique<control::PrometheusAdapter>(*a.prometheus, view, ac.hpa_rules);
          a.hpa = std::make_unique<control::HpaController>(sim_, "hpa/" + ac.name, ac.hpa, config_.metrics.hpa, view,
                                                           view, a.metrics_server.get(), a.adapter.get());
          a.hpa->add_truth_gauge("queue_depth", queue_depth, view);
          break;
        case AutoscalerConfig::Kind::kScaledObject:
          if (!ac.keda_metrics_proxy.empty()) {  // Prometheus scrapes the proxy's pods instead
            const size_t k = index_of(ac.keda_metrics_proxy, config_.proxies);
            std::vector<const balance::L7Proxy*> replicas;
            for (int r = 0; r < config_.proxies[k].replicas; ++r) {
              replicas.push_back(proxies_[proxy_first_[k] + static_cast<size_t>(r)].get());
            }
            a.proxy_source = std::make_unique<ProxySource>(std::move(replicas));
            a.prometheus = std::make_unique<control::Prometheus>(sim_, *a.proxy_source, config_.metrics.prometheus);
          }
          a.keda = std::make_unique<control::KedaController>(sim_, ac.name, ac.keda, ac.keda_queries, ac.keda_behavior,
                                                             config_.metrics.hpa, view, view, *a.prometheus,
                                                             a.metrics_server.get());
          a.keda->hpa().add_truth_gauge("queue_depth", queue_depth, view);
          break;
        case AutoscalerConfig::Kind::kKpa:
          break;
      }
    }
  }

  /// A scheduled `events[]` entry: a scale (what kubectl scale writes: spec.replicas, which an
  /// autoscaler may later overwrite) or a pod deletion with the pod's own grace period.
  void on_scenario_event(uint64_t k) {
    const ScenarioEvent& ev = config_.events[k];
    if (ev.kind == ScenarioEvent::Kind::kScale) {
      cluster_.set_replicas(deployment_ids_[index_of(ev.deployment, config_.deployments)], ev.replicas);
      return;
    }
    if (ev.kind == ScenarioEvent::Kind::kZoneFailure) {
      cluster_.fail_zone(ev.zone);
      return;
    }
    if (ev.kind == ScenarioEvent::Kind::kNodeFailure) {  // a node not (yet) added: nothing fails
      const cluster::NodeId node = cluster_.node_of_pool(ev.pool, ev.node);
      if (node != cluster::kNoNode) cluster_.fail_node(node);
      return;
    }
    for (uint32_t i = 0; i < pods_.size(); ++i) {
      if (pods_[i].name == ev.pod) {
        cluster_.delete_pod(PodId{i});
        return;
      }
    }
  }

  void on_spot_interruption(uint64_t k) {
    const auto& spot = config_.cluster.spot_interruptions[k];
    const auto& pools = cluster_.config().pools;
    int seen = 0;
    for (size_t n = 0; n < cluster_.node_count(); ++n) {
      const cluster::Node& node = cluster_.node(cluster::NodeId{static_cast<uint32_t>(n)});
      if (pools[node.pool].name != spot.pool) continue;
      if (seen++ == spot.node_index) {
        if (!node.removed) cluster_.schedule_spot_interruption(node.id, sim_.now());
        return;
      }
    }
  }

  /// Time-average gauges of row `row`, which ends at `at`, from the servers' integrals; the
  /// Deployments' replica counts at `at`; the CPU boundary samples.
  void sample_row(size_t row, SimTime at) {
    const SimTime start{static_cast<int64_t>(row) * interval_.ns};
    const double width_s = (at - start).seconds_f();
    double waiting = 0, in_system = 0;
    for (PodRuntime& p : pods_) {
      if (p.server == nullptr) continue;
      const serve::ModelServer& s = *p.server;
      const double w = s.waiting().area_until(at);
      const double sys = w + s.in_service_integral().area_until(at);
      waiting += (w - p.last_waiting) / width_s;
      in_system += (sys - p.last_in_system) / width_s;
      p.last_waiting = w;
      p.last_in_system = sys;
      p.boundary[0] = p.boundary[1];
      p.cpu_at_boundary[0] = p.cpu_at_boundary[1];
      p.boundary[1] = at;
      p.cpu_at_boundary[1] = s.cpu_usage_seconds();
    }
    sli_.set_gauges(row, waiting, in_system);
    for (size_t d = 0; d < deployment_ids_.size(); ++d) {
      const cluster::DeploymentStatus st = cluster_.deployment_status(deployment_ids_[d]);
      replicas_[d][row] = st.replicas;
      ready_replicas_[d][row] = st.ready;
    }
  }

  void on_interval_end(uint64_t row) {
    sample_row(row, sim_.now());
    if (row + 2 < sli_.rows()) sim_.schedule_at<&World::on_interval_end>(sli_.row_end(row + 1), this, row + 1);
  }

  void on_warmup_end(uint64_t) {
    proxy_at_warmup_.clear();
    for (const auto& proxy : proxies_) {
      proxy_at_warmup_.push_back({proxy->received(), proxy->worker_queue_integral().area_until(warmup_),
                                  proxy->busy_workers_integral().area_until(warmup_)});
    }
    for (PodRuntime& p : pods_) {
      if (p.server == nullptr) continue;
      p.warmup_busy = p.server->busy().area_until(warmup_);
      p.warmup_waiting = p.server->waiting().area_until(warmup_);
      p.warmup_cpu_s = p.server->cpu_usage_seconds();
    }
  }

  /// Connections the clients and proxies hold to each pod at the end of the run.
  std::vector<uint64_t> connections_per_pod() const {
    std::vector<uint64_t> held(pods_.size(), 0);
    for (const auto& ch : channels_) {
      for (size_t i = 0; i < ch->slots(); ++i) {
        const net::Connection* conn = ch->slot_connection(i);
        if (conn == nullptr || !conn->accepting()) continue;
        if (conn->endpoint().id < held.size()) ++held[conn->endpoint().id];
      }
    }
    for (const auto& proxy : proxies_) {
      for (size_t i = 0; i < held.size(); ++i) held[i] += proxy->host_connections(static_cast<uint32_t>(i));
    }
    return held;
  }

  /// A request counts for its client if it was sent in the measured span [warmup, end), as in SliCollector.
  bool measured(SimTime sent_at) const { return sent_at >= warmup_ && sent_at < end_; }

  std::vector<report::ClientReport> client_reports() const {
    std::vector<report::ClientReport> out;
    for (size_t i = 0; i < client_sli_.size(); ++i) {
      const ClientSli& c = client_sli_[i];
      report::ClientReport r;
      r.name = config_.clients[i].client.name;
      r.sent = c.sent;
      r.completed = c.completed;
      r.failed = c.failed;
      const auto ms = [&](double q) { return c.latency.quantile_ns(q) / 1e6; };
      r.latency_ms = report::LatencySummary{c.latency.mean_ns() / 1e6, ms(0.5), ms(0.9), ms(0.95), ms(0.99), ms(0.999),
                                            static_cast<double>(c.latency.max_ns()) / 1e6};
      if (config_.slo.latency_ms) {
        const uint64_t answered = c.completed + c.failed;
        r.slo_attainment = answered == 0 ? 0.0 : static_cast<double>(c.within_slo) / static_cast<double>(answered);
      }
      out.push_back(std::move(r));
    }
    return out;
  }

  std::vector<report::ProxyReport> proxy_reports() const {
    std::vector<report::ProxyReport> out;
    const double span_s = (end_ - warmup_).seconds_f();
    for (size_t k = 0; k < config_.proxies.size(); ++k) {
      const ProxyConfig& p = config_.proxies[k];
      for (int r = 0; r < p.replicas; ++r) {
        const balance::L7Proxy& proxy = *proxies_[proxy_first_[k] + static_cast<size_t>(r)];
        const ProxyAtWarmup at = proxy_at_warmup_.empty() ? ProxyAtWarmup{} : proxy_at_warmup_[proxy_first_[k] + static_cast<size_t>(r)];
        report::ProxyReport rep;
        rep.name = p.replicas == 1 ? p.name : p.name + "-" + std::to_string(r);
        rep.upstream = p.upstream_proxy.empty() ? "service/" + p.upstream_service : "proxy/" + p.upstream_proxy;
        rep.requests = proxy.received() - at.received;
        rep.workers = p.proxy.workers;
        rep.cpu_per_request_ms = p.proxy.cpu_per_request_ms;
        if (span_s > 0) {
          const double queue_area = proxy.worker_queue_integral().area_until(end_) - at.queue_area;
          rep.worker_utilization = (proxy.busy_workers_integral().area_until(end_) - at.busy_area) / span_s / p.proxy.workers;
          rep.mean_worker_queue = queue_area / span_s;
          rep.mean_worker_wait_ms = rep.requests == 0 ? 0.0 : 1e3 * queue_area / static_cast<double>(rep.requests);
        }
        rep.max_worker_queue = static_cast<double>(proxy.max_waiting_for_worker());
        rep.hop_ms = rep.mean_worker_wait_ms + p.proxy.cpu_per_request_ms + 2 * p.proxy.upstream_connection.one_way_latency_ms;
        rep.upstream_connections_opened = proxy.upstream_connections_opened();
        rep.failed = proxy.received() - proxy.active_requests() - proxy.answered(traffic::Outcome::kOk);
        out.push_back(std::move(rep));
      }
    }
    return out;
  }

  static report::ColdStartReport cold_start_report(const cluster::ColdStartBreakdown& b) {
    return report::ColdStartReport{b.pending.seconds_f(),         b.node_provisioning.seconds_f(),
                                   b.admission.seconds_f(),       b.image_pull.seconds_f(),
                                   b.weight_load.seconds_f(),     b.container_start.seconds_f(),
                                   b.warm_up.seconds_f(),         b.readiness_wait.seconds_f(),
                                   b.endpoint_publish.seconds_f(), b.to_ready.seconds_f()};
  }

  report::PodReport pod_report(uint32_t i, uint64_t requests, uint64_t total, uint64_t connections) const {
    const PodRuntime& p = pods_[i];
    const cluster::Pod& pod = cluster_.pod(PodId{i});
    report::PodReport out;
    out.name = p.name;
    if (p.deployment >= 0) out.deployment = config_.deployments[static_cast<size_t>(p.deployment)].name;
    if (pod.node != cluster::kNoNode) out.node = cluster_.node(pod.node).name;
    out.created_s = pod.t.created.seconds_f();
    if (pod.t.ready != cluster::PodTimeline::kNever) out.ready_s = pod.t.ready.seconds_f();
    if (pod.t.gone != cluster::PodTimeline::kNever) out.gone_s = pod.t.gone.seconds_f();
    if (!pod.warm && pod.t.ready != cluster::PodTimeline::kNever) {
      out.cold_start = cold_start_report(cluster_.cold_start_breakdown(PodId{i}));
    }
    out.requests = requests;
    out.share = total == 0 ? 0.0 : static_cast<double>(requests) / static_cast<double>(total);
    out.connections = connections;
    if (p.server == nullptr) return out;
    const serve::ModelServer& s = *p.server;
    // Averages over the part of the measured span the server lived in.
    const SimTime from = std::max(warmup_, pod.t.container_started);
    const SimTime to = std::min(end_, pod.t.gone);
    const double span_s = (to - from).seconds_f();
    if (span_s > 0) {
      const bool before = pod.t.container_started <= warmup_;  // warm-up integrals were taken
      const double busy0 = before ? p.warmup_busy : 0.0, waiting0 = before ? p.warmup_waiting : 0.0;
      const double cpu0 = before ? p.warmup_cpu_s : 0.0;
      out.mean_queue_depth = (s.waiting().area_until(to) - waiting0) / span_s;
      out.utilization = (s.busy().area_until(to) - busy0) / span_s / s.instances();
      // CPU-seconds are not kept per instant; after a pod is gone its counter no longer moves.
      out.cpu_utilization = (s.cpu_usage_seconds() - cpu0) / span_s / s.cpu_request_cores();
    }
    out.batch_size_counts = s.batch_size_counts();
    out.mean_batch_size =
        s.batches() == 0 ? 0.0 : static_cast<double>(s.batched_requests()) / static_cast<double>(s.batches());
    out.max_queue_depth = static_cast<double>(s.max_queue_depth());
    out.degraded_requests = s.degraded_requests();
    return out;
  }

  report::ClusterReport cluster_report() const {
    report::ClusterReport out;
    out.unlimited = config_.cluster.unlimited;
    const cluster::ClusterStats& st = cluster_.stats();
    out.pods_created = st.pods_created;
    out.nodes_provisioned = st.nodes_provisioned;
    out.nodes_scaled_down = st.nodes_scaled_down;
    out.spot_interruptions = st.spot_interruptions;
    out.preemptions = st.preemptions;
    out.nodes_failed = st.nodes_failed;
    out.pods_evicted_unreachable = st.pods_evicted_unreachable;
    out.quota_rejections = st.quota_rejections;
    const std::vector<cluster::QuotaStatus> quota_status = cluster_.quota_status();
    for (size_t q = 0; q < quota_status.size(); ++q) {
      const cluster::ResourceQuota& hard = cluster_.config().quotas[q];
      const cluster::QuotaStatus& used = quota_status[q];
      report::QuotaReport r{hard.name, hard.ns, hard.cpu_millicores, hard.memory_bytes, hard.gpus, hard.pods,
                            used.used.cpu_millicores, used.used.memory_bytes, used.used.gpus, used.pods,
                            used.rejections, {}};
      for (size_t d = 0; d < deployment_ids_.size(); ++d) {
        if (config_.deployments[d].pod.ns != hard.ns) continue;
        const cluster::DeploymentStatus ds = cluster_.deployment_status(deployment_ids_[d]);
        if (ds.quota_rejections > 0 && ds.pods < ds.replicas) r.blocked_deployments.push_back(config_.deployments[d].name);
      }
      out.quotas.push_back(std::move(r));
    }
    for (size_t n = 0; n < cluster_.node_count(); ++n) {
      const cluster::Node& node = cluster_.node(cluster::NodeId{static_cast<uint32_t>(n)});
      if (!node.failed) continue;
      report::NodeFailureReport f{node.name, cluster_.config().pools[node.pool].zone, node.failed_at.seconds_f(), {}, 0};
      if (node.not_ready_at != cluster::PodTimeline::kNever) f.not_ready_s = node.not_ready_at.seconds_f();
      for (uint32_t i = 0; i < pods_.size(); ++i) f.pods += cluster_.pod(PodId{i}).node == node.id ? 1 : 0;
      out.node_failures.push_back(std::move(f));
    }
    if (out.unlimited) return out;
    const std::vector<cluster::PoolUsage> usage = cluster_.pool_usage();
    for (size_t k = 0; k < usage.size(); ++k) {
      const cluster::NodePoolConfig& pool = cluster_.config().pools[k];
      out.pools.push_back(report::PoolReport{pool.name, pool.gpu_type, cluster_.pool_size(static_cast<uint32_t>(k)),
                                             usage[k].node_hours, usage[k].gpu_hours, usage[k].cost_usd});
    }
    out.gpu_hours = cluster_.gpu_hours();
    out.cost_usd = cluster_.cost_usd();
    return out;
  }

  static void add_events(const std::vector<control::ScalingEvent>& events, report::AutoscalingReport& out) {
    for (const control::ScalingEvent& e : events) {
      report::ScalingEventReport r{e.time.seconds_f(), e.controller, e.from_replicas, e.to_replicas, e.rule, {}};
      for (const control::ScalingMetricValue& m : e.metrics) r.metrics.push_back({m.metric, m.value, m.target, m.valid});
      out.events.push_back(std::move(r));
    }
  }
  static void add_traces(const std::vector<control::MetricTrace>& traces, report::AutoscalingReport& out) {
    for (const control::MetricTrace& t : traces) {
      report::ControllerTraceReport r{t.controller, t.metric, t.unit, {}, {}, {}};
      for (const control::SeenVsTruePoint& p : t.points) {
        r.time_s.push_back(p.time.seconds_f());
        r.seen.push_back(p.seen_valid ? p.seen : kNaN);
        r.truth.push_back(p.truth);
      }
      out.traces.push_back(std::move(r));
    }
  }

  report::AutoscalingReport autoscaling_report() const {
    report::AutoscalingReport out;
    for (const Autoscaler& a : autoscalers_) {
      if (a.hpa) {
        add_events(a.hpa->events(), out);
        add_traces(a.hpa->traces(), out);
      }
      if (a.keda) {
        add_events(a.keda->events(), out);
        add_events(a.keda->hpa().events(), out);
        add_traces(a.keda->traces(), out);
        add_traces(a.keda->hpa().traces(), out);
      }
      if (a.kpa) {
        add_events(a.kpa->events(), out);
        add_traces(a.kpa->traces(), out);
      }
    }
    std::stable_sort(out.events.begin(), out.events.end(),
                     [](const report::ScalingEventReport& a, const report::ScalingEventReport& b) {
                       return a.time_s != b.time_s ? a.time_s < b.time_s : a.controller < b.controller;
                     });
    return out;
  }

  report::RunReport make_report() {
    // Pods never running during the measured span say nothing about balance: left out of it.
    for (uint32_t i = 0; i < pods_.size(); ++i) {
      const cluster::Pod& pod = cluster_.pod(PodId{i});
      if (pod.t.ready == cluster::PodTimeline::kNever || pod.t.ready >= end_ || pod.t.gone <= warmup_) {
        sli_.exclude_from_imbalance(i);
      }
    }
    report::RunReport rep;
    rep.scenario = report::ScenarioInfo{config_.name, config_.seed, config_.duration_s, config_.warmup_s};
    rep.config_json = resolved_config_json(config_);
    rep.sli = sli_.sli();
    const std::vector<uint64_t> per_server = sli_.requests_per_server();
    uint64_t total = 0;
    for (const uint64_t n : per_server) total += n;
    const std::vector<uint64_t> connections = connections_per_pod();
    for (uint32_t i = 0; i < pods_.size(); ++i) rep.pods.push_back(pod_report(i, per_server[i], total, connections[i]));
    rep.proxies = proxy_reports();
    rep.clients = client_reports();
    std::vector<std::string> names;
    for (const PodRuntime& p : pods_) names.push_back(p.name);
    rep.timeseries = sli_.timeseries(names);
    rep.timeseries.deployment_names = deployment_names_;
    rep.timeseries.replicas = replicas_;
    rep.timeseries.ready_replicas = ready_replicas_;
    rep.cluster = cluster_report();
    rep.autoscaling = autoscaling_report();
    rep.findings = report::find_findings(rep);
    rep.engine.events = sim_.events_executed();
    return rep;
  }

  const ScenarioConfig& config_;
  SimTime end_;
  SimTime warmup_;
  Duration interval_;
  traffic::RequestObserver* observer_;
  engine::Simulator sim_;
  traffic::RequestTable requests_;
  report::SliCollector sli_;
  /// Per client (report.clients), over the measured span; empty when the report has no clients[].
  struct ClientSli {
    report::LatencyHistogram latency;  // OK answers, send to answer
    uint64_t sent = 0, completed = 0, failed = 0, within_slo = 0;
  };
  std::vector<ClientSli> client_sli_;
  cluster::Cluster cluster_;
  // Per node index, made lazily by node_cpu(); declared before pods_ so that the servers, which
  // hold their node's CPU, are destroyed first.
  std::vector<std::unique_ptr<serve::NodeCpu>> node_cpus_;
  std::deque<PodRuntime> pods_;  // by cluster pod index
  size_t next_bare_ = 0;         // the config.pods entry the next bare pod comes from
  bool building_ = true;         // before the steady state is wired: endpoint updates wait
  /// Nodes may fail: pods' ports stay on the reply path so a failed pod's answers can be swallowed.
  const bool has_failure_events_ = std::any_of(config_.events.begin(), config_.events.end(), [](const ScenarioEvent& e) {
    return e.kind == ScenarioEvent::Kind::kZoneFailure || e.kind == ScenarioEvent::Kind::kNodeFailure;
  });
  std::vector<cluster::DeploymentId> deployment_ids_;  // per config.deployments entry
  std::vector<std::string> deployment_names_;
  std::vector<uint64_t> pods_created_;                 // per Deployment: the next pod's number
  std::deque<ServiceWiring> services_;
  std::vector<std::unique_ptr<balance::MetricsScraper>> scrapers_;  // one per ENDPOINT_PICKER proxy
  std::vector<std::unique_ptr<balance::L7Proxy>> proxies_;
  struct ProxyAtWarmup {
    uint64_t received = 0;
    double queue_area = 0.0, busy_area = 0.0;
  };
  std::vector<ProxyAtWarmup> proxy_at_warmup_;  // per proxy pod, taken at the end of warm-up
  std::deque<net::FixedDialer> proxy_dialers_;  // one per proxy pod (replica)
  std::vector<size_t> proxy_first_;             // per proxy config: its first replica in proxies_
  std::vector<std::unique_ptr<balance::KubeProxy>> proxy_vips_;  // ClusterIPs in front of replicated proxies
  std::vector<net::StaticResolver*> proxy_resolvers_;            // per proxy config: what its name resolves to
  std::deque<net::StaticResolver> resolvers_;  // DNS answers for pod and proxy targets
  std::vector<std::unique_ptr<net::Channel>> channels_;
  std::vector<net::Channel*> client_channel_;  // per client: its own channel, if it has one
  std::vector<std::unique_ptr<traffic::Client>> clients_;
  std::vector<std::unique_ptr<DeploymentView>> views_;  // per Deployment
  std::deque<Autoscaler> autoscalers_;
  std::vector<std::vector<double>> replicas_, ready_replicas_;  // [deployment][row]
};

// --- DeploymentView ----------------------------------------------------------------------------

void DeploymentView::list_pods(std::vector<control::WorldPod>& out) const {
  out.clear();
  const cluster::Cluster& c = world_.cluster();
  for (const PodId id : c.pods_of(id_)) {
    const cluster::Pod& pod = c.pod(id);
    const cluster::PodSpec& spec = c.spec_of(id);
    control::WorldPod w;
    w.uid = cluster::index_of(id) + uint64_t{1};
    control::PodInfo& info = w.info;
    info.name = world_.pod_runtime(cluster::index_of(id)).name;
    info.phase = pod.t.container_started == cluster::PodTimeline::kNever ? control::PodPhase::kPending
                                                                         : control::PodPhase::kRunning;
    if (pod.t.admitted != cluster::PodTimeline::kNever) {
      info.start_time = pod.t.admitted;
      // The kubelet sets the Ready condition (False) when it starts the pod; it turns True when
      // Ready and False again on deletion.
      control::PodReadyCondition ready;
      ready.status = pod.ready ? control::ConditionStatus::kTrue : control::ConditionStatus::kFalse;
      ready.last_transition_time = pod.ready ? pod.t.ready
                                   : pod.deletion_requested && pod.t.ready != cluster::PodTimeline::kNever
                                       ? pod.t.deleted
                                       : pod.t.admitted;
      info.ready = ready;
    }
    info.deleting = pod.deletion_requested;
    if (spec.requests.cpu_millicores > 0) info.cpu_request_milli = spec.requests.cpu_millicores;
    if (spec.requests.memory_bytes > 0) info.memory_request_milli = spec.requests.memory_bytes * 1000;
    out.push_back(std::move(w));
  }
}

const serve::ModelServer* DeploymentView::running_server(uint64_t uid) const {
  if (uid == 0 || uid > world_.cluster().pod_count()) return nullptr;
  const serve::ModelServer* s = world_.pod_runtime(static_cast<uint32_t>(uid - 1)).server.get();
  return s == nullptr || s->down() ? nullptr : s;
}

bool DeploymentView::read_resources(uint64_t uid, control::PodResourceSample& out) const {
  const serve::ModelServer* s = running_server(uid);
  if (s == nullptr) return false;
  const auto index = static_cast<uint32_t>(uid - 1);
  out.cpu_usage_seconds_total = s->cpu_usage_seconds();
  out.memory_working_set_bytes = static_cast<int64_t>(s->memory_working_set_bytes());
  out.container_start_time = world_.cluster().pod(PodId{index}).t.container_started;
  out.cpu_usage_cores_now = world_.true_cpu_cores(index);
  return true;
}

bool DeploymentView::read_gauge(uint64_t uid, control::AppGauge gauge, double& out) const {
  const serve::ModelServer* s = running_server(uid);
  if (s == nullptr) return false;
  switch (gauge) {
    case control::AppGauge::kQueueDepth:
      out = static_cast<double>(s->queue_depth());
      return true;
    case control::AppGauge::kInflight:
      out = static_cast<double>(s->queue_depth() + s->in_service());
      return true;
    case control::AppGauge::kGpuUtilization:
      out = s->gpu_utilization();
      return true;
  }
  return false;
}

bool DeploymentView::read_histogram(uint64_t uid, std::span<double> cumulative_counts) const {
  if (running_server(uid) == nullptr) return false;
  const auto& counts = world_.pod_runtime(static_cast<uint32_t>(uid - 1)).duration_counts;
  double sum = 0;
  for (size_t b = 0; b < counts.size() && b < cumulative_counts.size(); ++b) {
    sum += static_cast<double>(counts[b]);
    cumulative_counts[b] = sum;
  }
  return true;
}

bool DeploymentView::read_counter(uint64_t uid, control::AppCounter counter, double& out) const {
  const serve::ModelServer* s = running_server(uid);
  if (s == nullptr) return false;
  const SimTime now = world_.now();
  switch (counter) {
    case control::AppCounter::kRequestsTotal:
      out = static_cast<double>(s->received());
      return true;
    case control::AppCounter::kInflightSecondsTotal:
      out = s->waiting().area_until(now) + s->in_service_integral().area_until(now);
      return true;
  }
  return false;
}

control::ScaleSubresource DeploymentView::scale() const {
  const cluster::DeploymentStatus st = world_.cluster().deployment_status(id_);
  return control::ScaleSubresource{st.replicas, st.pods};
}

void DeploymentView::set_replicas(int32_t replicas) { world_.cluster().set_replicas(id_, replicas); }

}  // namespace

report::RunReport run_scenario(const ScenarioConfig& config, const RunOptions& options) {
  World world(config, options.observer);
  return world.run(options);
}

}  // namespace kubemind::scenario
