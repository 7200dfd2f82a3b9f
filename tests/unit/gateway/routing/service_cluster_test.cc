#include "gateway/routing/service_cluster.h"

#include <gtest/gtest.h>

namespace meshgate::gateway {
namespace {

using discovery::Service;

Service service(std::string name, std::string ns, std::vector<std::string> hostnames = {}) {
  Service s;
  s.name = std::move(name);
  s.ns = std::move(ns);
  s.hostnames = std::move(hostnames);
  s.ports = {{"tls", 8000, 0}};
  discovery::Endpoint e;
  e.address = "10.0.0.1";
  e.mtls_capable = true;
  s.endpoints = {e};
  return s;
}

// The cluster name the route table gives `host` on port 8000, "" for none.
std::string table_route(const RouteTable& table, const std::string& host) {
  sni::IstioName name;
  name.outbound = true;
  name.port = 8000;
  name.host = host;
  const RouteLookup found = table.find(name);
  return found.cluster ? found.cluster->name : "";
}

// The same from service_for_host().
std::string own_route(const discovery::Snapshot& snapshot, const std::string& host) {
  const Service* found = service_for_host(snapshot, host, "cluster.local");
  return found ? cluster_name(8000, "", discovery::service_host(*found, "cluster.local")) : "";
}

// Hosts several services or aliases claim go where the route table sends them.
TEST(ServiceForHost, FindsTheServiceTheRouteTableRoutesTo) {
  Service entry = service("db", "a");
  entry.host = "db.example";
  const discovery::Snapshot snapshot(
      1,
      {service("first", "a", {"shared.example", "b.b.svc.cluster.local"}), service("b", "b"),
       service("c", "c", {"shared.example"}), entry},
      {{"alias.global", {}, "c", "c"},
       {"b.b.svc.cluster.local", {}, "c", "c"},  // a service's host: the service wins
       {"chain.global", {}, "hop", "x"},
       {"hop.x.svc.cluster.local", {}, "c", "c"},  // after chain.global: no chain
       {"next.global", {}, "hop2", "x"},
       {"dead.global", {}, "gone", "x"},
       {"c.c.global", {}, "", ""},
       {"*.c.global", {}, "c", "c"}});
  const auto table = RouteTable::build(snapshot, {"network1", "cluster.local", true, {}});
  for (const std::string host :
       {"shared.example", "b.b.svc.cluster.local", "c.c.svc.cluster.local", "db.example",
        "db.a.svc.cluster.local", "alias.global", "chain.global", "hop.x.svc.cluster.local",
        "next.global", "dead.global", "c.c.global", "b.b.global", "x.c.global", "*.c.global",
        "first.a.svc.cluster.local.", "nothing"}) {
    EXPECT_EQ(own_route(snapshot, host), table_route(*table, host)) << host;
  }
  EXPECT_EQ(own_route(snapshot, "shared.example"), "outbound|8000||first.a.svc.cluster.local");
  EXPECT_EQ(own_route(snapshot, "b.b.svc.cluster.local"),
            "outbound|8000||first.a.svc.cluster.local");  // the first claim wins
  EXPECT_EQ(own_route(snapshot, "b.b.global"), "outbound|8000||first.a.svc.cluster.local");
}

// An alias may lead through an earlier alias (in host order), as in the table.
TEST(ServiceForHost, AnAliasMayNameAnEarlierAlias) {
  const discovery::Snapshot snapshot(
      1, {service("c", "c")},
      {{"a.a.svc.cluster.local", {}, "c", "c"}, {"z.global", {}, "a", "a"}});
  EXPECT_EQ(own_route(snapshot, "z.global"), "outbound|8000||c.c.svc.cluster.local");
  const auto table = RouteTable::build(snapshot, {"network1", "cluster.local", true, {}});
  EXPECT_EQ(own_route(snapshot, "z.global"), table_route(*table, "z.global"));
}

TEST(ServiceCluster, TellsEachRefusedEndpoint) {
  Service s = service("c", "c");
  s.endpoints.push_back(s.endpoints.front());
  s.endpoints.back().address = "127.0.0.1";
  const TargetGuard guard(false, {}, {}, {});
  std::vector<std::string> told;
  const Cluster cluster = service_cluster(
      s, "c.c.svc.cluster.local", s.ports[0], nullptr, {"network1", "cluster.local", true, guard},
      [&](const asio::ip::tcp::endpoint& target, TargetRefusal refusal) {
        told.push_back(target.address().to_string() + " " + to_string(refusal));
      });
  EXPECT_EQ(cluster.name, "outbound|8000||c.c.svc.cluster.local");
  ASSERT_EQ(cluster.endpoints.size(), 1u);
  EXPECT_EQ(cluster.refused[static_cast<std::size_t>(TargetRefusal::kLoopback)], 1u);
  EXPECT_EQ(told, (std::vector<std::string>{"127.0.0.1 loopback"}));
}

}  // namespace
}  // namespace meshgate::gateway
