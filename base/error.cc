#include "base/error.h"

#include <fmt/format.h>

namespace meshgate::base {
namespace {

// Appends ": " between parts, none before the first.
void append(std::string& out, std::string_view part) {
  if (part.empty()) return;
  if (!out.empty()) out += ": ";
  out += part;
}

std::string where_and_what(std::string head, const Error& error) {
  append(head, error.path);
  append(head, error.message);
  return head;
}

}  // namespace

std::string format_error(std::string_view file, const Error& error) {
  std::string head(file);
  if (error.line > 0) head += fmt::format(":{}", error.line);
  return where_and_what(std::move(head), error);
}

std::string describe(const Error& error) {
  return where_and_what(error.line > 0 ? fmt::format("line {}", error.line) : std::string(), error);
}

std::string describe(const Errors& errors) {
  std::string out;
  for (const Error& error : errors) {
    if (!out.empty()) out += "; ";
    out += describe(error);
  }
  return out;
}

}  // namespace meshgate::base
