// istiod's routes as meshgate's model, and routed by meshgate's route table
// exactly as istiod's filter chains say: pilot/pkg/networking/core/gateway.go
// (builtAutoPassthroughFilterChains, createGatewayTCPFilterChainOpts) and
// pilot/pkg/xds/endpoints/endpoint_builder.go.
#include "discovery/xds/translate.h"

#include <gtest/gtest.h>

#include "discovery/snapshot.h"
#include "discovery/xds/decode.h"
#include "envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.pb.h"
#include "gateway/routing/route_table.h"
#include "sni/istio_name.h"
#include "tests/unit/discovery/xds/xds_builders.h"

namespace meshgate::discovery::xds {
namespace {

using namespace testing;

constexpr std::string_view kReviews = "outbound_.9080_._.reviews.bookinfo.svc.cluster.local";
constexpr std::string_view kReviewsV2 = "outbound_.9080_.v2_.reviews.bookinfo.svc.cluster.local";
constexpr std::string_view kIstiod = "outbound|15012||istiod.istio-system.svc.cluster.local";

// XdsState as AdsState would hold it after these resources.
class Xds {
 public:
  void listen(uint16_t port, const std::vector<envoy::config::listener::v3::FilterChain>& chains) {
    Listener read = *decode_listener(listener(port, chains)).value;
    state_.listeners.emplace(read.name, std::move(read));
  }
  void cluster(std::string_view name,
               const envoy::config::endpoint::v3::ClusterLoadAssignment& endpoints) {
    cluster(eds_cluster(name), endpoints);
  }
  void cluster(const envoy::config::cluster::v3::Cluster& proto,
               const envoy::config::endpoint::v3::ClusterLoadAssignment& endpoints) {
    Cluster read = *decode_cluster(proto).value;
    state_.assignments.emplace(read.eds_name, *decode_load_assignment(endpoints).value);
    state_.clusters.emplace(read.name, std::move(read));
  }
  const XdsState& state() const { return state_; }

