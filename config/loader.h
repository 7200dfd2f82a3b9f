// Loads and validates a meshgate YAML config file.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace meshgate::config {

// A config file is small: anything larger is refused rather than read.
inline constexpr size_t kMaxConfigBytes = 1 << 20;

struct ConfigError {
  std::string path;  // key path, e.g. "listeners.passthrough.port"; "" for the document
  int line = 0;      // 1-based line in the file; 0 when unknown
  std::string message;
};

struct LoadResult {
  std::shared_ptr<const Config> config;  // null when errors is non-empty
  std::vector<ConfigError> errors;       // every problem found, in document order
  bool ok() const { return config != nullptr; }
};

// Parses and validates YAML text. Keys not present take their defaults.
LoadResult load_config_string(std::string_view yaml);
// Reads the file (bounded size) and loads it.
LoadResult load_config_file(const std::string& path);

// "FILE:LINE: PATH: MESSAGE" (LINE omitted when 0, PATH when empty).
std::string format_error(std::string_view file, const ConfigError& error);

}  // namespace meshgate::config
