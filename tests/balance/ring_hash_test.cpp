// SPDX-License-Identifier: MIT
#include "sim/balance/ring_hash.h"

#include <catch2/catch.hpp>
#include <vector>

using namespace kubemind;
using balance::HostView;

namespace {

std::vector<HostView> equal_hosts(uint32_t n) {
  std::vector<HostView> hosts;
  for (uint32_t i = 0; i < n; ++i) hosts.push_back({i, 1, 0});
  return hosts;
}

/// Host id each key in [0, keys) maps to.
std::vector<uint32_t> map_keys(balance::RingHashPolicy& ring, const std::vector<HostView>& hosts, uint64_t keys,
                               engine::RngStream& rng) {
  std::vector<uint32_t> out;
  for (uint64_t k = 0; k < keys; ++k) out.push_back(hosts[*ring.choose(hosts, {k * 7919 + 13}, rng.engine())].id);
  return out;
}

}  // namespace

TEST_CASE("ring hash sizes its ring by Envoy's arithmetic", "[balance]") {
  balance::RingHashPolicy ring(balance::RingHashConfig{});
  // 4 equal hosts: min normalised weight 1/4, ceil(1024/4)/(1/4) = 1024 entries.
  ring.on_host_set_changed(equal_hosts(4));
  CHECK(ring.ring_size() == 1024);
  // 3 equal hosts: ceil(1024/3) = 342 per host, 1026 in all.
  ring.on_host_set_changed(equal_hosts(3));
  CHECK(ring.ring_size() == 1026);
  // Weights 2 and 1: min normalised 1/3, scale 342 * 3 = 1026; host 0 takes 684, host 1 342.
  ring.on_host_set_changed(std::vector<HostView>{{0, 2, 0}, {1, 1, 0}});
  CHECK(ring.ring_size() == 1026);
}

TEST_CASE("ring hash sends the same key to the same host", "[balance]") {
  engine::RngStream rng(1, "proxy", "lb");
  balance::RingHashPolicy ring(balance::RingHashConfig{});
  const auto hosts = equal_hosts(8);
  ring.on_host_set_changed(hosts);
  const auto first = map_keys(ring, hosts, 2000, rng);
  CHECK(map_keys(ring, hosts, 2000, rng) == first);
  // A second policy instance (another worker) builds the same ring.
  balance::RingHashPolicy other(balance::RingHashConfig{});
  other.on_host_set_changed(hosts);
  CHECK(map_keys(other, hosts, 2000, rng) == first);
}

namespace {

struct RemapResult {
  double moved_fraction = 0.0;
  bool removed_hosts_keys_all_moved = true;
  bool only_removed_hosts_keys_moved = true;
};

RemapResult remove_one(uint32_t n, uint32_t removed, uint64_t keys, engine::RngStream& rng) {
  const auto hosts = equal_hosts(n);
  balance::RingHashPolicy ring(balance::RingHashConfig{});
  ring.on_host_set_changed(hosts);
  const auto before = map_keys(ring, hosts, keys, rng);
  std::vector<HostView> fewer;
  for (const HostView& h : hosts) {
    if (h.id != removed) fewer.push_back(h);
  }
  balance::RingHashPolicy smaller(balance::RingHashConfig{});
  smaller.on_host_set_changed(fewer);
  const auto after = map_keys(smaller, fewer, keys, rng);
  RemapResult r;
  uint64_t moved = 0;
  for (uint64_t k = 0; k < keys; ++k) {
    const bool was_on_removed = before[k] == removed;
    if (after[k] != before[k]) {
      ++moved;
      r.only_removed_hosts_keys_moved = r.only_removed_hosts_keys_moved && was_on_removed;
    } else if (was_on_removed) {
      r.removed_hosts_keys_all_moved = false;
    }
  }
  r.moved_fraction = static_cast<double>(moved) / static_cast<double>(keys);
  return r;
}

}  // namespace

TEST_CASE("ring hash remaps only the removed host's keys, about 1/n, when hosts keep their entries", "[balance]") {
  // 33 -> 32 equal hosts with minimum_ring_size 1024: ceil(1024/33) = ceil(1024/32) = 32 entries per
  // host both times, so the remaining hosts' points do not change and exactly the removed host's
  // keys move. Their share is that host's arc: 32 of 1056 uniform points, mean 1/33 = 0.0303,
  // sd ~ sqrt(32)/1056 = 0.0054 (plus key sampling noise, sd 0.0012 at 20,000 keys); 5 sd = 0.028.
  engine::RngStream rng(1, "proxy", "lb");
  balance::RingHashPolicy ring(balance::RingHashConfig{});
  ring.on_host_set_changed(equal_hosts(33));
  REQUIRE(ring.ring_size() == 33 * 32);
  ring.on_host_set_changed(equal_hosts(32));
  REQUIRE(ring.ring_size() == 32 * 32);
  double total = 0.0;
  for (uint32_t removed = 0; removed < 33; ++removed) {
    const RemapResult r = remove_one(33, removed, 20000, rng);
    CHECK(r.only_removed_hosts_keys_moved);
    CHECK(r.removed_hosts_keys_all_moved);
    CHECK(r.moved_fraction == Approx(1.0 / 33).margin(0.028));
    total += r.moved_fraction;
  }
  // Every key sits on exactly one host, so over all 33 removals the moved fractions sum to 1.
  CHECK(total == Approx(1.0).margin(1e-9));
}

TEST_CASE("ring hash with default sizing also moves keys to the new points of the remaining hosts", "[balance]") {
  // 10 -> 9 hosts: per-host entries rise from ceil(1024/10) = 103 to ceil(1024/9) = 114 (Envoy's
  // ring_hash_lb.cc scale), so besides the removed host's keys (mean 1/10), keys are captured by the
  // 9 x 11 new points: about 99/1026 = 0.096 of the ring, less the share that lands on the key's own
  // host. The moved fraction therefore lies near 0.1 + 0.096 x (8/9) ~ 0.19, not 1/10; bounds here are
  // the two terms' extremes widened by 5 sd of the arc sizes (0.01 each).
  engine::RngStream rng(1, "proxy", "lb");
  for (uint32_t removed = 0; removed < 10; ++removed) {
    const RemapResult r = remove_one(10, removed, 50000, rng);
    CHECK(r.removed_hosts_keys_all_moved);
    CHECK(r.moved_fraction > 0.1 - 0.05);
    CHECK(r.moved_fraction < 0.1 + 0.096 + 0.05);
  }
}
