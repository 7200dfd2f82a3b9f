#include "discovery/model.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <utility>

namespace meshgate::discovery {
namespace {

Endpoint endpoint(std::map<std::string, uint16_t> ports, Labels labels = {}) {
  Endpoint result;
  result.address = "10.0.0.1";
  result.ports = std::move(ports);
  result.labels = std::move(labels);
  return result;
}

TEST(EndpointPort, OverrideByPortNameWins) {
  const Endpoint ep = endpoint({{"tls", 9443}});
  EXPECT_EQ(endpoint_port(ep, ServicePort{"tls", 8000, 8443}), 9443);
}

TEST(EndpointPort, TargetPortWithoutOverride) {
  const Endpoint ep = endpoint({{"other", 9443}});
  EXPECT_EQ(endpoint_port(ep, ServicePort{"tls", 8000, 8443}), 8443);
}

TEST(EndpointPort, ServicePortWhenNoTargetPort) {
  const Endpoint ep = endpoint({});
  EXPECT_EQ(endpoint_port(ep, ServicePort{"tls", 8000, 0}), 8000);
}

TEST(EndpointPort, UnnamedPortIgnoresOverrides) {
  const Endpoint ep = endpoint({{"", 9443}});
  EXPECT_EQ(endpoint_port(ep, ServicePort{"", 8000, 0}), 8000);
}

TEST(EndpointPort, ZeroOverrideIsIgnored) {
  const Endpoint ep = endpoint({{"tls", 0}});
  EXPECT_EQ(endpoint_port(ep, ServicePort{"tls", 8000, 8443}), 8443);
}

// Kubernetes endpoints list exactly the ports they serve, matched by the
// service port's name as istiod does (pilot/pkg/xds/endpoints/endpoint_builder.go).
TEST(EndpointPort, ExactPortsMatchByNameTheUnnamedPortToo) {
  Endpoint ep = endpoint({{"", 9000}, {"tls", 9443}});
  ep.ports_exact = true;
  EXPECT_EQ(endpoint_port(ep, ServicePort{"", 8000, 8001}), 9000);
  EXPECT_EQ(endpoint_port(ep, ServicePort{"tls", 8443, 0}), 9443);
}

TEST(EndpointPort, ExactPortsWithoutTheNameServeNothing) {
  Endpoint ep = endpoint({{"tls", 9443}});
  ep.ports_exact = true;
  EXPECT_EQ(endpoint_port(ep, ServicePort{"grpc", 8000, 8001}), std::nullopt);
  ep.ports = {{"grpc", 0}};
  EXPECT_EQ(endpoint_port(ep, ServicePort{"grpc", 8000, 8001}), std::nullopt);
}

TEST(ServiceHost, OwnHostElseTheKubernetesName) {
  Service service;
  service.name = "httpbin";
  service.ns = "bar";
  EXPECT_EQ(service_host(service, "cluster.local"), "httpbin.bar.svc.cluster.local");
  service.host = "db.example.internal";
  EXPECT_EQ(service_host(service, "cluster.local"), "db.example.internal");
}

TEST(InSubset, EndpointCarryingEveryLabelIsIn) {
  const Endpoint ep = endpoint({}, {{"version", "v1"}, {"app", "httpbin"}});
  EXPECT_TRUE(in_subset(ep, Subset{"v1", {{"version", "v1"}}}));
  EXPECT_TRUE(in_subset(ep, Subset{"both", {{"version", "v1"}, {"app", "httpbin"}}}));
}

TEST(InSubset, MissingOrDifferentLabelIsOut) {
  const Endpoint ep = endpoint({}, {{"version", "v1"}});
  EXPECT_FALSE(in_subset(ep, Subset{"v2", {{"version", "v2"}}}));
  EXPECT_FALSE(in_subset(ep, Subset{"x", {{"version", "v1"}, {"app", "httpbin"}}}));
}

TEST(InSubset, EmptySelectorSelectsEverything) {
  EXPECT_TRUE(in_subset(Endpoint{}, Subset{"all", {}}));
}

}  // namespace
}  // namespace meshgate::discovery
