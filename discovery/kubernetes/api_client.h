// The Kubernetes API client: GET requests to the API server over TLS, on one
// HTTP/2 connection shared by every request when the server offers h2 (as
// client-go multiplexes its watches), else on one HTTP/1.1 connection per
// request. Knows nothing of Kubernetes objects: it moves responses, as
// they arrive, to the caller's ResponseSink.
//
// Runs on one io_context thread; every method is called on it. The bearer
// token is re-read from its file for every request, so a rotated
// service-account token is picked up without a restart.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>

#include "discovery/kubernetes/kubeconfig.h"
#include "net/http/response_sink.h"
#include "net/http/tls_dial.h"

namespace meshgate::net::http {
class H2Connection;
class H1Request;
}  // namespace meshgate::net::http

namespace meshgate::discovery::kube {

// What of `access` the TLS layer needs: the CA and the client certificate;
// and whom to dial at `url`: the name to verify, or no verification at all.
net::http::TlsCredentials tls_credentials(const ApiAccess& access);
net::http::DialTarget dial_target(const ApiAccess& access, const net::http::ServerUrl& url);

struct ApiClientOptions {
  std::chrono::milliseconds connect_timeout{10'000};  // TCP connect and TLS handshake
  std::chrono::milliseconds ping_interval{30'000};    // HTTP/2 liveness check
};

struct ApiClientStats {
  uint64_t connects = 0;          // TLS connections established
  uint64_t connect_failures = 0;  // dials that failed or timed out
  std::string protocol;           // of the newest connection: "h2", "http/1.1", ""
  std::string last_error;         // of the newest failed dial
};

class ApiClient {
 public:
  using RequestId = uint64_t;

  // Null with *error when `access` cannot be used (bad server URL, a CA or
  // client certificate that does not load).
  static std::unique_ptr<ApiClient> create(asio::io_context& io, const ApiAccess& access,
                                           ApiClientOptions options, std::string* error);
  ~ApiClient();
  ApiClient(const ApiClient&) = delete;
  ApiClient& operator=(const ApiClient&) = delete;

  // GET `path` (with query; the server URL's base path is prepended). The
  // sink's on_close is called exactly once, also when no connection can be
  // made, unless cancel() or stop() comes first. The whole response is
  // bounded by `deadline` (then on_close("timed out")).
  RequestId get(const std::string& path, std::chrono::milliseconds deadline,
                net::http::ResponseSink sink);
  // Ends a request; its sink is not called again.
  void cancel(RequestId id);
  // Closes every connection; no sink is called again.
  void stop();

  const ApiClientStats& stats() const { return stats_; }

 private:
  struct Active;
  ApiClient(asio::io_context& io, ApiAccess access, net::http::ServerUrl url,
            std::shared_ptr<asio::ssl::context> context, ApiClientOptions options);

  void start_h2(RequestId id);
  void start_h1(RequestId id, std::unique_ptr<net::http::TlsStream> stream);
  void dial_for(RequestId id);  // HTTP/1.1: a connection of its own
  void dial_shared();           // learns the protocol; HTTP/2: the shared connection
  void on_shared_dialed(net::http::Dialed dialed);
  std::unique_ptr<Active> take(RequestId id);
  void fail(RequestId id, const std::string& error);
  net::http::ResponseSink forwarder(RequestId id);
  std::vector<std::pair<std::string, std::string>> headers();
  std::string authority() const;

  asio::io_context& io_;
  ApiAccess access_;
  net::http::ServerUrl url_;
  std::shared_ptr<asio::ssl::context> context_;
  ApiClientOptions options_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // handlers check it
  RequestId next_id_ = 0;
  std::map<RequestId, std::unique_ptr<Active>> active_;
  std::deque<RequestId> waiting_;  // for the shared dial
  bool dialing_ = false;
  bool h2_ = false;  // the server's last answer to ALPN
  std::shared_ptr<net::http::H2Connection> connection_;
  std::string token_;  // the last token read
  bool token_unreadable_ = false;
  ApiClientStats stats_;
};

}  // namespace meshgate::discovery::kube
