// SPDX-License-Identifier: MIT
#include "sim/scenario/world.h"

#include <algorithm>
#include <map>
#include <memory>
#include <vector>

#include <deque>

#include "sim/balance/kube_proxy.h"
#include "sim/balance/l7_proxy.h"
#include "sim/engine/rng.h"
#include "sim/net/channel.h"
#include "sim/net/endpoint.h"
#include "sim/engine/simulator.h"
#include "sim/report/sli_collector.h"
#include "sim/scenario/config_json.h"
#include "sim/serve/inference_server.h"
#include "sim/traffic/client.h"

namespace kubemind::scenario {
namespace {

using engine::Duration;
using engine::SimTime;

/// Number of slices a run is cut into for progress reports.
constexpr int kProgressSlices = 100;
/// Endpoint ids of proxies start here; pods use their index.
constexpr uint32_t kProxyEndpointBase = 1u << 30;

/// A Service as the data plane sees it: its pods, and what its DNS name resolves to.
struct ServiceWiring {
  std::vector<size_t> pods;                       // selected pods, in pod order
  std::unique_ptr<balance::KubeProxy> kube_proxy;  // ClusterIP only
  net::StaticResolver resolver;
};

class World final : public traffic::RequestObserver, public balance::EndpointMetricsSource {
 public:
  World(const ScenarioConfig& config, traffic::RequestObserver* observer)
      : config_(config),
        end_(SimTime::from_seconds(config.duration_s)),
        warmup_(SimTime::from_seconds(config.warmup_s)),
        interval_(Duration::from_seconds(config.report.interval_s)),
        observer_(observer),
        sli_(report::SliCollectorConfig{warmup_, end_, interval_, config.slo.latency_ms, config.pods.size()}) {
    for (size_t i = 0; i < config.pods.size(); ++i) {
      const PodConfig& pod = config.pods[i];
      servers_.push_back(std::make_unique<serve::InferenceServer>(
          sim_, engine::RngStream(config.seed, "pod/" + pod.name, "service_time"), requests_, pod.server,
          static_cast<uint32_t>(i)));
      pod_dialers_.emplace_back(net::Endpoint{static_cast<uint32_t>(i), servers_.back().get()});
    }
    for (const ServiceConfig& svc : config.services) {
      ServiceWiring& w = services_.emplace_back();
      std::vector<net::Endpoint> endpoints;
      std::vector<net::Dialer*> pod_ips;
      for (size_t i = 0; i < config.pods.size(); ++i) {
        if (!selects(svc.selector, config.pods[i].labels)) continue;
        w.pods.push_back(i);
        endpoints.push_back(pod_dialers_[i].endpoint());
        pod_ips.push_back(&pod_dialers_[i]);
      }
      if (svc.headless) {
        w.resolver.set_addresses(pod_ips);
      } else {
        w.kube_proxy = std::make_unique<balance::KubeProxy>(
            sim_, engine::RngStream(config.seed, "service/" + svc.name, "kube_proxy"), config.kube_proxy);
        w.kube_proxy->set_endpoints(endpoints);
        w.resolver.set_addresses({w.kube_proxy.get()});
      }
    }
    for (size_t k = 0; k < config.proxies.size(); ++k) {
      const ProxyConfig& p = config.proxies[k];
      std::vector<balance::Endpoint> hosts;
      if (!p.upstream_proxy.empty()) {  // defined earlier, so already built: its replicas are the hosts
        const size_t up = index_of(p.upstream_proxy, config.proxies);
        for (size_t r = proxy_first_[up]; r < proxy_first_[up] + static_cast<size_t>(config.proxies[up].replicas); ++r) {
          hosts.push_back(balance::Endpoint{kProxyEndpointBase + static_cast<uint32_t>(r), 1, true, proxies_[r].get()});
        }
      } else {
        for (const size_t i : services_[service_index(p.upstream_service)].pods) {
          hosts.push_back(balance::Endpoint{static_cast<uint32_t>(i), 1, true, servers_[i].get()});
        }
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
        proxies_.push_back(
            std::make_unique<balance::L7Proxy>(sim_, config.seed, "proxy/" + name, requests_, p.proxy, hosts, scraper));
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
            sim_, engine::RngStream(config.seed, "service/proxy-" + p.name, "kube_proxy"), config.kube_proxy));
        proxy_vips_.back()->set_endpoints(replica_endpoints);
        resolver.set_addresses({proxy_vips_.back().get()});
      }
      proxy_resolvers_.push_back(&resolver);
    }
    for (size_t i = 0; i < config.clients.size(); ++i) {
      const ClientConfig& c = config.clients[i];
      clients_.push_back(std::make_unique<traffic::Client>(
          sim_, engine::RngStream(config.seed, "client/" + c.client.name, "arrivals"),
          engine::RngStream(config.seed, "client/" + c.client.name, "behaviour"), requests_, c.client,
          static_cast<uint32_t>(i), client_target(c), *this));
    }
    warmup_busy_.assign(servers_.size(), 0.0);
    warmup_waiting_.assign(servers_.size(), 0.0);
    warmup_cpu_s_.assign(servers_.size(), 0.0);
    last_waiting_.assign(servers_.size(), 0.0);
    last_in_system_.assign(servers_.size(), 0.0);
  }

