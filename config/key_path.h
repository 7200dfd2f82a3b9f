// Key paths ("listeners.passthrough.port", "discovery.files[0].path") and the
// map from a path to the line its key was written on. Internal to config/.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

namespace meshgate::config::detail {

// Path of a key → 1-based line of that key in the document.
using LineMap = std::map<std::string, int, std::less<>>;

std::string join_key(std::string_view parent, std::string_view key);
std::string join_index(std::string_view parent, size_t index);

// "a.b[0].c" → "a.b[0]" → "a.b" → "a" → "".
std::string_view parent_path(std::string_view path);

// True when `path` is `ancestor` or lies below it ("" is above everything).
bool is_within(std::string_view path, std::string_view ancestor);

// The line of `path`, or of its nearest ancestor that has one; 0 if none.
int line_of(const LineMap& lines, std::string_view path);

// Text from the document made safe to print: control bytes escaped, long
// text cut short.
std::string printable(std::string_view text);

// A value from the document made safe to quote in a message: control bytes
// escaped, long text cut short.
std::string in_quotes(std::string_view text);

}  // namespace meshgate::config::detail
