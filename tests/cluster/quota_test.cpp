// SPDX-License-Identifier: MIT
// ResourceQuota admission: hand-worked admissions and refusals of ReplicaSet and bare pod creates,
// when a deleted pod stops counting (gone, or stuck terminating: deletionTimestamp + grace, where
// deletionTimestamp = deletion + grace; pkg/quota/v1/evaluator/core/pods.go QuotaV1Pod), several
// quotas in one namespace, and namespaces not sharing a quota.

#include <catch2/catch.hpp>

#include "cluster_test_support.h"

namespace kubemind::cluster {
namespace {

using engine::Duration;
using engine::SimTime;
using testing::cpu_pool;
using testing::ns;
using testing::Recorder;
using testing::small_pod;

/// One GPU per pod, namespace "team"; readiness probe every 10 s from admission (t = 0), container up
/// at 1 s: Ready at the second probe, t = 10 s. Ignores SIGTERM: gone at deletion + 30 s.
PodSpec gpu_pod() {
  PodSpec s = small_pod(1000);
  s.ns = "team";
  s.requests.gpus = 1;
  s.container_start = Duration::seconds(1);
  s.has_readiness_probe = true;
  s.drain = DrainMode::kFullGracePeriod;
  return s;
}

ClusterConfig gpu_cluster(int32_t nodes) {
  ClusterConfig c;
  c.pools.push_back(cpu_pool("gpu", nodes, 64000));
  c.pools[0].gpu_count = 8;
  c.autoscaler.enabled = false;
  c.autoscaler.scale_down_enabled = false;
  return c;
}

ResourceQuota quota(const char* name, const char* ns) {
  ResourceQuota q;
  q.name = name;
  q.ns = ns;
  return q;
}

/// gpu_cluster(nodes) with one quota, "gpus" in namespace "team", of `gpus` GPUs of requests.
ClusterConfig gpu_cluster_with_quota(int32_t nodes, int64_t gpus) {
  ClusterConfig c = gpu_cluster(nodes);
  c.quotas.push_back(quota("gpus", "team"));
  c.quotas[0].gpus = gpus;
  return c;
}

/// Deployment "llm" of `replicas` gpu_pod()s.
DeploymentSpec llm_deployment(int32_t replicas) {
  DeploymentSpec d;
  d.name = "llm";
  d.replicas = replicas;
  d.pod = gpu_pod();
  return d;
}

int32_t live_pods(const Cluster& cluster) {
  int32_t n = 0;
  for (uint32_t i = 0; i < cluster.pod_count(); ++i) n += cluster.pod(PodId{i}).stage != PodStage::kGone ? 1 : 0;
  return n;
}

TEST_CASE("a 2-GPU quota admits 2 of a Deployment's 4 one-GPU pods and refuses one create per sync", "[cluster][quota]") {
  engine::Simulator sim;
  Cluster cluster(sim, gpu_cluster_with_quota(1, 2));
  const DeploymentId dep = cluster.create_deployment(llm_deployment(4));
  sim.run_until(SimTime::from_seconds(5));
  // t = 0, sync 1: the ReplicaSet is set to 4, creates 2 pods, the 3rd create is refused (the rest of
  // the batch skipped); sync 2 (sync 1 changed something): refused again. Nothing else syncs before
  // the pods turn Ready at 10 s.
  CHECK(cluster.stats().pods_created == 2);
  CHECK(cluster.stats().quota_rejections == 2);
  CHECK(cluster.deployment_status(dep).pods == 2);
  CHECK(cluster.deployment_status(dep).quota_rejections == 2);
  sim.run_until(SimTime::from_seconds(20));
  // t = 10 s: both pods Ready in one instant, one sync, one more refusal. Still 2 of 4.
  const DeploymentStatus s = cluster.deployment_status(dep);
  CHECK(s.replicas == 4);
  CHECK(s.pods == 2);
  CHECK(s.ready == 2);
  CHECK(cluster.stats().quota_rejections == 3);
  const std::vector<QuotaStatus> q = cluster.quota_status();
  REQUIRE(q.size() == 1);
  CHECK(q[0].used.gpus == 2);
  CHECK(q[0].used.cpu_millicores == 2000);
  CHECK(q[0].pods == 2);
  CHECK(q[0].rejections == 3);
}

TEST_CASE("a deleted pod frees its quota when it is gone at the end of its grace period, not before", "[cluster][quota]") {
  engine::Simulator sim;
  Cluster cluster(sim, gpu_cluster_with_quota(1, 2));
  Recorder rec(sim);
  cluster.add_listener(&rec);
  const DeploymentId dep = cluster.create_deployment(llm_deployment(4));
  sim.run_until(SimTime::from_seconds(20));
  REQUIRE(cluster.deployment_status(dep).ready == 2);
  cluster.delete_pod(PodId{0});  // t = 20 s; ignores SIGTERM: killed at 20 + 30 = 50 s
  sim.run_until(SimTime{ns(50) - 1});
  // The terminating pod still counts (QuotaV1Pod: deletionTimestamp = 50 s, + grace = 80 s): the
  // replacement is refused.
  CHECK(cluster.stats().pods_created == 2);
  CHECK(cluster.deployment_status(dep).pods == 1);
  CHECK(cluster.deployment_status(dep).terminating == 1);
  CHECK(cluster.quota_status()[0].used.gpus == 2);
  sim.run_until(SimTime::from_seconds(60));
  // Gone at 50 s: the sync that follows creates exactly one pod (then 2 GPUs are used again).
  CHECK(rec.events[0].gone == ns(50));
  CHECK(cluster.stats().pods_created == 3);
  REQUIRE(rec.events.size() == 3);
  CHECK(rec.events[2].created == ns(50));
  CHECK(cluster.deployment_status(dep).pods == 2);
  CHECK(cluster.deployment_status(dep).terminating == 0);
  CHECK(live_pods(cluster) == 2);
}

TEST_CASE("a pod stuck terminating on a lost node stops counting at deletion plus twice its grace period", "[cluster][quota]") {
  engine::Simulator sim;
  Cluster cluster(sim, gpu_cluster_with_quota(2, 1));
  Recorder rec(sim);
  cluster.add_listener(&rec);
  const DeploymentId dep = cluster.create_deployment(llm_deployment(1));
  sim.run_until(SimTime::from_seconds(20));
  REQUIRE(cluster.deployment_status(dep).ready == 1);
  cluster.fail_node(cluster.pod(PodId{0}).node);
  cluster.delete_pod(PodId{0});  // t = 20 s: stays Terminating for ever (no kubelet to confirm)
  // deletionTimestamp = 20 + 30 = 50 s; QuotaV1Pod drops it once now is after 50 + 30 = 80 s.
  sim.run_until(SimTime::from_seconds(80));
  CHECK(cluster.stats().pods_created == 1);
  CHECK(cluster.quota_status()[0].pods == 1);
  sim.run_until(SimTime::from_seconds(100));
  CHECK(cluster.pod(PodId{0}).stage == PodStage::kTerminating);
  CHECK(cluster.stats().pods_created == 2);
  REQUIRE(rec.events.size() == 2);
  CHECK(rec.events[1].created == ns(80) + 1);  // the first instant after 80 s
  CHECK(cluster.quota_status()[0].pods == 1);  // only the replacement
  CHECK(cluster.quota_status()[0].used.gpus == 1);
}

TEST_CASE("every quota of a namespace must admit a pod and other namespaces are not bound", "[cluster][quota]") {
  engine::Simulator sim;
  ClusterConfig c = gpu_cluster(1);
  c.quotas.push_back(quota("count", "team"));
  c.quotas[0].pods = 3;
  c.quotas.push_back(quota("compute", "team"));
  c.quotas[1].cpu_millicores = 2500;
  Cluster cluster(sim, c);
  DeploymentSpec d;
  d.name = "team-app";
  d.replicas = 5;
  d.pod = small_pod(1000);
  d.pod.ns = "team";
  const DeploymentId team = cluster.create_deployment(d);
  d.name = "other-app";
  d.pod.ns = "other";
  const DeploymentId other = cluster.create_deployment(d);
  sim.run_until(SimTime::from_seconds(5));
  // team: 1000m each; 3 x 1000m > 2500m, so the compute quota stops it at 2 (the count quota, 3 pods,
  // would admit a 3rd). other: no quota, all 5.
  CHECK(cluster.deployment_status(team).pods == 2);
  CHECK(cluster.deployment_status(other).pods == 5);
  CHECK(cluster.deployment_status(other).quota_rejections == 0);
  const std::vector<QuotaStatus> q = cluster.quota_status();
  CHECK(q[0].rejections == 0);
  CHECK(q[1].rejections == cluster.stats().quota_rejections);
  CHECK(q[1].rejections > 0);
  CHECK(q[0].pods == 2);
  CHECK(q[1].used.cpu_millicores == 2000);
  // A bare pod of 500m still fits (2000 + 500 <= 2500) and makes 3 pods; a 4th is refused by both
  // quotas (4 pods > 3, 2500 + 1 > 2500m) and does not exist.
  PodSpec bare = small_pod(500);
  bare.ns = "team";
  CHECK(cluster.create_pod(bare) != kNoPod);
  const uint64_t before = cluster.stats().quota_rejections;
  const uint64_t pods_before = cluster.stats().pods_created;
  PodSpec one = small_pod(1);
  one.ns = "team";
  CHECK(cluster.create_pod(one) == kNoPod);
  CHECK(cluster.stats().quota_rejections == before + 1);
  CHECK(cluster.stats().pods_created == pods_before);
  CHECK(cluster.quota_status()[0].rejections == 1);
}

}  // namespace
}  // namespace kubemind::cluster
