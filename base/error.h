// The one way a parser of user input (a config file, a registry file, a
// WorkloadGroup, command-line flags) reports what is wrong: a list of errors,
// each with where (a key path and a line) and what. A result carries its value
// and this list; the value is set exactly when the list is empty.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace meshgate::base {

struct Error {
  std::string
      path;  // key path ("listeners.passthrough.port", "services[0].name"); "" for the whole input
  int line = 0;  // 1-based line in the input; 0 when unknown or not from a file
  std::string message;
  bool operator==(const Error&) const = default;
};

using Errors = std::vector<Error>;

// "FILE:LINE: PATH: MESSAGE", as compilers print errors; each part left out
// when it is empty (the line when 0).
std::string format_error(std::string_view file, const Error& error);

// "line LINE: PATH: MESSAGE", for an input that has no file name (a log line,
// an admin page); the same parts left out.
std::string describe(const Error& error);

// describe() of each error, joined by "; ".
std::string describe(const Errors& errors);

}  // namespace meshgate::base
