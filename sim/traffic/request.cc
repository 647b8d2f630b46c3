// SPDX-License-Identifier: MIT
#include "sim/traffic/request.h"

namespace kubemind::traffic {

std::string_view outcome_name(Outcome outcome) {
  switch (outcome) {
    case Outcome::kPending: return "pending";
    case Outcome::kOk: return "ok";
    case Outcome::kQueueFull: return "queue_full";
  }
  return "unknown";
}

}  // namespace kubemind::traffic
