#include "discovery/kubernetes/decode.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace meshgate::discovery::kube {
namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(MESHGATE_KUBE_TESTDATA) + "/" + name, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<std::string> fixture_lines(const std::string& name) {
  std::istringstream in(fixture(name));
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

// Replaces the first `from` in `text` by `to`; fails the test when absent.
std::string replace(std::string text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(KubeDecode, ServiceListPage) {
  auto d = decode_list<Service>(fixture("service_list.json"));
  ASSERT_TRUE(d.ok()) << d.error;
  const List<Service>& list = *d.value;
  EXPECT_EQ(list.resource_version, "184467");
  EXPECT_EQ(list.continue_token.substr(0, 10), "eyJ2IjoibW");
  ASSERT_EQ(list.items.size(), 2u);

  const Service& httpbin = list.items[0];
  EXPECT_EQ(httpbin.meta.name, "httpbin");
  EXPECT_EQ(httpbin.meta.ns, "default");
  EXPECT_EQ(httpbin.meta.resource_version, "1021");
  EXPECT_EQ(httpbin.meta.labels, (Labels{{"app", "httpbin"}, {"service", "httpbin"}}));
  EXPECT_FALSE(httpbin.meta.deleting);
  EXPECT_EQ(httpbin.type, "ClusterIP");
  EXPECT_EQ(httpbin.cluster_ip, "10.96.14.201");
  EXPECT_EQ(httpbin.selector, (Labels{{"app", "httpbin"}}));
  ASSERT_EQ(httpbin.ports.size(), 1u);
  EXPECT_EQ(httpbin.ports[0], (ServicePort{"http", "TCP", 8000, 8080, ""}));

  const Service& reviews = list.items[1];
  EXPECT_EQ(reviews.meta.ns, "bookinfo");
  EXPECT_EQ(reviews.cluster_ip, "None");
  ASSERT_EQ(reviews.ports.size(), 2u);
  // targetPort as a name, and as a number with protocol defaulted.
  EXPECT_EQ(reviews.ports[0], (ServicePort{"http", "TCP", 9080, 0, "http-web"}));
  EXPECT_EQ(reviews.ports[1], (ServicePort{"grpc", "TCP", 9090, 9090, ""}));
}

TEST(KubeDecode, ServiceDefaultsWhenSpecFieldsAbsent) {
  auto d = decode_object<Service>(R"({"metadata":{"name":"a"},"spec":{"ports":[{"port":80}]}})");
  ASSERT_TRUE(d.ok()) << d.error;
  EXPECT_EQ(d.value->type, "ClusterIP");
  EXPECT_EQ(d.value->ports[0], (ServicePort{"", "TCP", 80, 0, ""}));
  EXPECT_TRUE(d.value->meta.ns.empty());
}

TEST(KubeDecode, EndpointSliceAsTheControllerWritesIt) {
  auto d = decode_object<EndpointSlice>(fixture("endpointslice.json"));
  ASSERT_TRUE(d.ok()) << d.error;
  const EndpointSlice& s = *d.value;
  EXPECT_EQ(s.meta.name, "reviews-7xk2p");
  EXPECT_EQ(s.meta.labels.at("kubernetes.io/service-name"), "reviews");
  EXPECT_EQ(s.meta.labels.at("endpointslice.kubernetes.io/managed-by"),
            "endpointslice-controller.k8s.io");
  EXPECT_EQ(s.address_type, "IPv4");
  ASSERT_EQ(s.endpoints.size(), 3u);
  EXPECT_EQ(s.endpoints[0].addresses, std::vector<std::string>{"10.244.1.17"});
  EXPECT_EQ(s.endpoints[0].conditions, (EndpointConditions{true, true, false}));
  ASSERT_TRUE(s.endpoints[0].target_ref.has_value());
  EXPECT_EQ(*s.endpoints[0].target_ref,
            (ObjectReference{"Pod", "reviews-v1-5c8f6b7d9-q2lzr", "bookinfo"}));
  EXPECT_EQ(s.endpoints[1].conditions, (EndpointConditions{false, true, true}));
  // Absent conditions stay unknown, unlike false ones.
  EXPECT_EQ(s.endpoints[2].conditions, EndpointConditions{});
  EXPECT_FALSE(s.endpoints[2].conditions.ready.has_value());
  EXPECT_FALSE(s.endpoints[2].target_ref.has_value());
  ASSERT_EQ(s.ports.size(), 2u);
  EXPECT_EQ(s.ports[0], (SlicePort{"http-web", "TCP", uint16_t{9080}}));
  EXPECT_EQ(s.ports[1], (SlicePort{"", "TCP", std::nullopt}));
}

TEST(KubeDecode, PodWithIstioLabelsAndDualStackIps) {
  auto d = decode_object<Pod>(fixture("pod.json"));
  ASSERT_TRUE(d.ok()) << d.error;
  const Pod& p = *d.value;
  EXPECT_EQ(p.meta.name, "reviews-v1-5c8f6b7d9-q2lzr");
  EXPECT_EQ(p.meta.labels.at("security.istio.io/tlsMode"), "istio");
  EXPECT_EQ(p.meta.labels.at("service.istio.io/canonical-name"), "reviews");
  EXPECT_EQ(p.meta.labels.at("topology.istio.io/network"), "network1");
  EXPECT_EQ(p.pod_ips, (std::vector<std::string>{"10.244.1.17", "fd00:10:244:1::11"}));
  EXPECT_EQ(p.phase, "Running");
}

TEST(KubeDecode, PodFallsBackToPodIp) {
  auto d = decode_object<Pod>(
      R"({"metadata":{"name":"p"},"status":{"phase":"Pending","podIP":"10.0.0.5"}})");
  ASSERT_TRUE(d.ok()) << d.error;
  EXPECT_EQ(d.value->pod_ips, std::vector<std::string>{"10.0.0.5"});
  auto none = decode_object<Pod>(R"({"metadata":{"name":"p"},"status":{"phase":"Pending"}})");
  ASSERT_TRUE(none.ok()) << none.error;
  EXPECT_TRUE(none.value->pod_ips.empty());
  EXPECT_EQ(none.value->phase, "Pending");
}

TEST(KubeDecode, NamespaceWithNetworkLabel) {
  auto d = decode_object<Namespace>(fixture("namespace.json"));
  ASSERT_TRUE(d.ok()) << d.error;
  EXPECT_EQ(d.value->meta.name, "bookinfo");
  EXPECT_TRUE(d.value->meta.ns.empty());
  EXPECT_EQ(d.value->meta.resource_version, "412");
  EXPECT_EQ(d.value->meta.labels.at("topology.istio.io/network"), "network1");
}

TEST(KubeDecode, ServiceEntryForGlobalHosts) {
  auto d = decode_object<ServiceEntry>(fixture("serviceentry.json"));
  ASSERT_TRUE(d.ok()) << d.error;
  const ServiceEntry& se = *d.value;
  EXPECT_EQ(se.meta.name, "httpbin-bar");
  EXPECT_EQ(se.hosts, std::vector<std::string>{"httpbin.bar.global"});
  EXPECT_EQ(se.addresses, std::vector<std::string>{"240.0.0.2"});
  ASSERT_EQ(se.ports.size(), 2u);
  EXPECT_EQ(se.ports[0], (IstioPort{8000, "http", "http1", 0}));
  EXPECT_EQ(se.ports[1], (IstioPort{5432, "TCP", "tcp-db", 15432}));
  EXPECT_EQ(se.location, "MESH_INTERNAL");
  EXPECT_EQ(se.resolution, "DNS");
  ASSERT_EQ(se.endpoints.size(), 2u);
  EXPECT_EQ(se.endpoints[0].address, "172.18.0.100");
  EXPECT_EQ(se.endpoints[0].ports,
            (std::map<std::string, uint32_t>{{"http1", 15443}, {"tcp-db", 15443}}));
  EXPECT_EQ(se.endpoints[0].labels, (Labels{{"cluster", "cluster2"}}));
  EXPECT_EQ(se.endpoints[0].network, "network2");
  EXPECT_EQ(se.endpoints[0].weight, 10u);
  EXPECT_EQ(se.endpoints[1].service_account, "httpbin");
  EXPECT_EQ(se.endpoints[1].weight, 0u);
  EXPECT_FALSE(se.workload_selector.has_value());
  EXPECT_EQ(se.export_to, (std::vector<std::string>{".", "istio-system"}));
}

TEST(KubeDecode, ServiceEntryDefaultsAndWorkloadSelector) {
  auto d = decode_object<ServiceEntry>(
      R"({"metadata":{"name":"vm"},"spec":{"hosts":["details.vm"],
          "workloadSelector":{"labels":{"app":"details"}}}})");
  ASSERT_TRUE(d.ok()) << d.error;
  EXPECT_EQ(d.value->location, "MESH_EXTERNAL");
  EXPECT_EQ(d.value->resolution, "NONE");
  ASSERT_TRUE(d.value->workload_selector.has_value());
  EXPECT_EQ(*d.value->workload_selector, (Labels{{"app", "details"}}));
}

