// SPDX-License-Identifier: MIT
#pragma once
// Envoy RING_HASH (Ketama-style consistent hashing; docs: load_balancers.rst "Ring hash"; source:
// source/extensions/load_balancing_policies/ring_hash/ring_hash_lb.cc; config:
// api/envoy/extensions/load_balancing_policies/ring_hash/v3/ring_hash.proto).
// Ring construction follows Envoy's arithmetic: with normalised weights w_i (sum 1) and the smallest
// of them w_min, the ring has scale = min(ceil(w_min * min_ring_size) / w_min, max_ring_size) entries,
// host i taking entries while its running target (sum of scale * w_j for j <= i) is not reached; so n
// equal hosts with min_ring_size 1024 get n * ceil(1024 / n) entries. Entry k of a host is placed at
// hash("<host id>_<k>"); the ring is sorted by hash (ties by host position, then k). A request with
// key K goes to the first entry whose hash is >= hash(K), wrapping to the first entry.
// Hash function (differs from Envoy): Envoy uses xxHash64 (seed 0) over "<address>_<k>" and over the
// request's hash-policy value; here both use FNV-1a 64 followed by the SplitMix64 finaliser
// (engine/rng.h), because FNV-1a alone mixes short strings poorly. The ring's statistics (each host's
// arc share and the 1/n remap fraction) are those of any well-mixed 64-bit hash; the exact host a
// given key lands on differs from Envoy's.
// Defaults: minimum_ring_size 1024, maximum_ring_size 8M (ring_hash.proto).
// Invariant: removing a host remaps exactly the keys that were on its entries.

#include <cstdint>
#include <vector>

#include "sim/balance/lb_policy.h"

namespace kubemind::balance {

struct RingHashConfig {
  uint64_t minimum_ring_size = 1024;     // ring_hash.proto default
  uint64_t maximum_ring_size = 8388608;  // ring_hash.proto default (8M)
};

/// FNV-1a 64 then SplitMix64: the hash used for ring entries and request keys.
uint64_t ring_hash_of(uint64_t request_key);

class RingHashPolicy final : public LbPolicy {
 public:
  explicit RingHashPolicy(const RingHashConfig& config) : config_(config) {}

  std::optional<size_t> choose(std::span<const HostView> hosts, const PickContext& context, Rng& rng) override;
  void on_host_set_changed(std::span<const HostView> hosts) override;

  size_t ring_size() const { return ring_.size(); }

 private:
  struct Entry {
    uint64_t hash = 0;
    uint32_t position = 0;  // index into the host span the ring was built from
  };
  RingHashConfig config_;
  std::vector<Entry> ring_;
};

}  // namespace kubemind::balance
