// SPDX-License-Identifier: MIT
#pragma once
// A request and the two interfaces it travels through. A request is created by a client, handed
// from hop to hop by id (RequestSink::on_request) and answered back along `reply_to`
// (ResponseSink::on_response). Requests live in one RequestTable per run and are addressed by a
// dense id; slots are reused, so a run in steady state allocates nothing per request.

#include <cstdint>
#include <string_view>
#include <vector>

#include "sim/engine/time.h"

namespace kubemind::traffic {

using RequestId = uint32_t;

/// How a request ended. Failure causes are named as a platform engineer would see them.
enum class Outcome : uint8_t {
  kPending,     // still travelling or being served
  kOk,          // served
  kQueueFull,   // rejected by the server's admission queue (Triton max_queue_size)
};
std::string_view outcome_name(Outcome outcome);

class ResponseSink {
 public:
  /// The request's outcome and timestamps are set; the sink may release it.
  virtual void on_response(RequestId id) = 0;

 protected:
  ~ResponseSink() = default;
};

class RequestSink {
 public:
  /// Takes charge of the request until it answers it through its reply_to.
  virtual void on_request(RequestId id) = 0;

 protected:
  ~RequestSink() = default;
};

struct Request {
  engine::SimTime sent_at;       // left the client
  engine::SimTime arrived_at;    // reached the server that handled it
  engine::SimTime started_at;    // began service (equal to arrived_at when not queued)
  engine::SimTime finished_at;   // the response reached the client
  ResponseSink* reply_to = nullptr;
  uint32_t client = 0;           // index of the sending client
  uint32_t server = UINT32_MAX;  // index of the server that handled it
  Outcome outcome = Outcome::kPending;
};

class RequestTable {
 public:
  RequestId acquire() {
    if (!free_.empty()) {
      const RequestId id = free_.back();
      free_.pop_back();
      slots_[id] = Request{};
      return id;
    }
    slots_.emplace_back();
    return static_cast<RequestId>(slots_.size() - 1);
  }
  void release(RequestId id) { free_.push_back(id); }
  Request& operator[](RequestId id) { return slots_[id]; }
  const Request& operator[](RequestId id) const { return slots_[id]; }
  size_t in_use() const { return slots_.size() - free_.size(); }

 private:
  std::vector<Request> slots_;
  std::vector<RequestId> free_;
};

}  // namespace kubemind::traffic
