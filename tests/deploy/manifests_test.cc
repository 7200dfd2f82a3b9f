// deploy/kubernetes, rendered overlay by overlay (kustomize_lite), checked
// against the code it deploys: the config it carries loads; every listener
// the config opens to the network is a container port with Istio's name and
// reachable through a LoadBalancer Service, loopback ones are not; the probes
// hit endpoints the real gateway answers; the ClusterRole grants exactly what
// Kubernetes discovery watches, and an overlay fed by istiod over xDS has no
// RBAC at all but the credentials and identity istiod checks; the pods are
// hardened and drain in time.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "config/loader.h"
#include "discovery/kubernetes/kube_source.h"
#include "tests/deploy/kustomize_lite.h"
#include "tests/deploy/overlays.h"
#include "tests/deploy/yaml_view.h"
#include "tests/integration/kube_fixture.h"
#include "tests/support/app_harness.h"
#include "tests/support/harness.h"

namespace meshgate::testing {
namespace {

namespace fs = std::filesystem;
namespace kl = kustomize_lite;

const std::string kOverlays = overlays_dir();
constexpr const char* kNamespace = "istio-system";
constexpr const char* kName = "meshgate";
constexpr const char* kNetworkLabel = "topology.istio.io/network";

using namespace yaml_view;  // NOLINT(google-build-using-namespace): the tests' reading helpers

// Every pair of `subset` is in `labels`, and there is at least one.
bool selects(const std::map<std::string, std::string>& subset,
             const std::map<std::string, std::string>& labels) {
  return !subset.empty() && std::all_of(subset.begin(), subset.end(), [&](const auto& pair) {
    const auto it = labels.find(pair.first);
    return it != labels.end() && it->second == pair.second;
  });
}

bool loopback(const std::string& address) {
  return address.rfind("127.", 0) == 0 || address == "::1";
}

std::string protocol_of(const YAML::Node& port) {
  return str(at(port, "protocol")).empty() ? "TCP" : str(at(port, "protocol"));
}

std::vector<std::string> overlay_names() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(kOverlays, ec)) {
    if (entry.is_directory()) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// ---- One rendered overlay.

class Manifests : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    rendered_ = kl::render(kOverlays + GetParam());
    ASSERT_TRUE(rendered_.ok()) << GetParam() << ": " << rendered_.error;
    const std::string text = str(at(object("ConfigMap", kName), {"data", "meshgate.yaml"}));
    ASSERT_FALSE(text.empty()) << "ConfigMap meshgate: no data key meshgate.yaml";
    const config::LoadResult loaded = config::load_config_string(text);
    for (const auto& e : loaded.errors)
      ADD_FAILURE() << base::format_error("meshgate.yaml", e);
    ASSERT_TRUE(loaded.ok());
    config_ = *loaded.config;
  }

  // Every overlay but single-network stands for one network of several (the
  // istio overlay as Istio's east-west gateway does).
  bool multi_network() const { return GetParam() != "single-network"; }
  bool kubernetes() const { return config_.discovery.kubernetes.enabled; }
  bool xds() const { return config_.discovery.xds.enabled; }
  bool separate_dns() const { return GetParam().find("separate-dns") != std::string::npos; }

  // The one object of `kind` named `name`; undefined (and a failure) if not exactly one.
  YAML::Node object(const std::string& kind, const std::string& name) const {
    YAML::Node found(YAML::NodeType::Undefined);
    int count = 0;
    for (const YAML::Node& o : rendered_.objects) {
      if (str(at(o, "kind")) == kind && str(at(at(o, "metadata"), "name")) == name) {
        found.reset(o);
        ++count;
      }
    }
    EXPECT_EQ(count, 1) << GetParam() << ": " << kind << "/" << name;
    return found;
  }

  // Service meshgate and the DNS Services (meshgate-dns*).
  std::vector<YAML::Node> services() const {
    std::vector<YAML::Node> out;
    for (const YAML::Node& o : rendered_.objects) {
      const std::string name = str(at(at(o, "metadata"), "name"));
      if (str(at(o, "kind")) == "Service" &&
          (name == kName || name.rfind("meshgate-dns", 0) == 0)) {
        out.push_back(o);
      }
    }
    return out;
  }

