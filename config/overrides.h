// Settings the environment may override after a config is loaded, so that a
// Kubernetes manifest can feed them from the pod (the downward API) without
// templating the config file. Applied on every load and reload.
//
//   MESHGATE_NETWORK   `network`: this gateway's topology.istio.io/network.
//                      Unset or empty: the config's value stays.
//   POD_NAME, POD_NAMESPACE, INSTANCE_IP, SERVICE_ACCOUNT
//                      discovery.xds.pod_name, pod_namespace, pod_ip and
//                      service_account, the names Istio's injector gives
//                      them, when the config leaves them empty.
#pragma once

#include <optional>
#include <string>

#include "config/loader.h"

namespace meshgate::config {

struct Overrides {
  std::optional<std::string> network = std::nullopt;
  std::optional<std::string> pod_name = std::nullopt;
  std::optional<std::string> pod_namespace = std::nullopt;
  std::optional<std::string> pod_ip = std::nullopt;
  std::optional<std::string> service_account = std::nullopt;
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
