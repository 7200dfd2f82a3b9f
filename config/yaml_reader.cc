#include "config/yaml_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <set>

namespace meshgate::config::yaml {
namespace {

// Nodes built by the parser carry a mark; fall back to the parent's line.
int line_of(const YAML::Node& node, int fallback) {
  if (!node.IsDefined()) return fallback;
  const YAML::Mark mark = node.Mark();
  return mark.is_null() ? fallback : mark.line + 1;
}

// More digits than any bound we check cannot be in range.
constexpr size_t kMaxDigits = 19;
// Keys go into error paths and logs: longer than any valid key is cut short.
constexpr size_t kMaxKeyShown = 320;

// A key as shown in a path: bounded, one line, printable.
std::string shown_key(std::string_view key) {
  std::string shown(key.substr(0, kMaxKeyShown));
  for (char& c : shown) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  if (key.size() > kMaxKeyShown) shown += "...";
  return shown;
}

}  // namespace

Value child(const Value& parent, std::string_view key, const YAML::Node& node) {
  std::string path =
      parent.path.empty() ? shown_key(key) : fmt::format("{}.{}", parent.path, shown_key(key));
  return Value{node, std::move(path), line_of(node, parent.line)};
}

Value item(const Value& parent, size_t index, const YAML::Node& node) {
  return Value{node, fmt::format("{}[{}]", parent.path, index), line_of(node, parent.line)};
}

std::optional<Value> Fields::get(std::string_view key) const {
  for (const auto& [name, value] : entries_) {
    if (name == key) {
      if (value.node.IsNull()) return std::nullopt;
      return value;
    }
  }
  return std::nullopt;
}

void Reader::fail(const Value& at, std::string_view message) {
  const std::string_view path = at.path.empty() ? std::string_view("document") : at.path;
  if (errors_.size() >= max_errors_) {
    throw StopParsing{
        fmt::format("line {}: {}: more than {} errors, stopped", at.line, path, max_errors_)};
  }
  errors_.emplace_back(at.line, fmt::format("line {}: {}: {}", at.line, path, message));
}

std::vector<std::string> Reader::take_errors() {
  std::stable_sort(errors_.begin(), errors_.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> errors;
  errors.reserve(errors_.size());
  for (auto& [line, error] : errors_)
    errors.push_back(std::move(error));
  errors_.clear();
  return errors;
}

void Reader::count(const Value& value) {
  if (++values_ > max_values_) {
    throw StopParsing{fmt::format("line {}: {}: the file holds more than {} values", value.line,
                                  value.path.empty() ? "document" : value.path, max_values_)};
  }
}

std::optional<Fields> Reader::mapping(const Value& value, std::span<const std::string_view> keys) {
  if (!value.node.IsMap()) {
    fail(value, "expected a mapping");
    return std::nullopt;
  }
  Fields fields(value);
  // Every key past `keys` is an error, so the error bound bounds this too.
  for (const auto& [key, entry] : entries(value, keys.size() + max_errors_)) {
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      fail(entry, "unknown key");
    } else {
      fields.add(key, entry);
    }
  }
  return fields;
}

std::optional<Value> Reader::required(const Fields& fields, std::string_view key) {
  std::optional<Value> value = fields.get(key);
  if (!value) fail(child(fields.self(), key, YAML::Node()), "required");
  return value;
}

std::vector<std::pair<std::string, Value>> Reader::entries(const Value& value, size_t max) {
  std::vector<std::pair<std::string, Value>> result;
  if (value.node.IsNull()) return result;
  if (!value.node.IsMap()) {
    fail(value, "expected a mapping");
    return result;
  }
  if (value.node.size() > max) {
    fail(value, fmt::format("more than {} entries", max));
    return result;
  }
  std::set<std::string_view> seen;  // views into the node tree, which outlives this call
  for (auto it = value.node.begin(); it != value.node.end(); ++it) {
    count(value);
    if (!it->first.IsScalar()) {
      fail(Value{it->first, value.path, line_of(it->first, value.line)}, "keys must be strings");
      continue;
    }
    const std::string& key = it->first.Scalar();
    Value entry = child(value, key, it->second);
    entry.line = line_of(it->first, value.line);  // the key's line reads best
    if (!seen.insert(key).second) {
      fail(entry, "duplicate key");
    } else {
      result.emplace_back(key, std::move(entry));
    }
  }
  return result;
}

std::vector<Value> Reader::sequence(const Value& value, size_t max) {
  std::vector<Value> items;
  if (value.node.IsNull()) return items;
  if (!value.node.IsSequence()) {
    fail(value, "expected a list");
    return items;
  }
  if (value.node.size() > max) {
    fail(value, fmt::format("more than {} items", max));
    return items;
  }
  size_t index = 0;
  for (const YAML::Node& node : value.node) {
    count(value);
    items.push_back(item(value, index++, node));
  }
  return items;
}

std::optional<std::string> Reader::string(const Value& value) {
  count(value);
  if (!value.node.IsScalar()) {
    fail(value, "expected a string");
    return std::nullopt;
  }
  return value.node.Scalar();
}

std::optional<uint64_t> Reader::number(const Value& value, uint64_t min, uint64_t max) {
  count(value);
  const std::string text = value.node.IsScalar() ? value.node.Scalar() : std::string();
  uint64_t number = 0;
  const bool digits =
      !text.empty() && text.size() <= kMaxDigits &&
      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits ||
      std::from_chars(text.data(), text.data() + text.size(), number).ec != std::errc()) {
    fail(value, fmt::format("expected a number from {} to {}", min, max));
    return std::nullopt;
  }
  if (number < min || number > max) {
    fail(value, fmt::format("{} is out of range {}..{}", number, min, max));
    return std::nullopt;
  }
  return number;
}

std::optional<bool> Reader::boolean(const Value& value) {
  count(value);
  if (value.node.IsScalar() && value.node.Scalar() == "true") return true;
  if (value.node.IsScalar() && value.node.Scalar() == "false") return false;
  fail(value, "expected true or false");
  return std::nullopt;
}

}  // namespace meshgate::config::yaml
