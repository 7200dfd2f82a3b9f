// What operators see: readiness, Prometheus counters that move with each
// outcome, the admin JSON, the access log, and an HTTP side that bad clients
// cannot use against the data path.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support/app_harness.h"
#include "tests/support/harness.h"
#include "tests/support/socket.h"
#include "tests/support/tls_client.h"

namespace meshgate::testing {
namespace {

using app::HttpPort;
using gateway::ListenerKind;

constexpr const char* kSni = "outbound_.8000_._.httpbin.bar.svc.cluster.local";
constexpr const char* kRoute = "outbound|8000||httpbin.bar.svc.cluster.local";

class Operate : public ::testing::Test {
 protected:
  Operate() {
    v1_ = backends_.add({"v1", pki_.server.cert_pem, pki_.server.key_pem, pki_.ca.cert_pem, false});
    backends_.start();
  }

  config::Config config_with(const std::vector<ServiceSpec>& services) {
    config::Config config = test_config();
    config.discovery.files = {
        {dir_.write("registry.yaml", registry_yaml(services)), std::chrono::milliseconds(50)}};
    return config;
  }

  config::Config httpbin_config() { return config_with({{"httpbin", "bar", 8000, {v1_}}}); }

  TlsClientOptions client(std::string sni = kSni) const {
    TlsClientOptions options;
    options.sni = std::move(sni);
    options.alpn = {"istio"};
    options.ca_pem = pki_.ca.cert_pem;
    options.verify_host = "httpbin.bar.svc.cluster.local";
    return options;
  }

  // A full GET through 15443; true when the backend answered.
  bool good_get(const AppUnderTest& app) {
    TlsClient tls(app.port(ListenerKind::kPassthrough), client());
    return tls.handshake_ok() && tls.http_get().find("hello from v1") != std::string::npos;
  }

