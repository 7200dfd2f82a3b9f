// The one-shot commands (`dns-hosts`, `global-entries`) with Kubernetes
// discovery: they list the stand-in API server once and print what a gateway
// with the same config would serve.
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "onboarding/global_entries.h"
#include "onboarding/registry_once.h"
#include "tests/integration/kube_fixture.h"
#include "tests/support/app_harness.h"

namespace meshgate::testing {
namespace {

using namespace std::chrono_literals;

class KubeOneShotTest : public ::testing::Test {
 protected:
  // A config file reading the cluster through a kubeconfig for the stand-in.
  std::string config_file() {
    dir_.write("kubeconfig", f_.kubeconfig_yaml());
    return dir_.write("meshgate.yaml",
                      "discovery:\n  kubernetes: {enabled: true, kubeconfig: kubeconfig}\n");
  }

  KubeFixture f_;
  TempDir dir_;
};

TEST_F(KubeOneShotTest, TheRegistryHoldsTheClustersServices) {
  f_.seed_mesh();
  std::ostringstream err;
  const auto loaded = onboarding::load_registry_once(config_file(), err, 10s);
  ASSERT_TRUE(loaded) << err.str();
  ASSERT_NE(httpbin(*loaded->snapshot), nullptr);
  EXPECT_EQ(addresses(httpbin(*loaded->snapshot)),
            (std::vector<std::string>{"10.1.0.1", "10.1.0.2"}));
  EXPECT_TRUE(loaded->config->discovery.kubernetes.enabled);
}

TEST_F(KubeOneShotTest, GlobalEntriesFromTheCluster) {
  f_.seed_mesh();
  onboarding::GlobalEntriesOptions options;
  options.config_file = config_file();
  options.gateway_address = "192.0.2.10";
  std::ostringstream out, err;
  ASSERT_EQ(onboarding::print_global_entries(options, out, err), 0) << err.str();
  EXPECT_NE(out.str().find("- httpbin.bar.global\n"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("  - address: 192.0.2.10\n"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("tls: 15443"), std::string::npos) << out.str();
}

TEST_F(KubeOneShotTest, AnUnreachableApiServerFailsWithinTheTimeout) {
  const std::string file = config_file();
  f_.api().set_down(true);
  std::ostringstream err;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(onboarding::load_registry_once(file, err, 500ms));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_NE(err.str().find("not every resource was listed within 500 ms"), std::string::npos)
      << err.str();
}

TEST_F(KubeOneShotTest, ABadKubeconfigSaysSo) {
  const std::string file =
      dir_.write("meshgate.yaml",
                 "discovery:\n  kubernetes: {enabled: true, kubeconfig: missing-kubeconfig}\n");
  std::ostringstream err;
  EXPECT_FALSE(onboarding::load_registry_once(file, err, 500ms));
  EXPECT_NE(err.str().find("discovery.kubernetes: "), std::string::npos) << err.str();
  EXPECT_NE(err.str().find("missing-kubeconfig"), std::string::npos) << err.str();
}

}  // namespace
}  // namespace meshgate::testing
