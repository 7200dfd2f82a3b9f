// Control messages built by hand, as the kernel would and as it never
// should: the destination of a datagram is read only from a control message
// whole within its buffer, and written back as the reply's source.
#include "dns-global/pktinfo.h"

#include <arpa/inet.h>

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <string>

namespace meshgate::dns {
namespace {

in_addr v4(const char* text) {
  in_addr out{};
  ::inet_pton(AF_INET, text, &out);
  return out;
}

in6_addr v6(const char* text) {
  in6_addr out{};
  ::inet_pton(AF_INET6, text, &out);
  return out;
}

// Control data of up to three messages, laid out as the kernel lays them out.
class Control {
 public:
  template <typename Info>
  Control& add(int level, int type, const Info& info,
               std::size_t claimed = CMSG_LEN(sizeof(Info))) {
    cmsghdr header{};
    header.cmsg_level = level;
    header.cmsg_type = type;
    header.cmsg_len = claimed;
    std::memcpy(bytes_.data() + used_, &header, sizeof header);
    std::memcpy(bytes_.data() + used_ + CMSG_LEN(0), &info, sizeof(Info));
    used_ += CMSG_SPACE(sizeof(Info));
    return *this;
  }
  msghdr message(int flags = 0) {
    msghdr out{};
    out.msg_control = bytes_.data();
    out.msg_controllen = used_;
    out.msg_flags = flags;
    return out;
  }
  void cut_to(std::size_t length) { used_ = length; }

