// Endpoint addresses the gateway never dials, whatever a registry says:
// - its own listening sockets (and its advertised addresses on its ports),
//   where a ServiceEntry or WorkloadEntry pointing at the gateway would make
//   one ClientHello chain through it until every descriptor is gone;
// - loopback, link-local (169.254.169.254 is the cloud metadata service)
//   and unspecified addresses, which no mesh endpoint has, unless
//   passthrough.allow_loopback_endpoints (the demo's backends are on
//   127.0.0.1).
// Checked when routes are built, off the data path; refused endpoints are
// counted per reason. Immutable once made.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/asio.h"
#include "config/config.h"

namespace meshgate::gateway {

enum class TargetRefusal : uint8_t { kNone, kLoopback, kSelf };

const char* to_string(TargetRefusal refusal);

class TargetGuard {
 public:
  struct Socket {
    asio::ip::address address;  // unspecified: every address of this host
    uint16_t port = 0;
    bool operator==(const Socket&) const = default;
  };

  TargetGuard() = default;  // refuses nothing
  TargetGuard(bool allow_loopback, std::vector<Socket> listening,
              std::vector<asio::ip::address> host_addresses,
              std::vector<asio::ip::address> advertised);

  TargetRefusal check(const asio::ip::tcp::endpoint& endpoint) const;
  bool operator==(const TargetGuard&) const = default;

 private:
  bool is_local(const asio::ip::address& address) const;

  bool allow_loopback_ = true;
  std::vector<Socket> listening_;
  std::vector<asio::ip::address> host_addresses_;
  std::vector<asio::ip::address> advertised_;
};

// The guard for `config`: every listener of it (with `bound` giving the
// ports actually bound where the config says 0), this host's interface
// addresses, and the DNS zones' advertised addresses.
TargetGuard make_target_guard(const config::Config& config,
                              std::span<const TargetGuard::Socket> bound = {});

// This host's interface addresses (getifaddrs), IPv4-mapped forms folded.
std::vector<asio::ip::address> host_addresses();

}  // namespace meshgate::gateway
