#include "config/config.h"

// Set by config/CMakeLists.txt from the MESHGATE_DEMO_REGISTRY cache variable.
#ifndef MESHGATE_DEMO_REGISTRY
#error "MESHGATE_DEMO_REGISTRY must be defined by the build"
#endif

namespace meshgate::config {

const char* demo_registry_path() {
  return MESHGATE_DEMO_REGISTRY;
}

Config default_config() {
  Config config;
  config.discovery.files.push_back({demo_registry_path(), Duration{1000}});
  config.passthrough.allow_loopback_endpoints = true;
  return config;
}

}  // namespace meshgate::config
