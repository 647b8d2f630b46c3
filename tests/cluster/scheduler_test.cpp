// SPDX-License-Identifier: MIT
// Scheduler, Cluster Autoscaler, preemption and spot interruption. Expected placements and times are
// worked by hand from the rules in scheduler.cc / cluster.cc.

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

NodePoolConfig gpu_pool(int32_t nodes) {
  NodePoolConfig p = cpu_pool("gpu", nodes, 64000);
  p.gpu_type = "NVIDIA-A100-SXM4-80GB";
  p.gpu_count = 8;
  p.taints.push_back(Taint{"nvidia.com/gpu", "present", TaintEffect::kNoSchedule});
  return p;
}

TEST_CASE("a pod that tolerates no GPU taint never lands on a GPU node", "[cluster]") {
  engine::Simulator sim;
  ClusterConfig c;
  c.pools.push_back(gpu_pool(2));              // nodes 0, 1: large and empty, but tainted
  c.pools.push_back(cpu_pool("cpu", 2, 4000)); // nodes 2, 3: room for 4 pods of 1000m each
  Cluster cluster(sim, c);
  std::vector<PodId> plain;
  for (int i = 0; i < 20; ++i) plain.push_back(cluster.create_pod(small_pod(1000)));
  PodSpec gpu = small_pod(1000);
  gpu.requests.gpus = 1;
  gpu.tolerations.push_back(Toleration{"nvidia.com/gpu", Toleration::Operator::kExists, "", true, {}});
  const PodId gpu_pod = cluster.create_pod(gpu);
  sim.run_until(SimTime::from_seconds(60));
  int bound = 0;
  for (PodId id : plain) {
    const Pod& p = cluster.pod(id);
    if (!p.bound()) continue;
    ++bound;
    CHECK(cluster.node(p.node).pool == 1);
  }
  CHECK(bound == 8);  // 2 CPU nodes x 4000m / 1000m; the other 12 stay Pending
  CHECK(cluster.node(cluster.pod(gpu_pod).node).pool == 0);
}

TEST_CASE("tolerations match taints as core/v1 ToleratesTaint does", "[cluster]") {
  const Taint gpu{"nvidia.com/gpu", "present", TaintEffect::kNoSchedule};
  using Op = Toleration::Operator;
  CHECK(tolerates(Toleration{"nvidia.com/gpu", Op::kEqual, "present", true, {}}, gpu));
  CHECK_FALSE(tolerates(Toleration{"nvidia.com/gpu", Op::kEqual, "absent", true, {}}, gpu));
  CHECK(tolerates(Toleration{"nvidia.com/gpu", Op::kExists, "", true, {}}, gpu));
  CHECK(tolerates(Toleration{"", Op::kExists, "", true, {}}, gpu));  // empty key + Exists: everything
  CHECK_FALSE(tolerates(Toleration{"nvidia.com/gpu", Op::kExists, "", false, TaintEffect::kNoExecute}, gpu));
  CHECK(tolerates(Toleration{"nvidia.com/gpu", Op::kExists, "", false, TaintEffect::kNoSchedule}, gpu));
}

TEST_CASE("required node affinity In and NotIn select nodes by label", "[cluster]") {
  engine::Simulator sim;
  ClusterConfig c;
  NodePoolConfig a = cpu_pool("a", 1, 8000);
  a.zone = "zone-a";
  NodePoolConfig b = cpu_pool("b", 1, 8000);
  b.zone = "zone-b";
  c.pools = {a, b};
  Cluster cluster(sim, c);
  PodSpec in_b = small_pod(1000);
  in_b.required_node_affinity = {{NodeSelectorRequirement{kZoneLabel, NodeSelectorRequirement::Operator::kIn, {"zone-b"}}}};
  PodSpec not_a = small_pod(1000);
  not_a.required_node_affinity = {{NodeSelectorRequirement{kZoneLabel, NodeSelectorRequirement::Operator::kNotIn, {"zone-a"}}}};
  PodSpec nowhere = small_pod(1000);
  nowhere.required_node_affinity = {{NodeSelectorRequirement{kZoneLabel, NodeSelectorRequirement::Operator::kIn, {"zone-c"}}}};
  const PodId p1 = cluster.create_pod(in_b);
  const PodId p2 = cluster.create_pod(not_a);
  const PodId p3 = cluster.create_pod(nowhere);
  sim.run_until(SimTime::from_seconds(1));
  CHECK(cluster.pod(p1).node == NodeId{1});
  CHECK(cluster.pod(p2).node == NodeId{1});
  CHECK_FALSE(cluster.pod(p3).bound());
}