 private:
  alignas(cmsghdr) std::array<unsigned char, 3 * sizeof(PktinfoBuffer)> bytes_{};
  std::size_t used_ = 0;
};

in_pktinfo v4_info(const char* spec_dst, const char* addr) {
  in_pktinfo info{};
  info.ipi_ifindex = 1;
  info.ipi_spec_dst = v4(spec_dst);
  info.ipi_addr = v4(addr);
  return info;
}

in6_pktinfo v6_info(const char* addr, unsigned ifindex = 1) {
  in6_pktinfo info{};
  info.ipi6_addr = v6(addr);
  info.ipi6_ifindex = ifindex;
  return info;
}

TEST(UdpPktinfoTest, ReadsTheIpv4AddressToAnswerFrom) {
  Control control;
  control.add(IPPROTO_IP, IP_PKTINFO, v4_info("127.0.0.2", "127.0.0.2"));
  const LocalAddress local = local_address_of(control.message());
  ASSERT_EQ(local.family, LocalAddress::Family::kV4);
  EXPECT_EQ(local.v4.s_addr, v4("127.0.0.2").s_addr);
  EXPECT_EQ(local.ifindex, 0U);
}

// Sent to a broadcast address: answered from this host's own address.
TEST(UdpPktinfoTest, ABroadcastQueryIsAnsweredFromTheSpecificDestination) {
  Control control;
  control.add(IPPROTO_IP, IP_PKTINFO, v4_info("127.0.0.1", "127.255.255.255"));
  EXPECT_EQ(local_address_of(control.message()).v4.s_addr, v4("127.0.0.1").s_addr);
}

TEST(UdpPktinfoTest, ReadsIpv6AndIpv4MappedDestinations) {
  for (const char* address : {"::1", "::ffff:127.0.0.2", "2001:db8::1"}) {
    Control control;
    control.add(IPPROTO_IPV6, IPV6_PKTINFO, v6_info(address, 3));
    const LocalAddress local = local_address_of(control.message());
    ASSERT_EQ(local.family, LocalAddress::Family::kV6) << address;
    const in6_addr expected = v6(address);
    EXPECT_EQ(std::memcmp(&local.v6, &expected, sizeof(in6_addr)), 0) << address;
    EXPECT_EQ(local.ifindex, 0U) << address;  // the route picks the interface
  }
}

TEST(UdpPktinfoTest, LinkLocalKeepsItsInterfaceMulticastIsNoSource) {
  Control link;
  link.add(IPPROTO_IPV6, IPV6_PKTINFO, v6_info("fe80::1", 7));
  EXPECT_EQ(local_address_of(link.message()).ifindex, 7U);
  Control group;
  group.add(IPPROTO_IPV6, IPV6_PKTINFO, v6_info("ff02::fb", 7));
  EXPECT_EQ(local_address_of(group.message()).family, LocalAddress::Family::kNone);
}

TEST(UdpPktinfoTest, SkipsOtherControlMessages) {
  Control control;
  const int ttl = 64;
  control.add(IPPROTO_IP, IP_TTL, ttl)
      .add(IPPROTO_IP, IP_PKTINFO, v4_info("127.0.0.3", "127.0.0.3"));
  EXPECT_EQ(local_address_of(control.message()).v4.s_addr, v4("127.0.0.3").s_addr);
}

TEST(UdpPktinfoTest, ControlDataThatDoesNotHoldAWholeMessageNamesNothing) {
  const in_pktinfo info = v4_info("127.0.0.2", "127.0.0.2");
  Control truncated;  // the kernel ran out of room
  truncated.add(IPPROTO_IP, IP_PKTINFO, info);
  EXPECT_EQ(local_address_of(truncated.message(MSG_CTRUNC)).family, LocalAddress::Family::kNone);
  Control short_length;  // a length too small for its type
  short_length.add(IPPROTO_IP, IP_PKTINFO, info, CMSG_LEN(sizeof(in_pktinfo) - 1));
  EXPECT_EQ(local_address_of(short_length.message()).family, LocalAddress::Family::kNone);
  Control too_long;  // a length past the buffer
  too_long.add(IPPROTO_IP, IP_PKTINFO, info, 4096);
  EXPECT_EQ(local_address_of(too_long.message()).family, LocalAddress::Family::kNone);
  Control cut;  // a buffer that ends inside the payload
  cut.add(IPPROTO_IP, IP_PKTINFO, info);
  cut.cut_to(CMSG_LEN(sizeof(in_pktinfo)) - 2);
  EXPECT_EQ(local_address_of(cut.message()).family, LocalAddress::Family::kNone);
  Control empty;
  EXPECT_EQ(local_address_of(empty.message()).family, LocalAddress::Family::kNone);
  EXPECT_EQ(local_address_of(msghdr{}).family, LocalAddress::Family::kNone);
}

TEST(UdpPktinfoTest, WritesWhatItReads) {
  PktinfoBuffer buffer;
  EXPECT_EQ(write_pktinfo(LocalAddress{}, buffer), 0U);
  Control control;
  control.add(IPPROTO_IP, IP_PKTINFO, v4_info("127.0.0.2", "127.0.0.2"));
  const LocalAddress local = local_address_of(control.message());
  const std::size_t length = write_pktinfo(local, buffer);
  ASSERT_EQ(length, CMSG_SPACE(sizeof(in_pktinfo)));
  EXPECT_EQ(buffer.header.cmsg_level, IPPROTO_IP);
  EXPECT_EQ(buffer.header.cmsg_type, IP_PKTINFO);
  msghdr written{};
  written.msg_control = &buffer;
  written.msg_controllen = length;
  EXPECT_EQ(local_address_of(written).v4.s_addr, v4("127.0.0.2").s_addr);
  in_pktinfo sent{};
  std::memcpy(&sent, CMSG_DATA(&buffer.header), sizeof sent);
  EXPECT_EQ(sent.ipi_ifindex, 0);  // not the interface the query came in on
  const LocalAddress mapped{LocalAddress::Family::kV6, {}, v6("::ffff:127.0.0.2"), 0};
  ASSERT_EQ(write_pktinfo(mapped, buffer), CMSG_SPACE(sizeof(in6_pktinfo)));
  EXPECT_EQ(buffer.header.cmsg_level, IPPROTO_IPV6);
  written.msg_controllen = CMSG_SPACE(sizeof(in6_pktinfo));
  const LocalAddress reread = local_address_of(written);
  EXPECT_EQ(std::memcmp(&reread.v6, &mapped.v6, sizeof(in6_addr)), 0);
}

}  // namespace
}  // namespace meshgate::dns
