#include "onboarding/registry_once.h"

#include <thread>
#include <utility>
#include <vector>

#include "config/loader.h"
#include "config/overrides.h"
#include "discovery/file_source.h"
#include "discovery/kubernetes/kubeconfig.h"
#include "discovery/registry.h"

namespace meshgate::onboarding {
namespace {

std::shared_ptr<const config::Config> load_config(const std::string& file, std::ostream& err) {
  const config::LoadResult loaded = config::load_effective_config(file);
  for (const auto& error : loaded.errors)
    err << base::format_error(file, error) << "\n";
  return loaded.config;
}

bool read_files(const config::Config& config, discovery::Registry& registry, std::ostream& err) {
  std::vector<std::unique_ptr<discovery::FileSource>> sources;
  for (const config::FileSource& file : config.discovery.files) {
    sources.push_back(std::make_unique<discovery::FileSource>(file.path, registry));
    if (const std::string error = sources.back()->reload(); !error.empty()) {
      err << file.path << ": " << error << "\n";
      return false;
    }
  }
  return true;
}

// Lists the cluster once: the source publishes to the registry only when
// every resource has synced, so waiting for `synced` is waiting for that.
bool sync_kubernetes(const config::Config& config, discovery::Registry& registry,
                     std::chrono::milliseconds timeout, std::ostream& err) {
  std::string error;
  auto options = kubernetes_options(config, &error);
  auto source =
      options ? discovery::kube::KubernetesSource::create(std::move(*options), registry, &error)
              : nullptr;
  if (!source) {
    err << "discovery.kubernetes: " << error << "\n";
    return false;
  }
  source->start();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!source->stats().synced && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a CLI waiting on its thread
  }
  const bool synced = source->stats().synced;
  source->stop();
  if (!synced) {
    err << "discovery.kubernetes: not every resource was listed within " << timeout.count()
        << " ms; is the API server reachable?\n";
  }
  return synced;
}

}  // namespace

std::optional<discovery::kube::KubernetesSourceOptions> kubernetes_options(
    const config::Config& config, std::string* error) {
  const config::KubernetesSource& kube = config.discovery.kubernetes;
  discovery::kube::AccessResult access = discovery::kube::load_access(kube.kubeconfig);
  if (!access.access) {
    *error = access.error;
    return std::nullopt;
  }
  discovery::kube::KubernetesSourceOptions options;
  options.access = std::move(*access.access);
  options.translate.cluster_domain = config.cluster_domain;
  options.translate.export_hosts = kube.export_hosts;
  options.translate.gateway_labels = {kube.gateway_selector.begin(), kube.gateway_selector.end()};
  options.translate.gateway_port = kube.gateway_port;
  options.translate.gateway_namespace = kube.gateway_namespace;
  options.translate.system_namespace = kube.system_namespace;
  options.translate.cluster_id = kube.cluster_id;
  options.translate.include_namespaces = kube.include_namespaces;
  options.translate.exclude_namespaces = kube.exclude_namespaces;
  options.istio = kube.istio_resources;
  options.coalesce = kube.coalesce;
  return options;
}

std::optional<RegistryOnce> load_registry_once(const std::string& config_file, std::ostream& err,
                                               std::chrono::milliseconds kube_timeout) {
  std::shared_ptr<const config::Config> config = load_config(config_file, err);
  if (!config) return std::nullopt;
  discovery::Registry registry;
  if (!read_files(*config, registry, err)) return std::nullopt;
  if (config->discovery.kubernetes.enabled &&
      !sync_kubernetes(*config, registry, kube_timeout, err)) {
    return std::nullopt;
  }
  return RegistryOnce{std::move(config), registry.snapshot()};
}

}  // namespace meshgate::onboarding
