#include "tests/support/kube_manifests.h"

#include <cstddef>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string_view>

namespace meshgate::testing::kube {
namespace {

using json = nlohmann::json;

// Every object is created at the same instant: the tests compare objects,
// never clocks, and a fixed time keeps the output byte-for-byte stable.
constexpr const char* kCreated = "2026-11-01T10:00:00Z";
constexpr const char* kNode = "node-1";
constexpr const char* kHostIp = "172.18.0.2";
constexpr const char* kZone = "zone-a";
constexpr const char* kProxyImage = "docker.io/istio/proxyv2:1.24.0";
constexpr const char* kAppImage = "docker.io/kennethreitz/httpbin";
constexpr const char* kIstioApi = "networking.istio.io/v1beta1";

// FNV-1a rather than std::hash: the same uid in every build and every run,
// so a failing test's output can be compared with a previous one.
uint64_t fnv1a(std::string_view text, uint64_t seed) {
  uint64_t h = 0xcbf29ce484222325ull ^ seed;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

// A version-4-looking UUID derived from the object's identity, so an
// ownerReference or targetRef built elsewhere names the same uid.
std::string uid_of(std::string_view kind, std::string_view ns, std::string_view name) {
  std::string key = std::string(kind) + "/" + std::string(ns) + "/" + std::string(name);
  uint64_t hi = fnv1a(key, 0);
  uint64_t lo = fnv1a(key, 0x9e3779b97f4a7c15ull);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xffff), static_cast<unsigned>(hi & 0xfff),
                static_cast<unsigned>(0x8000 | ((lo >> 48) & 0x3fff)),
                static_cast<unsigned long long>(lo & 0xffffffffffffull));
  return buf;
}

// Like the controllers' rand.SafeEncodeString: no vowels, no 0/1/3.
std::string safe_encode(uint64_t value, size_t length) {
  static constexpr std::string_view kAlphabet = "bcdfghjklmnpqrstvwxz2456789";
  std::string out;
  for (size_t i = 0; i < length; ++i) {
    out.push_back(kAlphabet[value % kAlphabet.size()]);
    value /= kAlphabet.size();
  }
  return out;
}

json object_meta(std::string_view kind, const std::string& ns, const std::string& name) {
  json md = {{"name", name}, {"uid", uid_of(kind, ns, name)}, {"creationTimestamp", kCreated}};
  if (!ns.empty()) md["namespace"] = ns;
  return md;
}

json head(const char* api_version, std::string_view kind, const std::string& ns,
          const std::string& name) {
  return {{"apiVersion", api_version},
          {"kind", std::string(kind)},
          {"metadata", object_meta(kind, ns, name)}};
}

// Istio resources are CRDs: the API server counts their spec changes.
json istio_head(std::string_view kind, const std::string& ns, const std::string& name) {
  json o = head(kIstioApi, kind, ns, name);
  o["metadata"]["generation"] = 1;
  return o;
}

bool all_digits(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

json service_port(const ServicePortSpec& p) {
  json port = {{"name", p.name}, {"port", p.port}, {"protocol", p.protocol}};
  if (all_digits(p.target_port) && p.target_port.size() <= 5) {
    port["targetPort"] = std::stoi(p.target_port);
  } else if (!p.target_port.empty()) {
    port["targetPort"] = p.target_port;
  } else {
    port["targetPort"] = p.port;  // the API server's default
  }
  return port;
}

// The ReplicaSet's pod-template-hash: taken from a name shaped
// "<app>-<version>-<hash>-<suffix>", else derived from app and version.
std::string template_hash(const PodSpec& pod) {
  std::string prefix = pod.app + "-" + pod.version + "-";
  if (pod.name.rfind(prefix, 0) == 0) {
    std::string rest = pod.name.substr(prefix.size());
    size_t dash = rest.find('-');
    if (dash != std::string::npos && dash > 0 && rest.find('-', dash + 1) == std::string::npos &&
        dash + 1 < rest.size()) {
      return rest.substr(0, dash);
    }
  }
  return safe_encode(fnv1a(prefix, 1), 10);
}

json pod_labels(const PodSpec& pod, const std::string& hash) {
  json labels = {{"app", pod.app},
                 {"version", pod.version},
                 {"pod-template-hash", hash},
                 {"service.istio.io/canonical-name", pod.app},
                 {"service.istio.io/canonical-revision", pod.version}};
  if (pod.istio_mtls) labels["security.istio.io/tlsMode"] = "istio";
  if (!pod.network.empty()) labels["topology.istio.io/network"] = pod.network;
  for (const auto& [key, value] : pod.extra_labels)
    labels[key] = value;
  return labels;
}

json pod_annotations(const PodSpec& pod) {
  json status = {
      {"initContainers", {"istio-init"}},
      {"containers", {"istio-proxy"}},
      {"volumes", {"istio-envoy", "istio-data", "istio-podinfo", "istio-token", "istiod-ca-cert"}},
      {"imagePullSecrets", nullptr},
      {"revision", "default"}};
  return {{"sidecar.istio.io/status", status.dump()},
          {"kubectl.kubernetes.io/default-container", pod.app},
          {"istio.io/rev", "default"},
          {"prometheus.io/path", "/stats/prometheus"},
          {"prometheus.io/port", "15020"},
          {"prometheus.io/scrape", "true"}};
}

json pod_metadata(const PodSpec& pod, const std::string& name, const std::string& hash) {
  std::string replica_set = pod.app + "-" + pod.version + "-" + hash;
  json md = object_meta("Pod", pod.ns, name);
  md["generateName"] = replica_set + "-";
  md["labels"] = pod_labels(pod, hash);
  md["annotations"] = pod_annotations(pod);
  md["ownerReferences"] = json::array({{{"apiVersion", "apps/v1"},
                                        {"kind", "ReplicaSet"},
                                        {"name", replica_set},
                                        {"uid", uid_of("ReplicaSet", pod.ns, replica_set)},
                                        {"controller", true},
                                        {"blockOwnerDeletion", true}}});
  return md;
}

json pod_spec(const PodSpec& pod) {
  json app = {{"name", pod.app},
              {"image", kAppImage},
              {"imagePullPolicy", "IfNotPresent"},
              {"ports", {{{"containerPort", 80}, {"name", "http"}, {"protocol", "TCP"}}}}};
  json proxy = {
      {"name", "istio-proxy"},
      {"image", kProxyImage},
      {"args", {"proxy", "sidecar", "--domain", "$(POD_NAMESPACE).svc.cluster.local"}},
      {"ports", {{{"containerPort", 15090}, {"name", "http-envoy-prom"}, {"protocol", "TCP"}}}}};
  json init = {{"name", "istio-init"},
               {"image", kProxyImage},
               {"args", {"istio-iptables", "-p", "15001", "-z", "15006", "-u", "1337"}}};
  return {
      {"containers", {app, proxy}}, {"initContainers", {init}},  {"serviceAccountName", pod.app},
      {"serviceAccount", pod.app},  // the deprecated alias the server still fills
      {"nodeName", kNode},          {"restartPolicy", "Always"}, {"dnsPolicy", "ClusterFirst"}};
}

json condition(const char* type, bool status) {
  return {{"type", type}, {"status", status ? "True" : "False"}, {"lastTransitionTime", kCreated}};
}

json pod_status(const PodSpec& pod) {
  json containers = json::array();
  for (const std::string& name : {pod.app, std::string("istio-proxy")}) {
    containers.push_back({{"name", name},
                          {"ready", pod.ready},
                          {"started", true},
                          {"restartCount", 0},
                          {"state", {{"running", {{"startedAt", kCreated}}}}}});
  }
  return {{"phase", "Running"},
          {"conditions",
           {condition("Initialized", true), condition("Ready", pod.ready),
            condition("ContainersReady", pod.ready), condition("PodScheduled", true)}},
          {"hostIP", kHostIp},
          {"hostIPs", {{{"ip", kHostIp}}}},
          {"podIP", pod.ip},
          {"podIPs", {{{"ip", pod.ip}}}},
          {"startTime", kCreated},
          {"containerStatuses", containers},
          {"qosClass", "Burstable"}};
}

json slice_endpoint(const std::string& ns, const SliceEndpointSpec& e) {
  // The EndpointSlice controller never reports a terminating endpoint ready.
  json ep = {{"addresses", {e.ip}},
             {"conditions",
              {{"ready", e.ready && !e.terminating},
               {"serving", e.serving},
               {"terminating", e.terminating}}},
             {"nodeName", kNode},
             {"zone", kZone}};
  if (!e.pod_name.empty()) {
    ep["targetRef"] = {{"kind", "Pod"},
                       {"name", e.pod_name},
                       {"namespace", ns},
                       {"uid", uid_of("Pod", ns, e.pod_name)}};
  }
  return ep;
}

json slice_metadata(const std::string& ns, const std::string& name, const std::string& service) {
  json md = object_meta("EndpointSlice", ns, name);
  md["generateName"] = service + "-";
  md["generation"] = 1;
  // The controller copies the Service's labels and adds its own.
  md["labels"] = {{"kubernetes.io/service-name", service},
                  {"endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io"},
                  {"app", service},
                  {"service", service}};
  md["annotations"] = {{"endpoints.kubernetes.io/last-change-trigger-time", kCreated}};
  md["ownerReferences"] = json::array({{{"apiVersion", "v1"},
                                        {"kind", "Service"},
                                        {"name", service},
                                        {"uid", uid_of("Service", ns, service)},
                                        {"controller", true},
                                        {"blockOwnerDeletion", true}}});
  return md;
}

json istio_port(const ServiceEntryPortSpec& p) {
  json port = {{"number", p.number}, {"name", p.name}, {"protocol", p.protocol}};
  if (p.target_port != 0) port["targetPort"] = p.target_port;
  return port;
}

}  // namespace

std::string namespace_json(const std::string& name, const std::string& network) {
  json o = head("v1", "Namespace", "", name);
  json labels = {{"kubernetes.io/metadata.name", name}, {"istio-injection", "enabled"}};
  if (!network.empty()) labels["topology.istio.io/network"] = network;
  o["metadata"]["labels"] = labels;
  o["spec"] = {{"finalizers", {"kubernetes"}}};
  o["status"] = {{"phase", "Active"}};
  return o.dump();
}

std::string config_map_json(const std::string& ns, const std::string& name,
                            const std::map<std::string, std::string>& data) {
  json o = head("v1", "ConfigMap", ns, name);
  o["data"] = data;
  return o.dump();
}

std::string service_json(const std::string& ns, const std::string& name, const Labels& selector,
                         const std::vector<ServicePortSpec>& ports, const std::string& cluster_ip) {
  json o = head("v1", "Service", ns, name);
  o["metadata"]["labels"] = {{"app", name}, {"service", name}};
  json port_list = json::array();
  for (const ServicePortSpec& p : ports)
    port_list.push_back(service_port(p));
  o["spec"] = {{"clusterIP", cluster_ip},
               {"clusterIPs", {cluster_ip}},
               {"type", "ClusterIP"},
               {"ipFamilies", {"IPv4"}},
               {"ipFamilyPolicy", "SingleStack"},
               {"internalTrafficPolicy", "Cluster"},
               {"sessionAffinity", "None"},
               {"selector", selector},
               {"ports", port_list}};
  o["status"] = {{"loadBalancer", json::object()}};
  return o.dump();
}

std::string pod_json(const PodSpec& pod) {
  std::string hash = template_hash(pod);
  std::string name = pod.name.empty() ? pod.app + "-" + pod.version + "-" + hash + "-" +
                                            safe_encode(fnv1a(pod.ns + "/" + pod.ip, 2), 5)
                                      : pod.name;
  json o = {{"apiVersion", "v1"},
            {"kind", "Pod"},
            {"metadata", pod_metadata(pod, name, hash)},
            {"spec", pod_spec(pod)},
            {"status", pod_status(pod)}};
  return o.dump();
}

std::string endpoint_slice_json(const std::string& ns, const std::string& name,
                                const std::string& service,
                                const std::vector<SliceEndpointSpec>& endpoints,
                                const std::vector<SlicePortSpec>& ports) {
  json eps = json::array();
  for (const SliceEndpointSpec& e : endpoints)
    eps.push_back(slice_endpoint(ns, e));
  json port_list = json::array();
  for (const SlicePortSpec& p : ports) {
    port_list.push_back({{"name", p.name}, {"port", p.port}, {"protocol", "TCP"}});
  }
  json o = {{"apiVersion", "discovery.k8s.io/v1"},
            {"kind", "EndpointSlice"},
            {"metadata", slice_metadata(ns, name, service)},
            {"addressType", "IPv4"},
            {"endpoints", eps},
            {"ports", port_list}};
  return o.dump();
}

std::string destination_rule_json(const std::string& ns, const std::string& name,
                                  const std::string& host, const std::vector<SubsetSpec>& subsets) {
  json o = istio_head("DestinationRule", ns, name);
  json list = json::array();
  for (const SubsetSpec& s : subsets)
    list.push_back({{"name", s.name}, {"labels", s.labels}});
  o["spec"] = {{"host", host}, {"subsets", list}};
  return o.dump();
}

std::string workload_entry_json(const std::string& ns, const std::string& name,
                                const std::string& address, const Labels& labels,
                                const std::string& network,
                                const std::map<std::string, uint32_t>& ports) {
  json o = istio_head("WorkloadEntry", ns, name);
  auto app = labels.find("app");
  json spec = {{"address", address},
               {"labels", labels},
               {"serviceAccount", app != labels.end() ? app->second : name}};
  if (!network.empty()) spec["network"] = network;
  if (!ports.empty()) spec["ports"] = ports;
  o["spec"] = spec;
  return o.dump();
}

std::string service_entry_json(const std::string& ns, const std::string& name,
                               const std::vector<std::string>& hosts,
                               const std::vector<std::string>& addresses,
                               const std::vector<ServiceEntryPortSpec>& ports,
                               const std::vector<std::string>& endpoint_addresses,
                               const Labels& workload_selector) {
  json o = istio_head("ServiceEntry", ns, name);
  json port_list = json::array();
  for (const ServiceEntryPortSpec& p : ports)
    port_list.push_back(istio_port(p));
  json spec = {{"hosts", hosts},
               {"ports", port_list},
               {"location", "MESH_INTERNAL"},
               {"resolution", "STATIC"}};
  if (!addresses.empty()) spec["addresses"] = addresses;
  if (!endpoint_addresses.empty()) {
    json eps = json::array();
    for (const std::string& a : endpoint_addresses)
      eps.push_back({{"address", a}});
    spec["endpoints"] = eps;
  }
  if (!workload_selector.empty()) spec["workloadSelector"] = {{"labels", workload_selector}};
  o["spec"] = spec;
  return o.dump();
}

std::string gateway_json(const std::string& ns, const std::string& name, const Labels& selector,
                         const std::vector<GatewayServerSpec>& servers) {
  json o = istio_head("Gateway", ns, name);
  json list = json::array();
  for (const GatewayServerSpec& server : servers) {
    list.push_back({{"port", {{"number", server.port}, {"name", "tls"}, {"protocol", "TLS"}}},
                    {"tls", {{"mode", server.tls_mode}}},
                    {"hosts", server.hosts}});
  }
  o["spec"] = {{"selector", selector}, {"servers", list}};
  return o.dump();
}

std::string with_field(const std::string& object_json, const std::string& pointer,
                       const std::string& value_json) {
  json o = json::parse(object_json);
  o[json::json_pointer(pointer)] = json::parse(value_json);
  return o.dump();
}

}  // namespace meshgate::testing::kube
