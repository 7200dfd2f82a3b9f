// The whole gateway (AppUnderTest) with discovery.kubernetes against the
// stand-in API server, and one TLS backend on 127.0.0.1 to route to.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "tests/integration/kube_fixture.h"
#include "tests/support/app_harness.h"
#include "tests/support/tls_client.h"

namespace meshgate::testing {

inline constexpr const char* kSni = "outbound_.8000_._.httpbin.bar.svc.cluster.local";

class KubeGateway : public ::testing::Test {
 protected:
  KubeGateway() {
    backend_ = backends_.add(
        {"v1", f_.pki().server.cert_pem, f_.pki().server.key_pem, f_.pki().ca.cert_pem, false});
    backends_.start();
  }

  // httpbin.bar whose only endpoint is the backend, on 127.0.0.1.
  void announce_backend(const std::string& network = "network1") {
    f_.api().apply(kube::kNamespaces, kube::namespace_json("bar", "network1"));
    f_.api().apply(kube::kServices, kube::service_json("bar", "httpbin", {{"app", "httpbin"}},
                                                       {{"tls", 8000, "tls", "TCP"}}));
    f_.apply_pod("httpbin-v1-5d7f9c-abcde", "v1", "127.0.0.1", network);
    f_.apply_slice({{"127.0.0.1", "httpbin-v1-5d7f9c-abcde"}}, backend_);
  }

  config::Config config() {
    config::Config config = test_config();
    config.discovery.files.clear();
    config.discovery.kubernetes.enabled = true;
    config.discovery.kubernetes.kubeconfig = dir_.write("kubeconfig", f_.kubeconfig_yaml());
    return config;
  }

  // A config file with every listener on 127.0.0.1 port 0 and `discovery`.
  std::string config_file(const std::string& discovery) {
    std::string yaml = "workers: 2\nlisteners:\n";
    for (const char* name :
         {"passthrough", "istiod", "webhook", "dns", "dns_grpc", "health", "metrics", "admin"})
      yaml += std::string("  ") + name + ": {address: 127.0.0.1, port: 0}\n";
    yaml += "istiod:\n  xds: {host: localhost, port: 1}\n  webhook: {host: localhost, port: 1}\n";
    yaml += "access_log: {enabled: false}\nreload: {poll_interval: 0s}\n";
    yaml += "passthrough: {allow_loopback_endpoints: true}\n";  // backends on 127.0.0.1
    return dir_.write("meshgate.yaml", yaml + "discovery:\n" + discovery);
  }

  // Polls (bounded): a full GET through 15443 reaches the backend.
  bool routes_to_backend(const AppUnderTest& app, const std::string& sni = kSni) {
    return poll_until(
        [&] { return get_through(app, sni).find("hello from v1") != std::string::npos; },
        std::chrono::seconds(10));
  }

  // A GET through 15443 with this SNI: the backend's answer, or what failed.
  std::string get_through(const AppUnderTest& app, const std::string& sni = kSni) {
    TlsClientOptions options;
    options.sni = sni;
    options.alpn = {"istio"};
    options.ca_pem = f_.pki().ca.cert_pem;
    options.verify_host = "httpbin.bar.svc.cluster.local";
    TlsClient tls(app.port(gateway::ListenerKind::kPassthrough), options);
    return tls.handshake_ok() ? tls.http_get() : "handshake failed: " + tls.error();
  }

  KubeFixture f_;
  Backends backends_;
  uint16_t backend_ = 0;
  TempDir dir_;
};

}  // namespace meshgate::testing
