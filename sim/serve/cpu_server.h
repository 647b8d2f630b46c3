// SPDX-License-Identifier: MIT
#pragma once
// A CPU-bound model server in a pod: a Python web app (FastAPI endpoint calling a scikit-learn model)
// run by gunicorn/uvicorn with `workers` processes, whose CPU comes from the node it runs on (NodeCpu).
// - Each worker process serves one request at a time (a sync endpoint; the model's predict holds the
//   worker's one thread; separate processes, so no GIL contention between workers). Requests that find
//   every worker busy wait in one FIFO queue and go to the lowest-numbered free worker (an idealised
//   shared accept queue). Admission: max_queue_size 0 = unbounded, otherwise a request that finds that
//   many waiting is answered kQueueFull at once, as InferenceServer does.
// - A request's work is a draw of service_time: ms of CPU at one full core (deterministic, exponential
//   or lognormal), drawn when it starts, from the server's own stream, as InferenceServer draws its
//   service times.
// - The container's demand on the node is its number of busy workers; the node gives the container a
//   rate (cores) and each busy worker progresses at rate / busy (<= 1 core). Whenever the rate or the
//   busy count changes, every busy worker's remaining work is brought up to date and its completion
//   event is cancelled and rescheduled at remaining / per-worker rate (rounded to the nearest ns).
// - CPU: container_cpu_usage_seconds_total = baseline_cores x time + the CPU actually received (the
//   integral of the rate), so metrics-server and the HPA see real CPU, throttled or not. The baseline
//   is counted but takes no share of the node (the node model sees only the workers), and stops when
//   the server shuts down. CpuConfig's preprocess/postprocess_cpu_ms are not used: here the request's
//   whole CPU work is its service_time.
// - A request is never timed out by the server (no queue timeout), and is always served once started.
// Simplifications: see node_cpu.h (fluid CFS, no throttling periods); single-threaded predict (BLAS
// threads of scikit-learn not modelled); no request parsing or network time in the pod.
// Units: times in simulated ns (work configured in ms of one core's CPU), cores, CPU-seconds, bytes.

#include <boost/random/exponential_distribution.hpp>
#include <boost/random/lognormal_distribution.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/engine/fifo.h"
#include "sim/engine/rng.h"
#include "sim/engine/simulator.h"
#include "sim/engine/time_integral.h"
#include "sim/serve/inference_server.h"
#include "sim/serve/model_server.h"
#include "sim/serve/node_cpu.h"
#include "sim/serve/resources.h"
#include "sim/traffic/request.h"

namespace kubemind::serve {

struct CpuBoundServerConfig {
  std::string model;           // name of the profile the numbers came from; empty if given directly
  int workers = 1;             // gunicorn -w / uvicorn --workers: processes, one request each
  int64_t max_queue_size = 0;  // waiting requests admitted; 0 = unbounded
  ServiceTimeConfig service_time;  // CPU work per request, ms at one full core
  CpuConfig cpu;               // request_cores (-> the cgroup's weight) and baseline_cores
  double cpu_limit_cores = 0.0;  // resources.limits.cpu; 0 = none
  MemoryConfig memory;         // runtime_gb + per_request_bytes (weights_gb unused: no GPU)
};

class CpuBoundServer final : public ModelServer, private CpuRateListener {
 public:
  /// Registers the pod's container on `node` (request and limit from `config`); the node must outlive
  /// the server, or the server must be shut down first.
  CpuBoundServer(engine::Simulator& sim, engine::RngStream service_rng, traffic::RequestTable& requests,
                 NodeCpu& node, const CpuBoundServerConfig& config, uint32_t index);
  ~CpuBoundServer() override;
  CpuBoundServer(const CpuBoundServer&) = delete;
  CpuBoundServer& operator=(const CpuBoundServer&) = delete;

  void on_request(traffic::RequestId id) override;

