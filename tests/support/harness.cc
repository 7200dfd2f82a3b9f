#include "tests/support/harness.h"

namespace meshgate::testing {

TestPki::TestPki()
    : ca(demo::make_ca("meshgate test CA")),
      server(demo::make_leaf(
          ca, "httpbin.bar",
          std::vector<std::string>{"httpbin.bar.svc.cluster.local", "httpbin.bar.global"})),
      client(demo::make_leaf(ca, "vm-client.test", std::vector<std::string>{})) {}

Backends::~Backends() {
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

uint16_t Backends::add(const demo::TlsBackendOptions& options) {
  auto& backend = backends_.emplace_back(std::make_unique<demo::TlsBackend>(io_, options));
  return backend->listen({asio::ip::make_address("127.0.0.1"), 0}).port();
}

void Backends::start() {
  for (auto& backend : backends_)
    backend->start();
  thread_ = std::thread([this] { io_.run(); });
}

void Backends::stop(std::size_t index) {
  asio::post(io_, [backend = backends_[index].get()] { backend->stop(); });
}

TlsClientOptions httpbin_client(const TestPki& pki, std::string sni) {
  TlsClientOptions options;
  options.sni = std::move(sni);
  options.alpn = {"istio"};
  options.ca_pem = pki.ca.cert_pem;
  options.verify_host = "httpbin.bar.svc.cluster.local";
  return options;
}

discovery::Endpoint local_endpoint(uint16_t port, std::string version) {
  discovery::Endpoint endpoint;
  endpoint.address = "127.0.0.1";
  endpoint.ports = {{"tls", port}};
  endpoint.labels = {{"version", std::move(version)}, {"security.istio.io/tlsMode", "istio"}};
  endpoint.network = "network1";
  endpoint.mtls_capable = true;
  return endpoint;
}

discovery::Service httpbin_service(std::vector<discovery::Endpoint> endpoints) {
  discovery::Service service;
  service.name = "httpbin";
  service.ns = "bar";
  service.ports = {{"tls", 8000, 0}};
  service.subsets = {{"v1", {{"version", "v1"}}}, {"v2", {{"version", "v2"}}}};
  service.endpoints = std::move(endpoints);
  return service;
}

void keep_local(config::Config& config) {
  for (config::Listener* listener :
       {&config.listeners.passthrough, &config.listeners.istiod, &config.listeners.webhook,
        &config.listeners.dns, &config.listeners.dns_grpc, &config.listeners.health,
        &config.listeners.metrics, &config.listeners.admin}) {
    *listener = {"127.0.0.1", 0};
  }
  config.passthrough.allow_loopback_endpoints = true;
  config.istiod.xds = {"localhost", 1};
  config.istiod.webhook = {"localhost", 1};
}

config::Config test_config() {
  config::Config config;
  keep_local(config);
  config.access_log.enabled = false;
  config.workers = 2;
  config.timeouts.client_hello = std::chrono::seconds(2);
  config.timeouts.connect = std::chrono::seconds(2);
  config.timeouts.idle = std::chrono::seconds(10);
  return config;
}

GatewayUnderTest::GatewayUnderTest(config::Config config)
    : gateway_(std::make_unique<gateway::Gateway>(
          std::make_shared<const config::Config>(std::move(config)), registry_)) {
  gateway_->start();
}

GatewayUnderTest::~GatewayUnderTest() {
  gateway_->stop();
}

void GatewayUnderTest::set_services(std::vector<discovery::Service> services) {
  discovery::SourceState state;
  state.services = std::move(services);
  registry_.update("test", std::move(state));
}

bool GatewayUnderTest::eventually(
    const std::function<bool(const gateway::StatsSnapshot&)>& ready) const {
  return poll_until([&] { return ready(stats()); });
}

bool poll_until(const std::function<bool()>& condition, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace meshgate::testing
