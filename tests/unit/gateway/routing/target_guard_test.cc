#include "gateway/routing/target_guard.h"

#include <gtest/gtest.h>

namespace meshgate::gateway {
namespace {

asio::ip::tcp::endpoint at(const char* address, uint16_t port) {
  return {asio::ip::make_address(address), port};
}

asio::ip::address ip(const char* text) {
  return asio::ip::make_address(text);
}

// A gateway on 0.0.0.0:15443 and 10.0.0.5:15012, on a host with 10.0.0.5,
// advertised as 203.0.113.9 (its LoadBalancer).
TargetGuard guard(bool allow_loopback) {
  return TargetGuard(allow_loopback, {{ip("0.0.0.0"), 15443}, {ip("10.0.0.5"), 15012}},
                     {ip("10.0.0.5"), ip("fd00::5")}, {ip("203.0.113.9")});
}

TEST(TargetGuard, MeshEndpointsAreDialled) {
  EXPECT_EQ(guard(false).check(at("10.0.0.7", 9443)), TargetRefusal::kNone);
  EXPECT_EQ(guard(false).check(at("10.0.0.5", 9443)),
            TargetRefusal::kNone);  // our host, no listener
  EXPECT_EQ(guard(false).check(at("fd00::7", 15443)), TargetRefusal::kNone);
}

TEST(TargetGuard, TheGatewaysOwnListenersAreNeverDialled) {
  const TargetGuard g = guard(true);
  EXPECT_EQ(g.check(at("10.0.0.5", 15443)), TargetRefusal::kSelf);  // wildcard listener
  EXPECT_EQ(g.check(at("fd00::5", 15443)), TargetRefusal::kSelf);
  EXPECT_EQ(g.check(at("127.0.0.1", 15443)), TargetRefusal::kSelf);
  EXPECT_EQ(g.check(at("127.3.4.5", 15443)), TargetRefusal::kSelf);
  EXPECT_EQ(g.check(at("0.0.0.0", 15443)), TargetRefusal::kSelf);
  EXPECT_EQ(g.check(at("::ffff:10.0.0.5", 15443)), TargetRefusal::kSelf);
  EXPECT_EQ(g.check(at("10.0.0.5", 15012)), TargetRefusal::kSelf);   // a specific one
  EXPECT_EQ(g.check(at("127.0.0.1", 15012)), TargetRefusal::kNone);  // nothing listens there
  // The load balancer's address on one of our ports comes back to us.
  EXPECT_EQ(g.check(at("203.0.113.9", 15012)), TargetRefusal::kSelf);
  EXPECT_EQ(g.check(at("203.0.113.9", 8443)), TargetRefusal::kNone);
  EXPECT_EQ(g.check(at("10.0.0.7", 15443)), TargetRefusal::kNone);  // another host's 15443
}

TEST(TargetGuard, LoopbackLinkLocalAndUnspecifiedOnlyWhenAllowed) {
  const TargetGuard strict = guard(false);
  for (const char* address : {"127.0.0.1", "127.255.0.1", "::1", "169.254.169.254", "fe80::1",
                              "0.0.0.0", "::", "::ffff:127.0.0.1", "::ffff:169.254.169.254"}) {
    EXPECT_EQ(strict.check(at(address, 9443)), TargetRefusal::kLoopback) << address;
    EXPECT_EQ(guard(true).check(at(address, 9443)), TargetRefusal::kNone) << address;
  }
}

TEST(TargetGuard, MadeFromTheConfigAndTheBoundPorts) {
  config::Config config;
  config.listeners.passthrough = {"127.0.0.1", 0};
  config.dns.zones[0].addresses = {"198.51.100.1"};
  const TargetGuard g =
      make_target_guard(config, std::vector<TargetGuard::Socket>{{ip("127.0.0.1"), 40001}});
  EXPECT_EQ(g.check(at("127.0.0.1", 40001)), TargetRefusal::kSelf);  // bound port 0
  EXPECT_EQ(g.check(at("10.9.9.9", 15012)), TargetRefusal::kNone);
  EXPECT_EQ(g.check(at("198.51.100.1", 15021)), TargetRefusal::kSelf);  // health, advertised
  EXPECT_EQ(g.check(at("127.0.0.1", 9443)), TargetRefusal::kLoopback);
  for (const asio::ip::address& address : host_addresses()) {
    EXPECT_EQ(g.check({address, 15012}), TargetRefusal::kSelf) << address.to_string();
  }
  config.passthrough.allow_loopback_endpoints = true;
  EXPECT_EQ(make_target_guard(config).check(at("127.0.0.1", 9443)), TargetRefusal::kNone);
}

}  // namespace
}  // namespace meshgate::gateway
