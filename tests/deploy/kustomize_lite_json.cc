// kustomize_lite's canonical JSON: sorted keys, plain scalars resolved as
// YAML 1.2's core schema does, so two renderings compare as strings.
#include <charconv>
#include <cstdio>
#include <map>

#include "tests/deploy/kustomize_lite.h"
#include "tests/deploy/kustomize_lite_detail.h"

namespace meshgate::kustomize_lite {
namespace {

using detail::element;
using detail::kMaxTreeDepth;
using detail::scalar;

void write_string(const std::string& s, std::string& out) {
  out += '"';
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
      out += escaped;
    } else {
      out += c;
    }
  }
  out += '"';
}

// A plain scalar as YAML 1.2's core schema reads it.
void write_plain(const std::string& s, std::string& out) {
  static const std::set<std::string> nulls{"", "~", "null", "Null", "NULL"};
  static const std::set<std::string> trues{"true", "True", "TRUE"};
  static const std::set<std::string> falses{"false", "False", "FALSE"};
  if (nulls.contains(s)) return void(out += "null");
  if (trues.contains(s)) return void(out += "true");
  if (falses.contains(s)) return void(out += "false");
  const char* first = s.data() + (s[0] == '+' ? 1 : 0);
  const char* last = s.data() + s.size();
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
    base = s[1] == 'x' ? 16 : 8;
    first += 2;
  }
  long long integer = 0;
  if (auto [end, ec] = std::from_chars(first, last, integer, base);
      ec == std::errc() && end == last && (base == 10 || integer >= 0)) {
    return void(out += std::to_string(integer));
  }
  if (base != 10) return write_string(s, out);
  const bool numeric = s.find_first_not_of("0123456789.eE+-") == std::string::npos &&
                       s.find_first_of("0123456789") != std::string::npos;
  double real = 0;
  if (auto [end, ec] = std::from_chars(first, last, real);
      numeric && ec == std::errc() && end == last) {
    char text[32];
    std::snprintf(text, sizeof text, "%.17g", real);
    return void(out += text);
  }
  write_string(s, out);
}

void write_json(const YAML::Node& node, std::string& out, int depth) {
  if (depth > kMaxTreeDepth || !node.IsDefined() || node.IsNull()) return void(out += "null");
  if (node.IsScalar()) {
    return node.Tag() == "?" ? write_plain(node.Scalar(), out) : write_string(node.Scalar(), out);
  }
  if (node.IsSequence()) {
    out += '[';
    for (std::size_t i = 0; i < node.size(); ++i) {
      if (i > 0) out += ',';
      write_json(element(node, i), out, depth + 1);
    }
    return void(out += ']');
  }
  std::map<std::string, YAML::Node> sorted;
  for (const auto& entry : node)
    sorted.emplace(scalar(entry.first), entry.second);
  out += '{';
  for (auto it = sorted.begin(); it != sorted.end(); ++it) {
    if (it != sorted.begin()) out += ',';
    write_string(it->first, out);
    out += ':';
    write_json(it->second, out, depth + 1);
  }
  out += '}';
}

}  // namespace

std::string canonical_json(const YAML::Node& node) {
  std::string out;
  write_json(node, out, 0);
  return out;
}

}  // namespace meshgate::kustomize_lite