  /// The process ended: every request it holds, and every request that still reaches it, is answered
  /// kReset at once; its container leaves the node (the neighbours get its CPU).
  void shut_down() override;
  bool down() const override { return down_; }

  /// Requests waiting for a worker.
  int64_t queue_depth() const override { return waiting_.level(); }
  /// Requests being served (= busy workers).
  int64_t in_service() const override { return in_service_.level(); }
  int64_t max_queue_depth() const override { return max_waiting_; }
  const engine::TimeIntegral& waiting() const override { return waiting_; }
  const engine::TimeIntegral& in_service_integral() const override { return in_service_; }
  /// Busy workers.
  const engine::TimeIntegral& busy() const override { return busy_; }
  int instances() const override { return config_.workers; }

  uint64_t received() const override { return received_; }
  uint64_t completed() const { return completed_; }
  uint64_t rejected() const { return rejected_; }  // kQueueFull
  /// Requests started (each a batch of one), as InferenceServer counts batches when they start.
  uint64_t batches() const override { return started_; }
  uint64_t batched_requests() const override { return started_; }
  std::vector<uint64_t> batch_size_counts() const override { return {}; }

  /// container_cpu_usage_seconds_total at now: baseline x time + CPU received.
  double cpu_usage_seconds() const override;
  double cpu_request_cores() const override { return config_.cpu.request_cores; }
  double cpu_limit_cores() const { return config_.cpu_limit_cores; }
  /// Container working set: runtime + per-request buffers of every request in the server.
  double memory_working_set_bytes() const override;

  /// Cores the container receives now, and each busy worker's share of them.
  double cpu_rate_cores() const { return rate_cores_; }
  double worker_rate_cores() const { return worker_rate_; }
  ContainerId container() const { return container_; }

 private:
  static constexpr traffic::RequestId kIdle = UINT32_MAX;

  void on_cpu_rate_changed(ContainerId id, double rate_cores) override;
  void on_worker_done(uint64_t worker);
  /// Charges the work done since the last update at the current per-worker rate.
  void advance();
  /// Reads the container's rate and reschedules every busy worker's completion.
  void reschedule();
  /// Tells the node the busy count, then reschedules.
  void publish_demand();
  void start(int worker, traffic::RequestId id);
  int free_worker() const;
  void answer(traffic::RequestId id, traffic::Outcome outcome);
  engine::Duration sample_work();

  engine::Simulator& sim_;
  engine::RngStream service_rng_;
  traffic::RequestTable& requests_;
  NodeCpu& node_;
  CpuBoundServerConfig config_;
  ContainerId container_;
  boost::random::exponential_distribution<double> exponential_ms_;
  boost::random::lognormal_distribution<double> lognormal_ms_;
  engine::Fifo<traffic::RequestId> queue_;
  // Per worker, fixed size: the request served (kIdle if none), its CPU work left (ns at one core)
  // and its completion event.
  std::vector<traffic::RequestId> serving_;
  std::vector<double> remaining_ns_;
  std::vector<engine::EventHandle> done_event_;
  std::vector<traffic::RequestId> reset_;  // requests answered kReset at shut_down (reused)
  double rate_cores_ = 0.0;   // the container's rate from the node
  double worker_rate_ = 0.0;  // rate_cores_ / busy workers
  engine::SimTime last_update_;
  double cpu_received_ns_ = 0.0;  // integral of rate_cores_ up to last_update_, CPU-ns
  engine::SimTime start_time_;
  engine::SimTime end_time_ = engine::SimTime::max();  // shut-down instant: the baseline stops
  bool publishing_ = false;  // inside our own set_demand: reschedule once after it returns
  engine::TimeIntegral waiting_;
  engine::TimeIntegral busy_;
  engine::TimeIntegral in_service_;
  int64_t max_waiting_ = 0;
  bool down_ = false;
  uint64_t received_ = 0;
  uint64_t completed_ = 0;
  uint64_t rejected_ = 0;
  uint64_t started_ = 0;
};

}  // namespace kubemind::serve
