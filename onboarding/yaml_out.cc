// YAML output in go-yaml v2's shape (what sigs.k8s.io/yaml.Marshal writes,
// as istioctl's createMeshConfig does for mesh.yaml). The key order follows
// go-yaml's sorter (keyList.Less); the rest is plain block YAML.
#include "onboarding/yaml_out.h"

#include "config/yaml_reader.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <utility>

namespace meshgate::onboarding {
namespace {

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_digit(char32_t c) {
  return c >= '0' && c <= '9';
}

bool is_letter(char32_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

// UTF-8 to code points; a byte that starts no valid sequence is U+FFFD, as
// Go's []rune(string) has it.
std::u32string runes(std::string_view text) {
  std::u32string out;
  for (size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const size_t length = lead < 0x80         ? 1
                          : (lead >> 5) == 6  ? 2
                          : (lead >> 4) == 14 ? 3
                          : (lead >> 3) == 30 ? 4
                                              : 0;
    bool valid = length > 0 && i + length <= text.size();
    char32_t rune = length == 1 ? lead : lead & (0x7f >> length);
    for (size_t k = 1; valid && k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      valid = (next & 0xc0) == 0x80;
      rune = (rune << 6) | (next & 0x3f);
    }
    out.push_back(valid ? rune : U'\uFFFD');
    i += valid ? length : 1;
  }
  return out;
}

// The number a run of digits starting at `from` spells (after `value`, a
// lead the run is appended to), and where the run ends.
std::pair<uint64_t, size_t> digit_run(const std::u32string& text, size_t from, uint64_t value) {
  size_t end = from;
  for (; end < text.size() && is_digit(text[end]); ++end) {
    value = value * 10 + static_cast<uint64_t>(text[end] - '0');
  }
  return {value, end};
}

// Two differing non-letters at `i`: digit runs compare as numbers. When a
// '0' differs inside a number that already had a non-zero digit, both runs
// are read after a leading 1, so the zeros count (go-yaml's rule).
bool non_letters_less(const std::u32string& a, const std::u32string& b, size_t i) {
  uint64_t lead = 0;
  if (a[i] == '0' || b[i] == '0') {
    for (size_t j = i; j-- > 0 && is_digit(a[j]);) {
      if (a[j] != '0') {
        lead = 1;
        break;
      }
    }
  }
  const auto [an, ai] = digit_run(a, i, lead);
  const auto [bn, bi] = digit_run(b, i, lead);
  if (an != bn) return an < bn;
  if (ai != bi) return ai < bi;
  return a[i] < b[i];
}

// `block`'s lines, the first after `first`, the others after `rest`; each
// ends in '\n'.
std::string indented(std::string_view block, std::string_view first, std::string_view rest) {
  std::string out;
  size_t start = 0;
  while (start < block.size()) {
    size_t end = block.find('\n', start);
    if (end == std::string_view::npos) end = block.size();
    out += start == 0 ? first : rest;
    out += block.substr(start, end - start);
    out += '\n';
    start = end + 1;
  }
  return out;
}

bool is_reserved(std::string_view text) {
  static constexpr std::array<std::string_view, 15> kReserved = {
      "true", "false", "yes", "no",   "on",   "off",   "y",    "n",
      "null", "~",     "nan", ".nan", ".inf", "-.inf", "+.inf"};
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return std::find(kReserved.begin(), kReserved.end(), lower) != kReserved.end();
}

bool plain_ok(std::string_view text) {
  return !text.empty() &&
         ((text.front() >= 'A' && text.front() <= 'Z') ||
          (text.front() >= 'a' && text.front() <= 'z') || text.front() == '/') &&
         text.back() != ':' &&
         std::all_of(text.begin(), text.end(),
                     [](char c) {
                       return is_alnum(c) || c == '.' || c == '_' || c == '-' || c == '/' ||
                              c == ':';
                     }) &&
         !is_reserved(text);
}

std::string double_quoted(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string single_quoted(std::string_view text) {
  std::string out = "'";
  for (char c : text)
    out += (c == '\'') ? std::string("''") : std::string(1, c);
  return out + "'";
}

// Keys are written like strings, but a plain one with ':' is quoted too.
std::string yaml_key(std::string_view key) {
  std::string text = yaml_string(key);
  if (text == key && key.find(':') != std::string_view::npos) return single_quoted(key);
  return text;
}

bool is_yaml_number(std::string_view text) {
  if (!text.empty() && text.front() == '-') text.remove_prefix(1);
  const size_t digits = std::min(text.find_first_not_of("0123456789"), text.size());
  if (digits == 0 || (digits > 1 && text.front() == '0')) return false;
  std::string_view rest = text.substr(digits);
  if (rest.empty()) return true;
  if (rest.front() != '.') return false;
  rest.remove_prefix(1);
  rest.remove_prefix(std::min(rest.find_first_not_of("0123456789"), rest.size()));
  if (rest.empty()) return true;
  if (rest.front() != 'e' && rest.front() != 'E') return false;
  rest.remove_prefix(1);
  if (!rest.empty() && (rest.front() == '-' || rest.front() == '+')) rest.remove_prefix(1);
  return !rest.empty() && rest.find_first_not_of("0123456789") == std::string_view::npos;
}

// A scalar as written: numbers, booleans and null stay what they are.
std::string scalar_text(const YAML::Node& node) {
  if (node.IsNull()) return "null";
  const std::string& text = node.Scalar();
  if (node.Tag() == "?") {  // plain, untagged
    static const std::map<std::string, std::string, std::less<>> kBooleans = {
        {"true", "true"}, {"True", "true"},   {"TRUE", "true"},   {"yes", "true"},
        {"Yes", "true"},  {"YES", "true"},    {"on", "true"},     {"On", "true"},
        {"ON", "true"},   {"false", "false"}, {"False", "false"}, {"FALSE", "false"},
        {"no", "false"},  {"No", "false"},    {"NO", "false"},    {"off", "false"},
        {"Off", "false"}, {"OFF", "false"}};
    if (const auto it = kBooleans.find(text); it != kBooleans.end()) return it->second;
    if (is_yaml_number(text)) return text;
  }
  return yaml_string(text);
}

struct Renderer {
  const config::yaml::Value& at;
  config::yaml::Reader& reader;
  size_t nodes = 0;
  bool failed = false;

  void fail(std::string problem) {
    if (!failed) reader.fail(at, std::move(problem));
    failed = true;
  }
  YamlValue render(const YAML::Node& node, int depth);
  YamlValue render_map(const YAML::Node& node, int depth);
  YamlValue render_list(const YAML::Node& node, int depth);
};

YamlValue Renderer::render(const YAML::Node& node, int depth) {
  if (failed) return {};
  if (++nodes > kMaxYamlNodes) {
    fail(fmt::format("more than {} values", kMaxYamlNodes));
    return {};
  }
  if (depth > kMaxYamlDepth) {
    fail(fmt::format("nested deeper than {} levels", kMaxYamlDepth));
    return {};
  }
  if (node.IsMap()) return node.size() == 0 ? yaml_scalar("{}") : render_map(node, depth);
  if (node.IsSequence()) return node.size() == 0 ? yaml_scalar("[]") : render_list(node, depth);
  return yaml_scalar(scalar_text(node));
}

YamlValue Renderer::render_map(const YAML::Node& node, int depth) {
  std::map<std::string, YAML::Node> entries;  // a repeated key: the last one
  for (const auto& entry : node) {
    if (!entry.first.IsScalar()) {
      fail("a mapping key that is not a string");
      return {};
    }
    if (entry.first.Scalar().size() > kMaxYamlKeyBytes) {  // YAML's limit for implicit keys
      fail(fmt::format("a key longer than {} bytes", kMaxYamlKeyBytes));
      return {};
    }
    entries.insert_or_assign(entry.first.Scalar(), entry.second);
  }
  std::vector<std::string> keys;
  for (const auto& [key, value] : entries)
    keys.push_back(key);
  sort_go_yaml(keys);
  YamlValue out;
  for (const std::string& key : keys) {
    const YamlValue child = render(entries.at(key), depth + 1);
    out.block += yaml_entry(key, child, 0);
  }
  return out;
}

YamlValue Renderer::render_list(const YAML::Node& node, int depth) {
  YamlValue out;
  out.list = true;
  for (const auto& item : node) {
    const YamlValue child = render(item, depth + 1);
    if (child.block.empty()) {
      out.block += "- " + child.inline_text + "\n";
      continue;
    }
    // The child's lines under the dash: "- first", then "  rest".
    out.block += indented(child.block, "- ", "  ");
  }
  return out;
}

}  // namespace

std::string yaml_string(std::string_view text) {
  if (plain_ok(text)) return std::string(text);
  const bool control =
      std::any_of(text.begin(), text.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; });
  const bool numeric_look =
      !text.empty() && std::string_view("0123456789+-.").find(text.front()) != std::string::npos;
  if (control || text.empty() || numeric_look || is_reserved(text)) return double_quoted(text);
  return single_quoted(text);
}

bool go_yaml_less(std::string_view a_text, std::string_view b_text) {
  const std::u32string a = runes(a_text);
  const std::u32string b = runes(b_text);
  bool after_digit = false;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (a[i] == b[i]) {
      after_digit = is_digit(a[i]);
      continue;
    }
    const bool a_letter = is_letter(a[i]);
    const bool b_letter = is_letter(b[i]);
    if (a_letter && b_letter) return a[i] < b[i];
    if (a_letter || b_letter) return after_digit ? a_letter : b_letter;
    return non_letters_less(a, b, i);
  }
  return a.size() < b.size();
}

void sort_go_yaml(std::vector<std::string>& keys) {
  for (size_t i = 1; i < keys.size(); ++i) {
    for (size_t j = i; j > 0 && go_yaml_less(keys[j], keys[j - 1]); --j) {
      std::swap(keys[j], keys[j - 1]);
    }
  }
}

std::optional<YamlValue> render_yaml(const config::yaml::Value& value,
                                     config::yaml::Reader& reader) {
  Renderer renderer{value, reader};
  YamlValue rendered = renderer.render(value.node, 0);
  if (renderer.failed) return std::nullopt;
  return rendered;
}

YamlValue yaml_scalar(std::string text) {
  YamlValue value;
  value.inline_text = std::move(text);
  return value;
}

std::string yaml_entry(std::string_view key, const YamlValue& value, size_t indent) {
  const std::string pad(indent, ' ');
  if (value.block.empty()) return pad + yaml_key(key) + ": " + value.inline_text + "\n";
  std::string out = pad + yaml_key(key) + ":\n";
  // go-yaml v2 writes a list's items at its key's indentation.
  const std::string child_pad = value.list ? pad : pad + "  ";
  return out + indented(value.block, child_pad, child_pad);
}

}  // namespace meshgate::onboarding
