// The kubeconfig a client of the stand-in API server reads.
#include <openssl/evp.h>

#include <string>

#include "tests/support/kube_apiserver.h"

namespace meshgate::testing {

std::string kubeconfig_yaml(const std::string& server, const std::string& ca_pem,
                            const std::string& token) {
  // The CA as a file would need a path; inline data is what most
  // kubeconfigs carry.
  std::string b64(4 * ((ca_pem.size() + 2) / 3) + 1, '\0');  // EVP_EncodeBlock adds a NUL
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()),
                                reinterpret_cast<const unsigned char*>(ca_pem.data()),
                                static_cast<int>(ca_pem.size()));
  b64.resize(static_cast<size_t>(n));
  return "apiVersion: v1\nkind: Config\ncurrent-context: test\n"
         "clusters:\n- name: test\n  cluster:\n    server: " +
         server + "\n    tls-server-name: kubernetes.default.svc\n" +
         "    certificate-authority-data: " + b64 +
         "\ncontexts:\n- name: test\n  context:\n    cluster: test\n    user: test\n"
         "users:\n- name: test\n  user:\n    token: " +
         token + "\n";
}

}  // namespace meshgate::testing
