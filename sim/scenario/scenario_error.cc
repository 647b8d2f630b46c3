// SPDX-License-Identifier: MIT
#include "sim/scenario/scenario_error.h"

#include <algorithm>
#include <cstddef>
#include <string_view>
#include <utility>

namespace kubemind::scenario {
namespace {

bool is_index(std::string_view token) {
  return !token.empty() && std::all_of(token.begin(), token.end(), [](char c) { return c >= '0' && c <= '9'; });
}

/// Removes and returns the first reference token of `rest` ("/a/b" -> "a", leaving "/b").
std::string_view next_token(std::string_view& rest) {
  rest.remove_prefix(1);
  const std::size_t slash = rest.find('/');
  const std::string_view token = rest.substr(0, slash);
  rest.remove_prefix(slash == std::string_view::npos ? rest.size() : slash);
  return token;
}

/// Orders pointers token by token, array indices numerically, so /pods/2 comes before /pods/10 and a
/// parent before its children. "/" (the document) comes first.
bool pointer_less(std::string_view a, std::string_view b) {
  if (a == "/") a = {};
  if (b == "/") b = {};
  while (!a.empty() && !b.empty()) {
    const std::string_view ta = next_token(a);
    const std::string_view tb = next_token(b);
    if (ta == tb) continue;
    if (is_index(ta) && is_index(tb) && ta.size() != tb.size()) return ta.size() < tb.size();
    return ta < tb;
  }
  return a.empty() && !b.empty();
}

/// Sorts (stable, by pointer) and drops repeated issues in place, then renders one line per issue.
std::string normalize_and_render(const std::string& source, std::vector<Issue>& issues) {
  std::stable_sort(issues.begin(), issues.end(),
                   [](const Issue& a, const Issue& b) { return pointer_less(a.pointer, b.pointer); });
  // Equal issues share a pointer, so after sorting they sit in the same run of equal pointers.
  std::vector<Issue> unique;
  unique.reserve(issues.size());
  std::size_t run_start = 0;
  for (auto& issue : issues) {
    if (!unique.empty() && unique.back().pointer != issue.pointer) run_start = unique.size();
    if (std::find(unique.begin() + static_cast<std::ptrdiff_t>(run_start), unique.end(), issue) == unique.end()) {
      unique.push_back(std::move(issue));
    }
  }
  issues = std::move(unique);

  std::string message;
  for (const auto& issue : issues) {
    if (!message.empty()) message += '\n';
    message += source + ": " + (issue.pointer.empty() ? "/" : issue.pointer) + ": expected " + issue.expected +
               ", got " + issue.got;
  }
  return message;
}

}  // namespace

// The base is initialised first, so it normalises `issues` (the by-value parameter) before the
// members take it over.
ScenarioError::ScenarioError(std::string source, std::vector<Issue> issues)
    : std::runtime_error(normalize_and_render(source, issues)),
      source_(std::move(source)),
      issues_(std::move(issues)) {}

}  // namespace kubemind::scenario
