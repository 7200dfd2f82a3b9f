// Which local address a UDP datagram was sent to, so that a socket bound to a
// wildcard address (0.0.0.0, ::) answers from that address: RFC 1122
// §4.1.3.5, and clients (dig's connected socket, ISC's genreport) drop a
// reply from any other. Linux's IP_PKTINFO and IPV6_PKTINFO control messages,
// read after recvmmsg and written for sendmmsg/sendmsg. Pure apart from the
// setsockopt in enable_pktinfo().
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace meshgate::dns {

// The address a datagram arrived on. kNone (no control message, or one cut
// short): the reply goes without one and the kernel picks the source, as it
// did before pktinfo. On a dual-stack IPv6 socket an IPv4 destination is
// IPv4-mapped (::ffff:a.b.c.d), and is sent back the same way.
struct LocalAddress {
  enum class Family : uint8_t { kNone, kV4, kV6 };
  Family family = Family::kNone;
  in_addr v4{};
  in6_addr v6{};
  unsigned ifindex = 0;  // IPv6 link-local only: the scope; else the route picks the interface
};

// Room for one control message of either family, aligned for its header.
union PktinfoBuffer {
  cmsghdr header;
  unsigned char bytes[std::max(CMSG_SPACE(sizeof(in_pktinfo)), CMSG_SPACE(sizeof(in6_pktinfo)))];
};

// Asks the kernel to report each datagram's destination on `fd`, a socket of
// the given family; false (errno set) if it refused.
bool enable_pktinfo(int fd, bool v6);

// The destination a received message's control data names. Every control
// message's length is checked against its type and the buffer; a message
// the kernel had to cut (MSG_CTRUNC) names none.
LocalAddress local_address_of(const msghdr& message);

// Writes into `buffer` the control message that makes a reply leave from
// `local`, and returns its length for msg_controllen: 0 when there is none.
std::size_t write_pktinfo(const LocalAddress& local, PktinfoBuffer& buffer);

}  // namespace meshgate::dns
