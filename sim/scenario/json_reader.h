// SPDX-License-Identifier: MIT
#pragma once
// Private to sim/scenario (it includes nlohmann/json, which stays out of public headers).
// parse_json: text -> JSON, turning what nlohmann reports or lets through (syntax errors, numbers
// that overflow a double, repeated keys, which nlohmann silently resolves to the last) into Issues.
// ObjectReader: reads one JSON object field by field into config structs, collecting an Issue for
// every problem and remembering which fields it was asked about, so that finish() can report the
// rest as unknown. Adding a field to the schema is one getter call.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/scenario/scenario_error.h"

namespace kubemind::scenario {

using Json = nlohmann::json;

enum class Presence : uint8_t { kOptional, kRequired };

/// RFC 6901: parent + "/" + token, with '~' written "~0" and '/' written "~1". The document's own
/// pointer is "" here (Issue shows it as "/").
std::string child_pointer(std::string_view parent, std::string_view token);
std::string child_pointer(std::string_view parent, std::size_t index);

/// How a value found in the input is shown after "got": compact JSON cut to 40 characters (strings
/// quoted), or just "object" / "array".
std::string describe(const Json& value);
/// describe() of a string value: quoted, cut to 40 characters.
std::string describe_string(std::string_view text);
/// `text` as a JSON string literal.
std::string quote(std::string_view text);
/// ["a","b"]
std::string quoted_list(const std::vector<std::string>& names);
/// " (did you mean "x"?)" when one candidate is within a typo's distance of `name` (optimal string
/// alignment distance <= 2, and <= a third of the longer name, at least 1); "" otherwise.
std::string did_you_mean(std::string_view name, const std::vector<std::string>& candidates);
/// The shortest text that reads back as the same double ("0.001", "1e+07").
std::string format_number(double value);

/// Reads a whole file; on failure adds an issue at "/" (expected "a readable file") and returns nullopt.
std::optional<std::string> read_text_file(const std::string& path, std::vector<Issue>& issues);

/// Parses one JSON document. A document that does not parse gives one issue at "/" with the line and
/// column; a key repeated in one object gives an issue at that key's pointer, prefixed with
/// `pointer_prefix` (where the document will be placed). Returns nullopt if there is no document.
std::optional<Json> parse_json(std::string_view text, std::vector<Issue>& issues, std::string_view pointer_prefix = "");

/// An interval of accepted numbers, rendered as "number > 0", "number >= 0.001", "number in (0, 10]".
struct NumberRange {
  double min = -std::numeric_limits<double>::infinity();
  bool min_inclusive = true;
  double max = std::numeric_limits<double>::infinity();
  bool max_inclusive = true;

  bool contains(double value) const;
  std::string describe() const;
};
inline NumberRange greater_than(double min) { return {min, false}; }
inline NumberRange at_least(double min) { return {min, true}; }
/// (min, max]
inline NumberRange greater_than_up_to(double min, double max) { return {min, false, max, true}; }

class ObjectReader {
 public:
  /// Reads `value`, found at `pointer` ("" for the document). If it is not an object, that is one
  /// issue and every getter finds nothing.
  ObjectReader(const Json& value, std::string pointer, std::vector<Issue>& issues);

  const std::string& pointer() const { return pointer_; }
  std::string pointer(std::string_view key) const { return child_pointer(pointer_, key); }
  bool is_object() const { return object_ != nullptr; }
  std::vector<Issue>& issues() { return issues_; }

  /// The raw value of a field, or nullptr; marks the field as known.
  const Json* find(std::string_view key);
  /// Adds an issue at this object's field `key`.
  void issue(std::string_view key, std::string expected, std::string got);

  // Typed getters: nullopt when the field is absent (an issue if required) or invalid (an issue).
  std::optional<std::string> string(std::string_view key, Presence presence);
  /// A string for which `valid` holds; `expected` describes such strings.
  std::optional<std::string> string(std::string_view key, Presence presence, std::string_view expected,
                                    bool (*valid)(std::string_view));
  /// A finite number in `range`; JSON integers are accepted as numbers.
  std::optional<double> number(std::string_view key, NumberRange range, Presence presence);
  /// A JSON integer (not 4.0) in [min, max].
  std::optional<int64_t> integer(std::string_view key, int64_t min, int64_t max, Presence presence);
  /// A JSON integer in [0, 2^64 - 1].
  std::optional<uint64_t> unsigned_integer(std::string_view key, Presence presence);
  /// One of the strings in `choices`, mapped to its value.
  template <typename T>
  std::optional<T> choice(std::string_view key, const std::vector<std::pair<std::string, T>>& choices,
                          Presence presence);
  /// A nested object, to be read with its own ObjectReader (whose finish() the caller calls).
  std::optional<ObjectReader> object(std::string_view key, Presence presence);
  /// An array with at least `min_size` elements.
  const Json* array(std::string_view key, Presence presence, std::size_t min_size = 0);
  /// The field must be absent; `expected` says why (e.g. "no mean_ms when /model is set").
  void forbid(std::string_view key, std::string expected);

  /// Reports every field that no getter asked about, suggesting the nearest known one.
  void finish();

 private:
  const Json* require(std::string_view key, Presence presence, const std::string& expected);
  std::optional<std::string> choice_key(std::string_view key, const std::vector<std::string>& names, Presence presence);

  const Json* object_ = nullptr;
  std::string pointer_;
  std::vector<Issue>& issues_;
  std::vector<std::string> known_;  // fields asked about, in schema order
};

template <typename T>
std::optional<T> ObjectReader::choice(std::string_view key, const std::vector<std::pair<std::string, T>>& choices,
                                      Presence presence) {
  std::vector<std::string> names;
  names.reserve(choices.size());
  for (const auto& entry : choices) names.push_back(entry.first);
  const auto name = choice_key(key, names, presence);
  if (!name) return std::nullopt;
  for (const auto& entry : choices) {
    if (entry.first == *name) return entry.second;
  }
  return std::nullopt;
}

}  // namespace kubemind::scenario
