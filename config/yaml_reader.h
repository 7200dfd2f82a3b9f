// The one checked reader of YAML: every YAML file meshgate reads (the
// config, the registry file, a WorkloadGroup and the ProxyConfig inside it)
// is walked with it. Each value knows its key path and line; every failed
// read is one base::Error ("expected a list, found a mapping", "unknown key
// 'prot'; did you mean 'port'?"); the walk is bounded in values read (anchors
// and aliases expanded) and in errors kept. Scalars are typed strictly: only
// an unquoted scalar is a number or a boolean. No YAML type leaves the
// modules that read YAML: their public headers speak plain structs.
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

#include "base/error.h"

namespace meshgate::config::yaml {

// A node with the key path and line it was found at.
struct Value {
  YAML::Node node;
  std::string path;  // "" for the document
  int line = 1;      // 1-based: the line of its key, else of the node itself
};

// The document: path "", the line its content starts on.
Value root(const YAML::Node& node);
// The child of a mapping, or the index-th item of a sequence.
Value child(const Value& parent, std::string_view key, const YAML::Node& node);
Value item(const Value& parent, size_t index, const YAML::Node& node);

// Thrown by Reader when a bound is hit; the walk stops there.
struct StopParsing {
  base::Error error;
};

// The entries of one mapping whose keys were checked, in document order.
class Fields {
 public:
  explicit Fields(Value self) : self_(std::move(self)) {}
  const Value& self() const { return self_; }
  // The value at `key`; nullopt if the key is absent or its value is null.
  std::optional<Value> get(std::string_view key) const;
  const std::vector<std::pair<std::string, Value>>& entries() const { return entries_; }
  void add(std::string key, Value value) {
    entries_.emplace_back(std::move(key), std::move(value));
  }

 private:
  Value self_;
  std::vector<std::pair<std::string, Value>> entries_;
};

struct ReaderLimits {
  size_t max_values = 1'000'000;  // keys and values read, anchors/aliases expanded
  size_t max_errors = 100;        // the walk stops after this many
};

class Reader {
 public:
  explicit Reader(ReaderLimits limits = {}) : limits_(limits) {}

  void fail(const Value& at, std::string message);
  bool failed() const { return !errors_.empty(); }
  size_t error_count() const { return errors_.size(); }
  // The errors so far, in line order (then in the order found).
  base::Errors take_errors();

  // False, with "expected a mapping, found 'x'", when the node is not of `type`.
  bool expect(const Value& value, YAML::NodeType::value type);
  // A mapping with only `keys` (each at most once); nullopt, and an error, if
  // it is not a mapping. An unknown key is an error naming the closest known.
  std::optional<Fields> mapping(const Value& value, std::span<const std::string_view> keys);
  // A mapping whose keys are not checked against a list (Kubernetes metadata,
  // istioctl's lenient ProxyConfig): only that they are strings, each once.
  std::optional<Fields> open_mapping(const Value& value, size_t max_entries);
  // The value at a key that must be present and not null.
  std::optional<Value> required(const Fields& fields, std::string_view key);
  // A mapping's entries with string keys, each once; at most `max`. Null reads as empty.
  std::vector<std::pair<std::string, Value>> entries(const Value& value, size_t max);
  // A sequence's items (null reads as empty); at most `max`.
  std::vector<Value> sequence(const Value& value, size_t max);

  std::optional<std::string> string(const Value& value);
  // A plain decimal integer within [min, max].
  std::optional<uint64_t> number(const Value& value, uint64_t min, uint64_t max);
  // The YAML 1.2 core booleans: true, True, TRUE, false, False, FALSE.
  std::optional<bool> boolean(const Value& value);

 private:
  void count(const Value& value);  // throws StopParsing past max_values

  ReaderLimits limits_;
  size_t values_ = 0;
  base::Errors errors_;
};

}  // namespace meshgate::config::yaml