  YAML::Node deployment() const { return object("Deployment", kName); }
  YAML::Node pod() const { return at(deployment(), {"spec", "template"}); }
  std::map<std::string, std::string> pod_labels() const {
    return string_map(at(pod(), {"metadata", "labels"}));
  }
  YAML::Node container() const {
    for (const YAML::Node& c : items(at(pod(), {"spec", "containers"}))) {
      if (str(at(c, "name")) == kName) return c;
    }
    ADD_FAILURE() << "Deployment meshgate: no container meshgate";
    return YAML::Node(YAML::NodeType::Undefined);
  }

  // The container port `target` (a number or a name) with `protocol`.
  YAML::Node container_port(const YAML::Node& target, const std::string& protocol) const {
    for (const YAML::Node& p : items(at(container(), "ports"))) {
      const bool same =
          str(target) == str(at(p, "name")) || number(target) == number(at(p, "containerPort"));
      if (same && protocol_of(p) == protocol) return p;
    }
    return YAML::Node(YAML::NodeType::Undefined);
  }

  kl::Rendered rendered_;
  config::Config config_;
};

// ---- Listeners and ports.

struct ListenerPort {
  const char* listener;
  config::Listener address;
  std::vector<std::pair<std::string, std::string>> ports;  // Istio name, protocol
};

std::vector<ListenerPort> listener_ports(const config::Config& c) {
  const config::Listeners& l = c.listeners;
  std::vector<ListenerPort> out{
      {"health", l.health, {{"status-port", "TCP"}}},
      {"passthrough", l.passthrough, {{"tls", "TCP"}}},
      {"istiod", l.istiod, {{"tls-istiod", "TCP"}}},
      {"webhook", l.webhook, {{"tls-webhook", "TCP"}}},
      {"metrics", l.metrics, {{"http-envoy-prom", "TCP"}}},
      {"admin", l.admin, {}},
  };
  if (c.dns.enabled) out.push_back({"dns", l.dns, {{"dns-udp", "UDP"}, {"dns-tcp", "TCP"}}});
  if (c.dns.enabled && c.dns.grpc) out.push_back({"dns_grpc", l.dns_grpc, {}});
  return out;
}

TEST_P(Manifests, HasTheObjectsOfFixedNames) {
  for (const auto& [kind, name] :
       std::vector<std::pair<std::string, std::string>>{{"ServiceAccount", kName},
                                                        {"ConfigMap", kName},
                                                        {"Deployment", kName},
                                                        {"Service", kName},
                                                        {"PodDisruptionBudget", kName},
                                                        {"HorizontalPodAutoscaler", kName}}) {
    EXPECT_EQ(str(at(object(kind, name), {"metadata", "namespace"})), kNamespace) << kind;
  }
  if (kubernetes()) {
    for (const char* kind : {"ClusterRole", "ClusterRoleBinding"}) {
      EXPECT_FALSE(at(object(kind, "meshgate-discovery"), {"metadata", "namespace"}).IsDefined());
    }
  }
  EXPECT_NE(kubernetes(), xds()) << "the config takes routes from exactly one of the two";
  if (separate_dns()) {
    EXPECT_GE(services().size(), 2u) << "no meshgate-dns* Service";
  }
}

TEST_P(Manifests, NetworkListenersAreContainerPortsLoopbackOnesAreNot) {
  for (const ListenerPort& l : listener_ports(config_)) {
    SCOPED_TRACE(std::string("listener ") + l.listener);
    for (const YAML::Node& p : items(at(container(), "ports"))) {
      if (loopback(l.address.address)) {
        EXPECT_NE(number(at(p, "containerPort")), l.address.port) << "port " << str(at(p, "name"));
      }
    }
    if (loopback(l.address.address)) continue;
    EXPECT_FALSE(l.ports.empty()) << "listens beyond loopback by default";
    for (const auto& [name, protocol] : l.ports) {
      const YAML::Node port = container_port(YAML::Node(name), protocol);
      EXPECT_EQ(number(at(port, "containerPort")), l.address.port) << name << "/" << protocol;
    }
  }
}

