// The `discovery.xds` section: defaults (the paths Istio's injector mounts),
// every key read, every check with its path and line, and the pod identity
// from the environment (POD_NAME, POD_NAMESPACE, INSTANCE_IP).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.h"
#include "config/loader.h"
#include "config/overrides.h"
#include "tests/unit/config/error_matchers.h"

namespace meshgate::config {
namespace {

using ::testing::ElementsAre;
using testing::ErrorAt;

TEST(XdsConfig, DefaultsAreOffWithTheInjectorsPaths) {
  const XdsSource xds = default_config().discovery.xds;
  EXPECT_FALSE(xds.enabled);
  EXPECT_EQ(xds.address, "istiod.istio-system.svc:15012");
  EXPECT_EQ(xds.root_cert, "/var/run/secrets/istio/root-cert.pem");
  EXPECT_EQ(xds.token_file, "/var/run/secrets/tokens/istio-token");
  EXPECT_EQ(xds.cluster_id, "Kubernetes");
  EXPECT_EQ(xds.labels, (std::map<std::string, std::string>{{"app", "istio-eastwestgateway"},
                                                            {"istio", "eastwestgateway"}}));
}

TEST(XdsConfig, EveryKeyIsRead) {
  const LoadResult loaded = load_config_string(R"(discovery:
  xds:
    enabled: true
    address: "[fd00::10]:15012"
    server_name: istiod.istio-system.svc
    root_cert: /etc/istio/root-cert.pem
    token_file: /etc/istio/token
    cluster_id: cluster2
    mesh_id: mesh1
    istio_version: 1.24.0
    pod_name: eastwest-0
    pod_namespace: istio-system
    pod_ip: 10.8.0.14
    service_account: istio-eastwestgateway
    labels: {istio: eastwestgateway, topology.istio.io/network: network2}
    requested_network_view: [network2, network3]
    resolvers: [10.96.0.10, "[fd00::10]:5353"]
)");
  ASSERT_TRUE(loaded.ok()) << base::describe(loaded.errors);
  const XdsSource& xds = loaded.config->discovery.xds;
  EXPECT_TRUE(xds.enabled);
  EXPECT_EQ(xds.address, "[fd00::10]:15012");
  EXPECT_EQ(xds.server_name, "istiod.istio-system.svc");
  EXPECT_EQ(xds.root_cert, "/etc/istio/root-cert.pem");
  EXPECT_EQ(xds.token_file, "/etc/istio/token");
  EXPECT_EQ(xds.cluster_id, "cluster2");
  EXPECT_EQ(xds.mesh_id, "mesh1");
  EXPECT_EQ(xds.istio_version, "1.24.0");
  EXPECT_EQ(xds.pod_name, "eastwest-0");
  EXPECT_EQ(xds.pod_namespace, "istio-system");
  EXPECT_EQ(xds.pod_ip, "10.8.0.14");
  EXPECT_EQ(xds.service_account, "istio-eastwestgateway");
  EXPECT_EQ(xds.labels.at("topology.istio.io/network"), "network2");
  EXPECT_EQ(xds.requested_network_view, (std::vector<std::string>{"network2", "network3"}));
  EXPECT_EQ(xds.resolvers, (std::vector<std::string>{"10.96.0.10", "[fd00::10]:5353"}));
}

TEST(XdsConfig, EveryCheckNamesItsKey) {
  const LoadResult loaded = load_config_string(R"(discovery:
  xds:
    enabled: true
    address: istiod
    root_cert: ""
    pod_ip: not-an-ip
    pod_name: "a~b"
    labels: {"bad key!": x}
    resolvers:
      - 10.0.0.1
      - kube-dns
)");
  EXPECT_THAT(loaded.errors,
              ElementsAre(ErrorAt("discovery.xds.address", 4, "expected host:port"),
                          ErrorAt("discovery.xds.root_cert", 5, "required"),
                          ErrorAt("discovery.xds.pod_ip", 6, "not an IP address"),
                          ErrorAt("discovery.xds.pod_name", 7, "'~'"),
                          ErrorAt("discovery.xds.labels", 8, "not a valid label key"),
                          ErrorAt("discovery.xds.resolvers[1]", 11, "expected ip, ip:port")));
}

// Both would describe the cluster's services; istiod's decisions win by design.
TEST(XdsConfig, ExclusiveWithKubernetesDiscovery) {
  const LoadResult loaded =
      load_config_string("discovery:\n  kubernetes: {enabled: true}\n  xds: {enabled: true}\n");
  EXPECT_THAT(loaded.errors, ElementsAre(ErrorAt("discovery.xds.enabled", 3,
                                                 "not with discovery.kubernetes.enabled")));
}

TEST(XdsConfig, ChecksWaitUntilItIsEnabled) {
  EXPECT_TRUE(load_config_string("discovery: {xds: {address: nonsense}}\n").ok());
}

TEST(XdsConfig, ThePodsIdentityComesFromTheEnvironmentWhenNotWritten) {
  const LoadResult loaded =
      load_config_string("discovery: {xds: {enabled: true, pod_name: written}}\n");
  ASSERT_TRUE(loaded.ok());
  Overrides overrides;
  overrides.pod_name = "from-env";
  overrides.pod_namespace = "istio-system";
  overrides.pod_ip = "10.8.0.14";
  overrides.service_account = "meshgate";
  const LoadResult effective = with_overrides(loaded, overrides);
  ASSERT_TRUE(effective.ok()) << base::describe(effective.errors);
  const XdsSource& xds = effective.config->discovery.xds;
  EXPECT_EQ(xds.pod_name, "written");
  EXPECT_EQ(xds.pod_namespace, "istio-system");
  EXPECT_EQ(xds.pod_ip, "10.8.0.14");
  EXPECT_EQ(xds.service_account, "meshgate");
  overrides.pod_ip = "not-an-ip";
  const LoadResult refused = with_overrides(loaded, overrides);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.errors[0].path, "discovery.xds.pod_ip");
  EXPECT_NE(refused.errors[0].message.find("from the environment"), std::string::npos);
}

}  // namespace
}  // namespace meshgate::config
