// The example configs shipped in deploy/demo stay in step with the loader.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "config/loader.h"
#include "config/validate.h"
#include "tests/unit/config/error_matchers.h"

namespace meshgate::config {
namespace {

using ::testing::ElementsAre;
using testing::ErrorAt;

const std::string kDemoDir = std::string(MESHGATE_SOURCE_DIR) + "/deploy/demo";

TEST(DemoConfigs, CurlDemoLoads) {
  const LoadResult result = load_config_file(kDemoDir + "/meshgate-curl.yaml");
  ASSERT_TRUE(result.ok()) << ::testing::PrintToString(result.errors);
  const Config& config = *result.config;
  EXPECT_EQ(config.listeners.passthrough.address, "127.0.0.1");
  EXPECT_EQ(config.listeners.passthrough.port, 16443);
  EXPECT_FALSE(config.passthrough.require_istio_alpn);
  ASSERT_EQ(config.discovery.files.size(), 1u);
  EXPECT_EQ(config.discovery.files[0].path, kDemoDir + "/registry.yaml");
}

TEST(DemoConfigs, BadConfigFailsWithTheIntendedErrors) {
  const LoadResult result = load_config_file(kDemoDir + "/bad-config.yaml");
  EXPECT_THAT(result.errors,
              ElementsAre(ErrorAt("listeners.passthrough.prot", 7, "did you mean 'port'?"),
                          ErrorAt("listeners.istiod.port", 10, "port out of range (0..65535)"),
                          ErrorAt("listeners.admin.address", 12, "not an IP address"),
                          ErrorAt("timeouts.connect", 15, "negative duration")));
}

// The yaml block after `marker` in config/README.md.
std::string readme_example(const std::string& marker) {
  std::ifstream file(std::string(MESHGATE_SOURCE_DIR) + "/config/README.md");
  std::stringstream text;
  text << file.rdbuf();
  const std::string readme = text.str();
  const size_t at = readme.find(marker);
  if (at == std::string::npos) return "";
  const std::string open = "```yaml\n";
  const size_t start = readme.find(open, at);
  if (start == std::string::npos) return "";
  const size_t end = readme.find("```", start + open.size());
  if (end == std::string::npos) return "";
  return readme.substr(start + open.size(), end - start - open.size());
}

TEST(DemoConfigs, ReadmeExampleIsEveryKeyAtItsDefault) {
  const std::string yaml = readme_example("Every key at its default");
  ASSERT_FALSE(yaml.empty());
  const LoadResult result = load_config_string(yaml);
  ASSERT_TRUE(result.ok()) << ::testing::PrintToString(result.errors);
  const Config& c = *result.config;
  const Config d = default_config();
  EXPECT_EQ(c.network, d.network);
  EXPECT_EQ(c.cluster_domain, d.cluster_domain);
  EXPECT_EQ(c.workers, d.workers);
  for (const NamedListener& named : kListenerKeys) {
    EXPECT_EQ((c.listeners.*named.member).address, (d.listeners.*named.member).address);
    EXPECT_EQ((c.listeners.*named.member).port, (d.listeners.*named.member).port);
  }
  ASSERT_EQ(c.discovery.files.size(), 1u);  // the path is an example, not the demo registry's
  EXPECT_EQ(c.discovery.files[0].poll_interval, d.discovery.files[0].poll_interval);
  EXPECT_EQ(c.passthrough.require_istio_alpn, d.passthrough.require_istio_alpn);
  EXPECT_EQ(c.passthrough.require_mtls_endpoints, d.passthrough.require_mtls_endpoints);
  EXPECT_EQ(c.passthrough.load_balancing, d.passthrough.load_balancing);
  EXPECT_EQ(c.passthrough.connect_attempts, d.passthrough.connect_attempts);
  EXPECT_EQ(c.passthrough.splice, d.passthrough.splice);
  EXPECT_EQ(c.timeouts.client_hello, d.timeouts.client_hello);
  EXPECT_EQ(c.timeouts.connect, d.timeouts.connect);
  EXPECT_EQ(c.timeouts.idle, d.timeouts.idle);
  EXPECT_EQ(c.timeouts.drain_delay, d.timeouts.drain_delay);
  EXPECT_EQ(c.timeouts.drain, d.timeouts.drain);
  EXPECT_EQ(c.limits.max_client_hello_bytes, d.limits.max_client_hello_bytes);
  EXPECT_EQ(c.limits.max_connections, d.limits.max_connections);
  EXPECT_EQ(c.limits.buffer_bytes, d.limits.buffer_bytes);
  for (const auto member : {&Istiod::xds, &Istiod::webhook}) {
    EXPECT_EQ((c.istiod.*member).host, (d.istiod.*member).host);
    EXPECT_EQ((c.istiod.*member).port, (d.istiod.*member).port);
  }
  EXPECT_EQ(c.istiod.dns_refresh, d.istiod.dns_refresh);
  EXPECT_EQ(c.access_log.enabled, d.access_log.enabled);
  EXPECT_EQ(c.access_log.format, d.access_log.format);
  EXPECT_EQ(c.access_log.path, d.access_log.path);
  EXPECT_EQ(c.outlier.consecutive_failures, d.outlier.consecutive_failures);
  EXPECT_EQ(c.outlier.base_ejection, d.outlier.base_ejection);
  EXPECT_EQ(c.outlier.max_ejection, d.outlier.max_ejection);
  EXPECT_EQ(c.reload.poll_interval, d.reload.poll_interval);
}

}  // namespace
}  // namespace meshgate::config
