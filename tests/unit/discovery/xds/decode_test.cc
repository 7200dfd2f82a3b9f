// What istiod's resources mean to meshgate. The shapes are istiod's
// (tests/unit/discovery/xds/xds_builders.h names the Istio files).
#include "discovery/xds/decode.h"

#include <gtest/gtest.h>

#include "tests/unit/discovery/xds/xds_builders.h"

namespace meshgate::discovery::xds {
namespace {

using namespace testing;
namespace listener_v3 = envoy::config::listener::v3;
namespace cluster_v3 = envoy::config::cluster::v3;

constexpr std::string_view kHttpbin = "outbound_.8000_._.httpbin.bar.svc.cluster.local";
constexpr std::string_view kIstiod = "outbound|15012||istiod.istio-system.svc.cluster.local";

Listener decoded(const listener_v3::Listener& proto) {
  Decoded<Listener> result = decode_listener(proto);
  EXPECT_TRUE(result.value) << base::describe(result.error);
  return result.value.value_or(Listener{});
}

std::string error_of(const listener_v3::Listener& proto) {
  Decoded<Listener> result = decode_listener(proto);
  EXPECT_FALSE(result.value);
  return base::describe(result.error);
}

// pilot/pkg/networking/core/gateway.go builtAutoPassthroughFilterChains: one
// chain per service port, SNI outbound_.PORT_.SUBSET_.HOST, Istio ALPNs, a
// tcp_proxy to the cluster of the same name.
TEST(XdsDecodeListener, AnAutoPassthroughChainIsServed) {
  const Listener read = decoded(listener(15443, {passthrough_chain(kHttpbin)}));
  EXPECT_EQ(read.name, "0.0.0.0_15443");
  EXPECT_EQ(read.port, 15443);
  ASSERT_EQ(read.chains.size(), 1u);
  const Chain& chain = read.chains[0];
  EXPECT_EQ(chain.server_names, std::vector<std::string>{std::string(kHttpbin)});
  EXPECT_EQ(chain.alpn, kIstioAlpns);
  EXPECT_EQ(chain.clusters, (std::vector<WeightedCluster>{{std::string(kHttpbin), 1}}));
  EXPECT_FALSE(chain.unserved);
}

// gateway.go createGatewayTCPFilterChainOpts for expose-istiod: sniHosts "*"
// leaves the chain without a match; it takes every connection.
TEST(XdsDecodeListener, ACatchAllChainMatchesAnyName) {
  listener_v3::FilterChain chain;
  *chain.add_filters() = tcp_proxy_filter(kIstiod);
  const Listener read = decoded(listener(15012, {chain}));
  ASSERT_EQ(read.chains.size(), 1u);
  EXPECT_TRUE(read.chains[0].server_names.empty());
  EXPECT_TRUE(read.chains[0].alpn.empty());
  EXPECT_EQ(read.chains[0].clusters[0].name, kIstiod);
}

TEST(XdsDecodeListener, ChainsMeshgateCannotServeStayAsUnserved) {
  listener_v3::FilterChain terminating = passthrough_chain("a.example");
  terminating.mutable_transport_socket()->set_name("envoy.transport_sockets.tls");
  listener_v3::FilterChain http = passthrough_chain("b.example");
  http.clear_filters();
  *http.add_filters() = named_filter("envoy.filters.network.http_connection_manager");
  listener_v3::FilterChain rbac = passthrough_chain("c.example");
  *rbac.mutable_filters(0) = named_filter("envoy.filters.network.rbac");
  listener_v3::FilterChain by_source = passthrough_chain("d.example");
  by_source.mutable_filter_chain_match()->add_source_ports(1234);
  listener_v3::FilterChain plain = passthrough_chain("e.example");
  plain.mutable_filter_chain_match()->set_transport_protocol("raw_buffer");
  const Listener read = decoded(listener(15443, {terminating, http, rbac, by_source, plain}));
  ASSERT_EQ(read.chains.size(), 5u);
  EXPECT_EQ(read.chains[0].unserved, Unserved::kTlsTermination);
  EXPECT_EQ(read.chains[1].unserved, Unserved::kNoTcpProxy);
  EXPECT_EQ(read.chains[1].detail, "envoy.filters.network.http_connection_manager");
  EXPECT_EQ(read.chains[2].unserved, Unserved::kFilterBefore);
  EXPECT_EQ(read.chains[2].detail, "envoy.filters.network.rbac");
  EXPECT_EQ(read.chains[3].unserved, Unserved::kMatchUnsupported);
  EXPECT_EQ(read.chains[4].unserved, Unserved::kMatchUnsupported);
  for (const Chain& chain : read.chains) {
    EXPECT_TRUE(chain.clusters.empty()) << chain.name;
    EXPECT_FALSE(chain.server_names.empty()) << chain.name;  // they still take their names
  }
}

TEST(XdsDecodeListener, WeightedClustersAndTheDefaultChain) {
  envoy::extensions::filters::network::tcp_proxy::v3::TcpProxy proxy;
  auto* weighted = proxy.mutable_weighted_clusters();
  weighted->add_clusters()->set_name("a");
  weighted->mutable_clusters(0)->set_weight(90);
  weighted->add_clusters()->set_name("b");
  weighted->mutable_clusters(1)->set_weight(10);
  weighted->add_clusters()->set_name("never");
  listener_v3::FilterChain chain;
  chain.add_filters()->set_name("envoy.filters.network.tcp_proxy");
  chain.mutable_filters(0)->mutable_typed_config()->PackFrom(proxy);
  listener_v3::Listener proto = listener(15443, {chain});
  *proto.mutable_default_filter_chain() = passthrough_chain("fallback");
  proto.mutable_default_filter_chain()->clear_filter_chain_match();
  const Listener read = decoded(proto);
  ASSERT_EQ(read.chains.size(), 2u);
  EXPECT_EQ(read.chains[0].clusters, (std::vector<WeightedCluster>{{"a", 90}, {"b", 10}}));
  EXPECT_EQ(read.chains[1].name, "default_filter_chain");
  EXPECT_EQ(read.chains[1].clusters[0].name, "fallback");
}

// Envoy takes names meshgate cannot match (a user's VirtualService sniHosts in
// upper case): the chain is unserved, the rest of the listener applies.
TEST(XdsDecodeListener, AServerNameMeshgateCannotMatchLeavesItsChainUnserved) {
  const Listener read =
      decoded(listener(15443, {passthrough_chain("Upper.Case"), passthrough_chain("a.example")}));
  ASSERT_EQ(read.chains.size(), 2u);
  EXPECT_EQ(read.chains[0].unserved, Unserved::kMatchUnsupported);
  EXPECT_EQ(read.chains[0].detail, "server name Upper.Case");
  EXPECT_FALSE(read.chains[1].unserved);
}

TEST(XdsDecodeListener, MalformedListenersAreErrorsNamingTheField) {
  listener_v3::FilterChain no_cluster = passthrough_chain("a.example");
  *no_cluster.mutable_filters(1) = tcp_proxy_filter("");
  EXPECT_EQ(error_of(listener(15443, {no_cluster})),
            "listener 0.0.0.0_15443.filter_chains[0].cluster: not a cluster name");
  listener_v3::FilterChain wrong_type = passthrough_chain("a.example");
  wrong_type.mutable_filters(1)->mutable_typed_config()->set_type_url("type.googleapis.com/x.Y");
  EXPECT_EQ(error_of(listener(15443, {wrong_type})),
            "listener 0.0.0.0_15443.filter_chains[0].filters.typed_config: not a readable "
            "TcpProxy");
  listener_v3::Listener no_port = listener(15443, {});
  no_port.mutable_address()->mutable_socket_address()->set_port_value(0);
  EXPECT_EQ(error_of(no_port),
            "listener 0.0.0.0_15443.address: a socket address needs a "
            "port_value 1..65535");
  listener_v3::Listener unnamed = listener(15443, {});
  unnamed.set_name("");
  EXPECT_EQ(error_of(unnamed), "listener: not a listener name");
}

TEST(XdsDecodeListener, AListenerWithoutASocketAddressHasPortZero) {
  listener_v3::Listener internal = listener(15443, {});
  internal.mutable_address()->mutable_envoy_internal_address()->set_server_listener_name("x");
  EXPECT_EQ(decoded(internal).port, 0);
}

TEST(XdsDecodeListener, ChainCountsAreBounded) {
  DecodeLimits limits;
  limits.max_filter_chains = 2;
  const auto result = decode_listener(
      listener(15443,
               {passthrough_chain("a.x"), passthrough_chain("b.x"), passthrough_chain("c.x")}),
      limits);
  EXPECT_FALSE(result.value);
  EXPECT_EQ(result.error.message, "more than 2");
}

Cluster decoded(const cluster_v3::Cluster& proto) {
  Decoded<Cluster> result = decode_cluster(proto);
  EXPECT_TRUE(result.value) << base::describe(result.error);
  return result.value.value_or(Cluster{});
}

// pilot/pkg/networking/core/cluster.go buildOutboundSniDnatClusters: EDS,
// service_name = the cluster's name, least request, mesh connectTimeout.
TEST(XdsDecodeCluster, AnSniDnatClusterComesByEds) {
  const Cluster read = decoded(eds_cluster(kHttpbin));
  EXPECT_EQ(read.type, ClusterType::kEds);
  EXPECT_EQ(read.eds_name, kHttpbin);
  EXPECT_EQ(read.connect_timeout, std::chrono::seconds(10));
  EXPECT_EQ(read.lb_policy, LbPolicy::kLeastRequest);
  EXPECT_FALSE(read.max_connections);
  EXPECT_FALSE(read.outlier);
  cluster_v3::Cluster unnamed_service = eds_cluster("c");
  unnamed_service.clear_eds_cluster_config();
  EXPECT_EQ(decoded(unnamed_service).eds_name, "c");
}

TEST(XdsDecodeCluster, TypesAndPolicies) {
  cluster_v3::Cluster proto = eds_cluster("c");
  proto.set_type(cluster_v3::Cluster::ORIGINAL_DST);
  EXPECT_EQ(decoded(proto).type, ClusterType::kOther);
  proto.mutable_cluster_type()->set_name("envoy.clusters.aggregate");
  EXPECT_EQ(decoded(proto).type, ClusterType::kOther);
  proto.clear_cluster_discovery_type();  // neither type: Envoy's default
  EXPECT_EQ(decoded(proto).type, ClusterType::kStatic);
  proto.set_lb_policy(cluster_v3::Cluster::RANDOM);
  EXPECT_EQ(decoded(proto).lb_policy, LbPolicy::kRandom);
  proto.set_lb_policy(cluster_v3::Cluster::MAGLEV);
  EXPECT_EQ(decoded(proto).lb_policy, LbPolicy::kRoundRobin);
  proto.clear_connect_timeout();
  EXPECT_EQ(decoded(proto).connect_timeout, std::chrono::seconds(5));
}

TEST(XdsDecodeCluster, InlineEndpointsOfStaticAndDnsClusters) {
  cluster_v3::Cluster proto = eds_cluster("static");
  proto.set_type(cluster_v3::Cluster::STATIC);
  *proto.mutable_load_assignment() = assignment("", {{"10.0.0.1", 15012}});
  Cluster read = decoded(proto);
  ASSERT_EQ(read.load_assignment.localities.size(), 1u);
  EXPECT_EQ(read.load_assignment.cluster_name, "static");
  EXPECT_EQ(read.load_assignment.localities[0].endpoints[0].address, "10.0.0.1");
  proto.set_type(cluster_v3::Cluster::STRICT_DNS);
  *proto.mutable_load_assignment() = assignment("", {{"istiod.istio-system.svc", 15012}});
  EXPECT_EQ(decoded(proto).load_assignment.localities[0].endpoints[0].address,
            "istiod.istio-system.svc");
  proto.set_type(cluster_v3::Cluster::STATIC);
  const Decoded<Cluster> refused = decode_cluster(proto);
  ASSERT_FALSE(refused.value);
  EXPECT_EQ(base::describe(refused.error),
            "cluster static.load_assignment.endpoints[0].lb_endpoints[0].address: not an IP "
            "literal");
}

// cluster_traffic_policy.go applyOutlierDetection: consecutiveGatewayErrors
// with enforcing 100, consecutive5xxErrors likewise; Envoy's own defaults
// enforce 5xx at 100 % and gateway failures at 0 %.
TEST(XdsDecodeCluster, OutlierDetectionAndCircuitBreakers) {
  cluster_v3::Cluster proto = eds_cluster("c");
  auto* detection = proto.mutable_outlier_detection();
  detection->mutable_consecutive_gateway_failure()->set_value(3);
  detection->mutable_base_ejection_time()->set_seconds(15);
  Cluster read = decoded(proto);
  ASSERT_TRUE(read.outlier);
  EXPECT_EQ(read.outlier->consecutive_failures, 0u);  // not enforced by default
  detection->mutable_enforcing_consecutive_gateway_failure()->set_value(100);
  detection->mutable_consecutive_5xx()->set_value(7);
  read = decoded(proto);
  EXPECT_EQ(read.outlier->consecutive_failures, 3u);
  EXPECT_EQ(read.outlier->base_ejection, std::chrono::seconds(15));
  EXPECT_EQ(read.outlier->max_ejection, std::chrono::seconds(300));
  auto* threshold = proto.mutable_circuit_breakers()->add_thresholds();
  threshold->set_priority(envoy::config::core::v3::HIGH);
  threshold->mutable_max_connections()->set_value(1);
  threshold = proto.mutable_circuit_breakers()->add_thresholds();
  threshold->mutable_max_connections()->set_value(4294967295u);
  EXPECT_EQ(decoded(proto).max_connections, 4294967295u);
  // Durations Envoy would take are clamped, not refused.
  proto.mutable_connect_timeout()->set_seconds(-1);
  EXPECT_EQ(decoded(proto).connect_timeout, std::chrono::milliseconds(1));
  proto.mutable_connect_timeout()->set_seconds(1'000'000);
  EXPECT_EQ(decoded(proto).connect_timeout, std::chrono::hours(1));
}

LoadAssignment decoded(const envoy::config::endpoint::v3::ClusterLoadAssignment& proto) {
  Decoded<LoadAssignment> result = decode_load_assignment(proto);
  EXPECT_TRUE(result.value) << base::describe(result.error);
  return result.value.value_or(LoadAssignment{});
}

// pilot/pkg/xds/endpoints/endpoint_builder.go buildEnvoyLbEndpoint.
TEST(XdsDecodeEndpoints, AddressPortHealthWeightAndMtls) {
  auto proto = assignment("c", {{"10.0.0.1", 9443}, {"fd00::1", 9443}});
  auto* extra = proto.mutable_endpoints(0)->add_lb_endpoints();
  *extra = proto.endpoints(0).lb_endpoints(0);
  extra->mutable_endpoint()->mutable_address()->mutable_socket_address()->set_address("10.0.0.2");
  extra->set_health_status(envoy::config::core::v3::DRAINING);
  extra->mutable_load_balancing_weight()->set_value(9);
  extra->clear_metadata();
  proto.mutable_endpoints(0)->set_priority(2);
  proto.mutable_endpoints(0)->mutable_load_balancing_weight()->set_value(40);
  const LoadAssignment read = decoded(proto);
  ASSERT_EQ(read.localities.size(), 1u);
  const LocalityEndpoints& locality = read.localities[0];
  EXPECT_EQ(locality.region, "r1");
  EXPECT_EQ(locality.priority, 2u);
  EXPECT_EQ(locality.weight, 40u);
  ASSERT_EQ(locality.endpoints.size(), 3u);
  EXPECT_EQ(locality.endpoints[0], (Endpoint{"10.0.0.1", 9443, Health::kHealthy, 1, true}));
  EXPECT_EQ(locality.endpoints[1].address, "fd00::1");
  EXPECT_EQ(locality.endpoints[2], (Endpoint{"10.0.0.2", 9443, Health::kDraining, 9, false}));
  EXPECT_TRUE(dialled(Health::kHealthy));
  EXPECT_TRUE(dialled(Health::kUnknown));
  EXPECT_FALSE(dialled(Health::kDraining));
}

TEST(XdsDecodeEndpoints, EndpointsMeshgateCannotDialAreLeftOut) {
  auto proto = assignment("c", {{"10.0.0.1", 9443}});
  auto* internal = proto.mutable_endpoints(0)->add_lb_endpoints();
  internal->mutable_endpoint()
      ->mutable_address()
      ->mutable_envoy_internal_address()
      ->set_server_listener_name("connect_originate");
  auto* named = proto.mutable_endpoints(0)->add_lb_endpoints();
  named->set_endpoint_name("ep");
  auto* udp = proto.mutable_endpoints(0)->add_lb_endpoints();
  *udp = proto.endpoints(0).lb_endpoints(0);
  udp->mutable_endpoint()->mutable_address()->mutable_socket_address()->set_protocol(
      envoy::config::core::v3::SocketAddress::UDP);
  EXPECT_EQ(decoded(proto).localities[0].endpoints.size(), 1u);
}

TEST(XdsDecodeEndpoints, BadEndpointsAreErrorsNamingTheField) {
  const auto error = [](auto proto) { return base::describe(decode_load_assignment(proto).error); };
  auto proto = assignment("c", {{"not-an-ip", 9443}});
  EXPECT_EQ(error(proto), "endpoints c.endpoints[0].lb_endpoints[0].address: not an IP literal");
  proto = assignment("c", {{"10.0.0.1", 70000}});
  EXPECT_EQ(error(proto), "endpoints c.endpoints[0].lb_endpoints[0].port_value: not 1..65535");
  proto = assignment("c", {{"10.0.0.1", 1}});
  proto.mutable_endpoints(0)->mutable_lb_endpoints(0)->mutable_load_balancing_weight()->set_value(
      0);
  EXPECT_EQ(error(proto),
            "endpoints c.endpoints[0].lb_endpoints[0].load_balancing_weight: 0 (at least 1)");
  proto = assignment("c", {{"10.0.0.1", 1}});
  proto.mutable_endpoints(0)->set_priority(129);
  EXPECT_EQ(error(proto), "endpoints c.endpoints[0].priority: above 128");
  DecodeLimits limits;
  limits.max_endpoints = 1;
  proto = assignment("c", {{"10.0.0.1", 1}, {"10.0.0.2", 1}});
  EXPECT_EQ(decode_load_assignment(proto, false, limits).error.message, "more than 1 endpoints");
}

}  // namespace
}  // namespace meshgate::discovery::xds
