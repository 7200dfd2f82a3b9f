#include "tests/integration/kube_fixture.h"

#include <algorithm>
#include <stdexcept>

namespace meshgate::testing {

namespace k = kube;

KubeFixture::KubeFixture(bool offer_h2)
    : api_cert_(demo::make_leaf(pki_.ca, "kubernetes",
                                std::vector<std::string>{"kubernetes.default.svc", "localhost"})) {
  KubeApiServerOptions options;
  options.cert_pem = api_cert_.cert_pem;
  options.key_pem = api_cert_.key_pem;
  options.offer_h2 = offer_h2;
  options.client_ca_pem = pki_.ca.cert_pem;
  api_ = std::make_unique<KubeApiServer>(options);
}

KubeFixture::~KubeFixture() {
  if (source_) source_->stop();
  source_.reset();
  api_.reset();
}

discovery::kube::ApiAccess KubeFixture::access() const {
  discovery::kube::ApiAccess access;
  access.server = "https://127.0.0.1:" + std::to_string(api_->port());
  access.ca_pem = pki_.ca.cert_pem;
  access.token = "test-token";
  access.tls_server_name = "kubernetes.default.svc";
  return access;
}

discovery::kube::KubernetesSourceOptions KubeFixture::options() const {
  discovery::kube::KubernetesSourceOptions options;
  options.access = access();
  options.coalesce = std::chrono::milliseconds(20);
  options.timing.initial_backoff = std::chrono::milliseconds(20);
  options.timing.max_backoff = std::chrono::milliseconds(200);
  options.timing.unavailable_retry = std::chrono::milliseconds(300);
  options.timing.page_limit = 1;  // every list of more than one object is paged
  options.client.connect_timeout = std::chrono::seconds(2);
  return options;
}

std::string KubeFixture::kubeconfig_yaml() const {
  return testing::kubeconfig_yaml(access().server, pki_.ca.cert_pem, "test-token");
}

void KubeFixture::seed_mesh() {
  api_->apply(k::kNamespaces, k::namespace_json("bar", "network1"));
  api_->apply(k::kServices, k::service_json("bar", "httpbin", {{"app", "httpbin"}},
                                            {{"tls", 8000, "8443", "TCP"}}));
  apply_pod("httpbin-v1-5d7f9c-abcde", "v1", "10.1.0.1");
  apply_pod("httpbin-v2-6c8e1d-fghij", "v2", "10.1.0.2");
  apply_slice({{"10.1.0.1", "httpbin-v1-5d7f9c-abcde"}, {"10.1.0.2", "httpbin-v2-6c8e1d-fghij"}});
  api_->apply(k::kDestinationRules,
              k::destination_rule_json("bar", "httpbin", "httpbin.bar.svc.cluster.local",
                                       {{"v1", {{"version", "v1"}}}, {"v2", {{"version", "v2"}}}}));
}

void KubeFixture::apply_slice(const std::vector<k::SliceEndpointSpec>& endpoints, uint16_t port) {
  api_->apply(k::kEndpointSlices, k::endpoint_slice_json("bar", "httpbin-x7k2p", "httpbin",
                                                         endpoints, {{"tls", port}}));
}

void KubeFixture::apply_pod(const std::string& name, const std::string& version,
                            const std::string& ip, const std::string& network) {
  k::PodSpec pod;
  pod.ns = "bar";
  pod.name = name;
  pod.app = "httpbin";
  pod.version = version;
  pod.ip = ip;
  pod.network = network;
  api_->apply(k::kPods, k::pod_json(pod));
}

void KubeFixture::start(discovery::kube::KubernetesSourceOptions options) {
  std::string error;
  source_ = discovery::kube::KubernetesSource::create(std::move(options), registry_, &error);
  if (!source_) throw std::runtime_error("cannot create the source: " + error);
  source_->start();
}

bool KubeFixture::eventually(const std::function<bool(const discovery::Snapshot&)>& condition,
                             std::chrono::milliseconds limit) {
  return poll_until([&] { return condition(*registry_.snapshot()); }, limit);
}

bool KubeFixture::eventually_stats(
    const std::function<bool(const discovery::kube::KubernetesStats&)>& condition,
    std::chrono::milliseconds limit) {
  return poll_until([&] { return condition(source_->stats()); }, limit);
}

const discovery::Service* httpbin(const discovery::Snapshot& snapshot) {
  return snapshot.find_service("bar", "httpbin");
}

std::vector<std::string> addresses(const discovery::Service* service) {
  std::vector<std::string> out;
  if (service == nullptr) return out;
  for (const auto& endpoint : service->endpoints)
    out.push_back(endpoint.address);
  std::sort(out.begin(), out.end());
  return out;
}

discovery::kube::ReflectorStats resource(const discovery::kube::KubernetesStats& stats,
                                         const std::string& name) {
  for (const auto& kind : stats.kinds)
    if (kind.resource == name) return kind.reflector;
  return {};
}

}  // namespace meshgate::testing
