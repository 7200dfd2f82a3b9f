// The `dns` section: defaults, every key read, every check with its path and line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.h"
#include "config/loader.h"
#include "tests/unit/config/error_matchers.h"

namespace meshgate::config {
namespace {

using ::testing::Contains;
using testing::ErrorAt;

TEST(DnsConfig, DefaultsServeGlobalWithVipsAndForwardForPrivateClients) {
  const Config config = default_config();
  EXPECT_TRUE(config.dns.enabled);
  ASSERT_EQ(config.dns.zones.size(), 1U);
  EXPECT_EQ(config.dns.zones[0].name, "global");
  EXPECT_EQ(config.dns.zones[0].answer, DnsAnswer::kVip);
  EXPECT_TRUE(config.dns.zones[0].services);
  EXPECT_EQ(config.dns.ttl, std::chrono::seconds(30));
  EXPECT_EQ(config.dns.negative_ttl, std::chrono::seconds(30));
  EXPECT_EQ(config.dns.vip_ranges, (std::vector<std::string>{"240.240.0.0/16", "2001:2::/48"}));
  EXPECT_TRUE(config.dns.forward.enabled);
  EXPECT_TRUE(config.dns.forward.upstreams.empty());  // /etc/resolv.conf
  EXPECT_THAT(config.dns.forward.allowed_clients, Contains("10.0.0.0/8"));
  EXPECT_EQ(config.listeners.dns.port, 15053);
  EXPECT_EQ(config.listeners.dns_grpc.address, "127.0.0.1");
  EXPECT_EQ(config.listeners.dns_grpc.port, 8053);
}

TEST(DnsConfig, ReadsEveryKey) {
  const LoadResult result = load_config_string(R"(
listeners:
  dns_grpc: {address: 127.0.0.1, port: 9053}
dns:
  enabled: true
  zones:
    - {name: global, answer: gateway, addresses: [203.0.113.10, "2001:db8::10"], services: false}
    - {name: mesh.example}
  ttl: 5s
  negative_ttl: 1s
  vip_ranges: [10.240.0.0/16]
  forward:
    enabled: true
    upstreams: [10.0.0.10, "10.0.0.11:5353", "[fd00::53]:53"]
    timeout: 500ms
    attempts: 3
    allowed_clients: [10.0.0.0/8]
  tcp_idle: 3s
  max_tcp_connections: 10
  grpc: false
)");
  ASSERT_TRUE(result.ok()) << format_error("<yaml>", result.errors.front());
  const Dns& dns = result.config->dns;
  ASSERT_EQ(dns.zones.size(), 2U);
  EXPECT_EQ(dns.zones[0].answer, DnsAnswer::kGateway);
  EXPECT_EQ(dns.zones[0].addresses.size(), 2U);
  EXPECT_FALSE(dns.zones[0].services);
  EXPECT_EQ(dns.zones[1].name, "mesh.example");
  EXPECT_TRUE(dns.zones[1].services);
  EXPECT_EQ(dns.ttl, std::chrono::seconds(5));
  EXPECT_EQ(dns.forward.upstreams.size(), 3U);
  EXPECT_EQ(dns.forward.attempts, 3U);
  EXPECT_EQ(dns.max_tcp_connections, 10U);
  EXPECT_FALSE(dns.grpc);
  EXPECT_EQ(result.config->listeners.dns_grpc.port, 9053);
}

TEST(DnsConfig, ReportsEachBadValueWithItsPathAndLine) {
  const LoadResult result = load_config_string(R"(dns:
  zones:
    - {name: Global}
    - {name: mesh, answer: gateway}
    - {name: mesh}
    - {name: x, answer: vipp}
  vip_ranges: [240.240.0.1/16, 10.0.0.0/8, 11.0.0.0/8]
  ttl: 9000h
  forward:
    upstreams: [dns.google, "1.2.3.4:0"]
    attempts: 0
    allowed_clients: [10.0.0.0/33]
)");
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.errors, Contains(ErrorAt("dns.zones[0].name", 3, "not a valid DNS name")));
  EXPECT_THAT(result.errors,
              Contains(ErrorAt("dns.zones[1].addresses", 4, "advertised addresses")));
  EXPECT_THAT(result.errors, Contains(ErrorAt("dns.zones[2].name", 5, "listed twice")));
  EXPECT_THAT(result.errors, Contains(ErrorAt("dns.zones[3].answer", 6, "did you mean 'vip'")));
  EXPECT_THAT(result.errors, Contains(ErrorAt("dns.vip_ranges[0]", 7, "not a CIDR range")));
  EXPECT_THAT(result.errors, Contains(ErrorAt("dns.vip_ranges", 7, "at most one IPv4")));
  EXPECT_THAT(result.errors, Contains(ErrorAt("dns.ttl", 8, "too large")));
  EXPECT_THAT(result.errors,
              Contains(ErrorAt("dns.forward.upstreams[0]", 10, "not an upstream resolver")));
  EXPECT_THAT(result.errors,
              Contains(ErrorAt("dns.forward.upstreams[1]", 10, "not an upstream resolver")));
  EXPECT_THAT(result.errors, Contains(ErrorAt("dns.forward.attempts", 11, "out of range")));
  EXPECT_THAT(result.errors,
              Contains(ErrorAt("dns.forward.allowed_clients[0]", 12, "not a CIDR range")));
}

TEST(DnsConfig, ListItemsMustBeStrings) {
  const LoadResult result = load_config_string("dns:\n  vip_ranges: [[1]]\n");
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.errors, Contains(ErrorAt("dns.vip_ranges[0]", 2, "expected")));
}

