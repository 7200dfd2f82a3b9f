// Who may hold the TCP listeners' connection slots (issue 17, items 6 and 8):
// one client (an IPv4 address or IPv6 /64) at most
// limits.max_connections_per_client of them across 15443, 15012 and 15017,
// everyone together limits.max_connections. Every refusal at accept is
// counted by its reason and written to the access log, like any other
// connection's end.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/app_harness.h"
#include "tests/support/harness.h"
#include "tests/support/siege.h"
#include "tests/support/socket.h"
#include "tests/support/tls_client.h"

namespace meshgate::testing {
namespace {

using gateway::ListenerKind;
using std::chrono::milliseconds;

constexpr const char* kSni = "outbound_.8000_._.httpbin.bar.svc.cluster.local";

class AdmissionTest : public ::testing::Test {
 protected:
  AdmissionTest() {
    v1_ = backends_.add({"v1", pki_.server.cert_pem, pki_.server.key_pem, pki_.ca.cert_pem, false});
    backends_.start();
  }

  void start(config::Config config) {
    config.discovery.files = {
        {dir_.write("registry.yaml", registry_yaml({{"httpbin", "bar", 8000, {v1_}}})),
         milliseconds(50)}};
    config.access_log = {true, config::AccessLogFormat::kJson, dir_.path() + "/access.log"};
    app_ = std::make_unique<AppUnderTest>(std::move(config));
    ASSERT_TRUE(poll_until([&] { return serves(); }));
  }

  bool serves() const {
    TlsClient tls(app_->port(ListenerKind::kPassthrough), httpbin_client(pki_, kSni));
    const bool ok = tls.handshake_ok() && tls.http_get().find("hello from v1") != std::string::npos;
    tls.close();
    return ok;
  }

  // Idle connections from `source` to `kind`; returns how many the gateway
  // closed at once (each open one is checked with a short wait).
  std::size_t refused_of(const std::string& source, ListenerKind kind, std::size_t n) {
    std::size_t refused = 0;
    for (std::size_t i = 0; i < n; ++i) {
      Socket socket = connect_from(source, app_->port(kind));
      EXPECT_TRUE(socket.valid());
      socket.set_timeout_ms(200);
      if (socket.wait_closed()) {
        ++refused;
      } else {
        held_.push_back(std::move(socket));
      }
    }
    return refused;
  }

  double closed(const char* listener, const char* reason) const {
    return app_->metric(std::string("meshgate_connections_closed_total{listener=\"") + listener +
                        "\",reason=\"" + reason + "\"}");
  }

  // Access-log lines by reason, once `total` have been written.
  std::map<std::string, int> logged_reasons(std::size_t total) {
    std::map<std::string, int> reasons;
    EXPECT_TRUE(poll_until([&] {
      reasons.clear();
      std::ifstream in(dir_.path() + "/access.log");
      std::size_t lines = 0;
      for (std::string line; std::getline(in, line); ++lines)
        ++reasons[nlohmann::json::parse(line)["reason"].get<std::string>()];
      return lines >= total;
    }));
    return reasons;
  }

  TestPki pki_;
  Backends backends_;
  uint16_t v1_ = 0;
  TempDir dir_;
  std::unique_ptr<AppUnderTest> app_;
  std::vector<Socket> held_;
};

TEST_F(AdmissionTest, OneClientCannotTakeEverySlot) {
  config::Config config = test_config();
  config.limits.max_connections_per_client = 3;
  config.timeouts.client_hello = std::chrono::seconds(10);  // the idle ones stay meanwhile
  ASSERT_NO_FATAL_FAILURE(start(config));
  // Two on 15443 and one on 15012 fill 127.0.0.2's share across listeners.
  EXPECT_EQ(refused_of("127.0.0.2", ListenerKind::kPassthrough, 2), 0u);
  EXPECT_EQ(refused_of("127.0.0.2", ListenerKind::kIstiod, 1), 0u);
  EXPECT_EQ(refused_of("127.0.0.2", ListenerKind::kPassthrough, 5), 5u);
  EXPECT_EQ(refused_of("127.0.0.2", ListenerKind::kWebhook, 1), 1u);
  EXPECT_EQ(refused_of("127.0.0.3", ListenerKind::kPassthrough, 3), 0u);  // another client
  EXPECT_TRUE(serves());                                                  // and 127.0.0.1 is served
  EXPECT_EQ(closed("passthrough", "over_client_limit"), 5);
  EXPECT_EQ(closed("webhook", "over_client_limit"), 1);
  const auto reasons = logged_reasons(6 + 2);  // the refusals and the two good connections
  EXPECT_EQ(reasons.at("over_client_limit"), 6);

  held_.clear();  // 127.0.0.2's slots come back
  EXPECT_TRUE(poll_until([&] { return app_->app().gateway().open_connections() == 0; }));
  EXPECT_EQ(refused_of("127.0.0.2", ListenerKind::kPassthrough, 3), 0u);
}

TEST_F(AdmissionTest, OverCapacityRefusalsAreCountedAndLogged) {
  config::Config config = test_config();
  config.limits.max_connections = 2;
  config.timeouts.client_hello = std::chrono::seconds(10);
  ASSERT_NO_FATAL_FAILURE(start(config));
  EXPECT_EQ(refused_of("127.0.0.2", ListenerKind::kPassthrough, 5), 3u);
  EXPECT_EQ(closed("passthrough", "over_capacity"), 3);
  const auto reasons = logged_reasons(3 + 1);
  EXPECT_EQ(reasons.at("over_capacity"), 3);
}

}  // namespace
}  // namespace meshgate::testing
