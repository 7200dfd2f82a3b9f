// The whole gateway with discovery.xds against a stand-in istiod (real gRPC
// ADS over TLS): readiness waits for the first complete push, then a real
// TLS connection on 15443 reaches the endpoint istiod's chain names; an
// istiod outage leaves the routes serving; /config_dump and the metrics say
// what istiod sent. Istio's side: pilot/pkg/networking/core/gateway.go
// (AUTO_PASSTHROUGH chains), pilot/pkg/xds/ads.go.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <memory>

#include "tests/support/app_harness.h"
#include "tests/support/fake_dns.h"
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
    backup_ =
        backends_.add({"v2", pki_.server.cert_pem, pki_.server.key_pem, pki_.ca.cert_pem, false});
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
    ASSERT_TRUE(istiod_.push(xds::testing::response(xds::kClusterType, version, "c" + version,
                                                    std::vector{xds::testing::eds_cluster(kSni)})));
    ASSERT_TRUE(istiod_.push(xds::testing::response(
        xds::kListenerType, version, "l" + version,
        std::vector{xds::testing::listener(15443, {xds::testing::passthrough_chain(kSni)})})));
  }
  void push_endpoints(const std::string& version) {
    ASSERT_TRUE(istiod_.push(xds::testing::response(
        xds::kLoadAssignmentType, version, "e" + version,
        std::vector{xds::testing::assignment(kSni, {{"127.0.0.1", backend_}})})));
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
  uint16_t backup_ = 0;  // "v2": only the priority test routes to it
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
  EXPECT_EQ(app.metric("meshgate_xds_publishes_total"), 1) << "one accepted complete state";
  // Every kind the README lists is exported (-1: absent from the page).
  for (const char* kind :
       {"unserved_chain", "foreign_name", "unknown_cluster", "unnamed_cluster",
        "unresolved_cluster", "dns_unanswered", "other_listener_chain", "subset_outside_route"}) {
    const std::string series = std::string("meshgate_xds_untranslated{kind=\"") + kind + "\"}";
    EXPECT_EQ(app.metric(series), 0) << kind;
  }
}

