// SPDX-License-Identifier: MIT
#include "sim/scenario/json_reader.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>

namespace kubemind::scenario {
namespace {

constexpr std::size_t kDescribeLimit = 40;                    // characters of a value shown after "got"
constexpr std::size_t kMaxDepth = 1000;                       // a scenario nests about 5 levels
constexpr std::size_t kMaxFileBytes = std::size_t{64} << 20;  // a scenario is a few KiB; refuse runaways

std::string escape_token(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (const char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

/// Optimal string alignment distance: Levenshtein plus transposition of adjacent characters. Keeps
/// three rows of the dynamic-programming table.
std::size_t typo_distance(std::string_view a, std::string_view b) {
  const std::size_t m = b.size();
  std::vector<std::size_t> before(m + 1), previous(m + 1), current(m + 1);
  for (std::size_t j = 0; j <= m; ++j) previous[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        current[j] = std::min(current[j], before[j - 2] + 1);
      }
    }
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return previous[m];
}

/// Cuts `text` to at most `limit` bytes without splitting a UTF-8 sequence.
std::string truncate_utf8(std::string text, std::size_t limit) {
  if (text.size() <= limit) return text;
  std::size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0U) == 0x80U) --cut;
  text.resize(cut);
  return text + "...";
}

/// Where a parse error happened, as nlohmann counts: `position` characters read, the last one at
/// position - 1 (position may be one past the end when the input ended early).
std::string line_and_column(std::string_view text, std::size_t position) {
  const std::size_t read = std::min(position, text.size());
  std::size_t line = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < read; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  const std::size_t column = position > line_start ? position - line_start : 1;
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

/// nlohmann's message without its "[json.exception...] parse error at ...: syntax error while parsing
/// value - " preamble or the "; expected ..." / "; last read: ..." tail (that tail may quote raw bytes).
std::string parse_error_detail(const std::string& what) {
  std::string detail = what;
  if (const auto dash = detail.find(" - "); dash != std::string::npos) {
    detail.erase(0, dash + 3);
  } else if (const auto bracket = detail.find("] "); bracket != std::string::npos) {
    detail.erase(0, bracket + 2);
  }
  if (const auto semicolon = detail.find("; "); semicolon != std::string::npos) detail.resize(semicolon);
  return detail;
}

/// Builds the document from nlohmann's SAX events, as its own DOM parser does, and also sees what
/// the DOM parser hides: a key already present in the object being read.
class DomBuilder final : public Json::json_sax_t {
 public:
  DomBuilder(std::string_view pointer_prefix, std::vector<Issue>& issues)
      : pointer_prefix_(pointer_prefix), issues_(issues) {}

  bool null() override { return add(Json(nullptr)) != nullptr; }
  bool boolean(bool value) override { return add(Json(value)) != nullptr; }
  bool number_integer(number_integer_t value) override { return add(Json(value)) != nullptr; }
  bool number_unsigned(number_unsigned_t value) override { return add(Json(value)) != nullptr; }
  bool number_float(number_float_t value, const string_t& /*text*/) override { return add(Json(value)) != nullptr; }
  bool string(string_t& value) override { return add(Json(std::move(value))) != nullptr; }
  bool binary(binary_t& value) override { return add(Json::binary(std::move(value))) != nullptr; }

  bool start_object(std::size_t /*elements*/) override { return open(Json::object()); }
  bool start_array(std::size_t /*elements*/) override { return open(Json::array()); }
  bool end_object() override { return close(); }
  bool end_array() override { return close(); }

  bool key(string_t& key) override {
    Frame& frame = frames_.back();
    if (frame.container->contains(key)) {
      issues_.push_back({pointer_prefix_ + child_pointer(open_pointer(), key), "each field once", "a duplicate"});
    }
    frame.key = key;
    slot_ = &(*frame.container)[key];  // a repeated key overwrites, like nlohmann: the last one counts
    return true;
  }

  bool parse_error(std::size_t position, const std::string& last_token, const Json::exception& error) override {
    failed_ = true;
    position_ = position;
    // 406 is nlohmann's "number overflow" (e.g. 1e400), reported as out_of_range without a position.
    if (error.id == 406) {
      // The position is the number's last character; point at its first, as for other errors.
      if (!last_token.empty() && last_token.size() <= position) position_ = position - last_token.size() + 1;
      kind_ = "number overflow";
      detail_ = last_token + " does not fit a double";
    } else {
      kind_ = "syntax error";
      detail_ = parse_error_detail(error.what());
    }
    return false;
  }

  bool failed() const { return failed_; }
  bool too_deep() const { return too_deep_; }
  std::size_t position() const { return position_; }
  const std::string& kind() const { return kind_; }
  const std::string& detail() const { return detail_; }
  Json take() { return std::move(root_); }

 private:
  struct Frame {
    Json* container;
    std::string key;  // last key read, objects only
  };

  /// Places a value where the parser is: the document, the next array element or the last key's slot.
  Json* add(Json value) {
    if (frames_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    Json& container = *frames_.back().container;
    if (container.is_array()) {
      container.push_back(std::move(value));
      return &container.back();
    }
    *slot_ = std::move(value);
    return slot_;
  }

  bool open(Json empty) {
    if (frames_.size() >= kMaxDepth) {
      too_deep_ = true;
      return false;
    }
    Json* container = add(std::move(empty));
    frames_.push_back({container, {}});
    return true;
  }

  bool close() {
    frames_.pop_back();
    return true;
  }

  /// Pointer of the innermost open container, relative to the document. Built only when needed
  /// (keeping one per level would cost memory quadratic in the depth).
  std::string open_pointer() const {
    std::string pointer;
    for (std::size_t i = 0; i + 1 < frames_.size(); ++i) {
      const Json& container = *frames_[i].container;
      pointer =
          container.is_array() ? child_pointer(pointer, container.size() - 1) : child_pointer(pointer, frames_[i].key);
    }
    return pointer;
  }

  std::string pointer_prefix_;
  std::vector<Issue>& issues_;
  Json root_;
  std::vector<Frame> frames_;
  Json* slot_ = nullptr;
  bool failed_ = false;
  bool too_deep_ = false;
  std::size_t position_ = 0;
  std::string kind_;
  std::string detail_;
};

}  // namespace

std::string child_pointer(std::string_view parent, std::string_view token) {
  std::string out(parent);
  out += '/';
  out += escape_token(token);
  return out;
}

std::string child_pointer(std::string_view parent, std::size_t index) {
  return child_pointer(parent, std::to_string(index));
}

std::string describe(const Json& value) {
  if (value.is_object()) return "object";
  if (value.is_array()) return "array";
  return truncate_utf8(value.dump(-1, ' ', false, Json::error_handler_t::replace), kDescribeLimit);
}

std::string describe_string(std::string_view text) { return describe(Json(std::string(text))); }

std::string quote(std::string_view text) {
  return Json(std::string(text)).dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string quoted_list(const std::vector<std::string>& names) {
  std::string out = "[";
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ',';
    out += quote(names[i]);
  }
  return out + "]";
}

std::string did_you_mean(std::string_view name, const std::vector<std::string>& candidates) {
  const std::string* best = nullptr;
  std::size_t best_distance = 0;
  for (const auto& candidate : candidates) {
    const std::size_t distance = typo_distance(name, candidate);
    const std::size_t limit =
        std::max<std::size_t>(1, std::min<std::size_t>(2, std::max(name.size(), candidate.size()) / 3));
    if (distance == 0 || distance > limit) continue;
    if (best == nullptr || distance < best_distance) {  // ties: the first in schema order
      best = &candidate;
      best_distance = distance;
    }
  }
  return best == nullptr ? std::string{} : " (did you mean " + quote(*best) + "?)";
}

std::string format_number(double value) {
  std::array<char, 32> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  return {buffer.data(), result.ptr};
}

std::optional<std::string> read_text_file(const std::string& path, std::vector<Issue>& issues) {
  errno = 0;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) {
    issues.push_back({"/", "a readable file", errno != 0 ? std::strerror(errno) : "a file that cannot be opened"});
    return std::nullopt;
  }
  std::string text;
  std::array<char, 65536> buffer{};
  while (true) {
    const std::size_t n = std::fread(buffer.data(), 1, buffer.size(), file.get());
    text.append(buffer.data(), n);
    if (text.size() > kMaxFileBytes) {
      issues.push_back({"/", "a readable file of at most 64 MiB", "a larger file"});
      return std::nullopt;
    }
    if (n < buffer.size()) break;
  }
  if (std::ferror(file.get()) != 0) {
    issues.push_back({"/", "a readable file", errno != 0 ? std::strerror(errno) : "a read error"});
    return std::nullopt;
  }
  return text;
}

std::optional<Json> parse_json(std::string_view text, std::vector<Issue>& issues, std::string_view pointer_prefix) {
  if (text.empty()) {
    issues.push_back({"/", "a JSON document", "an empty file"});
    return std::nullopt;
  }
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    issues.push_back({"/", "a JSON document", "only whitespace"});
    return std::nullopt;
  }
  std::vector<Issue> duplicates;
  DomBuilder builder(pointer_prefix, duplicates);
  try {
    Json::sax_parse(text.begin(), text.end(), &builder);
  } catch (const std::exception& error) {  // sax_parse reports through parse_error; this is a backstop
    issues.push_back({"/", "a JSON document", std::string("unreadable input: ") + error.what()});
    return std::nullopt;
  }
  if (builder.too_deep()) {
    issues.push_back(
        {"/", "a JSON document nested at most " + std::to_string(kMaxDepth) + " levels deep", "deeper nesting"});
    return std::nullopt;
  }
  if (builder.failed()) {
    issues.push_back({"/", "a JSON document",
                      builder.kind() + " at " + line_and_column(text, builder.position()) + ": " + builder.detail()});
    return std::nullopt;
  }
  issues.insert(issues.end(), duplicates.begin(), duplicates.end());
  return builder.take();
}

