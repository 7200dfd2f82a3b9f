// The DNS server inside the whole gateway: its zone follows the registry
// file, its counters show on the metrics page, and a reload changes the zone
// in place or restarts the server, as the change needs.
#include <gtest/gtest.h>

#include "dns-global/grpc_endpoint.h"
#include "tests/support/app_harness.h"
#include "tests/support/dns_client.h"
#include "tests/support/harness.h"

namespace meshgate::testing {
namespace {

class DnsApp : public ::testing::Test {
 protected:
  DnsApp() {
    registry_ =
        dir_.write("registry.yaml", "aliases:\n  - {host: db.bar.global, addresses: [10.1.2.3]}\n");
  }

  // Every listener on 127.0.0.1 port 0, then `dns` YAML.
  std::string config_file(const std::string& dns) const {
    std::string yaml = "workers: 1\nlisteners:\n";
    for (const char* name :
         {"passthrough", "istiod", "webhook", "dns", "dns_grpc", "health", "metrics", "admin"}) {
      yaml += std::string("  ") + name + ": {address: 127.0.0.1, port: 0}\n";
    }
    yaml += "discovery:\n  files: [{path: " + registry_ + ", poll_interval: 50ms}]\n";
    yaml += "istiod:\n  xds: {host: localhost, port: 1}\n  webhook: {host: localhost, port: 1}\n";
    yaml += "access_log: {enabled: false}\nreload: {poll_interval: 0s}\ndns:\n" + dns;
    return dir_.write("meshgate.yaml", yaml);
  }

  static uint16_t dns_port(AppUnderTest& app) {
    return app.app().dns_server()->udp_endpoint().port();
  }

  static std::optional<uint32_t> ttl_of(uint16_t port, const std::string& name) {
    const auto reply = udp_exchange(port, dns_query(name, dns::rrtype::kA));
    if (!reply) return std::nullopt;
    const dns::Message message = parse_reply(*reply);
    if (message.answers.empty()) return std::nullopt;
    return message.answers[0].ttl;
  }

  // Reloads and waits until the control thread has applied it.
  static bool reload(AppUnderTest& app) {
    const double before = app.metric("meshgate_config_reloads_total{result=\"ok\"}");
    app.app().reload();
    return poll_until(
        [&] { return app.metric("meshgate_config_reloads_total{result=\"ok\"}") > before; });
  }

  TempDir dir_;
  std::string registry_;
};

TEST_F(DnsApp, ZoneFollowsTheRegistryAndGrpcAnswersAsUdp) {
  const auto app = AppUnderTest::from_file(config_file("  ttl: 30s\n"));
  const uint16_t port = dns_port(*app);
  EXPECT_EQ(ttl_of(port, "db.bar.global"), 30U);
  dir_.write("registry.yaml", "aliases:\n  - {host: new.bar.global, addresses: [10.9.9.9]}\n");
  EXPECT_TRUE(poll_until([&] { return ttl_of(port, "new.bar.global").has_value(); }));
  const auto query = dns_query("new.bar.global", dns::rrtype::kA);
  const auto udp = udp_exchange(port, query);
  std::string error;
  const auto grpc = dns::grpc_query(
      "127.0.0.1:" + std::to_string(app->app().dns_server()->grpc_port()), query, &error);
  ASSERT_TRUE(udp.has_value());
  ASSERT_TRUE(grpc.has_value()) << error;
  EXPECT_EQ(*grpc, *udp);
  const std::string page = app->scrape();
  EXPECT_GE(metric(page, "meshgate_dns_queries_total{transport=\"grpc\"}"), 1);
  EXPECT_GE(metric(page, "meshgate_dns_responses_total{type=\"A\",rcode=\"NOERROR\"}"), 3);
  EXPECT_GE(metric(page, "meshgate_dns_zone_names"), 1);
}

TEST_F(DnsApp, ReloadOfZoneSettingsKeepsTheServerAndItsPort) {
  const auto app = AppUnderTest::from_file(config_file("  ttl: 30s\n"));
  const uint16_t port = dns_port(*app);
  config_file("  ttl: 5s\n");
  ASSERT_TRUE(reload(*app));
  EXPECT_EQ(dns_port(*app), port);
  EXPECT_EQ(ttl_of(port, "db.bar.global"), 5U);
}

TEST_F(DnsApp, ReloadOfServerSettingsRestartsIt) {
  const auto app = AppUnderTest::from_file(config_file("  tcp_idle: 10s\n"));
  config_file("  tcp_idle: 20s\n  forward: {enabled: false}\n");
  ASSERT_TRUE(reload(*app));
  // The new server applies the new forwarding policy (REFUSED) and serves the zone.
  const uint16_t port = dns_port(*app);
  EXPECT_EQ(ttl_of(port, "db.bar.global"), 30U);
  const auto refused = udp_exchange(port, dns_query("example.com", dns::rrtype::kA));
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(parse_reply(*refused).header.rcode, dns::rcode::kRefused);
}

TEST_F(DnsApp, RateLimitFromTheConfigFileShowsOnTheMetricsPage) {
  const auto app = AppUnderTest::from_file(
      config_file("  rate_limit: {responses_per_second: 1, burst: 2, slip: 2}\n"));
  const uint16_t port = dns_port(*app);
  int answered = 0;
  int truncated = 0;
  int silent = 0;
  for (int i = 0; i < 6; ++i) {
    // A dropped answer is waited for briefly: it never comes.
    const auto reply =
        udp_exchange(port, dns_query("db.bar.global", dns::rrtype::kA), "127.0.0.1", 300);
    if (!reply) {
      ++silent;
    } else if (parse_reply(*reply).header.tc) {
      ++truncated;
    } else {
      ++answered;
    }
  }
  EXPECT_GE(answered, 2);  // the burst
  EXPECT_GE(silent + truncated, 1);
  const std::string page = app->scrape();
  EXPECT_EQ(metric(page, "meshgate_dns_rate_limited_total{action=\"dropped\"}"), silent);
  EXPECT_EQ(metric(page, "meshgate_dns_rate_limited_total{action=\"slipped\"}"), truncated);
  // TCP is not limited.
  EXPECT_EQ(tcp_exchange(port, {dns_query("db.bar.global", dns::rrtype::kA)}).size(), 1U);
}

}  // namespace
}  // namespace meshgate::testing
