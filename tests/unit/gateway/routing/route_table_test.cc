#include "gateway/routing/route_table.h"

#include <gtest/gtest.h>

namespace meshgate::gateway {
namespace {

using discovery::Endpoint;
using discovery::Service;

Endpoint endpoint(std::string address, std::string version, std::string network = "network1",
                  bool mtls = true) {
  Endpoint e;
  e.address = std::move(address);
  e.labels = {{"version", std::move(version)}};
  e.network = std::move(network);
  e.mtls_capable = mtls;
  return e;
}

Service httpbin() {
  Service s;
  s.name = "httpbin";
  s.ns = "bar";
  s.hostnames = {"httpbin.example.internal"};
  s.ports = {{"tls", 8000, 9443}, {"admin", 9000, 0}};
  s.subsets = {{"v1", {{"version", "v1"}}}, {"v2", {{"version", "v2"}}}};
  s.endpoints = {endpoint("10.0.0.1", "v1"), endpoint("10.0.0.2", "v2"),
                 endpoint("10.1.0.1", "v1", "network2"), endpoint("10.0.0.3", "v1", "", false),
                 endpoint("10.0.0.4", "v2", "")};
  s.endpoints[1].ports = {{"tls", 9555}};
  return s;
}

RouteTablePtr table(bool require_mtls = true) {
  discovery::Snapshot snapshot(7, {httpbin()},
                               {{"httpbin.bar.global", {"240.240.0.1"}, "httpbin", "bar"},
                                {"orphan.bar.global", {}, "", ""},
                                {"*.foo.global", {}, "httpbin", "bar"}});
  return RouteTable::build(snapshot, {"network1", "cluster.local", require_mtls, {}});
}

RouteLookup find(const RouteTable& routes, std::string_view sni) {
  const sni::NameParse name = sni::parse_sni(sni);
  EXPECT_TRUE(name.ok()) << sni;
  return routes.find(name.name);
}

std::vector<std::string> addresses(const Cluster& cluster) {
  std::vector<std::string> out;
  for (const auto& e : cluster.endpoints) {
    out.push_back(e.address.address().to_string() + ":" + std::to_string(e.address.port()));
  }
  return out;
}

TEST(RouteTable, KeepsOnlyLocalNetworkMtlsEndpointsWithTargetPorts) {
  const auto routes = table();
  const RouteLookup found = find(*routes, "outbound_.8000_._.httpbin.bar.svc.cluster.local");
  ASSERT_NE(found.cluster, nullptr);
  EXPECT_EQ(found.reason, std::nullopt);  // a route is no close reason
  EXPECT_EQ(found.cluster->name, "outbound|8000||httpbin.bar.svc.cluster.local");
  EXPECT_EQ(addresses(*found.cluster),
            (std::vector<std::string>{"10.0.0.1:9443", "10.0.0.2:9555", "10.0.0.4:9443"}));
  EXPECT_EQ(routes->version(), 7u);
}

TEST(RouteTable, NonMtlsEndpointsJoinWhenNotRequired) {
  const auto routes = table(/*require_mtls=*/false);
  const RouteLookup found = find(*routes, "outbound_.8000_.v1_.httpbin.bar.svc.cluster.local");
  ASSERT_NE(found.cluster, nullptr);
  EXPECT_EQ(addresses(*found.cluster),
            (std::vector<std::string>{"10.0.0.1:9443", "10.0.0.3:9443"}));
}

TEST(RouteTable, SubsetSelectsByLabels) {
  const auto routes = table();
  const RouteLookup v2 = find(*routes, "outbound_.8000_.v2_.httpbin.bar.svc.cluster.local");
  ASSERT_NE(v2.cluster, nullptr);
  EXPECT_EQ(v2.cluster->name, "outbound|8000|v2|httpbin.bar.svc.cluster.local");
  EXPECT_EQ(addresses(*v2.cluster), (std::vector<std::string>{"10.0.0.2:9555", "10.0.0.4:9443"}));
}

TEST(RouteTable, ServicePortWithoutTargetUsesItsOwnNumber) {
  const auto routes = table();
  const RouteLookup found = find(*routes, "outbound_.9000_._.httpbin.bar.svc.cluster.local");
  ASSERT_NE(found.cluster, nullptr);
  EXPECT_EQ(addresses(*found.cluster).front(), "10.0.0.1:9000");
}

TEST(RouteTable, GlobalNamesReachTheClusterLocalService) {
  const auto routes = table();
  for (const char* sni :
       {"outbound_.8000_._.httpbin.bar.global", "outbound_.8000_._.HTTPBIN.bar.global."}) {
    const RouteLookup found = find(*routes, sni);
    ASSERT_NE(found.cluster, nullptr) << sni;
    EXPECT_EQ(found.cluster->name, "outbound|8000||httpbin.bar.svc.cluster.local") << sni;
  }
}

TEST(RouteTable, ExtraHostnamesAndAliasesRoute) {
  const auto routes = table();
  EXPECT_NE(find(*routes, "outbound_.8000_._.httpbin.example.internal").cluster, nullptr);
  // A wildcard alias is for DNS only; an alias without a service is not routable.
  EXPECT_EQ(find(*routes, "outbound_.8000_._.x.foo.global").reason, RouteMiss::kUnknownService);
  EXPECT_EQ(find(*routes, "outbound_.8000_._.orphan.bar.global").reason,
            RouteMiss::kUnknownService);
}

TEST(RouteTable, PlainHostNeedsASinglePortService) {
  const auto routes = table();
  const RouteLookup found = find(*routes, "httpbin.bar.global");
  EXPECT_EQ(found.cluster, nullptr);
  EXPECT_EQ(found.reason, RouteMiss::kUnknownService);
  EXPECT_STREQ(found.detail, "plain host name with several ports");

  Service single = httpbin();
  single.ports.resize(1);
  discovery::Snapshot snapshot(1, {single}, {});
  const auto one_port = RouteTable::build(snapshot, {"network1", "cluster.local", true, {}});
  const RouteLookup plain = find(*one_port, "httpbin.bar.global");
  ASSERT_NE(plain.cluster, nullptr);
  EXPECT_EQ(plain.cluster->name, "outbound|8000||httpbin.bar.svc.cluster.local");
}

TEST(RouteTable, UnknownNamesPortsAndSubsets) {
  const auto routes = table();
  EXPECT_STREQ(find(*routes, "outbound_.8000_._.nope.bar.svc.cluster.local").detail,
               "unknown host");
  EXPECT_STREQ(find(*routes, "outbound_.8001_._.httpbin.bar.svc.cluster.local").detail,
               "unknown port");
  EXPECT_STREQ(find(*routes, "outbound_.8000_.v3_.httpbin.bar.svc.cluster.local").detail,
               "unknown subset");
  // Another cluster domain is not ours.
  EXPECT_EQ(find(*routes, "outbound_.8000_._.httpbin.bar.svc.other.local").reason,
            RouteMiss::kUnknownService);
}

TEST(RouteTable, NoUsableEndpointIsItsOwnReason) {
  Service s = httpbin();
  for (auto& e : s.endpoints)
    e.network = "network2";
  discovery::Snapshot snapshot(1, {s}, {});
  const auto routes = RouteTable::build(snapshot, {"network1", "cluster.local", true, {}});
  EXPECT_EQ(find(*routes, "outbound_.8000_._.httpbin.bar.svc.cluster.local").reason,
            RouteMiss::kNoEndpoint);
}

// A table built with the one before lends it the routes of every service
// the two snapshots share; a changed service, or other options, builds anew.
TEST(RouteTable, ANewTableBorrowsTheRoutesOfSharedServices) {
  Service other = httpbin();
  other.name = "other";
  const auto kept = std::make_shared<const Service>(httpbin());
  const discovery::Snapshot first(
      1, discovery::SharedParts{{kept, std::make_shared<const Service>(other)}, nullptr});
  const RouteOptions options{"network1", "cluster.local", true, {}};
  const RouteTablePtr before = RouteTable::build(first, options);
  EXPECT_EQ(before->services_built(), 2u);

  other.endpoints.push_back(endpoint("10.0.0.9", "v1"));
  const discovery::Snapshot second(
      2, discovery::SharedParts{{kept, std::make_shared<const Service>(other)}, nullptr});
  const RouteTablePtr after = RouteTable::build(second, options, before.get());
  EXPECT_EQ(after->services_built(), 1u);
  EXPECT_EQ(after->cluster_count(), before->cluster_count());
  const RouteLookup lent = find(*after, "outbound_.8000_.v1_.httpbin.bar.svc.cluster.local");
  ASSERT_NE(lent.cluster, nullptr);
  EXPECT_EQ(lent.cluster,
            find(*before, "outbound_.8000_.v1_.httpbin.bar.svc.cluster.local").cluster);
  const RouteLookup rebuilt = find(*after, "outbound_.8000_.v1_.other.bar.svc.cluster.local");
  ASSERT_NE(rebuilt.cluster, nullptr);
  EXPECT_EQ(rebuilt.cluster->endpoints.size(), 2u);

  const RouteOptions relaxed{"network1", "cluster.local", false, {}};
  EXPECT_EQ(RouteTable::build(second, relaxed, after.get())->services_built(), 2u);
}

}  // namespace
}  // namespace meshgate::gateway

