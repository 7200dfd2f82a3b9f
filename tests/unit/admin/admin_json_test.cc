#include "admin/admin_json.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>
#include <utility>
#include <vector>

#include "config/duration.h"

namespace meshgate::admin {
namespace {

using nlohmann::json;

TEST(DumpConfig, DefaultConfigHasEveryYamlKey) {
  const config::Config defaults = config::default_config();
  const json dump = dump_config(defaults);
  EXPECT_EQ(dump["network"], "network1");
  EXPECT_EQ(dump["cluster_domain"], "cluster.local");
  EXPECT_EQ(dump["workers"], 0);
  EXPECT_EQ(dump["listeners"]["admin"], json({{"address", "127.0.0.1"}, {"port", 15000}}));
  EXPECT_EQ(dump["listeners"]["passthrough"]["port"], 15443);
  EXPECT_EQ(dump["listeners"].size(), 8U);
  EXPECT_EQ(dump["listeners"]["dns_grpc"], json({{"address", "127.0.0.1"}, {"port", 8053}}));
  ASSERT_EQ(dump["discovery"]["files"].size(), 1U);
  EXPECT_EQ(dump["discovery"]["files"][0]["path"], config::demo_registry_path());
  EXPECT_EQ(dump["discovery"]["files"][0]["poll_interval"], "1s");
  EXPECT_EQ(dump["passthrough"]["require_istio_alpn"], true);
  EXPECT_EQ(dump["passthrough"]["load_balancing"], "round_robin");
  EXPECT_EQ(dump["passthrough"]["connect_attempts"], 3);
  EXPECT_EQ(dump["timeouts"], json({{"client_hello", "10s"},
                                    {"connect", "5s"},
                                    {"idle", "1h"},
                                    {"drain_delay", "5s"},
                                    {"drain", "30s"}}));
  EXPECT_EQ(dump["limits"]["max_client_hello_bytes"], 65536);
  EXPECT_EQ(dump["istiod"]["xds"], json({{"host", "istiod.istio-system.svc"}, {"port", 15012}}));
  EXPECT_EQ(dump["istiod"]["webhook"]["port"], 443);
  EXPECT_EQ(dump["istiod"]["dns_refresh"], "5s");
  EXPECT_EQ(dump["access_log"], json({{"enabled", true}, {"format", "text"}, {"path", ""}}));
  EXPECT_EQ(dump["outlier"]["base_ejection"], "30s");
  EXPECT_EQ(dump["outlier"]["max_ejection"], "5m");
  EXPECT_EQ(dump["reload"]["poll_interval"], "1s");
  EXPECT_EQ(dump["dns"]["zones"], json::array({json({{"name", "global"},
                                                     {"answer", "vip"},
                                                     {"addresses", json::array()},
                                                     {"services", true}})}));
  EXPECT_EQ(dump["dns"]["vip_ranges"], json({"240.240.0.0/16", "2001:2::/48"}));
  EXPECT_EQ(dump["dns"]["forward"]["timeout"], "2s");
  EXPECT_EQ(dump["dns"]["tcp_idle"], "10s");
  EXPECT_EQ(dump["dns"]["rate_limit"]["responses_per_second"], 0);  // off by default
  EXPECT_EQ(dump["dns"]["rate_limit"]["ipv4_prefix_length"], 24);
  EXPECT_EQ(dump.size(), 13U);
}

TEST(DumpConfig, NonDefaultValuesAndRoundTrip) {
  config::Config c = config::default_config();
  c.timeouts.connect = config::Duration{90'250};
  c.timeouts.drain = config::Duration{0};
  c.passthrough.load_balancing = config::LoadBalancing::kLeastConnections;
  c.access_log.format = config::AccessLogFormat::kJson;
  c.listeners.metrics = {"::1", 0};
  c.discovery.files.clear();
  const json dump = dump_config(c);
  EXPECT_EQ(dump["timeouts"]["connect"], "1m30s250ms");
  EXPECT_EQ(config::parse_duration(dump["timeouts"]["connect"].get<std::string>()).value,
            c.timeouts.connect);
  EXPECT_EQ(dump["timeouts"]["drain"], "0s");
  EXPECT_EQ(dump["passthrough"]["load_balancing"], "least_connections");
  EXPECT_EQ(dump["access_log"]["format"], "json");
  EXPECT_EQ(dump["listeners"]["metrics"], json({{"address", "::1"}, {"port", 0}}));
  EXPECT_EQ(dump["discovery"]["files"], json::array());
  EXPECT_EQ(json::parse(dump.dump()), dump);
}

discovery::Service sample_service() {
  discovery::Service s;
  s.name = "httpbin";
  s.ns = "bar";
  s.hostnames = {"httpbin.bar.global"};
  s.ports = {{"http", 8000, 80}};
  s.subsets = {{"v1", {{"version", "v1"}}}};
  discovery::Endpoint e;
  e.address = "10.0.0.7";
  e.ports = {{"http", 8080}};
  e.labels = {{"version", "v1"}, {discovery::kTlsModeLabel, "istio"}};
  e.network = "network2";
  e.weight = 5;
  e.mtls_capable = true;
  s.endpoints = {e};
  return s;
}

// The expected timestamp, computed with libc rather than the civil calendar.
std::string expected_created(std::chrono::system_clock::time_point when) {
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch()) % 1000;
  const std::time_t seconds =
      std::chrono::system_clock::to_time_t(std::chrono::floor<std::chrono::seconds>(when));
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[32];
  const std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
  char frac[8];
  std::snprintf(frac, sizeof frac, ".%03dZ", static_cast<int>(millis.count()));
  return std::string(text, n) + frac;
}

TEST(DumpSnapshot, OneServiceAndAliases) {
  std::vector<discovery::HostAlias> aliases{
      {"httpbin.bar.global", {"240.0.0.2"}, "httpbin", "bar"},
      {"dns-only.global", {}, "", ""},
  };
  const discovery::Snapshot snapshot(42, {sample_service()}, std::move(aliases));
  const json dump = dump_snapshot(snapshot);
  const json expected_service = json::parse(R"({
    "name": "httpbin", "namespace": "bar", "hostnames": ["httpbin.bar.global"],
    "ports": [{"name": "http", "number": 8000, "target_port": 80}],
    "subsets": [{"name": "v1", "labels": {"version": "v1"}}],
    "endpoints": [{"address": "10.0.0.7", "ports": {"http": 8080},
                   "labels": {"security.istio.io/tlsMode": "istio", "version": "v1"},
                   "network": "network2", "weight": 5, "mtls_capable": true}]
  })");
  const json expected_aliases = json::parse(R"([
    {"host": "dns-only.global", "addresses": [], "service": null},
    {"host": "httpbin.bar.global", "addresses": ["240.0.0.2"],
     "service": {"name": "httpbin", "namespace": "bar"}}
  ])");
  EXPECT_EQ(dump["version"], 42);
  EXPECT_EQ(dump["created"], expected_created(snapshot.created()));
  EXPECT_EQ(dump["services"], json::array({expected_service}));
  EXPECT_EQ(dump["aliases"], expected_aliases);
  EXPECT_EQ(dump.size(), 4U);
  EXPECT_EQ(json::parse(dump.dump()), dump);
}

