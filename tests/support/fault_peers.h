// Misbehaving peers and process-level probes for fault-injection tests: a
// backend that closes every connection as soon as it accepts it, random
// bytes for any port, registry files that must be refused, descriptor
// exhaustion in this process, and the heap and CPU this process uses.
#pragma once

#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tests/support/socket.h"

namespace meshgate::testing {

// Bytes of heap in use in this process: every glibc arena (mallinfo2's
// uordblks) plus chunks mapped on their own (hblkhd), which large buffers get.
std::size_t heap_in_use();

// User plus system CPU time of this process so far.
std::chrono::microseconds process_cpu_time();

// Raises the soft RLIMIT_NOFILE to the hard limit; returns the soft limit.
std::size_t raise_descriptor_limit();

// Non-blocking look at a socket: true when the peer has closed it (EOF or
// reset is pending), without consuming data that may precede it.
bool peer_closed(const Socket& socket);

// A loopback backend that accepts every connection and closes it at once,
// before reading anything: with an RST (`reset`) or with a plain close(),
// which the kernel turns into an RST too if bytes arrived unread.
class AbruptBackend {
 public:
  explicit AbruptBackend(bool reset);
  ~AbruptBackend();
  AbruptBackend(const AbruptBackend&) = delete;
  AbruptBackend& operator=(const AbruptBackend&) = delete;

  uint16_t port() const { return listener_.port(); }
  int accepted() const { return accepted_.load(); }

 private:
  void run();

  Listener listener_;
  bool reset_ = false;
  std::atomic<int> accepted_{0};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

// A loopback backend that accepts every connection, reads and drops what
// arrives, and never answers or closes until destroyed: a stopped process
// whose kernel still completes handshakes, or a port whose server hangs.
class SilentBackend {
 public:
  SilentBackend();
  ~SilentBackend();
  SilentBackend(const SilentBackend&) = delete;
  SilentBackend& operator=(const SilentBackend&) = delete;

  uint16_t port() const { return listener_.port(); }
  int accepted() const { return accepted_.load(); }
  std::size_t bytes_received() const { return received_.load(); }

 private:
  void run();

  Listener listener_;
  std::atomic<int> accepted_{0};
  std::atomic<std::size_t> received_{0};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

// While alive, this process has no free descriptor: the soft RLIMIT_NOFILE
// is lowered to a little above the lowest free descriptor and every number
// under it is taken by a filler, so the next socket() or accept() fails with
// EMFILE. release() (or the destructor) frees them and restores the limit.
class DescriptorExhaustion {
 public:
  DescriptorExhaustion();
  ~DescriptorExhaustion() { release(); }
  DescriptorExhaustion(const DescriptorExhaustion&) = delete;
  DescriptorExhaustion& operator=(const DescriptorExhaustion&) = delete;

  // True once the table is full (the last filler failed with EMFILE).
  bool exhausted() const { return exhausted_; }
  // Takes back every slot another thread freed since (a socket the gateway
  // closed late, a file a poller had open), so the table stays full while a
  // test waits; true when it is full again.
  bool refill();
  void release();

 private:
  rlimit saved_{};
  bool lowered_ = false;
  bool exhausted_ = false;
  std::vector<int> fillers_;
};

// Random bytes of `size` from `rng`.
std::vector<uint8_t> random_bytes(std::mt19937& rng, std::size_t size);

// One datagram of `bytes` to 127.0.0.1:`port`, from an ephemeral port.
bool send_datagram(uint16_t port, const std::vector<uint8_t>& bytes);

// Registry-file contents that must be refused, each distinct (a repeat of
// the same failure is not counted again), named: invalid YAML, wrong types,
// a port out of range, binary noise, an alias bomb...
std::vector<std::pair<std::string, std::string>> garbage_registries();

}  // namespace meshgate::testing