namespace meshgate::gateway {
namespace {

// An endpoint at one of the gateway's own listeners is never in a cluster,
// and is counted once per service port (not once per subset).
TEST(RouteTable, TheTargetGuardKeepsRefusedEndpointsOut) {
  Service s = httpbin();
  s.endpoints.push_back(endpoint("10.0.0.9", "v1"));
  s.endpoints.back().ports = {{"tls", 15443}};
  s.endpoints.push_back(endpoint("127.0.0.1", "v2"));
  const TargetGuard guard(false, {{asio::ip::make_address("10.0.0.9"), 15443}}, {}, {});
  const discovery::Snapshot snapshot(7, {s}, {});
  const auto routes = RouteTable::build(snapshot, {"network1", "cluster.local", true, guard});
  const RouteLookup all = find(*routes, "outbound_.8000_._.httpbin.bar.svc.cluster.local");
  ASSERT_NE(all.cluster, nullptr);
  for (const UpstreamEndpoint& e : all.cluster->endpoints) {
    EXPECT_NE(e.address.address().to_string(), "10.0.0.9");
    EXPECT_NE(e.address.address().to_string(), "127.0.0.1");
  }
  EXPECT_EQ(all.cluster->refused[static_cast<std::size_t>(TargetRefusal::kSelf)], 1u);
  EXPECT_EQ(all.cluster->refused[static_cast<std::size_t>(TargetRefusal::kLoopback)], 1u);
  // Port 9000 has no target port: its endpoints listen on 9000, none refused as self.
  EXPECT_EQ(routes->refused(TargetRefusal::kSelf), 1u);
  EXPECT_EQ(routes->refused(TargetRefusal::kLoopback), 2u);  // on both service ports
  ASSERT_FALSE(routes->refused_examples().empty());
  EXPECT_EQ(routes->refused_examples().front(), "10.0.0.9:15443 of httpbin.bar: self");
}

}  // namespace
}  // namespace meshgate::gateway

