// SPDX-License-Identifier: MIT
#include "sim/serve/node_cpu.h"

#include <boost/random/mersenne_twister.hpp>
#include <boost/random/uniform_int_distribution.hpp>
#include <catch2/catch.hpp>
#include <vector>

using namespace kubemind;
using serve::ContainerId;
using serve::NodeCpu;

namespace {

/// Records every rate change it hears.
struct RecordingListener final : serve::CpuRateListener {
  std::vector<std::pair<ContainerId, double>> heard;
  void on_cpu_rate_changed(ContainerId id, double rate_cores) override { heard.emplace_back(id, rate_cores); }
};

}  // namespace

TEST_CASE("busy containers share a node's cores in proportion to their CPU requests", "[serve][node_cpu]") {
  // 4 cores; requests 1, 1, 2 (weights 1024, 1024, 2048); 4 runnable threads each (12 > 4 cores).
  // Level x with 1024 x + 1024 x + 2048 x = 4 -> rates 1, 1, 2.
  NodeCpu node(4.0);
  const ContainerId a = node.add_container(1.0), b = node.add_container(1.0), c = node.add_container(2.0);
  node.set_demand(a, 4);
  node.set_demand(b, 4);
  node.set_demand(c, 4);
  CHECK(node.rate(a) == Approx(1.0).epsilon(1e-12));
  CHECK(node.rate(b) == Approx(1.0).epsilon(1e-12));
  CHECK(node.rate(c) == Approx(2.0).epsilon(1e-12));
  CHECK(node.allocated_cores() == Approx(4.0).epsilon(1e-12));
}

TEST_CASE("cores a container cannot use go to the others by weight (water-filling)", "[serve][node_cpu]") {
  NodeCpu node(4.0);
  const ContainerId a = node.add_container(1.0), b = node.add_container(1.0), c = node.add_container(2.0);
  SECTION("demands 1, 4, 4") {
    // Caps 1, 4, 4; weights 1, 1, 2 (in units of 1024). Saturation levels cap / w: a 1, c 2, b 4.
    // Level if nobody saturates: 4 cores / 4 = 1. a saturates at 1 <= 1: a = 1; left 3 cores, weight 3.
    // Next c: level 3 / 3 = 1 < 2, so no one else saturates: b = 1 x 1 = 1, c = 2 x 1 = 2.
    // (Not 1.5 each: b and c split the 3 free cores 1:2 by weight.)
    node.set_demand(a, 1);
    node.set_demand(b, 4);
    node.set_demand(c, 4);
    CHECK(node.rate(a) == Approx(1.0).epsilon(1e-12));
    CHECK(node.rate(b) == Approx(1.0).epsilon(1e-12));
    CHECK(node.rate(c) == Approx(2.0).epsilon(1e-12));
  }
  SECTION("demands 1, 4, 1") {
    // Caps 1, 4, 1; levels cap / w: a 1, c 0.5, b 4. Start level 4 / 4 = 1: c saturates (0.5 <= 1): c = 1,
    // left 3 cores, weight 2, level 1.5; a saturates (1 <= 1.5): a = 1, left 2 cores, weight 1, level 2;
    // b's level 4 > 2: b = 1 x 2 = 2. b gets twice its request because a and c leave cores idle.
    node.set_demand(a, 1);
    node.set_demand(b, 4);
    node.set_demand(c, 1);
    CHECK(node.rate(a) == Approx(1.0).epsilon(1e-12));
    CHECK(node.rate(b) == Approx(2.0).epsilon(1e-12));
    CHECK(node.rate(c) == Approx(1.0).epsilon(1e-12));
  }
  SECTION("demands fitting the node") {
    // 1 + 1 + 1 = 3 threads on 4 cores: each thread has a core, one core idle.
    node.set_demand(a, 1);
    node.set_demand(b, 1);
    node.set_demand(c, 1);
    CHECK(node.rate(a) == 1.0);
    CHECK(node.rate(b) == 1.0);
    CHECK(node.rate(c) == 1.0);
    CHECK(node.allocated_cores() == Approx(3.0).epsilon(1e-12));
  }
}

