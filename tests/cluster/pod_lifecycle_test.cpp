// SPDX-License-Identifier: MIT
// Pod lifecycle: cold-start stages, readiness probe alignment, endpoints, termination and drain.
// Every expected time is worked by hand from the stage lengths (comments show the sums).

#include <catch2/catch.hpp>

#include "cluster_test_support.h"

namespace kubemind::cluster {
namespace {

using engine::Duration;
using engine::SimTime;
using testing::ns;
using testing::Recorder;

ClusterConfig gpu_cluster() {
  ClusterConfig c;
  NodePoolConfig p;
  p.name = "a100";
  p.gpu_type = "NVIDIA-A100-SXM4-80GB";
  p.gpu_count = 8;
  p.allocatable_cpu_millicores = 96000;
  p.allocatable_memory_bytes = 1LL << 40;
  p.initial_nodes = 1;
  p.max_nodes = 1;
  p.min_nodes = 1;
  p.image_pull_bandwidth_bytes_per_s = 100e6;
  p.hourly_price_usd = 3.6;
  c.pools.push_back(p);
  c.scheduling_latency = Duration::milliseconds(50);
  c.endpoint_publish_delay = Duration::milliseconds(100);
  return c;
}

// 2 GB image at 100 MB/s = 20 s; container start 1.5 s; 16 GB of weights at 1 GB/s = 16 s; warm-up 5 s.
PodSpec llm_pod() {
  PodSpec s;
  s.app = "llm";
  s.requests = Resources{4000, 32LL << 30, 1};
  s.image = "vllm:v1";
  s.image_size_bytes = 2'000'000'000;
  s.container_start = Duration::milliseconds(1500);
  s.weights_bytes = 16'000'000'000;
  s.weight_load_bandwidth_bytes_per_s = 1e9;
  s.warm_up = Duration::seconds(5);
  return s;
}

TEST_CASE("a new pod is Ready at the sum of its stage times aligned to the next readiness probe", "[cluster]") {
  engine::Simulator sim;
  Cluster cluster(sim, gpu_cluster());
  Recorder rec(sim);
  cluster.add_listener(&rec);
  PodSpec spec = llm_pod();
  std::string label;
  int64_t ready_s = 0;
  SECTION("in-process load, initialDelay 0") {
    // admitted 0.05; app up 0.05 + 20 + 1.5 + 16 + 5 = 42.55; probes at 0.05 + 10k -> 50.05.
    ready_s = ns(50.05);
  }
  SECTION("in-process load, initialDelay 30") {
    // container started 21.55; probes allowed from 51.55 -> 60.05.
    spec.readiness_probe.initial_delay_seconds = 30;
    ready_s = ns(60.05);
  }
  SECTION("InitContainer load, initialDelay 30") {
    // pulled 20.05, weights 36.05, container started 37.55, up 42.55; probes allowed from 67.55 -> 70.05.
    spec.weight_load = WeightLoad::kInitContainer;
    spec.readiness_probe.initial_delay_seconds = 30;
    ready_s = ns(70.05);
  }
  SECTION("successThreshold 3 needs two more periods") {
    spec.readiness_probe.success_threshold = 3;
    ready_s = ns(70.05);  // 50.05 + 2 * 10
  }
  SECTION("without a readiness probe the pod is Ready when its container runs") {
    spec.has_readiness_probe = false;
    ready_s = ns(21.55);  // 0.05 + 20 + 1.5
  }
  const PodId id = cluster.create_pod(spec);
  sim.run_until(SimTime::from_seconds(200));
  REQUIRE(std::llabs(rec.at(id).ready - ready_s) <= 1'000'000);
  CHECK(rec.at(id).ready == ready_s);
  CHECK(rec.at(id).published == ready_s + ns(0.1));
  CHECK(rec.at(id).started == (spec.weight_load == WeightLoad::kInitContainer ? ns(37.55) : ns(21.55)));
  const ColdStartBreakdown b = cluster.cold_start_breakdown(id);
  CHECK(b.pending.ns == 0);
  CHECK(b.admission.ns == ns(0.05));
  CHECK(b.image_pull.ns == ns(20));
  CHECK(b.container_start.ns == ns(1.5));
  CHECK(b.weight_load.ns == ns(16));
  CHECK(b.warm_up.ns == ns(5));
  CHECK(b.endpoint_publish.ns == ns(0.1));
  CHECK(b.to_ready.ns == ready_s);
}

TEST_CASE("a second pod on the same node pulls nothing because the image is cached", "[cluster]") {
  engine::Simulator sim;
  Cluster cluster(sim, gpu_cluster());
  Recorder rec(sim);
  cluster.add_listener(&rec);
  const PodId first = cluster.create_pod(llm_pod());
  sim.run_until(SimTime::from_seconds(100));
  const PodId second = cluster.create_pod(llm_pod());
  sim.run_until(SimTime::from_seconds(300));
  CHECK(cluster.cold_start_breakdown(first).image_pull.ns == ns(20));
  CHECK(cluster.cold_start_breakdown(second).image_pull.ns == 0);
  // admitted 100.05, up 100.05 + 1.5 + 16 + 5 = 122.55, probes at 100.05 + 10k -> 130.05.
  CHECK(rec.at(second).ready == ns(130.05));
}

TEST_CASE("an image in the node pool's cached list is never pulled", "[cluster]") {
  engine::Simulator sim;
  ClusterConfig c = gpu_cluster();
  c.pools[0].cached_images = {"vllm:v1"};
  Cluster cluster(sim, c);
  const PodId id = cluster.create_pod(llm_pod());
  sim.run_until(SimTime::from_seconds(100));
  CHECK(cluster.cold_start_breakdown(id).image_pull.ns == 0);
  CHECK(cluster.pod(id).t.ready.ns == ns(30.05));  // up 0.05 + 22.5 = 22.55 -> probe 30.05
}

TEST_CASE("image pulls on one node are serialised", "[cluster]") {
  engine::Simulator sim;
  ClusterConfig c = gpu_cluster();
  c.scheduling_latency = Duration{};
  Cluster cluster(sim, c);
  PodSpec a = llm_pod();
  a.image = "a";
  a.image_size_bytes = 1'000'000'000;  // 10 s
  PodSpec b = llm_pod();
  b.image = "b";
  b.image_size_bytes = 500'000'000;  // 5 s, after a's 10 s
  PodSpec a_again = a;               // same image as the first pull: waits for it, adds nothing
  const PodId pa = cluster.create_pod(a);
  const PodId pb = cluster.create_pod(b);
  const PodId pa2 = cluster.create_pod(a_again);
  sim.run_until(SimTime::from_seconds(100));
  CHECK(cluster.pod(pa).t.image_pulled.ns == ns(10));
  CHECK(cluster.pod(pb).t.image_pulled.ns == ns(15));
  CHECK(cluster.pod(pa2).t.image_pulled.ns == ns(10));
}

TEST_CASE("a deleted Ready pod loses its endpoint after the delay and drains until idle or the grace period", "[cluster]") {
  engine::Simulator sim;
  ClusterConfig c = gpu_cluster();
  c.pools[0].cached_images = {"vllm:v1"};
  Cluster cluster(sim, c);
  Recorder rec(sim);
  cluster.add_listener(&rec);
  PodSpec spec = llm_pod();
  spec.pre_stop_sleep = Duration::seconds(5);
  int64_t gone = 0;
  bool report_idle = false;
  SECTION("until idle: the server reports idle 8 s after deletion") {
    report_idle = true;
    gone = ns(108);
  }
  SECTION("full grace period") {
    spec.drain = DrainMode::kFullGracePeriod;
    gone = ns(130);
  }
  SECTION("exit at SIGTERM") {
    spec.drain = DrainMode::kExitImmediately;
    gone = ns(105);
  }
  SECTION("until idle, never idle: SIGKILL at the grace period") {
    gone = ns(130);
  }
  const PodId id = cluster.create_pod(spec);
  sim.run_until(SimTime::from_seconds(100));
  REQUIRE(cluster.pod(id).ready);
  cluster.delete_pod(id);
  CHECK_FALSE(cluster.pod(id).ready);
  if (report_idle) {
    sim.run_until(SimTime::from_seconds(108));
    cluster.notify_pod_idle(id);
  }
  sim.run_until(SimTime::from_seconds(200));
  CHECK(rec.at(id).terminating == ns(100));
  CHECK(rec.at(id).removed == ns(100.1));
  CHECK(rec.at(id).sigterm == ns(105));
  CHECK(rec.at(id).gone == gone);
  CHECK(cluster.node(NodeId{0}).used.gpus == 0);
}

TEST_CASE("a pod deleted before its container starts is gone at once and never published", "[cluster]") {
  engine::Simulator sim;
  Cluster cluster(sim, gpu_cluster());
  Recorder rec(sim);
  cluster.add_listener(&rec);
  const PodId id = cluster.create_pod(llm_pod());
  sim.run_until(SimTime::from_seconds(10));  // still pulling (until 20.05)
  cluster.delete_pod(id);
  sim.run_until(SimTime::from_seconds(100));
  CHECK(rec.at(id).gone == ns(10));
  CHECK(rec.at(id).started == testing::kNeverNs);
  CHECK(rec.at(id).published == testing::kNeverNs);
  CHECK(rec.at(id).removed == testing::kNeverNs);
}

TEST_CASE("node cost and GPU-hours accrue from the node's request at its pool's hourly price", "[cluster]") {
  engine::Simulator sim;
  Cluster cluster(sim, gpu_cluster());
  sim.run_until(SimTime::from_seconds(1000));
  CHECK(cluster.cost_usd() == Approx(1.0).epsilon(1e-12));             // 1000 s at $3.6/h
  CHECK(cluster.gpu_hours() == Approx(8.0 * 1000 / 3600).epsilon(1e-12));  // 8 GPUs
}

TEST_CASE("cost is split per pool and a removed node stops accruing", "[cluster]") {
  engine::Simulator sim;
  ClusterConfig c = gpu_cluster();
  NodePoolConfig spot = c.pools[0];
  spot.name = "a100-spot";
  spot.spot = true;
  spot.min_nodes = 1;  // (an empty node above min_nodes would be scaled down at 610 s)
  spot.hourly_price_usd = 1.2;
  spot.spot_notice = Duration::seconds(120);
  c.pools.push_back(spot);
  Cluster cluster(sim, c);
  cluster.schedule_spot_interruption(NodeId{1}, SimTime::from_seconds(1680));  // gone at 1800 s
  sim.run_until(SimTime::from_seconds(3600));
  const std::vector<PoolUsage> u = cluster.pool_usage();
  REQUIRE(u.size() == 2);
  CHECK(u[0].node_hours == Approx(1.0));
  CHECK(u[0].cost_usd == Approx(3.6));
  CHECK(u[1].node_hours == Approx(0.5));
  CHECK(u[1].gpu_hours == Approx(4.0));
  CHECK(u[1].cost_usd == Approx(0.6));
  CHECK(cluster.cost_usd() == Approx(4.2));
}

/// Wires the drain the way a server would: idle as soon as SIGTERM arrives; and deletes every pod the
/// moment it turns Ready (a listener calling back into the cluster).
class EagerListener : public PodLifecycleListener {
 public:
  explicit EagerListener(Cluster& cluster) : cluster_(cluster) {}
  void on_pod_ready(PodId id) override { cluster_.delete_pod(id); }
  void on_pod_sigterm(PodId id) override { cluster_.notify_pod_idle(id); }