TEST_CASE("scoring spreads with LeastAllocated and packs with MostAllocated, ties to the lowest node", "[cluster]") {
  engine::Simulator sim;
  ClusterConfig c;
  c.pools.push_back(cpu_pool("cpu", 2, 4000));
  std::vector<uint32_t> expected;
  SECTION("LeastAllocated alternates") {
    expected = {0, 1, 0, 1, 0, 1, 0, 1};
  }
  SECTION("MostAllocated fills node 0 first") {
    c.scoring = ScoringStrategy::kMostAllocated;
    expected = {0, 0, 0, 0, 1, 1, 1, 1};
  }
  Cluster cluster(sim, c);
  std::vector<PodId> ids;
  for (int i = 0; i < 8; ++i) ids.push_back(cluster.create_pod(small_pod(1000)));
  sim.run_until(SimTime::from_seconds(1));
  for (size_t i = 0; i < ids.size(); ++i) CHECK(index_of(cluster.pod(ids[i]).node) == expected[i]);
}

TEST_CASE("zone topology spread with DoNotSchedule leaves a pod Pending rather than exceed maxSkew", "[cluster]") {
  engine::Simulator sim;
  ClusterConfig c;
  NodePoolConfig a = cpu_pool("a", 1, 16000);
  a.zone = "zone-a";
  NodePoolConfig b = cpu_pool("b", 1, 1000);  // room for one pod
  b.zone = "zone-b";
  c.pools = {a, b};
  Cluster cluster(sim, c);
  PodSpec spec = small_pod(1000);
  spec.app = "web";
  spec.topology_spread.push_back(TopologySpreadConstraint{});
  std::vector<PodId> ids;
  for (int i = 0; i < 4; ++i) ids.push_back(cluster.create_pod(spec));
  sim.run_until(SimTime::from_seconds(1));
  // a (least allocated), b (a would make skew 2), a (1,1), then a would be 2+1-1 = 2 and b is full.
  CHECK(cluster.pod(ids[0]).node == NodeId{0});
  CHECK(cluster.pod(ids[1]).node == NodeId{1});
  CHECK(cluster.pod(ids[2]).node == NodeId{0});
  CHECK_FALSE(cluster.pod(ids[3]).bound());
}

ClusterConfig autoscaled() {
  ClusterConfig c;
  c.pools.push_back(cpu_pool("small", 1, 2000));
  NodePoolConfig big = cpu_pool("big", 0, 16000);
  big.max_nodes = 2;
  big.min_nodes = 0;
  big.provision_delay = Duration::seconds(180);
  c.pools.push_back(big);
  return c;
}

TEST_CASE("a pod that fits nowhere waits for the Cluster Autoscaler: next scan plus provision delay", "[cluster]") {
  engine::Simulator sim;
  Cluster cluster(sim, autoscaled());
  Recorder rec(sim);
  cluster.add_listener(&rec);
  sim.run_until(SimTime::from_seconds(3));
  const PodId first = cluster.create_pod(small_pod(4000));  // unschedulable at 3 s
  sim.run_until(SimTime::from_seconds(50));
  const PodId second = cluster.create_pod(small_pod(4000));  // fits on the node being provisioned
  const PodId huge = cluster.create_pod(small_pod(20000));  // fits no pool
  sim.run_until(SimTime::from_seconds(189.999));
  CHECK_FALSE(cluster.pod(first).bound());
  sim.run_until(SimTime::from_seconds(400));
  // Scan at 10 s (the first k * 10 s after 3 s), node Ready at 10 + 180 = 190 s.
  CHECK(cluster.pod(first).t.bound.ns == ns(190));
  CHECK(cluster.pod(second).t.bound.ns == ns(190));
  CHECK(cluster.pod(first).node == cluster.pod(second).node);
  CHECK_FALSE(cluster.pod(huge).bound());
  CHECK(cluster.stats().nodes_provisioned == 1);
  CHECK(cluster.stats().scale_ups == 1);
  const ColdStartBreakdown b = cluster.cold_start_breakdown(first);
  CHECK(b.pending.ns == ns(7));              // 3 -> 10
  CHECK(b.node_provisioning.ns == ns(180));  // 10 -> 190
  CHECK(rec.at(first).ready == ns(190));     // no probe, no image, instant container start
}

TEST_CASE("a pod that turns unschedulable exactly at a scan waits for the next one", "[cluster]") {
  engine::Simulator sim;
  Cluster cluster(sim, autoscaled());
  sim.run_until(SimTime::from_seconds(10));
  const PodId id = cluster.create_pod(small_pod(4000));
  sim.run_until(SimTime::from_seconds(400));
  CHECK(cluster.pod(id).t.bound.ns == ns(200));  // scan at 20 s, Ready at 200 s
}