TEST_CASE("a CPU limit caps a container even on an idle node", "[serve][node_cpu]") {
  // Limit 0.5 = a CFS quota of 50 ms per 100 ms period; the fluid model gives its average, 0.5 cores.
  NodeCpu node(4.0);
  const ContainerId limited = node.add_container(0.25, 0.5);
  node.set_demand(limited, 4);
  CHECK(node.rate(limited) == 0.5);
  node.set_demand(limited, 1);
  CHECK(node.rate(limited) == 0.5);
  // A limit above the demand does not bind: 1 thread uses at most 1 core.
  const ContainerId loose = node.add_container(0.25, 2.0);
  node.set_demand(loose, 1);
  CHECK(node.rate(loose) == 1.0);
}

TEST_CASE("without a limit a container uses idle cores beyond its request", "[serve][node_cpu]") {
  // Request 0.1 core, 3 threads, node otherwise idle: CFS is work-conserving, so 3 cores.
  NodeCpu node(4.0);
  const ContainerId small = node.add_container(0.1);
  const ContainerId idle = node.add_container(3.0);
  node.set_demand(small, 3);
  CHECK(node.rate(small) == Approx(3.0).epsilon(1e-12));
  CHECK(node.rate(idle) == 0.0);
  // The neighbour wakes up with 4 threads: weights 102.4 : 3072 (0.1 : 3 cores). Level 4 / 3174.4 per
  // unit weight: small = 102.4 x 4 / 3174.4 = 0.12903 (its request scaled by 4 / 3.1), neighbour 3.87097.
  node.set_demand(idle, 4);
  CHECK(node.rate(small) == Approx(0.1 * 4.0 / 3.1).epsilon(1e-12));
  CHECK(node.rate(idle) == Approx(3.0 * 4.0 / 3.1).epsilon(1e-12));
}

TEST_CASE("listeners hear every rate that changed once and in container order", "[serve][node_cpu]") {
  NodeCpu node(1.0);
  RecordingListener la, lb, lc;
  const ContainerId a = node.add_container(0.5, 0.0, &la);
  const ContainerId b = node.add_container(0.5, 0.0, &lb);
  const ContainerId c = node.add_container(0.5, 0.0, &lc);
  node.set_demand(a, 1);  // a alone: 1 core
  REQUIRE(la.heard.size() == 1);
  CHECK(la.heard[0] == std::pair<ContainerId, double>{a, 1.0});
  node.set_demand(b, 1);  // a and b: 0.5 each; c unchanged at 0, not told
  REQUIRE(la.heard.size() == 2);
  REQUIRE(lb.heard.size() == 1);
  CHECK(la.heard[1].second == Approx(0.5).epsilon(1e-12));
  CHECK(lb.heard[0].second == Approx(0.5).epsilon(1e-12));
  CHECK(lc.heard.empty());
  node.set_demand(b, 2);  // b has 2 threads but equal weight: still 0.5 each, nobody told
  CHECK(la.heard.size() == 2);
  CHECK(lb.heard.size() == 1);
  node.remove_container(a);  // b gets the whole core; a's listener is not called
  CHECK(la.heard.size() == 2);
  REQUIRE(lb.heard.size() == 2);
  CHECK(lb.heard[1].second == Approx(1.0).epsilon(1e-12));
  CHECK(node.add_container(1.0) == a);  // the freed id is reused
  CHECK(node.rate(a) == 0.0);
  (void)c;
}

