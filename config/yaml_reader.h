// Checked reads from a yaml-cpp node tree, for the registry file parser. Every
// failed read records "line N: key.path: message"; the walk is bounded in
// values read (anchors and aliases included) and in errors kept. Private to
// discovery/: yaml-cpp is a private dependency and no YAML type leaves here.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace meshgate::config::yaml {

// A node with the key path and line it was found at.
struct Value {
  YAML::Node node;
  std::string path;
  int line = 1;  // 1-based
};

// The child of a mapping, or the index-th item of a sequence.
Value child(const Value& parent, std::string_view key, const YAML::Node& node);
Value item(const Value& parent, size_t index, const YAML::Node& node);

// Thrown by Reader when a bound is hit; the parse stops there.
struct StopParsing {
  std::string error;  // already formatted, "line N: path: message"
};

// The entries of one mapping whose keys were checked.
class Fields {
 public:
  explicit Fields(Value self) : self_(std::move(self)) {}
  const Value& self() const { return self_; }
  // The value at `key`; nullopt if the key is absent or its value is null.
  std::optional<Value> get(std::string_view key) const;
  void add(std::string key, Value value) {
    entries_.emplace_back(std::move(key), std::move(value));
  }

 private:
  Value self_;
  std::vector<std::pair<std::string, Value>> entries_;
};

class Reader {
 public:
  Reader(size_t max_values, size_t max_errors) : max_values_(max_values), max_errors_(max_errors) {}

  void fail(const Value& at, std::string_view message);
  // The errors so far, in line order (then in the order found).
  std::vector<std::string> take_errors();

  // A mapping with only `keys` (each at most once); nullopt, and errors, if not.
  std::optional<Fields> mapping(const Value& value, std::span<const std::string_view> keys);
  // The value at a key that must be present and not null.
  std::optional<Value> required(const Fields& fields, std::string_view key);
  // A mapping's entries with scalar, unique keys; at most `max` ("max" errors).
  std::vector<std::pair<std::string, Value>> entries(const Value& value, size_t max);
  // A sequence's items (null reads as empty); at most `max`.
  std::vector<Value> sequence(const Value& value, size_t max);

  std::optional<std::string> string(const Value& value);
  // A decimal number within [min, max]; no sign, no other notation.
  std::optional<uint64_t> number(const Value& value, uint64_t min, uint64_t max);
  // "true" or "false" exactly.
  std::optional<bool> boolean(const Value& value);

 private:
  void count(const Value& value);  // throws StopParsing past max_values_

  size_t max_values_;
  size_t max_errors_;
  size_t values_ = 0;
  std::vector<std::pair<int, std::string>> errors_;  // (line, "line N: path: message")
};

}  // namespace meshgate::config::yaml