TEST(DumpSnapshot, EmptyRegistry) {
  const discovery::Snapshot snapshot(0, {}, {});
  const json dump = dump_snapshot(snapshot);
  EXPECT_EQ(dump["services"], json::array());
  EXPECT_EQ(dump["aliases"], json::array());
  EXPECT_EQ(dump["created"].get<std::string>().size(),
            std::string("2024-01-02T03:04:05.678Z").size());
}

TEST(DumpJson, HostileStringsSurviveARoundTrip) {
  const std::string hostile = std::string(
                                  "q\"uote\\back\nnl\ttab\x01"
                                  "ctl") +
                              '\0' + "nul";
  discovery::Service s = sample_service();
  s.name = hostile;
  s.endpoints[0].labels = s.endpoints[0].labels.with(hostile, hostile);
  const discovery::Snapshot snapshot(1, {s}, {});
  const std::string text = dump_snapshot(snapshot).dump();
  EXPECT_EQ(text.find('\n'), std::string::npos);
  EXPECT_NE(text.find("\\u0001"), std::string::npos);
  const json parsed = json::parse(text);
  EXPECT_EQ(parsed["services"][0]["name"], hostile);
  EXPECT_EQ(parsed["services"][0]["endpoints"][0]["labels"][hostile], hostile);

  config::Config c = config::default_config();
  c.network = hostile;
  EXPECT_EQ(json::parse(dump_config(c).dump())["network"], hostile);
}

}  // namespace
}  // namespace meshgate::admin
