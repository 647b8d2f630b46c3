// SPDX-License-Identifier: MIT
#include "sim/control/metrics_source.h"

namespace kubemind::control {

const char* to_string(AppGauge g) {
  switch (g) {
    case AppGauge::kQueueDepth:
      return "queue_depth";
    case AppGauge::kInflight:
      return "inflight";
    case AppGauge::kGpuUtilization:
      return "gpu_utilization";
  }
  return "?";
}

const char* to_string(AppCounter c) {
  switch (c) {
    case AppCounter::kRequestsTotal:
      return "requests_total";
    case AppCounter::kInflightSecondsTotal:
      return "inflight_seconds_total";
  }
  return "?";
}

}  // namespace kubemind::control