TEST(DnsConfig, RateLimitIsOffByDefault) {
  const config::DnsRateLimit limit = default_config().dns.rate_limit;
  EXPECT_EQ(limit.responses_per_second, 0U);
  EXPECT_EQ(limit.burst, 0U);
  EXPECT_EQ(limit.slip, 2U);
  EXPECT_EQ(limit.ipv4_prefix_length, 24U);
  EXPECT_EQ(limit.ipv6_prefix_length, 56U);
  EXPECT_EQ(limit.max_tracked_prefixes, 65'536U);
  const LoadResult empty = load_config_string("dns: {rate_limit: {}}\n");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty.config->dns.rate_limit, limit);
}

TEST(DnsConfig, ReadsTheRateLimit) {
  const LoadResult result = load_config_string(R"(dns:
  rate_limit:
    responses_per_second: 20
    burst: 40
    slip: 3
    ipv4_prefix_length: 32
    ipv6_prefix_length: 64
    max_tracked_prefixes: 1024
)");
  ASSERT_TRUE(result.ok()) << format_error("<yaml>", result.errors.front());
  const config::DnsRateLimit& limit = result.config->dns.rate_limit;
  EXPECT_EQ(limit.responses_per_second, 20U);
  EXPECT_EQ(limit.burst, 40U);
  EXPECT_EQ(limit.slip, 3U);
  EXPECT_EQ(limit.ipv4_prefix_length, 32U);
  EXPECT_EQ(limit.ipv6_prefix_length, 64U);
  EXPECT_EQ(limit.max_tracked_prefixes, 1024U);
  EXPECT_NE(result.config->dns, default_config().dns);  // a change restarts the DNS server
}

TEST(DnsConfig, ReportsEachBadRateLimitValue) {
  const LoadResult result = load_config_string(R"(dns:
  rate_limit:
    responses_per_second: 2000000
    burst: -1
    slip: 11
    ipv4_prefix_length: 0
    ipv6_prefix_length: 129
    max_tracked_prefixes: 2
    window: 15s
)");
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.errors, Contains(ErrorAt("dns.rate_limit.responses_per_second", 3,
                                              "out of range (0..1000000)")));
  EXPECT_THAT(result.errors, Contains(ErrorAt("dns.rate_limit.burst", 4, "out of range")));
  EXPECT_THAT(result.errors, Contains(ErrorAt("dns.rate_limit.slip", 5, "out of range (0..10)")));
  EXPECT_THAT(result.errors,
              Contains(ErrorAt("dns.rate_limit.ipv4_prefix_length", 6, "out of range (1..32)")));
  EXPECT_THAT(result.errors,
              Contains(ErrorAt("dns.rate_limit.ipv6_prefix_length", 7, "out of range (1..128)")));
  EXPECT_THAT(result.errors, Contains(ErrorAt("dns.rate_limit.max_tracked_prefixes", 8,
                                              "out of range (16..1048576)")));
  EXPECT_THAT(result.errors, Contains(ErrorAt("dns.rate_limit.window", 9, "unknown key")));
  const LoadResult wrong_type = load_config_string("dns:\n  rate_limit: {slip: \"2\"}\n");
  ASSERT_FALSE(wrong_type.ok());
  EXPECT_THAT(wrong_type.errors, Contains(ErrorAt("dns.rate_limit.slip", 2, "")));
  const LoadResult not_a_map = load_config_string("dns:\n  rate_limit: 10\n");
  ASSERT_FALSE(not_a_map.ok());
  EXPECT_THAT(not_a_map.errors, Contains(ErrorAt("dns.rate_limit", 2, "")));
}

}  // namespace
}  // namespace meshgate::config