TEST_P(Manifests, EveryContainerPortIsAListener) {
  std::set<int> listening;
  for (const ListenerPort& l : listener_ports(config_)) {
    if (!loopback(l.address.address)) listening.insert(l.address.port);
  }
  for (const YAML::Node& p : items(at(container(), "ports"))) {
    EXPECT_TRUE(listening.contains(number(at(p, "containerPort"))))
        << "container port " << str(at(p, "name")) << " " << number(at(p, "containerPort"));
  }
}

TEST_P(Manifests, ServicesAreLoadBalancersOntoContainerPorts) {
  for (const YAML::Node& service : services()) {
    const std::string name = str(at(at(service, "metadata"), "name"));
    EXPECT_EQ(str(at(service, {"spec", "type"})), "LoadBalancer") << "Service " << name;
    EXPECT_TRUE(selects(string_map(at(service, {"spec", "selector"})), pod_labels()))
        << "Service " << name << ": selector does not select the pod template's labels";
    std::set<std::string> protocols;
    for (const YAML::Node& port : items(at(service, {"spec", "ports"}))) {
      const YAML::Node target = at(port, "targetPort") ? at(port, "targetPort") : at(port, "port");
      EXPECT_TRUE(container_port(target, protocol_of(port)).IsDefined())
          << "Service " << name << " port " << str(at(port, "name")) << ": targetPort "
          << str(target) << "/" << protocol_of(port) << " is no container port";
      protocols.insert(protocol_of(port));
    }
    // The component exists for load balancers that cannot mix protocols.
    if (separate_dns()) {
      EXPECT_EQ(protocols.size(), 1u) << "Service " << name;
    }
  }
}

TEST_P(Manifests, ServicesCarryIstiosPortsAndDns) {
  std::set<std::tuple<std::string, int, std::string>> main_ports;
  for (const YAML::Node& port : items(at(object("Service", kName), {"spec", "ports"}))) {
    main_ports.insert({str(at(port, "name")), number(at(port, "port")), protocol_of(port)});
  }
  for (const auto& expected :
       std::vector<std::tuple<std::string, int, std::string>>{{"status-port", 15021, "TCP"},
                                                              {"tls", 15443, "TCP"},
                                                              {"tls-istiod", 15012, "TCP"},
                                                              {"tls-webhook", 15017, "TCP"}}) {
    EXPECT_TRUE(main_ports.contains(expected))
        << "Service meshgate: no port " << std::get<0>(expected);
  }
  for (const char* protocol : {"UDP", "TCP"}) {
    bool found = false;
    for (const YAML::Node& service : services()) {
      for (const YAML::Node& port : items(at(service, {"spec", "ports"}))) {
        if (number(at(port, "port")) != 53 || protocol_of(port) != protocol) continue;
        const YAML::Node target =
            at(port, "targetPort") ? at(port, "targetPort") : at(port, "port");
        const YAML::Node reached = container_port(target, protocol);
        found = found || number(at(reached, "containerPort")) == config_.listeners.dns.port;
      }
    }
    EXPECT_TRUE(found) << "no Service port 53/" << protocol << " onto the DNS listener";
  }
}

TEST_P(Manifests, NetworkLabelOnlyWhereIstiodLooksForIt) {
  const std::string network =
      str(at(object("Service", kName), {"metadata", "labels", kNetworkLabel}));
  EXPECT_EQ(network, pod_labels()[kNetworkLabel]) << "Service meshgate vs. pod template";
  EXPECT_EQ(!network.empty(), multi_network()) << "Service meshgate: " << kNetworkLabel;
  for (const YAML::Node& service : services()) {
    if (str(at(at(service, "metadata"), "name")) == kName) continue;
    // istiod takes a Service with the label for the network's gateway.
    EXPECT_FALSE(at(service, {"metadata", "labels", kNetworkLabel}).IsDefined())
        << "Service " << str(at(at(service, "metadata"), "name"));
  }
  bool env = false;
  for (const YAML::Node& e : items(at(container(), "env"))) {
    if (str(at(e, "name")) != "MESHGATE_NETWORK") continue;
    env = true;
    EXPECT_EQ(str(at(e, {"valueFrom", "fieldRef", "fieldPath"})),
              "metadata.labels['topology.istio.io/network']");
  }
  EXPECT_TRUE(env || !multi_network()) << "container meshgate: no env MESHGATE_NETWORK";
}

