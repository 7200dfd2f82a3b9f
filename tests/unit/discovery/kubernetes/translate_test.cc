#include "discovery/kubernetes/translate.h"

#include <gtest/gtest.h>

#include "tests/unit/discovery/kubernetes/translate_fixture.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace meshgate::discovery::kube {
namespace {

using namespace testing;  // NOLINT: the shared objects and fixture

TEST_F(Translate, ServiceWithEndpointsAndTcpPorts) {
  const SourceState out = run();
  ASSERT_EQ(out.services.size(), 1u);
  const DService& s = out.services[0];
  EXPECT_EQ(s.name, "httpbin");
  EXPECT_EQ(s.ns, "bar");
  EXPECT_TRUE(s.hostnames.empty());
  // The UDP port is dropped; the named targetPort leaves target_port 0.
  const std::vector<discovery::ServicePort> ports{{"http", 8000, 0}, {"tls", 8443, 9443}};
  EXPECT_EQ(s.ports, ports);
  // 10.1.0.13 is not ready: left out.
  EXPECT_EQ(addresses(s), (std::vector<std::string>{"10.1.0.11", "10.1.0.12"}));
  const DEndpoint* v1 = endpoint(s, "10.1.0.11");
  ASSERT_NE(v1, nullptr);
  EXPECT_EQ(v1->labels, augmented(httpbin_labels("v1")));
  EXPECT_EQ(v1->weight, 1u);
  // Exactly the slice's ports, by name (istiod: endpointslice.go).
  const std::map<std::string, uint16_t> slice_ports{{"dns", 5353}, {"http", 8080}, {"tls", 9443}};
  EXPECT_EQ(v1->ports, slice_ports);
  EXPECT_TRUE(v1->ports_exact);
  EXPECT_TRUE(out.aliases.empty());
}

TEST_F(Translate, NamedTargetPortResolvesThroughSlicePort) {
  const auto s = find("bar", "httpbin");
  ASSERT_TRUE(s);
  ASSERT_FALSE(s->endpoints.empty());
  EXPECT_EQ(discovery::endpoint_port(s->endpoints[0], s->ports[0]), 8080);
  EXPECT_EQ(discovery::endpoint_port(s->endpoints[0], s->ports[1]), 9443);
}

TEST_F(Translate, NilConditionsReadAsReady) {
  add_slice(
      slice("bar", "httpbin-zz9", "httpbin", {slice_endpoint("10.1.0.20", std::nullopt, {})}));
  const auto s = find("bar", "httpbin");
  ASSERT_TRUE(s);
  EXPECT_NE(endpoint(*s, "10.1.0.20"), nullptr);
}

// istiod never routes a terminating or not-ready endpoint, even when the
// Service has no other (kube/controller/endpointslice.go
// endpointHealthStatus, xds/endpoints/endpoint_builder.go filterIstioEndpoint).
TEST_F(Translate, TerminatingAndNotReadyEndpointsAreNeverRouted) {
  const EndpointConditions draining{false, true, true};
  const EndpointConditions gone{false, false, true};
  add_slice(
      slice("bar", "httpbin-t1", "httpbin",
            {slice_endpoint("10.1.0.21", std::nullopt, draining),
             slice_endpoint("10.1.0.22", std::nullopt, gone),
             slice_endpoint("10.1.0.23", std::nullopt, {false, std::nullopt, std::nullopt})}));
  state_.endpoint_slices.erase("bar/httpbin-x7k2p");
  const auto s = find("bar", "httpbin");
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->endpoints.empty());
}

TEST_F(Translate, AReadyEndpointWhosePodIsBeingDeletedKeepsItsLabels) {
  state_.pods["bar/httpbin-v1-7d9f8c6b5-abcde"].meta.deleting = true;
  const auto s = find("bar", "httpbin");
  ASSERT_TRUE(s);
  const DEndpoint* ep = endpoint(*s, "10.1.0.11");
  ASSERT_NE(ep, nullptr);
  EXPECT_EQ(ep->labels, augmented(httpbin_labels("v1")));
  EXPECT_TRUE(ep->mtls_capable);
}

