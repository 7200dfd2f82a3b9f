// One HTTP/2 connection to the API server: an H2Session (nghttp2, no I/O)
// driven over a TLS stream. Every request of the client shares it as a
// stream. An idle connection is checked with PING; one that does not answer
// in time is closed, so a dead API server is noticed even when no watch has
// anything to say.
#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <string>

#include "net/http/h2_session.h"
#include "net/http/tls_dial.h"

namespace meshgate::net::http {

class H2Connection : public std::enable_shared_from_this<H2Connection> {
 public:
  // `authority` is the :authority of every request ("host:port").
  H2Connection(std::unique_ptr<TlsStream> stream, std::string authority,
               std::chrono::milliseconds ping_interval);

  void start();  // starts reading, writing the preface, and the PING timer

  // Starts a GET; -1 when this connection takes no more streams (then the
  // sink is not called).
  int32_t get(const std::string& path, const H2Session::Headers& headers, ResponseSink sink);
  void cancel(int32_t stream_id);

  // Closes the connection; every open stream ends with "connection lost:
  // <reason>".
  void close(const std::string& reason);
  bool usable() const { return !closed_ && session_.alive(); }

 private:
  void read();
  void flush();
  void arm_ping();

  std::unique_ptr<TlsStream> stream_;
  std::string authority_;
  std::chrono::milliseconds ping_interval_;
  H2Session session_;
  asio::steady_timer ping_timer_;
  uint64_t pings_sent_ = 0;
  bool closed_ = false;
  bool writing_ = false;
  bool receiving_ = false;  // inside session_.receive()
  std::string pending_;     // output waiting for the write in flight
  std::string sending_;     // the write in flight
  std::array<char, 16 * 1024> read_buffer_{};
};

}  // namespace meshgate::net::http
