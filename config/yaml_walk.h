// Reads a YAML document into a Config: the types and the shape of every key.
// Value checks that need no YAML (ranges, addresses, collisions) are left to
// validate_config. Internal to config/; no YAML type appears here.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/key_path.h"
#include "config/loader.h"

namespace meshgate::config::detail {

struct ParsedYaml {
  Config config;        // keys absent from the document keep these
  LineMap lines;        // every key read, to place later errors
  base::Errors errors;  // syntax, type and shape errors
  // Paths whose value was refused and left at its default: a later check
  // under one of them would only repeat the problem.
  std::vector<std::string> refused;
};

ParsedYaml parse_yaml(std::string_view yaml);

}  // namespace meshgate::config::detail
