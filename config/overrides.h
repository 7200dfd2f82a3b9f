// Settings the environment may override after a config is loaded, so that a
// Kubernetes manifest can feed them from the pod (the downward API) without
// templating the config file. Applied on every load and reload.
//
//   MESHGATE_NETWORK   `network`: this gateway's topology.istio.io/network.
//                      Unset or empty: the config's value stays.
#pragma once

#include <optional>
#include <string>

#include "config/loader.h"

namespace meshgate::config {

struct Overrides {
  std::optional<std::string> network;
  bool operator==(const Overrides&) const = default;
};

// Reads the variables above from this process's environment.
Overrides overrides_from_environment();

// `loaded` with `overrides` applied. A failed load passes through unchanged;
// an invalid override turns the result into a failure naming the variable.
LoadResult with_overrides(LoadResult loaded, const Overrides& overrides);

// The config `meshgate --config path` runs: the file (empty `path`: the
// embedded default) with this process's environment overrides applied.
LoadResult load_effective_config(const std::string& path);

}  // namespace meshgate::config