bool NumberRange::contains(double value) const {
  if (min_inclusive ? value < min : value <= min) return false;
  if (max_inclusive ? value > max : value >= max) return false;
  return true;
}

std::string NumberRange::describe() const {
  const bool has_min = std::isfinite(min);
  const bool has_max = std::isfinite(max);
  if (has_min && has_max) {
    return std::string("number in ") + (min_inclusive ? "[" : "(") + format_number(min) + ", " + format_number(max) +
           (max_inclusive ? "]" : ")");
  }
  if (has_min) return std::string("number ") + (min_inclusive ? ">= " : "> ") + format_number(min);
  if (has_max) return std::string("number ") + (max_inclusive ? "<= " : "< ") + format_number(max);
  return "number";
}

ObjectReader::ObjectReader(const Json& value, std::string pointer, std::vector<Issue>& issues)
    : pointer_(std::move(pointer)), issues_(issues) {
  if (value.is_object()) {
    object_ = &value;
  } else {
    issues_.push_back({pointer_.empty() ? "/" : pointer_, "object", describe(value)});
  }
}

const Json* ObjectReader::find(std::string_view key) {
  if (std::find(known_.begin(), known_.end(), key) == known_.end()) known_.emplace_back(key);
  if (object_ == nullptr) return nullptr;
  const auto it = object_->find(key);
  return it == object_->end() ? nullptr : &*it;
}

