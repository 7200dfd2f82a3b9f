// Writing YAML the way istioctl writes mesh.yaml (sigs.k8s.io/yaml over
// go-yaml v2): block style, two spaces per level, list items at the
// indentation of their key, mapping keys in go-yaml's order, and strings
// quoted only when they could be read as something else. Used for values
// copied from input (the mesh config, the proxy.istio.io/config annotation,
// the group's probe), so every copy is bounded in depth and size.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace meshgate::config::yaml {
struct Value;
class Reader;
}  // namespace meshgate::config::yaml

namespace meshgate::onboarding {

// Bounds on one YAML subtree copied into mesh.yaml.
inline constexpr int kMaxYamlDepth = 12;
inline constexpr size_t kMaxYamlNodes = 4096;
inline constexpr size_t kMaxYamlKeyBytes = 256;

// A value ready to be written under a key.
struct YamlValue {
  std::string inline_text;  // a scalar, "{}" or "[]": written after "key: "
  std::string block;        // a non-empty mapping or list: '\n'-terminated lines, unindented
  bool list = false;        // block is a list ("- ..." lines)
  bool operator==(const YamlValue&) const = default;
};

// `text` as a YAML scalar that reads back as that same string: plain when it
// cannot be mistaken for anything else, otherwise quoted.
std::string yaml_string(std::string_view text);

// go-yaml's order of two mapping keys: at the first difference two letters
// compare by code point, a letter and a non-letter put the non-letter first
// (the letter first right after a digit), and runs of digits compare as
// numbers; a prefix sorts first. Non-ASCII characters count as letters.
bool go_yaml_less(std::string_view a, std::string_view b);

// Sorts `keys` with go_yaml_less (a guarded insertion sort: hostile keys
// cannot make it misbehave).
void sort_go_yaml(std::vector<std::string>& keys);

// `value` re-written as a YamlValue. Plain scalars that YAML reads as numbers,
// booleans or null keep that type; everything else becomes a string. One
// error, at value's path, for too deep or too many values, or a key that is
// not a scalar; nullopt then.
std::optional<YamlValue> render_yaml(const config::yaml::Value& value,
                                     config::yaml::Reader& reader);

// A scalar value (inline_text only).
YamlValue yaml_scalar(std::string text);

// "key: value\n", or "key:\n" and the block under it, at `indent` spaces.
std::string yaml_entry(std::string_view key, const YamlValue& value, size_t indent);

}  // namespace meshgate::onboarding
