// The TokenFetcher behind `meshgate vm-files --token-request`: a TokenRequest
// with audience istio-ca (discovery/kubernetes/token_request.h) to the API
// server named by a kubeconfig, or, without one, to the API server of the pod
// meshgate runs in, as its own service account.
#pragma once

#include <chrono>
#include <string>

#include "onboarding/vm_files.h"

namespace meshgate::onboarding {

inline constexpr std::chrono::seconds kTokenRequestTimeout{15};

onboarding::TokenFetcher kubernetes_token_fetcher(std::string kubeconfig);

}  // namespace meshgate::onboarding
