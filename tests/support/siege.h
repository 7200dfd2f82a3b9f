// An attacker for the ports a LoadBalancer publishes: many TCP connections
// from many loopback source addresses (127.0.0.2, 127.0.0.3, ...), each of
// which holds its slot as cheaply as it can and reconnects whenever the
// server closes it. It runs on its own thread, with poll(), until stop() or
// its time bound, and never sends anything but to 127.0.0.1.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/socket.h"

namespace meshgate::testing {

// Connects to 127.0.0.1:port from `source` (an address in 127.0.0.0/8)
// within 2 s; invalid on failure. A blocking socket with 5 s timeouts, like
// Socket::connect()'s.
Socket connect_from(const std::string& source, uint16_t port);

// The 127.0.0.x source of attacker number `index` (x from 2 up; wraps to
// 127.0.1.x past 254).
std::string siege_source(std::size_t index);

// How one siege connection holds its slot.
enum class SiegeMode {
  kIdle,        // connects and sends nothing
  kSlowHeader,  // sends a request line, then one header byte now and then
  kKeepAlive,   // sends one complete HTTP request, then sits on the open connection
};

struct SiegeOptions {
  uint16_t port = 0;
  std::size_t connections = 0;                     // held at once
  std::size_t sources = 1;                         // spread round robin over this many addresses
  std::vector<SiegeMode> modes{SiegeMode::kIdle};  // round robin over connections
  std::string request = "GET /healthz/ready HTTP/1.1\r\nHost: x\r\n\r\n";  // kKeepAlive
  std::chrono::milliseconds trickle{100};   // kSlowHeader: a byte this often
  std::chrono::milliseconds bound{60'000};  // stops by itself after this
};

class Siege {
 public:
  explicit Siege(SiegeOptions options);
  ~Siege() { stop(); }
  Siege(const Siege&) = delete;
  Siege& operator=(const Siege&) = delete;

  void stop();
  // Connections open now, and made in all (reconnects included).
  std::size_t open() const { return open_.load(); }
  std::size_t made() const { return made_.load(); }
  // True once every connection has been opened at least once.
  bool holding() const { return made_.load() >= options_.connections; }

 private:
  struct Held {
    Socket socket;
    SiegeMode mode = SiegeMode::kIdle;
    std::string source;
    std::chrono::steady_clock::time_point next_byte;
  };

  void run();
  void open_one(Held& held);
  void tick(Held& held, std::chrono::steady_clock::time_point now);

  SiegeOptions options_;
  std::vector<Held> held_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> open_{0};
  std::atomic<std::size_t> made_{0};
  std::thread thread_;
};

// One kubelet-style probe: a new connection, `GET target` with
// Connection: close, everything within `timeout`. The status (0: none in
// time) and how long it took.
struct ProbeResult {
  int status = 0;
  std::chrono::milliseconds took{0};
};
ProbeResult probe(uint16_t port, const std::string& target, std::chrono::milliseconds timeout);

}  // namespace meshgate::testing
