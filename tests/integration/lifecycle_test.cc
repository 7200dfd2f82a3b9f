// Drain on SIGTERM, reload of the config file, and outlier ejection, each on
// loopback with real TLS through the gateway.
#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "tests/support/app_harness.h"
#include "tests/support/harness.h"
#include "tests/support/socket.h"
#include "tests/support/tls_client.h"

namespace meshgate::testing {
namespace {

using app::HttpPort;
using gateway::CloseReason;
using gateway::ListenerKind;

constexpr const char* kSni = "outbound_.8000_._.httpbin.bar.svc.cluster.local";

class Lifecycle : public ::testing::Test {
 protected:
  Lifecycle() {
    v1_ = backends_.add({"v1", pki_.server.cert_pem, pki_.server.key_pem, pki_.ca.cert_pem, false});
    backends_.start();
    registry_ = dir_.write("registry.yaml", registry_yaml({{"httpbin", "bar", 8000, {v1_}}}));
  }

  config::Config config() const {
    config::Config config = test_config();
    config.discovery.files = {{registry_, std::chrono::milliseconds(50)}};
    return config;
  }

  // A config file: every listener on 127.0.0.1, the passthrough one on
  // `passthrough_port`, then `extra` YAML.
  std::string config_file(uint16_t passthrough_port, const std::string& extra = "",
                          uint16_t admin_port = 0) const {
    std::string yaml = "workers: 2\nlisteners:\n";
    yaml += "  admin: {address: 127.0.0.1, port: " + std::to_string(admin_port) + "}\n";
    for (const char* name : {"istiod", "webhook", "dns", "dns_grpc", "health", "metrics"})
      yaml += std::string("  ") + name + ": {address: 127.0.0.1, port: 0}\n";
    yaml += "  passthrough: {address: 127.0.0.1, port: " + std::to_string(passthrough_port) + "}\n";
    yaml += "discovery:\n  files: [{path: " + registry_ + ", poll_interval: 50ms}]\n";
    yaml += "istiod:\n  xds: {host: localhost, port: 1}\n  webhook: {host: localhost, port: 1}\n";
    yaml += "access_log: {enabled: false}\nreload: {poll_interval: 0s}\n";
    yaml += "passthrough: {allow_loopback_endpoints: true}\n" + extra;  // backends on 127.0.0.1
    return dir_.write("meshgate.yaml", yaml);
  }

  TlsClientOptions client() const { return httpbin_client(pki_, kSni); }

  static bool ready(const AppUnderTest& app) {
    return poll_until([&] { return app.get(HttpPort::kHealth, "/healthz/ready").status == 200; });
  }

  bool good_get(uint16_t port) const {
    TlsClient tls(port, client());
    return tls.handshake_ok() && tls.http_get().find("hello from v1") != std::string::npos;
  }

  static bool echoes(TlsClient& tls, const std::string& message) {
    return tls.write(message) && tls.read(message.size()) == message;
  }

