// SPDX-License-Identifier: MIT
#pragma once
// An emulated GPU behind Triton's dynamic batcher, in real time. `instances` threads stand for the
// model instances; each, when free, forms a batch by the rule kubemind's InferenceServer models
// (triton-inference-server/server docs/user_guide/batcher.md):
//   n = queued;  n >= max_batch -> take max_batch;  else the largest preferred size <= n -> take it;
//   else max_queue_delay 0 or the oldest waited >= max_queue_delay -> take n;  else wait for the
//   next arrival or the oldest's deadline, whichever is first.
// A batch of b then "executes" by sleeping until start + L(b) (absolute steady-clock deadline, so the
// emulated GPU time does not drift with wake-up latency and burns no CPU). Requests join batches in
// arrival order. Units: ms and us as named; clocks: std::chrono::steady_clock.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "backend/latency_curve.h"

namespace kubemind::validation {

using Clock = std::chrono::steady_clock;

struct BatchResult {
  uint32_t batch_size = 0;
  double queue_ms = 0.0;
  double compute_ms = 0.0;
};

/// One request (or one token step) waiting for the emulated GPU. When its batch ends, the instance
/// thread calls complete() on every item of the batch first (bookkeeping, re-queueing a next step:
/// cheap), then deliver() on those whose complete() returned true (the socket work), so the answers of
/// a batch never delay the batch after it. After complete() returns false the item may be gone.
class BatchItem {
 public:
  virtual ~BatchItem() = default;
  virtual bool complete(const BatchResult& result) = 0;
  virtual void deliver() {}
  Clock::time_point arrival;
};

struct BatcherConfig {
  int instances = 1;                 // Triton instance_group count
  int max_batch_size = 1;            // Triton max_batch_size (1 = no batching)
  std::vector<int> preferred_batch_sizes;
  int64_t max_queue_delay_us = 0;    // Triton default 0: never wait for a fuller batch
};

class Batcher {
 public:
  Batcher(BatcherConfig config, LatencyCurve curve);
  ~Batcher();
  void start();
  void submit(BatchItem* item);
  /// Serves what is queued, then joins the instance threads.
  void stop();

  int64_t queue_depth() const { return queue_depth_.load(); }
  int64_t executing() const { return executing_.load(); }
  int64_t batches_total() const { return batches_total_.load(); }
  /// batch_counts()[b] = batches of size b executed so far (index 0 unused).
  std::vector<int64_t> batch_counts() const;

 private:
  void instance_loop();
  /// How many to take now (0 = wait); `wake` set to the oldest's deadline when waiting on it.
  size_t batch_to_form(Clock::time_point now, Clock::time_point* wake) const;

  BatcherConfig config_;
  LatencyCurve curve_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<BatchItem*> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
  std::vector<int64_t> batch_counts_;
  std::atomic<int64_t> queue_depth_{0};
  std::atomic<int64_t> executing_{0};
  std::atomic<int64_t> batches_total_{0};
};

}  // namespace kubemind::validation
