// A blocking OpenSSL client for tests: SNI, ALPN, server verification against
// a CA with a host-name check, optional client certificate. TLS runs over
// memory BIOs pumped to the socket, so a test controls how bytes are sent.
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/support/socket.h"

namespace meshgate::testing {

struct TlsClientOptions {
  std::string sni;                // empty: no server_name extension
  std::vector<std::string> alpn;  // empty: no ALPN extension
  std::string ca_pem;             // verify the server against this CA
  std::string verify_host;        // expected name in the server certificate
  std::string cert_pem;           // optional client certificate
  std::string key_pem;
  // >0: send the first flight (the ClientHello) in pieces of this many bytes,
  // one send() each, to exercise the gateway's reassembly.
  std::size_t trickle = 0;
};

class TlsClient {
 public:
  // Connects to 127.0.0.1:port and runs the handshake.
  TlsClient(uint16_t port, const TlsClientOptions& options);
  ~TlsClient();
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  bool handshake_ok() const { return handshake_ok_; }
  // OpenSSL's reason when the handshake failed; "" otherwise.
  const std::string& error() const { return error_; }
  std::string alpn() const;
  bool write(std::string_view data);
  // Reads until `n` bytes, EOF or the timeout.
  std::string read(std::size_t n);
  // GET / and the whole answer.
  std::string http_get();
  // Sends close_notify, as a client that is done does, then closes the
  // socket once the server's close_notify or EOF arrives (bounded).
  void close();

 private:
  bool flush();  // TLS output -> socket
  bool fill();   // socket -> TLS input; false on EOF or error
  bool handshake();

  Socket socket_;
  std::size_t trickle_ = 0;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  bool handshake_ok_ = false;
  std::string error_;
};

}  // namespace meshgate::testing
