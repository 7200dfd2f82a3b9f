// The overlays fed by istiod over xDS (deploy/kubernetes/overlays/istio),
// checked against what istiod checks and what Istio's gateway injection
// template gives a gateway pod
// (manifests/charts/istio-control/istio-discovery/files/gateway-injection-template.yaml):
// the mesh root certificate and a token of audience istio-ca mounted where
// the config reads them, the node's identity from the downward API
// (pilot/pkg/xds/auth.go checks the token's namespace and service account
// against the node's), the labels expose-services.yaml's Gateway selects,
// and no API server token.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/loader.h"
#include "config/overrides.h"
#include "tests/deploy/kustomize_lite.h"
#include "tests/deploy/overlays.h"
#include "tests/deploy/yaml_view.h"
#include "tests/support/app_harness.h"
#include "tests/support/fake_istiod.h"
#include "tests/support/harness.h"
#include "tests/support/tls_client.h"
#include "tests/unit/discovery/xds/xds_builders.h"

namespace meshgate::testing {
namespace {

namespace fs = std::filesystem;
namespace kl = kustomize_lite;
using namespace yaml_view;  // NOLINT(google-build-using-namespace): the tests' reading helpers

const std::string kOverlays = overlays_dir();

struct XdsOverlay {
  std::string name;
  config::Config config;
  YAML::Node pod;        // the Deployment's pod template
  YAML::Node container;  // its container meshgate
};

// Every overlay whose config turns discovery.xds on.
std::vector<XdsOverlay> xds_overlays() {
  std::vector<XdsOverlay> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(kOverlays, ec)) {
    if (!entry.is_directory()) continue;
    const kl::Rendered rendered = kl::render(entry.path().string());
    EXPECT_TRUE(rendered.ok()) << entry.path() << ": " << rendered.error;
    XdsOverlay overlay{entry.path().filename().string(), {}, {}, {}};
    for (const YAML::Node& o : rendered.objects) {
      const std::string kind = str(at(o, "kind"));
      if (kind == "ConfigMap" && str(at(o, {"metadata", "name"})) == "meshgate") {
        const config::LoadResult loaded =
            config::load_config_string(str(at(o, {"data", "meshgate.yaml"})));
        EXPECT_TRUE(loaded.ok()) << overlay.name << ": " << base::describe(loaded.errors);
        if (loaded.ok()) overlay.config = *loaded.config;
      }
      if (kind != "Deployment") continue;
      overlay.pod.reset(at(o, {"spec", "template"}));
      for (const YAML::Node& c : items(at(overlay.pod, {"spec", "containers"}))) {
        if (str(at(c, "name")) == "meshgate") overlay.container.reset(c);
      }
    }
    if (overlay.config.discovery.xds.enabled) out.push_back(overlay);
  }
  return out;
}

// The volume the container mounts at the directory of `file`, and the
// file's name within it; undefined when none.
std::pair<YAML::Node, std::string> volume_holding(const XdsOverlay& overlay,
                                                  const std::string& file) {
  const fs::path path(file);
  for (const YAML::Node& mount : items(at(overlay.container, "volumeMounts"))) {
    if (str(at(mount, "mountPath")) != path.parent_path().string()) continue;
    for (const YAML::Node& volume : items(at(overlay.pod, {"spec", "volumes"}))) {
      if (str(at(volume, "name")) == str(at(mount, "name"))) {
        return {volume, path.filename().string()};
      }
    }
  }
  return {YAML::Node(YAML::NodeType::Undefined), ""};
}

TEST(ManifestsXds, TheIstioOverlayIsFedByIstiod) {
  bool istio = false;
  for (const XdsOverlay& overlay : xds_overlays()) {
    istio = istio || overlay.name == "istio";
    EXPECT_FALSE(overlay.config.discovery.kubernetes.enabled) << overlay.name;
  }
  EXPECT_TRUE(istio) << "overlay istio: discovery.xds not enabled";
}

TEST(ManifestsXds, RootCertificateAndTokenAreMountedWhereTheConfigReadsThem) {
  for (const XdsOverlay& overlay : xds_overlays()) {
    SCOPED_TRACE(overlay.name);
    const config::XdsSource& xds = overlay.config.discovery.xds;
    const auto [root, root_key] = volume_holding(overlay, xds.root_cert);
    EXPECT_EQ(str(at(root, {"configMap", "name"})), "istio-ca-root-cert")
        << "no volume of ConfigMap istio-ca-root-cert at " << xds.root_cert;
    EXPECT_EQ(root_key, "root-cert.pem");
    EXPECT_FALSE(at(root, {"configMap", "items"}).IsDefined());

    const auto [token, token_key] = volume_holding(overlay, xds.token_file);
    bool projected = false;
    for (const YAML::Node& source : items(at(token, {"projected", "sources"}))) {
      const YAML::Node sa_token = at(source, "serviceAccountToken");
      if (str(at(sa_token, "path")) != token_key) continue;
      projected = true;
      // istiod's TokenReview asks for its TOKEN_AUDIENCES, istio-ca by default.
      EXPECT_EQ(str(at(sa_token, "audience")), "istio-ca");
      EXPECT_GT(number(at(sa_token, "expirationSeconds")), 0);
    }
    EXPECT_TRUE(projected) << "no projected serviceAccountToken at " << xds.token_file;
  }
}

TEST(ManifestsXds, TheNodesIdentityComesFromTheDownwardApi) {
  const std::map<std::string, std::string> expected{{"POD_NAME", "metadata.name"},
                                                    {"POD_NAMESPACE", "metadata.namespace"},
                                                    {"INSTANCE_IP", "status.podIP"},
                                                    {"SERVICE_ACCOUNT", "spec.serviceAccountName"}};
  for (const XdsOverlay& overlay : xds_overlays()) {
    SCOPED_TRACE(overlay.name);
    const config::XdsSource& xds = overlay.config.discovery.xds;
    // Written in the config, a value would win over the pod's own.
    EXPECT_EQ(xds.pod_name + xds.pod_namespace + xds.pod_ip + xds.service_account, "");
    std::map<std::string, std::string> env;
    for (const YAML::Node& e : items(at(overlay.container, "env"))) {
      env[str(at(e, "name"))] = str(at(e, {"valueFrom", "fieldRef", "fieldPath"}));
    }
    for (const auto& [name, field] : expected) {
      EXPECT_EQ(env[name], field) << "env " << name;
    }
  }
}

TEST(ManifestsXds, PodsCarryTheLabelsIstiodSelectsAndNoApiServerToken) {
  for (const XdsOverlay& overlay : xds_overlays()) {
    SCOPED_TRACE(overlay.name);
    const auto labels = string_map(at(overlay.pod, {"metadata", "labels"}));
    // samples/multicluster/expose-services.yaml: selector istio: eastwestgateway.
    EXPECT_EQ(labels.count("istio") ? labels.at("istio") : "", "eastwestgateway");
    EXPECT_FALSE(labels.count("topology.istio.io/network") == 0 ||
                 labels.at("topology.istio.io/network").empty());
    // The node's LABELS stand in for the pod's when istiod cannot find it:
    // they must not say something else.
    for (const auto& [key, value] : overlay.config.discovery.xds.labels) {
      EXPECT_EQ(labels.count(key) ? labels.at(key) : "<none>", value) << "label " << key;
    }
    EXPECT_EQ(str(at(overlay.pod, {"spec", "automountServiceAccountToken"})), "false");
  }
}

// ---- The istio overlay's config against a stand-in istiod.

std::string metadata(const envoy::service::discovery::v3::DiscoveryRequest& request,
                     const std::string& key) {
  const auto& fields = request.node().metadata().fields();
  return fields.contains(key) ? fields.at(key).string_value() : "<none>";
}

// The config as the pod runs it: the downward API's values through the
// environment overrides, the mounts at a temporary directory, istiod, the
// listeners and the backend on loopback. Everything else as the overlay
// writes it.
config::Config as_the_pod_runs_it(const XdsOverlay& overlay, const FakeIstiod& istiod,
                                  TempDir& dir) {
  const auto labels = string_map(at(overlay.pod, {"metadata", "labels"}));
  config::Overrides env;
  env.network = labels.at("topology.istio.io/network");
  env.pod_name = "meshgate-7d9f-x2x";
  env.pod_namespace = "istio-system";
  env.pod_ip = "127.0.0.1";
  env.service_account = "meshgate";
  const config::LoadResult loaded =
      config::with_overrides({std::make_shared<const config::Config>(overlay.config), {}}, env);
  EXPECT_TRUE(loaded.ok()) << base::describe(loaded.errors);
  config::Config config = loaded.ok() ? *loaded.config : overlay.config;
  keep_local(config);
  config::XdsSource& xds = config.discovery.xds;
  xds.address = istiod.address();
  xds.server_name = FakeIstiod::kServerName;
  xds.root_cert = dir.write("root-cert.pem", istiod.root_pem());
  xds.token_file = dir.write("istio-token", "projected-token\n");
  return config;
}

TEST(ManifestsXdsGateway, TheIstioOverlayRunsAsWrittenAgainstAStandInIstiod) {
  namespace xds = discovery::xds;
  const std::string sni = "outbound_.8000_._.httpbin.bar.svc.cluster.local";
  std::optional<XdsOverlay> overlay;
  for (XdsOverlay& o : xds_overlays()) {
    if (o.name == "istio") overlay = o;
  }
  ASSERT_TRUE(overlay) << "no overlay istio with discovery.xds";
  TestPki pki;
  Backends backends;
  const uint16_t backend =
      backends.add({"v1", pki.server.cert_pem, pki.server.key_pem, pki.ca.cert_pem, false});
  backends.start();
  FakeIstiod istiod("projected-token");
  TempDir dir;
  AppUnderTest app(as_the_pod_runs_it(*overlay, istiod, dir));

  // The node istiod authorizes (namespace and service account against the
  // token's) and finds the pod by.
  const auto first = istiod.request(0);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->node().id(),
            "router~127.0.0.1~meshgate-7d9f-x2x.istio-system~istio-system.svc.cluster.local");
  EXPECT_EQ(metadata(*first, "NAMESPACE"), "istio-system");
  EXPECT_EQ(metadata(*first, "SERVICE_ACCOUNT"), "meshgate");
  EXPECT_EQ(metadata(*first, "NETWORK"), "network1");
  EXPECT_EQ(metadata(*first, "REQUESTED_NETWORK_VIEW"), "network1");
  EXPECT_EQ(metadata(*first, "CLUSTER_ID"), overlay->config.discovery.xds.cluster_id);
  EXPECT_EQ(first->node()
                .metadata()
                .fields()
                .at("LABELS")
                .struct_value()
                .fields()
                .at("istio")
                .string_value(),
            "eastwestgateway");
  EXPECT_EQ(istiod.authorizations().at(0), "Bearer projected-token");

  EXPECT_EQ(app.get(app::HttpPort::kHealth, "/healthz/ready").status, 503);
  ASSERT_TRUE(istiod.push(xds::testing::response(xds::kClusterType, "1", "c1",
                                                 std::vector{xds::testing::eds_cluster(sni)})));
  ASSERT_TRUE(istiod.push(xds::testing::response(
      xds::kListenerType, "1", "l1",
      std::vector{xds::testing::listener(15443, {xds::testing::passthrough_chain(sni)})})));
  ASSERT_TRUE(istiod.push(xds::testing::response(
      xds::kLoadAssignmentType, "1", "e1",
      std::vector{xds::testing::assignment(sni, {{"127.0.0.1", backend}})})));
  ASSERT_TRUE(
      poll_until([&] { return app.get(app::HttpPort::kHealth, "/healthz/ready").status == 200; },
                 std::chrono::seconds(10)));
  TlsClient tls(app.port(gateway::ListenerKind::kPassthrough), httpbin_client(pki, sni));
  ASSERT_TRUE(tls.handshake_ok()) << tls.error();
  EXPECT_NE(tls.http_get().find("hello from v1"), std::string::npos);
}

}  // namespace
}  // namespace meshgate::testing