TEST_CASE("random demands always meet the definition of weighted max-min fairness", "[serve][node_cpu]") {
  // An allocation is weighted max-min fair iff it uses min(cores, sum of caps), no container exceeds
  // its cap, and every container below its cap has the highest rate / weight of all: nobody can gain
  // without taking from someone with a lower normalised share.
  boost::random::mt19937_64 rng(7);
  boost::random::uniform_int_distribution<int> pick(0, 9), threads(0, 6), milli(1, 40);
  NodeCpu node(8.0);
  std::vector<ContainerId> ids;
  std::vector<double> limit;
  for (int i = 0; i < 10; ++i) {
    const double lim = i % 3 == 0 ? 0.25 * milli(rng) / 10.0 : 0.0;
    ids.push_back(node.add_container(0.1 * milli(rng), lim));
    limit.push_back(lim);
  }
  for (int step = 0; step < 2000; ++step) {
    node.set_demand(ids[static_cast<size_t>(pick(rng))], threads(rng));
    double cap_sum = 0.0, max_share = 0.0;
    std::vector<double> cap(ids.size());
    for (size_t i = 0; i < ids.size(); ++i) {
      cap[i] = node.demand(ids[i]);
      if (limit[i] > 0) cap[i] = std::min(cap[i], limit[i]);
      cap_sum += cap[i];
      REQUIRE(node.rate(ids[i]) <= cap[i] + 1e-9);
      REQUIRE(node.rate(ids[i]) >= 0.0);
      max_share = std::max(max_share, node.rate(ids[i]) / node.weight(ids[i]));
    }
    REQUIRE(node.allocated_cores() == Approx(std::min(8.0, cap_sum)).epsilon(1e-9));
    for (size_t i = 0; i < ids.size(); ++i) {
      if (node.rate(ids[i]) < cap[i] - 1e-9) {
        REQUIRE(node.rate(ids[i]) / node.weight(ids[i]) == Approx(max_share).epsilon(1e-9));
      }
    }
  }
}

TEST_CASE("requests map to cgroup v2 cpu.weight as the container runtimes convert them", "[serve][node_cpu]") {
  using M = serve::CpuWeightMapping;
  // Kubelet shares = millicores x 1024 / 1000: 1000m -> 1024, 2000m -> 2048, 500m -> 512.
  CHECK(serve::cpu_weight(1.0, M::kProportional) == 1024.0);
  CHECK(serve::cpu_weight(0.0, M::kProportional) == 2.0);  // MinShares for a zero request
  // runc < 1.3.2: 1 + (shares - 2) x 9999 / 262142 in integers: 1024 -> 1 + 10218978 / 262142 = 39;
  // 2048 -> 1 + 20457954 / 262142 = 79; 512 -> 1 + 5099490 / 262142 = 20.
  CHECK(serve::cpu_weight(1.0, M::kCgroupV2Linear) == 39.0);
  CHECK(serve::cpu_weight(2.0, M::kCgroupV2Linear) == 79.0);
  CHECK(serve::cpu_weight(0.5, M::kCgroupV2Linear) == 20.0);
  // runc >= 1.3.2 keeps the defaults: shares 2 -> 1, 1024 -> 100, 262144 -> 10000 (runc PR 4785); and
  // 2048: l = 11, (121 + 1375) / 612 - 7/34 = 2.23856, 10^2.23856 = 173.2 -> 174 (not twice 100).
  CHECK(serve::cpu_weight(0.0, M::kCgroupV2NonLinear) == 1.0);
  CHECK(serve::cpu_weight(1.0, M::kCgroupV2NonLinear) == 100.0);
  CHECK(serve::cpu_weight(256.0, M::kCgroupV2NonLinear) == 10000.0);
  CHECK(serve::cpu_weight(2.0, M::kCgroupV2NonLinear) == 174.0);
  // Under the non-linear mapping a 2-core request gets 174 / 274 = 63.5% of a contended core, not 2/3.
  NodeCpu node(1.0, M::kCgroupV2NonLinear);
  const ContainerId big = node.add_container(2.0), small = node.add_container(1.0);
  node.set_demand(big, 1);
  node.set_demand(small, 1);
  CHECK(node.rate(big) == Approx(174.0 / 274.0).epsilon(1e-12));
}
