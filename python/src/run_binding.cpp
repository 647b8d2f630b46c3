// SPDX-License-Identifier: MIT
// Running a scenario: load + run + report::to_json with the GIL released, so several Python threads
// run simulations in parallel. The result crosses into Python once, at the end: the report's JSON
// text (the exact bytes `kubemind run --format json` prints for the same scenario, overrides and
// seed) and, when asked for, one NumPy array per per-request column. No Python code runs during a
// simulation.

#include <cstdint>
#include <memory>
#include <vector>

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include "python/src/bindings.h"
#include "sim/report/writers.h"
#include "sim/scenario/world.h"
#include "sim/traffic/request.h"

namespace py = pybind11;

namespace kubemind::python {

namespace {

/// Every answered request (OK or failed, warm-up included), as columns. Requests still in flight at
/// the end are not answered and not listed. Opt-in: a run without it records nothing.
class RequestColumns final : public traffic::RequestObserver {
 public:
  void on_sent(const traffic::Request&) override {}
  void on_answered(const traffic::Request& r) override {
    sent_s_.push_back(r.sent_at.seconds_f());
    latency_ms_.push_back((r.finished_at - r.sent_at).milliseconds_f());
    wait_ms_.push_back(r.outcome == traffic::Outcome::kOk ? (r.started_at - r.arrived_at).milliseconds_f() : 0.0);
    client_.push_back(r.client);
    server_.push_back(r.server == UINT32_MAX ? -1 : static_cast<int64_t>(r.server));
    outcome_.push_back(static_cast<uint8_t>(r.outcome));
  }

  /// Moves the columns into NumPy arrays (no copy: each array owns its vector). Needs the GIL.
  py::dict to_numpy() {
    py::dict columns;
    columns["sent_s"] = as_array(std::move(sent_s_));
    columns["latency_ms"] = as_array(std::move(latency_ms_));
    columns["wait_ms"] = as_array(std::move(wait_ms_));
    columns["client"] = as_array(std::move(client_));
    columns["server"] = as_array(std::move(server_));
    columns["outcome"] = as_array(std::move(outcome_));
    return columns;
  }

 private:
  template <typename T>
  static py::array_t<T> as_array(std::vector<T>&& values) {
    auto owned = std::make_unique<std::vector<T>>(std::move(values));
    const auto size = static_cast<py::ssize_t>(owned->size());
    T* data = owned->data();
    py::capsule free_when_done(owned.get(), [](void* p) { delete static_cast<std::vector<T>*>(p); });
    owned.release();
    return py::array_t<T>({size}, {static_cast<py::ssize_t>(sizeof(T))}, data, free_when_done);
  }

  std::vector<double> sent_s_, latency_ms_, wait_ms_;
  std::vector<uint32_t> client_;
  std::vector<int64_t> server_;
  std::vector<uint8_t> outcome_;
};

}  // namespace

void bind_run(py::module_& m) {
  m.def(
      "run",
      [](std::optional<std::string> path, std::string text, std::string source, std::string base_dir,
         const std::vector<std::pair<std::string, std::string>>& overrides, std::optional<uint64_t> seed,
         const std::string& models_dir, bool requests) {
        const ScenarioSource from{std::move(path), std::move(text), std::move(source), std::move(base_dir)};
        const scenario::LoadOptions options = make_load_options(overrides, seed, models_dir);
        std::string json;
        RequestColumns columns;
        {
          py::gil_scoped_release release;
          const scenario::ScenarioConfig config = load_source(from, options);
          scenario::RunOptions run_options;
          if (requests) run_options.observer = &columns;
          json = report::to_json(scenario::run_scenario(config, run_options));
        }
        return py::make_tuple(json, requests ? py::object(columns.to_numpy()) : py::object(py::none()));
      },
      py::arg("path"), py::arg("text"), py::arg("source"), py::arg("base_dir"), py::arg("overrides"),
      py::arg("seed"), py::arg("models_dir"), py::arg("requests") = false,
      "Loads a scenario (a file when path is not None, else text), runs it and returns (report JSON, "
      "per-request columns or None). Raises ScenarioError for an invalid scenario or override.");

  m.def(
      "outcome_names",
      [] {
        std::vector<std::string> names;
        for (uint8_t o = 0; o <= static_cast<uint8_t>(traffic::Outcome::kNoHealthyUpstream); ++o) {
          names.emplace_back(traffic::outcome_name(static_cast<traffic::Outcome>(o)));
        }
        return names;
      },
      "The names of the outcome codes of the per-request columns, indexed by code.");
}

}  // namespace kubemind::python
