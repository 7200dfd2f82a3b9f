// What the config makes of the client's options and the node istiod sees.
// The unset network view follows Istio's gateway chart
// (manifests/charts/gateway/templates/deployment.yaml: networkGateway sets
// ISTIO_META_REQUESTED_NETWORK_VIEW to the gateway's own network).
#include "discovery/xds/xds_source.h"

#include <gtest/gtest.h>

#include "config/loader.h"

namespace meshgate::discovery::xds {
namespace {

config::Config loaded(const std::string& yaml) {
  const config::LoadResult result = config::load_config_string(yaml);
  EXPECT_TRUE(result.ok()) << base::describe(result.errors);
  return result.ok() ? *result.config : config::Config{};
}

TEST(XdsSourceOptions, TheConfigFillsTheClientAndTheNode) {
  const config::Config config = loaded(R"(network: network2
cluster_domain: corp.example
discovery:
  xds:
    enabled: true
    address: 10.0.0.9:15012
    server_name: istiod.istio-system.svc
    root_cert: /certs/root.pem
    token_file: /tokens/istio-token
    cluster_id: cluster2
    pod_name: meshgate-1
    pod_namespace: istio-system
    pod_ip: 10.8.0.14
)");
  const XdsClientOptions options = client_options(config, "9.9.9");
  EXPECT_EQ(options.address, "10.0.0.9:15012");
  EXPECT_EQ(options.server_name, "istiod.istio-system.svc");
  EXPECT_EQ(options.root_cert_file, "/certs/root.pem");
  EXPECT_EQ(options.token_file, "/tokens/istio-token");
  EXPECT_EQ(options.cluster_id, "cluster2");
  EXPECT_EQ(options.node.cluster_id, "cluster2");
  EXPECT_EQ(options.node.network, "network2");
  EXPECT_EQ(options.node.cluster_domain, "corp.example");
  EXPECT_EQ(options.node.user_agent_version, "9.9.9");
  EXPECT_EQ(node_id(options.node),
            "router~10.8.0.14~meshgate-1.istio-system~istio-system.svc.corp.example");
}

TEST(XdsSourceOptions, AnUnsetNetworkViewIsTheGatewaysOwnNetwork) {
  const config::Config config = loaded("network: network2\ndiscovery: {xds: {enabled: true}}\n");
  EXPECT_EQ(client_options(config, "1").node.requested_network_view,
            (std::vector<std::string>{"network2"}));
}

TEST(XdsSourceOptions, AWrittenNetworkViewIsSentAsWritten) {
  const config::Config config = loaded(
      "network: network2\ndiscovery: {xds: {enabled: true, requested_network_view: [a, b]}}\n");
  EXPECT_EQ(client_options(config, "1").node.requested_network_view,
            (std::vector<std::string>{"a", "b"}));
}

}  // namespace
}  // namespace meshgate::discovery::xds