TEST_CASE("the Cluster Autoscaler adds at most max_nodes per pool", "[cluster]") {
  engine::Simulator sim;
  Cluster cluster(sim, autoscaled());
  std::vector<PodId> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(cluster.create_pod(small_pod(10000)));  // one per big node
  sim.run_until(SimTime::from_seconds(1000));
  int bound = 0;
  for (PodId id : ids) bound += cluster.pod(id).bound() ? 1 : 0;
  CHECK(bound == 2);
  CHECK(cluster.stats().nodes_provisioned == 2);
  CHECK(cluster.pool_size(1) == 2);
}

TEST_CASE("the Cluster Autoscaler removes a node left empty once it was unneeded for 10 minutes", "[cluster]") {
  engine::Simulator sim;
  Cluster cluster(sim, autoscaled());
  PodSpec s = small_pod(4000);
  s.drain = DrainMode::kExitImmediately;
  const PodId id = cluster.create_pod(s);  // unschedulable at 0: scan 10, node Ready at 190
  sim.run_until(SimTime::from_seconds(300));
  REQUIRE(cluster.pod(id).node == NodeId{1});
  cluster.delete_pod(id);  // gone at 300 (SIGTERM at once, exits)
  sim.run_until(SimTime::from_seconds(2000));
  // Empty from 300: unneeded at the scan at 310, removed at the first scan >= 310 + 600 (the last
  // scale-up at 10 s ended its 600 s cool-down at 610).
  CHECK(cluster.node(NodeId{1}).removed);
  CHECK(cluster.node(NodeId{1}).removed_at.ns == ns(910));
  CHECK(cluster.stats().nodes_scaled_down == 1);
  CHECK_FALSE(cluster.node(NodeId{0}).removed);  // the small pool is at its min_nodes (1)
}

TEST_CASE("scale-down drains an underutilised node and its pods move to another node", "[cluster]") {
  engine::Simulator sim;
  ClusterConfig c;
  NodePoolConfig pool = cpu_pool("cpu", 2, 4000);
  pool.min_nodes = 0;
  c.pools.push_back(pool);
  Cluster cluster(sim, c);
  DeploymentSpec d;
  d.replicas = 2;
  d.pod = small_pod(1000);  // one per node (LeastAllocated): both nodes at 25 %
  const DeploymentId dep = cluster.create_deployment(d);
  sim.run_until(SimTime::from_seconds(2000));
  // Scan at 10: node 0's pod fits on node 1, so node 0 is unneeded; node 1's pod has nowhere to go
  // (node 0 is leaving). At 610 node 0 is drained: its pod gets SIGKILL at the 30 s grace (nobody
  // reports idle) and the node is removed at 640. The replacement runs on node 1.
  CHECK(cluster.node(NodeId{0}).removed);
  CHECK(cluster.node(NodeId{0}).removed_at.ns == ns(640));
  CHECK_FALSE(cluster.node(NodeId{1}).removed);
  const std::vector<PodId> pods = cluster.pods_of(dep);
  REQUIRE(pods.size() == 2);
  for (PodId id : pods) CHECK(cluster.pod(id).node == NodeId{1});
  CHECK(cluster.stats().nodes_scaled_down == 1);
}

TEST_CASE("preemption evicts only the lowest-priority pods that make room", "[cluster]") {
  engine::Simulator sim;
  ClusterConfig c;
  c.pools.push_back(cpu_pool("cpu", 1, 4000));
  Cluster cluster(sim, c);
  PodSpec low = small_pod(1000);
  low.drain = DrainMode::kFullGracePeriod;  // victims hold their CPU for the 30 s grace period
  PodSpec mid = small_pod(2000);
  mid.priority = 50;
  PodSpec high = small_pod(2000);
  high.priority = 100;
  const PodId low1 = cluster.create_pod(low);
  const PodId low2 = cluster.create_pod(low);
  const PodId mid1 = cluster.create_pod(mid);
  sim.run_until(SimTime::from_seconds(10));
  const PodId high1 = cluster.create_pod(high);
  sim.run_until(SimTime::from_seconds(100));
  // Without all lower pods the node has 4000m; reprieve mid (2000 + 2000 fits), then neither low fits.
  CHECK(cluster.pod(low1).t.deleted.ns == ns(10));
  CHECK(cluster.pod(low2).t.deleted.ns == ns(10));
  CHECK(cluster.pod(mid1).stage == PodStage::kRunning);
  CHECK(cluster.stats().preemptions == 2);
  CHECK(cluster.pod(high1).t.bound.ns == ns(40));  // victims gone at 10 + 30
}

