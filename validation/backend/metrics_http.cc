// SPDX-License-Identifier: MIT
#include "backend/metrics_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

namespace kubemind::validation {

MetricsHttp::MetricsHttp(std::string host, int port, std::function<std::string()> render,
                         const std::atomic<bool>* ready)
    : host_(std::move(host)), port_(port), render_(std::move(render)), ready_(ready) {}

MetricsHttp::~MetricsHttp() { stop(); }

void MetricsHttp::start() {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) throw std::runtime_error("metrics: socket failed");
  const int one = 1;
  ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port_));
  if (::inet_pton(AF_INET, host_.c_str(), &addr.sin_addr) != 1) throw std::runtime_error("metrics: bad host " + host_);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(fd_, 16) != 0) {
    throw std::runtime_error("metrics: cannot bind " + host_ + ":" + std::to_string(port_) + ": " + std::strerror(errno));
  }
  thread_ = std::thread([this] { serve(); });
}

void MetricsHttp::stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void MetricsHttp::serve() {
  while (!stop_.load()) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    const int c = ::accept(fd_, nullptr, nullptr);
    if (c < 0) continue;
    char buf[2048];
    std::string req;
    pollfd pc{c, POLLIN, 0};
    while (req.find("\r\n\r\n") == std::string::npos && req.size() < 8192 && ::poll(&pc, 1, 1000) > 0) {
      const ssize_t n = ::read(c, buf, sizeof(buf));
      if (n <= 0) break;
      req.append(buf, static_cast<size_t>(n));
    }
    std::string status = "404 Not Found", type = "text/plain", body = "not found\n";
    if (req.rfind("GET /metrics", 0) == 0) {
      status = "200 OK";
      type = "text/plain; version=0.0.4";
      body = render_();
    } else if (req.rfind("GET /ready", 0) == 0) {
      const bool ok = ready_->load();
      status = ok ? "200 OK" : "503 Service Unavailable";
      body = ok ? "ready\n" : "loading\n";
    }
    const std::string out = "HTTP/1.0 " + status + "\r\nContent-Type: " + type +
                            "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    size_t off = 0;
    while (off < out.size()) {
      const ssize_t n = ::write(c, out.data() + off, out.size() - off);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    ::close(c);
  }
}

}  // namespace kubemind::validation
