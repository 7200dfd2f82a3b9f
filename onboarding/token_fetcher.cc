#include "onboarding/token_fetcher.h"

#include <utility>

#include "discovery/kubernetes/kubeconfig.h"
#include "discovery/kubernetes/token_request.h"

namespace meshgate::onboarding {

onboarding::TokenFetcher kubernetes_token_fetcher(std::string kubeconfig) {
  return [kubeconfig = std::move(kubeconfig)](const std::string& ns,
                                              const std::string& service_account, int64_t seconds,
                                              std::string* error) -> std::string {
    namespace kube = discovery::kube;
    const kube::AccessResult access = kube::load_access(kubeconfig);
    if (!access.access) {
      *error = access.error;
      return "";
    }
    kube::TokenRequestSpec spec;
    spec.ns = ns;
    spec.service_account = service_account;
    spec.expiration_seconds = seconds;
    kube::TokenResult result = kube::request_token(*access.access, spec, kTokenRequestTimeout);
    *error = std::move(result.error);
    return std::move(result.token);
  };
}

}  // namespace meshgate::onboarding
