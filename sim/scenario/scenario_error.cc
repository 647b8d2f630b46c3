// SPDX-License-Identifier: MIT
#include "sim/scenario/scenario_error.h"

#include <algorithm>
#include <cstddef>
#include <string_view>
#include <utility>

namespace kubemind::scenario {
namespace {

std::vector<std::string_view> tokens_of(std::string_view pointer) {
  std::vector<std::string_view> tokens;
  if (pointer.empty() || pointer == "/") return tokens;  // the document itself sorts first
  std::size_t start = 1;
  while (true) {
    const std::size_t slash = pointer.find('/', start);
    tokens.push_back(pointer.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return tokens;
}

bool is_index(std::string_view token) {
  return !token.empty() && std::all_of(token.begin(), token.end(), [](char c) { return c >= '0' && c <= '9'; });
}

/// Orders pointers token by token, array indices numerically, so /pods/2 comes before /pods/10 and a
/// parent before its children.
bool pointer_less(std::string_view a, std::string_view b) {
  const auto ta = tokens_of(a);
  const auto tb = tokens_of(b);
  for (std::size_t i = 0; i < ta.size() && i < tb.size(); ++i) {
    if (ta[i] == tb[i]) continue;
    if (is_index(ta[i]) && is_index(tb[i]) && ta[i].size() != tb[i].size()) return ta[i].size() < tb[i].size();
    return ta[i] < tb[i];
  }
  return ta.size() < tb.size();
}

/// Sorts (stable, by pointer) and drops repeated issues in place, then renders one line per issue.
std::string normalize_and_render(const std::string& source, std::vector<Issue>& issues) {
  std::stable_sort(issues.begin(), issues.end(),
                   [](const Issue& a, const Issue& b) { return pointer_less(a.pointer, b.pointer); });
  std::vector<Issue> unique;
  unique.reserve(issues.size());
  for (auto& issue : issues) {
    if (std::find(unique.begin(), unique.end(), issue) == unique.end()) unique.push_back(std::move(issue));
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
    : std::runtime_error(normalize_and_render(source, issues)), source_(std::move(source)), issues_(std::move(issues)) {}

}  // namespace kubemind::scenario
