// IP_PKTINFO and IPV6_PKTINFO control messages (Linux: ip(7), ipv6(7),
// RFC 3542 §6).
#include "dns-global/pktinfo.h"

#include <cstring>

namespace meshgate::dns {
namespace {

bool is_multicast(const in6_addr& address) {
  return address.s6_addr[0] == 0xFF;
}

bool is_link_local(const in6_addr& address) {
  return address.s6_addr[0] == 0xFE && (address.s6_addr[1] & 0xC0) == 0x80;
}

// The payload of control message `at` when it is a whole `Info`: its length
// is large enough for one and ends inside the buffer the kernel filled.
template <typename Info>
bool payload_of(const msghdr& message, const cmsghdr& at, Info& out) {
  const auto* start = static_cast<const unsigned char*>(message.msg_control);
  const auto* here = reinterpret_cast<const unsigned char*>(&at);
  const auto offset = static_cast<std::size_t>(here - start);
  if (at.cmsg_len < CMSG_LEN(sizeof(Info)) || at.cmsg_len > message.msg_controllen - offset) {
    return false;
  }
  std::memcpy(&out, here + CMSG_LEN(0), sizeof(Info));
  return true;
}

// IPv4: ipi_spec_dst is the local address to answer from; it is ipi_addr
// for unicast, and this host's own address when the query went to a
// broadcast address, which cannot be a source.
LocalAddress from_v4(const in_pktinfo& info) {
  LocalAddress local;
  local.family = LocalAddress::Family::kV4;
  local.v4 = info.ipi_spec_dst;
  return local;
}

// IPv6: the destination itself, unless it is a multicast group (not a
// source: the kernel picks one); a link-local one needs its interface.
LocalAddress from_v6(const in6_pktinfo& info) {
  LocalAddress local;
  if (is_multicast(info.ipi6_addr)) return local;
  local.family = LocalAddress::Family::kV6;
  local.v6 = info.ipi6_addr;
  if (is_link_local(info.ipi6_addr)) local.ifindex = info.ipi6_ifindex;
  return local;
}

template <typename Info>
std::size_t put(PktinfoBuffer& buffer, int level, int type, const Info& info) {
  buffer = {};
  buffer.header.cmsg_level = level;
  buffer.header.cmsg_type = type;
  buffer.header.cmsg_len = CMSG_LEN(sizeof(Info));
  std::memcpy(reinterpret_cast<unsigned char*>(&buffer) + CMSG_LEN(0), &info, sizeof(Info));
  return CMSG_SPACE(sizeof(Info));
}

}  // namespace

bool enable_pktinfo(int fd, bool v6) {
  const int on = 1;
  return v6 ? ::setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof on) == 0
            : ::setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof on) == 0;
}

LocalAddress local_address_of(const msghdr& message) {
  if ((message.msg_flags & MSG_CTRUNC) != 0 || message.msg_control == nullptr) return {};
  msghdr walk = message;  // CMSG_NXTHDR takes it mutable
  for (cmsghdr* at = CMSG_FIRSTHDR(&walk); at != nullptr; at = CMSG_NXTHDR(&walk, at)) {
    if (at->cmsg_level == IPPROTO_IP && at->cmsg_type == IP_PKTINFO) {
      in_pktinfo info{};
      if (payload_of(message, *at, info)) return from_v4(info);
    } else if (at->cmsg_level == IPPROTO_IPV6 && at->cmsg_type == IPV6_PKTINFO) {
      in6_pktinfo info{};
      if (payload_of(message, *at, info)) return from_v6(info);
    }
  }
  return {};
}

// The interface is left to the route (0), as the kernel would choose it
// without us: forcing the one the query came in on would break asymmetric
// routing. Only a link-local IPv6 source needs its own.
std::size_t write_pktinfo(const LocalAddress& local, PktinfoBuffer& buffer) {
  switch (local.family) {
    case LocalAddress::Family::kNone:
      return 0;
    case LocalAddress::Family::kV4: {
      in_pktinfo info{};
      info.ipi_spec_dst = local.v4;
      return put(buffer, IPPROTO_IP, IP_PKTINFO, info);
    }
    case LocalAddress::Family::kV6: {
      in6_pktinfo info{};
      info.ipi6_addr = local.v6;
      info.ipi6_ifindex = local.ifindex;
      return put(buffer, IPPROTO_IPV6, IPV6_PKTINFO, info);
    }
  }
  return 0;
}

}  // namespace meshgate::dns
