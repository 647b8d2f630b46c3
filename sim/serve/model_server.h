// SPDX-License-Identifier: MIT
#pragma once
// What the rest of the world sees of the server inside a pod, whichever engine it runs: Triton-style
// dynamic batching (InferenceServer) or vLLM-style continuous batching (ContinuousBatchingServer).
// The scenario layer reads its gauges and counters for reports and for the metrics scrapers, drains it
// on SIGTERM and shuts it down when the pod is gone. Only on_request() is on the per-request path.
// Units: requests, seconds of simulated time in the integrals, CPU-seconds, bytes.

#include <cstdint>
#include <vector>

#include "sim/engine/time_integral.h"
#include "sim/traffic/request.h"

namespace kubemind::serve {

/// Told once when a draining server has no request left (see ModelServer::notify_when_idle).
class ServerIdleListener {
 public:
  virtual void on_server_idle(uint32_t server_index) = 0;

 protected:
  ~ServerIdleListener() = default;
};

class ModelServer : public traffic::RequestSink {
 public:
  virtual ~ModelServer() = default;

  /// Calls `listener` once, as soon as no request is queued or in service (at once if none is now).
  /// The pod's drain after SIGTERM: the app exits when its work is done.
  void notify_when_idle(ServerIdleListener* listener) {
    idle_listener_ = listener;
    tell_if_idle();
  }
  /// The pod's index: stamped on every request it receives (Request::server) and told on idle.
  uint32_t index() const { return index_; }
  /// The process ended (pod killed or exited): every request it holds, and every request that still
  /// reaches it, is answered kReset at once; work executing on the GPU is abandoned.
  virtual void shut_down() = 0;
  virtual bool down() const = 0;

  /// Requests waiting to be scheduled (Triton's pending requests, vLLM's num_requests_waiting).
  virtual int64_t queue_depth() const = 0;
  /// Requests executing (in a batch, or running sequences).
  virtual int64_t in_service() const = 0;
  /// Most requests waiting at once so far.
  virtual int64_t max_queue_depth() const = 0;
  virtual const engine::TimeIntegral& waiting() const = 0;
  virtual const engine::TimeIntegral& in_service_integral() const = 0;
  /// Executors busy (model instances with a batch; the engine while a step runs).
  virtual const engine::TimeIntegral& busy() const = 0;
  virtual int instances() const = 0;
  /// GPU busy fraction now, 0..1 (what DCGM's utilisation gauge shows).
  double gpu_utilization() const { return static_cast<double>(busy().level()) / instances(); }

  virtual uint64_t received() const = 0;
  /// Batches (steps) executed and the requests (sequences) they carried in all.
  virtual uint64_t batches() const = 0;
  virtual uint64_t batched_requests() const = 0;
  /// Batches of size b for b in [0, max] (index 0 unused); empty when the engine has no fixed sizes.
  virtual std::vector<uint64_t> batch_size_counts() const = 0;

  /// container_cpu_usage_seconds_total now.
  virtual double cpu_usage_seconds() const = 0;
  virtual double cpu_request_cores() const = 0;
  /// Container working set (host memory): runtime + per-request buffers.
  virtual double memory_working_set_bytes() const = 0;
  /// Requests served by a cheaper quality tier (InferenceServer's `degraded`); 0 for engines without one.
  virtual uint64_t degraded_requests() const { return 0; }
  /// Share of the KV cache in use, 0..1 (vllm:gpu_cache_usage_perc); 0 for engines without one.
  virtual double kv_cache_utilization() const { return 0.0; }

 protected:
  explicit ModelServer(uint32_t index) : index_(index) {}
  /// Engines call this whenever work may have ended (after a batch or step, after timeouts).
  void tell_if_idle() {
    if (idle_listener_ == nullptr || queue_depth() != 0 || in_service() != 0) return;
    ServerIdleListener* listener = idle_listener_;
    idle_listener_ = nullptr;
    listener->on_server_idle(index_);
  }
  /// A server that shut down tells no one.
  void forget_idle_listener() { idle_listener_ = nullptr; }

 private:
  uint32_t index_;
  ServerIdleListener* idle_listener_ = nullptr;
};

}  // namespace kubemind::serve
