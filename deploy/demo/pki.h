// A throwaway certificate authority for the demo and the tests: an ECDSA
// P-256 CA and leaf certificates signed by it, all as PEM text. Set-up code,
// not data plane: failures throw std::runtime_error.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace meshgate::demo {

struct CertifiedKey {
  std::string cert_pem;
  std::string key_pem;
};

CertifiedKey make_ca(std::string_view common_name);

// A leaf valid for serverAuth and clientAuth, with the given DNS names as
// subjectAltName (OpenSSL checks host names against these).
CertifiedKey make_leaf(const CertifiedKey& ca, std::string_view common_name,
                       std::span<const std::string> dns_names);

}  // namespace meshgate::demo
