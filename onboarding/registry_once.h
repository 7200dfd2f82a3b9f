// One registry snapshot from a config, for the one-shot commands
// (`dns-hosts`, `global-entries`): they print what a gateway running with the
// same config serves, so they read the same sources it does, once.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include "config/config.h"
#include "discovery/kubernetes/kube_source.h"
#include "discovery/snapshot.h"

namespace meshgate::onboarding {

inline constexpr std::chrono::seconds kKubernetesSyncTimeout{30};

struct RegistryOnce {
  std::shared_ptr<const config::Config> config;
  discovery::SnapshotPtr snapshot;
};

// Loads `config_file` (empty: the embedded default; MESHGATE_NETWORK
// applied) and builds the registry from every source it names: the registry
// files read once and, with discovery.kubernetes on, the API server listed
// until every resource has synced, within `kube_timeout`. Problems go to
// `err`; then nullopt.
std::optional<RegistryOnce> load_registry_once(
    const std::string& config_file, std::ostream& err,
    std::chrono::milliseconds kube_timeout = kKubernetesSyncTimeout);

// The Kubernetes source options `config` asks for: access from its
// kubeconfig or, without one, the pod's service account. Nullopt with
// *error when the API server cannot be addressed.
std::optional<discovery::kube::KubernetesSourceOptions> kubernetes_options(
    const config::Config& config, std::string* error);

}  // namespace meshgate::onboarding
