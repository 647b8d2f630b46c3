// SPDX-License-Identifier: MIT
#pragma once
// An LLM server with vLLM-style continuous (iteration-level) batching, after the V1 engine's scheduler
// (vllm/v1/core/sched/scheduler.py; reference/dataplane.md 6.2). The engine runs back-to-back steps
// while it has work. Each step, with a budget of max_num_batched_tokens:
// 1. Running sequences first, in admission order: each schedules its remaining tokens (1 when
//    decoding; a prompt chunk, capped by the budget, when prefilling: chunked prefill is always on).
//    If the KV cache cannot take them, the most recently admitted running sequence is preempted by
//    recompute (its KV blocks freed, its computed tokens reset to 0, put at the front of the waiting
//    queue); if that victim is the sequence itself, it is not scheduled.
// 2. Then, if nothing was preempted this step, waiting sequences in order while the budget lasts,
//    fewer than max_num_seqs run, and the KV cache can take their chunk.
// The step takes L(tokens in the step) from the token-linear latency curve (a profile with
// batch_unit "tokens", reference 6.4(a)) plus kv_read_ms_per_token x (context tokens read by the step's
// sequences), the attention/KV-read term of reference 6.4(b). When a sequence has computed all its known
// tokens (prompt + generated) the step samples its next token: the first one sets TTFT; the last one
// (output_tokens) finishes it, frees its KV and answers the request.
// KV cache: kv_cache_tokens in blocks of block_size_tokens; a sequence holds ceil(computed / block)
// blocks. A request whose prompt + output can never fit is rejected at arrival (kQueueFull).
// Token counts: the traffic layer's Request has no token lengths yet, so every request of one server
// has the configured prompt_tokens and output_tokens.
// Simplifications: no prefix caching, no swap, no CPU-side scheduling time (add it to the curve),
// no streaming to the client (the answer is sent once, at the last token).
// Units: times in ns (configured in ms), tokens, blocks of tokens.

#include <cstdint>
#include <string>
#include <vector>

#include "sim/engine/simulator.h"
#include "sim/engine/time_integral.h"
#include "sim/serve/latency_curve.h"
#include "sim/serve/model_server.h"
#include "sim/serve/resources.h"
#include "sim/traffic/request.h"

namespace kubemind::serve {

struct ContinuousBatchingConfig {
  std::string model;                   // the profile's name (reports only)
  int max_num_seqs = 256;              // vLLM API-server default for A100/A10/L4 (reference 6.2)
  int max_num_batched_tokens = 2048;   // same; 8192 on H100-class GPUs (>= 70 GiB and not A100)
  int block_size_tokens = 16;          // vLLM default block size
  int64_t kv_cache_tokens = 0;         // KV capacity (kv_cache_capacity_tokens); > 0
  LatencyCurve step_time;              // token-linear time of one step vs tokens scheduled in it
  double kv_read_ms_per_token = 0.0;   // per context token held by a scheduled sequence (0 = not modelled)
  int prompt_tokens = 512;             // per request
  int output_tokens = 128;             // per request, >= 1
  CpuConfig cpu;                       // pre-process = tokenize at arrival; post-process at the answer
  MemoryConfig memory;                 // host memory: runtime + per-request buffers (the KV cache is on the GPU)
  double cpu_per_output_token_ms = 0.0;  // detokenize per output token
};

/// Told each request's token timings when it finishes.
class TokenTimingObserver {
 public:
  /// ttft: arrival to first token; tpot: mean time per output token after the first (0 if one token);
  /// e2e: arrival to last token.
  virtual void on_finished(traffic::RequestId id, engine::Duration ttft, engine::Duration tpot,
                           engine::Duration e2e) = 0;

 protected:
  ~TokenTimingObserver() = default;
};

class ContinuousBatchingServer final : public ModelServer {
 public:
  ContinuousBatchingServer(engine::Simulator& sim, traffic::RequestTable& requests,
                           const ContinuousBatchingConfig& config, uint32_t index,
                           TokenTimingObserver* observer = nullptr);

  void on_request(traffic::RequestId id) override;

  // ModelServer: waiting = vllm:num_requests_waiting, in service = vllm:num_requests_running.
  void shut_down() override;
  bool down() const override { return down_; }
  int64_t queue_depth() const override { return waiting_count(); }
  int64_t in_service() const override { return running_count(); }
  int64_t max_queue_depth() const override { return max_waiting_; }
  const engine::TimeIntegral& waiting() const override { return waiting_level_; }
  const engine::TimeIntegral& in_service_integral() const override { return running_level_; }
  int instances() const override { return 1; }
  uint64_t batches() const override { return steps_; }
  uint64_t batched_requests() const override { return step_sequences_; }
  std::vector<uint64_t> batch_size_counts() const override { return {}; }
  double cpu_request_cores() const override { return config_.cpu.request_cores; }
  double memory_working_set_bytes() const override {
    return config_.memory.runtime_gb * 1e9 +
           config_.memory.per_request_bytes * static_cast<double>(waiting_count() + running_count());
  }

