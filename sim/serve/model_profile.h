// SPDX-License-Identifier: MIT
#pragma once
// A served model's measured performance on one GPU type, as plain data (read from models/<name>.json by
// sim/scenario/model_profile.cc, so that this layer does not depend on the scenario layer).
// - latency_ms: knots (batch, mean, optional p99) in ms, batch strictly increasing. For a Triton-style
//   model `batch` counts requests in one batch; for an LLM (batch_unit = kTokens) it counts tokens in
//   one engine iteration (prefill tokens, decode sequences, or their sum under chunked prefill).
// - knee_batch: the knots at and above it are the affine ("compute-bound") part of the curve; a least-
//   squares line over them extrapolates beyond the last knot (LatencyCurve).
// - jitter_cv: coefficient of variation of a multiplicative lognormal factor (mean 1) on each batch's
//   time; 0 = the curve's mean exactly.
// - memory: model weights in GB (1e9 bytes) and, for LLMs, KV-cache bytes per token (all layers).
// - decode_step_ms: LLMs only, the time of one decode iteration vs the number of sequences at a fixed
//   context length (reference/dataplane.md 6.4(b), a derived estimate).
// Units: ms, GB = 1e9 bytes, bytes. Every profile cites its numbers in `source`.

#include <cstdint>
#include <string>
#include <vector>

namespace kubemind::serve {

enum class BatchUnit : uint8_t { kRequests, kTokens };

struct LatencyKnot {
  int batch = 1;
  double mean_ms = 0.0;
  double p99_ms = 0.0;  // 0 when the source gives none
};

struct MemoryProfile {
  double weights_gb = 0.0;          // 0 = not given
  double kv_bytes_per_token = 0.0;  // LLMs: 2 (K,V) x layers x kv_heads x head_dim x bytes/element
  std::string source;
};

struct DecodeStepTable {
  int context_tokens = 0;           // context length of every sequence in the step
  std::vector<LatencyKnot> steps;   // batch = sequences decoding together; empty = not given
  std::string source;
};

struct ModelProfile {
  std::string name;                     // file stem, referenced by scenarios
  std::string model;                    // e.g. "ResNet-50 v1.5"
  std::string gpu;                      // e.g. "NVIDIA T4 16GB"
  std::string precision;                // e.g. "FP16, TensorRT"
  BatchUnit batch_unit = BatchUnit::kRequests;
  std::vector<LatencyKnot> latency_ms;  // strictly increasing batch
  int knee_batch = 1;                   // fit the knots with batch >= knee_batch (default: all knots)
  double jitter_cv = 0.0;               // lognormal multiplicative jitter, 0 = none
  MemoryProfile memory;
  DecodeStepTable decode_step_ms;       // LLMs only
  std::string source;                   // where the numbers come from
};

}  // namespace kubemind::serve
