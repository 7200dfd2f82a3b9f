// Registries that point the gateway at itself or at the host's private
// addresses (issue 17, item 7). On today's main, an endpoint at the
// gateway's own 15443 made one ClientHello chain through it 478 times in 40
// ms; now no such endpoint is ever dialled, and the routes say so.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "tests/support/app_harness.h"
#include "tests/support/harness.h"
#include "tests/support/openssl_hello.h"
#include "tests/support/socket.h"

namespace meshgate::testing {
namespace {

using app::HttpPort;
using gateway::ListenerKind;
using std::chrono::milliseconds;

constexpr const char* kSni = "outbound_.8000_._.loop.bar.svc.cluster.local";

class LoopGuard : public ::testing::Test {
 protected:
  void start(config::Config config) {
    registry_ = dir_.write("registry.yaml", "services: []\n");
    config.discovery.files = {{registry_, milliseconds(50)}};
    app_ = std::make_unique<AppUnderTest>(std::move(config));
  }

  // loop.bar:8000 with one endpoint at 127.0.0.1:port; waits for its routes.
  void point_at(uint16_t port) {
    dir_.write("registry.yaml", registry_yaml({{"loop", "bar", 8000, {port}}}));
    ASSERT_TRUE(poll_until([&] {
      const auto routes = app_->app().gateway().routes();
      return routes->table && routes->table->cluster_count() > 0;
    }));
  }

  // A ClientHello for loop.bar: closed with no_endpoint, nothing dialled.
  void expect_never_dialled() {
    Socket socket = Socket::connect("127.0.0.1", app_->port(ListenerKind::kPassthrough));
    ASSERT_TRUE(socket.send_all(openssl_client_hello({.server_name = kSni, .alpn = {"istio"}})));
    EXPECT_TRUE(socket.wait_closed());
    EXPECT_TRUE(poll_until([&] {
      return app_->metric(
                 "meshgate_connections_closed_total{listener=\"passthrough\",reason="
                 "\"no_endpoint\"}") == 1;
    }));
    EXPECT_EQ(app_->metric("meshgate_upstream_connect_attempts_total{listener=\"passthrough\"}"),
              0);
    EXPECT_EQ(app_->metric("meshgate_connections_accepted_total{listener=\"passthrough\"}"), 1);
  }

  TempDir dir_;
  std::string registry_;
  std::unique_ptr<AppUnderTest> app_;
};

TEST_F(LoopGuard, AnEndpointAtTheGatewaysOwnListenerIsNeverDialled) {
  ASSERT_NO_FATAL_FAILURE(start(test_config()));  // loopback endpoints allowed, as in tests
  ASSERT_NO_FATAL_FAILURE(point_at(app_->port(ListenerKind::kPassthrough)));
  ASSERT_NO_FATAL_FAILURE(expect_never_dialled());
  EXPECT_EQ(app_->metric("meshgate_endpoints_refused{reason=\"self\"}"), 1);
  const std::string clusters = app_->get(HttpPort::kAdmin, "/clusters").body;
  EXPECT_NE(clusters.find("\"refused_endpoints\""), std::string::npos) << clusters;
  EXPECT_NE(clusters.find("\"self\": 1"), std::string::npos) << clusters;
}

TEST_F(LoopGuard, ALoopbackEndpointIsNeverDialledUnlessAllowed) {
  Listener backend;
  config::Config config = test_config();
  config.passthrough.allow_loopback_endpoints = false;
  ASSERT_NO_FATAL_FAILURE(start(config));
  ASSERT_NO_FATAL_FAILURE(point_at(backend.port()));
  ASSERT_NO_FATAL_FAILURE(expect_never_dialled());
  EXPECT_FALSE(backend.accept(100).valid());
  // Also istiod's upstreams, which test_config() resolves from localhost.
  EXPECT_GE(app_->metric("meshgate_endpoints_refused{reason=\"loopback\"}"), 1);
  const std::string clusters = app_->get(HttpPort::kAdmin, "/clusters").body;
  EXPECT_NE(clusters.find("\"loopback\": 1"), std::string::npos) << clusters;
}

}  // namespace
}  // namespace meshgate::testing
