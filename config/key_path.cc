#include "config/key_path.h"

#include <fmt/format.h>

namespace meshgate::config::detail {
namespace {

// Messages stay readable whatever the document holds.
constexpr size_t kMaxQuoted = 64;

}  // namespace

std::string join_key(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return fmt::format("{}.{}", parent, key);
}

std::string join_index(std::string_view parent, size_t index) {
  return fmt::format("{}[{}]", parent, index);
}

std::string_view parent_path(std::string_view path) {
  const size_t cut = path.find_last_of(".[");
  return cut == std::string_view::npos ? std::string_view{} : path.substr(0, cut);
}

bool is_within(std::string_view path, std::string_view ancestor) {
  if (ancestor.empty() || path == ancestor) return true;
  if (path.size() <= ancestor.size() || !path.starts_with(ancestor)) return false;
  const char next = path[ancestor.size()];
  return next == '.' || next == '[';
}

int line_of(const LineMap& lines, std::string_view path) {
  while (true) {
    const auto found = lines.find(path);
    if (found != lines.end()) return found->second;
    if (path.empty()) return 0;
    path = parent_path(path);
  }
}

std::string printable(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size() && i < kMaxQuoted; ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x20 || byte == 0x7f) {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      out += text[i];
    }
  }
  if (text.size() > kMaxQuoted) out += "...";
  return out;
}

std::string in_quotes(std::string_view text) {
  // Appended, not `"'" + ...`: gcc 12 at -O3 reports a false -Wrestrict
  // (GCC bug 105329) on operator+ with a literal first.
  std::string out = "'";
  out += printable(text);
  out += '\'';
  return out;
}

}  // namespace meshgate::config::detail
