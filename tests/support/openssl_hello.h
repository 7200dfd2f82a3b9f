// Real ClientHellos from OpenSSL: a client SSL over memory BIOs is started
// once and the bytes it wrote are taken from its write BIO. No network.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace meshgate::testing {

using Bytes = std::vector<uint8_t>;

struct OpenSslHelloOptions {
  bool tls13 = true;        // false caps the client at TLS 1.2
  std::string server_name;  // empty: no server_name extension
  std::vector<std::string> alpn;
  std::size_t padding_extension_size = 0;  // > 0 adds a custom extension this big
};

// The bytes of the ClientHello flight; empty if OpenSSL failed.
Bytes openssl_client_hello(const OpenSslHelloOptions& options);

}  // namespace meshgate::testing
