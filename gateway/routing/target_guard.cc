#include "gateway/routing/target_guard.h"

#include <ifaddrs.h>
#include <netinet/in.h>

#include <algorithm>

#include "config/validate.h"

namespace meshgate::gateway {
namespace {

// ::ffff:a.b.c.d is a.b.c.d: checked as what it reaches.
asio::ip::address folded(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  return address;
}

bool is_link_local(const asio::ip::address& address) {
  if (address.is_v6()) return address.to_v6().is_link_local();
  return (address.to_v4().to_uint() >> 16) == 0xA9FE;  // 169.254.0.0/16
}

bool not_for_a_mesh_endpoint(const asio::ip::address& address) {
  return address.is_loopback() || address.is_unspecified() || is_link_local(address);
}

bool contains(const std::vector<asio::ip::address>& set, const asio::ip::address& address) {
  return std::find(set.begin(), set.end(), address) != set.end();
}

}  // namespace

const char* to_string(TargetRefusal refusal) {
  switch (refusal) {
    case TargetRefusal::kNone:
      return "none";
    case TargetRefusal::kLoopback:
      return "loopback";
    case TargetRefusal::kSelf:
      return "self";
  }
  return "unknown";
}

TargetGuard::TargetGuard(bool allow_loopback, std::vector<Socket> listening,
                         std::vector<asio::ip::address> host_addresses,
                         std::vector<asio::ip::address> advertised)
    : allow_loopback_(allow_loopback),
      listening_(std::move(listening)),
      host_addresses_(std::move(host_addresses)),
      advertised_(std::move(advertised)) {
  for (Socket& socket : listening_)
    socket.address = folded(socket.address);
  for (auto* set : {&host_addresses_, &advertised_}) {
    for (asio::ip::address& address : *set)
      address = folded(address);
  }
}

bool TargetGuard::is_local(const asio::ip::address& address) const {
  return address.is_loopback() || address.is_unspecified() || contains(host_addresses_, address);
}

TargetRefusal TargetGuard::check(const asio::ip::tcp::endpoint& endpoint) const {
  const asio::ip::address address = folded(endpoint.address());
  const uint16_t port = endpoint.port();
  for (const Socket& socket : listening_) {
    if (socket.port != port) continue;
    const bool same =
        socket.address.is_unspecified() ? is_local(address) : socket.address == address;
    // Through the load balancer, the advertised address reaches the same port.
    if (same || contains(advertised_, address)) return TargetRefusal::kSelf;
  }
  if (!allow_loopback_ && not_for_a_mesh_endpoint(address)) return TargetRefusal::kLoopback;
  return TargetRefusal::kNone;
}

std::vector<asio::ip::address> host_addresses() {
  std::vector<asio::ip::address> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (const ifaddrs* at = list; at != nullptr; at = at->ifa_next) {
    if (at->ifa_addr == nullptr) continue;
    if (at->ifa_addr->sa_family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(at->ifa_addr);
      out.push_back(asio::ip::address_v4(ntohl(in->sin_addr.s_addr)));
    } else if (at->ifa_addr->sa_family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(at->ifa_addr);
      asio::ip::address_v6::bytes_type bytes;
      std::copy_n(in6->sin6_addr.s6_addr, bytes.size(), bytes.begin());
      out.push_back(folded(asio::ip::address_v6(bytes)));
    }
  }
  ::freeifaddrs(list);
  return out;
}

TargetGuard make_target_guard(const config::Config& config,
                              std::span<const TargetGuard::Socket> bound) {
  std::vector<TargetGuard::Socket> listening(bound.begin(), bound.end());
  for (const config::NamedListener& named : config::kListenerKeys) {
    const config::Listener& listener = config.listeners.*named.member;
    boost::system::error_code ec;
    const asio::ip::address address = asio::ip::make_address(listener.address, ec);
    if (ec || listener.port == 0) continue;
    listening.push_back({address, listener.port});
  }
  std::vector<asio::ip::address> advertised;
  for (const config::DnsZone& zone : config.dns.zones) {
    for (const std::string& text : zone.addresses) {
      boost::system::error_code ec;
      const asio::ip::address address = asio::ip::make_address(text, ec);
      if (!ec) advertised.push_back(address);
    }
  }
  return TargetGuard(config.passthrough.allow_loopback_endpoints, std::move(listening),
                     host_addresses(), std::move(advertised));
}

}  // namespace meshgate::gateway
