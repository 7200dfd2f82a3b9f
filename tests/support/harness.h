// In-process fixtures for integration tests: TLS backends on their own
// thread, and a gateway on 127.0.0.1 port 0 fed by a registry the test writes.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "deploy/demo/pki.h"
#include "deploy/demo/tls_backend.h"
#include "discovery/registry.h"
#include "gateway/gateway.h"
#include "tests/support/tls_client.h"

namespace meshgate::testing {

// A test CA plus one server certificate for httpbin.bar (with every name a
// client may verify) and one client certificate.
struct TestPki {
  TestPki();
  demo::CertifiedKey ca;
  demo::CertifiedKey server;
  demo::CertifiedKey client;
};

// TLS backends on one io_context thread; each gets an ephemeral port.
class Backends {
 public:
  Backends() = default;
  ~Backends();
  uint16_t add(const demo::TlsBackendOptions& options);
  void start();
  // Stops one backend's listener (its port then refuses connections).
  void stop(std::size_t index);
  const demo::TlsBackend& at(std::size_t index) const { return *backends_[index]; }

 private:
  asio::io_context io_{1};
  std::vector<std::unique_ptr<demo::TlsBackend>> backends_;
  std::thread thread_;
};

// A client of httpbin.bar through the gateway: `sni`, ALPN istio, the
// backend's certificate verified against the test CA.
TlsClientOptions httpbin_client(const TestPki& pki, std::string sni);

// A service endpoint on 127.0.0.1 with labels, on network1, mTLS-capable.
discovery::Endpoint local_endpoint(uint16_t port, std::string version);

// httpbin.bar with port tls 8000 and subsets v1, v2.
discovery::Service httpbin_service(std::vector<discovery::Endpoint> endpoints);

// Points `config` at this machine only: every listener on 127.0.0.1 port 0,
// loopback endpoints allowed (the test backends listen there), and istiod's
// relay targets on a port of localhost where nothing listens, so the
// network's DNS is never asked for them.
void keep_local(config::Config& config);

// Test defaults: keep_local(), two workers, short timeouts, no files, no
// access log.
config::Config test_config();

class GatewayUnderTest {
 public:
  explicit GatewayUnderTest(config::Config config = test_config());
  ~GatewayUnderTest();
  void set_services(std::vector<discovery::Service> services);
  // Stops the gateway now (as on SIGTERM); stats stay readable.
  void stop() { gateway_->stop(); }
  uint16_t port() const { return gateway_->passthrough_endpoint().port(); }
  gateway::StatsSnapshot stats() const { return gateway_->stats(); }
  // The snapshot version of the newest route table (0 before the first).
  uint64_t route_version() const {
    const auto routes = gateway_->routes();
    return routes->table ? routes->table->version() : 0;
  }
  // Polls (bounded, 5 s) until `ready` holds; no fixed sleeps.
  bool eventually(const std::function<bool(const gateway::StatsSnapshot&)>& ready) const;
  uint64_t closed(gateway::CloseReason reason) const { return stats().closed_by(reason); }

 private:
  discovery::Registry registry_;
  std::unique_ptr<gateway::Gateway> gateway_;
};

// Polls `condition` every millisecond for up to `limit`.
bool poll_until(const std::function<bool()>& condition,
                std::chrono::milliseconds limit = std::chrono::seconds(5));

}  // namespace meshgate::testing
