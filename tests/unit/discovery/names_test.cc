#include "discovery/names.h"

#include <gtest/gtest.h>

#include <string>

namespace meshgate::discovery {
namespace {

TEST(Names, Dns1123Label) {
  EXPECT_TRUE(is_dns1123_label("httpbin"));
  EXPECT_TRUE(is_dns1123_label("a-1"));
  EXPECT_TRUE(is_dns1123_label("0"));
  EXPECT_TRUE(is_dns1123_label(std::string(63, 'a')));
  EXPECT_FALSE(is_dns1123_label(std::string(64, 'a')));
  EXPECT_FALSE(is_dns1123_label(""));
  EXPECT_FALSE(is_dns1123_label("-a"));
  EXPECT_FALSE(is_dns1123_label("a-"));
  EXPECT_FALSE(is_dns1123_label("Httpbin"));
  EXPECT_FALSE(is_dns1123_label("a.b"));
  EXPECT_FALSE(is_dns1123_label("a_b"));
}

TEST(Names, DnsName) {
  EXPECT_TRUE(is_dns_name("httpbin.bar.global"));
  EXPECT_TRUE(is_dns_name("a"));
  EXPECT_FALSE(is_dns_name(""));
  EXPECT_FALSE(is_dns_name("a..b"));
  EXPECT_FALSE(is_dns_name(".a"));
  EXPECT_FALSE(is_dns_name("a."));
  EXPECT_FALSE(is_dns_name("A.b"));
  EXPECT_FALSE(is_dns_name("*.b"));
  std::string long_name;
  for (int i = 0; i < 63; ++i)
    long_name += "abc.";  // 252 characters
  EXPECT_TRUE(is_dns_name(long_name + "a"));
  EXPECT_FALSE(is_dns_name(long_name + "ab"));
}

TEST(Names, HostPattern) {
  EXPECT_TRUE(is_host_pattern("*.foo.global"));
  EXPECT_TRUE(is_host_pattern("foo.global"));
  EXPECT_FALSE(is_host_pattern("*"));
  EXPECT_FALSE(is_host_pattern("*."));
  EXPECT_FALSE(is_host_pattern("a.*.global"));
  EXPECT_FALSE(is_host_pattern("**.global"));
}

TEST(Names, IpLiteral) {
  EXPECT_TRUE(is_ip_literal("127.0.0.1"));
  EXPECT_TRUE(is_ip_literal("::1"));
  EXPECT_TRUE(is_ip_literal("fd00::1:2"));
  EXPECT_TRUE(is_ip_literal("0000:0000:0000:0000:0000:ffff:255.255.255.255"));  // 45 characters
  EXPECT_FALSE(is_ip_literal(""));
  EXPECT_FALSE(is_ip_literal("localhost"));
  EXPECT_FALSE(is_ip_literal("127.0.0.256"));
  EXPECT_FALSE(is_ip_literal("[::1]"));
  EXPECT_FALSE(is_ip_literal("fe80::1%eth0"));
  EXPECT_FALSE(is_ip_literal(std::string("127.0.0.1\0x", 11)));
  EXPECT_FALSE(is_ip_literal(std::string(1000, '1')));
}

TEST(Names, LabelKey) {
  EXPECT_TRUE(is_label_key("version"));
  EXPECT_TRUE(is_label_key("security.istio.io/tlsMode"));
  EXPECT_TRUE(is_label_key("App_Name.v-1"));
  std::string prefix;
  for (int i = 0; i < 63; ++i)
    prefix += "abc.";
  prefix += "a";                                                   // 253 characters
  EXPECT_TRUE(is_label_key(prefix + "/" + std::string(63, 'b')));  // 317 characters
  EXPECT_FALSE(is_label_key(prefix + "a/" + std::string(63, 'b')));
  EXPECT_FALSE(is_label_key(prefix + "/" + std::string(64, 'b')));
  EXPECT_FALSE(is_label_key(""));
  EXPECT_FALSE(is_label_key("/a"));
  EXPECT_FALSE(is_label_key("a/"));
  EXPECT_FALSE(is_label_key("a/b/c"));
  EXPECT_FALSE(is_label_key("-a"));
  EXPECT_FALSE(is_label_key("Istio.IO/a"));
}

TEST(Names, LabelValue) {
  EXPECT_TRUE(is_label_value(""));
  EXPECT_TRUE(is_label_value("v1"));
  EXPECT_TRUE(is_label_value(std::string(63, 'x')));
  EXPECT_FALSE(is_label_value(std::string(64, 'x')));
  EXPECT_FALSE(is_label_value("a/b"));
  EXPECT_FALSE(is_label_value("a b"));
  EXPECT_FALSE(is_label_value("_a"));
}

}  // namespace
}  // namespace meshgate::discovery
