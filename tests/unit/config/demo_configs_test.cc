// The example configs shipped in deploy/demo stay in step with the loader.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "config/loader.h"
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

}  // namespace
}  // namespace meshgate::config