  TestPki pki_;
  Backends backends_;
  uint16_t v1_ = 0;
  TempDir dir_;
};

TEST_F(Operate, ReadyOnlyOnceTheRegistryHasLoaded) {
  config::Config config = test_config();
  const std::string registry = dir_.path() + "/registry.yaml";  // not there yet
  config.discovery.files = {{registry, std::chrono::milliseconds(50)}};
  AppUnderTest app(config);
  const HttpResult starting = app.get(HttpPort::kHealth, "/healthz/ready");
  EXPECT_EQ(starting.status, 503);
  EXPECT_EQ(starting.body, "starting\n");
  EXPECT_EQ(app.get(HttpPort::kHealth, "/healthz/live").status, 200);
  EXPECT_EQ(app.metric("meshgate_ready"), 0);

  dir_.write("registry.yaml", registry_yaml({{"httpbin", "bar", 8000, {v1_}}}));
  EXPECT_TRUE(
      poll_until([&] { return app.get(HttpPort::kHealth, "/healthz/ready").status == 200; }));
  // Ready means every worker already routes with that registry: the first
  // connection after it gets through (no unknown_service in between).
  EXPECT_TRUE(good_get(app));
  EXPECT_EQ(app.get(HttpPort::kAdmin, "/ready").status, 200);
  EXPECT_EQ(app.metric("meshgate_ready"), 1);
}

// The passthrough listener's close counters of a scrape, for a failure message.
std::string closed_lines(const std::string& page) {
  std::string out;
  std::size_t at = 0;
  while (at < page.size()) {
    const std::size_t end = std::min(page.find('\n', at), page.size());
    const std::string_view line(page.data() + at, end - at);
    if (line.starts_with("meshgate_connections_closed_total{listener=\"passthrough\"")) {
      out.append(line).append("\n");
    }
    at = end + 1;
  }
  return out;
}

TEST_F(Operate, EveryOutcomeMovesItsCounters) {
  AppUnderTest app(
      config_with({{"httpbin", "bar", 8000, {v1_}}, {"dead", "bar", 8000, {dead_port()}}}));
  ASSERT_TRUE(
      poll_until([&] { return app.get(HttpPort::kHealth, "/healthz/ready").status == 200; }));
  const std::string before = app.scrape();

  EXPECT_TRUE(good_get(app));
  TlsClient unknown(app.port(ListenerKind::kPassthrough),
                    client("outbound_.8000_._.nope.bar.svc.cluster.local"));
  EXPECT_FALSE(unknown.handshake_ok());
  TlsClient dead(app.port(ListenerKind::kPassthrough),
                 client("outbound_.8000_._.dead.bar.svc.cluster.local"));
  EXPECT_FALSE(dead.handshake_ok());

  // A series first appears when it first moves (per route): absent counts as 0.
  const auto value = [](const std::string& page, const std::string& series) {
    return std::max(0.0, metric(page, series));
  };
  const auto moved = [&](const std::string& series) {
    return value(app.scrape(), series) - value(before, series);
  };
  ASSERT_TRUE(poll_until([&] {
    return moved(
               "meshgate_connections_closed_total{listener=\"passthrough\",reason="
               "\"completed\"}") == 1 &&
           moved(
               "meshgate_connections_closed_total{listener=\"passthrough\",reason=\"connect_"
               "failed\"}") == 1;
  })) << closed_lines(app.scrape());
  EXPECT_EQ(moved("meshgate_connections_accepted_total{listener=\"passthrough\"}"), 3);
  EXPECT_EQ(moved("meshgate_client_hellos_total{result=\"ok\"}"), 3);
  EXPECT_EQ(
      moved(
          "meshgate_connections_closed_total{listener=\"passthrough\",reason=\"unknown_service\"}"),
      1);
  EXPECT_GE(moved("meshgate_upstream_connect_failures_total{listener=\"passthrough\"}"), 1);
  EXPECT_EQ(moved("meshgate_upstream_connect_duration_seconds_count{listener=\"passthrough\"}"), 1);
  EXPECT_EQ(moved("meshgate_route_connections_total{route=\"" + std::string(kRoute) + "\"}"), 1);
  EXPECT_GT(moved("meshgate_route_bytes_total{route=\"" + std::string(kRoute) +
                  "\",direction=\"from_client\"}"),
            0);
  EXPECT_GT(moved("meshgate_route_bytes_total{route=\"" + std::string(kRoute) +
                  "\",direction=\"from_upstream\"}"),
            0);
  EXPECT_EQ(moved("meshgate_connections_active{listener=\"passthrough\"}"), 0);
}

TEST_F(Operate, AdminJsonParsesAndNamesTheRoutes) {
  AppUnderTest app(httpbin_config());
  ASSERT_TRUE(
      poll_until([&] { return app.get(HttpPort::kHealth, "/healthz/ready").status == 200; }));
  ASSERT_TRUE(poll_until(
      [&] { return app.get(HttpPort::kAdmin, "/clusters").body.find(kSni) != std::string::npos; }));

  const auto clusters = nlohmann::json::parse(app.get(HttpPort::kAdmin, "/clusters").body);
  bool found = false;
  for (const auto& cluster : clusters["clusters"]) {
    if (cluster["sni"] != kSni) continue;
    found = true;
    EXPECT_EQ(cluster["name"], kRoute);
    ASSERT_EQ(cluster["endpoints"].size(), 1u);
    EXPECT_EQ(cluster["endpoints"][0]["port"], v1_);
    EXPECT_EQ(cluster["endpoints"][0]["health"], "healthy");
  }
  EXPECT_TRUE(found);

  const auto dump = nlohmann::json::parse(app.get(HttpPort::kAdmin, "/config_dump").body);
  EXPECT_EQ(dump["config"]["network"], "network1");
  EXPECT_EQ(dump["snapshot"]["services"][0]["name"], "httpbin");
}

TEST_F(Operate, BadHttpClientsDoNotTouchTheDataPath) {
  AppUnderTest app(httpbin_config());
  ASSERT_TRUE(
      poll_until([&] { return app.get(HttpPort::kHealth, "/healthz/ready").status == 200; }));
  // Oversized headers: refused with 431.
  Socket huge = Socket::connect("127.0.0.1", app.port(HttpPort::kMetrics));
  ASSERT_TRUE(huge.send_all("GET /stats/prometheus HTTP/1.1\r\nX: " + std::string(64 * 1024, 'a') +
                            "\r\n\r\n"));
  EXPECT_TRUE(huge.read_to_eof().starts_with("HTTP/1.1 431"));
  // A slow client holding half a request on every HTTP port.
  std::vector<Socket> slow;
  for (HttpPort port : {HttpPort::kHealth, HttpPort::kMetrics, HttpPort::kAdmin}) {
    slow.push_back(Socket::connect("127.0.0.1", app.port(port)));
    ASSERT_TRUE(slow.back().send_all("GET /healthz/ready HTTP/1.1\r\nHost: x\r\n"));
  }
  EXPECT_TRUE(good_get(app));  // the data path does not notice
  const std::string page = app.scrape();
  EXPECT_EQ(metric(page, "meshgate_http_rejected_total{server=\"metrics\",reason=\"bad_request\"}"),
            1);
}

TEST_F(Operate, AccessLogWritesOneJsonLinePerConnection) {
  config::Config config = httpbin_config();
  config.access_log = {true, config::AccessLogFormat::kJson, dir_.path() + "/access.log"};
  AppUnderTest app(config);
  ASSERT_TRUE(
      poll_until([&] { return app.get(HttpPort::kHealth, "/healthz/ready").status == 200; }));
  EXPECT_TRUE(good_get(app));
  TlsClient unknown(app.port(ListenerKind::kPassthrough),
                    client("outbound_.9999_._.httpbin.bar.svc.cluster.local"));
  EXPECT_FALSE(unknown.handshake_ok());

  std::vector<nlohmann::json> lines;
  ASSERT_TRUE(poll_until([&] {
    std::ifstream in(dir_.path() + "/access.log");
    lines.clear();
    for (std::string line; std::getline(in, line);)
      lines.push_back(nlohmann::json::parse(line));
    return lines.size() == 2;
  }));
  std::map<std::string, nlohmann::json> by_reason;
  for (const auto& line : lines)
    by_reason[line["reason"]] = line;
  const auto& good = by_reason.at("completed");
  EXPECT_EQ(good["listener"], "passthrough");
  EXPECT_EQ(good["sni"], kSni);
  EXPECT_EQ(good["route"], kRoute);
  EXPECT_EQ(good["endpoint"], "127.0.0.1:" + std::to_string(v1_));
  EXPECT_GT(good["bytes_from_client"].get<int>(), 0);
  EXPECT_GT(good["bytes_from_upstream"].get<int>(), 0);
  EXPECT_TRUE(good["client"].get<std::string>().starts_with("127.0.0.1:"));
  EXPECT_TRUE(good["start"].get<std::string>().ends_with("Z"));
  const auto& refused = by_reason.at("unknown_service");
  EXPECT_EQ(refused["route"], "");
  EXPECT_TRUE(refused["endpoint"].is_null());
}

}  // namespace
}  // namespace meshgate::testing
