// Reading single YAML nodes: scalars typed strictly, and descriptions of what
// a node holds for error messages. Internal to config/.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace meshgate::config::detail {

// 1-based; 0 for a null mark.
int line_of_mark(const YAML::Mark& mark);

// An unquoted scalar: only these may be numbers or booleans.
bool is_plain_scalar(const YAML::Node& node);

// What the node holds, for "expected X, found Y": "a list", "'abc'", ...
std::string describe(const YAML::Node& node);

// "a mapping", "a list", "a string".
std::string_view type_name(YAML::NodeType::value type);

enum class IntParse { kOk, kNotInteger, kTooLarge };

// A plain decimal integer, optionally negative; nothing else (no 0x, no 1e3).
IntParse parse_integer(const YAML::Node& node, int64_t& value);

// YAML 1.2 core schema booleans; "yes"/"on" are strings there.
std::optional<bool> parse_bool(const YAML::Node& node);

}  // namespace meshgate::config::detail
