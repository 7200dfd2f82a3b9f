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
