// Blocking loopback sockets for tests, every wait bounded by a receive/send
// timeout so a broken gateway fails a test instead of hanging it.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace meshgate::testing {

// 127.0.0.1:port.
sockaddr_in loopback(uint16_t port);

class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) : fd_(fd) {}
  Socket(Socket&& other) noexcept : fd_(other.release()) {}
  Socket& operator=(Socket&& other) noexcept;
  ~Socket();

  // Connects to host:port (an IP literal) with 5 s send/receive timeouts.
  static Socket connect(std::string_view host, uint16_t port);

  int fd() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release();

  bool send_all(std::span<const uint8_t> bytes);
  bool send_all(std::string_view text);
  // Reads until EOF, error or timeout, up to `limit` bytes.
  std::string read_to_eof(std::size_t limit = 1 << 20);
  // True if the peer closed (EOF or reset) within the receive timeout,
  // discarding anything it sent before.
  bool wait_closed();
  void shutdown_write();
  void set_timeout_ms(int ms);

 private:
  int fd_ = -1;
};

// A listening TCP socket on 127.0.0.1, port 0.
class Listener {
 public:
  explicit Listener(int backlog = 128);
  uint16_t port() const { return port_; }
  // Waits up to `timeout_ms` (5 s); an invalid Socket on timeout.
  Socket accept(int timeout_ms = 5000);
  void close();

 private:
  Socket socket_;
  uint16_t port_ = 0;
};

// A loopback port that refuses connections for the rest of the process: a
// socket stays bound to it without listening, so no other test can take it.
uint16_t dead_port();
// A loopback port free a moment ago (bound then closed), for a listener to
// move to; another process may take it meanwhile.
uint16_t free_port();

// A loopback listener whose accept queue is full and never drained, so the
// kernel drops further SYNs: a connect to it hangs until its timeout.
class Blackhole {
 public:
  Blackhole();
  uint16_t port() const { return listener_.port(); }

 private:
  Listener listener_{0};
  std::vector<Socket> fillers_;
};

// What the next recv() on `socket` sees: "data", "eof", "reset" or "timeout".
std::string next_event(Socket& socket);

// Closes `socket` abortively: SO_LINGER 0, so the kernel sends an RST.
void reset_close(Socket& socket);

}  // namespace meshgate::testing
