// The ADS conversation as istiod holds it (pkg/xds/server.go ShouldRespond,
// pilot/pkg/xds/ads.go, pilot/pkg/xds/eds.go): wildcard CDS and LDS, EDS by
// name, every response ACKed or NACKed with its nonce, EDS merged by cluster.
#include "discovery/xds/ads_state.h"

#include <gtest/gtest.h>

#include "tests/unit/discovery/xds/xds_builders.h"

namespace meshgate::discovery::xds {
namespace {

using namespace testing;
using envoy::service::discovery::v3::DiscoveryRequest;

std::vector<std::string> names_of(const DiscoveryRequest& request) {
  return {request.resource_names().begin(), request.resource_names().end()};
}

auto clusters(std::string_view version, std::string_view nonce,
              const std::vector<std::string>& names) {
  std::vector<envoy::config::cluster::v3::Cluster> protos;
  for (const std::string& name : names)
    protos.push_back(eds_cluster(name));
  return response(kClusterType, version, nonce, protos);
}

auto endpoints(std::string_view version, std::string_view nonce,
               const std::vector<std::string>& names, const std::string& ip = "10.0.0.1") {
  std::vector<envoy::config::endpoint::v3::ClusterLoadAssignment> protos;
  for (const std::string& name : names)
    protos.push_back(assignment(name, {{ip, 9443}}));
  return response(kLoadAssignmentType, version, nonce, protos);
}

auto listeners(std::string_view version, std::string_view nonce,
               const std::vector<std::string>& snis) {
  std::vector<envoy::config::listener::v3::FilterChain> chains;
  for (const std::string& sni : snis)
    chains.push_back(passthrough_chain(sni));
  return response(kListenerType, version, nonce,
                  std::vector<envoy::config::listener::v3::Listener>{listener(15443, chains)});
}

TEST(AdsState, AStreamOpensWithWildcardCdsAndLds) {
  AdsState ads;
  const auto opening = ads.open();
  ASSERT_EQ(opening.size(), 2u);
  EXPECT_EQ(opening[0].type_url(), kClusterType);
  EXPECT_EQ(opening[1].type_url(), kListenerType);
  for (const DiscoveryRequest& request : opening) {
    EXPECT_EQ(request.resource_names_size(), 0);
    EXPECT_EQ(request.response_nonce(), "");
    EXPECT_EQ(request.version_info(), "");
    EXPECT_FALSE(request.has_error_detail());
  }
  EXPECT_FALSE(ads.complete());
}

TEST(AdsState, ClustersAreAckedAndTheirEndpointsSubscribed) {
  AdsState ads;
  ads.open();
  const auto answer = ads.on_response(clusters("v1", "n1", {"b", "a"}));
  ASSERT_EQ(answer.size(), 2u);
  EXPECT_EQ(answer[0].type_url(), kClusterType);
  EXPECT_EQ(answer[0].version_info(), "v1");
  EXPECT_EQ(answer[0].response_nonce(), "n1");
  EXPECT_EQ(answer[0].resource_names_size(), 0);
  EXPECT_EQ(answer[1].type_url(), kLoadAssignmentType);
  EXPECT_EQ(names_of(answer[1]), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(answer[1].response_nonce(), "");
  EXPECT_EQ(ads.status(XdsType::kCluster).pushes, 1u);
  EXPECT_EQ(ads.state()->clusters.size(), 2u);
}

TEST(AdsState, CompleteOnceListenersClustersAndEveryClustersEndpointsArrived) {
  AdsState ads;
  ads.open();
  ads.on_response(clusters("v1", "c1", {"a", "b"}));
  ads.on_response(listeners("v1", "l1", {"a"}));
  EXPECT_FALSE(ads.complete());
  const auto ack = ads.on_response(endpoints("v1", "e1", {"a"}));
  ASSERT_EQ(ack.size(), 1u);
  EXPECT_EQ(names_of(ack[0]), (std::vector<std::string>{"a", "b"}));  // the ACK keeps both names
  EXPECT_EQ(ack[0].response_nonce(), "e1");
  EXPECT_FALSE(ads.complete());
  ads.on_response(endpoints("v2", "e2", {"b"}));
  EXPECT_TRUE(ads.complete());
  EXPECT_EQ(ads.state()->listeners.at("0.0.0.0_15443").chains.size(), 1u);
}

// eds.go: an incremental push carries only the clusters that changed.
TEST(AdsState, EndpointsMergeByClusterAndUnsubscribedOnesAreIgnored) {
  AdsState ads;
  ads.open();
  ads.on_response(clusters("v1", "c1", {"a", "b"}));
  ads.on_response(endpoints("v1", "e1", {"a", "b"}, "10.0.0.1"));
  ads.on_response(endpoints("v2", "e2", {"a", "stranger"}, "10.0.0.2"));
  const auto& assignments = ads.state()->assignments;
  ASSERT_EQ(assignments.size(), 2u);
  EXPECT_EQ(assignments.at("a").localities[0].endpoints[0].address, "10.0.0.2");
  EXPECT_EQ(assignments.at("b").localities[0].endpoints[0].address, "10.0.0.1");
}

// A NACK echoes the nonce, keeps the last accepted version and says why; the
// previous listeners keep serving (ads.go: istiod logs it and waits).
TEST(AdsState, ABadUpdateIsNackedAndThePreviousStateKept) {
  AdsState ads;
  ads.open();
  ads.on_response(listeners("v1", "l1", {"good.example"}));
  const XdsStatePtr before = ads.state();
  envoy::config::listener::v3::FilterChain no_cluster = passthrough_chain("bad.example");
  *no_cluster.mutable_filters(1) = tcp_proxy_filter("");  // Envoy refuses it too
  const auto answer = ads.on_response(
      response(kListenerType, "v2", "l2",
               std::vector<envoy::config::listener::v3::Listener>{listener(15443, {no_cluster})}));
  ASSERT_EQ(answer.size(), 1u);
  EXPECT_EQ(answer[0].type_url(), kListenerType);
  EXPECT_EQ(answer[0].version_info(), "v1");
  EXPECT_EQ(answer[0].response_nonce(), "l2");
  ASSERT_TRUE(answer[0].has_error_detail());
  EXPECT_EQ(answer[0].error_detail().code(), 3);
  EXPECT_EQ(answer[0].error_detail().message(),
            "listener 0.0.0.0_15443.filter_chains[0].cluster: not a cluster name");
  EXPECT_EQ(ads.state(), before);
  EXPECT_EQ(ads.status(XdsType::kListener).nacks, 1u);
  EXPECT_EQ(ads.status(XdsType::kListener).version, "v1");
  EXPECT_FALSE(ads.status(XdsType::kListener).last_error.empty());
  ads.on_response(listeners("v3", "l3", {"fixed.example"}));
  EXPECT_TRUE(ads.status(XdsType::kListener).last_error.empty());
}

TEST(AdsState, TwoResourcesOfOneNameAreNacked) {
  AdsState ads;
  ads.open();
  const auto answer = ads.on_response(clusters("v1", "c1", {"a", "a"}));
  ASSERT_EQ(answer.size(), 1u);
  EXPECT_EQ(answer[0].error_detail().message(), "resources[1]: a second resource named a");
}

TEST(AdsState, ARemovedClusterLeavesTheEdsSubscription) {
  AdsState ads;
  ads.open();
  ads.on_response(clusters("v1", "c1", {"a", "b"}));
  ads.on_response(endpoints("v1", "e1", {"a", "b"}));
  const auto answer = ads.on_response(clusters("v2", "c2", {"a"}));
  ASSERT_EQ(answer.size(), 2u);
  EXPECT_EQ(names_of(answer[1]), std::vector<std::string>{"a"});
  EXPECT_EQ(answer[1].response_nonce(), "e1");  // a subscription change echoes the last nonce
  EXPECT_EQ(ads.state()->assignments.count("b"), 0u);
}

// server.go: a request whose nonce this stream never sent is ignored, so a
// reopened stream starts again from empty nonces, with what it knows.
TEST(AdsState, AReopenedStreamResubscribesWithTheLastVersions) {
  AdsState ads;
  ads.open();
  ads.on_response(clusters("v1", "c1", {"a"}));
  ads.on_response(endpoints("v1", "e1", {"a"}));
  const auto reopened = ads.open();
  ASSERT_EQ(reopened.size(), 3u);
  EXPECT_EQ(reopened[0].version_info(), "v1");
  EXPECT_EQ(reopened[2].type_url(), kLoadAssignmentType);
  EXPECT_EQ(names_of(reopened[2]), std::vector<std::string>{"a"});
  for (const DiscoveryRequest& request : reopened)
    EXPECT_EQ(request.response_nonce(), "");
}

TEST(AdsState, ATypeNotAskedForIsNotAnswered) {
  AdsState ads;
  ads.open();
  envoy::service::discovery::v3::DiscoveryResponse other;
  other.set_type_url("type.googleapis.com/envoy.config.route.v3.RouteConfiguration");
  other.set_nonce("r1");
  EXPECT_TRUE(ads.on_response(other).empty());
}

TEST(AdsState, AResourceOfAnotherTypeIsNacked) {
  AdsState ads;
  ads.open();
  auto mixed = clusters("v1", "c1", {"a"});
  mixed.add_resources()->PackFrom(assignment("a", {}));
  const auto answer = ads.on_response(mixed);
  ASSERT_EQ(answer.size(), 1u);
  EXPECT_EQ(answer[0].error_detail().message(), "resources[1]: not a readable Cluster");
}

}  // namespace
}  // namespace meshgate::discovery::xds