void ObjectReader::issue(std::string_view key, std::string expected, std::string got) {
  issues_.push_back({pointer(key), std::move(expected), std::move(got)});
}

const Json* ObjectReader::require(std::string_view key, Presence presence, const std::string& expected) {
  const Json* value = find(key);
  if (value == nullptr && presence == Presence::kRequired && object_ != nullptr) issue(key, expected, "nothing");
  return value;
}

std::optional<std::string> ObjectReader::string(std::string_view key, Presence presence) {
  const Json* value = require(key, presence, "string");
  if (value == nullptr) return std::nullopt;
  if (!value->is_string()) {
    issue(key, "string", describe(*value));
    return std::nullopt;
  }
  return value->get<std::string>();
}

std::optional<std::string> ObjectReader::string(std::string_view key, Presence presence, std::string_view expected,
                                                bool (*valid)(std::string_view)) {
  const std::string expected_text(expected);
  const Json* value = require(key, presence, expected_text);
  if (value == nullptr) return std::nullopt;
  if (!value->is_string() || !valid(value->get_ref<const std::string&>())) {
    issue(key, expected_text, describe(*value));
    return std::nullopt;
  }
  return value->get<std::string>();
}

std::optional<double> ObjectReader::number(std::string_view key, NumberRange range, Presence presence) {
  const std::string expected = range.describe();
  const Json* value = require(key, presence, expected);
  if (value == nullptr) return std::nullopt;
  if (!value->is_number() || !std::isfinite(value->get<double>()) || !range.contains(value->get<double>())) {
    issue(key, expected, describe(*value));
    return std::nullopt;
  }
  return value->get<double>();
}