TEST_P(Manifests, ProbesAskTheHealthListener) {
  for (const char* probe : {"readinessProbe", "livenessProbe"}) {
    const YAML::Node get = at(container(), {probe, "httpGet"});
    ASSERT_TRUE(get.IsDefined()) << "container meshgate: no " << probe << ".httpGet";
    EXPECT_EQ(str(at(get, "path")).rfind('/', 0), 0u) << probe << ".httpGet.path";
    const bool by_number = number(at(get, "port")) == config_.listeners.health.port;
    const bool by_name = str(at(get, "port")) == "status-port" &&
                         number(at(container_port(at(get, "port"), "TCP"), "containerPort")) ==
                             config_.listeners.health.port;
    EXPECT_TRUE(by_number || by_name) << probe << ".httpGet.port " << str(at(get, "port"));
    EXPECT_TRUE(str(at(get, "scheme")).empty() || str(at(get, "scheme")) == "HTTP") << probe;
  }
}

// ---- RBAC.

using Grant = std::tuple<std::string, std::string, std::string>;  // group, resource, verb

std::set<Grant> watched_grants(bool istio, bool gateways) {
  std::set<Grant> out;
  for (const std::string& path : discovery::kube::watched_collections(istio, gateways)) {
    // "/api/v1/services" (core) or "/apis/<group>/<version>/<resource>".
    const std::string resource = path.substr(path.rfind('/') + 1);
    std::string group;
    if (path.rfind("/apis/", 0) == 0) group = path.substr(6, path.find('/', 6) - 6);
    for (const char* verb : {"list", "watch"})
      out.insert({group, resource, verb});
  }
  return out;
}

TEST_P(Manifests, RbacOnlyWhereDiscoveryReadsTheCluster) {
  std::set<std::string> rbac;
  for (const YAML::Node& o : rendered_.objects) {
    const std::string kind = str(at(o, "kind"));
    if (kind == "ClusterRole" || kind == "ClusterRoleBinding" || kind == "Role" ||
        kind == "RoleBinding") {
      rbac.insert(kind + "/" + str(at(o, {"metadata", "name"})));
    }
  }
  const std::set<std::string> expected =
      kubernetes() ? std::set<std::string>{"ClusterRole/meshgate-discovery",
                                           "ClusterRoleBinding/meshgate-discovery"}
                   : std::set<std::string>{};
  EXPECT_EQ(rbac, expected);
}

TEST_P(Manifests, ClusterRoleGrantsExactlyWhatDiscoveryWatches) {
  if (!kubernetes()) GTEST_SKIP() << "no Kubernetes discovery, no ClusterRole";
  std::set<Grant> granted;
  for (const YAML::Node& rule : items(at(object("ClusterRole", "meshgate-discovery"), "rules"))) {
    EXPECT_FALSE(at(rule, "resourceNames").IsDefined()) << "a rule with resourceNames";
    EXPECT_FALSE(at(rule, "nonResourceURLs").IsDefined()) << "a rule with nonResourceURLs";
    for (const YAML::Node& group : items(at(rule, "apiGroups"))) {
      for (const YAML::Node& resource : items(at(rule, "resources"))) {
        for (const YAML::Node& verb : items(at(rule, "verbs"))) {
          granted.insert({str(group), str(resource), str(verb)});
        }
      }
    }
  }
  EXPECT_EQ(granted, watched_grants(config_.discovery.kubernetes.istio_resources,
                                    !config_.discovery.kubernetes.gateway_selector.empty()));
}

