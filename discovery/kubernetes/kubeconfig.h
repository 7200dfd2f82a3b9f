// Where the API server is and how to authenticate to it: from a kubeconfig
// file (its current context), or from inside a pod (the service account).
// Pure apart from reading the files named; no network.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace meshgate::discovery::kube {

struct ApiAccess {
  std::string server;      // "https://10.96.0.1:443"
  std::string ca_pem;      // the CA bundle, PEM; empty: the system's
  bool insecure = false;   // insecure-skip-tls-verify (kubeconfig only)
  std::string token;       // bearer token, when set inline
  std::string token_file;  // bearer token re-read from here as it rotates
  std::string client_cert_pem;
  std::string client_key_pem;
  std::string tls_server_name;  // SNI and name to verify; empty: from server
};

struct AccessResult {
  std::optional<ApiAccess> access;
  std::string error;  // what is wrong, naming the file and the key
};

// A kubeconfig's current context: the cluster's server and CA (file or
// base64 data), the user's token (inline or tokenFile) or client
// certificate and key (file or base64 data). Relative file paths are
// relative to the kubeconfig's directory. `text` is the file's content,
// `path` its name (for messages and relative paths).
AccessResult parse_kubeconfig(std::string_view text, const std::string& path);
AccessResult load_kubeconfig(const std::string& path);  // bounded read, then parse

// Inside a pod: https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT
// (an IPv6 host bracketed), the CA at `dir`/ca.crt and the token file
// `dir`/token (re-read as it rotates). `dir` is normally
// /var/run/secrets/kubernetes.io/serviceaccount; `host` and `port` come
// from the environment (empty: not in a pod).
AccessResult in_cluster_access(std::string_view host, std::string_view port,
                               const std::string& dir);
AccessResult in_cluster_access_from_env();  // the environment and the standard dir

// The access meshgate uses everywhere it talks to the API server: the
// kubeconfig's current context when `kubeconfig` names one, else the pod's
// own service account.
AccessResult load_access(const std::string& kubeconfig);

}  // namespace meshgate::discovery::kube