TEST_F(Translate, OnlyIpSlicesOfTheServiceUsed) {
  add_slice(slice("bar", "httpbin-fqdn", "httpbin",
                  {slice_endpoint("httpbin.example.com", std::nullopt)}, "FQDN"));
  add_slice(slice("bar", "httpbin-odd", "httpbin", {slice_endpoint("not-an-ip", std::nullopt)}));
  add_slice(
      slice("bar", "httpbin-v6", "httpbin", {slice_endpoint("fd00::11", std::nullopt)}, "IPv6"));
  add_slice(slice("bar", "reviews-abc", "reviews", {slice_endpoint("10.1.0.30", std::nullopt)}));
  add_slice(slice("foo", "httpbin-abc", "httpbin", {slice_endpoint("10.2.0.30", std::nullopt)}));
  const auto s = find("bar", "httpbin");
  ASSERT_TRUE(s);  // slices in key order: httpbin-v6 before httpbin-x7k2p
  EXPECT_EQ(addresses(*s), (std::vector<std::string>{"fd00::11", "10.1.0.11", "10.1.0.12"}));
}

// One address in two slices: one endpoint, with the ports of both (slices
// may split a Service's ports); the first slice in key order gives the rest.
TEST_F(Translate, AnAddressInTwoSlicesIsOneEndpointWithBothSlicesPorts) {
  EndpointSlice other =
      slice("bar", "httpbin-a1", "httpbin", {slice_endpoint("10.1.0.11", std::nullopt)});
  other.ports = {SlicePort{"metrics", "TCP", 15020}};
  add_slice(other);
  const auto s = find("bar", "httpbin");
  ASSERT_TRUE(s);
  EXPECT_EQ(addresses(*s), (std::vector<std::string>{"10.1.0.11", "10.1.0.12"}));
  EXPECT_EQ(s->endpoints[0].ports.size(), 4u);
  // No targetRef: the pod with that IP in the slice's namespace gives the labels.
  EXPECT_EQ(s->endpoints[0].labels, augmented(httpbin_labels("v1")));
}

// A targetRef to a pod not seen yet holds the endpoint back until the pod
// comes (kube/controller/endpointslice.go getPod); without a targetRef and
// without a pod of that IP the endpoint has no labels and no Istio mTLS.
TEST_F(Translate, AnEndpointOfAPodNotSeenYetWaitsForIt) {
  add_slice(slice(
      "bar", "httpbin-y", "httpbin",
      {slice_endpoint("10.1.0.40", "httpbin-gone"), slice_endpoint("10.1.0.41", std::nullopt)}));
  const auto s = find("bar", "httpbin");
  ASSERT_TRUE(s);
  EXPECT_EQ(endpoint(*s, "10.1.0.40"), nullptr);
  const DEndpoint* ep = endpoint(*s, "10.1.0.41");
  ASSERT_NE(ep, nullptr);
  EXPECT_EQ(ep->labels, augmented({}));
  EXPECT_FALSE(ep->mtls_capable);
  EXPECT_EQ(ep->network, "network1");  // the system namespace's
}

// A pod's network: its own label, else the system namespace's
// (kube/controller/network.go networkFromSystemNamespace); the pod's own
// namespace's label does not count.
TEST_F(Translate, NetworkFromThePodThenTheSystemNamespace) {
  auto s = find("bar", "httpbin");
  ASSERT_TRUE(s);
  EXPECT_EQ(endpoint(*s, "10.1.0.12")->network, "network2");  // pod label
  EXPECT_EQ(endpoint(*s, "10.1.0.11")->network, "network1");  // istio-system's, not bar's network9
  state_.namespaces["istio-system"].meta.labels.clear();
  s = find("bar", "httpbin");
  ASSERT_TRUE(s);
  EXPECT_EQ(endpoint(*s, "10.1.0.11")->network, "");
  options_.system_namespace = "bar";
  s = find("bar", "httpbin");
  EXPECT_EQ(endpoint(*s, "10.1.0.11")->network, "network9");
}

TEST_F(Translate, MtlsCapableFromTlsModeLabel) {
  Labels plain = httpbin_labels("v1");
  plain["security.istio.io/tlsMode"] = "disabled";
  add_pod(pod("bar", "httpbin-plain", "10.1.0.50", plain));
  add_slice(slice("bar", "httpbin-p", "httpbin", {slice_endpoint("10.1.0.50", "httpbin-plain")}));
  const auto s = find("bar", "httpbin");
  ASSERT_TRUE(s);
  EXPECT_TRUE(endpoint(*s, "10.1.0.11")->mtls_capable);
  EXPECT_FALSE(endpoint(*s, "10.1.0.50")->mtls_capable);
}

