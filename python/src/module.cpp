// SPDX-License-Identifier: MIT
// The _kubemind extension module: the private C++ half of the kubemind Python package.

#include <pybind11/pybind11.h>

#include "python/src/bindings.h"

PYBIND11_MODULE(_kubemind, m) {
  m.doc() = "kubemind's simulator (private: use the kubemind package)";
  kubemind::python::bind_scenario(m);
  kubemind::python::bind_run(m);
  kubemind::python::bind_results(m);
}
