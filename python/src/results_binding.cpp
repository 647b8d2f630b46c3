// SPDX-License-Identifier: MIT
// Results of finished runs: `kubemind compare` (sim/report/compare.h) and `kubemind explain`
// (sim/report/findings.h) over report JSON texts. Their errors (a text that is not a report) become
// ValueError.

#include <pybind11/stl.h>

#include "python/src/bindings.h"
#include "sim/report/compare.h"
#include "sim/report/findings.h"

namespace py = pybind11;

namespace kubemind::python {

void bind_results(py::module_& m) {
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const report::CompareError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const report::ExplainError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    }
  });

  m.def(
      "compare",
      [](const std::vector<std::pair<std::string, std::string>>& reports, bool as_json) {
        std::vector<report::ReportInput> inputs;
        for (const auto& [source, text] : reports) inputs.push_back({source, text});
        const report::Comparison comparison = report::compare_reports(inputs);
        return as_json ? report::comparison_to_json(comparison) : report::comparison_to_text(comparison);
      },
      py::arg("reports"), py::arg("as_json"),
      "kubemind compare over (source, report JSON text) pairs: the table as text, or its JSON.");

  m.def(
      "explain",
      [](const std::string& text, const std::string& source, bool as_json) {
        return report::explain_report(text, source, as_json);
      },
      py::arg("text"), py::arg("source"), py::arg("as_json"),
      "kubemind explain over a report JSON text: its findings as \"- [severity] text\" lines, or JSON.");
}

}  // namespace kubemind::python
