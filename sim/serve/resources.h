// SPDX-License-Identifier: MIT
#pragma once
// CPU and memory of an inference server's container, as Kubernetes sees them.
// CPU: the GPU does the model's work; the container's CPU only does the work around each request
// (deserialise + pre-process or tokenize when it arrives, post-process + serialise when it is
// answered) plus a constant baseline (runtime threads, probes). Usage accumulates as a counter of
// CPU-seconds, like cAdvisor's container_cpu_usage_seconds_total that the kubelet exposes;
// metrics-server reports the rate between its last two scrapes, cpu = delta usage / delta t
// (reference/autoscalers.md 1.9), and the HPA's utilisation is that rate over the CPU request
// (1.5.2). Because the charge is per request and not per GPU-second, a pod whose GPU queue explodes
// still shows only arrival rate x CPU per request: the loophole's "CPU stays green".
// Simplifications: the CPU work is charged at the instant of the event (not spread over its
// duration); no CPU limit or throttling (the work never delays a request).
// Memory: GPU memory = weights per model instance (+ KV cache for LLMs, kv_cache_capacity_tokens);
// container working set = a runtime baseline + buffers per request held in the server.
// Units: cores, ms of CPU per request, CPU-seconds, bytes (GB = 1e9 bytes).

#include <cstdint>

#include "sim/engine/time.h"

namespace kubemind::serve {

struct CpuConfig {
  double request_cores = 1.0;       // the container's resources.requests.cpu (no Kubernetes default; set it)
  double baseline_cores = 0.0;      // usage with no traffic
  double preprocess_cpu_ms = 0.0;   // CPU per received request: deserialise, pre-process, tokenize
  double postprocess_cpu_ms = 0.0;  // CPU per served request: post-process, serialise the answer
};

struct MemoryConfig {
  double weights_gb = 0.0;           // one model instance's weights on the GPU
  double runtime_gb = 0.0;           // container working set with no request (framework, CUDA context host side)
  double per_request_bytes = 0.0;    // host buffers per request held in the server (input + output tensors)
};

/// A monotone counter of CPU-seconds: baseline x elapsed time + the work charged so far.
class CpuUsage {
 public:
  CpuUsage(double baseline_cores, engine::SimTime start) : baseline_cores_(baseline_cores), start_(start) {}
  void charge(engine::Duration cpu) { work_ns_ += cpu.ns; }
  /// container_cpu_usage_seconds_total at `now` (>= start).
  double usage_seconds(engine::SimTime now) const {
    return baseline_cores_ * (now - start_).seconds_f() + static_cast<double>(work_ns_) * 1e-9;
  }

 private:
  double baseline_cores_;
  engine::SimTime start_;
  int64_t work_ns_ = 0;  // integer, so the sum of many charges is exact
};

/// metrics-server's CPU for one window: (usage1 - usage0) / (t1 - t0), in cores.
inline double cpu_rate_cores(double usage0_s, engine::SimTime t0, double usage1_s, engine::SimTime t1) {
  return (usage1_s - usage0_s) / (t1 - t0).seconds_f();
}
/// The HPA's utilisation of one pod, as a fraction of its CPU request (0.8 = 80%).
inline double cpu_utilization(double usage0_s, engine::SimTime t0, double usage1_s, engine::SimTime t1,
                              double request_cores) {
  return cpu_rate_cores(usage0_s, t0, usage1_s, t1) / request_cores;
}

/// Tokens of KV cache that fit on one GPU: (gpu_memory_gb x gpu_memory_utilization - weights_gb) x 1e9
/// / kv_bytes_per_token, as vLLM sizes its cache (gpu_memory_utilization default 0.9, reference 6.2);
/// 0 when the weights do not fit. Activation workspace is neglected.
inline int64_t kv_cache_capacity_tokens(double gpu_memory_gb, double gpu_memory_utilization, double weights_gb,
                                        double kv_bytes_per_token) {
  const double free_bytes = (gpu_memory_gb * gpu_memory_utilization - weights_gb) * 1e9;
  return free_bytes <= 0 ? 0 : static_cast<int64_t>(free_bytes / kv_bytes_per_token);
}

}  // namespace kubemind::serve
