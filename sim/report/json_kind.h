// SPDX-License-Identifier: MIT
#pragma once
// Private to sim/report (compare.cc, findings.cc, which read report JSON with nlohmann): how a JSON
// value that is not what was expected is named after "got" in an error line.

#include <string>

namespace kubemind::report {

/// "an object", "an array", "a string", "a boolean", "null" or "a number".
template <typename Json>
std::string json_kind(const Json& v) {
  if (v.is_object()) return "an object";
  if (v.is_array()) return "an array";
  if (v.is_string()) return "a string";
  if (v.is_boolean()) return "a boolean";
  if (v.is_null()) return "null";
  return "a number";
}

}  // namespace kubemind::report