TEST_P(Manifests, ClusterRoleBindingNamesThePodsServiceAccount) {
  if (!kubernetes()) GTEST_SKIP() << "no Kubernetes discovery, no ClusterRoleBinding";
  const YAML::Node binding = object("ClusterRoleBinding", "meshgate-discovery");
  EXPECT_EQ(str(at(binding, {"roleRef", "kind"})), "ClusterRole");
  EXPECT_EQ(str(at(binding, {"roleRef", "name"})), "meshgate-discovery");
  EXPECT_EQ(str(at(binding, {"roleRef", "apiGroup"})), "rbac.authorization.k8s.io");
  const std::string account = str(at(pod(), {"spec", "serviceAccountName"}));
  const std::string ns = str(at(deployment(), {"metadata", "namespace"}));
  object("ServiceAccount", account);
  bool bound = false;
  for (const YAML::Node& subject : items(at(binding, "subjects"))) {
    bound = bound || (str(at(subject, "kind")) == "ServiceAccount" &&
                      str(at(subject, "name")) == account && str(at(subject, "namespace")) == ns);
  }
  EXPECT_TRUE(bound) << "ClusterRoleBinding meshgate-discovery: no subject ServiceAccount "
                     << account << " in " << ns;
}

// ---- The Deployment.

TEST_P(Manifests, DeploymentSurvivesNodeLossAndDrainsInTime) {
  EXPECT_GE(number(at(deployment(), {"spec", "replicas"})), 2) << "Deployment spec.replicas";
  const auto drain = config_.timeouts.drain_delay + config_.timeouts.drain;
  EXPECT_GT(number(at(pod(), {"spec", "terminationGracePeriodSeconds"})) * 1000, drain.count())
      << "terminationGracePeriodSeconds vs. timeouts.drain_delay + timeouts.drain";
  const YAML::Node anti = at(pod(), {"spec", "affinity", "podAntiAffinity"});
  bool spread = false;
  for (const YAML::Node& term :
       items(at(anti, "preferredDuringSchedulingIgnoredDuringExecution"))) {
    spread =
        spread || str(at(term, {"podAffinityTerm", "topologyKey"})) == "kubernetes.io/hostname";
  }
  for (const YAML::Node& term : items(at(anti, "requiredDuringSchedulingIgnoredDuringExecution"))) {
    spread = spread || str(at(term, "topologyKey")) == "kubernetes.io/hostname";
  }
  EXPECT_TRUE(spread) << "pod spec.affinity.podAntiAffinity: no term on kubernetes.io/hostname";
}

TEST_P(Manifests, PodRunsUnprivileged) {
  const YAML::Node pod_security = at(pod(), {"spec", "securityContext"});
  EXPECT_EQ(str(at(pod_security, "runAsNonRoot")), "true") << "pod securityContext.runAsNonRoot";
  EXPECT_GT(number(at(pod_security, "runAsUser")), 0) << "pod securityContext.runAsUser";
  const YAML::Node security = at(container(), "securityContext");
  EXPECT_EQ(str(at(security, "readOnlyRootFilesystem")), "true")
      << "container readOnlyRootFilesystem";
  EXPECT_EQ(str(at(security, "allowPrivilegeEscalation")), "false") << "allowPrivilegeEscalation";
  bool drop_all = false;
  for (const YAML::Node& c : items(at(security, {"capabilities", "drop"}))) {
    drop_all = drop_all || str(c) == "ALL";
  }
  EXPECT_TRUE(drop_all) << "container securityContext.capabilities.drop lacks ALL";
  EXPECT_FALSE(at(security, {"capabilities", "add"}).IsDefined()) << "capabilities.add";
  const YAML::Node resources = at(container(), "resources");
  EXPECT_FALSE(string_map(at(resources, "requests")).empty()) << "container resources.requests";
  EXPECT_FALSE(str(at(resources, {"limits", "memory"})).empty()) << "resources.limits.memory";
}

