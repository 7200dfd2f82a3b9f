// The stand-in Kubernetes API server's connections: TLS, then HTTP/2 (over
// nghttp2) or HTTP/1.1 as ALPN chose, and the seams between them and the
// store (Request, Exchange, WatchSink, Router). Internal to
// kube_apiserver*.cc. Everything here runs on the server's one io thread.
#pragma once

#include <boost/asio/ssl.hpp>
#include <memory>
#include <string>

#include "base/asio.h"
#include "tests/support/kube_apiserver.h"

namespace meshgate::testing::detail {

struct Request {
  std::string protocol;
  std::string method;
  std::string target;
  std::string authorization;
  bool client_certificate = false;
  std::string body;  // HTTP/1.1 only: HTTP/2 request bodies are not read
};

// One streaming response (a watch). Inactive once ended or once its
// stream or connection is gone; then send and end do nothing.
class WatchSink {
 public:
  virtual ~WatchSink() = default;
  virtual void send(const std::string& line) = 0;
  virtual void end() = 0;  // the clean end of the response
  virtual bool active() const = 0;
};

// The answer to one request: either a whole response or a stream.
class Exchange {
 public:
  virtual ~Exchange() = default;
  virtual void respond(int status, const std::string& body) = 0;
  virtual std::shared_ptr<WatchSink> open_stream() = 0;  // 200, then lines
  bool answered() const { return answered_; }

 protected:
  bool answered_ = false;
};

// The store's side: answers each request through its exchange.
class Router {
 public:
  virtual ~Router() = default;
  virtual void serve(const Request& request, Exchange& exchange) = 0;
};

// One accepted client connection; it serves itself until it ends or is
// closed.
class Connection {
 public:
  virtual ~Connection() = default;
  // Abrupt: no close_notify, no GOAWAY, as a crash or a cut cable.
  virtual void close() = 0;
};

// TLS 1.2 or later with the options' certificate; a client certificate is
// asked for (not required) when options.client_ca_pem is set; ALPN picks h2
// (when options.offer_h2) or http/1.1. `options` must outlive `tls`.
void configure_tls(asio::ssl::context& tls, const KubeApiServerOptions& options);

// Handshakes on `socket`, then hands every request to `router`. The
// connection keeps itself alive while it has work pending.
std::shared_ptr<Connection> start_connection(Router& router, asio::ip::tcp::socket socket,
                                             asio::ssl::context& tls);

}  // namespace meshgate::testing::detail
