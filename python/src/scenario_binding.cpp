// SPDX-License-Identifier: MIT
// Scenario loading and its errors. A C++ scenario::ScenarioError becomes kubemind.ScenarioError, a
// subclass of ValueError whose .issues is the list of (json_pointer, expected, got) and .source the
// input's name; str(e) is the CLI's message (one "<source>: <pointer>: expected ..., got ..." line
// per issue).

#include <pybind11/stl.h>

#include "python/src/bindings.h"
#include "sim/scenario/scenario_error.h"

namespace py = pybind11;

namespace kubemind::python {

scenario::LoadOptions make_load_options(const std::vector<std::pair<std::string, std::string>>& overrides,
                                        std::optional<uint64_t> seed, const std::string& models_dir) {
  scenario::LoadOptions options;
  for (const auto& [pointer, value_text] : overrides) options.overrides.push_back({pointer, value_text});
  options.seed = seed;
  options.models_dir = models_dir;
  return options;
}

scenario::ScenarioConfig load_source(const ScenarioSource& source, const scenario::LoadOptions& options) {
  if (source.path) return scenario::load_scenario_file(*source.path, options);
  return scenario::load_scenario_text(source.text, source.source, options, source.base_dir);
}

namespace {

ScenarioSource make_source(std::optional<std::string> path, std::string text, std::string source,
                           std::string base_dir) {
  return ScenarioSource{std::move(path), std::move(text), std::move(source), std::move(base_dir)};
}

}  // namespace

void bind_scenario(py::module_& m) {
  // The exception object outlives the module's init (pybind11's documented idiom for translators).
  static py::exception<scenario::ScenarioError> error(m, "ScenarioError", PyExc_ValueError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const scenario::ScenarioError& e) {
      py::list issues;
      for (const scenario::Issue& issue : e.issues()) issues.append(py::make_tuple(issue.pointer, issue.expected, issue.got));
      py::object instance = py::handle(error.ptr())(py::str(e.what()));
      instance.attr("issues") = issues;
      instance.attr("source") = py::str(e.source());
      PyErr_SetObject(error.ptr(), instance.ptr());
    }
  });

  m.def(
      "check",
      [](std::optional<std::string> path, std::string text, std::string source, std::string base_dir,
         const std::vector<std::pair<std::string, std::string>>& overrides, std::optional<uint64_t> seed,
         const std::string& models_dir) {
        const ScenarioSource from = make_source(std::move(path), std::move(text), std::move(source), std::move(base_dir));
        const scenario::LoadOptions options = make_load_options(overrides, seed, models_dir);
        scenario::ScenarioConfig config;
        {
          py::gil_scoped_release release;
          config = load_source(from, options);
        }
        py::dict info;
        info["name"] = config.name;
        info["seed"] = config.seed;
        info["duration_s"] = config.duration_s;
        info["warmup_s"] = config.warmup_s;
        return info;
      },
      py::arg("path"), py::arg("text"), py::arg("source"), py::arg("base_dir"), py::arg("overrides"),
      py::arg("seed"), py::arg("models_dir"),
      "Loads and validates a scenario (a file when path is not None, else text); returns its name, seed, "
      "duration_s and warmup_s. Raises ScenarioError listing every problem.");

  m.def(
      "parse_override",
      [](const std::string& arg) {
        const scenario::Override o = scenario::parse_override(arg);
        return py::make_tuple(o.pointer, o.value_text);
      },
      py::arg("arg"), "Splits the CLI's \"/json/pointer=value\" into (pointer, value_text).");
}

}  // namespace kubemind::python