TEST_F(Translate, WorkloadEntrySelectedBySelectorJoins) {
  WorkloadEntry vm = workload_entry(
      "bar", "httpbin-vm-1", "192.168.10.5",
      {{"app", "httpbin"}, {"version", "v3"}, {"security.istio.io/tlsMode", "istio"}});
  vm.spec.network = "vm-network";
  vm.spec.weight = 5000;
  vm.spec.ports = {{"http", 8080}, {"tls", 70000}};
  add_we(vm);
  add_we(workload_entry("bar", "other-vm", "192.168.10.6", {{"app", "reviews"}}));
  add_we(workload_entry("foo", "httpbin-vm-2", "192.168.10.7", {{"app", "httpbin"}}));
  add_we(workload_entry("bar", "httpbin-vm-dns", "vm.example.com", {{"app", "httpbin"}}));
  const auto s = find("bar", "httpbin");
  ASSERT_TRUE(s);
  EXPECT_EQ(addresses(*s), (std::vector<std::string>{"10.1.0.11", "10.1.0.12", "192.168.10.5"}));
  const DEndpoint* ep = endpoint(*s, "192.168.10.5");
  ASSERT_NE(ep, nullptr);
  EXPECT_EQ(ep->network, "vm-network");
  EXPECT_EQ(ep->weight, 1000u);
  // Port http's targetPort is the name "http-web", which the entry does not
  // list: it does not serve http. Port tls's targetPort is 9443, and the
  // entry's own "tls" (70000) is no port (kube/controller/util.go
  // findServiceTargetPort).
  EXPECT_EQ(ep->ports, (std::map<std::string, uint16_t>{{"tls", 9443}}));
  EXPECT_EQ(ep->labels.at("version"), "v3");
  EXPECT_TRUE(ep->mtls_capable);
  EXPECT_FALSE(discovery::endpoint_port(*ep, s->ports[0]).has_value());
  EXPECT_EQ(discovery::endpoint_port(*ep, s->ports[1]), 9443);
}

// A WorkloadEntry's labels are spec's with metadata's over them
// (serviceentry/conversion.go ConvertWorkloadEntry: MergeCopy); its network
// is spec.network only, never a namespace's.
TEST_F(Translate, WorkloadEntryDefaultsAndLabelMerge) {
  WorkloadEntry vm = workload_entry("bar", "httpbin-vm-1", "192.168.10.5",
                                    {{"app", "httpbin"}, {"version", "v1"}});
  vm.meta.labels = {{"version", "v9"}, {"zone", "a"}};  // metadata wins
  add_we(vm);
  const auto s = find("bar", "httpbin");
  ASSERT_TRUE(s);
  const DEndpoint* ep = endpoint(*s, "192.168.10.5");
  ASSERT_NE(ep, nullptr);
  EXPECT_EQ(ep->labels, augmented({{"app", "httpbin"}, {"version", "v9"}, {"zone", "a"}}, ""));
  EXPECT_EQ(ep->weight, 1u);
  EXPECT_EQ(ep->network, "");
  EXPECT_FALSE(ep->mtls_capable);  // no tlsMode label, no service account
}

TEST_F(Translate, ServiceWithoutSelectorTakesNoWorkloadEntry) {
  state_.services["bar/httpbin"].selector.clear();
  add_we(workload_entry("bar", "httpbin-vm-1", "192.168.10.5", {}));
  const auto s = find("bar", "httpbin");
  ASSERT_TRUE(s);
  EXPECT_EQ(endpoint(*s, "192.168.10.5"), nullptr);
}

DestinationRule rule(std::string ns, std::string name, std::string host,
                     std::vector<std::pair<std::string, Labels>> subsets) {
  DestinationRule dr;
  dr.meta = meta(std::move(ns), std::move(name));
  dr.host = std::move(host);
  for (auto& [subset, labels] : subsets)
    dr.subsets.push_back(Subset{std::move(subset), std::move(labels), {}});
  return dr;
}

TEST_F(Translate, DestinationRuleShortHostInItsNamespace) {
  add_dr(rule("bar", "httpbin", "httpbin",
              {{"v1", {{"version", "v1"}}},
               {"", {{"version", "x"}}},
               {"v1", {{"version", "y"}}},
               {"v2", {{"version", "v2"}}}}));
  const auto s = find("bar", "httpbin");
  ASSERT_TRUE(s);
  const std::vector<discovery::Subset> want{{"v1", {{"version", "v1"}}},
                                            {"v2", {{"version", "v2"}}}};
  EXPECT_EQ(s->subsets, want);
  EXPECT_TRUE(discovery::in_subset(*endpoint(*s, "10.1.0.11"), s->subsets[0]));
  EXPECT_FALSE(discovery::in_subset(*endpoint(*s, "10.1.0.11"), s->subsets[1]));
}