  TestPki pki_;
  Backends backends_;
  uint16_t v1_ = 0;
  TempDir dir_;
  std::string registry_;
};

TEST_F(Lifecycle, DrainLetsALongConnectionFinish) {
  config::Config c = config();
  c.timeouts.drain_delay = std::chrono::milliseconds(200);
  c.timeouts.drain = std::chrono::seconds(20);
  AppUnderTest app(c);
  ASSERT_TRUE(ready(app));
  const uint16_t port = app.port(ListenerKind::kPassthrough);
  std::optional<TlsClient> tls;
  tls.emplace(port, client());
  ASSERT_TRUE(tls->handshake_ok()) << tls->error();
  ASSERT_TRUE(echoes(*tls, "before"));

  app.app().drain();
  EXPECT_TRUE(
      poll_until([&] { return app.get(HttpPort::kHealth, "/healthz/ready").status == 503; }));
  // After the delay the listener closes: new connections are refused...
  EXPECT_TRUE(poll_until([&] { return !Socket::connect("127.0.0.1", port).valid(); }));
  // ...while the open one keeps relaying until its client is done.
  EXPECT_TRUE(echoes(*tls, "during the drain"));
  EXPECT_FALSE(app.wait_exited(std::chrono::milliseconds(300)));
  EXPECT_TRUE(echoes(*tls, "still there"));
  tls->close();  // the client is done: the gateway exits without waiting out the drain
  ASSERT_TRUE(app.wait_exited());
  // Our connection, and perhaps a probe from the loop above still closing.
  EXPECT_GE(app.app().drain_result().open_at_close, 1u);
  EXPECT_EQ(app.app().drain_result().cut, 0u);
  EXPECT_EQ(app.app().gateway().stats().closed_by(CloseReason::kCompleted), 1u);
}

TEST_F(Lifecycle, DrainCutsWhatOutlivesTheTimeoutAndCountsIt) {
  config::Config c = config();
  c.timeouts.drain_delay = std::chrono::milliseconds(0);
  c.timeouts.drain = std::chrono::milliseconds(300);
  AppUnderTest app(c);
  ASSERT_TRUE(ready(app));
  TlsClient tls(app.port(ListenerKind::kPassthrough), client());
  ASSERT_TRUE(tls.handshake_ok()) << tls.error();
  ASSERT_TRUE(echoes(tls, "idle from now on"));

  const auto started = std::chrono::steady_clock::now();
  app.app().drain();
  ASSERT_TRUE(app.wait_exited());
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(300));
  EXPECT_EQ(app.app().drain_result().cut, 1u);
  EXPECT_EQ(app.app().gateway().stats().closed_by(CloseReason::kDrainTimeout), 1u);
  EXPECT_EQ(tls.read(1), "");  // closed under the client
}

TEST_F(Lifecycle, InvalidConfigIsRejectedAndTheOldOneKeepsServing) {
  const std::string path = config_file(0);
  auto app = AppUnderTest::from_file(path);
  ASSERT_TRUE(ready(*app));
  dir_.write("meshgate.yaml", "workers: 2\ntimeouts: {idle: forever}\n");
  app->app().reload();
  EXPECT_TRUE(poll_until(
      [&] { return app->metric("meshgate_config_reloads_total{result=\"failed\"}") == 1; }));
  EXPECT_EQ(app->metric("meshgate_config_reloads_total{result=\"ok\"}"), 0);
  EXPECT_TRUE(good_get(app->port(ListenerKind::kPassthrough)));
}

TEST_F(Lifecycle, ReloadRebindsAChangedPortAndKeepsOpenConnections) {
  auto app = AppUnderTest::from_file(config_file(0));
  ASSERT_TRUE(ready(*app));
  const uint16_t old_port = app->port(ListenerKind::kPassthrough);
  TlsClient open(old_port, client());
  ASSERT_TRUE(open.handshake_ok()) << open.error();

  const uint16_t new_port = free_port();
  config_file(new_port, "timeouts: {idle: 30s}\n");
  app->app().reload();
  ASSERT_TRUE(
      poll_until([&] { return app->metric("meshgate_config_reloads_total{result=\"ok\"}") == 1; }));
  EXPECT_TRUE(good_get(new_port));
  EXPECT_TRUE(poll_until([&] { return !Socket::connect("127.0.0.1", old_port).valid(); }));
  EXPECT_TRUE(echoes(open, "opened before the reload"));
  const auto dump = nlohmann::json::parse(app->get(HttpPort::kAdmin, "/config_dump").body);
  EXPECT_EQ(dump["config"]["timeouts"]["idle"], "30s");
}

TEST_F(Lifecycle, ReloadMovesTheAdminPortOrReportsWhyNot) {
  auto app = AppUnderTest::from_file(config_file(0));
  ASSERT_TRUE(ready(*app));
  const uint16_t passthrough = app->port(ListenerKind::kPassthrough);
  const uint16_t new_admin = free_port();
  config_file(passthrough, "", new_admin);
  app->app().reload();
  ASSERT_TRUE(
      poll_until([&] { return app->metric("meshgate_config_reloads_total{result=\"ok\"}") == 1; }));
  EXPECT_EQ(app->port(HttpPort::kAdmin), new_admin);
  EXPECT_EQ(http_get(new_admin, "/ready").status, 200);

  Listener taken;  // someone else holds this port
  config_file(passthrough, "timeouts: {idle: 42s}\n", taken.port());
  app->app().reload();
  ASSERT_TRUE(poll_until(
      [&] { return app->metric("meshgate_config_reloads_total{result=\"failed\"}") == 1; }));
  // Everything else applied; the admin server stays where it was, and says so.
  const auto dump = nlohmann::json::parse(http_get(new_admin, "/config_dump").body);
  EXPECT_EQ(dump["config"]["listeners"]["admin"]["port"], new_admin);
  EXPECT_EQ(dump["config"]["timeouts"]["idle"], "42s");
}

TEST_F(Lifecycle, StopNowClosesOpenConnectionsAsShutdown) {
  AppUnderTest app(config());
  ASSERT_TRUE(ready(app));
  TlsClient tls(app.port(ListenerKind::kPassthrough), client());
  ASSERT_TRUE(tls.handshake_ok()) << tls.error();
  ASSERT_TRUE(echoes(tls, "open"));
  app.app().stop_now();
  ASSERT_TRUE(app.wait_exited());
  EXPECT_EQ(app.app().gateway().stats().closed_by(CloseReason::kShutdown), 1u);
  EXPECT_EQ(app.app().gateway().stats().closed_by(CloseReason::kDrainTimeout), 0u);
}

TEST_F(Lifecycle, ReloadUnderLoadDropsNoConnection) {
  auto app = AppUnderTest::from_file(config_file(0));
  ASSERT_TRUE(ready(*app));
  const uint16_t port = app->port(ListenerKind::kPassthrough);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 75;
  std::atomic<int> good{0};
  std::atomic<bool> done{false};
  std::vector<std::thread> clients;
  for (int t = 0; t < kThreads; ++t) {
    clients.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i)
        good += good_get(port) ? 1 : 0;
    });
  }
  int reloads = 0;
  std::thread reloader([&] {
    // One reload at a time, each waited for, as long as the clients run.
    for (int i = 0; !done; ++i) {
      const std::string idle = std::to_string(10 + i % 20) + "s";
      config_file(port, "timeouts: {idle: " + idle + "}\nlimits: {buffer_bytes: " +
                            std::to_string(4096 * (1 + i % 4)) + "}\n");
      app->app().reload();
      const std::string ok = "meshgate_config_reloads_total{result=\"ok\"}";
      if (!poll_until([&] { return app->metric(ok) >= i + 1; })) break;
      reloads = i + 1;
    }
  });
  for (auto& thread : clients)
    thread.join();
  done = true;
  reloader.join();
  EXPECT_EQ(good.load(), kThreads * kPerThread);
  EXPECT_GT(reloads, 1);
  EXPECT_EQ(app->metric("meshgate_config_reloads_total{result=\"ok\"}"), reloads);
  EXPECT_EQ(app->metric("meshgate_config_reloads_total{result=\"failed\"}"), 0);
  const auto stats = app->app().gateway().stats();
  EXPECT_TRUE(poll_until([&] {
    return app->app().gateway().stats().closed_by(CloseReason::kCompleted) ==
           static_cast<uint64_t>(kThreads * kPerThread);
  }));
  EXPECT_EQ(stats.closed_total(), stats.closed_by(CloseReason::kCompleted));
}