TEST(KubeDecode, WorkloadEntryForAVm) {
  auto d = decode_object<WorkloadEntry>(fixture("workloadentry.json"));
  ASSERT_TRUE(d.ok()) << d.error;
  const WorkloadEntry& we = *d.value;
  EXPECT_EQ(we.meta.name, "details-vm-1");
  EXPECT_EQ(we.meta.ns, "bookinfo");
  WorkloadEntrySpec want{"192.168.50.21",
                         {{"http", 9080}},
                         {{"app", "details"}, {"class", "vm"}, {"version", "v1"}},
                         "vm-network",
                         5,
                         "bookinfo-details",
                         "us-east-1/us-east-1b"};
  EXPECT_EQ(we.spec, want);
}

TEST(KubeDecode, DestinationRuleSubsets) {
  auto d = decode_object<DestinationRule>(fixture("destinationrule.json"));
  ASSERT_TRUE(d.ok()) << d.error;
  const DestinationRule& dr = *d.value;
  EXPECT_EQ(dr.host, "reviews");
  ASSERT_EQ(dr.subsets.size(), 3u);
  EXPECT_EQ(dr.subsets[0], (Subset{"v1", {{"version", "v1"}}, {}}));
  EXPECT_EQ(dr.subsets[2], (Subset{"v3", {{"version", "v3"}}, {}}));
  EXPECT_EQ(dr.export_to, std::vector<std::string>{"*"});
}

