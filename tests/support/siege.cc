#include "tests/support/siege.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

namespace meshgate::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// A closed siege connection is opened again after this, not at once: the
// attacker holds its slots without spinning when the server refuses them.
constexpr milliseconds kReconnectPause{20};
constexpr milliseconds kPollStep{10};

sockaddr_in address_of(const std::string& ip, uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (::inet_pton(AF_INET, ip.c_str(), &addr.sin_addr) != 1 ||
      (ntohl(addr.sin_addr.s_addr) >> 24) != 127) {
    throw std::invalid_argument("siege sources are in 127.0.0.0/8 only: " + ip);
  }
  return addr;
}

bool wait_for(int fd, short events, milliseconds timeout) {
  pollfd p{fd, events, 0};
  return ::poll(&p, 1, static_cast<int>(timeout.count())) == 1 && (p.revents & events) != 0;
}

// Reads and drops what is there; false once the peer has closed or reset.
bool drain(int fd) {
  char sink[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, sink, sizeof sink, MSG_DONTWAIT);
    if (n > 0) continue;
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
}

}  // namespace

Socket connect_from(const std::string& source, uint16_t port) {
  Socket socket(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
  if (!socket.valid()) return Socket();
  sockaddr_in local = address_of(source, 0);
  sockaddr_in remote = address_of("127.0.0.1", port);
  // The port is chosen at connect(), against the whole 4-tuple: a port picked
  // at bind() may pair with one of the server's TIME_WAIT entries, whose SYN
  // then waits a second for its retransmission.
  const int one = 1;
  ::setsockopt(socket.fd(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
  if (::bind(socket.fd(), reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) return Socket();
  if (::connect(socket.fd(), reinterpret_cast<sockaddr*>(&remote), sizeof remote) != 0 &&
      errno != EINPROGRESS) {
    return Socket();
  }
  if (!wait_for(socket.fd(), POLLOUT, milliseconds(2000))) return Socket();
  int error = 0;
  socklen_t size = sizeof error;
  if (::getsockopt(socket.fd(), SOL_SOCKET, SO_ERROR, &error, &size) != 0 || error != 0) {
    return Socket();
  }
  // Blocking from here on, as every test Socket is (waits bounded by timeouts).
  ::fcntl(socket.fd(), F_SETFL, ::fcntl(socket.fd(), F_GETFL) & ~O_NONBLOCK);
  socket.set_timeout_ms(5000);
  return socket;
}

std::string siege_source(std::size_t index) {
  const std::size_t host = index % 253 + 2;
  const std::size_t subnet = index / 253;
  return "127.0." + std::to_string(subnet) + "." + std::to_string(host);
}

Siege::Siege(SiegeOptions options) : options_(std::move(options)) {
  if (options_.modes.empty() || options_.sources == 0) {
    throw std::invalid_argument("a siege needs modes and sources");
  }
  held_.resize(options_.connections);
  for (std::size_t i = 0; i < held_.size(); ++i) {
    held_[i].mode = options_.modes[i % options_.modes.size()];
    held_[i].source = siege_source(i % options_.sources);
  }
  thread_ = std::thread([this] { run(); });
}

void Siege::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

void Siege::open_one(Held& held) {
  held.socket = connect_from(held.source, options_.port);
  if (!held.socket.valid()) return;
  ++made_;
  ++open_;
  held.next_byte = Clock::now();
  const std::string first = held.mode == SiegeMode::kKeepAlive    ? options_.request
                            : held.mode == SiegeMode::kSlowHeader ? "GET / HTTP/1.1\r\nX-Slow: "
                                                                  : "";
  if (!first.empty()) ::send(held.socket.fd(), first.data(), first.size(), MSG_NOSIGNAL);
}

void Siege::tick(Held& held, Clock::time_point now) {
  if (!held.socket.valid()) {
    if (now < held.next_byte) return;
    open_one(held);
    if (!held.socket.valid()) held.next_byte = now + kReconnectPause;  // try again later
    return;
  }
  if (!drain(held.socket.fd())) {
    held.socket = Socket();
    --open_;
    held.next_byte = now + kReconnectPause;
    return;
  }
  if (held.mode == SiegeMode::kSlowHeader && now >= held.next_byte) {
    ::send(held.socket.fd(), "a", 1, MSG_NOSIGNAL);
    held.next_byte = now + options_.trickle;
  }
}

void Siege::run() {
  const Clock::time_point end = Clock::now() + options_.bound;
  std::vector<pollfd> fds;
  while (!stopping_ && Clock::now() < end) {
    fds.clear();
    for (const Held& held : held_) {
      if (held.socket.valid()) fds.push_back({held.socket.fd(), POLLIN | POLLRDHUP, 0});
    }
    ::poll(fds.data(), fds.size(), static_cast<int>(kPollStep.count()));
    const Clock::time_point now = Clock::now();
    for (Held& held : held_)
      tick(held, now);
  }
  for (Held& held : held_) {
    if (held.socket.valid()) --open_;
    held.socket = Socket();
  }
}

ProbeResult probe(uint16_t port, const std::string& target, milliseconds timeout) {
  const Clock::time_point began = Clock::now();
  const auto left = [&] {
    return std::max(milliseconds(1),
                    std::chrono::duration_cast<milliseconds>(began + timeout - Clock::now()));
  };
  ProbeResult result;
  Socket socket(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
  sockaddr_in remote = address_of("127.0.0.1", port);
  if (::connect(socket.fd(), reinterpret_cast<sockaddr*>(&remote), sizeof remote) != 0 &&
      errno != EINPROGRESS) {
    return result;
  }
  const std::string request =
      "GET " + target + " HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n";
  if (!wait_for(socket.fd(), POLLOUT, left()) ||
      ::send(socket.fd(), request.data(), request.size(), MSG_NOSIGNAL) !=
          static_cast<ssize_t>(request.size())) {
    return result;
  }
  std::string response;
  char buffer[4096];
  while (Clock::now() < began + timeout && wait_for(socket.fd(), POLLIN, left())) {
    const ssize_t n = ::recv(socket.fd(), buffer, sizeof buffer, 0);
    if (n <= 0) break;
    response.append(buffer, static_cast<std::size_t>(n));
  }
  result.took = std::chrono::duration_cast<milliseconds>(Clock::now() - began);
  if (result.took <= timeout && response.starts_with("HTTP/1.1 ") && response.size() >= 12) {
    result.status = std::stoi(response.substr(9, 3));
  }
  return result;
}

}  // namespace meshgate::testing
