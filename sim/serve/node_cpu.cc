// SPDX-License-Identifier: MIT
#include "sim/serve/node_cpu.h"

#include <algorithm>
#include <cmath>

#include "sim/engine/check.h"

namespace kubemind::serve {

double cpu_weight(double request_cores, CpuWeightMapping mapping) {
  // Kubelet: shares = milliCPU x 1024 / 1000 in integers, clamped to the kernel's [2, 262144].
  constexpr double kMinShares = 2.0, kMaxShares = 262144.0;
  const double millicores = std::round(request_cores * 1000.0);
  switch (mapping) {
    case CpuWeightMapping::kProportional:
      return std::clamp(millicores * 1024.0 / 1000.0, kMinShares, kMaxShares);
    case CpuWeightMapping::kCgroupV2Linear: {
      const auto shares = static_cast<int64_t>(std::clamp(std::floor(millicores * 1024.0 / 1000.0), kMinShares, kMaxShares));
      return static_cast<double>(1 + (shares - 2) * 9999 / 262142);
    }
    case CpuWeightMapping::kCgroupV2NonLinear: {
      const double shares = std::clamp(std::floor(millicores * 1024.0 / 1000.0), kMinShares, kMaxShares);
      if (shares <= kMinShares) return 1.0;
      if (shares >= kMaxShares) return 10000.0;
      const double l = std::log2(shares);
      return std::ceil(std::pow(10.0, (l * l + 125.0 * l) / 612.0 - 7.0 / 34.0));
    }
  }
  return 1.0;
}

NodeCpu::NodeCpu(double cores, CpuWeightMapping mapping, size_t expected_containers)
    : cores_(cores), mapping_(mapping) {
  SIM_CHECK(cores >= 0.0, "a node has no negative CPU");
  containers_.reserve(expected_containers);
  order_.reserve(expected_containers);
}

ContainerId NodeCpu::add_container(double request_cores, double limit_cores, CpuRateListener* listener) {
  SIM_CHECK(limit_cores >= 0.0, "limit 0 means none; a negative limit is a bug");
  ContainerId id = 0;
  while (id < containers_.size() && containers_[id].live) ++id;
  if (id == containers_.size()) containers_.emplace_back();
  Container& c = containers_[id];
  c = Container{};
  c.weight = cpu_weight(request_cores, mapping_);
  c.limit = limit_cores;
  c.live = true;
  c.listener = listener;
  // No demand: key 0 and rate 0, so it goes first in order_ and nothing else changes.
  order_.insert(std::upper_bound(order_.begin(), order_.end(), id,
                                 [this](ContainerId a, ContainerId b) { return before(a, b); }),
                id);
  return id;
}

void NodeCpu::remove_container(ContainerId id) {
  SIM_CHECK(id < containers_.size() && containers_[id].live, "remove of an unknown container");
  SIM_CHECK(!notifying_, "a rate listener must not change the node");
  containers_[id].live = false;
  containers_[id].listener = nullptr;
  containers_[id].rate = 0.0;
  order_.erase(std::find(order_.begin(), order_.end(), id));
  recompute();
}

void NodeCpu::set_listener(ContainerId id, CpuRateListener* listener) { containers_[id].listener = listener; }

void NodeCpu::set_demand(ContainerId id, int runnable_threads) {
  SIM_ASSERT(id < containers_.size() && containers_[id].live, "demand of an unknown container");
  SIM_ASSERT(runnable_threads >= 0, "negative demand");
  SIM_CHECK(!notifying_, "a rate listener must not change the node");
  containers_[id].demand = runnable_threads;
  recompute();
}

double NodeCpu::allocated_cores() const {
  double sum = 0.0;
  for (const ContainerId id : order_) sum += containers_[id].rate;
  return sum;
}

void NodeCpu::recompute() {
  // Caps and keys; the total weight is summed afresh each time so that it never drifts.
  double weight_left = 0.0;
  for (const ContainerId id : order_) {
    Container& c = containers_[id];
    c.cap = static_cast<double>(c.demand);
    if (c.limit > 0.0) c.cap = std::min(c.cap, c.limit);
    c.key = c.cap / c.weight;
    weight_left += c.weight;
  }
  // Insertion sort by (key, id): one key changed since the last call, so this is one pass plus the
  // moves of that one container.
  for (size_t i = 1; i < order_.size(); ++i) {
    const ContainerId id = order_[i];
    size_t j = i;
    while (j > 0 && before(id, order_[j - 1])) {
      order_[j] = order_[j - 1];
      --j;
    }
    order_[j] = id;
  }
  // Water-filling. Visiting containers by rising saturation level cap_i / w_i: while the one at hand
  // saturates below the level the rest could reach, cap_i / w_i <= remaining / weight_left, it gets
  // its cap; the first that does not fixes the level, and it and all after it get w x level.
  double remaining = cores_;
  size_t k = 0;
  for (; k < order_.size(); ++k) {
    Container& c = containers_[order_[k]];
    if (c.key * weight_left > remaining) break;
    c.next_rate = c.cap;
    remaining = std::max(0.0, remaining - c.cap);
    weight_left -= c.weight;
  }
  const double level = k < order_.size() ? remaining / weight_left : 0.0;
  for (; k < order_.size(); ++k) {
    Container& c = containers_[order_[k]];
    c.next_rate = c.weight * level;
  }
  // Publish every rate first, then tell, in id order, those that changed.
  bool any = false;
  for (Container& c : containers_) {
    if (!c.live || c.next_rate == c.rate) continue;
    c.rate = c.next_rate;
    c.changed = true;
    any = true;
  }
  if (!any) return;
  notifying_ = true;
  for (size_t id = 0; id < containers_.size(); ++id) {
    Container& c = containers_[id];
    if (!c.changed) continue;
    c.changed = false;
    if (c.listener != nullptr) c.listener->on_cpu_rate_changed(static_cast<ContainerId>(id), c.rate);
  }
  notifying_ = false;
}

}  // namespace kubemind::serve
