// A small HTTP/1.1 server (Boost.Beast) for the health, metrics and admin
// ports. It runs on the control thread's io_context, never on a worker, so a
// bad or slow client here cannot touch the data path. Every request is bounded:
// header bytes, body bytes, time to read a whole request, idle keep-alive time
// and open connections. Bad input gets 400/413/431 and a close, never a crash.
// The ports it serves face the internet (the LoadBalancer publishes health
// and metrics), so no client can keep them: when a new connection would go
// over the total or its client's cap, the connection that has gone longest
// without finishing a request is closed to make room (base/connection_table.h),
// and a probe on a fresh connection is always served.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/asio.h"

namespace meshgate::net::http {

struct HttpRequest {
  std::string method;  // "GET", "HEAD", ...
  std::string target;  // path and query, as sent: "/stats/prometheus?x=1"
};

struct HttpResponse {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

// Called on the server's io_context thread; must not block for long.
using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct HttpServerLimits {
  std::size_t max_header_bytes = 8 * 1024;
  std::size_t max_body_bytes = 64 * 1024;
  // From accept to the end of the first request; from the first byte to the
  // end of each later one. Also bounds writing a response.
  std::chrono::milliseconds request_timeout{3'000};
  std::chrono::milliseconds idle_timeout{30'000};  // keep-alive wait for the next request
  std::size_t max_connections = 512;               // in all; a newcomer evicts the stalest
  // From one IPv4 address or IPv6 /64; a newcomer evicts that client's
  // stalest. 0: no per-client cap.
  std::size_t max_connections_per_client = 8;
};

struct HttpServerStats {
  uint64_t connections = 0;   // accepted and served
  uint64_t requests = 0;      // answered by the handler
  uint64_t bad_requests = 0;  // unparsable, header or body too large: 4xx and close
  uint64_t timeouts = 0;      // request or idle timeout: closed
  uint64_t evicted = 0;       // closed to make room: max_connections were open
  uint64_t client_cap = 0;    // closed to make room: its client had its cap open
};

class HttpServer {
 public:
  // `name` appears in log lines ("health", "metrics", "admin").
  HttpServer(asio::io_context& io, std::string name, HttpHandler handler,
             HttpServerLimits limits = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens (SO_REUSEADDR, no SO_REUSEPORT) and starts accepting.
  // Called again while running, binds the new address first and only then
  // closes the old acceptor; open connections are kept. Throws
  // std::system_error "cannot listen on ADDR:PORT" on failure, leaving the
  // previous acceptor (if any) serving. Call on the io_context's thread or
  // before it runs.
  asio::ip::tcp::endpoint listen(const asio::ip::tcp::endpoint& at);
  // Closes the acceptor and every connection. Idempotent. Same thread rule.
  void stop();
  // New limits for new connections and requests (a reload). Same thread rule.
  void set_limits(const HttpServerLimits& limits);

  asio::ip::tcp::endpoint local_endpoint() const;  // thread-safe
  HttpServerStats stats() const;                   // thread-safe

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace meshgate::net::http
