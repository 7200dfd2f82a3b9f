// gmock matchers for config errors, shared by the config tests.
#pragma once

#include <gmock/gmock.h>

#include <ostream>
#include <string>

#include "config/loader.h"

namespace meshgate::config::testing {

// An error at `path`, on `line`, whose message contains `text`.
inline auto ErrorAt(const std::string& path, int line, const std::string& text) {
  return ::testing::AllOf(
      ::testing::Field("path", &base::Error::path, path),
      ::testing::Field("line", &base::Error::line, line),
      ::testing::Field("message", &base::Error::message, ::testing::HasSubstr(text)));
}

}  // namespace meshgate::config::testing

namespace meshgate::base {

// Found by gtest through ADL, so failures print the error readably.
inline void PrintTo(const Error& error, std::ostream* out) {
  *out << format_error("<yaml>", error);
}

}  // namespace meshgate::base
