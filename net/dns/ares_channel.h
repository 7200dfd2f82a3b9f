// One c-ares channel driven by an Asio io_context: c-ares says which sockets
// it wants watched (its sock-state callback); each gets a stream_descriptor
// that only waits for readiness (c-ares does every read, write and close),
// and one steady_timer runs c-ares's timeouts. Everything runs on the
// io_context's thread. The users (the forwarder of dns-global, the host
// resolver here) submit their queries to channel() and then call kick().
#pragma once

#include <ares.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/asio.h"

namespace meshgate::net::dns {

namespace asio = boost::asio;

struct AresOptions {
  // "ip", "ip:port", "[v6]:port": the servers to ask; empty: /etc/resolv.conf's.
  std::vector<std::string> servers;
  std::chrono::milliseconds timeout{2'000};  // per attempt
  uint32_t attempts = 2;
  // Hand SERVFAIL, NOTIMP and REFUSED answers back as answers (a forwarder
  // passes the upstream's rcode on) instead of trying the next server.
  bool pass_error_answers = false;
  // The config key the options came from, for error messages.
  std::string key = "dns";
};

class AresChannel : public std::enable_shared_from_this<AresChannel> {
 public:
  // Throws std::runtime_error naming options.key and the problem (a bad
  // server, c-ares failing to start).
  static std::shared_ptr<AresChannel> open(asio::io_context& io, const AresOptions& options);
  ~AresChannel();
  AresChannel(const AresChannel&) = delete;
  AresChannel& operator=(const AresChannel&) = delete;

  // nullptr once stopped.
  ares_channel channel() const { return channel_; }
  // Re-arms the timeout timer: call after submitting a query.
  void kick();
  // Ends every pending query (their callbacks run with ARES_EDESTRUCTION)
  // and stops watching. Idempotent.
  void stop();
  // The servers in use, "ip:port" or "[v6]:port".
  const std::vector<std::string>& servers() const { return servers_; }

 private:
  struct Watch;
  explicit AresChannel(asio::io_context& io);
  void init(const AresOptions& options);
  static void on_sock_state(void* data, ares_socket_t fd, int readable, int writable);
  void socket_state(int fd, bool readable, bool writable);
  void wait(const std::shared_ptr<Watch>& watch, bool for_write);
  void on_ready(const std::shared_ptr<Watch>& watch, bool for_write);
  static void release(Watch& watch);

  asio::io_context& io_;
  asio::steady_timer timer_;
  ares_channel channel_ = nullptr;
  std::unordered_map<int, std::shared_ptr<Watch>> watches_;
  std::vector<std::string> servers_;
};

}  // namespace meshgate::net::dns