  report::RunReport run(const RunOptions& options) {
    for (auto& scraper : scrapers_) scraper->start();
    for (auto& client : clients_) client->start(end_);
    if (warmup_ > SimTime::zero()) sim_.schedule_at<&World::on_warmup_end>(warmup_, this);
    if (sli_.rows() > 1) sim_.schedule_at<&World::on_interval_end>(sli_.row_end(0), this, 0);
    // The run covers [0, end): an event at exactly `end` is after it.
    const SimTime last = SimTime{end_.ns - 1};
    for (int slice = 1; slice <= kProgressSlices; ++slice) {
      sim_.run_until(slice == kProgressSlices ? last : SimTime{last.ns / kProgressSlices * slice});
      if (options.progress) options.progress(static_cast<double>(slice) / kProgressSlices);
    }
    sample_gauges(sli_.rows() - 1, end_);
    return make_report();
  }

  /// What a queue-aware picker scrapes from each pod's /metrics: its queue depth. (No KV cache:
  /// these servers batch requests, not tokens.)
  uint32_t endpoint_count() const override { return static_cast<uint32_t>(servers_.size()); }
  balance::EndpointMetrics endpoint_metrics(uint32_t host_id) const override {
    return balance::EndpointMetrics{servers_[host_id]->queue_depth(), 0.0};
  }

  void on_sent(const traffic::Request& r) override {
    sli_.on_sent(r.sent_at);
    if (observer_) observer_->on_sent(r);
  }

  void on_answered(const traffic::Request& r) override {
    if (r.outcome == traffic::Outcome::kOk) {
      sli_.on_completed(r.sent_at, r.arrived_at, r.started_at, r.finished_at, r.server);
    } else {
      sli_.on_failed(r.sent_at, r.finished_at, r.server, traffic::outcome_name(r.outcome));
    }
    if (observer_) observer_->on_answered(r);
  }

 private:
  static bool selects(const std::map<std::string, std::string>& selector,
                      const std::map<std::string, std::string>& labels) {
    for (const auto& [key, value] : selector) {
      const auto it = labels.find(key);
      if (it == labels.end() || it->second != value) return false;
    }
    return true;
  }

  size_t index_of(const std::string& name, auto const& list) const {
    for (size_t i = 0; i < list.size(); ++i) {
      if (list[i].name == name) return i;
    }
    SIM_CHECK(false, "a validated reference names nothing");
    return 0;
  }
  size_t service_index(const std::string& name) const { return index_of(name, config_.services); }

  /// Where a client's calls go: straight to a pod's server (a pod target without a channel), or into
  /// a gRPC channel whose resolver answers for the target.
  traffic::RequestSink& client_target(const ClientConfig& c) {
    const std::string kind = c.target.substr(0, c.target.find('/'));
    const std::string name = c.target.substr(c.target.find('/') + 1);
    net::Resolver* resolver = nullptr;
    net::ChannelConfig channel = c.channel.value_or(net::ChannelConfig{});
    if (kind == "pod") {
      const size_t i = index_of(name, config_.pods);
      if (!c.channel) return *servers_[i];
      resolver = &resolvers_.emplace_back(std::vector<net::Dialer*>{&pod_dialers_[i]});
      channel.connection.server = config_.pods[i].grpc;
    } else if (kind == "service") {
      ServiceWiring& w = services_[service_index(name)];
      resolver = &w.resolver;
      // The pods behind a Service run one server configuration (a Deployment's): take the first's.
      if (!w.pods.empty()) channel.connection.server = config_.pods[w.pods.front()].grpc;
    } else {
      resolver = proxy_resolvers_[index_of(name, config_.proxies)];
      // Envoy's downstream HTTP/2 defaults: max_concurrent_streams 2^31 - 1, no connection age.
      channel.connection.server = net::ServerTransportConfig{};
    }
    channels_.push_back(std::make_unique<net::Channel>(
        sim_, requests_, engine::RngStream(config_.seed, "client/" + c.client.name, "channel"), channel, *resolver));
    return *channels_.back();
  }