TEST_F(Translate, DestinationRuleFqdnHostFromAnyNamespace) {
  add_dr(rule("istio-system", "httpbin", "HTTPBIN.bar.svc.cluster.local",
              {{"v2", {{"version", "v2"}}}}));
  const auto s = find("bar", "httpbin");
  ASSERT_TRUE(s);
  ASSERT_EQ(s->subsets.size(), 1u);
  EXPECT_EQ(s->subsets[0].name, "v2");
}

TEST_F(Translate, DestinationRuleShortHostOfOtherNamespaceDoesNotMatch) {
  add_dr(rule("foo", "httpbin", "httpbin", {{"v1", {{"version", "v1"}}}}));
  const auto s = find("bar", "httpbin");
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->subsets.empty());
}

TEST_F(Translate, DestinationRulesForOneHostMergeTheirSubsets) {
  add_dr(rule("bar", "b-rule", "httpbin",
              {{"second", {{"version", "v2"}}}, {"shared", {{"version", "b"}}}}));
  add_dr(rule("bar", "a-rule", "httpbin.bar.svc.cluster.local",
              {{"first", {{"version", "v1"}}}, {"shared", {{"version", "a"}}}}));
  const auto s = find("bar", "httpbin");
  ASSERT_TRUE(s);
  ASSERT_EQ(s->subsets.size(), 3u);
  EXPECT_EQ(s->subsets[0].name, "first");
  EXPECT_EQ(s->subsets[1].name, "shared");
  EXPECT_EQ(s->subsets[1].labels.at("version"), "a");  // the first rule in key order wins
  EXPECT_EQ(s->subsets[2].name, "second");
}

TEST_F(Translate, ExportHostsFilter) {
  options_.cluster_domain = "cluster.example";  // not under *.local
  EXPECT_TRUE(run().services.empty());
  options_.export_hosts = {"httpbin.bar.svc.cluster.example"};
  EXPECT_TRUE(find("bar", "httpbin"));
  options_.export_hosts = {"*.foo.svc.cluster.example"};
  EXPECT_FALSE(find("bar", "httpbin"));
  options_.export_hosts = {"*.svc.cluster.example", "nothing.else"};
  EXPECT_TRUE(find("bar", "httpbin"));
  options_.export_hosts.clear();
  EXPECT_TRUE(run().services.empty());
}

TEST_F(Translate, IncludeAndExcludeNamespaces) {
  add_service(httpbin_service("foo"));
  options_.include_namespaces = {"foo"};
  SourceState out = run();
  ASSERT_EQ(out.services.size(), 1u);
  EXPECT_EQ(out.services[0].ns, "foo");
  options_.include_namespaces.clear();
  options_.exclude_namespaces = {"foo"};
  out = run();
  ASSERT_EQ(out.services.size(), 1u);
  EXPECT_EQ(out.services[0].ns, "bar");
  options_.include_namespaces = {"foo", "bar"};  // exclusion wins
  out = run();
  ASSERT_EQ(out.services.size(), 1u);
  EXPECT_EQ(out.services[0].ns, "bar");
}

TEST_F(Translate, ExcludedNamespaceRuleIgnored) {
  add_we(workload_entry("bar", "httpbin-vm-1", "192.168.10.5", {{"app", "httpbin"}}));
  add_dr(rule("istio-system", "httpbin", "httpbin.bar.svc.cluster.local", {{"v1", {}}}));
  options_.exclude_namespaces = {"istio-system"};
  auto s = find("bar", "httpbin");
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->subsets.empty());
  EXPECT_NE(endpoint(*s, "192.168.10.5"), nullptr);
}

TEST_F(Translate, ExternalNameSkipped) {
  state_.services["bar/httpbin"].type = "ExternalName";
  EXPECT_TRUE(run().services.empty());
}

TEST_F(Translate, ServiceWithOnlyUdpPortsDropped) {
  Service dns;
  dns.meta = meta("kube-system", "kube-dns");
  dns.ports = {ServicePort{"dns", "UDP", 53, 53, ""}, ServicePort{"dns-sctp", "SCTP", 54, 0, ""}};
  add_service(dns);
  EXPECT_FALSE(find("kube-system", "kube-dns"));
  state_.services["kube-system/kube-dns"].ports.push_back(ServicePort{"dns-tcp", "", 53, 53, ""});
  const auto s = find("kube-system", "kube-dns");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->ports, (std::vector<discovery::ServicePort>{{"dns-tcp", 53, 53}}));
}

