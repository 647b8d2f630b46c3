// SPDX-License-Identifier: MIT
#include "backend/latency_curve.h"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace kubemind::validation {

LatencyCurve::LatencyCurve(std::vector<Knot> knots, int knee_batch) {
  if (knots.empty()) throw std::invalid_argument("a latency curve needs at least one knot");
  for (const Knot& k : knots) {
    if (k.batch < 1 || k.mean_ms <= 0) throw std::invalid_argument("knot batch >= 1 and mean > 0");
    if (!batch_.empty() && k.batch <= batch_.back()) throw std::invalid_argument("knot batches must increase");
    batch_.push_back(k.batch);
    mean_ms_.push_back(k.mean_ms);
  }
  for (size_t i = mean_ms_.size() - 1; i-- > 0;) mean_ms_[i] = std::min(mean_ms_[i], mean_ms_[i + 1]);
  std::vector<double> b, t;
  for (const Knot& k : knots) {
    if (k.batch >= knee_batch) {
      b.push_back(k.batch);
      t.push_back(k.mean_ms);
    }
  }
  if (b.size() < 2) {
    b.clear();
    t.clear();
    for (size_t i = knots.size() >= 2 ? knots.size() - 2 : 0; i < knots.size(); ++i) {
      b.push_back(knots[i].batch);
      t.push_back(knots[i].mean_ms);
    }
  }
  if (b.size() >= 2) {  // OLS slope = cov(b, t) / var(b)
    double mb = 0, mt = 0;
    for (size_t i = 0; i < b.size(); ++i) {
      mb += b[i];
      mt += t[i];
    }
    mb /= static_cast<double>(b.size());
    mt /= static_cast<double>(b.size());
    double sbt = 0, sbb = 0;
    for (size_t i = 0; i < b.size(); ++i) {
      sbt += (b[i] - mb) * (t[i] - mt);
      sbb += (b[i] - mb) * (b[i] - mb);
    }
    slope_ms_ = sbb > 0 ? sbt / sbb : 0.0;
  }
}

LatencyCurve LatencyCurve::from_profile_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open profile " + path);
  const nlohmann::json j = nlohmann::json::parse(in);
  std::vector<Knot> knots;
  for (const auto& k : j.at("latency_ms")) knots.push_back({k.at("batch").get<int>(), k.at("mean").get<double>()});
  return LatencyCurve(std::move(knots), j.value("knee_batch", 1));
}

double LatencyCurve::mean_ms(int batch) const {
  if (batch <= batch_.front()) return mean_ms_.front();
  if (batch >= batch_.back()) return mean_ms_.back() + std::max(slope_ms_, 0.0) * (batch - batch_.back());
  const size_t i = static_cast<size_t>(std::lower_bound(batch_.begin(), batch_.end(), batch) - batch_.begin());
  const double f = static_cast<double>(batch - batch_[i - 1]) / static_cast<double>(batch_[i] - batch_[i - 1]);
  return mean_ms_[i - 1] + f * (mean_ms_[i] - mean_ms_[i - 1]);
}

}  // namespace kubemind::validation
