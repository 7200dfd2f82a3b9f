// Ports 15012 and 15017: TLS passthrough to istiod, whatever the SNI, with
// the upstream found in the registry or, failing that, by DNS. A fake istiod
// (OpenSSL on a test CA) must be verifiable end to end by the client.
#include <gtest/gtest.h>

#include "tests/support/app_harness.h"
#include "tests/support/harness.h"
#include "tests/support/socket.h"
#include "tests/support/tls_client.h"

namespace meshgate::testing {
namespace {

using app::HttpPort;
using gateway::ListenerKind;

constexpr const char* kIstiodHost = "istiod.istio-system.svc";

class IstiodPorts : public ::testing::Test {
 protected:
  IstiodPorts()
      : istiod_cert_(demo::make_leaf(pki_.ca, kIstiodHost,
                                     std::vector<std::string>{kIstiodHost, "istiod"})) {
    xds_port_ =
        backends_.add({"istiod-xds", istiod_cert_.cert_pem, istiod_cert_.key_pem, "", false});
    webhook_port_ =
        backends_.add({"istiod-webhook", istiod_cert_.cert_pem, istiod_cert_.key_pem, "", false});
    backends_.start();
  }

  // istiod.istio-system with 15012 -> the xds backend and 443 -> the webhook one.
  std::string istiod_registry() const {
    return "services:\n  - name: istiod\n    namespace: istio-system\n    ports:\n"
           "      - {name: grpc-xds, port: 15012, target_port: " +
           std::to_string(xds_port_) + "}\n      - {name: https-webhook, port: 443, target_port: " +
           std::to_string(webhook_port_) + "}\n    endpoints:\n      - address: 127.0.0.1\n";
  }

  TlsClientOptions client(std::string sni = kIstiodHost) const {
    TlsClientOptions options;
    options.sni = std::move(sni);
    options.ca_pem = pki_.ca.cert_pem;
    options.verify_host = kIstiodHost;
    return options;
  }

  std::string get_through(uint16_t port, const TlsClientOptions& options) {
    TlsClient tls(port, options);
    EXPECT_TRUE(tls.handshake_ok()) << tls.error();
    return tls.http_get();
  }

