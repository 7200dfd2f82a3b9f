#include "config/overrides.h"

#include <fmt/format.h>

#include <cstdlib>
#include <memory>
#include <utility>

#include "config/validate.h"

namespace meshgate::config {

Overrides overrides_from_environment() {
  Overrides overrides;
  // getenv is read at start-up and on reloads, from the control thread only.
  if (const char* network = std::getenv("MESHGATE_NETWORK"); network && *network) {
    overrides.network = network;
  }
  return overrides;
}

LoadResult with_overrides(LoadResult loaded, const Overrides& overrides) {
  if (!loaded.ok() || !overrides.network) return loaded;
  if (const auto problem = check_network_name(*overrides.network)) {
    return {nullptr, {{"", 0, fmt::format("MESHGATE_NETWORK: {}", *problem)}}};
  }
  if (*overrides.network == loaded.config->network) return loaded;
  auto config = std::make_shared<Config>(*loaded.config);
  config->network = *overrides.network;
  loaded.config = std::move(config);
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
