// DNS over TCP (RFC 7766): each message behind a 2-byte length, several
// queries per connection, answered in order. A connection is closed after
// dns.tcp_idle without a complete query, or when a reply cannot be written
// within that time. Port 53 faces the internet, so nobody can hold it: a new
// connection past dns.max_tcp_connections closes the one that has gone
// longest without an answered query (base/connection_table.h) and is served.
// The server owns its connections and closes them all on stop().
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>

#include "base/asio.h"
#include "base/connection_table.h"
#include "config/config.h"
#include "dns-global/resolve.h"
#include "dns-global/stats.h"

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
  void serve(asio::ip::tcp::socket socket, const asio::ip::tcp::endpoint& peer);
  void make_room(const base::PrefixKey& client);

  asio::ip::tcp::acceptor acceptor_;
  asio::ip::tcp::endpoint local_;
  Resolve resolve_;
  DnsStats& stats_;
  config::Duration idle_;
  base::ConnectionTable table_;  // open connections, stalest first
  std::unordered_map<uint64_t, std::shared_ptr<TcpConnection>> connections_;
  uint64_t next_id_ = 0;
  bool stopped_ = false;
};

}  // namespace meshgate::dns