TEST(KubeDecode, WatchEvents) {
  std::vector<std::string> lines = fixture_lines("watch_services.jsonl");
  ASSERT_EQ(lines.size(), 5u);
  auto added = decode_event<Service>(lines[0]);
  ASSERT_TRUE(added.ok()) << added.error;
  EXPECT_EQ(added.value->type, EventType::kAdded);
  EXPECT_EQ(added.value->resource_version, "1021");
  ASSERT_TRUE(added.value->object.has_value());
  EXPECT_EQ(added.value->object->meta.name, "httpbin");

  auto modified = decode_event<Service>(lines[1]);
  ASSERT_TRUE(modified.ok()) << modified.error;
  EXPECT_EQ(modified.value->type, EventType::kModified);
  EXPECT_EQ(modified.value->resource_version, "1304");
  EXPECT_EQ(modified.value->object->ports.size(), 2u);

  auto deleted = decode_event<Service>(lines[2]);
  ASSERT_TRUE(deleted.ok()) << deleted.error;
  EXPECT_EQ(deleted.value->type, EventType::kDeleted);
  EXPECT_EQ(deleted.value->resource_version, "1377");
  EXPECT_TRUE(deleted.value->object->meta.deleting);
  EXPECT_FALSE(deleted.value->status.has_value());
}