TEST_P(Manifests, ConfigMapIsMountedWhereTheConfigArgumentPoints) {
  std::string path;
  const auto args = items(at(container(), "args"));
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (str(args[i]) == "--config" && i + 1 < args.size()) path = str(args[i + 1]);
    if (str(args[i]).rfind("--config=", 0) == 0) path = str(args[i]).substr(9);
  }
  ASSERT_FALSE(path.empty()) << "container meshgate: no --config argument";
  std::string volume;
  for (const YAML::Node& v : items(at(pod(), {"spec", "volumes"}))) {
    if (str(at(v, {"configMap", "name"})) == kName) volume = str(at(v, "name"));
    EXPECT_FALSE(at(v, {"configMap", "items"}).IsDefined()) << "volume " << str(at(v, "name"));
  }
  ASSERT_FALSE(volume.empty()) << "no volume of ConfigMap meshgate";
  std::string mount;
  for (const YAML::Node& m : items(at(container(), "volumeMounts"))) {
    if (str(at(m, "name")) == volume) mount = str(at(m, "mountPath"));
  }
  EXPECT_EQ(mount, fs::path(path).parent_path().string()) << "mount of volume " << volume;
  const auto data = string_map(at(object("ConfigMap", kName), "data"));
  EXPECT_TRUE(data.contains(fs::path(path).filename().string()))
      << "ConfigMap meshgate has no key " << fs::path(path).filename();
}

TEST_P(Manifests, DisruptionBudgetAndAutoscalerKeepTwoPods) {
  const YAML::Node pdb = object("PodDisruptionBudget", kName);
  EXPECT_TRUE(selects(string_map(at(pdb, {"spec", "selector", "matchLabels"})), pod_labels()))
      << "PodDisruptionBudget selector";
  EXPECT_TRUE(number(at(pdb, {"spec", "minAvailable"})) >= 1 ||
              at(pdb, {"spec", "maxUnavailable"}).IsDefined())
      << "PodDisruptionBudget: neither minAvailable >= 1 nor maxUnavailable";
  const YAML::Node hpa = object("HorizontalPodAutoscaler", kName);
  EXPECT_EQ(str(at(hpa, {"spec", "scaleTargetRef", "kind"})), "Deployment");
  EXPECT_EQ(str(at(hpa, {"spec", "scaleTargetRef", "name"})), kName);
  EXPECT_GE(number(at(hpa, {"spec", "minReplicas"})), 2) << "HPA minReplicas";
  EXPECT_GE(number(at(hpa, {"spec", "maxReplicas"})), number(at(hpa, {"spec", "minReplicas"})));
}

std::string test_name(const ::testing::TestParamInfo<std::string>& param) {
  std::string name = param.param;
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

INSTANTIATE_TEST_SUITE_P(Overlays, Manifests, ::testing::ValuesIn(overlay_names()), test_name);

TEST(ManifestOverlays, TheFourOverlaysExist) {
  const auto names = overlay_names();
  for (const char* expected :
       {"single-network", "multi-network", "multi-network-separate-dns", "istio"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), expected), names.end()) << expected;
  }
}

// ---- The probes against the real gateway.

TEST(ManifestProbes, TheGatewayAnswersTheDeploymentsProbes) {
  const kl::Rendered r = kl::render(kOverlays + "multi-network");
  ASSERT_TRUE(r.ok()) << r.error;
  std::string text;
  YAML::Node container(YAML::NodeType::Undefined);
  for (const YAML::Node& o : r.objects) {
    if (str(at(o, "kind")) == "ConfigMap") text = str(at(o, {"data", "meshgate.yaml"}));
    if (str(at(o, "kind")) != "Deployment") continue;
    for (const YAML::Node& c : items(at(o, {"spec", "template", "spec", "containers"}))) {
      if (str(at(c, "name")) == kName) container.reset(c);
    }
  }
  const config::LoadResult loaded = config::load_config_string(text);
  ASSERT_TRUE(loaded.ok());
  config::Config config = *loaded.config;
  keep_local(config);
  KubeFixture fixture;
  TempDir dir;
  config.discovery.kubernetes.kubeconfig = dir.write("kubeconfig", fixture.kubeconfig_yaml());
  AppUnderTest app(config);
  for (const char* probe : {"readinessProbe", "livenessProbe"}) {
    const std::string path = str(at(container, {probe, "httpGet", "path"}));
    ASSERT_FALSE(path.empty()) << probe;
    EXPECT_TRUE(poll_until([&] { return app.get(app::HttpPort::kHealth, path).status == 200; },
                           std::chrono::seconds(10)))
        << probe << " " << path << ": " << app.get(app::HttpPort::kHealth, path).status;
  }
}

}  // namespace
}  // namespace meshgate::testing