TEST_F(XdsGateway, AnIstiodOutageKeepsTheRoutesServing) {
  AppUnderTest app(config());
  push_clusters_and_listeners("1");
  push_endpoints("1");
  ASSERT_TRUE(poll_until([&] { return ready(app); }, std::chrono::seconds(10)));
  istiod_.refuse_streams(true);  // istiod is gone: every new stream fails
  istiod_.end_stream();
  ASSERT_TRUE(poll_until([&] {
    return app.metric("meshgate_xds_connected") == 0 &&
           app.metric(R"(meshgate_xds_failures_total{reason="unavailable"})") >= 1;
  }));
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

// istiod stops exposing the service (its chain and cluster go): a new
// connection is refused, and one already open goes on relaying (a route
// change never touches open connections).
TEST_F(XdsGateway, ARemovedRouteRefusesNewConnectionsWhileAnOpenOneRelays) {
  AppUnderTest app(config());
  push_clusters_and_listeners("1");
  push_endpoints("1");
  ASSERT_TRUE(poll_until([&] { return ready(app); }, std::chrono::seconds(10)));
  TlsClient open(app.port(gateway::ListenerKind::kPassthrough), httpbin_client(pki_, kSni));
  ASSERT_TRUE(open.handshake_ok()) << open.error();
  ASSERT_TRUE(istiod_.push(xds::testing::response(
      xds::kClusterType, "2", "c2", std::vector<envoy::config::cluster::v3::Cluster>{})));
  ASSERT_TRUE(istiod_.push(xds::testing::response(xds::kListenerType, "2", "l2",
                                                  std::vector{xds::testing::listener(15443, {})})));
  ASSERT_TRUE(poll_until([&] { return app.metric("meshgate_xds_routes") == 0; }));
  // Every worker takes the new routes from its own loop: poll new connections.
  EXPECT_TRUE(
      poll_until([&] { return get_through(app).find("hello from v1") == std::string::npos; }));
  EXPECT_GE(
      app.metric(
          R"(meshgate_connections_closed_total{listener="passthrough",reason="unknown_service"})"),
      1);
  EXPECT_NE(open.http_get().find("hello from v1"), std::string::npos);
}

// Envoy's priorities, as istiod sends them for locality failover: priority 1
// serves only while no priority-0 endpoint is dialable.
TEST_F(XdsGateway, ALowerPriorityServesOnlyWhenNoHigherOneCan) {
  AppUnderTest app(config());
  push_clusters_and_listeners("1");
  const auto with_primary = [&](envoy::config::core::v3::HealthStatus health) {
    auto endpoints = xds::testing::assignment(kSni, {{"127.0.0.1", backend_}});
    endpoints.mutable_endpoints(0)->mutable_lb_endpoints(0)->set_health_status(health);
    auto* second = endpoints.add_endpoints();
    second->set_priority(1);
    xds::testing::add_endpoint(*second, "127.0.0.1", backup_);
    return endpoints;
  };
  ASSERT_TRUE(istiod_.push(
      xds::testing::response(xds::kLoadAssignmentType, "1", "e1",
                             std::vector{with_primary(envoy::config::core::v3::UNHEALTHY)})));
  ASSERT_TRUE(poll_until([&] { return ready(app); }, std::chrono::seconds(10)));
  EXPECT_NE(get_through(app).find("hello from v2"), std::string::npos);
  ASSERT_TRUE(istiod_.push(
      xds::testing::response(xds::kLoadAssignmentType, "2", "e2",
                             std::vector{with_primary(envoy::config::core::v3::HEALTHY)})));
  EXPECT_TRUE(
      poll_until([&] { return get_through(app).find("hello from v1") != std::string::npos; },
                 std::chrono::seconds(10)));
}

// A DestinationRule's connectionPool.tcp.maxConnections reaches the gateway
// as the cluster's circuit breaker (pilot/pkg/networking/core/
// cluster_traffic_policy.go): one count for the whole gateway, whichever
// worker takes the connection; past it, a new connection is closed as
// cluster_overflow, and the slot comes back when the open one ends.
TEST_F(XdsGateway, AClustersMaxConnectionsHoldsForTheWholeGateway) {
  AppUnderTest app(config());
  auto limited = xds::testing::eds_cluster(kSni);
  limited.mutable_circuit_breakers()->add_thresholds()->mutable_max_connections()->set_value(1);
  ASSERT_TRUE(
      istiod_.push(xds::testing::response(xds::kClusterType, "1", "c1", std::vector{limited})));
  ASSERT_TRUE(istiod_.push(xds::testing::response(
      xds::kListenerType, "1", "l1",
      std::vector{xds::testing::listener(15443, {xds::testing::passthrough_chain(kSni)})})));
  push_endpoints("1");
  ASSERT_TRUE(poll_until([&] { return ready(app); }, std::chrono::seconds(10)));
  auto open = std::make_unique<TlsClient>(app.port(gateway::ListenerKind::kPassthrough),
                                          httpbin_client(pki_, kSni));
  ASSERT_TRUE(open->handshake_ok()) << open->error();
  for (int i = 0; i < 4; ++i) {  // whichever worker accepts it
    EXPECT_EQ(get_through(app).find("hello from v1"), std::string::npos);
  }
  EXPECT_EQ(
      app.metric(
          R"(meshgate_connections_closed_total{listener="passthrough",reason="cluster_overflow"})"),
      4);
  EXPECT_NE(open->http_get().find("hello from v1"), std::string::npos);
  open.reset();
  EXPECT_TRUE(
      poll_until([&] { return get_through(app).find("hello from v1") != std::string::npos; }));
}

// A ServiceEntry with resolution DNS reaches the gateway as a STRICT_DNS
// cluster with host names inline (pilot/pkg/networking/core/
// cluster_builder.go). meshgate resolves them with c-ares at the cluster's
// refresh rate and dials what the name resolves to now: first an address
// nothing listens on, then the backend's.
TEST_F(XdsGateway, AStrictDnsClusterDialsWhatItsHostResolvesTo) {
  FakeDns dns;
  dns.set("httpbin.external.test", {"127.0.0.2"});
  config::Config with_dns = config();
  with_dns.discovery.xds.resolvers = {dns.server()};
  AppUnderTest app(with_dns);
  using Proto = envoy::config::cluster::v3::Cluster;
  Proto cluster;
  cluster.set_name(kSni);
  cluster.set_type(Proto::STRICT_DNS);
  cluster.mutable_connect_timeout()->set_seconds(1);
  cluster.mutable_dns_refresh_rate()->set_nanos(200'000'000);
  cluster.set_dns_lookup_family(Proto::V4_ONLY);
  *cluster.mutable_load_assignment() =
      xds::testing::assignment(kSni, {{"httpbin.external.test", backend_}});
  ASSERT_TRUE(
      istiod_.push(xds::testing::response(xds::kClusterType, "1", "c1", std::vector{cluster})));
  ASSERT_TRUE(istiod_.push(xds::testing::response(
      xds::kListenerType, "1", "l1",
      std::vector{xds::testing::listener(15443, {xds::testing::passthrough_chain(kSni)})})));
  ASSERT_TRUE(poll_until([&] { return ready(app); }, std::chrono::seconds(10)));
  EXPECT_GE(dns.queries("httpbin.external.test"), 1u);
  EXPECT_EQ(get_through(app).find("hello from v1"), std::string::npos) << "127.0.0.2 is not served";
  dns.set("httpbin.external.test", {"127.0.0.1"});
  EXPECT_TRUE(
      poll_until([&] { return get_through(app).find("hello from v1") != std::string::npos; },
                 std::chrono::seconds(10)));
  EXPECT_EQ(app.metric("meshgate_xds_dns_names"), 1);
  EXPECT_GE(app.metric("meshgate_xds_dns_changes_total"), 2);
  EXPECT_EQ(app.metric(R"(meshgate_xds_untranslated{kind="dns_unanswered"})"), 0);
}

}  // namespace
}  // namespace meshgate::testing
