// SPDX-License-Identifier: MIT
#pragma once
// The transcribed controller vectors (tests/control/vectors/*.json) and the rule that compares a
// decision with a vector's expectation, shared by the in-process and the CLI eval tests: every field
// of `expect` must be in the output with the same value; numbers may differ by the vector's
// `within`; {"$contains": s}, {"$nonEmpty": true} and {"$not": v} match strings containing s,
// non-empty strings and values other than v.

#include <catch2/catch.hpp>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/cli.h"

namespace kubemind::test {

using nlohmann::json;

/// The "vectors" array of tests/control/vectors/<file>.
inline nlohmann::json load_vectors(const std::string& file) {
  const std::string text = read_file(std::string(KUBEMIND_SOURCE_DIR) + "/tests/control/vectors/" + file);
  REQUIRE(!text.empty());
  return nlohmann::json::parse(text)["vectors"];
}

/// Whether `actual` has every field of `expected` (see the file comment); `path` names the place.
inline bool matches(const json& expected, const json& actual, const json& within, const std::string& path, std::string& why) {
  if (expected.is_object() && expected.size() == 1 && expected.begin().key().starts_with("$")) {
    const std::string op = expected.begin().key();
    const json& arg = expected.begin().value();
    bool ok = false;
    if (op == "$contains") ok = actual.is_string() && actual.get<std::string>().find(arg.get<std::string>()) != std::string::npos;
    if (op == "$nonEmpty") ok = actual.is_string() && !actual.get<std::string>().empty();
    if (op == "$not") ok = actual != arg;
    if (!ok) why = path + ": expected " + expected.dump() + ", got " + actual.dump();
    return ok;
  }
  if (expected.is_object()) {
    for (auto it = expected.begin(); it != expected.end(); ++it) {
      if (!actual.is_object() || !actual.contains(it.key())) {
        why = path + "/" + it.key() + ": missing in " + actual.dump().substr(0, 200);
        return false;
      }
      const json sub_within = path.empty() && within.contains(it.key()) ? within[it.key()] : json();
      if (!matches(it.value(), actual[it.key()], sub_within, path + "/" + it.key(), why)) return false;
    }
    return true;
  }
  if (expected.is_array()) {
    if (!actual.is_array() || actual.size() != expected.size()) {
      why = path + ": expected " + std::to_string(expected.size()) + " elements, got " + actual.dump().substr(0, 200);
      return false;
    }
    for (size_t i = 0; i < expected.size(); ++i) {
      if (!matches(expected[i], actual[i], json(), path + "/" + std::to_string(i), why)) return false;
    }
    return true;
  }
  if (expected.is_number() && actual.is_number()) {
    const double tolerance = within.is_number() ? within.get<double>() : 0.0;
    if (std::fabs(expected.get<double>() - actual.get<double>()) <= tolerance) return true;
  } else if (expected == actual) {
    return true;
  }
  why = path + ": expected " + expected.dump() + ", got " + actual.dump();
  return false;
}

}  // namespace kubemind::test
