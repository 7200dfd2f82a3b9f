// App: discovery from the Kubernetes API, when discovery.kubernetes.enabled.
#include <spdlog/spdlog.h>

#include <stdexcept>
#include <utility>

#include "app/app.h"
#include "onboarding/registry_once.h"

namespace meshgate::app {
namespace {

// The source the config asks for; throws with a clear message when the API
// server cannot be addressed (no kubeconfig, not in a pod, bad PEM).
std::unique_ptr<discovery::kube::KubernetesSource> make_source(const config::Config& config,
                                                               discovery::Registry& registry) {
  const config::KubernetesSource& kube = config.discovery.kubernetes;
  std::string error;
  auto options = onboarding::kubernetes_options(config, &error);
  if (!options) throw std::runtime_error("discovery.kubernetes: " + error);
  auto source = discovery::kube::KubernetesSource::create(std::move(*options), registry, &error);
  if (!source) throw std::runtime_error("discovery.kubernetes: " + error);
  spdlog::info("kubernetes: discovery from {}",
               kube.kubeconfig.empty() ? "the pod's service account" : kube.kubeconfig);
  return source;
}

}  // namespace

void App::create_kubernetes() {
  if (config_->discovery.kubernetes.enabled) kube_ = make_source(*config_, registry_);
}

void App::start_kubernetes() {
  if (kube_) kube_->start();
}

void App::stop_kubernetes() {
  if (kube_) kube_->stop();
}

// A changed section replaces the source: the new one starts from a full
// list, and until it has synced the registry keeps the old one's state
// (same source name). Turned off: its services leave the registry.
void App::reconfigure_kubernetes(const config::Config& previous) {
  if (previous.discovery.kubernetes == config_->discovery.kubernetes &&
      previous.cluster_domain == config_->cluster_domain)
    return;
  std::unique_ptr<discovery::kube::KubernetesSource> next;
  if (config_->discovery.kubernetes.enabled) {
    try {
      next = make_source(*config_, registry_);
    } catch (const std::exception& e) {
      spdlog::error("reload: {}; the running Kubernetes discovery stays", e.what());
      return;
    }
  }
  const std::string name = kube_ ? kube_->name() : "";
  stop_kubernetes();
  kube_ = std::move(next);
  if (kube_) {
    kube_->start();
  } else if (!name.empty()) {
    registry_.remove_source(name);
  }
}

}  // namespace meshgate::app
