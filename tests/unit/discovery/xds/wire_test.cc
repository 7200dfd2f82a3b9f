// The .proto files of discovery/xds/proto against Envoy's published
// definitions (envoyproxy/data-plane-api, api/envoy/...): each message meshgate
// sends is serialized and compared with bytes built by hand from Envoy's field
// numbers; each message it reads is parsed from such bytes. A field number
// wrong by one would break a real istiod silently; here it fails a test.
#include <gtest/gtest.h>

#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/config/endpoint/v3/endpoint.pb.h"
#include "envoy/config/listener/v3/listener.pb.h"
#include "envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.pb.h"
#include "envoy/service/discovery/v3/discovery.pb.h"
#include "tests/unit/discovery/xds/wire.h"

namespace meshgate::discovery::xds {
namespace {

using namespace wire;

// envoy/service/discovery/v3/discovery.proto: DiscoveryRequest version_info 1,
// node 2, resource_names 3, type_url 4, response_nonce 5, error_detail 6;
// google/rpc/status.proto: code 1, message 2.
TEST(XdsWire, DiscoveryRequestAsEnvoyDefinesIt) {
  envoy::service::discovery::v3::DiscoveryRequest request;
  request.set_version_info("v7");
  request.mutable_node()->set_id("router~10.0.0.1~gw.istio-system~istio-system.svc.cluster.local");
  request.add_resource_names("a");
  request.add_resource_names("b");
  request.set_type_url("t");
  request.set_response_nonce("n1");
  request.mutable_error_detail()->set_code(3);
  request.mutable_error_detail()->set_message("bad");
  const std::string expected =
      bytes(1, "v7") +
      bytes(2, bytes(1, "router~10.0.0.1~gw.istio-system~istio-system.svc.cluster.local")) +
      bytes(3, "a") + bytes(3, "b") + bytes(4, "t") + bytes(5, "n1") +
      bytes(6, number(1, 3) + bytes(2, "bad"));
  EXPECT_EQ(request.SerializeAsString(), expected);
}

// envoy/config/core/v3/base.proto: Node id 1, cluster 2, metadata 3 (Struct:
// fields 1, a map of string to Value{string_value 3, struct_value 5}),
// locality 4 {region 1, zone 2, sub_zone 3}, user_agent_name 6,
// user_agent_version 7, client_features 10.
TEST(XdsWire, NodeAsEnvoyDefinesIt) {
  envoy::config::core::v3::Node node;
  node.set_id("i");
  node.set_cluster("c");
  (*node.mutable_metadata()->mutable_fields())["NAMESPACE"].set_string_value("ns");
  node.mutable_locality()->set_region("r");
  node.mutable_locality()->set_zone("z");
  node.mutable_locality()->set_sub_zone("s");
  node.set_user_agent_name("meshgate");
  node.set_user_agent_version("0.1");
  node.add_client_features("f");
  const std::string entry = bytes(1, "NAMESPACE") + bytes(2, bytes(3, "ns"));
  const std::string expected = bytes(1, "i") + bytes(2, "c") + bytes(3, bytes(1, entry)) +
                               bytes(4, bytes(1, "r") + bytes(2, "z") + bytes(3, "s")) +
                               bytes(6, "meshgate") + bytes(7, "0.1") + bytes(10, "f");
  EXPECT_EQ(node.SerializeAsString(), expected);
}

// DiscoveryResponse version_info 1, resources 2 (Any), type_url 4, nonce 5,
// control_plane 6 {identifier 1}.
TEST(XdsWire, DiscoveryResponseAsEnvoyDefinesIt) {
  envoy::service::discovery::v3::DiscoveryResponse response;
  ASSERT_TRUE(response.ParseFromString(
      bytes(1, "2026-12-07T00:00:00Z/3") + any(2, "type.googleapis.com/x.Y", "\x08\x01") +
      bytes(4, "type.googleapis.com/x.Y") + bytes(5, "nonce") + bytes(6, bytes(1, "istiod-1"))));
  EXPECT_EQ(response.version_info(), "2026-12-07T00:00:00Z/3");
  ASSERT_EQ(response.resources_size(), 1);
  EXPECT_EQ(response.resources(0).type_url(), "type.googleapis.com/x.Y");
  EXPECT_EQ(response.resources(0).value(), "\x08\x01");
  EXPECT_EQ(response.type_url(), "type.googleapis.com/x.Y");
  EXPECT_EQ(response.nonce(), "nonce");
  EXPECT_EQ(response.control_plane().identifier(), "istiod-1");
}

// core/v3/address.proto: Address socket_address 1 {protocol 1, address 2,
// port_value 3, named_port 4}.
std::string socket_address(std::string_view ip, uint32_t port) {
  return bytes(1, bytes(2, ip) + number(3, port));
}

// listener/v3/listener.proto: Listener name 1, address 2, filter_chains 3,
// listener_filters 9, default_filter_chain 25; listener_components.proto:
// FilterChain filter_chain_match 1, filters 3, transport_socket 6, name 7;
// FilterChainMatch destination_port 8 (UInt32Value value 1),
// transport_protocol 9, application_protocols 10, server_names 11; Filter
// name 1, typed_config 4; ListenerFilter name 1, typed_config 3.
TEST(XdsWire, ListenerAsEnvoyDefinesIt) {
  const std::string match = bytes(8, number(1, 15443)) + bytes(9, "tls") + bytes(10, "istio") +
                            bytes(10, "istio-h2") + bytes(11, "outbound_.80_._.a.ns.svc");
  const std::string filter =
      bytes(1, "envoy.filters.network.tcp_proxy") + any(4, "type.googleapis.com/t.P", "");
  const std::string chain =
      bytes(1, match) + bytes(3, filter) + bytes(6, bytes(1, "tls")) + bytes(7, "chain-0");
  envoy::config::listener::v3::Listener listener;
  ASSERT_TRUE(listener.ParseFromString(
      bytes(1, "0.0.0.0_15443") + bytes(2, socket_address("0.0.0.0", 15443)) + bytes(3, chain) +
      bytes(9, bytes(1, "envoy.filters.listener.tls_inspector")) +
      bytes(25, bytes(7, "fallback"))));
  EXPECT_EQ(listener.name(), "0.0.0.0_15443");
  EXPECT_EQ(listener.address().socket_address().address(), "0.0.0.0");
  EXPECT_EQ(listener.address().socket_address().port_value(), 15443u);
  ASSERT_EQ(listener.filter_chains_size(), 1);
  const auto& read = listener.filter_chains(0);
  EXPECT_EQ(read.filter_chain_match().destination_port().value(), 15443u);
  EXPECT_EQ(read.filter_chain_match().transport_protocol(), "tls");
  ASSERT_EQ(read.filter_chain_match().application_protocols_size(), 2);
  EXPECT_EQ(read.filter_chain_match().application_protocols(1), "istio-h2");
  ASSERT_EQ(read.filter_chain_match().server_names_size(), 1);
  EXPECT_EQ(read.filter_chain_match().server_names(0), "outbound_.80_._.a.ns.svc");
  ASSERT_EQ(read.filters_size(), 1);
  EXPECT_EQ(read.filters(0).name(), "envoy.filters.network.tcp_proxy");
  EXPECT_EQ(read.filters(0).typed_config().type_url(), "type.googleapis.com/t.P");
  EXPECT_EQ(read.transport_socket().name(), "tls");
  EXPECT_EQ(read.name(), "chain-0");
  EXPECT_EQ(listener.listener_filters(0).name(), "envoy.filters.listener.tls_inspector");
  EXPECT_EQ(listener.default_filter_chain().name(), "fallback");
}

// tcp_proxy/v3/tcp_proxy.proto: TcpProxy stat_prefix 1, cluster 2,
// max_connect_attempts 7, idle_timeout 8 (Duration seconds 1, nanos 2),
// weighted_clusters 10 {clusters 1 {name 1, weight 2}}.
TEST(XdsWire, TcpProxyAsEnvoyDefinesIt) {
  envoy::extensions::filters::network::tcp_proxy::v3::TcpProxy proxy;
  ASSERT_TRUE(proxy.ParseFromString(bytes(1, "s") + bytes(2, "outbound|15012||istiod") +
                                    bytes(7, number(1, 3)) + bytes(8, number(1, 60))));
  EXPECT_EQ(proxy.stat_prefix(), "s");
  EXPECT_EQ(proxy.cluster(), "outbound|15012||istiod");
  EXPECT_EQ(proxy.max_connect_attempts().value(), 3u);
  EXPECT_EQ(proxy.idle_timeout().seconds(), 60);
  ASSERT_TRUE(proxy.ParseFromString(bytes(
      10, bytes(1, bytes(1, "a") + number(2, 90)) + bytes(1, bytes(1, "b") + number(2, 10)))));
  ASSERT_TRUE(proxy.has_weighted_clusters());
  ASSERT_EQ(proxy.weighted_clusters().clusters_size(), 2);
  EXPECT_EQ(proxy.weighted_clusters().clusters(0).name(), "a");
  EXPECT_EQ(proxy.weighted_clusters().clusters(1).weight(), 10u);
}

// cluster/v3/cluster.proto: Cluster name 1, type 2 (EDS = 3), eds_cluster_config 3
// {service_name 2}, connect_timeout 4, lb_policy 6 (RANDOM = 3), circuit_breakers
// 10, outlier_detection 19, transport_socket 24, load_assignment 33,
// transport_socket_matches 43 {name 1}; circuit_breaker.proto: thresholds 1
// {priority 1, max_connections 2}; outlier_detection.proto: consecutive_5xx 1,
// base_ejection_time 3, consecutive_gateway_failure 10,
// split_external_local_origin_errors 12, consecutive_local_origin_failure 13,
// max_ejection_time 21.
TEST(XdsWire, ClusterAsEnvoyDefinesIt) {
  const std::string outlier = bytes(1, number(1, 7)) + bytes(3, number(1, 30)) +
                              bytes(10, number(1, 5)) + number(12, 1) + bytes(13, number(1, 4)) +
                              bytes(21, number(1, 300));
  envoy::config::cluster::v3::Cluster cluster;
  ASSERT_TRUE(cluster.ParseFromString(
      bytes(1, "outbound_.80_._.a.ns.svc.cluster.local") + number(2, 3) +
      bytes(3, bytes(2, "eds-name")) + bytes(4, number(1, 10) + number(2, 500'000'000)) +
      number(6, 3) + bytes(10, bytes(1, number(1, 0) + bytes(2, number(1, 1024)))) +
      bytes(19, outlier) + bytes(24, bytes(1, "envoy.transport_sockets.tls")) +
      bytes(33, bytes(1, "inline")) + bytes(43, bytes(1, "tlsMode-istio"))));
  EXPECT_EQ(cluster.name(), "outbound_.80_._.a.ns.svc.cluster.local");
  EXPECT_EQ(cluster.type(), envoy::config::cluster::v3::Cluster::EDS);
  EXPECT_EQ(cluster.eds_cluster_config().service_name(), "eds-name");
  EXPECT_EQ(cluster.connect_timeout().seconds(), 10);
  EXPECT_EQ(cluster.connect_timeout().nanos(), 500'000'000);
  EXPECT_EQ(cluster.lb_policy(), envoy::config::cluster::v3::Cluster::RANDOM);
  EXPECT_EQ(cluster.circuit_breakers().thresholds(0).max_connections().value(), 1024u);
  const auto& detection = cluster.outlier_detection();
  EXPECT_EQ(detection.consecutive_5xx().value(), 7u);
  EXPECT_EQ(detection.base_ejection_time().seconds(), 30);
  EXPECT_EQ(detection.consecutive_gateway_failure().value(), 5u);
  EXPECT_TRUE(detection.split_external_local_origin_errors());
  EXPECT_EQ(detection.consecutive_local_origin_failure().value(), 4u);
  EXPECT_EQ(detection.max_ejection_time().seconds(), 300);
  EXPECT_EQ(cluster.transport_socket().name(), "envoy.transport_sockets.tls");
  EXPECT_EQ(cluster.load_assignment().cluster_name(), "inline");
  EXPECT_EQ(cluster.transport_socket_matches(0).name(), "tlsMode-istio");
}

// cluster.proto: Cluster cluster_type 38 {name 1, typed_config 2}, in the oneof with type.
TEST(XdsWire, CustomClusterTypeAsEnvoyDefinesIt) {
  envoy::config::cluster::v3::Cluster cluster;
  ASSERT_TRUE(
      cluster.ParseFromString(bytes(1, "agg") + bytes(38, bytes(1, "envoy.clusters.aggregate"))));
  EXPECT_FALSE(cluster.has_type());
  EXPECT_EQ(cluster.cluster_type().name(), "envoy.clusters.aggregate");
}

// cluster.proto: dns_refresh_rate 16 (Duration), dns_lookup_family 17 (enum),
// respect_dns_ttl 39 (bool); DnsLookupFamily AUTO 0, V4_ONLY 1, V6_ONLY 2,
// V4_PREFERRED 3, ALL 4.
TEST(XdsWire, ClusterDnsFieldsAsEnvoyDefinesThem) {
  using Cluster = envoy::config::cluster::v3::Cluster;
  Cluster cluster;
  ASSERT_TRUE(cluster.ParseFromString(bytes(1, "dns") + number(2, 1) + bytes(16, number(1, 60)) +
                                      number(17, 3) + number(39, 1)));
  EXPECT_EQ(cluster.type(), Cluster::STRICT_DNS);
  EXPECT_EQ(cluster.dns_refresh_rate().seconds(), 60);
  EXPECT_EQ(cluster.dns_lookup_family(), Cluster::V4_PREFERRED);
  EXPECT_TRUE(cluster.respect_dns_ttl());
  EXPECT_EQ(Cluster::AUTO, 0);
  EXPECT_EQ(Cluster::V4_ONLY, 1);
  EXPECT_EQ(Cluster::V6_ONLY, 2);
  EXPECT_EQ(Cluster::ALL, 4);
}

// The enums, by number: DiscoveryType STATIC 0, STRICT_DNS 1, LOGICAL_DNS 2,
// EDS 3, ORIGINAL_DST 4; LbPolicy ROUND_ROBIN 0, LEAST_REQUEST 1, RING_HASH 2,
// RANDOM 3, MAGLEV 5; HealthStatus UNKNOWN 0 .. DEGRADED 5.
TEST(XdsWire, EnumNumbersAsEnvoyDefinesThem) {
  using Cluster = envoy::config::cluster::v3::Cluster;
  EXPECT_EQ(Cluster::STATIC, 0);
  EXPECT_EQ(Cluster::STRICT_DNS, 1);
  EXPECT_EQ(Cluster::LOGICAL_DNS, 2);
  EXPECT_EQ(Cluster::EDS, 3);
  EXPECT_EQ(Cluster::ORIGINAL_DST, 4);
  EXPECT_EQ(Cluster::ROUND_ROBIN, 0);
  EXPECT_EQ(Cluster::LEAST_REQUEST, 1);
  EXPECT_EQ(Cluster::RING_HASH, 2);
  EXPECT_EQ(Cluster::RANDOM, 3);
  EXPECT_EQ(Cluster::MAGLEV, 5);
  EXPECT_EQ(envoy::config::core::v3::UNKNOWN, 0);
  EXPECT_EQ(envoy::config::core::v3::HEALTHY, 1);
  EXPECT_EQ(envoy::config::core::v3::UNHEALTHY, 2);
  EXPECT_EQ(envoy::config::core::v3::DRAINING, 3);
  EXPECT_EQ(envoy::config::core::v3::TIMEOUT, 4);
  EXPECT_EQ(envoy::config::core::v3::DEGRADED, 5);
}

// endpoint/v3/endpoint.proto: ClusterLoadAssignment cluster_name 1, endpoints 2;
// endpoint_components.proto: LocalityLbEndpoints locality 1, lb_endpoints 2,
// load_balancing_weight 3, priority 5; LbEndpoint endpoint 1 {address 1},
// health_status 2, metadata 3 (Metadata filter_metadata 1: map of string to
// Struct), load_balancing_weight 4.
TEST(XdsWire, ClusterLoadAssignmentAsEnvoyDefinesIt) {
  const std::string tls_mode = bytes(1, bytes(1, "tlsMode") + bytes(2, bytes(3, "istio")));
  const std::string metadata =
      bytes(1, bytes(1, "envoy.transport_socket_match") + bytes(2, tls_mode));
  const std::string lb_endpoint = bytes(1, bytes(1, socket_address("10.1.2.3", 9443))) +
                                  number(2, 1) + bytes(3, metadata) + bytes(4, number(1, 7));
  const std::string locality = bytes(1, bytes(1, "us-east1") + bytes(2, "b")) +
                               bytes(2, lb_endpoint) + bytes(3, number(1, 50)) + number(5, 1);
  envoy::config::endpoint::v3::ClusterLoadAssignment assignment;
  ASSERT_TRUE(assignment.ParseFromString(bytes(1, "c") + bytes(2, locality)));
  EXPECT_EQ(assignment.cluster_name(), "c");
  ASSERT_EQ(assignment.endpoints_size(), 1);
  const auto& group = assignment.endpoints(0);
  EXPECT_EQ(group.locality().region(), "us-east1");
  EXPECT_EQ(group.locality().zone(), "b");
  EXPECT_EQ(group.load_balancing_weight().value(), 50u);
  EXPECT_EQ(group.priority(), 1u);
  ASSERT_EQ(group.lb_endpoints_size(), 1);
  const auto& endpoint = group.lb_endpoints(0);
  EXPECT_EQ(endpoint.endpoint().address().socket_address().address(), "10.1.2.3");
  EXPECT_EQ(endpoint.endpoint().address().socket_address().port_value(), 9443u);
  EXPECT_EQ(endpoint.health_status(), envoy::config::core::v3::HEALTHY);
  EXPECT_EQ(endpoint.load_balancing_weight().value(), 7u);
  EXPECT_EQ(endpoint.metadata()
                .filter_metadata()
                .at("envoy.transport_socket_match")
                .fields()
                .at("tlsMode")
                .string_value(),
            "istio");
}

}  // namespace
}  // namespace meshgate::discovery::xds
