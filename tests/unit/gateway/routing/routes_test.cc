#include "gateway/routing/routes.h"

#include <gtest/gtest.h>

namespace meshgate::gateway {
namespace {

discovery::Service istiod(std::string network = "network1") {
  discovery::Service s;
  s.name = "istiod";
  s.ns = "istio-system";
  s.ports = {{"grpc-xds", 15012, 0}, {"https-webhook", 443, 15017}};
  for (const char* address : {"10.0.0.5", "10.0.0.6"}) {
    discovery::Endpoint e;
    e.address = address;
    e.network = network;
    e.mtls_capable = false;  // istiod has no sidecar
    s.endpoints.push_back(e);
  }
  return s;
}

std::vector<std::string> addresses(const Cluster& cluster) {
  std::vector<std::string> out;
  for (const auto& e : cluster.endpoints)
    out.push_back(e.address.address().to_string() + ":" + std::to_string(e.address.port()));
  return out;
}

TEST(UpstreamFromRegistry, FindsTheServiceByShortHostWithoutRequiringMtls) {
  const discovery::Snapshot snapshot(3, {istiod()}, {});
  const auto xds = upstream_from_registry(snapshot, {"istiod.istio-system.svc", 15012}, "network1",
                                          "cluster.local");
  ASSERT_TRUE(xds.has_value());
  EXPECT_EQ(xds->name, "outbound|15012||istiod.istio-system.svc.cluster.local");
  EXPECT_EQ(addresses(*xds), (std::vector<std::string>{"10.0.0.5:15012", "10.0.0.6:15012"}));
  const auto webhook = upstream_from_registry(snapshot, {"istiod.istio-system.svc", 443},
                                              "network1", "cluster.local");
  ASSERT_TRUE(webhook.has_value());
  EXPECT_EQ(addresses(*webhook), (std::vector<std::string>{"10.0.0.5:15017", "10.0.0.6:15017"}));
}

TEST(UpstreamFromRegistry, FullHostAlsoMatches) {
  const discovery::Snapshot snapshot(3, {istiod()}, {});
  EXPECT_TRUE(upstream_from_registry(snapshot, {"istiod.istio-system.svc.cluster.local", 15012},
                                     "network1", "cluster.local")
                  .has_value());
}

TEST(UpstreamFromRegistry, UnknownHostOrPortIsNotFound) {
  const discovery::Snapshot snapshot(3, {istiod()}, {});
  EXPECT_FALSE(
      upstream_from_registry(snapshot, {"istiod.other.svc", 15012}, "network1", "cluster.local")
          .has_value());
  EXPECT_FALSE(upstream_from_registry(snapshot, {"istiod.istio-system.svc", 15010}, "network1",
                                      "cluster.local")
                   .has_value());
}

TEST(UpstreamFromRegistry, NoEndpointOnThisNetworkLeavesItToDns) {
  const discovery::Snapshot snapshot(3, {istiod("network2")}, {});
  EXPECT_FALSE(upstream_from_registry(snapshot, {"istiod.istio-system.svc", 15012}, "network1",
                                      "cluster.local")
                   .has_value());
}

TEST(UpstreamFromAddresses, DropsDuplicates) {
  const asio::ip::tcp::endpoint a(asio::ip::make_address("127.0.0.1"), 15012);
  const asio::ip::tcp::endpoint b(asio::ip::make_address("::1"), 15012);
  const Cluster cluster = upstream_from_addresses({"localhost", 15012}, {a, b, a});
  EXPECT_EQ(cluster.name, "outbound|15012||localhost");
  EXPECT_EQ(addresses(cluster), (std::vector<std::string>{"127.0.0.1:15012", "::1:15012"}));
}

TEST(RoutePublisher, EveryChangePublishesANewVersion) {
  RoutePublisher publisher({"network1", "cluster.local", true, {}});
  const uint64_t first = publisher.latest()->version;
  EXPECT_EQ(publisher.latest()->table, nullptr);
  publisher.set_snapshot(std::make_shared<const discovery::Snapshot>(
      1, std::vector<discovery::Service>{istiod()}, std::vector<discovery::HostAlias>{}));
  const RoutesPtr with_table = publisher.latest();
  ASSERT_NE(with_table->table, nullptr);
  EXPECT_GT(with_table->version, first);
  publisher.set_upstream(ListenerKind::kIstiod, std::make_shared<const Cluster>(Cluster{"x", {}}));
  const RoutesPtr with_upstream = publisher.latest();
  EXPECT_GT(with_upstream->version, with_table->version);
  EXPECT_EQ(with_upstream->table, with_table->table);  // unchanged parts are shared
  ASSERT_NE(with_upstream->upstream(ListenerKind::kIstiod), nullptr);
  EXPECT_EQ(with_upstream->upstream(ListenerKind::kWebhook), nullptr);
}

TEST(RoutePublisher, NewOptionsRebuildTheTableFromTheLastSnapshot) {
  RoutePublisher publisher({"network1", "cluster.local", true, {}});
  publisher.set_snapshot(std::make_shared<const discovery::Snapshot>(
      1, std::vector<discovery::Service>{istiod()}, std::vector<discovery::HostAlias>{}));
  sni::IstioName name;
  name.outbound = true;
  name.port = 15012;
  name.host = "istiod.istio-system.svc.cluster.local";
  // mTLS required: istiod's endpoints are not usable on 15443.
  EXPECT_EQ(publisher.latest()->table->find(name).reason, RouteMiss::kNoEndpoint);
  const uint64_t before = publisher.latest()->version;
  publisher.set_options({"network1", "cluster.local", true, {}});  // same options: no publish
  EXPECT_EQ(publisher.latest()->version, before);
  publisher.set_options({"network1", "cluster.local", false, {}});
  EXPECT_NE(publisher.latest()->table->find(name).cluster, nullptr);
}

}  // namespace
}  // namespace meshgate::gateway

