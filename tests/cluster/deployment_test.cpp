// SPDX-License-Identifier: MIT
// Deployment and ReplicaSet controllers: fencepost rounding, rolling-update bounds checked at every
// lifecycle event, scale-down ranking.

#include <algorithm>
#include <catch2/catch.hpp>

#include "cluster_test_support.h"

namespace kubemind::cluster {
namespace {

using engine::Duration;
using engine::SimTime;
using testing::cpu_pool;
using testing::ns;
using testing::small_pod;

TEST_CASE("maxSurge rounds up and maxUnavailable rounds down, and both zero means one unavailable", "[cluster]") {
  DeploymentSpec d;  // 25% / 25%
  // ceil(0.25 * r), floor(0.25 * r), hand-computed.
  CHECK(Cluster::resolve_fenceposts(d, 1) == std::pair<int32_t, int32_t>{1, 0});
  CHECK(Cluster::resolve_fenceposts(d, 4) == std::pair<int32_t, int32_t>{1, 1});
  CHECK(Cluster::resolve_fenceposts(d, 10) == std::pair<int32_t, int32_t>{3, 2});
  CHECK(Cluster::resolve_fenceposts(d, 0) == std::pair<int32_t, int32_t>{0, 1});
  d.max_surge = IntOrPercent{0, false};
  d.max_unavailable = IntOrPercent{0, true};
  CHECK(Cluster::resolve_fenceposts(d, 10) == std::pair<int32_t, int32_t>{0, 1});
  d.max_surge = IntOrPercent{2, false};
  d.max_unavailable = IntOrPercent{30, true};
  CHECK(Cluster::resolve_fenceposts(d, 10) == std::pair<int32_t, int32_t>{2, 3});
}

/// Checks the rolling-update bounds whenever any pod changes.
class BoundsChecker : public PodLifecycleListener {
 public:
  BoundsChecker(Cluster& cluster, DeploymentId dep) : cluster_(cluster), dep_(dep) {}
  void on_pod_created(PodId) override { check(); }
  void on_pod_started(PodId) override { check(); }
  void on_pod_ready(PodId) override { check(); }
  void on_endpoint_published(PodId) override { check(); }
  void on_pod_terminating(PodId) override { check(); }
  void on_endpoint_removed(PodId) override { check(); }
  void on_pod_sigterm(PodId) override { check(); }
  void on_pod_gone(PodId) override { check(); }
  void check() {
    if (!armed) return;
    const DeploymentStatus s = cluster_.deployment_status(dep_);
    max_pods = std::max(max_pods, s.pods);
    min_ready = std::min(min_ready, s.ready);
    ++checks;
  }
  bool armed = false;
  int32_t max_pods = 0;
  int32_t min_ready = INT32_MAX;
  int checks = 0;

