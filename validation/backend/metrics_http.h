// SPDX-License-Identifier: MIT
#pragma once
// A minimal HTTP/1.0 endpoint for Prometheus scrapes and readiness probes, on its own thread:
// GET /metrics -> text exposition format 0.0.4 from `render`; GET /ready -> 200 once `ready` is true,
// 503 before (a kubelet readinessProbe httpGet); anything else 404. One connection at a time.
#include <atomic>
#include <functional>
#include <string>
#include <thread>

namespace kubemind::validation {

class MetricsHttp {
 public:
  MetricsHttp(std::string host, int port, std::function<std::string()> render, const std::atomic<bool>* ready);
  ~MetricsHttp();
  /// Binds and starts serving; throws if the port cannot be bound.
  void start();
  void stop();

 private:
  void serve();
  std::string host_;
  int port_;
  std::function<std::string()> render_;
  const std::atomic<bool>* ready_;
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace kubemind::validation