TEST(KubeDecode, WatchBookmarkAndError) {
  std::vector<std::string> lines = fixture_lines("watch_services.jsonl");
  ASSERT_EQ(lines.size(), 5u);
  auto bookmark = decode_event<Service>(lines[3]);
  ASSERT_TRUE(bookmark.ok()) << bookmark.error;
  EXPECT_EQ(bookmark.value->type, EventType::kBookmark);
  EXPECT_EQ(bookmark.value->resource_version, "1412");
  EXPECT_FALSE(bookmark.value->object.has_value());

  auto error = decode_event<Service>(lines[4]);
  ASSERT_TRUE(error.ok()) << error.error;
  EXPECT_EQ(error.value->type, EventType::kError);
  EXPECT_FALSE(error.value->object.has_value());
  ASSERT_TRUE(error.value->status.has_value());
  EXPECT_EQ(*error.value->status,
            (Status{410, "Expired", "too old resource version: 1021 (1305)"}));

  // The same bookmark line decodes for any kind.
  auto istio_bookmark = decode_event<ServiceEntry>(
      R"({"type":"BOOKMARK","object":{"kind":"ServiceEntry",
          "apiVersion":"networking.istio.io/v1","metadata":{"resourceVersion":"777"}}})");
  ASSERT_TRUE(istio_bookmark.ok()) << istio_bookmark.error;
  EXPECT_EQ(istio_bookmark.value->resource_version, "777");
}

TEST(KubeDecode, BadEvents) {
  auto unknown = decode_event<Pod>(R"({"type":"SYNC","object":{"metadata":{"name":"p"}}})");
  EXPECT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error, "type: unknown event type \"SYNC\"");
  auto no_object = decode_event<Pod>(R"({"type":"ADDED"})");
  EXPECT_EQ(no_object.error, "object: expected an object");
  auto bad_object = decode_event<Pod>(R"({"type":"ADDED","object":{"metadata":{"name":7}}})");
  EXPECT_EQ(bad_object.error, "object.metadata.name: expected a string");
  auto empty_bookmark = decode_event<Pod>(R"({"type":"BOOKMARK","object":{"metadata":{}}})");
  EXPECT_EQ(empty_bookmark.error, "object.metadata.resourceVersion: missing");
}

TEST(KubeDecode, StatusBodies) {
  auto forbidden = decode_status(fixture("status_403.json"));
  ASSERT_TRUE(forbidden.ok()) << forbidden.error;
  EXPECT_EQ(forbidden.value->code, 403);
  EXPECT_EQ(forbidden.value->reason, "Forbidden");
  EXPECT_NE(forbidden.value->message.find("cannot list resource \"serviceentries\""),
            std::string::npos);
  auto not_found = decode_status(fixture("status_404.json"));
  ASSERT_TRUE(not_found.ok()) << not_found.error;
  EXPECT_EQ(*not_found.value,
            (Status{404, "NotFound", "the server could not find the requested resource"}));
  EXPECT_EQ(decode_status(R"({"kind":"Service","code":404})").error, "kind: expected \"Status\"");
  EXPECT_EQ(decode_status(R"({"kind":"Status","code":"404"})").error,
            "code: expected an integer 0..999");
}

