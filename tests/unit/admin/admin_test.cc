#include "admin/admin.h"

#include <gtest/gtest.h>

namespace meshgate::admin {
namespace {

net::http::HttpRequest get(std::string target) {
  return {"GET", std::move(target)};
}

AdminView view_with_cluster() {
  AdminView view;
  view.config = std::make_shared<const config::Config>(config::default_config());
  discovery::Service service;
  service.name = "httpbin";
  service.ns = "bar";
  service.ports = {{"tls", 8000, 9443}};
  service.subsets = {{"v1", {{"version", "v1"}}}};
  for (const char* address : {"10.0.0.1", "10.0.0.2"}) {
    discovery::Endpoint e;
    e.address = address;
    e.labels = {{"version", "v1"}};
    e.mtls_capable = true;
    service.endpoints.push_back(e);
  }
  view.snapshot = std::make_shared<const discovery::Snapshot>(
      4, std::vector<discovery::Service>{service}, std::vector<discovery::HostAlias>{});
  auto routes = std::make_shared<gateway::Routes>();
  routes->version = 9;
  routes->table =
      gateway::RouteTable::build(*view.snapshot, {"network1", "cluster.local", true, {}});
  routes->upstreams[index_of(gateway::ListenerKind::kIstiod)] =
      std::make_shared<const gateway::Cluster>(
          gateway::Cluster{"outbound|15012||istiod.istio-system.svc",
                           {{{asio::ip::make_address("10.0.0.9"), 15012}, 1}}});
  view.routes = routes;
  view.now = std::chrono::steady_clock::now();
  view.ejected = {
      {{asio::ip::make_address("10.0.0.2"), 9443}, view.now + std::chrono::seconds(30), 1}};
  view.readiness = Readiness::kReady;
  return view;
}

TEST(Health, ReadyFollowsTheState) {
  EXPECT_EQ(health_response(get("/healthz/ready"), Readiness::kReady).status, 200u);
  const net::http::HttpResponse starting =
      health_response(get("/healthz/ready"), Readiness::kStarting);
  EXPECT_EQ(starting.status, 503u);
  EXPECT_EQ(starting.body, "starting\n");
  const net::http::HttpResponse draining =
      health_response(get("/healthz/ready?x=1"), Readiness::kDraining);
  EXPECT_EQ(draining.status, 503u);
  EXPECT_EQ(draining.body, "draining\n");
}

TEST(Health, LiveEvenWhileDraining) {
  EXPECT_EQ(health_response(get("/healthz/live"), Readiness::kDraining).status, 200u);
}

TEST(Health, UnknownPathAndMethod) {
  EXPECT_EQ(health_response(get("/"), Readiness::kReady).status, 404u);
  EXPECT_EQ(health_response({"POST", "/healthz/ready"}, Readiness::kReady).status, 405u);
  EXPECT_EQ(health_response({"HEAD", "/healthz/ready"}, Readiness::kReady).status, 200u);
}

TEST(Admin, ClustersNameEveryRouteWithSniAndEndpointHealth) {
  const net::http::HttpResponse response = admin_response(get("/clusters"), view_with_cluster());
  ASSERT_EQ(response.status, 200u);
  EXPECT_EQ(response.content_type, "application/json");
  const auto json = nlohmann::json::parse(response.body);
  EXPECT_EQ(json["routes_version"], 9);
  std::map<std::string, nlohmann::json> by_name;
  for (const auto& cluster : json["clusters"])
    by_name[cluster["name"]] = cluster;
  ASSERT_EQ(by_name.size(), 3u);
  const auto& v1 = by_name.at("outbound|8000|v1|httpbin.bar.svc.cluster.local");
  EXPECT_EQ(v1["sni"], "outbound_.8000_.v1_.httpbin.bar.svc.cluster.local");
  EXPECT_EQ(v1["listener"], "passthrough");
  ASSERT_EQ(v1["endpoints"].size(), 2u);
  EXPECT_EQ(v1["endpoints"][0]["address"], "10.0.0.1");
  EXPECT_EQ(v1["endpoints"][0]["port"], 9443);
  EXPECT_EQ(v1["endpoints"][0]["health"], "healthy");
  EXPECT_EQ(v1["endpoints"][1]["health"], "ejected");
  EXPECT_EQ(v1["endpoints"][1]["times_ejected"], 1);
  EXPECT_GT(v1["endpoints"][1]["ejected_for_ms"].get<int64_t>(), 29'000);
  EXPECT_EQ(by_name.at("outbound|8000||httpbin.bar.svc.cluster.local")["sni"],
            "outbound_.8000_._.httpbin.bar.svc.cluster.local");
  const auto& xds = by_name.at("outbound|15012||istiod.istio-system.svc");
  EXPECT_EQ(xds["listener"], "istiod");
  EXPECT_TRUE(xds["sni"].is_null());
}

TEST(Admin, ConfigDumpHoldsConfigAndSnapshot) {
  const net::http::HttpResponse response = admin_response(get("/config_dump"), view_with_cluster());
  ASSERT_EQ(response.status, 200u);
  const auto json = nlohmann::json::parse(response.body);
  EXPECT_EQ(json["config"]["listeners"]["admin"]["address"], "127.0.0.1");
  EXPECT_EQ(json["snapshot"]["version"], 4);
  EXPECT_EQ(json["snapshot"]["services"][0]["name"], "httpbin");
}

TEST(Admin, ReadyIndexAndErrors) {
  AdminView view = view_with_cluster();
  EXPECT_EQ(admin_response(get("/ready"), view).status, 200u);
  view.readiness = Readiness::kDraining;
  EXPECT_EQ(admin_response(get("/ready"), view).status, 503u);
  EXPECT_NE(admin_response(get("/"), view).body.find("/config_dump"), std::string::npos);
  EXPECT_EQ(admin_response(get("/nope"), view).status, 404u);
  EXPECT_EQ(admin_response({"DELETE", "/clusters"}, view).status, 405u);
}

}  // namespace
}  // namespace meshgate::admin
