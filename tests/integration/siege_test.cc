// The health and metrics ports under siege (issue 17, item 1). Both are
// published on the LoadBalancer, so anyone may hold connections to them: a
// kubelet- or load-balancer-style probe (a new connection, one GET, a 1 s
// timeout) must still be answered while hundreds of idle, slow-header and
// keep-alive connections from many source addresses hold the port and
// reconnect whenever they are closed.
#include <gtest/gtest.h>

#include <cstdio>
#include <ostream>
#include <string>
#include <vector>

#include "tests/support/app_harness.h"
#include "tests/support/harness.h"
#include "tests/support/siege.h"

namespace meshgate::testing {
namespace {

using app::HttpPort;
using std::chrono::milliseconds;

constexpr milliseconds kProbeTimeout{1000};  // the kubelet's default timeoutSeconds
constexpr int kProbes = 20;

struct Target {
  const char* name;
  HttpPort port;
  const char* path;
};

class HttpUnderSiege : public ::testing::TestWithParam<Target> {
 protected:
  void SetUp() override {
    config::Config config = test_config();
    config.dns.enabled = false;
    app_ = std::make_unique<AppUnderTest>(std::move(config));
    ASSERT_TRUE(
        poll_until([&] { return app_->get(HttpPort::kHealth, "/healthz/ready").status == 200; }));
  }

  uint16_t port() const { return app_->port(GetParam().port); }

  // Once `siege` holds the port and churns (its closed connections come
  // back), probes `kProbes` times; every one must be answered 200 within the
  // probe timeout.
  void expect_probes_answered(const Siege& siege, std::size_t connections) {
    ASSERT_TRUE(poll_until([&] { return siege.made() >= connections + connections / 2; },
                           milliseconds(20'000)))
        << "the siege never held the port: " << siege.made() << " connections made";
    // Probes go on while the siege makes half its count again, so that they
    // meet its churn, not a lull.
    const std::size_t churned = siege.made() + connections / 2;
    int probes = 0;
    int answered = 0;
    milliseconds slowest{0};
    while (probes < kProbes || (siege.made() < churned && probes < 50 * kProbes)) {
      const ProbeResult result = probe(port(), GetParam().path, kProbeTimeout);
      ++probes;
      if (result.status == 200) ++answered;
      slowest = std::max(slowest, result.took);
    }
    std::printf(
        "[  siege   ] %s: %d of %d probes answered, slowest %lld ms; siege holds %zu, made %zu\n",
        GetParam().name, answered, probes, static_cast<long long>(slowest.count()), siege.open(),
        siege.made());
    EXPECT_EQ(answered, probes);
  }

  std::unique_ptr<AppUnderTest> app_;
};

// 600 connections from 150 addresses (4 each): more than the server holds in
// all, fewer than its per-client cap from any one address.
TEST_P(HttpUnderSiege, ProbesAreAnsweredWhileManySourcesHoldThePort) {
  Siege siege({.port = port(),
               .connections = 600,
               .sources = 150,
               .modes = {SiegeMode::kIdle, SiegeMode::kSlowHeader, SiegeMode::kKeepAlive},
               .request = std::string("GET ") + GetParam().path + " HTTP/1.1\r\nHost: x\r\n\r\n"});
  expect_probes_answered(siege, 600);
}

// 200 idle connections from one address.
TEST_P(HttpUnderSiege, ProbesAreAnsweredWhileOneSourceHoldsThePort) {
  Siege siege({.port = port(), .connections = 200, .sources = 1});
  expect_probes_answered(siege, 200);
}

void PrintTo(const Target& target, std::ostream* out) {
  *out << target.name;
}

INSTANTIATE_TEST_SUITE_P(Ports, HttpUnderSiege,
                         ::testing::Values(Target{"health", HttpPort::kHealth, "/healthz/ready"},
                                           Target{"liveness", HttpPort::kHealth, "/healthz/live"},
                                           Target{"metrics", HttpPort::kMetrics,
                                                  "/stats/prometheus"}),
                         [](const auto& p) { return std::string(p.param.name); });

// The health server has a thread of its own: while the control thread
// parses a registry file of 40,000 services (refused in the end: over 10,000
// items), probes are answered within the kubelet's timeout, though the
// metrics page, served by the busy control thread, waits.
TEST(HealthThread, ProbesAreAnsweredWhileTheControlThreadParsesAHugeRegistry) {
  TempDir dir;
  config::Config config = test_config();
  config.dns.enabled = false;
  config.discovery.files = {{dir.write("registry.yaml", "services: []\n"), milliseconds(20)}};
  AppUnderTest app(std::move(config));
  ASSERT_TRUE(
      poll_until([&] { return app.get(HttpPort::kHealth, "/healthz/ready").status == 200; }));
  std::string huge = "services:\n";
  for (int i = 0; i < 40'000; ++i) {
    huge += "  - {name: s" + std::to_string(i) + ", namespace: bar, ports: [{port: 8000}], " +
            "endpoints: [{address: 10.0." + std::to_string(i / 256 % 256) + "." +
            std::to_string(i % 256) + "}]}\n";
  }
  dir.write("registry.yaml", huge);
  milliseconds slowest_health{0};
  milliseconds slowest_metrics{0};
  int answered = 0;
  int probes = 0;
  const auto failed = [&] {
    return app.metric("meshgate_discovery_file_reloads_total{result=\"failed\"}") >= 1;
  };
  while (probes < 200) {
    const ProbeResult health = probe(app.port(HttpPort::kHealth), "/healthz/live", kProbeTimeout);
    ++probes;
    if (health.status == 200) ++answered;
    slowest_health = std::max(slowest_health, health.took);
    const ProbeResult metrics =
        probe(app.port(HttpPort::kMetrics), "/stats/prometheus", milliseconds(30'000));
    slowest_metrics = std::max(slowest_metrics, metrics.took);
    if (failed()) break;
  }
  std::printf("[  thread  ] %d of %d probes answered, slowest %lld ms; metrics slowest %lld ms\n",
              answered, probes, static_cast<long long>(slowest_health.count()),
              static_cast<long long>(slowest_metrics.count()));
  EXPECT_TRUE(failed()) << "the huge registry was never refused";
  EXPECT_EQ(answered, probes);
}

}  // namespace
}  // namespace meshgate::testing
