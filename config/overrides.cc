#include "config/overrides.h"

#include <fmt/format.h>

#include <cstdlib>
#include <memory>
#include <utility>

#include "config/validate.h"

namespace meshgate::config {

namespace {

// A set, non-empty variable. getenv is read at start-up and on reloads, from
// the control thread only.
std::optional<std::string> variable(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

// `field` := `value` when the config left it empty.
bool fill(std::string& field, const std::optional<std::string>& value) {
  if (!value || !field.empty()) return false;
  field = *value;
  return true;
}

}  // namespace

Overrides overrides_from_environment() {
  return {variable("MESHGATE_NETWORK"), variable("POD_NAME"), variable("POD_NAMESPACE"),
          variable("INSTANCE_IP"), variable("SERVICE_ACCOUNT")};
}

LoadResult with_overrides(LoadResult loaded, const Overrides& overrides) {
  if (!loaded.ok()) return loaded;
  if (overrides.network) {
    if (const auto problem = check_network_name(*overrides.network)) {
      return {nullptr, {{"", 0, fmt::format("MESHGATE_NETWORK: {}", *problem)}}};
    }
  }
  Config config = *loaded.config;
  bool changed = false;
  if (overrides.network && *overrides.network != config.network) {
    config.network = *overrides.network;
    changed = true;
  }
  XdsSource& xds = config.discovery.xds;
  changed |= fill(xds.pod_name, overrides.pod_name);
  changed |= fill(xds.pod_namespace, overrides.pod_namespace);
  changed |= fill(xds.pod_ip, overrides.pod_ip);
  changed |= fill(xds.service_account, overrides.service_account);
  if (!changed) return loaded;
  // What the environment filled in is checked as the file's values are.
  for (base::Error& error : validate_xds(config.discovery.xds)) {
    error.message = "from the environment: " + error.message;
    return {nullptr, {std::move(error)}};
  }
  loaded.config = std::make_shared<const Config>(std::move(config));
  return loaded;
}

LoadResult load_effective_config(const std::string& path) {
  LoadResult loaded;
  if (path.empty()) {
    loaded.config = std::make_shared<const Config>(default_config());
  } else {
    loaded = load_config_file(path);
  }
  return with_overrides(std::move(loaded), overrides_from_environment());
}

}  // namespace meshgate::config
