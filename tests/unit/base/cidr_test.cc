// CIDR parsing, matching and printing.
#include "base/cidr.h"

#include <gtest/gtest.h>

namespace meshgate::base {
namespace {

IpAddress ip(const char* text) {
  const auto address = parse_ip(text);
  EXPECT_TRUE(address.has_value()) << text;
  return address.value_or(IpAddress{});
}

TEST(CidrTest, ParsesIpv4Range) {
  const auto cidr = parse_cidr("10.0.0.0/8");
  ASSERT_TRUE(cidr.has_value());
  EXPECT_FALSE(cidr->base.v6);
  EXPECT_EQ(cidr->prefix, 8);
  EXPECT_EQ(cidr->base, ip("10.0.0.0"));
  EXPECT_EQ(cidr->text(), "10.0.0.0/8");
}

TEST(CidrTest, ParsesIpv6Range) {
  const auto cidr = parse_cidr("fc00::/7");
  ASSERT_TRUE(cidr.has_value());
  EXPECT_TRUE(cidr->base.v6);
  EXPECT_EQ(cidr->prefix, 7);
  EXPECT_EQ(cidr->text(), "fc00::/7");
}

TEST(CidrTest, BareAddressIsHostRange) {
  const auto v4 = parse_cidr("192.168.1.7");
  ASSERT_TRUE(v4.has_value());
  EXPECT_EQ(v4->prefix, 32);
  EXPECT_EQ(v4->text(), "192.168.1.7/32");
  EXPECT_TRUE(v4->contains(ip("192.168.1.7")));
  EXPECT_FALSE(v4->contains(ip("192.168.1.8")));

  const auto v6 = parse_cidr("::1");
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->prefix, 128);
  EXPECT_EQ(v6->text(), "::1/128");
  EXPECT_TRUE(v6->contains(ip("::1")));
  EXPECT_FALSE(v6->contains(ip("::2")));
}

TEST(CidrTest, RejectsHostBitsSet) {
  EXPECT_FALSE(parse_cidr("10.0.0.1/8").has_value());
  EXPECT_FALSE(parse_cidr("192.168.1.128/24").has_value());
  EXPECT_FALSE(parse_cidr("fc00::1/7").has_value());
  EXPECT_FALSE(parse_cidr("fd00::/7").has_value());  // the 8th bit is set
  EXPECT_TRUE(parse_cidr("fe00::/7").has_value());
  EXPECT_TRUE(parse_cidr("192.168.1.128/25").has_value());
}

TEST(CidrTest, RejectsBadPrefixes) {
  for (const char* text : {"10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/8x",
                           "10.0.0.0/ 8", "10.0.0.0/+8", "10.0.0.0/8/8", "/8", "", "10.0.0/8",
                           "nonsense/8", "10.0.0.0/99999999999999999999"}) {
    EXPECT_FALSE(parse_cidr(text).has_value()) << text;
  }
}

TEST(CidrTest, ContainsRespectsPrefix) {
  const auto cidr = parse_cidr("172.16.0.0/12");
  ASSERT_TRUE(cidr.has_value());
  EXPECT_TRUE(cidr->contains(ip("172.16.0.0")));
  EXPECT_TRUE(cidr->contains(ip("172.31.255.255")));
  EXPECT_FALSE(cidr->contains(ip("172.32.0.0")));
  EXPECT_FALSE(cidr->contains(ip("172.15.255.255")));

  const auto v6 = parse_cidr("fe80::/10");
  ASSERT_TRUE(v6.has_value());
  EXPECT_TRUE(v6->contains(ip("fe80::1")));
  EXPECT_TRUE(v6->contains(ip("febf:ffff::1")));
  EXPECT_FALSE(v6->contains(ip("fec0::1")));
}

TEST(CidrTest, FamiliesDoNotMix) {
  const auto v4 = parse_cidr("0.0.0.0/0");
  const auto v6 = parse_cidr("::/0");
  ASSERT_TRUE(v4.has_value());
  ASSERT_TRUE(v6.has_value());
  EXPECT_FALSE(v4->contains(ip("2001:db8::1")));
  EXPECT_FALSE(v6->contains(ip("10.0.0.1")));
}

TEST(CidrTest, V4MappedV6MatchesV4Range) {
  const auto cidr = parse_cidr("10.0.0.0/8");
  ASSERT_TRUE(cidr.has_value());
  EXPECT_TRUE(cidr->contains(ip("::ffff:10.1.2.3")));
  EXPECT_FALSE(cidr->contains(ip("::ffff:11.1.2.3")));
  // Not mapped: the same low bytes in an ordinary IPv6 address do not match.
  EXPECT_FALSE(cidr->contains(ip("::10.1.2.3")));
  EXPECT_FALSE(cidr->contains(ip("64:ff9b::10.1.2.3")));
}

TEST(CidrTest, PrefixZeroMatchesWholeFamily) {
  const auto v4 = parse_cidr("0.0.0.0/0");
  ASSERT_TRUE(v4.has_value());
  EXPECT_EQ(v4->prefix, 0);
  EXPECT_EQ(v4->text(), "0.0.0.0/0");
  EXPECT_TRUE(v4->contains(ip("0.0.0.0")));
  EXPECT_TRUE(v4->contains(ip("255.255.255.255")));
  EXPECT_FALSE(parse_cidr("1.0.0.0/0").has_value());

  const auto v6 = parse_cidr("::/0");
  ASSERT_TRUE(v6.has_value());
  EXPECT_TRUE(v6->contains(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
  EXPECT_EQ(v6->text(), "::/0");
}

TEST(CidrTest, ToStringMatchesInetNtop) {
  EXPECT_EQ(to_string(ip("2001:0db8:0000:0000:0000:0000:0000:0001")), "2001:db8::1");
  EXPECT_EQ(to_string(ip("10.0.0.1")), "10.0.0.1");
  EXPECT_EQ(to_string(ip("::ffff:10.1.2.3")), "::ffff:10.1.2.3");
}

}  // namespace
}  // namespace meshgate::base
