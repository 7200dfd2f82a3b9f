// A stand-in API server with a small mesh in it (namespace bar: httpbin v1
// and v2 behind one Service, an EndpointSlice, a DestinationRule), and a
// KubernetesSource watching it into a Registry, with back-off and
// coalescing shortened so that tests run fast.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "deploy/demo/pki.h"
#include "discovery/kubernetes/kube_source.h"
#include "discovery/registry.h"
#include "tests/support/harness.h"
#include "tests/support/kube_apiserver.h"
#include "tests/support/kube_manifests.h"

namespace meshgate::testing {

class KubeFixture {
 public:
  explicit KubeFixture(bool offer_h2 = true);
  ~KubeFixture();

  KubeApiServer& api() { return *api_; }
  discovery::Registry& registry() { return registry_; }
  discovery::kube::KubernetesSource& source() { return *source_; }
  const TestPki& pki() const { return pki_; }

  // The API server's address and credentials, the test CA trusted.
  discovery::kube::ApiAccess access() const;
  discovery::kube::KubernetesSourceOptions options() const;
  // A kubeconfig for access() (token inline), for the gateway's config.
  std::string kubeconfig_yaml() const;

  // Namespace bar on network1; httpbin (port tls 8000 -> 8443) with pods
  // v1 (10.1.0.1) and v2 (10.1.0.2); their EndpointSlice; a DestinationRule
  // with subsets v1 and v2.
  void seed_mesh();
  // The httpbin EndpointSlice with these endpoints ("<ip>" -> pod name).
  void apply_slice(const std::vector<kube::SliceEndpointSpec>& endpoints, uint16_t port = 8443);
  void apply_pod(const std::string& name, const std::string& version, const std::string& ip,
                 const std::string& network = "network1");

  void start(discovery::kube::KubernetesSourceOptions options);
  void start() { start(options()); }

  // Polls (bounded) until `condition` holds for the registry's snapshot.
  bool eventually(const std::function<bool(const discovery::Snapshot&)>& condition,
                  std::chrono::milliseconds limit = std::chrono::seconds(10));
  // Polls until the source's stats satisfy `condition`.
  bool eventually_stats(const std::function<bool(const discovery::kube::KubernetesStats&)>& c,
                        std::chrono::milliseconds limit = std::chrono::seconds(10));

 private:
  TestPki pki_;
  demo::CertifiedKey api_cert_;
  std::unique_ptr<KubeApiServer> api_;
  discovery::Registry registry_;
  std::unique_ptr<discovery::kube::KubernetesSource> source_;
};

// The httpbin.bar service in a snapshot, or null.
const discovery::Service* httpbin(const discovery::Snapshot& snapshot);
// Its endpoint addresses, sorted.
std::vector<std::string> addresses(const discovery::Service* service);
// The stats of one resource ("pods"), or an empty one.
discovery::kube::ReflectorStats resource(const discovery::kube::KubernetesStats& stats,
                                         const std::string& name);

}  // namespace meshgate::testing
