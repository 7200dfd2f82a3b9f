// A stand-in DNS server on 127.0.0.1 (UDP, port 0), on a thread of its own:
// A and AAAA answers for the names a test sets, NXDOMAIN for the others,
// SERVFAIL or silence when the test asks for them. For c-ares clients
// (net/dns, the xDS source's DNS clusters).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace meshgate::testing {

class FakeDns {
 public:
  enum class Mode { kAnswer, kServFail, kSilent };

  FakeDns();
  ~FakeDns();
  FakeDns(const FakeDns&) = delete;
  FakeDns& operator=(const FakeDns&) = delete;

  uint16_t port() const;
  std::string server() const;  // "127.0.0.1:PORT"

  // `name` (lower case, no trailing dot) answers with these IP literals,
  // v4 to A queries and v6 to AAAA ones, in this order, with `ttl`.
  void set(const std::string& name, std::vector<std::string> addresses, uint32_t ttl = 30);
  void remove(const std::string& name);  // NXDOMAIN from now on
  void set_mode(Mode mode);
  // Queries received for `name` (any type).
  uint64_t queries(const std::string& name) const;
  // Waits (bounded) until `name` has been asked at least `count` times.
  bool wait_for_queries(const std::string& name, uint64_t count, int timeout_ms = 10'000) const;

  struct Record {
    std::vector<std::string> addresses;
    uint32_t ttl = 30;
  };

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace meshgate::testing
