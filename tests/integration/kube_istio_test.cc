// Kubernetes mode decides as istiod decides for its east-west gateway, end
// to end: the stand-in API server holds the situation, the whole gateway
// watches it, and a real TLS client on 15443 is routed or refused. Each test
// names the Istio file whose behaviour it follows; the rules themselves are
// pinned case by case in tests/unit/discovery/kubernetes/translate_istio_test.cc.
#include <gtest/gtest.h>

#include <string>

#include "tests/integration/kube_gateway_fixture.h"

namespace meshgate::testing {
namespace {

namespace k = kube;
using app::HttpPort;

class KubeIstio : public KubeGateway {
 protected:
  // Namespace bar on this gateway's network, and httpbin (port tls 8000 to
  // the container port named "tls"), optionally with no pod behind it.
  void announce_service(const std::string& service_json = "") {
    f_.api().apply(k::kNamespaces, k::namespace_json("bar", "network1"));
    f_.api().apply(k::kServices, service_json.empty() ? httpbin_service() : service_json);
  }

  static std::string httpbin_service() {
    return k::service_json("bar", "httpbin", {{"app", "httpbin"}}, {{"tls", 8000, "tls", "TCP"}});
  }

  static bool ready(AppUnderTest& app) {
    return poll_until([&] { return app.get(HttpPort::kHealth, "/healthz/ready").status == 200; },
                      std::chrono::seconds(10));
  }

  // Polls (bounded) until a connection with `sni` fails and one more has
  // been closed for `reason`.
  bool refused(AppUnderTest& app, const std::string& reason, const std::string& sni = kSni) {
    const std::string metric =
        R"(meshgate_connections_closed_total{listener="passthrough",reason=")" + reason + "\"}";
    const double before = app.metric(metric);
    return poll_until(
        [&] {
          return get_through(app, sni).find("hello from v1") == std::string::npos &&
                 app.metric(metric) > before;
        },
        std::chrono::seconds(10));
  }

