// Kubernetes discovery when the API server misbehaves: dropped watches, 410
// Gone, token rotation, an outage, forbidden or missing Istio CRDs.
#include <gtest/gtest.h>

#include <algorithm>

#include "tests/integration/kube_fixture.h"
#include "tests/support/app_harness.h"

namespace meshgate::testing {
namespace {

namespace k = kube;
using Strings = std::vector<std::string>;

size_t requests_matching(const std::vector<KubeApiRequest>& requests, size_t from,
                         const std::string& needle) {
  size_t n = 0;
  for (size_t i = from; i < requests.size(); ++i)
    if (requests[i].target.find(needle) != std::string::npos) ++n;
  return n;
}

void scale_to_three(KubeFixture& f) {
  f.apply_pod("httpbin-v1-5d7f9c-klmno", "v1", "10.1.0.3");
  f.apply_slice({{"10.1.0.1", "httpbin-v1-5d7f9c-abcde"},
                 {"10.1.0.2", "httpbin-v2-6c8e1d-fghij"},
                 {"10.1.0.3", "httpbin-v1-5d7f9c-klmno"}});
}

bool three(const discovery::Snapshot& s) {
  return addresses(httpbin(s)).size() == 3;
}

// The mesh seeded, the source synced and all seven watches open.
bool start_watching(KubeFixture& f) {
  f.seed_mesh();
  f.start();
  return f.eventually_stats([](const auto& s) { return s.synced; }) &&
         poll_until([&] { return f.api().open_watches() == 7; });
}

TEST(KubeResilience, DroppedWatchResumesFromTheLastVersionWithoutRelisting) {
  KubeFixture f;
  ASSERT_TRUE(start_watching(f));
  const size_t before = f.api().requests().size();
  f.api().drop_connections();
  ASSERT_TRUE(poll_until([&] { return f.api().open_watches() == 7; }));
  scale_to_three(f);
  ASSERT_TRUE(f.eventually(three));
  const auto requests = f.api().requests();
  EXPECT_EQ(requests_matching(requests, before, "limit="), 0u) << "no list after a drop";
  EXPECT_GE(requests_matching(requests, before, "watch=1&resourceVersion=1"), 7u);
  const auto stats = f.source().stats();
  EXPECT_GE(resource(stats, "pods").watch_drops, 1u);
  EXPECT_EQ(resource(stats, "pods").relists, 0u);
}

TEST(KubeResilience, ExpiredHistoryRelists) {
  KubeFixture f;
  ASSERT_TRUE(start_watching(f));
  const size_t before = f.api().requests().size();
  f.api().expire_history();  // open watches get an ERROR event with a 410 Status
  scale_to_three(f);
  ASSERT_TRUE(f.eventually(three));
  ASSERT_TRUE(f.eventually_stats([](const auto& s) { return resource(s, "pods").relists >= 1; }));
  EXPECT_GE(requests_matching(f.api().requests(), before, "limit="), 7u);
  EXPECT_GE(resource(f.source().stats(), "pods").events[4], 1u);  // the ERROR event
}

TEST(KubeResilience, RotatedTokenIsReadFromItsFile) {
  KubeFixture f;
  f.seed_mesh();
  TempDir dir;
  auto options = f.options();
  options.access.token.clear();
  options.access.token_file = dir.write("token", "first-token\n");
  f.api().set_token("first-token");
  f.start(options);
  ASSERT_TRUE(f.eventually_stats([](const auto& s) { return s.synced; }));
  // The kubelet writes a new token; the server stops accepting the old one
  // and cuts the connections it authenticated.
  dir.write("token", "second-token\n");
  f.api().set_token("second-token");
  const size_t before = f.api().requests().size();
  f.api().drop_connections();
  scale_to_three(f);
  ASSERT_TRUE(f.eventually(three));
  const auto requests = f.api().requests();
  ASSERT_GT(requests.size(), before);
  for (size_t i = before; i < requests.size(); ++i) {
    EXPECT_EQ(requests[i].authorization, "Bearer second-token") << requests[i].target;
  }
}

TEST(KubeResilience, RoutesServeThroughAnOutageAndFollowAfterIt) {
  KubeFixture f;
  f.seed_mesh();
  f.start();
  ASSERT_TRUE(f.eventually([](const auto& s) { return addresses(httpbin(s)).size() == 2; }));
  const uint64_t version = f.registry().snapshot()->version();
  f.api().set_down(true);
  ASSERT_TRUE(f.eventually_stats([](const auto& s) {
    return !resource(s, "pods").healthy && resource(s, "pods").watch_drops >= 1 &&
           s.client.connect_failures >= 1;
  }));
  // The last state keeps serving.
  EXPECT_EQ(f.registry().snapshot()->version(), version);
  EXPECT_EQ(addresses(httpbin(*f.registry().snapshot())).size(), 2u);
  scale_to_three(f);  // changes made while the gateway cannot see them
  f.api().set_down(false);
  ASSERT_TRUE(f.eventually(three));
  EXPECT_TRUE(f.eventually_stats([](const auto& s) { return resource(s, "pods").healthy; }));
}

TEST(KubeResilience, ForbiddenOrMissingIstioResourcesReadAsEmpty) {
  KubeFixture f;
  f.seed_mesh();
  f.api().set_error(k::kDestinationRules, 403);
  f.api().set_error(k::kServiceEntries, 404);
  f.api().set_error(k::kWorkloadEntries, 404);
  f.start();
  ASSERT_TRUE(f.eventually([](const auto& s) { return addresses(httpbin(s)).size() == 2; }));
  EXPECT_TRUE(httpbin(*f.registry().snapshot())->subsets.empty());
  ASSERT_TRUE(f.eventually_stats([](const auto& s) {
    return s.synced && resource(s, "destinationrules").unavailable &&
           resource(s, "serviceentries").unavailable;
  }));
  // Retried slowly: once RBAC allows it, the subsets arrive.
  f.api().set_error(k::kDestinationRules, 0);
  EXPECT_TRUE(f.eventually([](const auto& s) {
    const auto* service = httpbin(s);
    return service != nullptr && service->subsets.size() == 2;
  }));
}

TEST(KubeResilience, NotSyncedUntilEveryResourceListed) {
  KubeFixture f;
  f.seed_mesh();
  f.api().set_error(k::kPods, 500);
  f.start();
  ASSERT_TRUE(f.eventually_stats([](const auto& s) {
    return resource(s, "pods").list_failures >= 2 && resource(s, "services").synced;
  }));
  EXPECT_FALSE(f.registry().synced());
  EXPECT_FALSE(f.source().stats().synced);
  f.api().set_error(k::kPods, 0);
  EXPECT_TRUE(poll_until([&] { return f.registry().synced(); }));
  EXPECT_EQ(addresses(httpbin(*f.registry().snapshot())).size(), 2u);
}

TEST(KubeResilience, ABurstOfChangesMakesFewSnapshots) {
  KubeFixture f;
  f.seed_mesh();
  auto options = f.options();
  options.coalesce = std::chrono::milliseconds(300);
  f.start(options);
  ASSERT_TRUE(f.eventually_stats([](const auto& s) { return s.synced; }));
  const uint64_t before = f.source().stats().snapshots;
  std::vector<k::SliceEndpointSpec> endpoints;
  // No targetRef: one to a pod not seen yet holds the endpoint back.
  for (int i = 1; i <= 40; ++i) {
    const std::string ip = "10.2.0." + std::to_string(i);
    endpoints.push_back({ip, ""});
    f.apply_slice(endpoints);
  }
  ASSERT_TRUE(f.eventually([](const auto& s) { return addresses(httpbin(s)).size() == 40; }));
  const uint64_t made = f.source().stats().snapshots - before;
  EXPECT_GE(made, 1u);
  EXPECT_LT(made, 40u) << "40 changes in a burst must not make 40 snapshots";
}

TEST(KubeResilience, ClientCertificateInsteadOfAToken) {
  KubeFixture f;
  f.seed_mesh();
  auto options = f.options();
  options.access.token.clear();
  options.access.client_cert_pem = f.pki().client.cert_pem;
  options.access.client_key_pem = f.pki().client.key_pem;
  f.start(options);
  ASSERT_TRUE(f.eventually([](const auto& s) { return addresses(httpbin(s)).size() == 2; }));
  for (const auto& request : f.api().requests()) {
    EXPECT_TRUE(request.client_certificate);
    EXPECT_EQ(request.authorization, "");
  }
}

TEST(KubeResilience, WrongCaIsRefused) {
  KubeFixture f;
  f.seed_mesh();
  auto options = f.options();
  options.access.ca_pem = demo::make_ca("another CA").cert_pem;
  f.start(options);
  ASSERT_TRUE(f.eventually_stats([](const auto& s) { return s.client.connect_failures >= 2; }));
  EXPECT_NE(f.source().stats().client.last_error.find("certificate verify failed"),
            std::string::npos)
      << f.source().stats().client.last_error;
  EXPECT_TRUE(f.api().requests().empty());
  EXPECT_FALSE(f.registry().synced());
}

}  // namespace
}  // namespace meshgate::testing
