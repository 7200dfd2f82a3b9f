// A service-account token from the API server's TokenRequest subresource
// (authentication.k8s.io/v1): what `kubectl create token SA --audience
// istio-ca` does, for `meshgate vm-files --token-request`. istioctl's
// `x workload entry configure` asks for the same token for a VM.
//
// The request and its answer are pure functions; request_token() is one
// blocking POST over HTTP/1.1 on a connection of its own, bounded in time.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "discovery/kubernetes/kubeconfig.h"

namespace meshgate::discovery::kube {

inline constexpr int64_t kMinTokenSeconds = 600;  // the API server refuses less

struct TokenRequestSpec {
  std::string ns;               // the service account's namespace
  std::string service_account;  // its name
  std::vector<std::string> audiences{"istio-ca"};
  int64_t expiration_seconds = 3600;
};

struct TokenResult {
  std::string token;  // empty when error is not
  std::string error;
  bool ok() const { return error.empty(); }
};

// "/api/v1/namespaces/<ns>/serviceaccounts/<name>/token".
std::string token_request_path(const TokenRequestSpec& spec);
// The TokenRequest object to POST, as JSON.
std::string token_request_body(const TokenRequestSpec& spec);
// The token from a 201 answer; else the error, with the Status message the
// server sent when there is one.
TokenResult parse_token_response(int status, std::string_view body);

// POSTs the request to the API server `access` names; the whole exchange
// (connect, TLS, answer) is bounded by `timeout`.
TokenResult request_token(const ApiAccess& access, const TokenRequestSpec& spec,
                          std::chrono::milliseconds timeout);

}  // namespace meshgate::discovery::kube
