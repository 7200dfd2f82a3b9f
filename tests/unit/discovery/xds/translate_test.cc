// istiod's routes as meshgate's model, and routed by meshgate's route table
// exactly as istiod's filter chains say: pilot/pkg/networking/core/gateway.go
// (builtAutoPassthroughFilterChains, createGatewayTCPFilterChainOpts) and
// pilot/pkg/xds/endpoints/endpoint_builder.go.
#include "discovery/xds/translate.h"

#include <gtest/gtest.h>

#include "discovery/snapshot.h"
#include "discovery/xds/decode.h"
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
    Cluster read = *decode_cluster(eds_cluster(name)).value;
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

}  // namespace
}  // namespace meshgate::discovery::xds