  double kv_cache_utilization() const override {
    return total_blocks_ == 0 ? 0.0 : static_cast<double>(kv_blocks_in_use()) / static_cast<double>(total_blocks_);
  }

  int64_t waiting_count() const { return static_cast<int64_t>(waiting_size_); }
  int64_t running_count() const { return static_cast<int64_t>(running_.size()); }
  int64_t kv_blocks_in_use() const { return total_blocks_ - free_blocks_; }
  int64_t kv_blocks_total() const { return total_blocks_; }
  const engine::TimeIntegral& busy() const override { return busy_; }  // 1 while a step executes

  uint64_t received() const override { return received_; }
  uint64_t completed() const { return completed_; }
  uint64_t rejected() const { return rejected_; }
  uint64_t preemptions() const { return preemptions_; }
  uint64_t steps() const { return steps_; }
  uint64_t tokens_generated() const { return tokens_generated_; }
  double cpu_usage_seconds() const override { return cpu_.usage_seconds(sim_.now()); }

 private:
  /// Brings the waiting and running integrals to the current counts.
  void update_levels();
  struct Sequence {
    traffic::RequestId request = 0;
    int64_t computed = 0;    // tokens whose KV is cached
    int64_t generated = 0;   // output tokens sampled
    int64_t blocks = 0;      // KV blocks held
    int64_t scheduled = 0;   // tokens scheduled in the executing step
    engine::SimTime first_token_at;
    bool admitted = false;   // has run at least once (its request's started_at is set)
  };

  void maybe_start_step();
  void on_step_done(uint64_t);
  /// Allocates KV for `extra` more tokens of sequence s; false if the free blocks do not suffice.
  bool try_allocate(Sequence& s, int64_t extra);
  void free_kv(Sequence& s);
  int64_t known_tokens(const Sequence& s) const { return config_.prompt_tokens + s.generated; }
  int64_t blocks_for(int64_t tokens) const {
    return (tokens + config_.block_size_tokens - 1) / config_.block_size_tokens;
  }
  uint32_t new_sequence(traffic::RequestId id);
  // The waiting queue: a ring that also takes pushes at the front (preempted sequences).
  void waiting_push_back(uint32_t s);
  void waiting_push_front(uint32_t s);
  uint32_t waiting_pop_front();
  uint32_t waiting_front() const { return waiting_[waiting_head_]; }
  void waiting_grow();

  engine::Simulator& sim_;
  traffic::RequestTable& requests_;
  ContinuousBatchingConfig config_;
  TokenTimingObserver* observer_;
  engine::Duration preprocess_cpu_;
  engine::Duration postprocess_cpu_;
  engine::Duration cpu_per_token_;
  std::vector<Sequence> sequences_;
  std::vector<uint32_t> free_sequences_;
  std::vector<uint32_t> running_;    // admission order
  std::vector<uint32_t> scheduled_;  // sequences in the executing step
  std::vector<uint32_t> finished_;   // sequences that sampled their last token this step
  std::vector<uint32_t> waiting_;    // ring, capacity a power of two
  size_t waiting_head_ = 0;
  size_t waiting_size_ = 0;
  int64_t total_blocks_;
  int64_t free_blocks_;
  bool stepping_ = false;
  engine::TimeIntegral busy_;
  engine::TimeIntegral waiting_level_;
  engine::TimeIntegral running_level_;
  int64_t max_waiting_ = 0;
  uint64_t step_sequences_ = 0;  // sequences scheduled, summed over steps
  bool down_ = false;
  engine::EventHandle step_event_;
  CpuUsage cpu_;
  uint64_t received_ = 0;
  uint64_t completed_ = 0;
  uint64_t rejected_ = 0;
  uint64_t preemptions_ = 0;
  uint64_t steps_ = 0;
  uint64_t tokens_generated_ = 0;
};

/// The attention/KV-read time per context token of a decode step: kv_bytes_per_token read at 70% of
/// the HBM bandwidth (reference/dataplane.md 6.4(b)), in ms.
inline double kv_read_ms_per_token(double kv_bytes_per_token, double hbm_bytes_per_s) {
  return kv_bytes_per_token / (0.7 * hbm_bytes_per_s) * 1e3;
}

}  // namespace kubemind::serve
