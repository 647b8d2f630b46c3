// SPDX-License-Identifier: MIT
#pragma once
// The inference server inside a pod: Triton's scheduler in front of `instances` model instances
// (instance_group count on the pod's GPU) that execute batches concurrently.
// Batch formation follows Triton's dynamic batcher (triton-inference-server/server
// docs/user_guide/batcher.md; reference/dataplane.md 6.1), evaluated on every arrival, every instance
// that frees, and when the oldest request's delay expires, while an instance is free:
//   n = queued requests;  n >= max batch -> send max;  else a preferred size <= n -> send the largest;
//   else max_queue_delay 0 or the oldest request waited >= max_queue_delay -> send n;  else wait.
// Requests join batches in arrival order; the lowest-numbered free instance takes the batch.
// With dynamic batching off or max_batch_size <= 1, every batch has one request and the server is the
// foundation's FIFO queue with c parallel servers: M/M/c (exponential service) or M/D/c.
// Queue policy (Triton ModelQueuePolicy): max_queue_size 0 = unbounded, otherwise a request that finds
// that many waiting is rejected at once (kQueueFull); default_timeout_us 0 = none, otherwise a request
// still waiting that long is rejected at that instant (timeout_action REJECT, kTimeout); a request
// whose deadline falls at the instant a batch forms is rejected, not served. Timeouts apply to the
// queue only; a request that started is always served.
// Batch time: with a latency curve, a batch of b takes L(b) (LatencyCurve) times a factor of mean 1
// drawn from service_time's distribution (deterministic 1, exponential, lognormal with cv); without a
// curve, every batch takes a draw of service_time (mean_ms), as in the foundation.
// Quality tiers (optional, `degraded`): a platform policy, not a Triton feature (Triton has no default
// for it; its ModelQueuePolicy only rejects or delays). Under pressure the platform serves a cheaper
// models/ profile (e.g. a smaller model): when a batch forms while more than queue_depth_above requests
// wait (counted at that instant, before the batch leaves the queue, so the batch's own requests count),
// that batch executes on the degraded tier's curve L_d(b) instead of L(b). Hysteresis: once degraded,
// batches stay degraded until one forms with waiting <= restore_below (default queue_depth_above: no
// hysteresis, each batch decides alone). The tier is decided only when a batch forms; a batch keeps the
// tier it started on. L_d(b) takes the same factor of mean 1 from service_time's distribution as L(b),
// one draw per batch on the same stream whichever the tier (a server whose threshold is never crossed
// draws, and answers, exactly as one without tiers).
// CPU and memory: see resources.h; the server charges its CpuUsage per request as it receives and
// answers it.
// Units: times in simulated ns, configured in ms or us as named.

#include <boost/random/exponential_distribution.hpp>
#include <boost/random/lognormal_distribution.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/engine/fifo.h"
#include "sim/engine/rng.h"
#include "sim/engine/simulator.h"
#include "sim/engine/time_integral.h"
#include "sim/serve/latency_curve.h"
#include "sim/serve/model_server.h"
#include "sim/serve/resources.h"
#include "sim/traffic/request.h"

namespace kubemind::serve {

enum class ServiceDistribution : uint8_t { kDeterministic, kExponential, kLognormal };

struct ServiceTimeConfig {
  ServiceDistribution distribution = ServiceDistribution::kDeterministic;
  double mean_ms = 0.0;  // > 0; ignored when the server has a latency curve (the curve gives the mean)
  double cv = 0.0;       // coefficient of variation, lognormal only (> 0)
};

/// Triton's `dynamic_batching { }` block.
struct DynamicBatchingConfig {
  bool enabled = false;                    // absent in Triton's config: each request is its own batch
  std::vector<int> preferred_batch_sizes;  // none by default; each in [1, max_batch_size]
  int64_t max_queue_delay_us = 0;          // max_queue_delay_microseconds, Triton default 0 (never wait)
};

/// A cheaper profile the platform falls back to while the queue is long (platform policy; see above).
struct DegradedTierConfig {
  std::string model;               // name of the models/ profile of the degraded tier; empty if given directly
  LatencyCurve latency;            // L_d(b); not empty
  int64_t queue_depth_above = 0;   // degrade a batch formed while more than this many requests wait (>= 0)
  int64_t restore_below = -1;      // once degraded, restore when waiting <= this; -1: = queue_depth_above.
                                   // In [0, queue_depth_above]; 0 never restores (a batch sees >= 1 waiting)
};

struct InferenceServerConfig {
  std::string model;           // name of the models/ profile the numbers came from; empty if given directly
  int instances = 1;           // parallel model instances (Triton instance_group count)
  int64_t max_queue_size = 0;  // waiting requests admitted; 0 = unbounded (Triton default)
  int64_t default_timeout_us = 0;  // queue timeout (Triton default_timeout_microseconds); 0 = none
  int max_batch_size = 1;      // Triton max_batch_size; batches larger than 1 need dynamic_batching
  DynamicBatchingConfig dynamic_batching;
  ServiceTimeConfig service_time;
  LatencyCurve latency;        // empty: every batch takes a draw of service_time
  CpuConfig cpu;
  MemoryConfig memory;
  std::optional<DegradedTierConfig> degraded;  // none: every batch on `latency` / service_time
};

class InferenceServer final : public ModelServer {
 public:
  InferenceServer(engine::Simulator& sim, engine::RngStream service_rng, traffic::RequestTable& requests,
                  const InferenceServerConfig& config, uint32_t index);

  void on_request(traffic::RequestId id) override;

