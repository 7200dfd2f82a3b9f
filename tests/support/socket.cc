#include "tests/support/socket.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace meshgate::testing {
sockaddr_in loopback(uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

namespace {

sockaddr* as_sockaddr(sockaddr_in& addr) {
  return reinterpret_cast<sockaddr*>(&addr);
}

}  // namespace

Socket& Socket::operator=(Socket&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.release();
  }
  return *this;
}

Socket::~Socket() {
  if (fd_ >= 0) ::close(fd_);
}

int Socket::release() {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

Socket Socket::connect(std::string_view host, uint16_t port) {
  if (host != "127.0.0.1") throw std::invalid_argument("tests connect to 127.0.0.1 only");
  Socket socket(::socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in addr = loopback(port);
  if (::connect(socket.fd(), as_sockaddr(addr), sizeof addr) != 0) return Socket();
  const int one = 1;
  ::setsockopt(socket.fd(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  socket.set_timeout_ms(5000);
  return socket;
}

void Socket::set_timeout_ms(int ms) {
  timeval tv{ms / 1000, (ms % 1000) * 1000};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

bool Socket::send_all(std::span<const uint8_t> bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

bool Socket::send_all(std::string_view text) {
  return send_all({reinterpret_cast<const uint8_t*>(text.data()), text.size()});
}

std::string Socket::read_to_eof(std::size_t limit) {
  std::string out;
  char buffer[16384];
  while (out.size() < limit) {
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    out.append(buffer, static_cast<std::size_t>(n));
  }
  return out;
}

bool Socket::wait_closed() {
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n == 0) return true;
    if (n < 0) return errno == ECONNRESET;  // EAGAIN: the timeout passed, still open
  }
}

void Socket::shutdown_write() {
  ::shutdown(fd_, SHUT_WR);
}

Listener::Listener(int backlog) : socket_(::socket(AF_INET, SOCK_STREAM, 0)) {
  sockaddr_in addr = loopback(0);
  if (::bind(socket_.fd(), as_sockaddr(addr), sizeof addr) != 0 ||
      ::listen(socket_.fd(), backlog) != 0) {
    throw std::runtime_error("test listener: bind/listen failed");
  }
  socklen_t len = sizeof addr;
  ::getsockname(socket_.fd(), as_sockaddr(addr), &len);
  port_ = ntohs(addr.sin_port);
}

Socket Listener::accept(int timeout_ms) {
  pollfd p{socket_.fd(), POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) != 1) return Socket();
  Socket accepted(::accept(socket_.fd(), nullptr, nullptr));
  if (accepted.valid()) accepted.set_timeout_ms(5000);
  return accepted;
}

void Listener::close() {
  socket_ = Socket();
}

uint16_t free_port() {
  Listener listener;
  const uint16_t port = listener.port();
  listener.close();
  return port;
}

// A port that refuses connections and that no other test can take: a socket
// stays bound to it, never listening, for the rest of the process. (A port
// merely closed again could be bound by a test running in parallel, and a
// connect meant to fail would succeed.)
uint16_t dead_port() {
  static std::mutex mutex;
  static std::vector<int> held;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    ::close(fd);
    return 0;
  }
  const std::lock_guard lock(mutex);
  held.push_back(fd);
  return ntohs(address.sin_port);
}

}  // namespace meshgate::testing

namespace meshgate::testing {

Blackhole::Blackhole() {
  // Backlog 0 queues one connection; non-blocking connects fill the queue.
  for (int i = 0; i < 3; ++i) {
    Socket filler(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
    sockaddr_in addr = loopback(listener_.port());
    ::connect(filler.fd(), as_sockaddr(addr), sizeof addr);
    fillers_.push_back(std::move(filler));
  }
}

std::string next_event(Socket& socket) {
  char byte;
  const ssize_t n = ::recv(socket.fd(), &byte, 1, 0);
  if (n > 0) return "data";
  if (n == 0) return "eof";
  if (errno == ECONNRESET) return "reset";
  return errno == EAGAIN || errno == EWOULDBLOCK ? "timeout" : "error";
}

void reset_close(Socket& socket) {
  const linger abortive{1, 0};
  ::setsockopt(socket.fd(), SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive);
  socket = Socket();
}

}  // namespace meshgate::testing
