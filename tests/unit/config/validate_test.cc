#include "config/validate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/duration.h"
#include "tests/unit/config/error_matchers.h"

namespace meshgate::config {
namespace {

using ::testing::ElementsAre;
using testing::ErrorAt;
using ::testing::IsEmpty;

TEST(CheckIpAddress, AcceptsLiteralsOnly) {
  for (const char* good : {"0.0.0.0", "127.0.0.1", "::", "::1", "fe80::1", "2001:db8::8"}) {
    EXPECT_FALSE(check_ip_address(good)) << good;
  }
  for (const char* bad : {"", "localhost", "1.2.3", "256.1.1.1", "[::1]", "1.2.3.4:80", "::g",
                          " 1.2.3.4", "fe80::1%eth0"}) {
    const std::optional<std::string> problem = check_ip_address(bad);
    ASSERT_TRUE(problem) << bad;
    EXPECT_THAT(*problem, ::testing::StartsWith("not an IP address")) << bad;
  }
  EXPECT_TRUE(check_ip_address(std::string_view("1.2.3.4\0x", 9)));
  EXPECT_TRUE(check_ip_address(std::string(1000, '1')));
}

TEST(CheckDnsName, FollowsRfc1123Lowercase) {
  for (const char* good : {"cluster.local", "a", "my-zone.example", "x1.y2"}) {
    EXPECT_FALSE(check_dns_name(good)) << good;
  }
  for (const char* bad :
       {"", ".", "cluster.local.", ".local", "a..b", "-a.b", "a-.b", "Cluster", "a_b", "a b"}) {
    EXPECT_TRUE(check_dns_name(bad)) << bad;
  }
  EXPECT_FALSE(check_dns_name(std::string(63, 'a')));
  EXPECT_TRUE(check_dns_name(std::string(64, 'a')));
  std::string long_name;
  for (int i = 0; i < 64; ++i)
    long_name += "abc.";
  EXPECT_TRUE(check_dns_name(long_name + "x"));
}

TEST(CheckNetworkName, IsALabelValue) {
  for (const char* good : {"", "network1", "west_net.2", "A-b"}) {
    EXPECT_FALSE(check_network_name(good)) << good;
  }
  for (const char* bad : {"-a", "a-", "a b", "a/b", "_a"}) {
    EXPECT_TRUE(check_network_name(bad)) << bad;
  }
  EXPECT_FALSE(check_network_name(std::string(63, 'n')));
  EXPECT_TRUE(check_network_name(std::string(64, 'n')));
}

TEST(CheckDuration, ZeroOnlyWhereAllowed) {
  EXPECT_FALSE(check_duration(Duration{0}, true));
  EXPECT_EQ(check_duration(Duration{0}, false), "must be greater than 0");
  EXPECT_EQ(check_duration(Duration{-1}, true), "negative duration");
  EXPECT_FALSE(check_duration(Duration{1}, false));
  EXPECT_TRUE(check_duration(Duration::max(), false));
}

TEST(CheckRange, InclusiveBounds) {
  EXPECT_FALSE(check_range(1, kConnectAttemptsRange));
  EXPECT_FALSE(check_range(16, kConnectAttemptsRange));
  EXPECT_EQ(check_range(17, kConnectAttemptsRange), "value out of range (1..16)");
  EXPECT_EQ(range_message(kPortRange, "port"), "port out of range (0..65535)");
}

TEST(AddressesOverlap, EqualOrWildcard) {
  EXPECT_TRUE(addresses_overlap("127.0.0.1", "127.0.0.1"));
  EXPECT_TRUE(addresses_overlap("::", "::0"));
  EXPECT_TRUE(addresses_overlap("0.0.0.0", "127.0.0.1"));
  EXPECT_TRUE(addresses_overlap("::1", "::"));
  EXPECT_TRUE(addresses_overlap("0.0.0.0", "::1"));
  EXPECT_FALSE(addresses_overlap("127.0.0.1", "127.0.0.2"));
  EXPECT_FALSE(addresses_overlap("127.0.0.1", "::1"));
  EXPECT_FALSE(addresses_overlap("bogus", "0.0.0.0"));
}

Listeners all_on_loopback() {
  Listeners listeners;
  uint16_t port = 20000;
  for (const NamedListener& named : kListenerKeys) {
    listeners.*named.member = Listener{"127.0.0.1", port++};
  }
  return listeners;
}

TEST(ListenerPorts, DefaultsDoNotCollide) {
  EXPECT_THAT(check_listener_ports({}), IsEmpty());
}

TEST(ListenerPorts, SamePortSameAddressCollides) {
  Listeners listeners = all_on_loopback();
  listeners.dns.port = listeners.istiod.port;
  EXPECT_THAT(check_listener_ports(listeners),
              ElementsAre(ErrorAt("listeners.dns.port", 0,
                                  "port 20001 on 127.0.0.1 collides with listeners.istiod.port "
                                  "(127.0.0.1 port 20001)")));
}

TEST(ListenerPorts, WildcardCollidesWithSpecific) {
  Listeners listeners = all_on_loopback();
  listeners.admin = {"::", listeners.passthrough.port};
  EXPECT_THAT(check_listener_ports(listeners),
              ElementsAre(ErrorAt("listeners.admin.port", 0, "listeners.passthrough.port")));
}

TEST(ListenerPorts, DifferentAddressesOrPortsAreFine) {
  Listeners listeners = all_on_loopback();
  listeners.dns = {"127.0.0.2", listeners.istiod.port};
  EXPECT_THAT(check_listener_ports(listeners), IsEmpty());
}

TEST(ListenerPorts, PortZeroNeverCollides) {
  Listeners listeners = all_on_loopback();
  for (const NamedListener& named : kListenerKeys)
    (listeners.*named.member).port = 0;
  EXPECT_THAT(check_listener_ports(listeners), IsEmpty());
}

TEST(ListenerPorts, EveryPairIsReported) {
  Listeners listeners = all_on_loopback();
  listeners.webhook.port = listeners.passthrough.port;
  listeners.health.port = listeners.passthrough.port;
  EXPECT_THAT(check_listener_ports(listeners),
              ElementsAre(ErrorAt("listeners.webhook.port", 0, "listeners.passthrough.port"),
                          ErrorAt("listeners.health.port", 0, "listeners.passthrough.port"),
                          ErrorAt("listeners.health.port", 0, "listeners.webhook.port")));
}

TEST(ValidateConfig, DefaultConfigIsValid) {
  EXPECT_THAT(validate_config(default_config()), IsEmpty());
}

TEST(ValidateConfig, ReportsEveryProblemWithItsPath) {
  Config config = default_config();
  config.network = "bad name";
  config.cluster_domain = "";
  config.workers = 1000;
  config.listeners.metrics.address = "nowhere";
  config.discovery.files.push_back({"", Duration{0}});
  config.passthrough.connect_attempts = 0;
  config.timeouts.client_hello = Duration{0};
  config.timeouts.drain = Duration{-1};
  config.limits.max_connections = 0;
  config.timeouts.drain_delay = Duration{-1};
  config.istiod.xds.host = "istiod:15012";
  config.istiod.webhook.port = 0;
  config.istiod.dns_refresh = Duration{0};
  config.outlier.consecutive_failures = 1001;
  config.outlier.base_ejection = Duration{0};
  config.outlier.max_ejection = Duration{-5};
  config.reload.poll_interval = kMaxDuration + Duration{1};
  EXPECT_THAT(validate_config(config),
              ElementsAre(ErrorAt("network", 0, "not a valid network name"),
                          ErrorAt("cluster_domain", 0, "not a valid DNS name"),
                          ErrorAt("workers", 0, "out of range (0..256)"),
                          ErrorAt("listeners.metrics.address", 0, "not an IP address"),
                          ErrorAt("discovery.files[1].path", 0, "non-empty path"),
                          ErrorAt("discovery.files[1].poll_interval", 0, "greater than 0"),
                          ErrorAt("passthrough.connect_attempts", 0, "out of range (1..16)"),
                          ErrorAt("timeouts.client_hello", 0, "greater than 0"),
                          ErrorAt("timeouts.drain_delay", 0, "negative duration"),
                          ErrorAt("timeouts.drain", 0, "negative duration"),
                          ErrorAt("limits.max_connections", 0, "out of range (1..10000000)"),
                          ErrorAt("istiod.xds.host", 0, "not a valid DNS name: 'istiod:15012'"),
                          ErrorAt("istiod.webhook.port", 0, "port out of range (1..65535)"),
                          ErrorAt("istiod.dns_refresh", 0, "greater than 0"),
                          ErrorAt("outlier.consecutive_failures", 0, "out of range (0..1000)"),
                          ErrorAt("outlier.base_ejection", 0, "greater than 0"),
                          ErrorAt("outlier.max_ejection", 0, "negative duration"),
                          ErrorAt("reload.poll_interval", 0, "duration too large")));
}

TEST(ValidateConfig, ZeroIsAllowedWhereItMeansOff) {
  Config config = default_config();
  config.timeouts.drain_delay = Duration{0};
  config.outlier.consecutive_failures = 0;
  config.reload.poll_interval = Duration{0};
  config.access_log.path = "";
  EXPECT_THAT(validate_config(config), IsEmpty());
}

TEST(ValidateConfig, MaxEjectionBelowBaseNamesBoth) {
  Config config = default_config();
  config.outlier.base_ejection = Duration{90'000};
  config.outlier.max_ejection = Duration{60'000};
  EXPECT_THAT(validate_config(config),
              ElementsAre(ErrorAt("outlier.max_ejection", 0,
                                  "1m is less than outlier.base_ejection (1m30s)")));
  config.outlier.max_ejection = config.outlier.base_ejection;
  EXPECT_THAT(validate_config(config), IsEmpty());
}

TEST(DefaultConfig, ReadsTheDemoRegistry) {
  EXPECT_STREQ(demo_registry_path(), MESHGATE_DEMO_REGISTRY);
  const Config config = default_config();
  ASSERT_EQ(config.discovery.files.size(), 1u);
  EXPECT_EQ(config.discovery.files[0].path, MESHGATE_DEMO_REGISTRY);
  EXPECT_EQ(config.discovery.files[0].poll_interval, Duration{1000});
}

}  // namespace
}  // namespace meshgate::config