TEST_F(Translate, DeletingObjectsSkipped) {
  add_we(workload_entry("bar", "httpbin-vm-1", "192.168.10.5", {{"app", "httpbin"}}));
  add_dr(rule("bar", "httpbin", "httpbin", {{"v1", {{"version", "v1"}}}}));
  state_.endpoint_slices["bar/httpbin-x7k2p"].meta.deleting = true;
  state_.workload_entries["bar/httpbin-vm-1"].meta.deleting = true;
  state_.destination_rules["bar/httpbin"].meta.deleting = true;
  auto s = find("bar", "httpbin");
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->endpoints.empty());
  EXPECT_TRUE(s->subsets.empty());
  state_.services["bar/httpbin"].meta.deleting = true;
  EXPECT_TRUE(run().services.empty());
}

ServiceEntry service_entry(std::string ns, std::string name, std::vector<std::string> hosts,
                           std::vector<std::string> addresses) {
  ServiceEntry se;
  se.meta = meta(std::move(ns), std::move(name));
  se.hosts = std::move(hosts);
  se.addresses = std::move(addresses);
  se.location = "MESH_INTERNAL";
  se.resolution = "DNS";
  return se;
}

TEST_F(Translate, ServiceEntryHostsBecomeDnsAliases) {
  add_se(service_entry("istio-system", "b-httpbin-global", {"HTTPBIN.bar.global", "*.foo.global"},
                       {"240.240.0.1", "240.240.0.0/16", "2001:db8::1", "vip.example.com"}));
  add_se(service_entry("istio-system", "c-later", {"httpbin.bar.global"}, {"240.240.0.9"}));
  ServiceEntry deleting = service_entry("istio-system", "a-gone", {"gone.global"}, {});
  deleting.meta.deleting = true;
  add_se(deleting);
  const SourceState out = run();
  const std::vector<std::string> ips{"240.240.0.1", "2001:db8::1"};
  const std::vector<HostAlias> want{{"*.foo.global", ips, "", ""},
                                    {"httpbin.bar.global", ips, "", ""}};
  EXPECT_EQ(out.aliases, want);
}

TEST_F(Translate, DeterministicAndSorted) {
  add_service(httpbin_service("a-b"));
  add_service(httpbin_service("a"));
  Service reviews = httpbin_service("a");
  reviews.meta.name = "reviews";
  add_service(reviews);
  add_se(service_entry("z", "se", {"z.global", "a.global"}, {}));
  const SourceState first = run();
  EXPECT_EQ(first, run());
  ASSERT_EQ(first.services.size(), 4u);
  EXPECT_EQ(first.services[0].ns + "/" + first.services[0].name, "a/httpbin");
  EXPECT_EQ(first.services[1].ns + "/" + first.services[1].name, "a/reviews");
  EXPECT_EQ(first.services[2].ns + "/" + first.services[2].name, "a-b/httpbin");
  EXPECT_EQ(first.services[3].ns + "/" + first.services[3].name, "bar/httpbin");
  ASSERT_EQ(first.aliases.size(), 2u);
  EXPECT_EQ(first.aliases[0].host, "a.global");

  // The same objects inserted in the opposite order translate the same.
  ClusterState reversed = state_;
  reversed.services = {state_.services.rbegin(), state_.services.rend()};
  reversed.endpoint_slices = {state_.endpoint_slices.rbegin(), state_.endpoint_slices.rend()};
  reversed.pods = {state_.pods.rbegin(), state_.pods.rend()};
  EXPECT_EQ(translate(reversed, options_), first);
}

TEST(HostMatches, Cases) {
  EXPECT_TRUE(host_matches("httpbin.bar.svc.cluster.local", "*.local"));
  EXPECT_TRUE(host_matches("httpbin.bar.svc.cluster.local", "httpbin.bar.svc.cluster.local"));
  EXPECT_TRUE(host_matches("httpbin.bar.svc.cluster.local", "*.bar.svc.cluster.local"));
  EXPECT_TRUE(host_matches("HTTPBIN.bar.svc.cluster.local", "*.Cluster.Local"));
  EXPECT_FALSE(host_matches("local", "*.local"));
  EXPECT_FALSE(host_matches("httpbin.notlocal", "*.local"));
  EXPECT_FALSE(host_matches("httpbin.bar.svc.cluster.local", "httpbin.bar"));
  EXPECT_TRUE(host_matches("httpbin.bar.svc.cluster.local", "*"));  // a Gateway host: all
  EXPECT_FALSE(host_matches("httpbin.bar.svc.cluster.local", "*."));
  EXPECT_FALSE(host_matches("a.local", ""));
}

}  // namespace
}  // namespace meshgate::discovery::kube