namespace meshgate::gateway {
namespace {

// A DestinationRule TLS mode other than ISTIO_MUTUAL (discovery::
// PlaintextCluster): istiod sends that cluster no endpoint
// (xds/endpoints/ep_filters.go EndpointsWithMTLSFilter).
TEST(RouteTable, APlaintextClusterHasNoEndpoint) {
  Service s = httpbin();
  s.plaintext = {{8000, "v1"}};
  const discovery::Snapshot snapshot(7, {s}, {});
  const auto strict = RouteTable::build(snapshot, {"network1", "cluster.local", true, {}});
  EXPECT_EQ(find(*strict, "outbound_.8000_.v1_.httpbin.bar.svc.cluster.local").reason,
            RouteMiss::kNoEndpoint);
  EXPECT_NE(find(*strict, "outbound_.8000_._.httpbin.bar.svc.cluster.local").cluster, nullptr);
  // Without the mTLS rule meshgate does not filter at all.
  const auto relaxed = RouteTable::build(snapshot, {"network1", "cluster.local", false, {}});
  EXPECT_NE(find(*relaxed, "outbound_.8000_.v1_.httpbin.bar.svc.cluster.local").cluster, nullptr);
}

// An endpoint with exact ports serves only those (istiod matches ports by name).
TEST(RouteTable, AnEndpointWithExactPortsIsOnlyInTheClustersOfItsPorts) {
  Service s = httpbin();
  s.endpoints = {endpoint("10.0.0.1", "v1")};
  s.endpoints[0].ports = {{"admin", 9001}};
  s.endpoints[0].ports_exact = true;
  const discovery::Snapshot snapshot(7, {s}, {});
  const auto routes = RouteTable::build(snapshot, {"network1", "cluster.local", true, {}});
  EXPECT_EQ(find(*routes, "outbound_.8000_._.httpbin.bar.svc.cluster.local").reason,
            RouteMiss::kNoEndpoint);
  const RouteLookup admin = find(*routes, "outbound_.9000_._.httpbin.bar.svc.cluster.local");
  ASSERT_NE(admin.cluster, nullptr);
  EXPECT_EQ(admin.cluster->endpoints.at(0).address.port(), 9001);
}

// A ServiceEntry's service is known by its own host.
TEST(RouteTable, AServiceWithItsOwnHostRoutesByIt) {
  Service s = httpbin();
  s.name = "db.internal.example";
  s.host = "db.internal.example";
  const discovery::Snapshot snapshot(7, {s}, {});
  const auto routes = RouteTable::build(snapshot, {"network1", "cluster.local", true, {}});
  const RouteLookup found = find(*routes, "outbound_.8000_._.db.internal.example");
  ASSERT_NE(found.cluster, nullptr);
  EXPECT_EQ(found.cluster->name, "outbound|8000||db.internal.example");
  EXPECT_EQ(find(*routes, "outbound_.8000_._.db.internal.example.bar.svc.cluster.local").reason,
            RouteMiss::kUnknownService);
}

}  // namespace
}  // namespace meshgate::gateway
