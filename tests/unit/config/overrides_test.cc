#include "config/overrides.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace meshgate::config {
namespace {

LoadResult loaded(std::string_view yaml) {
  LoadResult result = load_config_string(yaml);
  EXPECT_TRUE(result.ok());
  return result;
}

TEST(OverridesTest, NetworkReplacesTheConfigValue) {
  const LoadResult result = with_overrides(loaded("network: west\n"), {.network = "east"});
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.config->network, "east");
}

TEST(OverridesTest, NoOverrideKeepsTheSameConfigObject) {
  const LoadResult before = loaded("network: west\n");
  const LoadResult after = with_overrides(before, {});
  EXPECT_EQ(after.config, before.config);
  EXPECT_EQ(after.config->network, "west");
}

TEST(OverridesTest, OnlyTheNetworkChanges) {
  const LoadResult before = loaded("cluster_domain: corp.example\nworkers: 3\n");
  const LoadResult after = with_overrides(before, {.network = "net-2"});
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after.config->cluster_domain, "corp.example");
  EXPECT_EQ(after.config->workers, 3u);
  EXPECT_EQ(before.config->network, "network1");  // the loaded config is untouched
}

TEST(OverridesTest, AnInvalidNetworkIsAnErrorNamingTheVariable) {
  const LoadResult result = with_overrides(loaded("{}\n"), {.network = "not a label!"});
  ASSERT_FALSE(result.ok());
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].message.rfind("MESHGATE_NETWORK: ", 0), 0u)
      << result.errors[0].message;
}

TEST(OverridesTest, AFailedLoadPassesThrough) {
  const LoadResult result =
      with_overrides(load_config_string("workers: many\n"), {.network = "east"});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.errors[0].path, "workers");
}

// The environment is changed only in a forked child (a death test), so no
// other test sees it.
TEST(OverridesDeathTest, ReadsMeshgateNetworkFromTheEnvironment) {
  EXPECT_EXIT(
      {
        setenv("MESHGATE_NETWORK", "from-env", 1);
        std::exit(overrides_from_environment().network == "from-env" ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
  EXPECT_EXIT(
      {
        setenv("MESHGATE_NETWORK", "", 1);  // the downward API's value for a missing label
        std::exit(overrides_from_environment().network ? 1 : 0);
      },
      ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace meshgate::config