// One wrong-typed field per kind, each named by its path.
TEST(KubeDecode, WrongTypesNameTheirPath) {
  std::string svc = fixture("service_list.json");
  EXPECT_EQ(decode_list<Service>(replace(svc, R"("port": 9090)", R"("port": "9090")")).error,
            "items[1].spec.ports[1].port: expected an integer 1..65535");
  EXPECT_EQ(decode_list<Service>(replace(svc, R"("targetPort": 8080)", R"("targetPort": 0)")).error,
            "items[0].spec.ports[0].targetPort: expected an integer 1..65535 or a port name");
  EXPECT_EQ(decode_list<Service>(replace(svc, R"("service": "reviews")", R"("service": 1)")).error,
            "items[1].metadata.labels[\"service\"]: expected a string");

  std::string slice = fixture("endpointslice.json");
  EXPECT_EQ(decode_object<EndpointSlice>(replace(slice, R"("ready": false)", R"("ready": "false")"))
                .error,
            "endpoints[1].conditions.ready: expected a boolean");
  EXPECT_EQ(decode_object<EndpointSlice>(replace(slice, R"(["10.244.2.9"])", "[]")).error,
            "endpoints[1].addresses: expected 1..100 addresses");

  std::string pod = fixture("pod.json");
  EXPECT_EQ(decode_object<Pod>(replace(pod, R"({"ip": "fd00:10:244:1::11"})", "[]")).error,
            "status.podIPs[1]: expected an object");
  EXPECT_EQ(decode_object<Namespace>(replace(fixture("namespace.json"), R"("412")", "412")).error,
            "metadata.resourceVersion: expected a string");

  std::string se = fixture("serviceentry.json");
  EXPECT_EQ(decode_object<ServiceEntry>(replace(se, R"("number": 5432)", R"("number": -1)")).error,
            "spec.ports[1].number: expected an integer 1..65535");
  EXPECT_EQ(
      decode_object<ServiceEntry>(replace(se, R"("tcp-db": 15443)", R"("tcp-db": 1.5)")).error,
      "spec.endpoints[0].ports[\"tcp-db\"]: expected an integer 1..65535");
  EXPECT_EQ(decode_object<ServiceEntry>(replace(se, R"(["240.0.0.2"])", R"("240.0.0.2")")).error,
            "spec.addresses: expected an array of strings");

  EXPECT_EQ(decode_object<WorkloadEntry>(
                replace(fixture("workloadentry.json"), R"("weight": 5)", R"("weight": true)"))
                .error,
            "spec.weight: expected an integer 0..4294967295");
  EXPECT_EQ(decode_object<DestinationRule>(
                replace(fixture("destinationrule.json"), R"("host": "reviews")", R"("host": [])"))
                .error,
            "spec.host: expected a string");
}

TEST(KubeDecode, ListWithABadItemFailsNamingTheIndex) {
  std::string items;
  for (int i = 0; i < 5; ++i) {
    int port = i == 3 ? 70000 : 80 + i;
    items += (i == 0 ? "" : ",") + std::string(R"({"metadata":{"name":"s)") + std::to_string(i) +
             R"("},"spec":{"ports":[{"port":)" + std::to_string(port) + "}]}}";
  }
  std::string list =
      R"({"kind":"ServiceList","metadata":{"resourceVersion":"9"},"items":[)" + items + "]}";
  auto d = decode_list<Service>(list);
  EXPECT_FALSE(d.ok());
  EXPECT_EQ(d.error, "items[3].spec.ports[0].port: expected an integer 1..65535");

  auto nameless = decode_list<Pod>(R"({"metadata":{},"items":[{"metadata":{}}]})");
  EXPECT_EQ(nameless.error, "items[0].metadata.name: missing");
  EXPECT_EQ(decode_list<Pod>(R"({"metadata":{"name":"p"}})").error, "items: missing");
  auto empty =
      decode_list<Pod>(R"({"kind":"PodList","metadata":{"resourceVersion":"5"},"items":[]})");
  ASSERT_TRUE(empty.ok()) << empty.error;
  EXPECT_TRUE(empty.value->items.empty());
  EXPECT_EQ(empty.value->resource_version, "5");
  EXPECT_TRUE(empty.value->continue_token.empty());
}

