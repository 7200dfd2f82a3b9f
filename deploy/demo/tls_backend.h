// A small TLS server that stands for a mesh workload: the demo's httpbin and
// reviews, and the backend of the integration tests. It terminates TLS with
// its own certificate (so a client that verifies it proves the gateway did
// not), answers an HTTP request with "hello from <name>", and echoes any
// other bytes until the client closes.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "base/asio.h"

#include <boost/asio/ssl.hpp>

namespace meshgate::demo {

struct TlsBackendOptions {
  std::string name;  // in every HTTP answer: "hello from <name>"
  std::string cert_pem;
  std::string key_pem;
  std::string client_ca_pem;         // verify client certificates against this CA
  bool require_client_cert = false;  // fail handshakes without one
};

class TlsBackend {
 public:
  TlsBackend(asio::io_context& io, const TlsBackendOptions& options);

  // Start-up only: throws std::system_error on failure.
  asio::ip::tcp::endpoint listen(const asio::ip::tcp::endpoint& at);
  void start();
  void stop();

  uint64_t handshakes() const { return handshakes_.load(); }

 private:
  using Stream = asio::ssl::stream<asio::ip::tcp::socket>;

  asio::awaitable<void> accept_loop();
  asio::awaitable<void> serve(Stream stream);
  asio::awaitable<void> answer_http(Stream& stream, std::string_view request);
  asio::awaitable<void> echo(Stream& stream, std::string first);

  std::string name_;
  asio::ssl::context tls_;
  asio::ip::tcp::acceptor acceptor_;
  std::atomic<uint64_t> handshakes_{0};
};

}  // namespace meshgate::demo