 private:
  Cluster& cluster_;
};

TEST_CASE("listeners may call back into the cluster from their callbacks", "[cluster]") {
  engine::Simulator sim;
  ClusterConfig c = gpu_cluster();
  c.pools[0].cached_images = {"vllm:v1"};
  Cluster cluster(sim, c);
  Recorder rec(sim);
  EagerListener eager(cluster);
  cluster.add_listener(&eager);
  cluster.add_listener(&rec);
  DeploymentSpec d;
  d.replicas = 1;
  d.pod = llm_pod();
  const DeploymentId dep = cluster.create_deployment(d);
  sim.run_until(SimTime::from_seconds(65));
  // Pod 0: Ready 30.05 (up 22.55, probe at 0.05 + 30), deleted at once, idle at SIGTERM: gone 30.05.
  // Its replacement is created at 30.05 and becomes Ready at 30.1 + 30 = 60.1 (admitted 30.1).
  CHECK(rec.at(PodId{0}).ready == ns(30.05));
  CHECK(rec.at(PodId{0}).gone == ns(30.05));
  CHECK(rec.at(PodId{0}).published == testing::kNeverNs);  // deleted before the publish delay ran out
  CHECK(rec.at(PodId{1}).created == ns(30.05));
  CHECK(rec.at(PodId{1}).ready == ns(60.1));
  CHECK(cluster.pods_of(dep).size() == 1);
}

}  // namespace
}  // namespace kubemind::cluster
