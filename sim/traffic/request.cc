// SPDX-License-Identifier: MIT
#include "sim/traffic/request.h"

namespace kubemind::traffic {

std::string_view outcome_name(Outcome outcome) {
  switch (outcome) {
    case Outcome::kPending: return "pending";
    case Outcome::kOk: return "ok";
    case Outcome::kQueueFull: return "queue_full";
    case Outcome::kTimeout: return "timeout";
    case Outcome::kOverflow: return "overflow";
    case Outcome::kReset: return "reset";
    case Outcome::kNoHealthyUpstream: return "no_healthy_upstream";
  }
  return "unknown";
}

}  // namespace kubemind::traffic
