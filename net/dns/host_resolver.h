// Host names to IP addresses with c-ares (ares_getaddrinfo: /etc/hosts, then
// DNS with the search domains of /etc/resolv.conf), on an Asio io_context.
// For clusters whose endpoints are host names (Envoy's STRICT_DNS and
// LOGICAL_DNS): the addresses in the order the answer gave them, and the
// answer's smallest TTL.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/ip.h"
#include "net/dns/ares_channel.h"

namespace meshgate::net::dns {

enum class Family { kV4, kV6, kAny };

enum class LookupStatus {
  kFound,    // at least one address
  kNoName,   // the name does not exist, or has no address of the family
  kFailed,   // no server answered, or answered with an error
  kStopped,  // the resolver stopped first
  kBadName,  // not a host name c-ares will look up (empty, too long)
};
const char* to_string(LookupStatus status);

struct Lookup {
  LookupStatus status = LookupStatus::kFailed;
  std::vector<base::IpAddress> addresses;  // kFound: in the answer's order, no repeats
  std::chrono::seconds ttl{0};             // kFound: the smallest TTL of the addresses
};

class HostResolver {
 public:
  using Callback = std::function<void(Lookup lookup)>;

  // Throws std::runtime_error as AresChannel::open does.
  HostResolver(asio::io_context& io, const AresOptions& options);
  ~HostResolver();  // stop()
  HostResolver(const HostResolver&) = delete;
  HostResolver& operator=(const HostResolver&) = delete;

  // The callback runs exactly once, on the io_context, never inside resolve().
  void resolve(const std::string& host, Family family, Callback callback);
  // Every pending callback runs with kStopped. Idempotent.
  void stop();
  std::size_t in_flight() const { return *in_flight_; }

 private:
  asio::io_context& io_;
  std::shared_ptr<AresChannel> channel_;
  std::shared_ptr<std::size_t> in_flight_ = std::make_shared<std::size_t>(0);
};

}  // namespace meshgate::net::dns
