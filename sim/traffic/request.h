// SPDX-License-Identifier: MIT
#pragma once
// A request and the two interfaces it travels through. A request is created by a client and handed
// from hop to hop by id (RequestSink::on_request). Each hop that wants the answer back pushes itself
// on the request's reply path before forwarding; whoever answers pops the top of that path and
// calls it (ResponseSink::on_response), so the answer retraces the hops (client <- connection <-
// proxy <- ... <- server). Requests live in one RequestTable per run and are addressed by a dense id;
// slots are reused, so a run in steady state allocates nothing per request.

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "sim/engine/check.h"
#include "sim/engine/time.h"

namespace kubemind::traffic {

using RequestId = uint32_t;

/// How a request ended. Failure causes are named as a platform engineer would see them.
enum class Outcome : uint8_t {
  kPending,            // still travelling or being served
  kOk,                 // served
  kQueueFull,          // rejected by the server's admission queue (Triton max_queue_size)
  kTimeout,            // a timeout or deadline expired before the answer (client, proxy route, server queue)
  kOverflow,           // a proxy circuit breaker was full: Envoy's 503 with x-envoy-overloaded
  kReset,              // the connection carrying it was reset (pod terminated, connection lost)
  kNoHealthyUpstream,  // a balancer had no endpoint to send it to (Envoy 503 "no healthy upstream")
};
std::string_view outcome_name(Outcome outcome);

class ResponseSink {
 public:
  /// The request's outcome and timestamps are set; the sink may release it.
  virtual void on_response(RequestId id) = 0;

 protected:
  ~ResponseSink() = default;
};

/// What a SYN to an address gets back.
enum class DialAnswer : uint8_t {
  kAccept,    // SYN-ACK: the connection comes up
  kRefuse,    // RST: the host is up but nothing listens on the port (the process is not running)
  kNoAnswer,  // nothing: the host is down or cut off; the dialer gives up at its connect timeout
};

class RequestSink {
 public:
  /// Takes charge of the request until it answers it through its reply_to.
  virtual void on_request(RequestId id) = 0;
  /// How a new TCP connection to it is answered now. Asked once per dial, never per request.
  virtual DialAnswer answer_dial() const { return DialAnswer::kAccept; }

 protected:
  ~RequestSink() = default;
};

struct Request;

/// Told about every request a client sends and every answer it receives (the SLI recorder).
class RequestObserver {
 public:
  virtual void on_sent(const Request& request) = 0;
  virtual void on_answered(const Request& request) = 0;

 protected:
  ~RequestObserver() = default;
};

struct Request {
  static constexpr int kMaxHops = 8;

  engine::SimTime sent_at;       // left the client
  engine::SimTime arrived_at;    // reached the server that handled it
  engine::SimTime started_at;    // began service (equal to arrived_at when not queued)
  engine::SimTime finished_at;   // the response reached the client
  uint64_t key = 0;              // routing key (session, user) for hash-based balancing
  uint32_t request_class = 0;    // index of the request's class at its client (trace replay)
  uint32_t input_size = 0;       // e.g. prompt tokens; 0 if not modelled
  uint32_t output_size = 0;      // e.g. output tokens; 0 if not modelled
  uint32_t client = 0;           // index of the sending client
  uint32_t server = UINT32_MAX;  // index of the server that handled it
  Outcome outcome = Outcome::kPending;
  uint8_t hops = 0;              // entries used in reply_path
  std::array<ResponseSink*, kMaxHops> reply_path{};

  /// The hop that must see the answer next; call before forwarding.
  void push_reply(ResponseSink* hop) {
    SIM_CHECK(hops < kMaxHops, "request path longer than Request::kMaxHops");
    reply_path[hops++] = hop;
  }
  /// Removes and returns the hop the answer goes to now.
  ResponseSink* pop_reply() {
    SIM_ASSERT(hops > 0, "answer with an empty reply path");
    return reply_path[--hops];
  }
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
