// Where the deploy tests find the kustomize overlays: the tree's
// deploy/kubernetes/overlays/, or the directory MESHGATE_OVERLAYS_DIR names
// (to check a copy, e.g. an edited one, before committing it). Ends in '/'.
#pragma once

#include <cstdlib>
#include <string>

namespace meshgate::testing {

inline std::string overlays_dir() {
  const char* copy = std::getenv("MESHGATE_OVERLAYS_DIR");
  return copy != nullptr ? std::string(copy) + "/"
                         : std::string(MESHGATE_SOURCE_DIR) + "/deploy/kubernetes/overlays/";
}

}  // namespace meshgate::testing
