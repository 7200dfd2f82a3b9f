// DNS over TCP (RFC 7766): each message behind a 2-byte length, several
// queries per connection, answered in order. A connection is closed after
// dns.tcp_idle without a complete query, or when a reply cannot be written
// within that time; connections over dns.max_tcp_connections are closed at
// once. The server owns its connections and closes them all on stop().
#pragma once

#include <cstdint>
#include <memory>
#include <set>

#include "config/config.h"
#include "dns-global/resolve.h"
#include "dns-global/stats.h"
#include "gateway/asio.h"

namespace meshgate::dns {

namespace asio = boost::asio;

class TcpConnection;

class TcpServer {
 public:
  // Binds `at`; throws std::system_error.
  TcpServer(asio::io_context& io, const asio::ip::tcp::endpoint& at, Resolve resolve,
            DnsStats& stats, config::Duration idle, uint32_t max_connections);
  ~TcpServer();
  TcpServer(const TcpServer&) = delete;
  TcpServer& operator=(const TcpServer&) = delete;

  void start();
  void stop();  // closes the acceptor and every connection
  asio::ip::tcp::endpoint local_endpoint() const { return local_; }

 private:
  asio::awaitable<void> accept_loop();
  void serve(asio::ip::tcp::socket socket);

  asio::ip::tcp::acceptor acceptor_;
  asio::ip::tcp::endpoint local_;
  Resolve resolve_;
  DnsStats& stats_;
  config::Duration idle_;
  uint32_t max_connections_;
  std::set<std::shared_ptr<TcpConnection>> connections_;
  bool stopped_ = false;
};

}  // namespace meshgate::dns
