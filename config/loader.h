// Loads and validates a meshgate YAML config file.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "config/config.h"

namespace meshgate::config {

// A config file is small: anything larger is refused rather than read.
inline constexpr size_t kMaxConfigBytes = 1 << 20;

struct LoadResult {
  std::shared_ptr<const Config> config;  // null when errors is non-empty
  base::Errors errors;                   // every problem found, in document order
  bool ok() const { return config != nullptr; }
};

// Parses and validates YAML text. Keys not present take their defaults.
LoadResult load_config_string(std::string_view yaml);
// Reads the file (bounded size) and loads it.
LoadResult load_config_file(const std::string& path);

}  // namespace meshgate::config
