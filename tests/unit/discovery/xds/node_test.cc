// The node as istiod reads it: pilot/pkg/model/context.go
// ParseServiceNodeWithMetadata (the id's four parts, the IP) and
// pkg/model/proxy.go BootstrapNodeMetadata (the JSON keys and their types).
#include "discovery/xds/node.h"

#include <gtest/gtest.h>

#include "envoy/config/core/v3/base.pb.h"

namespace meshgate::discovery::xds {
namespace {

NodeIdentity eastwest() {
  NodeIdentity identity;
  identity.pod_name = "istio-eastwestgateway-7d9f-x2x";
  identity.pod_namespace = "istio-system";
  identity.pod_ip = "10.8.0.14";
  identity.cluster_id = "cluster1";
  identity.network = "network1";
  identity.mesh_id = "mesh1";
  identity.istio_version = "1.24.0";
  identity.service_account = "istio-eastwestgateway-service-account";
  identity.labels = {{"istio", "eastwestgateway"},
                     {"app", "istio-eastwestgateway"},
                     {"topology.istio.io/network", "network1"}};
  identity.requested_network_view = {"network1", "network2"};
  identity.user_agent_version = "0.1.0";
  return identity;
}

const google::protobuf::Value& field(const envoy::config::core::v3::Node& node,
                                     const std::string& key) {
  return node.metadata().fields().at(key);
}

TEST(XdsNode, TheIdIsARoutersWithFourParts) {
  EXPECT_EQ(node_id(eastwest()),
            "router~10.8.0.14~istio-eastwestgateway-7d9f-x2x.istio-system~istio-system.svc."
            "cluster.local");
}

TEST(XdsNode, MetadataKeysCarryTheTypesIstiodUnmarshals) {
  const auto node = build_node(eastwest());
  EXPECT_EQ(node.cluster(), "istio-eastwestgateway.istio-system");
  EXPECT_EQ(node.user_agent_name(), "meshgate");
  EXPECT_EQ(node.user_agent_version(), "0.1.0");
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"ISTIO_VERSION", "1.24.0"},
           {"NAMESPACE", "istio-system"},
           {"CLUSTER_ID", "cluster1"},
           {"NETWORK", "network1"},
           {"MESH_ID", "mesh1"},
           {"INSTANCE_IPS", "10.8.0.14"},
           {"SERVICE_ACCOUNT", "istio-eastwestgateway-service-account"},
           {"WORKLOAD_NAME", "istio-eastwestgateway"},
           {"ROUTER_MODE", "sni-dnat"},
           {"REQUESTED_NETWORK_VIEW", "network1,network2"}}) {
    ASSERT_TRUE(field(node, key).has_string_value()) << key;
    EXPECT_EQ(field(node, key).string_value(), value) << key;
  }
  const auto& labels = field(node, "LABELS").struct_value().fields();
  EXPECT_EQ(labels.at("istio").string_value(), "eastwestgateway");
  EXPECT_EQ(labels.at("topology.istio.io/network").string_value(), "network1");
  // istioctl proxy-status lists only proxies that sent a PROXY_CONFIG (statusgen.go).
  EXPECT_TRUE(field(node, "PROXY_CONFIG").has_struct_value());
}

TEST(XdsNode, OptionalKeysAreLeftOutWhenUnset) {
  NodeIdentity identity = eastwest();
  identity.service_account.clear();
  identity.requested_network_view.clear();
  const auto node = build_node(identity);
  EXPECT_EQ(node.metadata().fields().count("SERVICE_ACCOUNT"), 0u);
  EXPECT_EQ(node.metadata().fields().count("REQUESTED_NETWORK_VIEW"), 0u);
}

TEST(XdsNode, WhatIstiodWouldRefuseIsCaughtFirst) {
  EXPECT_FALSE(check_identity(eastwest()));
  NodeIdentity identity = eastwest();
  identity.pod_ip = "not-an-ip";
  EXPECT_EQ(base::describe(*check_identity(identity)),
            "pod_ip: not an IP literal (istiod refuses the node)");
  identity = eastwest();
  identity.pod_name.clear();
  EXPECT_EQ(base::describe(*check_identity(identity)), "pod_name: required");
  identity = eastwest();
  identity.pod_namespace = "a~b";
  EXPECT_EQ(check_identity(identity)->path, "pod_namespace");
  identity = eastwest();
  identity.pod_ip = "fd00::14";
  EXPECT_FALSE(check_identity(identity));
}

}  // namespace
}  // namespace meshgate::discovery::xds