TEST(KubeDecode, DeepNestingRefusedBeforeParsing) {
  std::string deep(100000, '[');
  EXPECT_EQ(decode_object<Service>(deep).error, "JSON nested deeper than 64");
  EXPECT_EQ(decode_list<Pod>(deep).error, "JSON nested deeper than 64");
  EXPECT_EQ(decode_event<Pod>(deep).error, "JSON nested deeper than 64");
  EXPECT_EQ(decode_status(deep).error, "JSON nested deeper than 64");
  std::string objects;
  for (int i = 0; i < 65; ++i)
    objects += R"({"a":)";
  EXPECT_EQ(decode_object<Namespace>(objects).error, "JSON nested deeper than 64");

  // 64 levels is allowed; brackets inside strings (escaped quotes too) do not count.
  std::string ok = R"({"metadata":{"name":"n","labels":{"x":"[[[{{{\"[[["}},"spec":)";
  for (int i = 0; i < 61; ++i)
    ok += "[";
  for (int i = 0; i < 61; ++i)
    ok += "]";
  ok += "}";
  auto d = decode_object<Namespace>(ok);
  ASSERT_TRUE(d.ok()) << d.error;
  EXPECT_EQ(d.value->meta.labels.at("x"), R"([[[{{{"[[[)");
}

TEST(KubeDecode, MalformedInputRejected) {
  std::string pod = fixture("pod.json");
  EXPECT_EQ(decode_object<Pod>(pod.substr(0, pod.size() / 2)).error, "invalid JSON");
  EXPECT_EQ(decode_object<Pod>("").error, "invalid JSON");
  EXPECT_EQ(decode_object<Pod>("[1,2]").error, "expected a JSON object");
  EXPECT_EQ(decode_object<Pod>("\"Pod\"").error, "expected a JSON object");
  EXPECT_EQ(decode_event<Pod>("null").error, "expected a JSON object");
  EXPECT_EQ(decode_object<Pod>(R"({"metadata":{"namespace":"x"}})").error,
            "metadata.name: missing");
  EXPECT_EQ(decode_object<Pod>(R"({"metadata":"p"})").error, "metadata: expected an object");
  EXPECT_EQ(decode_object<Service>(R"({"metadata":{"name":"a"},"spec":{"ports":[{"port":70000}]}})")
                .error,
            "spec.ports[0].port: expected an integer 1..65535");
  EXPECT_EQ(decode_object<Service>(
                R"({"metadata":{"name":"a"},"spec":{"ports":[{"port":18446744073709551617}]}})")
                .error,
            "spec.ports[0].port: expected an integer 1..65535");
  EXPECT_EQ(decode_object<Service>(R"({"metadata":{"name":"a"},"spec":{"ports":[{}]}})").error,
            "spec.ports[0].port: expected an integer 1..65535");
  EXPECT_EQ(decode_object<Service>(R"({"metadata":{"name":"a"},"spec":{"ports":[7]}})").error,
            "spec.ports[0]: expected an object");
}

TEST(KubeDecode, UnknownFieldsIgnoredAndNullsReadAsAbsent) {
  auto d = decode_object<Service>(R"({
    "kind": "Service", "apiVersion": "v1", "futureField": {"deep": [1, {"x": null}]},
    "metadata": {"name": "a", "labels": null, "deletionTimestamp": null, "newMeta": 5},
    "spec": {"selector": null, "ports": [{"port": 80, "newPortField": [true]}],
             "trafficDistribution": "PreferClose"}})");
  ASSERT_TRUE(d.ok()) << d.error;
  EXPECT_FALSE(d.value->meta.deleting);
  EXPECT_TRUE(d.value->selector.empty());
  EXPECT_EQ(d.value->ports.size(), 1u);

  auto deleting =
      decode_object<Pod>(R"({"metadata":{"name":"p","deletionTimestamp":"2026-11-02T10:00:00Z"}})");
  ASSERT_TRUE(deleting.ok()) << deleting.error;
  EXPECT_TRUE(deleting.value->meta.deleting);
}

}  // namespace
}  // namespace meshgate::discovery::kube

namespace meshgate::discovery::kube {
namespace {

TEST(KubeDecode, PodNodeReadinessAndNamedContainerPorts) {
  std::string json = fixture("pod.json");
  auto d = decode_object<Pod>(json);
  ASSERT_TRUE(d.ok()) << d.error;
  EXPECT_EQ(d.value->node_name, "worker-1");
  EXPECT_TRUE(d.value->ready);
  EXPECT_TRUE(d.value->named_ports.empty());  // its one container port has no name
  json = replace(json, R"("containerPort": 9080, "protocol": "TCP")",
                 R"("containerPort": 9080, "protocol": "TCP", "name": "http")");
  json = replace(json, R"("type": "Ready", "status": "True")",
                 R"("type": "Ready", "status": "False")");
  d = decode_object<Pod>(json);
  ASSERT_TRUE(d.ok()) << d.error;
  EXPECT_EQ(d.value->named_ports, (std::map<std::string, uint32_t>{{"http", 9080}}));
  EXPECT_FALSE(d.value->ready);
}

TEST(KubeDecode, ServiceExportToAnnotation) {
  auto d = decode_object<Service>(R"({"metadata": {"name": "a", "namespace": "b",
      "creationTimestamp": "2026-11-02T09:21:02Z",
      "annotations": {"networking.istio.io/exportTo": ".,istio-system", "other": "x"}},
      "spec": {"ports": [{"port": 80}]}})");
  ASSERT_TRUE(d.ok()) << d.error;
  EXPECT_EQ(d.value->export_to, ".,istio-system");
  EXPECT_EQ(d.value->meta.creation_timestamp, "2026-11-02T09:21:02Z");
  auto bad =
      decode_object<Service>(R"({"metadata": {"name": "a", "annotations": []}, "spec": {}})");
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.error.find("metadata.annotations"), std::string::npos) << bad.error;
}

TEST(KubeDecode, DestinationRuleTlsModesAndWorkloadSelector) {
  auto d = decode_object<DestinationRule>(R"({"metadata": {"name": "r", "namespace": "bar"},
      "spec": {"host": "httpbin", "workloadSelector": {"matchLabels": {"app": "x"}},
        "trafficPolicy": {"tls": {"mode": "DISABLE"},
          "portLevelSettings": [{"port": {"number": 8443}, "tls": {"mode": "ISTIO_MUTUAL"}}]},
        "subsets": [{"name": "v1", "labels": {"version": "v1"},
                     "trafficPolicy": {"tls": {"mode": "SIMPLE"}}}]}})");
  ASSERT_TRUE(d.ok()) << d.error;
  const DestinationRule& dr = *d.value;
  EXPECT_TRUE(dr.workload_selector);
  EXPECT_EQ(dr.tls, (TlsPolicy{true, "DISABLE", {PortTls{8443, "ISTIO_MUTUAL"}}}));
  EXPECT_EQ(dr.subsets.at(0).tls, (TlsPolicy{true, "SIMPLE", {}}));
}

// samples/multicluster/expose-services.yaml as the API server returns it.
TEST(KubeDecode, GatewayOfExposeServices) {
  auto d = decode_object<Gateway>(R"({"apiVersion": "networking.istio.io/v1",
      "kind": "Gateway", "metadata": {"name": "cross-network-gateway", "namespace": "istio-system"},
      "spec": {"selector": {"istio": "eastwestgateway"},
        "servers": [{"port": {"number": 15443, "name": "tls", "protocol": "TLS"},
                     "tls": {"mode": "AUTO_PASSTHROUGH"}, "hosts": ["*.local"]}]}})");
  ASSERT_TRUE(d.ok()) << d.error;
  EXPECT_EQ(d.value->selector, (Labels{{"istio", "eastwestgateway"}}));
  ASSERT_EQ(d.value->servers.size(), 1u);
  EXPECT_EQ(d.value->servers[0],
            (GatewayServer{15443, "tls", "TLS", {"*.local"}, "AUTO_PASSTHROUGH"}));
  auto bad = decode_object<Gateway>(R"({"metadata": {"name": "g"},
      "spec": {"servers": [{"port": {"number": 70000}}]}})");
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.error.find("spec.servers[0].port.number"), std::string::npos) << bad.error;
}

}  // namespace
}  // namespace meshgate::discovery::kube
