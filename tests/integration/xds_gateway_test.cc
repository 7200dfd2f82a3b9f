// The whole gateway with discovery.xds against a stand-in istiod (real gRPC
// ADS over TLS): readiness waits for the first complete push, then a real
// TLS connection on 15443 reaches the endpoint istiod's chain names; an
// istiod outage leaves the routes serving; /config_dump and the metrics say
// what istiod sent. Istio's side: pilot/pkg/networking/core/gateway.go
// (AUTO_PASSTHROUGH chains), pilot/pkg/xds/ads.go.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/app_harness.h"
#include "tests/support/fake_istiod.h"
#include "tests/support/harness.h"
#include "tests/support/tls_client.h"
#include "tests/unit/discovery/xds/xds_builders.h"

namespace meshgate::testing {
namespace {

namespace xds = discovery::xds;
using app::HttpPort;
constexpr const char* kSni = "outbound_.8000_._.httpbin.bar.svc.cluster.local";

class XdsGateway : public ::testing::Test {
 protected:
  XdsGateway() : istiod_("token-1") {
    backend_ =
        backends_.add({"v1", pki_.server.cert_pem, pki_.server.key_pem, pki_.ca.cert_pem, false});
    backends_.start();
  }

  config::Config config() {
    config::Config config = test_config();
    config::XdsSource& x = config.discovery.xds;
    x.enabled = true;
    x.address = istiod_.address();
    x.server_name = FakeIstiod::kServerName;
    x.root_cert = dir_.write("root-cert.pem", istiod_.root_pem());
    x.token_file = dir_.write("istio-token", "token-1\n");
    x.pod_name = "eastwest-0";
    x.pod_namespace = "istio-system";
    x.pod_ip = "127.0.0.1";
    x.istio_version = "1.24.0";
    return config;
  }

  // What istiod sends for httpbin.bar exposed through AUTO_PASSTHROUGH.
  void push_clusters_and_listeners(const std::string& version) {
    istiod_.push(xds::testing::response(xds::kClusterType, version, "c" + version,
                                        std::vector{xds::testing::eds_cluster(kSni)}));
    istiod_.push(xds::testing::response(
        xds::kListenerType, version, "l" + version,
        std::vector{xds::testing::listener(15443, {xds::testing::passthrough_chain(kSni)})}));
  }
  void push_endpoints(const std::string& version) {
    istiod_.push(xds::testing::response(
        xds::kLoadAssignmentType, version, "e" + version,
        std::vector{xds::testing::assignment(kSni, {{"127.0.0.1", backend_}})}));
  }

  std::string get_through(const AppUnderTest& app) {
    TlsClient tls(app.port(gateway::ListenerKind::kPassthrough), httpbin_client(pki_, kSni));
    return tls.handshake_ok() ? tls.http_get() : "handshake failed: " + tls.error();
  }

  bool ready(const AppUnderTest& app) {
    return app.get(HttpPort::kHealth, "/healthz/ready").status == 200;
  }

  TestPki pki_;
  FakeIstiod istiod_;
  Backends backends_;
  uint16_t backend_ = 0;
  TempDir dir_;
};

TEST_F(XdsGateway, ReadyAtTheFirstCompletePushAndRoutesAsIstiodSays) {
  AppUnderTest app(config());
  ASSERT_TRUE(istiod_.request(1));  // the stream is open: CDS and LDS asked for
  EXPECT_EQ(app.get(HttpPort::kHealth, "/healthz/ready").status, 503);
  push_clusters_and_listeners("1");
  ASSERT_TRUE(istiod_.request(4));  // CDS, LDS, CDS ACK, EDS subscription, LDS ACK
  EXPECT_EQ(app.get(HttpPort::kHealth, "/healthz/ready").status, 503);  // EDS still owed
  push_endpoints("1");
  ASSERT_TRUE(poll_until([&] { return ready(app); }, std::chrono::seconds(10)));
  EXPECT_NE(get_through(app).find("hello from v1"), std::string::npos);
  EXPECT_EQ(app.metric("meshgate_xds_connected"), 1);
  EXPECT_EQ(app.metric("meshgate_xds_complete"), 1);
  EXPECT_EQ(app.metric(R"(meshgate_xds_pushes_total{type="lds"})"), 1);
  EXPECT_EQ(app.metric("meshgate_xds_routes"), 1);
}

TEST_F(XdsGateway, AnIstiodOutageKeepsTheRoutesServing) {
  AppUnderTest app(config());
  push_clusters_and_listeners("1");
  push_endpoints("1");
  ASSERT_TRUE(poll_until([&] { return ready(app); }, std::chrono::seconds(10)));
  istiod_.end_stream();
  ASSERT_TRUE(poll_until(
      [&] { return app.metric(R"(meshgate_xds_failures_total{reason="closed"})") >= 1; }));
  EXPECT_NE(get_through(app).find("hello from v1"), std::string::npos);
  EXPECT_TRUE(ready(app));
}

TEST_F(XdsGateway, ConfigDumpShowsEachTypesVersionAndNonce) {
  AppUnderTest app(config());
  push_clusters_and_listeners("7");
  push_endpoints("7");
  ASSERT_TRUE(poll_until([&] { return ready(app); }, std::chrono::seconds(10)));
  const auto dump = nlohmann::json::parse(app.get(HttpPort::kAdmin, "/config_dump").body);
  EXPECT_EQ(dump["xds"]["types"]["lds"]["version"], "7");
  EXPECT_EQ(dump["xds"]["types"]["lds"]["nonce"], "l7");
  EXPECT_EQ(dump["xds"]["types"]["eds"]["nonce"], "e7");
  EXPECT_EQ(dump["xds"]["complete"], true);
  EXPECT_EQ(dump["config"]["discovery"]["xds"]["pod_name"], "eastwest-0");
}

}  // namespace
}  // namespace meshgate::testing
