// SPDX-License-Identifier: MIT
#pragma once
// A client: the source of requests and the place where their latency is observed.
//
// Load models
// - open loop: requests leave when the arrival process says (sim/traffic/arrivals.h), whatever
//   happens to earlier ones;
// - closed loop: `concurrency` callers, each sending its next request a think time after its
//   previous one was answered (or gave up). All callers send their first request at t = 0.
// Deadline (gRPC's per-call deadline; none by default, as in gRPC): at `deadline_ms` after the
// send, the call fails with Outcome::kTimeout. The request may still be queued or served downstream
// (a server does not notice a cancelled stream); its late answer is dropped when it arrives.
// Retries (gRFC A6 retry policy; off by default, max_attempts = 1): a call that fails with a
// retryable outcome is sent again, reusing the same request, after a backoff drawn uniformly from
// [0, min(initial_backoff * multiplier^(n-1), max_backoff)] for the n-th retry; the deadline covers
// all attempts. Retryable outcomes are those gRPC reports as UNAVAILABLE: queue full, overflow,
// reset, no healthy upstream. Retry throttling (the token bucket) is not modelled.
// A call's latency runs from its first send to its final answer.

#include <boost/random/exponential_distribution.hpp>
#include <boost/random/uniform_01.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/engine/rng.h"
#include "sim/engine/simulator.h"
#include "sim/traffic/arrivals.h"
#include "sim/traffic/request.h"

namespace kubemind::traffic {

enum class LoadModel : uint8_t { kOpenLoop, kClosedLoop };

struct ThinkTimeConfig {
  bool exponential = false;  // exponential with this mean, else constant
  double mean_ms = 0.0;
};

struct RetryPolicy {
  int max_attempts = 1;  // attempts in all, first included; gRPC allows at most 5
  double initial_backoff_s = 0.1;
  double max_backoff_s = 1.0;
  double backoff_multiplier = 2.0;
};

struct ClientConfig {
  std::string name;
  LoadModel load = LoadModel::kOpenLoop;
  ArrivalConfig arrival;  // open loop
  int concurrency = 1;    // closed loop: callers
  ThinkTimeConfig think;  // closed loop
  double deadline_ms = 0.0;  // 0: none
  RetryPolicy retry;
  /// Routing keys (sessions, users) for hash-based balancing: call n of client c gets key
  /// splitmix64(c << 40 ^ n) mod key_space, uniform over [0, key_space) and drawn from no random
  /// stream, so keys never move arrivals. 0: every call has key 0.
  uint64_t key_space = 0;
};

class Client final : public ResponseSink {
 public:
  /// `arrivals` draws send times only and `behaviour` draws think times and retry backoffs, so that
  /// turning retries on never shifts the arrivals. `index` is stamped on the client's requests.
  Client(engine::Simulator& sim, engine::RngStream arrivals, engine::RngStream behaviour, RequestTable& requests,
         const ClientConfig& config, uint32_t index, RequestSink& target, RequestObserver& observer);
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  /// Starts sending; no call starts at or after `stop_at`.
  void start(engine::SimTime stop_at);
  void on_response(RequestId id) override;

  uint64_t sent() const { return sent_; }
  uint64_t answered() const { return answered_; }
  uint64_t retries() const { return retries_; }

 private:
  void on_arrival(uint64_t);
  void on_caller_ready(uint64_t);
  void on_deadline(uint64_t id);
  void on_retry(uint64_t id);
  void send_new();
  void forward(RequestId id);
  void finish(RequestId id, const Request& outcome);
  void after_call();
  bool retryable(Outcome outcome) const;
  void grow_side_tables(RequestId id);

  engine::Simulator& sim_;
  engine::RngStream arrival_rng_;
  engine::RngStream behaviour_rng_;
  RequestTable& requests_;
  ClientConfig config_;
  uint32_t index_;
  RequestSink& target_;
  RequestObserver& observer_;
  ArrivalGenerator arrivals_;
  boost::random::exponential_distribution<double> unit_exponential_{1.0};
  boost::random::uniform_01<double> uniform_;
  engine::SimTime stop_at_{};
  engine::SimTime next_arrival_{};
  // Per request id (ids are dense and shared by all clients; sized to the largest id seen).
  std::vector<engine::EventHandle> deadline_timer_;
  std::vector<engine::EventHandle> retry_timer_;
  std::vector<uint8_t> attempts_;
  std::vector<uint8_t> abandoned_;  // gave up on it; drop its answer
  uint64_t sent_ = 0;
  uint64_t answered_ = 0;
  uint64_t retries_ = 0;
};

}  // namespace kubemind::traffic