  /// Calls `listener` once, as soon as no request is queued or in service (at once if none is now).
  /// The pod's drain after SIGTERM: the app exits when its work is done.
  /// The process ended (pod killed or exited): every request it holds, and every request that still
  /// reaches it, is answered kReset at once; batches executing on the GPU are abandoned.
  void shut_down() override;
  bool down() const override { return down_; }

  /// Requests waiting for an instance.
  int64_t queue_depth() const override { return waiting_.level(); }
  /// Requests in executing batches.
  int64_t in_service() const override { return in_service_.level(); }
  /// Most requests waiting at once so far.
  int64_t max_queue_depth() const override { return max_waiting_; }
  int busy_instances() const { return static_cast<int>(busy_.level()); }
  const engine::TimeIntegral& waiting() const override { return waiting_; }
  const engine::TimeIntegral& busy() const override { return busy_; }
  const engine::TimeIntegral& in_service_integral() const override { return in_service_; }
  int instances() const override { return config_.instances; }
  /// Largest batch this server forms (1 unless dynamic batching is on).
  int max_batch() const { return max_batch_; }

  uint64_t received() const override { return received_; }
  uint64_t completed() const { return completed_; }
  uint64_t rejected() const { return rejected_; }    // kQueueFull
  uint64_t timed_out() const { return timed_out_; }  // kTimeout in the queue
  uint64_t batches() const override { return batches_; }
  uint64_t batched_requests() const override { return batched_; }
  /// Batches executed of size b, for b in [0, max_batch()] (index 0 unused).
  std::vector<uint64_t> batch_size_counts() const override { return batch_size_counts_; }
  /// Batches started on the degraded tier, and the requests they carried (0 without a degraded tier).
  uint64_t degraded_batches() const { return degraded_batches_; }
  uint64_t degraded_requests() const override { return degraded_requests_; }
  /// Whether the last batch formed was degraded (the state hysteresis carries to the next one).
  bool degraded_now() const { return degraded_now_; }

  /// container_cpu_usage_seconds_total at now.
  double cpu_usage_seconds() const override { return cpu_.usage_seconds(sim_.now()); }
  double cpu_request_cores() const override { return config_.cpu.request_cores; }
  /// Container working set: runtime + per-request buffers of every request in the server.
  double memory_working_set_bytes() const override;
  /// GPU memory held: one copy of the weights per instance.
  double gpu_memory_bytes() const { return config_.instances * config_.memory.weights_gb * 1e9; }

 private:
  void try_form_batches();
  void start_batch(int size);
  void on_batch_done(uint64_t instance);
  void on_delay_expired(uint64_t);
  void on_timeout_check(uint64_t);
  /// Rejects every queued request whose timeout has been reached; returns after the first that has not.
  void expire_timeouts();
  void arm_timeout();
  void answer(traffic::RequestId id, traffic::Outcome outcome);
  int batch_size_for(int64_t queued) const;
  engine::Duration batch_time(int size);
  /// Decides the tier of a batch forming now, from the requests waiting before it leaves the queue.
  bool degrade_batch(int64_t waiting);
  engine::Duration degraded_batch_time(int size);
  engine::Duration sample_service_time();

  engine::Simulator& sim_;
  engine::RngStream service_rng_;
  traffic::RequestTable& requests_;
  InferenceServerConfig config_;
  int max_batch_;
  std::vector<int> preferred_descending_;
  engine::Duration max_queue_delay_;
  engine::Duration queue_timeout_;
  engine::Duration preprocess_cpu_;
  engine::Duration postprocess_cpu_;
  std::vector<double> curve_ms_;              // L(b) in ms for b in [0, max_batch_] when the curve is set
  std::vector<engine::Duration> curve_time_;  // the same, rounded to ns once
  boost::random::exponential_distribution<double> exponential_ms_;
  boost::random::lognormal_distribution<double> lognormal_ms_;
  // The degraded tier's factor of mean 1 (exponential rate 1, lognormal mean 1 with the same cv).
  boost::random::exponential_distribution<double> exponential_factor_;
  boost::random::lognormal_distribution<double> lognormal_factor_;
  bool has_degraded_ = false;
  int64_t degrade_above_ = 0;
  int64_t restore_below_ = 0;
  std::vector<double> degraded_ms_;              // L_d(b) in ms for b in [0, max_batch_]
  std::vector<engine::Duration> degraded_time_;  // the same, rounded to ns once
  bool degraded_now_ = false;
  engine::Fifo<traffic::RequestId> queue_;
  std::vector<traffic::RequestId> in_batch_;  // instance i's batch at [i * max_batch_, i * max_batch_ + size)
  std::vector<int> batch_size_;               // per instance; 0 = free
  // Free instances as a bitmask (bit i of word i / 64), so the lowest-numbered free one is found with
  // countr_zero instead of a scan whose length is random (a branch misprediction per batch).
  std::vector<uint64_t> free_instances_;
  std::vector<traffic::RequestId> done_;      // the batch being answered (reused)
  engine::EventHandle delay_timer_;
  engine::EventHandle timeout_timer_;
  engine::TimeIntegral waiting_;  // requests in queue_
  engine::TimeIntegral busy_;     // instances executing a batch
  engine::TimeIntegral in_service_;  // requests in executing batches
  int64_t max_waiting_ = 0;
  bool down_ = false;
  std::vector<engine::EventHandle> batch_event_;  // per instance
  CpuUsage cpu_;
  uint64_t received_ = 0;
  uint64_t completed_ = 0;
  uint64_t rejected_ = 0;
  uint64_t timed_out_ = 0;
  uint64_t batches_ = 0;
  uint64_t batched_ = 0;  // requests carried by the batches started
  std::vector<uint64_t> batch_size_counts_;
  uint64_t degraded_batches_ = 0;
  uint64_t degraded_requests_ = 0;
};

}  // namespace kubemind::serve
