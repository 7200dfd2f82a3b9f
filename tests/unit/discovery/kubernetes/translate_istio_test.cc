// What istiod decides for its east-west gateway, pinned case by case against
// Istio's source (1.32-dev, commit 86c9f01f): each test names the file whose
// behaviour it follows.
#include <gtest/gtest.h>

#include "discovery/kubernetes/translate.h"
#include "tests/unit/discovery/kubernetes/translate_fixture.h"

namespace meshgate::discovery::kube {
namespace {

using namespace testing;  // NOLINT: the shared objects and fixture

constexpr const char* kTlsMode = "security.istio.io/tlsMode";

std::vector<std::string> names_of(const SourceState& out) {
  std::vector<std::string> names;
  for (const DService& s : out.services)
    names.push_back(s.ns + "/" + s.name);
  return names;
}

ServiceEntry service_entry(std::string ns, std::string name, std::vector<std::string> hosts,
                           std::vector<IstioPort> ports, std::string location = "MESH_INTERNAL") {
  ServiceEntry se;
  se.meta = meta(std::move(ns), std::move(name));
  se.hosts = std::move(hosts);
  se.ports = std::move(ports);
  se.location = std::move(location);
  se.resolution = "STATIC";
  return se;
}

WorkloadEntrySpec inline_endpoint(std::string address, Labels labels,
                                  std::map<std::string, uint32_t> ports = {}) {
  WorkloadEntrySpec spec;
  spec.address = std::move(address);
  spec.labels = std::move(labels);
  spec.ports = std::move(ports);
  return spec;
}

DestinationRule rule(std::string ns, std::string name, std::string host,
                     std::vector<std::string> subsets, std::vector<std::string> export_to = {}) {
  DestinationRule dr;
  dr.meta = meta(std::move(ns), std::move(name));
  dr.host = std::move(host);
  for (std::string& subset : subsets)
    dr.subsets.push_back(Subset{subset, {{"version", subset}}, {}});
  dr.export_to = std::move(export_to);
  return dr;
}

std::vector<std::string> subset_names(const DService& s) {
  std::vector<std::string> names;
  for (const discovery::Subset& subset : s.subsets)
    names.push_back(subset.name);
  return names;
}

// ---- 1. Istio mTLS of a WorkloadEntry (serviceentry/conversion.go
// getTLSModeFromWorkloadEntry): the tlsMode label, else "istio" with a
// serviceAccount, else disabled.

TEST_F(Translate, AWorkloadEntryWithAServiceAccountSpeaksIstioMtls) {
  WorkloadEntry vm = workload_entry("bar", "vm-sa", "192.168.10.5", {{"app", "httpbin"}});
  vm.spec.service_account = "httpbin-vm";
  add_we(vm);
  WorkloadEntry labelled =
      workload_entry("bar", "vm-off", "192.168.10.6", {{"app", "httpbin"}, {kTlsMode, "disabled"}});
  labelled.spec.service_account = "httpbin-vm";
  add_we(labelled);
  add_we(workload_entry("bar", "vm-bare", "192.168.10.7", {{"app", "httpbin"}}));
  const auto s = find("bar", "httpbin");
  ASSERT_TRUE(s);
  EXPECT_TRUE(endpoint(*s, "192.168.10.5")->mtls_capable);
  EXPECT_FALSE(endpoint(*s, "192.168.10.6")->mtls_capable);  // the label wins
  EXPECT_FALSE(endpoint(*s, "192.168.10.7")->mtls_capable);
}

// ---- 2. exportTo (model/push_context.go serviceExportTo, IsServiceVisible;
// kube/conversion.go ConvertService): the gateway, in istio-system, sees
// what is exported to istio-system.

TEST_F(Translate, AServiceIsRoutedOnlyWhenExportedToTheGatewaysNamespace) {
  struct Case {
    const char* annotation;
    bool visible;
  };
  for (const Case& c :
       {Case{"", true}, Case{"*", true}, Case{".", false}, Case{"~", false}, Case{"bar", false},
        Case{"istio-system", true}, Case{" foo , istio-system ", true}, Case{"~,*", true},
        Case{"~,istio-system", false}}) {
    state_.services["bar/httpbin"].export_to = c.annotation;
    EXPECT_EQ(find("bar", "httpbin").has_value(), c.visible) << "exportTo '" << c.annotation << "'";
  }
  // "." in the gateway's own namespace is visible to it.
  state_.services["bar/httpbin"].export_to = ".";
  options_.gateway_namespace = "bar";
  EXPECT_TRUE(find("bar", "httpbin").has_value());
}

TEST_F(Translate, AServiceEntryIsRoutedOnlyWhenExportedToTheGatewaysNamespace) {
  ServiceEntry se = service_entry("foo", "db", {"db.internal.local"}, {{5432, "TCP", "tcp", 0}});
  se.endpoints = {inline_endpoint("10.5.0.1", {{kTlsMode, "istio"}})};
  se.export_to = {"."};
  add_se(se);
  EXPECT_FALSE(find("foo", "db.internal.local"));
  state_.service_entries["foo/db"].export_to = {"istio-system"};
  EXPECT_TRUE(find("foo", "db.internal.local"));
}

// ---- 3. MESH_INTERNAL ServiceEntries get SNI clusters
// (networking/core/cluster.go buildOutboundSniDnatClusters skips only
// MeshExternal, the API's default location).

TEST_F(Translate, AMeshInternalServiceEntryIsRoutable) {
  ServiceEntry se = service_entry("foo", "db", {"db.internal.local", "*.wild.local"},
                                  {{5432, "TCP", "tcp", 0}, {53, "UDP", "dns", 0}});
  se.endpoints = {inline_endpoint("10.5.0.1", {{kTlsMode, "istio"}}),
                  inline_endpoint("db.example.com", {{kTlsMode, "istio"}})};
  add_se(se);
  add_se(service_entry("foo", "ext", {"api.external.local"}, {{443, "TLS", "https", 0}},
                       "MESH_EXTERNAL"));
  const SourceState out = run();
  EXPECT_EQ(names_of(out), (std::vector<std::string>{"bar/httpbin", "foo/db.internal.local"}));
  const DService& db = out.services[1];
  EXPECT_EQ(db.host, "db.internal.local");
  EXPECT_EQ(db.ports, (std::vector<discovery::ServicePort>{{"tcp", 5432, 0}}));  // no UDP
  ASSERT_EQ(db.endpoints.size(), 1u);  // a host name is never dialled
  EXPECT_EQ(db.endpoints[0].address, "10.5.0.1");
  EXPECT_EQ(discovery::endpoint_port(db.endpoints[0], db.ports[0]), 5432);
  EXPECT_TRUE(db.endpoints[0].mtls_capable);
  // Its hosts are DNS aliases too, as before.
  ASSERT_EQ(out.aliases.size(), 3u);
}

// serviceentry/conversion.go convertWorkloadInstanceToServiceInstance: the
// entry's ports[name], else targetPort, else the number; never skipped.
TEST_F(Translate, AServiceEntryEndpointsPortIsByNameThenTargetPortThenNumber) {
  ServiceEntry se = service_entry("foo", "web", {"web.internal.local"},
                                  {{443, "TLS", "https", 8443}, {9000, "TCP", "admin", 0}});
  se.endpoints = {inline_endpoint("10.5.0.1", {}, {{"https", 9443}}),
                  inline_endpoint("10.5.0.2", {})};
  add_se(se);
  const auto s = find("foo", "web.internal.local");
  ASSERT_TRUE(s);
  EXPECT_EQ(discovery::endpoint_port(*endpoint(*s, "10.5.0.1"), s->ports[0]), 9443);
  EXPECT_EQ(discovery::endpoint_port(*endpoint(*s, "10.5.0.2"), s->ports[0]), 8443);
  EXPECT_EQ(discovery::endpoint_port(*endpoint(*s, "10.5.0.2"), s->ports[1]), 9000);
}

// serviceentry/conversion.go convertServiceEntryToInstances: with a
// workloadSelector the inline endpoints are ignored; WorkloadEntries and
// running Pods of the entry's namespace are picked by their labels.
TEST_F(Translate, AServiceEntryWorkloadSelectorPicksEntriesAndPodsOfItsNamespace) {
  ServiceEntry se = service_entry("bar", "vms", {"vms.internal.local"}, {{80, "HTTP", "http", 0}});
  se.workload_selector = Labels{{"app", "httpbin"}, {"version", "v1"}};
  se.endpoints = {inline_endpoint("10.9.9.9", {{"app", "httpbin"}})};
  add_se(se);
  WorkloadEntry vm =
      workload_entry("bar", "vm-1", "192.168.10.5", {{"app", "httpbin"}, {"version", "v1"}});
  vm.spec.ports = {{"http", 8080}};
  vm.spec.service_account = "httpbin";
  add_we(vm);
  add_we(workload_entry("foo", "vm-2", "192.168.10.6", {{"app", "httpbin"}, {"version", "v1"}}));
  Pod p = pod("bar", "httpbin-v1-extra", "10.1.0.60", httpbin_labels("v1"));
  p.named_ports = {{"http", 8081}};
  add_pod(p);
  const auto s = find("bar", "vms.internal.local");
  ASSERT_TRUE(s);
  std::vector<std::string> got = addresses(*s);
  std::sort(got.begin(), got.end());
  // 10.1.0.13 (v1) is not ready: not picked (kube/controller/pod.go).
  EXPECT_EQ(got, (std::vector<std::string>{"10.1.0.11", "10.1.0.60", "192.168.10.5"}));
  EXPECT_EQ(discovery::endpoint_port(*endpoint(*s, "192.168.10.5"), s->ports[0]), 8080);
  EXPECT_EQ(discovery::endpoint_port(*endpoint(*s, "10.1.0.60"), s->ports[0]), 8081);
  EXPECT_EQ(discovery::endpoint_port(*endpoint(*s, "10.1.0.11"), s->ports[0]), 80);
}

TEST_F(Translate, ServiceEntriesForOneHostMergeInOneNamespaceTheOldestNamespaceWins) {
  ServiceEntry a = service_entry("foo", "a", {"db.internal.local"}, {{5432, "TCP", "tcp", 0}});
  a.meta.creation_timestamp = "2026-01-01T00:00:00Z";
  a.endpoints = {inline_endpoint("10.5.0.1", {})};
  ServiceEntry b = a;
  b.meta.name = "b";
  b.endpoints = {inline_endpoint("10.5.0.2", {})};
  ServiceEntry c = a;
  c.meta.ns = "zzz";
  c.meta.creation_timestamp = "2026-02-01T00:00:00Z";
  c.endpoints = {inline_endpoint("10.5.0.3", {})};
  add_se(a);
  add_se(b);
  add_se(c);
  const SourceState out = run();
  EXPECT_EQ(names_of(out), (std::vector<std::string>{"bar/httpbin", "foo/db.internal.local"}));
  EXPECT_EQ(addresses(out.services[1]), (std::vector<std::string>{"10.5.0.1", "10.5.0.2"}));
}

// model/sidecar.go appendSidecarServices: a Kubernetes Service replaces
// another registry's service of the same host.
TEST_F(Translate, AServiceEntryForAKubernetesServicesHostLeavesTheServiceAlone) {
  ServiceEntry se =
      service_entry("bar", "shadow", {"httpbin.bar.svc.cluster.local"}, {{8000, "TLS", "tls", 0}});
  se.endpoints = {inline_endpoint("10.5.0.9", {})};
  add_se(se);
  EXPECT_EQ(names_of(run()), std::vector<std::string>{"bar/httpbin"});
}

// ---- 4. Ports by name (xds/endpoints/endpoint_builder.go
// BuildClusterLoadAssignment matches ServicePortName exactly, "" too).

TEST_F(Translate, AnUnnamedServicePortUsesTheSlicesUnnamedPort) {
  Service web = httpbin_service();
  web.meta.name = "web";
  web.ports = {ServicePort{"", "TCP", 80, 0, "web"}};
  add_service(web);
  EndpointSlice s = slice("bar", "web-1", "web", {slice_endpoint("10.1.0.70", std::nullopt)});
  s.ports = {SlicePort{"", "TCP", 8080}};
  add_slice(s);
  const auto svc = find("bar", "web");
  ASSERT_TRUE(svc);
  ASSERT_EQ(svc->endpoints.size(), 1u);
  EXPECT_EQ(discovery::endpoint_port(svc->endpoints[0], svc->ports[0]), 8080);
}

// kube/controller/util.go findServiceTargetPort: a numeric targetPort is
// the port unless the entry names the service port; a named one must be
// among the entry's ports, or the entry does not serve that port.
TEST_F(Translate, AWorkloadEntryBehindANamedTargetPortServesItOnlyWhenItListsIt) {
  WorkloadEntry vm = workload_entry("bar", "vm-1", "192.168.10.5", {{"app", "httpbin"}});
  vm.spec.ports = {{"http-web", 9090}};
  add_we(vm);
  WorkloadEntry plain = workload_entry("bar", "vm-2", "192.168.10.6", {{"app", "httpbin"}});
  add_we(plain);
  WorkloadEntry named = workload_entry("bar", "vm-3", "192.168.10.7", {{"app", "httpbin"}});
  named.spec.ports = {{"tls", 7443}};
  add_we(named);
  const auto s = find("bar", "httpbin");
  ASSERT_TRUE(s);
  EXPECT_EQ(discovery::endpoint_port(*endpoint(*s, "192.168.10.5"), s->ports[0]), 9090);
  EXPECT_FALSE(discovery::endpoint_port(*endpoint(*s, "192.168.10.6"), s->ports[0]));
  EXPECT_EQ(discovery::endpoint_port(*endpoint(*s, "192.168.10.6"), s->ports[1]), 9443);
  EXPECT_EQ(discovery::endpoint_port(*endpoint(*s, "192.168.10.7"), s->ports[1]), 7443);
}

// ---- 6. Which DestinationRule (model/push_context.go destinationRule).

TEST_F(Translate, TheServicesNamespaceRuleComesBeforeTheRootNamespaces) {
  add_dr(rule("bar", "a", "httpbin", {"a"}));
  add_dr(rule("istio-system", "b", "*.local", {"b"}));
  EXPECT_EQ(subset_names(*find("bar", "httpbin")), std::vector<std::string>{"a"});
  // Private to bar: the gateway cannot see it; the root's exported one applies.
  state_.destination_rules["bar/a"].export_to = {"."};
  EXPECT_EQ(subset_names(*find("bar", "httpbin")), std::vector<std::string>{"b"});
}

TEST_F(Translate, ARootNamespacePrivateRuleComesFirstForAGatewayInTheRoot) {
  add_dr(rule("bar", "a", "httpbin", {"a"}));
  add_dr(rule("istio-system", "b", "*.local", {"b"}, {"."}));
  EXPECT_EQ(subset_names(*find("bar", "httpbin")), std::vector<std::string>{"b"});
}

TEST_F(Translate, TheGatewaysOwnNamespaceRuleComesFirstEvenWhenLessSpecific) {
  options_.gateway_namespace = "gw";
  add_dr(rule("bar", "a", "httpbin", {"a"}));
  add_dr(rule("gw", "c", "*.bar.svc.cluster.local", {"c"}));
  EXPECT_EQ(subset_names(*find("bar", "httpbin")), std::vector<std::string>{"c"});
}

// No retry with a less specific host: the most specific rule of the
// service's namespace is not exported to the gateway, so the root's applies.
TEST_F(Translate, TheMostSpecificRuleDecidesEvenWhenNotExportedToTheGateway) {
  add_dr(rule("bar", "w", "*.bar.svc.cluster.local", {"w"}));
  add_dr(rule("bar", "x", "httpbin", {"x"}, {"other"}));
  add_dr(rule("istio-system", "r", "*", {"r"}));
  EXPECT_EQ(subset_names(*find("bar", "httpbin")), std::vector<std::string>{"r"});
}

// model/destination_rule.go mergeDestinationRule: one namespace, one host,
// the same exportTo: subsets merge, the oldest first.
TEST_F(Translate, RulesForOneHostMergeWithinOneNamespaceOnly) {
  DestinationRule first = rule("bar", "one", "httpbin", {"v1", "v2"});
  first.meta.creation_timestamp = "2026-01-01T00:00:00Z";
  DestinationRule second = rule("bar", "two", "httpbin.bar.svc.cluster.local", {"v2", "v3"});
  second.meta.creation_timestamp = "2026-01-02T00:00:00Z";
  second.subsets[0].labels = {{"version", "other"}};  // v2 again: the oldest wins
  add_dr(second);
  add_dr(first);
  add_dr(rule("foo", "three", "httpbin.bar.svc.cluster.local", {"v4"}));
  const auto s = find("bar", "httpbin");
  ASSERT_TRUE(s);
  EXPECT_EQ(subset_names(*s), (std::vector<std::string>{"v1", "v2", "v3"}));
  EXPECT_EQ(s->subsets[1].labels, (Labels{{"version", "v2"}}));
}

TEST_F(Translate, AnExactRuleBeatsAWildcardAndALongerWildcardAShorterOne) {
  add_dr(rule("bar", "w1", "*.local", {"w1"}));
  add_dr(rule("bar", "w2", "*.bar.svc.cluster.local", {"w2"}));
  EXPECT_EQ(subset_names(*find("bar", "httpbin")), std::vector<std::string>{"w2"});
  add_dr(rule("bar", "e", "httpbin", {"e"}));
  EXPECT_EQ(subset_names(*find("bar", "httpbin")), std::vector<std::string>{"e"});
}

TEST_F(Translate, ARuleWithAWorkloadSelectorIsNotTheGateways) {
  DestinationRule dr = rule("bar", "a", "httpbin", {"a"});
  dr.workload_selector = true;
  add_dr(dr);
  EXPECT_TRUE(find("bar", "httpbin")->subsets.empty());
}

// ---- 9. Subset labels (serviceregistry/util/label/label.go AugmentLabels).

TEST_F(Translate, SubsetsMatchTheLabelsIstiodAdds) {
  Pod& v1 = state_.pods["bar/httpbin-v1-7d9f8c6b5-abcde"];
  v1.node_name = "node-a";
  v1.meta.labels["topology.istio.io/locality"] = "us-east1.b.rack7";
  options_.cluster_id = "cluster1";
  const auto s = find("bar", "httpbin");
  ASSERT_TRUE(s);
  const Labels& labels = endpoint(*s, "10.1.0.11")->labels;
  EXPECT_EQ(labels.at("topology.istio.io/cluster"), "cluster1");
  EXPECT_EQ(labels.at("topology.istio.io/network"), "network1");
  EXPECT_EQ(labels.at("kubernetes.io/hostname"), "node-a");
  EXPECT_EQ(labels.at("topology.kubernetes.io/region"), "us-east1");
  EXPECT_EQ(labels.at("topology.kubernetes.io/zone"), "b");
  EXPECT_EQ(labels.at("topology.istio.io/subzone"), "rack7");
  // The pod's own network label stays (v2: network2).
  EXPECT_EQ(endpoint(*s, "10.1.0.12")->labels.at("topology.istio.io/network"), "network2");
}

// ---- 10. TLS modes (xds/endpoints/mtls_checker.go checkMtlsEnabled,
// tlsModeForDestinationRule): a mode other than ISTIO_MUTUAL leaves the
// (port, subset) no endpoint.

TEST_F(Translate, ADestinationRuleTlsModeOtherThanIstioMutualEmptiesItsClusters) {
  DestinationRule dr = rule("bar", "a", "httpbin", {"v1", "v2"});
  dr.tls = TlsPolicy{true, "DISABLE", {PortTls{8443, "ISTIO_MUTUAL"}}};
  dr.subsets[1].tls = TlsPolicy{true, "ISTIO_MUTUAL", {}};
  add_dr(dr);
  const auto s = find("bar", "httpbin");
  ASSERT_TRUE(s);
  // Port 8000: DISABLE for the service and v1; v2 has its own ISTIO_MUTUAL.
  // Port 8443: the port-level ISTIO_MUTUAL for all.
  EXPECT_EQ(s->plaintext, (std::vector<discovery::PlaintextCluster>{{8000, ""}, {8000, "v1"}}));
}

// ---- 5. Gateway resources decide what is exposed (model/push_context.go
// mergeGateways, model/gateway.go GetSNIHostsForServer,
// networking/core/gateway.go builtAutoPassthroughFilterChains).

Gateway east_west(std::vector<std::string> hosts, uint32_t port = 15443,
                  std::string mode = "AUTO_PASSTHROUGH") {
  Gateway gw;
  gw.meta = meta("istio-system", "cross-network-gateway");
  gw.selector = {{"istio", "eastwestgateway"}};
  gw.servers = {GatewayServer{port, "tls", "TLS", std::move(hosts), std::move(mode)}};
  return gw;
}

class GatewayMode : public Translate {
 protected:
  void SetUp() override {
    Translate::SetUp();
    options_.gateway_labels = {{"istio", "eastwestgateway"}, {"app", "istio-eastwestgateway"}};
    add_service(httpbin_service("foo"));
    ServiceEntry se = service_entry("foo", "db", {"db.example.com"}, {{5432, "TCP", "tcp", 0}});
    se.endpoints = {inline_endpoint("10.5.0.1", {})};
    add_se(se);
  }
  void set_gateway(const Gateway& gw) { state_.gateways[key(gw.meta)] = gw; }
};

TEST_F(GatewayMode, NoGatewayExposesNothing) {
  EXPECT_TRUE(run().services.empty());
}

TEST_F(GatewayMode, TheExposeServicesGatewayExposesEveryLocalHost) {
  set_gateway(east_west({"*.local"}));  // samples/multicluster/expose-services.yaml
  EXPECT_EQ(names_of(run()), (std::vector<std::string>{"bar/httpbin", "foo/httpbin"}));
  state_.gateways.clear();  // deleting the Gateway stops the exposure
  EXPECT_TRUE(run().services.empty());
}

TEST_F(GatewayMode, ANamespacePartOfAHostIsDropped) {
  set_gateway(east_west({"bar/*.local"}));
  EXPECT_EQ(names_of(run()), (std::vector<std::string>{"bar/httpbin", "foo/httpbin"}));
}

TEST_F(GatewayMode, HostsChooseWhatIsExposed) {
  set_gateway(east_west({"httpbin.foo.svc.cluster.local"}));
  EXPECT_EQ(names_of(run()), std::vector<std::string>{"foo/httpbin"});
  set_gateway(east_west({"*"}));
  EXPECT_EQ(names_of(run()),
            (std::vector<std::string>{"bar/httpbin", "foo/db.example.com", "foo/httpbin"}));
}

TEST_F(GatewayMode, OnlyAutoPassthroughServersOnThePassthroughPortOfSelectingGatewaysCount) {
  set_gateway(east_west({"*.local"}, 15443, "PASSTHROUGH"));
  EXPECT_TRUE(run().services.empty());
  set_gateway(east_west({"*.local"}, 15012));
  EXPECT_TRUE(run().services.empty());
  Gateway other = east_west({"*.local"});
  other.selector = {{"istio", "ingressgateway"}};
  set_gateway(other);
  EXPECT_TRUE(run().services.empty());
  other.selector.clear();  // no selector: every gateway
  set_gateway(other);
  EXPECT_EQ(run().services.size(), 2u);
}

}  // namespace
}  // namespace meshgate::discovery::kube
