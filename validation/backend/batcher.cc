// SPDX-License-Identifier: MIT
#include "backend/batcher.h"

#include <algorithm>

namespace kubemind::validation {

Batcher::Batcher(BatcherConfig config, LatencyCurve curve)
    : config_(std::move(config)), curve_(std::move(curve)),
      batch_counts_(static_cast<size_t>(std::max(config_.max_batch_size, 1)) + 1, 0) {
  std::sort(config_.preferred_batch_sizes.begin(), config_.preferred_batch_sizes.end());
}

Batcher::~Batcher() { stop(); }

void Batcher::start() {
  for (int i = 0; i < config_.instances; ++i) threads_.emplace_back([this] { instance_loop(); });
}

void Batcher::submit(BatchItem* item) {
  item->arrival = Clock::now();
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(item);
    queue_depth_.store(static_cast<int64_t>(queue_.size()));
  }
  cv_.notify_one();
}

void Batcher::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

std::vector<int64_t> Batcher::batch_counts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return batch_counts_;
}

size_t Batcher::batch_to_form(Clock::time_point now, Clock::time_point* wake) const {
  const size_t n = queue_.size();
  if (n == 0) return 0;
  const auto max_b = static_cast<size_t>(std::max(config_.max_batch_size, 1));
  if (n >= max_b) return max_b;
  for (auto it = config_.preferred_batch_sizes.rbegin(); it != config_.preferred_batch_sizes.rend(); ++it) {
    if (static_cast<size_t>(*it) <= n) return static_cast<size_t>(*it);
  }
  const Clock::time_point deadline = queue_.front()->arrival + std::chrono::microseconds(config_.max_queue_delay_us);
  if (config_.max_queue_delay_us == 0 || now >= deadline || stopping_) return n;
  *wake = deadline;
  return 0;
}

void Batcher::instance_loop() {
  std::vector<BatchItem*> batch, deliver;
  batch.reserve(static_cast<size_t>(std::max(config_.max_batch_size, 1)));
  deliver.reserve(batch.capacity());
  // When this instance's emulated GPU went idle: the previous batch's end. A batch starts when it
  // could have formed, max(gpu_free, the instant its rule held), not when this thread woke up, so
  // wake-up latency and the time spent answering the last batch do not stretch the GPU's timeline.
  Clock::time_point gpu_free = Clock::now();
  for (;;) {
    Clock::time_point start;
    {
      std::unique_lock<std::mutex> lock(mu_);
      for (;;) {
        if (stopping_ && queue_.empty()) return;
        Clock::time_point wake = Clock::time_point::max();
        const Clock::time_point now = Clock::now();
        const size_t take = batch_to_form(now, &wake);
        if (take > 0) {
          // The rule held from: the arrival that made the batch (size rules), or the oldest's
          // deadline (delay rule), never before the GPU was free nor after now.
          Clock::time_point held = queue_[take - 1]->arrival;
          if (take < static_cast<size_t>(std::max(config_.max_batch_size, 1)) &&
              std::find(config_.preferred_batch_sizes.begin(), config_.preferred_batch_sizes.end(),
                        static_cast<int>(take)) == config_.preferred_batch_sizes.end()) {
            held = std::max(held, queue_.front()->arrival + std::chrono::microseconds(config_.max_queue_delay_us));
          }
          start = std::min(now, std::max(gpu_free, held));
          batch.assign(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(take));
          queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(take));
          queue_depth_.store(static_cast<int64_t>(queue_.size()));
          ++batch_counts_[take];
          break;
        }
        if (wake == Clock::time_point::max()) {
          cv_.wait(lock);
        } else {
          cv_.wait_until(lock, wake);
        }
      }
    }
    const int b = static_cast<int>(batch.size());
    const double compute_ms = curve_.mean_ms(b);
    executing_.fetch_add(b);
    batches_total_.fetch_add(1);
    gpu_free = start + std::chrono::nanoseconds(static_cast<int64_t>(compute_ms * 1e6));
    std::this_thread::sleep_until(gpu_free);
    executing_.fetch_sub(b);
    deliver.clear();
    for (BatchItem* item : batch) {
      BatchResult r;
      r.batch_size = static_cast<uint32_t>(b);
      r.queue_ms = std::chrono::duration<double, std::milli>(start - item->arrival).count();
      r.compute_ms = compute_ms;
      if (item->complete(r)) deliver.push_back(item);
    }
    for (BatchItem* item : deliver) item->deliver();
    batch.clear();
  }
}

}  // namespace kubemind::validation