// /clusters health of the endpoint on `port`.
std::string health_of(const AppUnderTest& app, uint16_t port) {
  const auto clusters = nlohmann::json::parse(app.get(HttpPort::kAdmin, "/clusters").body);
  for (const auto& cluster : clusters["clusters"]) {
    if (cluster["sni"] != kSni) continue;
    for (const auto& endpoint : cluster["endpoints"]) {
      if (endpoint["port"] == port) return endpoint["health"];
    }
  }
  return "missing";
}

TEST_F(Lifecycle, DeadEndpointIsEjectedAndComesBack) {
  const uint16_t dead = dead_port();
  registry_ = dir_.write("registry.yaml", registry_yaml({{"httpbin", "bar", 8000, {dead, v1_}}}));
  config::Config c = config();
  c.workers = 1;
  c.passthrough.connect_attempts = 2;
  c.outlier = {2, std::chrono::milliseconds(1500), std::chrono::seconds(10)};
  AppUnderTest app(c);
  ASSERT_TRUE(ready(app));
  const uint16_t port = app.port(ListenerKind::kPassthrough);
  const std::string ejections = "meshgate_outlier_ejections_total{listener=\"passthrough\"}";
  const std::string failures = "meshgate_upstream_connect_failures_total{listener=\"passthrough\"}";

  // Every client gets through (the dead endpoint is skipped) until it is ejected.
  for (int i = 0; i < 20 && app.metric(ejections) < 1; ++i)
    ASSERT_TRUE(good_get(port));
  ASSERT_EQ(app.metric(ejections), 1);
  EXPECT_EQ(health_of(app, dead), "ejected");
  EXPECT_EQ(health_of(app, v1_), "healthy");
  EXPECT_EQ(app.metric("meshgate_outlier_ejected_endpoints"), 1);
  // While ejected (1.5 s, far longer than these few handshakes) it is not dialled.
  const double failed = app.metric(failures);
  for (int i = 0; i < 4; ++i)
    EXPECT_TRUE(good_get(port));
  EXPECT_EQ(app.metric(failures), failed);

  // After the ejection it is tried again, fails again, and is ejected again.
  EXPECT_TRUE(poll_until([&] { return health_of(app, dead) == "healthy"; }));
  for (int i = 0; i < 20 && app.metric(ejections) < 2; ++i)
    ASSERT_TRUE(good_get(port));
  EXPECT_GT(app.metric(failures), failed);
  EXPECT_EQ(app.metric(ejections), 2);
}

}  // namespace
}  // namespace meshgate::testing