  // The stand-in answers 404 for a kind it has never held, as for a CRD
  // that is not installed; this makes the kind exist, empty.
  void install_gateway_crd() {
    f_.api().apply(k::kGateways, k::gateway_json("istio-system", "placeholder", {{"x", "y"}}));
    f_.api().remove(k::kGateways, "istio-system", "placeholder");
  }
};

// Point 1 (pilot/pkg/serviceregistry/serviceentry/conversion.go: a
// WorkloadEntry with a serviceAccount and no tlsMode label is Istio mTLS):
// a VM auto-registered from a WorkloadGroup is dialled with the default
// require_mtls_endpoints, on the port its entry gives the Service's
// targetPort name.
TEST_F(KubeIstio, AVmRegisteredFromAWorkloadGroupIsDialled) {
  announce_service();
  f_.api().apply(k::kWorkloadEntries,
                 k::workload_entry_json("bar", "httpbin-vm-127.0.0.1", "127.0.0.1",
                                        {{"app", "httpbin"}, {"version", "v1"}}, "network1",
                                        {{"tls", backend_}}));
  AppUnderTest app(config());
  ASSERT_TRUE(config().passthrough.require_mtls_endpoints);
  ASSERT_TRUE(ready(app));
  EXPECT_TRUE(routes_to_backend(app));
  // Without its entry the Service has no endpoint left.
  f_.api().remove(k::kWorkloadEntries, "bar", "httpbin-vm-127.0.0.1");
  EXPECT_TRUE(refused(app, "no_endpoint"));
}

// Point 2 (pilot/pkg/serviceregistry/kube/conversion.go reads the
// networking.istio.io/exportTo annotation; pilot/pkg/model/sidecar.go,
// push_context.go: the gateway sees what is exported to its namespace).
TEST_F(KubeIstio, ANamespacePrivateServiceIsNotExposed) {
  announce_backend();
  f_.api().apply(k::kServices, k::with_field(httpbin_service(), "/metadata/annotations",
                                             R"({"networking.istio.io/exportTo": "."})"));
  AppUnderTest app(config());
  ASSERT_TRUE(ready(app));
  EXPECT_TRUE(refused(app, "unknown_service"));
  // Exported to the gateway's namespace (and its own): routed.
  f_.api().apply(k::kServices,
                 k::with_field(httpbin_service(), "/metadata/annotations",
                               R"({"networking.istio.io/exportTo": ".,istio-system"})"));
  EXPECT_TRUE(routes_to_backend(app));
}

// Point 3 (pilot/pkg/networking/core/cluster.go buildOutboundSniDnatClusters
// skips only MESH_EXTERNAL services): a MESH_INTERNAL ServiceEntry with an
// inline endpoint is routed by its own host.
TEST_F(KubeIstio, AMeshInternalServiceEntryIsRoutedByItsHost) {
  const std::string sni = "outbound_.8000_._.db.mesh.local";
  const std::string entry = k::with_field(
      k::service_entry_json("bar", "db", {"db.mesh.local"}, {}, {{8000, "tls", "TLS", 0}}),
      "/spec/endpoints",
      R"([{"address": "127.0.0.1", "serviceAccount": "db", "ports": {"tls": )" +
          std::to_string(backend_) + "}}]");
  f_.api().apply(k::kServiceEntries, entry);
  AppUnderTest app(config());
  ASSERT_TRUE(ready(app));
  EXPECT_TRUE(routes_to_backend(app, sni));
  f_.api().apply(k::kServiceEntries, k::with_field(entry, "/spec/location", R"("MESH_EXTERNAL")"));
  EXPECT_TRUE(refused(app, "unknown_service", sni));
}

// Point 5 (pilot/pkg/networking/core/gateway.go, pilot/pkg/model/gateway.go;
// samples/multicluster/expose-services.yaml): with gateway_selector, only a
// Gateway selecting this gateway with an AUTO_PASSTHROUGH server on 15443
// exposes services; deleting it stops the exposure.
TEST_F(KubeIstio, TheGatewayResourceDecidesWhatIsExposed) {
  announce_backend();
  install_gateway_crd();
  config::Config config = this->config();
  config.discovery.kubernetes.gateway_selector = {{"istio", "eastwestgateway"}};
  AppUnderTest app(config);
  ASSERT_TRUE(ready(app));
  EXPECT_TRUE(refused(app, "unknown_service"));
  // One for another gateway's pods exposes nothing here.
  f_.api().apply(k::kGateways,
                 k::gateway_json("istio-system", "ingress", {{"istio", "ingressgateway"}}));
  EXPECT_TRUE(refused(app, "unknown_service"));
  f_.api().apply(k::kGateways, k::gateway_json("istio-system", "cross-network-gateway",
                                               {{"istio", "eastwestgateway"}}));
  EXPECT_TRUE(routes_to_backend(app));
  f_.api().remove(k::kGateways, "istio-system", "cross-network-gateway");
  EXPECT_TRUE(refused(app, "unknown_service"));
}

// Point 10 (pilot/pkg/xds/endpoints/mtls_checker.go): a DestinationRule
// whose TLS mode is not ISTIO_MUTUAL leaves the SNI cluster no endpoint.
TEST_F(KubeIstio, ADestinationRuleTlsModeOtherThanIstioMutualLeavesNoEndpoint) {
  announce_backend();
  AppUnderTest app(config());
  ASSERT_TRUE(ready(app));
  ASSERT_TRUE(routes_to_backend(app));
  f_.api().apply(k::kDestinationRules,
                 k::with_field(k::destination_rule_json("bar", "httpbin", "httpbin", {}),
                               "/spec/trafficPolicy", R"({"tls": {"mode": "SIMPLE"}})"));
  EXPECT_TRUE(refused(app, "no_endpoint"));
}

}  // namespace
}  // namespace meshgate::testing