namespace meshgate::gateway {

// Readable failures: the name, each endpoint with its weight, the refusals.
static void PrintTo(const Cluster& cluster, std::ostream* out) {
  *out << cluster.name << " [";
  for (const UpstreamEndpoint& e : cluster.endpoints)
    *out << " " << e.address << "*" << e.weight;
  *out << " ] refused " << cluster.refused[1] << "/" << cluster.refused[2];
}

namespace {

// What upstream_from_registry() returned when it built the whole route table
// for one lookup: it must still return exactly that.
std::optional<Cluster> from_full_table(const discovery::Snapshot& snapshot,
                                       const config::Upstream& upstream) {
  const RouteTablePtr table = RouteTable::build(snapshot, {"network1", "cluster.local", false, {}});
  for (const std::string& host : {upstream.host, upstream.host + ".cluster.local"}) {
    sni::IstioName name;
    name.outbound = true;
    name.port = upstream.port;
    name.host = host;
    const RouteLookup lookup = table->find(name);
    if (lookup.cluster != nullptr) return *lookup.cluster;
  }
  return std::nullopt;
}

discovery::Endpoint endpoint(std::string address, std::string network, bool mtls) {
  discovery::Endpoint e;
  e.address = std::move(address);
  e.network = std::move(network);
  e.mtls_capable = mtls;
  e.labels = {{"version", "v1"}};
  return e;
}

// Services and aliases that give the lookup something to get wrong.
discovery::Snapshot crowded() {
  discovery::Service sidecars = istiod();
  sidecars.name = "httpbin";
  sidecars.ns = "bar";
  sidecars.hostnames = {"httpbin.example.internal"};
  sidecars.subsets = {{"v1", {{"version", "v1"}}}};
  sidecars.endpoints = {endpoint("10.0.1.1", "network1", true),
                        endpoint("10.0.1.2", "network2", true), endpoint("10.0.1.3", "", false),
                        endpoint("10.0.1.4", "network3", false)};
  sidecars.endpoints[0].weight = 7;
  sidecars.endpoints[2].ports = {{"grpc-xds", 16012}};
  sidecars.plaintext = {{15012, ""}};  // ignored: mTLS is not required
  discovery::Service entry = istiod();
  entry.name = "db";
  entry.ns = "bar";
  entry.host = "db.internal.example";
  entry.ports.push_back({"again", 15012, 25012});  // the table keeps the last
  discovery::Service empty = istiod("network9");
  empty.name = "nowhere";
  return discovery::Snapshot(
      5, {istiod(), sidecars, entry, empty},
      {{"httpbin.bar.global", {}, "httpbin", "bar"}, {"x.global", {}, "", ""}});
}

TEST(UpstreamFromRegistry, BuildsWhatTheFullRouteTableBuilt) {
  const discovery::Snapshot snapshot = crowded();
  const std::vector<config::Upstream> upstreams = {
      {"istiod.istio-system.svc", 15012},              // short host
      {"istiod.istio-system.svc.cluster.local", 443},  // full host, target port
      {"httpbin.bar.svc", 15012},                      // subsets, networks, mTLS mixed
      {"httpbin.bar", 15012},                          // no such host
      {"httpbin.example.internal", 15012},             // an extra hostname
      {"httpbin.bar.global", 443},                     // an alias
      {"db.internal.example", 15012},                  // a service's own host, two ports
      {"nowhere.istio-system.svc", 15012},             // no endpoint on this network
      {"istiod.istio-system.svc", 15010},              // no such port
      {"x.global", 15012},                             // an alias of no service
      {"istiod.istio-system.global", 15012},           // the .global rewrite
      {"absent.istio-system.svc", 15012},              // no such service
  };
  for (const config::Upstream& upstream : upstreams) {
    const std::optional<Cluster> expected = from_full_table(snapshot, upstream);
    const std::optional<Cluster> got =
        upstream_from_registry(snapshot, upstream, "network1", "cluster.local");
    EXPECT_EQ(got, expected) << upstream.host << ":" << upstream.port;
  }
}

TEST(UpstreamFromRegistry, KeepsLocalEndpointsWithOrWithoutMtls) {
  const discovery::Snapshot snapshot = crowded();
  const auto found =
      upstream_from_registry(snapshot, {"httpbin.bar.svc", 15012}, "network1", "cluster.local");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->name, "outbound|15012||httpbin.bar.svc.cluster.local");  // no subset
  EXPECT_EQ(addresses(*found), (std::vector<std::string>{"10.0.1.1:15012", "10.0.1.3:16012"}));
  EXPECT_EQ(found->endpoints.front().weight, 7u);
  EXPECT_FALSE(upstream_from_registry(snapshot, {"absent.istio-system.svc", 15012}, "network1",
                                      "cluster.local")
                   .has_value());
}

}  // namespace
}  // namespace meshgate::gateway
