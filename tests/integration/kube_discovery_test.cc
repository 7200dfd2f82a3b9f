// Kubernetes discovery against the stand-in API server: list+watch over
// HTTP/2 and HTTP/1.1 into the registry, and what happens when the API
// server misbehaves.
#include <gtest/gtest.h>

#include <algorithm>

#include "tests/integration/kube_fixture.h"

namespace meshgate::testing {
namespace {

namespace k = kube;
using Strings = std::vector<std::string>;

bool has_subset(const discovery::Service* service, const std::string& name) {
  if (service == nullptr) return false;
  return std::any_of(service->subsets.begin(), service->subsets.end(),
                     [&](const auto& subset) { return subset.name == name; });
}

size_t count_requests(const KubeApiServer& api, const std::string& needle, size_t from = 0) {
  auto requests = api.requests();
  return static_cast<size_t>(std::count_if(
      requests.begin() + static_cast<long>(std::min(from, requests.size())), requests.end(),
      [&](const auto& r) { return r.target.find(needle) != std::string::npos; }));
}

TEST(KubeDiscovery, FirstSyncOverHttp2) {
  KubeFixture f;
  f.seed_mesh();
  f.start();
  ASSERT_TRUE(f.eventually([](const auto& s) { return httpbin(s) != nullptr; }));
  EXPECT_TRUE(f.registry().synced());
  const auto snapshot = f.registry().snapshot();
  const discovery::Service* service = httpbin(*snapshot);
  EXPECT_EQ(addresses(service), (Strings{"10.1.0.1", "10.1.0.2"}));
  ASSERT_EQ(service->ports.size(), 1u);
  EXPECT_EQ(service->ports[0].number, 8000);
  for (const auto& endpoint : service->endpoints) {
    EXPECT_TRUE(endpoint.mtls_capable);
    EXPECT_EQ(endpoint.network, "network1");
    EXPECT_EQ(discovery::endpoint_port(endpoint, service->ports[0]), 8443);
  }
  EXPECT_TRUE(has_subset(service, "v1"));
  EXPECT_TRUE(has_subset(service, "v2"));
  // Every request on one HTTP/2 connection; lists paged, then watches.
  ASSERT_TRUE(f.eventually_stats([](const auto& s) { return s.synced; }));
  const auto stats = f.source().stats();
  EXPECT_EQ(stats.client.protocol, "h2");
  EXPECT_EQ(stats.client.connects, 1u);
  for (const auto& request : f.api().requests()) {
    EXPECT_EQ(request.protocol, "h2");
    EXPECT_EQ(request.authorization, "Bearer test-token");
  }
  EXPECT_GE(count_requests(f.api(), "/api/v1/pods?limit=1&continue="), 1u);  // 2 pods: 2 pages
  EXPECT_TRUE(poll_until([&] {
    return count_requests(f.api(), "watch=1&resourceVersion=") >= 7;  // one per kind
  }));
  EXPECT_GE(count_requests(f.api(), "allowWatchBookmarks=true"), 7u);
}

TEST(KubeDiscovery, FirstSyncOverHttp1WhenTheServerHasNoH2) {
  KubeFixture f(/*offer_h2=*/false);
  f.seed_mesh();
  f.start();
  ASSERT_TRUE(f.eventually([](const auto& s) { return addresses(httpbin(s)).size() == 2; }));
  ASSERT_TRUE(f.eventually_stats([](const auto& s) { return s.synced; }));
  EXPECT_EQ(f.source().stats().client.protocol, "http/1.1");
  for (const auto& request : f.api().requests())
    EXPECT_EQ(request.protocol, "http/1.1");
  // A change still arrives through an HTTP/1.1 watch.
  f.apply_pod("httpbin-v1-5d7f9c-klmno", "v1", "10.1.0.3");
  f.apply_slice({{"10.1.0.1", "httpbin-v1-5d7f9c-abcde"},
                 {"10.1.0.2", "httpbin-v2-6c8e1d-fghij"},
                 {"10.1.0.3", "httpbin-v1-5d7f9c-klmno"}});
  EXPECT_TRUE(f.eventually([](const auto& s) { return addresses(httpbin(s)).size() == 3; }));
}

TEST(KubeDiscovery, ScaleUpAndDown) {
  KubeFixture f;
  f.seed_mesh();
  f.start();
  ASSERT_TRUE(f.eventually([](const auto& s) { return addresses(httpbin(s)).size() == 2; }));
  f.apply_pod("httpbin-v1-5d7f9c-klmno", "v1", "10.1.0.3");
  f.apply_slice({{"10.1.0.1", "httpbin-v1-5d7f9c-abcde"},
                 {"10.1.0.2", "httpbin-v2-6c8e1d-fghij"},
                 {"10.1.0.3", "httpbin-v1-5d7f9c-klmno"}});
  ASSERT_TRUE(f.eventually([](const auto& s) {
    return addresses(httpbin(s)) == Strings{"10.1.0.1", "10.1.0.2", "10.1.0.3"};
  }));
  f.apply_slice({{"10.1.0.2", "httpbin-v2-6c8e1d-fghij"}});
  f.api().remove(k::kPods, "bar", "httpbin-v1-5d7f9c-abcde");
  EXPECT_TRUE(
      f.eventually([](const auto& s) { return addresses(httpbin(s)) == Strings{"10.1.0.2"}; }));
}

// istiod never routes to a terminating endpoint, even with nothing ready
// left (pilot/pkg/serviceregistry/kube/controller/endpointslice.go).
TEST(KubeDiscovery, UnreadyAndTerminatingEndpointsLeave) {
  KubeFixture f;
  f.seed_mesh();
  f.start();
  ASSERT_TRUE(f.eventually([](const auto& s) { return addresses(httpbin(s)).size() == 2; }));
  f.apply_slice({{"10.1.0.1", "httpbin-v1-5d7f9c-abcde", /*ready=*/false, /*serving=*/false},
                 {"10.1.0.2", "httpbin-v2-6c8e1d-fghij"}});
  ASSERT_TRUE(
      f.eventually([](const auto& s) { return addresses(httpbin(s)) == Strings{"10.1.0.2"}; }));
  // Both terminating, one still serving: neither is routed.
  f.apply_slice({{"10.1.0.1", "httpbin-v1-5d7f9c-abcde", false, false, true},
                 {"10.1.0.2", "httpbin-v2-6c8e1d-fghij", false, true, true}});
  EXPECT_TRUE(f.eventually(
      [](const auto& s) { return httpbin(s) != nullptr && addresses(httpbin(s)).empty(); }));
}

TEST(KubeDiscovery, DestinationRuleSubsetAppears) {
  KubeFixture f;
  f.seed_mesh();
  f.start();
  ASSERT_TRUE(f.eventually([](const auto& s) { return has_subset(httpbin(s), "v1"); }));
  EXPECT_FALSE(has_subset(httpbin(*f.registry().snapshot()), "canary"));
  f.api().apply(k::kDestinationRules, k::destination_rule_json("bar", "httpbin-canary", "httpbin",
                                                               {{"canary", {{"version", "v2"}}}}));
  EXPECT_TRUE(f.eventually([](const auto& s) { return has_subset(httpbin(s), "canary"); }));
}

TEST(KubeDiscovery, WorkloadEntryForAVmJoinsTheService) {
  KubeFixture f;
  f.seed_mesh();
  f.start();
  ASSERT_TRUE(f.eventually([](const auto& s) { return addresses(httpbin(s)).size() == 2; }));
  f.api().apply(k::kWorkloadEntries,
                k::workload_entry_json("bar", "httpbin-vm-1", "10.20.0.7",
                                       {{"app", "httpbin"}, {"version", "vm"}}, "network1"));
  ASSERT_TRUE(f.eventually([](const auto& s) {
    return addresses(httpbin(s)) == Strings{"10.1.0.1", "10.1.0.2", "10.20.0.7"};
  }));
  f.api().remove(k::kWorkloadEntries, "bar", "httpbin-vm-1");
  EXPECT_TRUE(f.eventually([](const auto& s) { return addresses(httpbin(s)).size() == 2; }));
}

TEST(KubeDiscovery, ServiceEntryGlobalHostBecomesAnAlias) {
  KubeFixture f;
  f.seed_mesh();
  f.start();
  ASSERT_TRUE(f.eventually([](const auto& s) { return httpbin(s) != nullptr; }));
  f.api().apply(k::kServiceEntries,
                k::service_entry_json("bar", "httpbin-global", {"httpbin.bar.global"},
                                      {"240.0.0.10"}, {{8000, "tls", "TLS"}}));
  EXPECT_TRUE(f.eventually([](const auto& s) {
    return std::any_of(s.aliases().begin(), s.aliases().end(), [](const auto& alias) {
      return alias.host == "httpbin.bar.global" && alias.addresses == Strings{"240.0.0.10"};
    });
  }));
}

TEST(KubeDiscovery, EndpointOnAnotherNetworkIsMarkedSo) {
  KubeFixture f;
  f.seed_mesh();
  f.apply_pod("httpbin-v2-6c8e1d-remote", "v2", "10.9.0.9", "network2");
  f.apply_slice({{"10.1.0.1", "httpbin-v1-5d7f9c-abcde"},
                 {"10.1.0.2", "httpbin-v2-6c8e1d-fghij"},
                 {"10.9.0.9", "httpbin-v2-6c8e1d-remote"}});
  f.start();
  ASSERT_TRUE(f.eventually([](const auto& s) { return addresses(httpbin(s)).size() == 3; }));
  // The route table keeps only endpoints of its own network (tested end to
  // end in kube_gateway_test); here the network is carried through.
  for (const auto& endpoint : httpbin(*f.registry().snapshot())->endpoints)
    EXPECT_EQ(endpoint.network, endpoint.address == "10.9.0.9" ? "network2" : "network1");
}

}  // namespace
}  // namespace meshgate::testing