  /// Connections the clients and proxies hold to each pod at the end of the run.
  std::vector<uint64_t> connections_per_pod() const {
    std::vector<uint64_t> held(servers_.size(), 0);
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

  /// Time-average gauges of row `row`, which ends at `at`, from the servers' integrals.
  void sample_gauges(size_t row, SimTime at) {
    const SimTime start{static_cast<int64_t>(row) * interval_.ns};
    const double width_s = (at - start).seconds_f();
    double waiting = 0, in_system = 0;
    for (size_t i = 0; i < servers_.size(); ++i) {
      const double w = servers_[i]->waiting().area_until(at);
      const double s = w + servers_[i]->busy().area_until(at);
      waiting += (w - last_waiting_[i]) / width_s;
      in_system += (s - last_in_system_[i]) / width_s;
      last_waiting_[i] = w;
      last_in_system_[i] = s;
    }
    sli_.set_gauges(row, waiting, in_system);
  }

  void on_interval_end(uint64_t row) {
    sample_gauges(row, sim_.now());
    if (row + 2 < sli_.rows()) sim_.schedule_at<&World::on_interval_end>(sli_.row_end(row + 1), this, row + 1);
  }

  void on_warmup_end(uint64_t) {
    for (size_t i = 0; i < servers_.size(); ++i) {
      warmup_busy_[i] = servers_[i]->busy().area_until(warmup_);
      warmup_waiting_[i] = servers_[i]->waiting().area_until(warmup_);
      warmup_cpu_s_[i] = servers_[i]->cpu_usage_seconds();
    }
  }

  report::RunReport make_report() {
    report::RunReport rep;
    rep.scenario = report::ScenarioInfo{config_.name, config_.seed, config_.duration_s, config_.warmup_s};
    rep.config_json = resolved_config_json(config_);
    rep.sli = sli_.sli();
    const std::vector<uint64_t> per_server = sli_.requests_per_server();
    uint64_t total = 0;
    for (const uint64_t n : per_server) total += n;
    const double span_s = (end_ - warmup_).seconds_f();
    const std::vector<uint64_t> connections = connections_per_pod();
    for (size_t i = 0; i < servers_.size(); ++i) {
      const serve::InferenceServer& s = *servers_[i];
      report::PodReport pod;
      pod.name = config_.pods[i].name;
      pod.requests = per_server[i];
      pod.share = total == 0 ? 0.0 : static_cast<double>(per_server[i]) / static_cast<double>(total);
      pod.mean_queue_depth = (s.waiting().area_until(end_) - warmup_waiting_[i]) / span_s;
      pod.utilization = (s.busy().area_until(end_) - warmup_busy_[i]) / span_s / s.instances();
      pod.connections = connections[i];
      pod.cpu_utilization = (s.cpu_usage_seconds() - warmup_cpu_s_[i]) / span_s / s.cpu_request_cores();
      pod.batch_size_counts = s.batch_size_counts();
      uint64_t batched = 0;
      for (size_t b = 0; b < pod.batch_size_counts.size(); ++b) batched += b * pod.batch_size_counts[b];
      pod.mean_batch_size = s.batches() == 0 ? 0.0 : static_cast<double>(batched) / static_cast<double>(s.batches());
      rep.pods.push_back(pod);
    }
    std::vector<std::string> names;
    for (const auto& pod : config_.pods) names.push_back(pod.name);
    rep.timeseries = sli_.timeseries(names);
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
  std::vector<std::unique_ptr<serve::InferenceServer>> servers_;
  std::deque<net::FixedDialer> pod_dialers_;    // a pod's IP; deque: addresses stay put
  std::deque<ServiceWiring> services_;
  std::vector<std::unique_ptr<balance::MetricsScraper>> scrapers_;  // one per ENDPOINT_PICKER proxy
  std::vector<std::unique_ptr<balance::L7Proxy>> proxies_;
  std::deque<net::FixedDialer> proxy_dialers_;  // one per proxy pod (replica)
  std::vector<size_t> proxy_first_;             // per proxy config: its first replica in proxies_
  std::vector<std::unique_ptr<balance::KubeProxy>> proxy_vips_;  // ClusterIPs in front of replicated proxies
  std::vector<net::StaticResolver*> proxy_resolvers_;            // per proxy config: what its name resolves to
  std::deque<net::StaticResolver> resolvers_;  // DNS answers for pod and proxy targets
  std::vector<std::unique_ptr<net::Channel>> channels_;
  std::vector<std::unique_ptr<traffic::Client>> clients_;
  std::vector<double> warmup_busy_, warmup_waiting_;      // integrals at the end of warm-up
  std::vector<double> warmup_cpu_s_;                      // CPU-seconds used by then
  std::vector<double> last_waiting_, last_in_system_;     // integrals at the last row boundary
};

}  // namespace

report::RunReport run_scenario(const ScenarioConfig& config, const RunOptions& options) {
  World world(config, options.observer);
  return world.run(options);
}

}  // namespace kubemind::scenario
