// Kubernetes label names and DNS names: the config validators and
// discovery's registry file check them with these functions.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace meshgate::config {

// A Kubernetes label key ("app", "topology.istio.io/network") and value
// (empty, or up to 63 characters), as the API server checks them.
bool is_label_key(std::string_view key);
bool is_label_value(std::string_view value);

}  // namespace meshgate::config