std::optional<int64_t> ObjectReader::integer(std::string_view key, int64_t min, int64_t max, Presence presence) {
  const std::string expected = "integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]";
  const Json* value = require(key, presence, expected);
  if (value == nullptr) return std::nullopt;
  bool in_range = false;
  int64_t result = 0;
  if (value->is_number_unsigned()) {
    const auto u = value->get<uint64_t>();
    in_range = u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    result = in_range ? static_cast<int64_t>(u) : 0;
  } else if (value->is_number_integer()) {
    result = value->get<int64_t>();
    in_range = true;
  }
  if (!in_range || result < min || result > max) {
    issue(key, expected, describe(*value));
    return std::nullopt;
  }
  return result;
}

std::optional<uint64_t> ObjectReader::unsigned_integer(std::string_view key, Presence presence) {
  const std::string expected = "integer in [0, " + std::to_string(std::numeric_limits<uint64_t>::max()) + "]";
  const Json* value = require(key, presence, expected);
  if (value == nullptr) return std::nullopt;
  if (value->is_number_unsigned()) return value->get<uint64_t>();
  if (value->is_number_integer() && value->get<int64_t>() >= 0) return static_cast<uint64_t>(value->get<int64_t>());
  issue(key, expected, describe(*value));
  return std::nullopt;
}

std::optional<std::string> ObjectReader::choice_key(std::string_view key, const std::vector<std::string>& names,
                                                    Presence presence) {
  const std::string expected = "one of " + quoted_list(names);
  const Json* value = require(key, presence, expected);
  if (value == nullptr) return std::nullopt;
  if (value->is_string()) {
    const auto& text = value->get_ref<const std::string&>();
    if (std::find(names.begin(), names.end(), text) != names.end()) return text;
    issue(key, expected + did_you_mean(text, names), describe(*value));
    return std::nullopt;
  }
  issue(key, expected, describe(*value));
  return std::nullopt;
}

std::optional<ObjectReader> ObjectReader::object(std::string_view key, Presence presence) {
  const Json* value = require(key, presence, "object");
  if (value == nullptr) return std::nullopt;
  if (!value->is_object()) {
    issue(key, "object", describe(*value));
    return std::nullopt;
  }
  return ObjectReader(*value, pointer(key), issues_);
}

const Json* ObjectReader::array(std::string_view key, Presence presence, std::size_t min_size) {
  const std::string expected = min_size == 0   ? "array"
                               : min_size == 1 ? "non-empty array"
                                               : "array of at least " + std::to_string(min_size);
  const Json* value = require(key, presence, expected);
  if (value == nullptr) return nullptr;
  if (!value->is_array()) {
    issue(key, expected, describe(*value));
    return nullptr;
  }
  if (value->size() < min_size) {
    issue(key, expected, value->empty() ? "[]" : "an array of " + std::to_string(value->size()));
    return nullptr;
  }
  return value;
}

void ObjectReader::forbid(std::string_view key, std::string expected) {
  if (const Json* value = find(key); value != nullptr) issue(key, std::move(expected), describe(*value));
}

void ObjectReader::finish() {
  if (object_ == nullptr) return;
  const std::string fields = "one of the fields " + quoted_list(known_);
  for (const auto& [key, value] : object_->items()) {
    if (std::find(known_.begin(), known_.end(), key) != known_.end()) continue;
    issue(key, fields + did_you_mean(key, known_), "unknown field");
  }
}

}  // namespace kubemind::scenario
