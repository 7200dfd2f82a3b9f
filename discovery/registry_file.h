// The registry file format read by the file source (documented in
// discovery/README.md). Pure: text in, state or errors out.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "discovery/model.h"

namespace meshgate::discovery {

// A registry file larger than this is refused unread.
inline constexpr std::size_t kMaxRegistryFileBytes = 64 * 1024 * 1024;

struct RegistryFileResult {
  std::optional<SourceState> state;  // set iff errors is empty
  base::Errors errors;               // each with its key path and line
};

// Bounds on the work one file can cause; an error names the bound exceeded.
struct RegistryFileLimits {
  size_t max_services = 10'000;
  size_t max_endpoints = 100'000;  // in the whole file
  size_t max_aliases = 10'000;
  size_t max_ports = 100;         // per service
  size_t max_subsets = 100;       // per service
  size_t max_hostnames = 100;     // per service
  size_t max_addresses = 100;     // per alias
  size_t max_labels = 100;        // per label map
  size_t max_values = 4'000'000;  // keys and values read, anchors/aliases expanded
  size_t max_errors = 100;        // the parse stops after this many
};

RegistryFileResult parse_registry_file(std::string_view yaml);
RegistryFileResult parse_registry_file(std::string_view yaml, const RegistryFileLimits& limits);

}  // namespace meshgate::discovery