TEST_CASE("preemption picks the node whose most important victim has the lowest priority", "[cluster]") {
  engine::Simulator sim;
  ClusterConfig c;
  c.pools.push_back(cpu_pool("cpu", 2, 4000));
  Cluster cluster(sim, c);
  PodSpec ten = small_pod(4000);
  ten.priority = 10;
  PodSpec zero = small_pod(2000);
  const PodId p10 = cluster.create_pod(ten);  // node 0
  const PodId z1 = cluster.create_pod(zero);  // node 1
  const PodId z2 = cluster.create_pod(zero);  // node 1
  sim.run_until(SimTime::from_seconds(1));
  REQUIRE(cluster.pod(p10).node == NodeId{0});
  REQUIRE(cluster.pod(z2).node == NodeId{1});
  PodSpec high = small_pod(4000);
  high.priority = 100;
  const PodId h = cluster.create_pod(high);
  PodSpec same = small_pod(4000);
  same.priority = 10;  // equal priority never preempts
  sim.run_until(SimTime::from_seconds(100));
  CHECK(cluster.pod(p10).stage == PodStage::kRunning);
  CHECK(cluster.pod(z1).stage == PodStage::kGone);
  CHECK(cluster.pod(z2).stage == PodStage::kGone);
  CHECK(cluster.pod(h).node == NodeId{1});
  const PodId s = cluster.create_pod(same);
  sim.run_until(SimTime::from_seconds(200));
  CHECK_FALSE(cluster.pod(s).bound());
  CHECK(cluster.stats().preemptions == 2);
}

TEST_CASE("a spot interruption terminates the node's pods and their replacements run elsewhere", "[cluster]") {
  engine::Simulator sim;
  ClusterConfig c;
  NodePoolConfig spot = cpu_pool("spot", 1, 4000);
  spot.spot = true;
  spot.spot_notice = Duration::seconds(120);
  c.pools.push_back(spot);
  c.pools.push_back(cpu_pool("on-demand", 1, 4000));
  Cluster cluster(sim, c);
  Recorder rec(sim);
  cluster.add_listener(&rec);
  DeploymentSpec d;
  d.name = "web";
  d.replicas = 2;
  d.pod = small_pod(1000);
  d.pod.drain = DrainMode::kFullGracePeriod;
  const DeploymentId dep = cluster.create_deployment(d);
  sim.run_until(SimTime::from_seconds(50));
  const std::vector<PodId> before = cluster.pods_of(dep);
  REQUIRE(before.size() == 2);
  REQUIRE(cluster.pod(before[0]).node == NodeId{0});  // LeastAllocated: one pod per node
  REQUIRE(cluster.pod(before[1]).node == NodeId{1});
  cluster.schedule_spot_interruption(NodeId{0}, SimTime::from_seconds(100));
  sim.run_until(SimTime::from_seconds(300));
  CHECK(rec.at(before[0]).terminating == ns(100));
  CHECK(rec.at(before[0]).gone == ns(130));  // grace min(30 s, 120 s notice)
  CHECK(cluster.node(NodeId{0}).removed);
  CHECK(cluster.node(NodeId{0}).removed_at.ns == ns(220));
  const std::vector<PodId> after = cluster.pods_of(dep);
  REQUIRE(after.size() == 2);
  CHECK(after[0] == before[1]);
  CHECK(cluster.pod(after[1]).node == NodeId{1});
  CHECK(cluster.pod(after[1]).t.created.ns == ns(100));
  CHECK(cluster.deployment_status(dep).ready == 2);
  CHECK(cluster.stats().spot_interruptions == 1);
}

TEST_CASE("a spot notice shorter than the grace period kills the pod when the node goes", "[cluster]") {
  engine::Simulator sim;
  ClusterConfig c;
  NodePoolConfig spot = cpu_pool("spot", 1, 4000);
  spot.spot = true;
  spot.spot_notice = Duration::seconds(20);
  c.pools.push_back(spot);
  Cluster cluster(sim, c);
  PodSpec s = small_pod(1000);
  s.drain = DrainMode::kFullGracePeriod;
  const PodId id = cluster.create_pod(s);
  cluster.schedule_spot_interruption(NodeId{0}, SimTime::from_seconds(10));
  sim.run_until(SimTime::from_seconds(100));
  CHECK(cluster.pod(id).t.gone.ns == ns(30));  // 10 + min(30, 20)
}

}  // namespace
}  // namespace kubemind::cluster