 private:
  XdsState state_;
};

const Service& service(const Translated& out, std::string_view host) {
  for (const Service& service : out.state.services) {
    if (service.host == host) return service;
  }
  ADD_FAILURE() << "no service " << host;
  static const Service none;
  return none;
}

TEST(XdsTranslate, AnAutoPassthroughChainIsARouteToItsClustersEndpoints) {
  Xds xds;
  xds.listen(15443, {passthrough_chain(kReviews)});
  xds.cluster(kReviews, assignment(kReviews, {{"10.1.0.5", 9080}, {"10.1.0.6", 9080}}));
  const Translated out = translate(xds.state());
  ASSERT_EQ(out.state.services.size(), 1u);
  const Service& reviews = service(out, "reviews.bookinfo.svc.cluster.local");
  EXPECT_EQ(reviews.name, "reviews");
  EXPECT_EQ(reviews.ns, "bookinfo");
  ASSERT_EQ(reviews.ports.size(), 1u);
  EXPECT_EQ(reviews.ports[0].number, 9080);
  ASSERT_EQ(reviews.endpoints.size(), 2u);
  EXPECT_EQ(reviews.endpoints[0].address, "10.1.0.5");
  EXPECT_TRUE(reviews.endpoints[0].mtls_capable);
  EXPECT_EQ(endpoint_port(reviews.endpoints[0], reviews.ports[0]), 9080);
  EXPECT_EQ(out.stats.routes, 1u);
}

// The route table, fed the translation, answers each SNI with what istiod's
// chain for that SNI names, subsets included.
TEST(XdsTranslate, TheRouteTableRoutesEachSniAsIstiodsChainDoes) {
  Xds xds;
  xds.listen(15443, {passthrough_chain(kReviews), passthrough_chain(kReviewsV2)});
  xds.cluster(kReviews, assignment(kReviews, {{"10.1.0.5", 9080}, {"10.1.0.6", 9080}}));
  xds.cluster(kReviewsV2, assignment(kReviewsV2, {{"10.1.0.6", 9080}}));
  const Translated out = translate(xds.state());
  const Snapshot snapshot(1, out.state.services, out.state.aliases);
  const auto table = gateway::RouteTable::build(snapshot, {"network1", "cluster.local", true, {}});
  const auto all = table->find(sni::parse_sni(kReviews).name);
  ASSERT_NE(all.cluster, nullptr);
  EXPECT_EQ(all.cluster->endpoints.size(), 2u);
  const auto v2 = table->find(sni::parse_sni(kReviewsV2).name);
  ASSERT_NE(v2.cluster, nullptr);
  ASSERT_EQ(v2.cluster->endpoints.size(), 1u);
  EXPECT_EQ(v2.cluster->endpoints[0].address.address().to_string(), "10.1.0.6");
  EXPECT_EQ(v2.cluster->endpoints[0].address.port(), 9080);
  EXPECT_EQ(
      table->find(sni::parse_sni("outbound_.9080_.v3_.reviews.bookinfo.svc.cluster.local").name)
          .cluster,
      nullptr);
}

// expose-istiod: a catch-all chain on 15012 to outbound|15012||istiod...;
// istiod's pods have no sidecar, so no tlsMode.
TEST(XdsTranslate, ACatchAllChainRoutesToTheServiceItsClusterNames) {
  envoy::config::listener::v3::FilterChain chain;
  *chain.add_filters() = tcp_proxy_filter(kIstiod);
  auto istiod = assignment(kIstiod, {});
  add_endpoint(*istiod.mutable_endpoints(0), "10.2.0.9", 15012, false);
  Xds xds;
  xds.listen(15012, {chain});
  xds.cluster(kIstiod, istiod);
  const Translated out = translate(xds.state());
  const Service& found = service(out, "istiod.istio-system.svc.cluster.local");
  ASSERT_EQ(found.ports.size(), 1u);
  EXPECT_EQ(found.ports[0].number, 15012);
  ASSERT_EQ(found.endpoints.size(), 1u);
  EXPECT_FALSE(found.endpoints[0].mtls_capable);
}

TEST(XdsTranslate, OnlyDialableEndpointsOfTheBestPriorityAreTaken) {
  auto endpoints = assignment(kReviews, {{"10.1.0.5", 9080}, {"10.1.0.6", 9080}});
  endpoints.mutable_endpoints(0)->mutable_lb_endpoints(0)->set_health_status(
      envoy::config::core::v3::UNHEALTHY);
  endpoints.mutable_endpoints(0)->mutable_lb_endpoints(1)->set_health_status(
      envoy::config::core::v3::UNKNOWN);
  auto* backup = endpoints.add_endpoints();
  backup->set_priority(1);
  add_endpoint(*backup, "10.9.0.1", 9080);
  Xds xds;
  xds.listen(15443, {passthrough_chain(kReviews)});
  xds.cluster(kReviews, endpoints);
  Translated out = translate(xds.state());
  ASSERT_EQ(service(out, "reviews.bookinfo.svc.cluster.local").endpoints.size(), 1u);
  EXPECT_EQ(service(out, "reviews.bookinfo.svc.cluster.local").endpoints[0].address, "10.1.0.6");
  // With no dialable endpoint at priority 0, priority 1 serves.
  endpoints.mutable_endpoints(0)->mutable_lb_endpoints(1)->set_health_status(
      envoy::config::core::v3::DRAINING);
  Xds failover;
  failover.listen(15443, {passthrough_chain(kReviews)});
  failover.cluster(kReviews, endpoints);
  out = translate(failover.state());
  ASSERT_EQ(service(out, "reviews.bookinfo.svc.cluster.local").endpoints.size(), 1u);
  EXPECT_EQ(service(out, "reviews.bookinfo.svc.cluster.local").endpoints[0].address, "10.9.0.1");
}

// Two workloads behind one IP (host networking) are two endpoints.
TEST(XdsTranslate, OneAddressWithTwoPortsForOneServicePortIsTwoEndpoints) {
  Xds xds;
  xds.listen(15443, {passthrough_chain(kReviews)});
  xds.cluster(kReviews, assignment(kReviews, {{"10.1.0.5", 9080}, {"10.1.0.5", 9081}}));
  const Translated out = translate(xds.state());
  const Service& reviews = service(out, "reviews.bookinfo.svc.cluster.local");
  ASSERT_EQ(reviews.endpoints.size(), 2u);
  EXPECT_EQ(endpoint_port(reviews.endpoints[0], reviews.ports[0]), 9080);
  EXPECT_EQ(endpoint_port(reviews.endpoints[1], reviews.ports[0]), 9081);
}

TEST(XdsTranslate, WhatTheModelCannotSayIsCounted) {
  envoy::config::listener::v3::FilterChain terminating = passthrough_chain("a.example");
  terminating.mutable_transport_socket()->set_name("envoy.transport_sockets.tls");
  envoy::config::listener::v3::FilterChain wildcard = passthrough_chain("*.example");
  envoy::config::listener::v3::FilterChain missing = passthrough_chain(kReviews);
  envoy::config::listener::v3::FilterChain black_hole;
  *black_hole.add_filters() = tcp_proxy_filter("BlackHoleCluster");
  Xds xds;
  xds.listen(15443, {terminating, wildcard, missing});
  xds.listen(15012, {black_hole});
  const Translated out = translate(xds.state());
  EXPECT_EQ(out.stats.unserved_chains, 1u);
  EXPECT_EQ(out.stats.foreign_names, 1u);
  EXPECT_EQ(out.stats.unknown_clusters, 1u);
  EXPECT_EQ(out.stats.unnamed_clusters, 1u);
}

// Only the passthrough listener's chains are SNI routes, and only the istiod
// listeners' catch-all chains route by their cluster: a TLS PASSTHROUGH
// server on another port must not become reachable through 15443.
TEST(XdsTranslate, RoutesComeOnlyFromTheListenersMeshgateServes) {
  envoy::config::listener::v3::FilterChain catch_all;
  *catch_all.add_filters() = tcp_proxy_filter("outbound|8080||foo.bar.svc.cluster.local");
  Xds xds;
  xds.listen(8080, {catch_all});
  xds.listen(9443, {passthrough_chain(kReviews)});
  xds.listen(15012, {passthrough_chain(kReviews)});  // named chains on an istiod port
  xds.cluster(kReviews, assignment(kReviews, {{"10.1.0.5", 9080}}));
  const Translated out = translate(xds.state());
  EXPECT_TRUE(out.state.services.empty());
  EXPECT_EQ(out.stats.other_listener_chains, 2u);
  EXPECT_EQ(out.stats.unserved_chains, 1u);
}

// A subset route's endpoints are those of its port's own route that its
// cluster has: the route without a subset is exactly its own cluster's.
TEST(XdsTranslate, ASubsetNeverAddsEndpointsToItsPortsOwnRoute) {
  Xds xds;
  xds.listen(15443, {passthrough_chain(kReviews), passthrough_chain(kReviewsV2)});
  xds.cluster(kReviews, assignment(kReviews, {{"10.1.0.5", 9080}}));
  xds.cluster(kReviewsV2, assignment(kReviewsV2, {{"10.1.0.5", 9080}, {"10.1.0.9", 9080}}));
  const Translated out = translate(xds.state());
  const Service& reviews = service(out, "reviews.bookinfo.svc.cluster.local");
  ASSERT_EQ(reviews.endpoints.size(), 1u);
  EXPECT_TRUE(in_subset(reviews.endpoints[0], reviews.subsets.at(0)));
  EXPECT_EQ(out.stats.subset_outside_route, 1u);
}

// Weighted clusters share the route by weight, whatever their endpoint
// counts (Envoy picks the cluster first, then an endpoint in it).
TEST(XdsTranslate, WeightedClustersShareByTheirWeights) {
  envoy::extensions::filters::network::tcp_proxy::v3::TcpProxy proxy;
  auto* weighted = proxy.mutable_weighted_clusters();
  weighted->add_clusters()->set_name("outbound_.9080_._.a.x.svc.cluster.local");
  weighted->mutable_clusters(0)->set_weight(90);
  weighted->add_clusters()->set_name("outbound_.9080_._.b.x.svc.cluster.local");
  weighted->mutable_clusters(1)->set_weight(10);
  envoy::config::listener::v3::FilterChain chain = passthrough_chain(kReviews);
  chain.mutable_filters(1)->mutable_typed_config()->PackFrom(proxy);
  Xds xds;
  xds.listen(15443, {chain});
  xds.cluster("outbound_.9080_._.a.x.svc.cluster.local",
              assignment("outbound_.9080_._.a.x.svc.cluster.local",
                         {{"10.0.0.1", 9080}, {"10.0.0.2", 9080}, {"10.0.0.3", 9080}}));
  xds.cluster("outbound_.9080_._.b.x.svc.cluster.local",
              assignment("outbound_.9080_._.b.x.svc.cluster.local", {{"10.0.0.9", 9080}}));
  const Translated out = translate(xds.state());
  const Service& reviews = service(out, "reviews.bookinfo.svc.cluster.local");
  uint32_t a = 0;
  uint32_t b = 0;
  for (const discovery::Endpoint& endpoint : reviews.endpoints)
    (endpoint.address == "10.0.0.9" ? b : a) += endpoint.weight;
  EXPECT_EQ(a, 900u);
  EXPECT_EQ(b, 100u);
  EXPECT_EQ(out.stats.weighted_routes, 1u);
}

TEST(XdsTranslate, OnlyAKubernetesServicesHostGivesANameAndNamespace) {
  Xds xds;
  xds.listen(15443, {passthrough_chain("outbound_.443_._.api.payments.svc.corp"),
                     passthrough_chain(kReviews)});
  const Translated out = translate(xds.state());
  const Service& entry = service(out, "api.payments.svc.corp");
  EXPECT_EQ(entry.name, "api.payments.svc.corp");
  EXPECT_EQ(entry.ns, "xds");
  const Service& reviews = service(out, "reviews.bookinfo.svc.cluster.local");
  EXPECT_EQ(reviews.name, "reviews");
  EXPECT_EQ(reviews.ns, "bookinfo");
}

TEST(XdsTranslate, ClusterNamesAsIstiodWritesThem) {
  const auto key = parse_cluster_name(kIstiod);
  ASSERT_TRUE(key);
  EXPECT_EQ(key->port, 15012);
  EXPECT_EQ(key->subset, "");
  EXPECT_EQ(key->host, "istiod.istio-system.svc.cluster.local");
  EXPECT_EQ(parse_cluster_name("outbound|9080|v2|reviews.bookinfo.svc.cluster.local")->subset,
            "v2");
  for (const char* bad :
       {"inbound|9080||a.b", "outbound|0||a.b", "outbound|70000||a.b", "outbound|80||a.b|x",
        "outbound|80|a.b", "outbound|80||A.B", "BlackHoleCluster", ""}) {
    EXPECT_FALSE(parse_cluster_name(bad)) << bad;
  }
}

// A DestinationRule's trafficPolicy as istiod writes it into the Cluster
// (pilot/pkg/networking/core/cluster_traffic_policy.go: connectionPool,
// loadBalancer, outlierDetection; max_connections 2^32-1 when none is set)
// goes with the route to that cluster, and the route table dials by it.
TEST(XdsTranslate, EachRouteTakesItsClustersSettings) {
  using envoy::config::cluster::v3::Cluster;
  auto limited = eds_cluster(kReviews);
  limited.mutable_connect_timeout()->set_seconds(2);
  limited.mutable_circuit_breakers()->add_thresholds()->mutable_max_connections()->set_value(3);
  auto* outlier = limited.mutable_outlier_detection();
  outlier->mutable_consecutive_gateway_failure()->set_value(2);
  outlier->mutable_enforcing_consecutive_gateway_failure()->set_value(100);
  outlier->mutable_base_ejection_time()->set_seconds(10);
  auto unlimited = eds_cluster(kReviewsV2);
  unlimited.set_lb_policy(Cluster::RANDOM);
  unlimited.mutable_circuit_breakers()->add_thresholds()->mutable_max_connections()->set_value(
      0xFFFF'FFFF);
  Xds xds;
  xds.listen(15443, {passthrough_chain(kReviews), passthrough_chain(kReviewsV2)});
  xds.cluster(limited, assignment(kReviews, {{"10.1.0.5", 9080}, {"10.1.0.6", 9080}}));
  xds.cluster(unlimited, assignment(kReviewsV2, {{"10.1.0.6", 9080}}));
  const Translated out = translate(xds.state());
  const Service& reviews = service(out, "reviews.bookinfo.svc.cluster.local");
  ASSERT_EQ(reviews.settings.size(), 2u);
  EXPECT_EQ(
      reviews.settings[0],
      (ClusterSettings{9080, "", std::chrono::seconds(2), Balancing::kLeastConnections, 3u,
                       OutlierSettings{2, std::chrono::seconds(10), std::chrono::seconds(300)}}));
  EXPECT_EQ(reviews.settings[1],
            (ClusterSettings{9080, "v2", std::chrono::seconds(10), Balancing::kRoundRobin,
                             std::nullopt, std::nullopt}));

  const Snapshot snapshot(1, out.state.services, out.state.aliases);
  gateway::RouteOptions options{"network1", "cluster.local", true, {}};
  options.limits = std::make_shared<gateway::ClusterLimits>();
  const auto table = gateway::RouteTable::build(snapshot, options);
  const gateway::Cluster* all = table->find(sni::parse_sni(kReviews).name).cluster;
  ASSERT_NE(all, nullptr);
  EXPECT_EQ(all->policy.connect_timeout, std::chrono::seconds(2));
  EXPECT_EQ(all->policy.balancing, config::LoadBalancing::kLeastConnections);
  EXPECT_EQ(all->policy.max_connections, 3u);
  ASSERT_NE(all->policy.open, nullptr);
  // Another table of the same limits counts the same connections.
  EXPECT_EQ(gateway::RouteTable::build(snapshot, options)
                ->find(sni::parse_sni(kReviews).name)
                .cluster->policy.open,
            all->policy.open);
  ASSERT_TRUE(all->policy.outlier);
  EXPECT_EQ(all->policy.outlier->consecutive_failures, 2u);
  EXPECT_EQ(all->policy.outlier->base_ejection, std::chrono::seconds(10));
  const gateway::Cluster* v2 = table->find(sni::parse_sni(kReviewsV2).name).cluster;
  ASSERT_NE(v2, nullptr);
  EXPECT_EQ(v2->policy.balancing, config::LoadBalancing::kRoundRobin);
  EXPECT_FALSE(v2->policy.max_connections);
  EXPECT_EQ(v2->policy.open, nullptr);
  EXPECT_FALSE(v2->policy.outlier);
}

}  // namespace
}  // namespace meshgate::discovery::xds
