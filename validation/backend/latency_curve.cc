// SPDX-License-Identifier: MIT
#include "backend/latency_curve.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <vector>

namespace kubemind::validation {

LatencyCurve latency_curve_from_profile_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open profile " + path);
  const nlohmann::json j = nlohmann::json::parse(in);
  std::vector<serve::LatencyKnot> knots;
  for (const auto& k : j.at("latency_ms")) {
    const serve::LatencyKnot knot{k.at("batch").get<int>(), k.at("mean").get<double>(), 0.0};
    // serve::LatencyCurve trusts its knots; a profile file is checked here.
    if (knot.batch < 1 || knot.mean_ms <= 0) throw std::runtime_error(path + ": knot batch >= 1 and mean > 0");
    if (!knots.empty() && knot.batch <= knots.back().batch) throw std::runtime_error(path + ": knot batches must increase");
    knots.push_back(knot);
  }
  if (knots.empty()) throw std::runtime_error(path + ": a latency curve needs at least one knot");
  return LatencyCurve(knots, j.value("knee_batch", 1));
}

}  // namespace kubemind::validation