 private:
  Cluster& cluster_;
  DeploymentId dep_;
};

TEST_CASE("a rolling update stays within replicas + maxSurge pods and replicas - maxUnavailable ready", "[cluster]") {
  engine::Simulator sim;
  ClusterConfig c;
  c.pools.push_back(cpu_pool("cpu", 2, 64000));
  Cluster cluster(sim, c);
  DeploymentSpec d;
  d.name = "llm";
  PodSpec pod = small_pod(1000);
  pod.has_readiness_probe = true;
  pod.container_start = Duration::seconds(1);
  pod.image = "v1";
  pod.image_size_bytes = 1'000'000'000;  // 10 s pull
  int32_t max_pods = 0;
  int32_t min_ready = 0;
  SECTION("4 replicas, 25%/25%: surge 1, unavailable 1") {
    d.replicas = 4;
    max_pods = 5;
    min_ready = 3;
  }
  SECTION("10 replicas, 25%/25%: surge 3, unavailable 2") {
    d.replicas = 10;
    max_pods = 13;
    min_ready = 8;
  }
  SECTION("4 replicas, surge 0: unavailable 1 drives it") {
    d.replicas = 4;
    d.max_surge = IntOrPercent{0, false};
    d.max_unavailable = IntOrPercent{1, false};
    max_pods = 4;
    min_ready = 3;
  }
  SECTION("4 replicas, unavailable 0: surge 1, never below 4 ready") {
    d.replicas = 4;
    d.max_surge = IntOrPercent{1, false};
    d.max_unavailable = IntOrPercent{0, false};
    max_pods = 5;
    min_ready = 4;
  }
  d.pod = pod;
  const DeploymentId dep = cluster.create_deployment(d);
  BoundsChecker checker(cluster, dep);
  cluster.add_listener(&checker);
  sim.run_until(SimTime::from_seconds(100));
  REQUIRE(cluster.deployment_status(dep).ready == d.replicas);
  checker.armed = true;
  PodSpec v2 = pod;
  v2.image = "v2";
  cluster.update_template(dep, v2);
  sim.run_until(SimTime::from_seconds(2000));
  const DeploymentStatus s = cluster.deployment_status(dep);
  CHECK(s.updated == d.replicas);
  CHECK(s.ready == d.replicas);
  CHECK(s.pods == d.replicas);
  CHECK(s.terminating == 0);
  CHECK(cluster.pods_of(dep).size() == static_cast<size_t>(d.replicas));
  CHECK(checker.checks > 0);
  // Both bounds are reached (the controller uses all the room it has), never crossed.
  CHECK(checker.max_pods == max_pods);
  CHECK(checker.min_ready == min_ready);
}

TEST_CASE("a rollout whose new pods never become Ready stalls as in the Deployment controller's own example", "[cluster]") {
  // kubernetes/kubernetes pkg/controller/deployment/rolling.go, reconcileOldReplicaSets comment
  // ("Concrete example": 10 replicas, maxUnavailable 2, maxSurge 3; the new pods crashloop): "newRS is
  // created with 3 replicas, oldRS is scaled down to 8, and newRS is scaled up to 5", then 13 - 8 - 5 = 0
  // so nothing more is scaled down.
  engine::Simulator sim;
  ClusterConfig c;
  c.pools.push_back(cpu_pool("cpu", 1, 64000));
  Cluster cluster(sim, c);
  DeploymentSpec d;
  d.replicas = 10;
  d.max_surge = IntOrPercent{3, false};
  d.max_unavailable = IntOrPercent{2, false};
  d.pod = small_pod(1000);
  const DeploymentId dep = cluster.create_deployment(d);
  sim.run_until(SimTime::from_seconds(10));
  REQUIRE(cluster.deployment_status(dep).ready == 10);
  PodSpec broken = d.pod;
  broken.has_readiness_probe = true;
  broken.warm_up = Duration::seconds(1'000'000);  // never up within the run
  cluster.update_template(dep, broken);
  sim.run_until(SimTime::from_seconds(1000));
  const DeploymentStatus s = cluster.deployment_status(dep);
  CHECK(s.updated == 5);
  CHECK(s.pods == 13);
  CHECK(s.ready == 8);
}

TEST_CASE("scaling up and down follows the replicas field", "[cluster]") {
  engine::Simulator sim;
  ClusterConfig c;
  c.pools.push_back(cpu_pool("cpu", 1, 64000));
  Cluster cluster(sim, c);
  DeploymentSpec d;
  d.replicas = 2;
  d.pod = small_pod(1000);
  const DeploymentId dep = cluster.create_deployment(d);
  sim.run_until(SimTime::from_seconds(10));
  CHECK(cluster.deployment_status(dep).ready == 2);
  cluster.set_replicas(dep, 5);
  sim.run_until(SimTime::from_seconds(20));
  CHECK(cluster.deployment_status(dep).ready == 5);
  cluster.set_replicas(dep, 0);
  sim.run_until(SimTime::from_seconds(100));
  CHECK(cluster.deployment_status(dep).pods == 0);
  CHECK(cluster.pods_of(dep).empty());
}

TEST_CASE("scale-down deletes an unready pod before Ready ones, then the most recently Ready", "[cluster]") {
  engine::Simulator sim;
  ClusterConfig c;
  c.pools.push_back(cpu_pool("cpu", 1, 64000));
  Cluster cluster(sim, c);
  DeploymentSpec d;
  d.replicas = 1;
  d.pod = small_pod(1000);
  d.pod.has_readiness_probe = true;  // Ready at admission + 10k s: t = 0, 10, 20, ...
  d.pod.container_start = Duration::seconds(1);
  const DeploymentId dep = cluster.create_deployment(d);
  sim.run_until(SimTime::from_seconds(5));   // pod A Ready at 10
  cluster.set_replicas(dep, 2);              // pod B admitted 5, Ready at 15
  sim.run_until(SimTime::from_seconds(30));
  cluster.set_replicas(dep, 3);              // pod C admitted 30, Ready at 40
  sim.run_until(SimTime::from_seconds(35));  // C not Ready yet
  const std::vector<PodId> pods = cluster.pods_of(dep);
  REQUIRE(pods.size() == 3);
  const PodId a = pods[0], b = pods[1], cc = pods[2];
  CHECK(cluster.pod(a).t.ready.ns == ns(10));
  CHECK(cluster.pod(b).t.ready.ns == ns(15));
  cluster.set_replicas(dep, 2);
  sim.run_until(SimTime::from_seconds(36));
  CHECK(cluster.pod(cc).deletion_requested);  // not Ready goes first
  CHECK_FALSE(cluster.pod(b).deletion_requested);
  cluster.set_replicas(dep, 1);
  sim.run_until(SimTime::from_seconds(37));
  CHECK(cluster.pod(b).deletion_requested);  // Ready at 15, after A (10)
  CHECK_FALSE(cluster.pod(a).deletion_requested);
}

TEST_CASE("two Deployments of one app make a canary: both run side by side", "[cluster]") {
  engine::Simulator sim;
  ClusterConfig c;
  c.pools.push_back(cpu_pool("cpu", 1, 64000));
  Cluster cluster(sim, c);
  DeploymentSpec stable;
  stable.name = "llm-stable";
  stable.replicas = 9;
  stable.pod = small_pod(1000);
  stable.pod.app = "llm";
  DeploymentSpec canary = stable;
  canary.name = "llm-canary";
  canary.replicas = 1;
  canary.pod.image = "inference-server:v2";
  const DeploymentId s = cluster.create_deployment(stable);
  const DeploymentId k = cluster.create_deployment(canary);
  sim.run_until(SimTime::from_seconds(10));
  CHECK(cluster.deployment_status(s).ready == 9);
  CHECK(cluster.deployment_status(k).ready == 1);
}

}  // namespace
}  // namespace kubemind::cluster
