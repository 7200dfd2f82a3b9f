#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "config/config.h"
#include "config/loader.h"
#include "tests/unit/config/error_matchers.h"

namespace meshgate::config {
namespace {

using ::testing::ElementsAre;
using testing::ErrorAt;
using ::testing::IsEmpty;

LoadResult load(std::string_view yaml) {
  return load_config_string(yaml);
}

// A string (not a file: load_file_test refuses an empty file) with no key
// is every key at its default.
TEST(LoadString, EmptyDocumentIsAllDefaults) {
  for (const char* yaml : {"", "# only a comment\n", "\n\n", "---\n", "{}\n"}) {
    const LoadResult result = load(yaml);
    ASSERT_TRUE(result.ok()) << yaml;
    const Config& config = *result.config;
    const Config defaults = default_config();
    EXPECT_EQ(config.network, "network1");
    EXPECT_EQ(config.cluster_domain, "cluster.local");
    EXPECT_EQ(config.workers, 0u);
    EXPECT_EQ(config.listeners.passthrough.port, 15443);
    EXPECT_EQ(config.listeners.admin.address, "127.0.0.1");
    EXPECT_TRUE(config.discovery.files.empty());  // the demo registry is the embedded default's
    EXPECT_FALSE(config.discovery.kubernetes.enabled);
    EXPECT_TRUE(config.passthrough.require_istio_alpn);
    EXPECT_FALSE(config.passthrough.allow_loopback_endpoints);
    EXPECT_EQ(config.timeouts.upstream_first_byte, Duration{5000});
    EXPECT_EQ(config.timeouts.half_closed, Duration{60'000});
    EXPECT_TRUE(config.tcp_keepalive.enabled);
    EXPECT_EQ(config.tcp_keepalive.idle, Duration{300'000});
    EXPECT_EQ(config.limits.max_connections_per_client, 0u);
    EXPECT_EQ(config.http.request_timeout, Duration{3000});
    EXPECT_EQ(config.http.max_connections, 512u);
    EXPECT_EQ(config.http.max_connections_per_client, 8u);
    EXPECT_EQ(config.timeouts.idle, defaults.timeouts.idle);
    EXPECT_EQ(config.limits.max_client_hello_bytes, 65536u);
    EXPECT_EQ(config.timeouts.drain_delay, Duration{5000});
    EXPECT_EQ(config.istiod.xds.host, "istiod.istio-system.svc");
    EXPECT_EQ(config.istiod.xds.port, 15012);
    EXPECT_EQ(config.istiod.webhook.host, "istiod.istio-system.svc");
    EXPECT_EQ(config.istiod.webhook.port, 443);
    EXPECT_EQ(config.istiod.dns_refresh, Duration{5000});
    EXPECT_TRUE(config.access_log.enabled);
    EXPECT_EQ(config.access_log.format, AccessLogFormat::kText);
    EXPECT_EQ(config.access_log.path, "");
    EXPECT_EQ(config.outlier.consecutive_failures, 5u);
    EXPECT_EQ(config.outlier.base_ejection, Duration{30'000});
    EXPECT_EQ(config.outlier.max_ejection, Duration{300'000});
    EXPECT_EQ(config.reload.poll_interval, Duration{1000});
  }
}

TEST(LoadString, FullDocumentFillsEveryField) {
  const LoadResult result = load(R"(
network: west-net
cluster_domain: example.internal
workers: 4
listeners:
  passthrough: {address: 127.0.0.1, port: 16443}
  istiod:      {address: "::1", port: 16012}
  webhook:     {address: 127.0.0.2, port: 16017}
  dns:         {address: 127.0.0.3, port: 16053}
  health:      {address: 127.0.0.4, port: 16021}
  metrics:     {address: 127.0.0.5, port: 16090}
  admin:       {address: 127.0.0.6, port: 16000}
discovery:
  files:
    - path: /etc/a.yaml
      poll_interval: 250ms
    - {path: b.yaml, poll_interval: 1m30s}
passthrough:
  require_istio_alpn: false
  require_mtls_endpoints: false
  load_balancing: least_connections
  connect_attempts: 5
timeouts: {client_hello: 3s, connect: 2s, idle: 2h, drain_delay: 0s, drain: 0s}
limits: {max_client_hello_bytes: 4096, max_connections: 100, buffer_bytes: 32768}
istiod:
  xds: {host: istiod.istio-system.svc.cluster.local, port: 15010}
  webhook: {host: istiod-webhook, port: 15017}
  dns_refresh: 30s
access_log: {enabled: false, format: json, path: logs/access.log}
outlier: {consecutive_failures: 0, base_ejection: 10s, max_ejection: 10s}
reload: {poll_interval: 0s}
)");
  ASSERT_TRUE(result.ok()) << ::testing::PrintToString(result.errors);
  const Config& c = *result.config;
  EXPECT_EQ(c.network, "west-net");
  EXPECT_EQ(c.cluster_domain, "example.internal");
  EXPECT_EQ(c.workers, 4u);
  EXPECT_EQ(c.listeners.passthrough.address, "127.0.0.1");
  EXPECT_EQ(c.listeners.passthrough.port, 16443);
  EXPECT_EQ(c.listeners.istiod.address, "::1");
  EXPECT_EQ(c.listeners.istiod.port, 16012);
  EXPECT_EQ(c.listeners.webhook.port, 16017);
  EXPECT_EQ(c.listeners.dns.address, "127.0.0.3");
  EXPECT_EQ(c.listeners.health.port, 16021);
  EXPECT_EQ(c.listeners.metrics.port, 16090);
  EXPECT_EQ(c.listeners.admin.address, "127.0.0.6");
  ASSERT_EQ(c.discovery.files.size(), 2u);
  EXPECT_EQ(c.discovery.files[0].path, "/etc/a.yaml");
  EXPECT_EQ(c.discovery.files[0].poll_interval, Duration{250});
  // A string load has no directory: relative paths stay as written.
  EXPECT_EQ(c.discovery.files[1].path, "b.yaml");
  EXPECT_EQ(c.discovery.files[1].poll_interval, Duration{90'000});
  EXPECT_FALSE(c.passthrough.require_istio_alpn);
  EXPECT_FALSE(c.passthrough.require_mtls_endpoints);
  EXPECT_EQ(c.passthrough.load_balancing, LoadBalancing::kLeastConnections);
  EXPECT_EQ(c.passthrough.connect_attempts, 5u);
  EXPECT_EQ(c.timeouts.client_hello, Duration{3000});
  EXPECT_EQ(c.timeouts.connect, Duration{2000});
  EXPECT_EQ(c.timeouts.idle, Duration{7'200'000});
  EXPECT_EQ(c.timeouts.drain, Duration{0});
  EXPECT_EQ(c.limits.max_client_hello_bytes, 4096u);
  EXPECT_EQ(c.limits.max_connections, 100u);
  EXPECT_EQ(c.limits.buffer_bytes, 32768u);
  EXPECT_EQ(c.timeouts.drain_delay, Duration{0});
  EXPECT_EQ(c.istiod.xds.host, "istiod.istio-system.svc.cluster.local");
  EXPECT_EQ(c.istiod.xds.port, 15010);
  EXPECT_EQ(c.istiod.webhook.host, "istiod-webhook");
  EXPECT_EQ(c.istiod.webhook.port, 15017);
  EXPECT_EQ(c.istiod.dns_refresh, Duration{30'000});
  EXPECT_FALSE(c.access_log.enabled);
  EXPECT_EQ(c.access_log.format, AccessLogFormat::kJson);
  EXPECT_EQ(c.access_log.path, "logs/access.log");  // no directory to resolve against
  EXPECT_EQ(c.outlier.consecutive_failures, 0u);
  EXPECT_EQ(c.outlier.base_ejection, Duration{10'000});
  EXPECT_EQ(c.outlier.max_ejection, Duration{10'000});
  EXPECT_EQ(c.reload.poll_interval, Duration{0});
}

TEST(LoadString, PartialSectionsKeepOtherDefaults) {
  const LoadResult result = load("listeners:\n  passthrough: {port: 16443}\n");
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.config->listeners.passthrough.address, "0.0.0.0");
  EXPECT_EQ(result.config->listeners.passthrough.port, 16443);
  EXPECT_EQ(result.config->listeners.istiod.port, 15012);
}

// Only the embedded default reads the demo registry (default_config()).
TEST(LoadString, FileSourcesAreOnlyThoseWritten) {
  for (const char* yaml : {"network: n\n", "discovery: {}\n", "discovery: {files: []}\n"}) {
    const LoadResult result = load(yaml);
    ASSERT_TRUE(result.ok()) << yaml;
    EXPECT_THAT(result.config->discovery.files, IsEmpty()) << yaml;
  }
  const Config embedded = default_config();
  ASSERT_EQ(embedded.discovery.files.size(), 1u);
  EXPECT_EQ(embedded.discovery.files[0].path, demo_registry_path());
  EXPECT_TRUE(embedded.passthrough.allow_loopback_endpoints);
}

TEST(LoadString, NetworkMayBeEmpty) {
  const LoadResult result = load("network: ''\n");
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.config->network, "");
}

TEST(LoadString, BooleansAcceptOnlyTrueAndFalse) {
  EXPECT_TRUE(load("passthrough: {require_istio_alpn: True}\n").ok());
  EXPECT_TRUE(load("passthrough: {require_istio_alpn: FALSE}\n").ok());
  EXPECT_THAT(load("passthrough:\n  require_istio_alpn: yes\n").errors,
              ElementsAre(ErrorAt("passthrough.require_istio_alpn", 2,
                                  "expected a boolean (true or false), found 'yes'")));
  EXPECT_THAT(
      load("passthrough:\n  require_istio_alpn: 'true'\n").errors,
      ElementsAre(ErrorAt("passthrough.require_istio_alpn", 2, "found the quoted string 'true'")));
}

TEST(LoadString, IntegersMustBePlainDecimal) {
  for (const char* value : {"'8080'", "8080.0", "0x10", "1e3", "abc", "[1]", "{a: 1}", ""}) {
    const LoadResult result = load(std::string("workers: ") + value + "\n");
    ASSERT_EQ(result.errors.size(), 1u) << value;
    EXPECT_THAT(result.errors[0], ErrorAt("workers", 1, "expected an integer, found")) << value;
  }
}

TEST(LoadString, WrongTypesSayWhatWasFound) {
  EXPECT_THAT(load("listeners: [1, 2]\n").errors,
              ElementsAre(ErrorAt("listeners", 1, "expected a mapping, found a list")));
  EXPECT_THAT(load("discovery:\n  files: {path: x}\n").errors,
              ElementsAre(ErrorAt("discovery.files", 2, "expected a list, found a mapping")));
  EXPECT_THAT(load("network: [a]\n").errors,
              ElementsAre(ErrorAt("network", 1, "expected a string, found a list")));
  EXPECT_THAT(load("timeouts:\n").errors,
              ElementsAre(ErrorAt("timeouts", 1, "expected a mapping, found nothing (null)")));
  EXPECT_THAT(load("timeouts: {idle: {}}\n").errors,
              ElementsAre(ErrorAt("timeouts.idle", 1, "expected a string, found a mapping")));
}

TEST(LoadString, TopLevelMustBeAMapping) {
  EXPECT_THAT(load("- a\n- b\n").errors,
              ElementsAre(ErrorAt("", 1, "expected a mapping, found a list")));
  EXPECT_THAT(load("just text\n").errors,
              ElementsAre(ErrorAt("", 1, "expected a mapping, found 'just text'")));
}

TEST(LoadString, SyntaxErrorIsOneErrorWithItsLine) {
  const LoadResult result = load("network: a\nlisteners: [1, 2\nworkers: 3\n");
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].path, "");
  EXPECT_GT(result.errors[0].line, 1);
  EXPECT_THAT(result.errors[0].message, ::testing::StartsWith("YAML syntax error: "));
  EXPECT_FALSE(result.ok());
}

// yaml-cpp 0.7's LoadAll() loops forever (growing) on a stray ',' where a
// document should start; found by fuzzing (tests/fuzz/corpus/config_load).
TEST(LoadString, AStrayCommaIsASyntaxErrorNotAnEndlessParse) {
  const LoadResult result = load(",)s: \x7f");
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_THAT(result.errors[0].message,
              ::testing::HasSubstr("unexpected token where a document should start"));
}

TEST(LoadString, SecondDocumentIsAnError) {
  EXPECT_THAT(load("network: a\n---\nnetwork: b\n").errors,
              ElementsAre(ErrorAt("", 3, "expected a single YAML document")));
}

TEST(LoadString, PortOutOfRange) {
  EXPECT_THAT(load("listeners:\n  dns:\n    port: 65536\n").errors,
              ElementsAre(ErrorAt("listeners.dns.port", 3, "port out of range (0..65535)")));
  EXPECT_THAT(load("listeners:\n  dns: {port: -1}\n").errors,
              ElementsAre(ErrorAt("listeners.dns.port", 2, "port out of range (0..65535)")));
  EXPECT_THAT(load("listeners:\n  dns: {port: 99999999999999999999999}\n").errors,
              ElementsAre(ErrorAt("listeners.dns.port", 2, "port out of range (0..65535)")));
  EXPECT_TRUE(load("listeners: {dns: {port: 0}, health: {port: 65535}}\n").ok());
}

TEST(LoadString, IntegerRanges) {
  EXPECT_THAT(load("workers: 257\n").errors,
              ElementsAre(ErrorAt("workers", 1, "out of range (0..256)")));
  EXPECT_THAT(load("workers: -1\n").errors,
              ElementsAre(ErrorAt("workers", 1, "out of range (0..256)")));
  EXPECT_THAT(load("workers: 4294967296\n").errors,
              ElementsAre(ErrorAt("workers", 1, "out of range (0..256)")));
  EXPECT_THAT(load("passthrough:\n  connect_attempts: 0\n").errors,
              ElementsAre(ErrorAt("passthrough.connect_attempts", 2, "out of range (1..16)")));
  EXPECT_THAT(load("limits:\n  max_client_hello_bytes: 511\n").errors,
              ElementsAre(ErrorAt("limits.max_client_hello_bytes", 2, "out of range (512..")));
  EXPECT_THAT(load("limits:\n  max_connections: 10000001\n").errors,
              ElementsAre(ErrorAt("limits.max_connections", 2, "out of range (1..10000000)")));
  EXPECT_THAT(load("limits:\n  buffer_bytes: 1023\n").errors,
              ElementsAre(ErrorAt("limits.buffer_bytes", 2, "out of range (1024..16777216)")));
  EXPECT_TRUE(load("workers: 256\nlimits: {max_client_hello_bytes: 1048576}\n").ok());
  EXPECT_THAT(load("outlier:\n  consecutive_failures: 1001\n").errors,
              ElementsAre(ErrorAt("outlier.consecutive_failures", 2, "out of range (0..1000)")));
  EXPECT_THAT(load("outlier:\n  consecutive_failures: -1\n").errors,
              ElementsAre(ErrorAt("outlier.consecutive_failures", 2, "out of range (0..1000)")));
  EXPECT_TRUE(load("outlier: {consecutive_failures: 1000}\n").ok());
}

TEST(LoadString, IstiodUpstreams) {
  EXPECT_THAT(load("istiod:\n  xds:\n    port: 0\n").errors,
              ElementsAre(ErrorAt("istiod.xds.port", 3, "port out of range (1..65535)")));
  EXPECT_THAT(load("istiod:\n  webhook: {port: 65536}\n").errors,
              ElementsAre(ErrorAt("istiod.webhook.port", 2, "port out of range (1..65535)")));
  EXPECT_THAT(load("istiod:\n  webhook: {port: '443'}\n").errors,
              ElementsAre(ErrorAt("istiod.webhook.port", 2, "expected an integer")));
  EXPECT_THAT(
      load("istiod:\n  xds:\n    host: Istiod.istio-system\n").errors,
      ElementsAre(ErrorAt("istiod.xds.host", 3, "not a valid DNS name: 'Istiod.istio-system'")));
  EXPECT_THAT(load("istiod:\n  webhook: {host: ''}\n").errors,
              ElementsAre(ErrorAt("istiod.webhook.host", 2, "not a valid DNS name: ''")));
  EXPECT_THAT(load("istiod:\n  xds: istiod:15012\n").errors,
              ElementsAre(ErrorAt("istiod.xds", 2, "expected a mapping, found 'istiod:15012'")));
  // Either key may be left out and keeps its default.
  const LoadResult port_only = load("istiod: {webhook: {port: 15017}}\n");
  ASSERT_TRUE(port_only.ok());
  EXPECT_EQ(port_only.config->istiod.webhook.host, "istiod.istio-system.svc");
  EXPECT_EQ(port_only.config->istiod.webhook.port, 15017);
  EXPECT_TRUE(load("istiod: {xds: {host: a, port: 1}, webhook: {port: 65535}}\n").ok());
}

TEST(LoadString, OutlierMaxEjectionIsAtLeastTheBase) {
  EXPECT_THAT(load("outlier:\n  base_ejection: 1m\n  max_ejection: 30s\n").errors,
              ElementsAre(ErrorAt("outlier.max_ejection", 3,
                                  "30s is less than outlier.base_ejection (1m)")));
  // Against the default cap: the error is on the enclosing key's line.
  EXPECT_THAT(load("\noutlier:\n  base_ejection: 10m\n").errors,
              ElementsAre(ErrorAt("outlier.max_ejection", 2,
                                  "5m is less than outlier.base_ejection (10m)")));
  // An invalid base is one error, not also a comparison.
  EXPECT_THAT(load("outlier:\n  base_ejection: 0s\n  max_ejection: 1s\n").errors,
              ElementsAre(ErrorAt("outlier.base_ejection", 2, "must be greater than 0")));
  EXPECT_TRUE(load("outlier: {base_ejection: 1s, max_ejection: 1s}\n").ok());
}

TEST(LoadString, DurationErrors) {
  EXPECT_THAT(load("timeouts:\n  connect: -5s\n").errors,
              ElementsAre(ErrorAt("timeouts.connect", 2, "negative duration")));
  EXPECT_THAT(load("timeouts:\n  connect: 5\n").errors,
              ElementsAre(ErrorAt("timeouts.connect", 2, "missing unit: expected a duration")));
  EXPECT_THAT(load("timeouts:\n  idle: 0s\n").errors,
              ElementsAre(ErrorAt("timeouts.idle", 2, "must be greater than 0")));
  EXPECT_THAT(
      load("discovery:\n  files:\n    - path: a\n      poll_interval: 0ms\n").errors,
      ElementsAre(ErrorAt("discovery.files[0].poll_interval", 4, "must be greater than 0")));
  EXPECT_TRUE(load("timeouts: {drain: 0s}\n").ok());
  EXPECT_THAT(load("timeouts:\n  drain_delay: -1s\n").errors,
              ElementsAre(ErrorAt("timeouts.drain_delay", 2, "negative duration")));
  EXPECT_THAT(load("istiod:\n  dns_refresh: 0s\n").errors,
              ElementsAre(ErrorAt("istiod.dns_refresh", 2, "must be greater than 0")));
  EXPECT_THAT(load("outlier:\n  base_ejection: 0ms\n").errors,
              ElementsAre(ErrorAt("outlier.base_ejection", 2, "must be greater than 0")));
  EXPECT_THAT(load("outlier:\n  max_ejection: 0s\n").errors,
              ElementsAre(ErrorAt("outlier.max_ejection", 2, "must be greater than 0")));
  EXPECT_THAT(load("reload:\n  poll_interval: 1\n").errors,
              ElementsAre(ErrorAt("reload.poll_interval", 2, "missing unit")));
  EXPECT_THAT(load("reload:\n  poll_interval: -1s\n").errors,
              ElementsAre(ErrorAt("reload.poll_interval", 2, "negative duration")));
  EXPECT_THAT(load("reload:\n  poll_interval: 8761h\n").errors,
              ElementsAre(ErrorAt("reload.poll_interval", 2, "duration too large")));
  EXPECT_TRUE(load("timeouts: {drain_delay: 0s}\nreload: {poll_interval: 0s}\n").ok());
}

TEST(LoadString, LoadBalancingNames) {
  EXPECT_EQ(load("passthrough: {load_balancing: round_robin}\n").config->passthrough.load_balancing,
            LoadBalancing::kRoundRobin);
  EXPECT_THAT(
      load("passthrough:\n  load_balancing: least_connection\n").errors,
      ElementsAre(ErrorAt("passthrough.load_balancing", 2, "did you mean 'least_connections'?")));
  EXPECT_THAT(load("passthrough: {load_balancing: random}\n").errors,
              ElementsAre(ErrorAt("passthrough.load_balancing", 1,
                                  "expected round_robin or least_connections")));
}

TEST(LoadString, AccessLogFormatNames) {
  EXPECT_EQ(load("access_log: {format: text}\n").config->access_log.format, AccessLogFormat::kText);
  EXPECT_EQ(load("access_log: {format: json}\n").config->access_log.format, AccessLogFormat::kJson);
  EXPECT_THAT(load("access_log:\n  format: jsn\n").errors,
              ElementsAre(ErrorAt("access_log.format", 2,
                                  "unknown access log format 'jsn'; expected text or json "
                                  "(did you mean 'json'?)")));
  EXPECT_THAT(load("access_log: {format: JSON}\n").errors,
              ElementsAre(ErrorAt("access_log.format", 1, "did you mean 'json'?")));
  const LoadResult xml = load("access_log: {format: xml}\n");
  ASSERT_EQ(xml.errors.size(), 1u);
  EXPECT_THAT(xml.errors[0], ErrorAt("access_log.format", 1, "expected text or json"));
  EXPECT_THAT(xml.errors[0].message, ::testing::Not(::testing::HasSubstr("did you mean")));
  EXPECT_THAT(load("access_log:\n  enabled: no\n").errors,
              ElementsAre(ErrorAt("access_log.enabled", 2, "expected a boolean")));
  EXPECT_THAT(load("access_log:\n  path: [a]\n").errors,
              ElementsAre(ErrorAt("access_log.path", 2, "expected a string, found a list")));
}

TEST(LoadString, AddressesNetworkAndDomain) {
  EXPECT_THAT(load("listeners:\n  admin: {address: localhost}\n").errors,
              ElementsAre(ErrorAt("listeners.admin.address", 2, "not an IP address")));
  EXPECT_THAT(load("network: -bad-\n").errors,
              ElementsAre(ErrorAt("network", 1, "not a valid network name")));
  EXPECT_THAT(load("\ncluster_domain: Cluster..local\n").errors,
              ElementsAre(ErrorAt("cluster_domain", 2, "not a valid DNS name")));
}

TEST(LoadString, FileSourceNeedsAPath) {
  EXPECT_THAT(load("discovery:\n  files:\n    - poll_interval: 1s\n").errors,
              ElementsAre(ErrorAt("discovery.files[0].path", 3, "non-empty path")));
  // A malformed item is one error, not also a missing path.
  EXPECT_THAT(load("discovery:\n  files:\n    - a.yaml\n").errors,
              ElementsAre(ErrorAt("discovery.files[0]", 3, "expected a mapping, found 'a.yaml'")));
}

TEST(LoadString, UnknownKeySuggestsTheClosest) {
  EXPECT_THAT(load("listeners:\n  passthrough:\n    prot: 1\n").errors,
              ElementsAre(ErrorAt("listeners.passthrough.prot", 3,
                                  "unknown key 'prot'; did you mean 'port'?")));
  EXPECT_THAT(load("Network: x\n").errors,
              ElementsAre(ErrorAt("Network", 1, "did you mean 'network'?")));
  EXPECT_THAT(load("timeouts:\n  conect: 1s\n").errors,
              ElementsAre(ErrorAt("timeouts.conect", 2, "did you mean 'connect'?")));
}

TEST(LoadString, UnknownKeyInTheNewerSections) {
  EXPECT_THAT(load("timeouts:\n  drain_dealy: 1s\n").errors,
              ElementsAre(ErrorAt("timeouts.drain_dealy", 2, "did you mean 'drain_delay'?")));
  EXPECT_THAT(
      load("istiod:\n  xds:\n    hots: a\n").errors,
      ElementsAre(ErrorAt("istiod.xds.hots", 3, "unknown key 'hots'; did you mean 'host'?")));
  EXPECT_THAT(load("istiod:\n  webhok: {port: 1}\n").errors,
              ElementsAre(ErrorAt("istiod.webhok", 2, "did you mean 'webhook'?")));
  EXPECT_THAT(load("istiod: {dns-refresh: 1s}\n").errors,
              ElementsAre(ErrorAt("istiod.dns-refresh", 1, "did you mean 'dns_refresh'?")));
  EXPECT_THAT(load("acess_log: {}\n").errors,
              ElementsAre(ErrorAt("acess_log", 1, "did you mean 'access_log'?")));
  EXPECT_THAT(load("access_log:\n  fromat: json\n").errors,
              ElementsAre(ErrorAt("access_log.fromat", 2, "did you mean 'format'?")));
  EXPECT_THAT(load("outlier:\n  max_ejections: 1m\n").errors,
              ElementsAre(ErrorAt("outlier.max_ejections", 2, "did you mean 'max_ejection'?")));
  EXPECT_THAT(load("reload:\n  poll_intervall: 1s\n").errors,
              ElementsAre(ErrorAt("reload.poll_intervall", 2, "did you mean 'poll_interval'?")));
  EXPECT_THAT(
      load("outlier: {frobnicate: 1}\n").errors,
      ElementsAre(ErrorAt("outlier.frobnicate", 1,
                          "valid keys: consecutive_failures, base_ejection, max_ejection")));
}

TEST(LoadString, UnknownKeyListsTheValidOnes) {
  EXPECT_THAT(load("limits: {frobnicate: 1}\n").errors,
              ElementsAre(ErrorAt("limits.frobnicate", 1,
                                  "unknown key 'frobnicate'; valid keys: max_client_hello_bytes, "
                                  "max_connections, max_connections_per_client, buffer_bytes")));
}

TEST(LoadString, DuplicateAndNonStringKeys) {
  EXPECT_THAT(load("workers: 1\nworkers: 2\n").errors,
              ElementsAre(ErrorAt("workers", 2, "duplicate key 'workers'")));
  // A bad key refuses only itself: its siblings are still read and checked.
  EXPECT_THAT(load("limits:\n  [a]: 1\n  buffer_bytes: 1\n").errors,
              ElementsAre(ErrorAt("limits", 2, "expected a string key, found a list"),
                          ErrorAt("limits.buffer_bytes", 3, "out of range (1024..")));
}

TEST(LoadString, ReportsEveryErrorInDocumentOrder) {
  const LoadResult result = load(R"(workers: lots
cluster_domain: Bad_Domain
listeners:
  passthrough: {address: 0.0.0.0, port: 70000}
  helth: {port: 1}
timeouts:
  connect: -1s
  idle: 10
limits:
  buffer_bytes: 1
)");
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(result.errors,
              ElementsAre(ErrorAt("workers", 1, "expected an integer, found 'lots'"),
                          ErrorAt("cluster_domain", 2, "not a valid DNS name"),
                          ErrorAt("listeners.passthrough.port", 4, "port out of range"),
                          ErrorAt("listeners.helth", 5, "did you mean 'health'?"),
                          ErrorAt("timeouts.connect", 7, "negative duration"),
                          ErrorAt("timeouts.idle", 8, "missing unit"),
                          ErrorAt("limits.buffer_bytes", 10, "out of range (1024..")));
}

TEST(LoadString, ListenerCollisionNamesBothKeys) {
  const LoadResult result = load(R"(listeners:
  passthrough: {address: 127.0.0.1, port: 16000}
  admin: {address: 127.0.0.1, port: 16000}
)");
  EXPECT_THAT(result.errors, ElementsAre(ErrorAt("listeners.admin.port", 3,
                                                 "collides with listeners.passthrough.port")));
}

TEST(LoadString, CollisionWithADefaultListener) {
  // istiod keeps 0.0.0.0:15012; the metrics listener is moved onto it.
  EXPECT_THAT(
      load("listeners:\n  metrics:\n    port: 15012\n").errors,
      ElementsAre(ErrorAt("listeners.metrics.port", 3, "collides with listeners.istiod.port")));
}

TEST(LoadString, HostileInputsGiveErrorsNotCrashes) {
  const std::string deep_flow(100'000, '[');
  std::string deep_block;
  for (int i = 0; i < 1200; ++i)
    deep_block += std::string(static_cast<size_t>(i), ' ') + "a:\n";
  const std::string nul_bytes("network: a\0b\n", 13);
  for (const std::string& yaml :
       {deep_flow, deep_block, nul_bytes, std::string("\t- x"), std::string("&a [*a]"),
        std::string("a: *missing"), std::string(2'000, '\x01')}) {
    const LoadResult result = load(yaml);
    EXPECT_FALSE(result.ok());
    EXPECT_FALSE(result.errors.empty());
  }
}

TEST(LoadString, LongUnknownKeyIsCutShortInTheMessage) {
  const std::string key(10'000, 'k');
  const LoadResult result = load(key + ": 1\n");
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_LT(result.errors[0].message.size(), 400u);
  EXPECT_LT(result.errors[0].path.size(), 100u);
}

TEST(LoadString, RefusesOversizedText) {
  const std::string huge(2 << 20, '#');
  EXPECT_THAT(load(huge).errors, ElementsAre(ErrorAt("", 0, "config too large")));
}

}  // namespace
}  // namespace meshgate::config
