// Sends queries for names outside the zones on to upstream resolvers with
// c-ares, on the DNS server's own io_context: c-ares's sockets are watched
// with Asio, and its timeouts run on an Asio timer. No thread of its own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/asio.h"
#include "config/config.h"

namespace meshgate::dns {

namespace asio = boost::asio;

enum class ForwardStatus {
  kAnswered,  // `response` holds the upstream's answer, with the query's id
  kFailed,    // no upstream answered (timeout, refused connection, bad reply)
  kOverload,  // too many queries already in flight; not sent
  kStopped,   // the forwarder was stopped before an answer came
};

const char* to_string(ForwardStatus status);

class Forwarder {
 public:
  using Callback = std::function<void(ForwardStatus status, std::vector<uint8_t> response)>;

  // c-ares over `forward.upstreams` (empty: the servers of /etc/resolv.conf),
  // with forward.timeout per attempt and forward.attempts attempts. Throws
  // std::runtime_error naming the problem (a bad upstream, c-ares failing).
  Forwarder(asio::io_context& io, const config::DnsForward& forward,
            std::size_t max_in_flight = 1024);
  ~Forwarder();
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  // Sends `query` (a whole DNS message, as the client sent it) upstream. The
  // callback runs exactly once, on the io_context, never inside forward(),
  // with the upstream's answer carrying the query's own id (c-ares picks its
  // own ids on the wire). An answer that came back truncated over UDP is
  // retried over TCP by c-ares.
  void forward(std::span<const uint8_t> query, Callback callback);

  // Calls every pending callback with kStopped and closes the sockets.
  // Idempotent; the destructor calls it.
  void stop();

  std::size_t in_flight() const;
  // The servers in use, "ip:port", for the log and the admin page.
  std::vector<std::string> servers() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace meshgate::dns
