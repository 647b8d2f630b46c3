// SPDX-License-Identifier: MIT
#pragma once
// Bad input: one exception that lists every problem found, each as
//   <file>: <json-pointer>: expected <what>, got <what>
// sorted by pointer. The root document's pointer is written "/".

#include <stdexcept>
#include <string>
#include <vector>

namespace kubemind::scenario {

struct Issue {
  std::string pointer;   // RFC 6901 JSON pointer ("/pods/0/server/instances"), "/" for the document
  std::string expected;  // what was expected, e.g. "integer in [1, 4096]"
  std::string got;       // what was found, e.g. "0" or "nothing"

  bool operator==(const Issue&) const = default;
};

class ScenarioError : public std::runtime_error {
 public:
  /// `source` names the input (a file path, or "<string>"); issues are sorted here.
  ScenarioError(std::string source, std::vector<Issue> issues);

  const std::string& source() const { return source_; }
  const std::vector<Issue>& issues() const { return issues_; }

 private:
  std::string source_;
  std::vector<Issue> issues_;
};

}  // namespace kubemind::scenario