  TestPki pki_;
  demo::CertifiedKey istiod_cert_;
  Backends backends_;
  uint16_t xds_port_ = 0;
  uint16_t webhook_port_ = 0;
  TempDir dir_;
};

TEST_F(IstiodPorts, RelayToIstiodFromTheRegistryWithTheCertificateVerified) {
  config::Config config = test_config();
  config.discovery.files = {
      {dir_.write("registry.yaml", istiod_registry()), std::chrono::seconds(1)}};
  config.istiod.xds = {kIstiodHost, 15012};
  config.istiod.webhook = {kIstiodHost, 443};
  AppUnderTest app(config);
  ASSERT_TRUE(poll_until([&] {
    const gateway::ClusterPtr upstream =
        app.app().gateway().routes()->upstream(ListenerKind::kWebhook);
    return upstream && upstream->name == "outbound|443||istiod.istio-system.svc.cluster.local";
  }));

  EXPECT_NE(get_through(app.port(ListenerKind::kIstiod), client()).find("hello from istiod-xds"),
            std::string::npos);
  EXPECT_NE(
      get_through(app.port(ListenerKind::kWebhook), client()).find("hello from istiod-webhook"),
      std::string::npos);
  // No SNI at all, or any other name: still istiod (the client checks the certificate).
  EXPECT_NE(get_through(app.port(ListenerKind::kIstiod), client("")).find("hello from istiod-xds"),
            std::string::npos);
  EXPECT_NE(get_through(app.port(ListenerKind::kIstiod), client("anything.example"))
                .find("hello from istiod-xds"),
            std::string::npos);

  const std::string page = app.scrape();
  EXPECT_EQ(metric(page, "meshgate_connections_accepted_total{listener=\"istiod\"}"), 3);
  EXPECT_EQ(metric(page, "meshgate_connections_accepted_total{listener=\"webhook\"}"), 1);
  EXPECT_EQ(metric(page,
                   "meshgate_route_connections_total{route=\"outbound|443||istiod.istio-system.svc."
                   "cluster.local\"}"),
            1);
}

TEST_F(IstiodPorts, FallsBackToDnsWhenTheRegistryHasNoIstiod) {
  config::Config config = test_config();
  config.istiod.xds = {"localhost", xds_port_};  // resolved through /etc/hosts
  config.istiod.dns_refresh = std::chrono::milliseconds(100);
  AppUnderTest app(config);
  ASSERT_TRUE(poll_until([&] {
    const gateway::ClusterPtr upstream =
        app.app().gateway().routes()->upstream(ListenerKind::kIstiod);
    return upstream && upstream->name == "outbound|" + std::to_string(xds_port_) + "||localhost";
  }));
  // localhost may also resolve to ::1, where nothing listens: the next endpoint is tried.
  EXPECT_NE(get_through(app.port(ListenerKind::kIstiod), client()).find("hello from istiod-xds"),
            std::string::npos);
  EXPECT_GE(app.metric("meshgate_istiod_dns_lookups_total{result=\"ok\"}"), 1);
}

TEST_F(IstiodPorts, NoUpstreamKnownClosesAndCounts) {
  config::Config config = test_config();
  config.istiod.webhook = {"istiod.invalid", 443};  // .invalid never resolves (RFC 6761)
  AppUnderTest app(config);
  Socket socket = Socket::connect("127.0.0.1", app.port(ListenerKind::kWebhook));
  ASSERT_TRUE(socket.send_all("x"));  // first bytes: then there is something to route
  EXPECT_TRUE(socket.wait_closed());
  EXPECT_TRUE(poll_until([&] {
    return app.metric(
               "meshgate_connections_closed_total{listener=\"webhook\",reason=\"unknown_"
               "service\"}") == 1;
  }));
}

// A client that sends nothing holds no connection to istiod: it is closed at
// timeouts.client_hello, and istiod never sees it (issue 17, item 6).
TEST_F(IstiodPorts, ASilentClientIsClosedAtTheHelloTimeoutAndNeverReachesIstiod) {
  config::Config config = test_config();
  config.discovery.files = {
      {dir_.write("registry.yaml", istiod_registry()), std::chrono::seconds(1)}};
  config.istiod.xds = {kIstiodHost, 15012};
  config.timeouts.client_hello = std::chrono::milliseconds(300);
  AppUnderTest app(config);
  ASSERT_TRUE(poll_until(
      [&] { return app.app().gateway().routes()->upstream(ListenerKind::kIstiod) != nullptr; }));
  const auto began = std::chrono::steady_clock::now();
  Socket socket = Socket::connect("127.0.0.1", app.port(ListenerKind::kIstiod));
  EXPECT_TRUE(socket.wait_closed());
  const auto took = std::chrono::steady_clock::now() - began;
  EXPECT_GE(took, std::chrono::milliseconds(250));
  EXPECT_LT(took, std::chrono::milliseconds(2000));
  EXPECT_TRUE(poll_until([&] {
    return app.metric(
               "meshgate_connections_closed_total{listener=\"istiod\",reason=\"hello_timeout\"}") ==
           1;
  }));
  EXPECT_EQ(app.metric("meshgate_upstream_connect_attempts_total{listener=\"istiod\"}"), 0);
}

// Whatever a client sends first is relayed as it is: 15012 and 15017 are
// passthrough, and only a ClientHello is read whole before connecting.
TEST_F(IstiodPorts, FirstBytesThatAreNoClientHelloAreRelayedAsTheyAre) {
  Listener istiod;
  config::Config config = test_config();
  config.istiod.xds = {"localhost", istiod.port()};
  config.istiod.dns_refresh = std::chrono::milliseconds(100);
  AppUnderTest app(config);
  ASSERT_TRUE(poll_until(
      [&] { return app.app().gateway().routes()->upstream(ListenerKind::kIstiod) != nullptr; }));
  Socket socket = Socket::connect("127.0.0.1", app.port(ListenerKind::kIstiod));
  ASSERT_TRUE(socket.send_all("PRI * HTTP/2.0\r\n"));
  Socket upstream = istiod.accept();
  ASSERT_TRUE(upstream.valid());
  char got[16] = {};
  EXPECT_EQ(::recv(upstream.fd(), got, sizeof got, MSG_WAITALL), 16);
  EXPECT_EQ(std::string(got, 16), "PRI * HTTP/2.0\r\n");
}

}  // namespace
}  // namespace meshgate::testing
