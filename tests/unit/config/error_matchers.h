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
      ::testing::Field("path", &ConfigError::path, path),
      ::testing::Field("line", &ConfigError::line, line),
      ::testing::Field("message", &ConfigError::message, ::testing::HasSubstr(text)));
}

}  // namespace meshgate::config::testing

namespace meshgate::config {

// Found by gtest through ADL, so failures print the error readably.
inline void PrintTo(const ConfigError& error, std::ostream* out) {
  *out << format_error("<yaml>", error);
}

}  // namespace meshgate::config
