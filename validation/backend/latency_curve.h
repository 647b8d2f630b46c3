// SPDX-License-Identifier: MIT
#pragma once
// L(b), the time one emulated model instance takes to execute a batch of b: kubemind's own curve
// (sim/serve/latency_curve.h, compiled into the testbed), read from a models/ profile file, so the
// testbed and the simulator wait the same time for the same batch by construction.
// Units: batch in requests, ms.
#include <string>

#include "sim/serve/latency_curve.h"

namespace kubemind::validation {

using LatencyCurve = serve::LatencyCurve;

/// Reads a models/*.json profile ("latency_ms": [{batch, mean}], "knee_batch"). Throws
/// std::runtime_error on a file it cannot use (no knots, batches not increasing, a mean <= 0).
LatencyCurve latency_curve_from_profile_file(const std::string& path);

}  // namespace kubemind::validation
