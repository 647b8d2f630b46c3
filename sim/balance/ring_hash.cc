// SPDX-License-Identifier: MIT
#include "sim/balance/ring_hash.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace kubemind::balance {
namespace {

uint64_t entry_hash(uint32_t host_id, uint64_t k) {
  const std::string text = std::to_string(host_id) + "_" + std::to_string(k);
  return engine::splitmix64(engine::fnv1a64(text));
}

}  // namespace

uint64_t ring_hash_of(uint64_t request_key) {
  char bytes[8];
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((request_key >> (8 * i)) & 0xFF);
  return engine::splitmix64(engine::fnv1a64(std::string_view(bytes, 8)));
}

void RingHashPolicy::on_host_set_changed(std::span<const HostView> hosts) {
  ring_.clear();
  if (hosts.empty()) return;
  double total_weight = 0.0;
  for (const HostView& h : hosts) total_weight += h.weight;
  double min_normalized = 1.0;
  for (const HostView& h : hosts) min_normalized = std::min(min_normalized, h.weight / total_weight);
  const double scale =
      std::min(std::ceil(min_normalized * static_cast<double>(config_.minimum_ring_size)) / min_normalized,
               static_cast<double>(config_.maximum_ring_size));
  // Envoy's loop: each host adds entries while the running count is below the running target.
  double target = 0.0;
  uint64_t made = 0;
  for (size_t i = 0; i < hosts.size(); ++i) {
    target += scale * (hosts[i].weight / total_weight);
    uint64_t k = 0;
    while (static_cast<double>(made) < target) {
      ring_.push_back(Entry{entry_hash(hosts[i].id, k), static_cast<uint32_t>(i)});
      ++k;
      ++made;
    }
  }
  std::sort(ring_.begin(), ring_.end(), [](const Entry& a, const Entry& b) {
    return a.hash != b.hash ? a.hash < b.hash : a.position < b.position;
  });
}

std::optional<size_t> RingHashPolicy::choose(std::span<const HostView> hosts, const PickContext& context, Rng&) {
  if (hosts.empty() || ring_.empty()) return std::nullopt;
  const uint64_t h = ring_hash_of(context.hash_key);
  auto it = std::lower_bound(ring_.begin(), ring_.end(), h, [](const Entry& e, uint64_t v) { return e.hash < v; });
  if (it == ring_.end()) it = ring_.begin();
  SIM_ASSERT(it->position < hosts.size(), "ring built from another host set");
  return it->position;
}

}  // namespace kubemind::balance
