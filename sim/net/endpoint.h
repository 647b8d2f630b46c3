// SPDX-License-Identifier: MIT
#pragma once
// Where a TCP connection can go. An Endpoint is one pod's IP:port as the data plane sees it: a
// stable id (the pod index) and the RequestSink that receives the requests sent there. A Dialer is
// an address a client can dial: it decides where each NEW connection lands and may answer "no
// endpoint" (connection refused). A pod IP always lands on its pod (FixedDialer); a ClusterIP is a
// Dialer whose choice the L4 balancer makes (balance::KubeProxy, per connection, never per
// request: kubernetes/kubernetes pkg/proxy/iptables/proxier.go; reference/dataplane.md 1.1, 8.1).
// Invariant: a Dialer's choice is final for the life of the connection (conntrack pins the flow);
// hang_up() is called exactly once for every successful dial().

#include <cstdint>

#include "sim/traffic/request.h"

namespace kubemind::net {

struct Endpoint {
  static constexpr uint32_t kNone = UINT32_MAX;
  uint32_t id = kNone;                    // pod index, stable for the pod's life
  traffic::RequestSink* sink = nullptr;   // receives the requests of connections to this pod
  bool valid() const { return sink != nullptr; }
};

class Dialer {
 public:
  /// Chooses the endpoint of a new connection; an invalid Endpoint means nothing answers (refused).
  virtual Endpoint dial() = 0;
  /// A connection that dial() placed on `endpoint` has closed (IPVS counts active connections).
  virtual void hang_up(const Endpoint& endpoint) = 0;

 protected:
  ~Dialer() = default;
};

/// A pod IP: every connection goes to the same pod while it is reachable.
class FixedDialer final : public Dialer {
 public:
  explicit FixedDialer(Endpoint endpoint) : endpoint_(endpoint) {}

  Endpoint dial() override { return reachable_ ? endpoint_ : Endpoint{}; }
  void hang_up(const Endpoint&) override {}

  /// A terminated pod refuses new connections; existing ones are reset by their owners.
  void set_reachable(bool reachable) { reachable_ = reachable; }
  const Endpoint& endpoint() const { return endpoint_; }

 private:
  Endpoint endpoint_;
  bool reachable_ = true;
};

}  // namespace kubemind::net
