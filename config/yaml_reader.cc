#include "config/yaml_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "config/key_path.h"
#include "config/suggest.h"
#include "config/yaml_scalar.h"

namespace meshgate::config::yaml {
namespace {

// Nodes built by the parser carry a mark; fall back to the parent's line.
int line_of(const YAML::Node& node, int fallback) {
  if (!node.IsDefined()) return fallback;
  const int line = detail::line_of_mark(node.Mark());
  return line > 0 ? line : fallback;
}

}  // namespace

Value root(const YAML::Node& node) {
  return Value{node, "", line_of(node, 1)};
}

Value child(const Value& parent, std::string_view key, const YAML::Node& node) {
  return Value{node, detail::join_key(parent.path, detail::printable(key)),
               line_of(node, parent.line)};
}

Value item(const Value& parent, size_t index, const YAML::Node& node) {
  return Value{node, detail::join_index(parent.path, index), line_of(node, parent.line)};
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

void Reader::fail(const Value& at, std::string message) {
  if (errors_.size() >= limits_.max_errors) {
    throw StopParsing{
        {at.path, at.line, fmt::format("more than {} errors, stopped", limits_.max_errors)}};
  }
  errors_.push_back({at.path, at.line, std::move(message)});
}

base::Errors Reader::take_errors() {
  std::stable_sort(errors_.begin(), errors_.end(),
                   [](const base::Error& a, const base::Error& b) { return a.line < b.line; });
  return std::exchange(errors_, {});
}

void Reader::count(const Value& value) {
  if (++values_ > limits_.max_values) {
    throw StopParsing{{value.path, value.line,
                       fmt::format("the file holds more than {} values", limits_.max_values)}};
  }
}

bool Reader::expect(const Value& value, YAML::NodeType::value type) {
  if (value.node.Type() == type) return true;
  fail(value,
       fmt::format("expected {}, found {}", detail::type_name(type), detail::describe(value.node)));
  return false;
}

std::optional<Fields> Reader::mapping(const Value& value, std::span<const std::string_view> keys) {
  if (!expect(value, YAML::NodeType::Map)) return std::nullopt;
  Fields fields(value);
  // Every key past `keys` is an error, so the error bound bounds this too.
  for (auto& [key, entry] : entries(value, keys.size() + limits_.max_errors)) {
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      fail(entry, detail::unknown_key_message(key, keys));
    } else {
      fields.add(std::move(key), std::move(entry));
    }
  }
  return fields;
}

std::optional<Fields> Reader::open_mapping(const Value& value, size_t max_entries) {
  if (!expect(value, YAML::NodeType::Map)) return std::nullopt;
  Fields fields(value);
  for (auto& [key, entry] : entries(value, max_entries))
    fields.add(std::move(key), std::move(entry));
  return fields;
}

std::optional<Value> Reader::required(const Fields& fields, std::string_view key) {
  std::optional<Value> value = fields.get(key);
  if (!value) fail(child(fields.self(), key, YAML::Node()), "required");
  return value;
}

std::vector<std::pair<std::string, Value>> Reader::entries(const Value& value, size_t max) {
  std::vector<std::pair<std::string, Value>> result;
  if (value.node.IsNull() || !expect(value, YAML::NodeType::Map)) return result;
  if (value.node.size() > max) {
    fail(value, fmt::format("more than {} entries", max));
    return result;
  }
  std::set<std::string_view> seen;  // views into the node tree, which outlives this call
  for (auto it = value.node.begin(); it != value.node.end(); ++it) {
    count(value);
    if (!it->first.IsScalar()) {
      fail(Value{it->first, value.path, line_of(it->first, value.line)},
           "expected a string key, found " + detail::describe(it->first));
      continue;
    }
    const std::string& key = it->first.Scalar();
    Value entry = child(value, key, it->second);
    entry.line = line_of(it->first, value.line);  // the key's line reads best
    if (!seen.insert(key).second) {
      fail(entry, "duplicate key " + detail::in_quotes(key));
    } else {
      result.emplace_back(key, std::move(entry));
    }
  }
  return result;
}

std::vector<Value> Reader::sequence(const Value& value, size_t max) {
  std::vector<Value> items;
  if (value.node.IsNull() || !expect(value, YAML::NodeType::Sequence)) return items;
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
  if (!expect(value, YAML::NodeType::Scalar)) return std::nullopt;
  return value.node.Scalar();
}

std::optional<uint64_t> Reader::number(const Value& value, uint64_t min, uint64_t max) {
  count(value);
  int64_t number = 0;
  // Digits only: a sign is no more a number here than 0x10 or 1e3.
  if (detail::parse_integer(value.node, number) != detail::IntParse::kOk || number < 0 ||
      value.node.Scalar().front() == '-') {
    fail(value, fmt::format("expected a number from {} to {}", min, max));
    return std::nullopt;
  }
  if (static_cast<uint64_t>(number) < min || static_cast<uint64_t>(number) > max) {
    fail(value, fmt::format("{} is out of range {}..{}", number, min, max));
    return std::nullopt;
  }
  return static_cast<uint64_t>(number);
}

std::optional<bool> Reader::boolean(const Value& value) {
  count(value);
  const std::optional<bool> parsed = detail::parse_bool(value.node);
  if (!parsed) {
    fail(value, "expected a boolean (true or false), found " + detail::describe(value.node));
  }
  return parsed;
}

}  // namespace meshgate::config::yaml
