// Realistic Kubernetes and Istio objects as the API server returns them
// (JSON), for the stand-in API server: pods as a Deployment's ReplicaSet
// creates them with Istio's sidecar labels, EndpointSlices as the
// EndpointSlice controller writes them, Istio resources as users write them
// (plus the fields the API server adds: uid, creationTimestamp,
// generation, managedFields omitted). Every uid is derived from the
// object's kind, namespace and name, so an ownerReference or a targetRef
// built by one function names the uid another function gave the object;
// metadata.resourceVersion is left to the server.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace meshgate::testing::kube {

using Labels = std::map<std::string, std::string>;

// A namespace; `network` non-empty adds topology.istio.io/network.
std::string namespace_json(const std::string& name, const std::string& network = "");

// A ConfigMap with `data` (key -> text).
std::string config_map_json(const std::string& ns, const std::string& name,
                            const std::map<std::string, std::string>& data);

struct ServicePortSpec {
  std::string name;  // "http", "tls", ...
  uint16_t port = 0;
  // A number ("8443") or a container port name ("https"); empty: `port`,
  // as the API server defaults it.
  std::string target_port;
  std::string protocol = "TCP";
};

// A ClusterIP Service selecting `selector`, labelled app=<name> and
// service=<name>.
std::string service_json(const std::string& ns, const std::string& name, const Labels& selector,
                         const std::vector<ServicePortSpec>& ports,
                         const std::string& cluster_ip = "10.96.12.34");

// A pod of Deployment `app`-`version` (name "<app>-<version>-<hash>-<suffix>";
// an empty `name` is made up that way, and a name of that shape gives the
// pod-template-hash, else it is derived from app and version), Running,
// with labels app, version, pod-template-hash, security.istio.io/tlsMode
// (when `istio_mtls`), service.istio.io/canonical-name/-revision and, when
// `network` is non-empty, topology.istio.io/network; status.podIP(s) = ip,
// conditions Ready = `ready`; the istio-proxy sidecar container listed.
struct PodSpec {
  std::string ns;
  std::string name;
  std::string app;
  std::string version;
  std::string ip;
  bool ready = true;
  bool istio_mtls = true;
  std::string network;
  Labels extra_labels;
};
std::string pod_json(const PodSpec& pod);

struct SliceEndpointSpec {
  std::string ip;
  std::string pod_name;  // targetRef to this Pod in the slice's namespace; empty: none
  bool ready = true;
  bool serving = true;
  bool terminating = false;
};

struct SlicePortSpec {
  std::string name;
  uint16_t port = 0;
};

// An EndpointSlice named `name` (as the controller names them:
// "<service>-<5 random chars>") for Service `service`, addressType IPv4,
// labels kubernetes.io/service-name and endpointslice.kubernetes.io/managed-by,
// plus the Service's app/service labels, ownerReference to the Service,
// endpoints with nodeName and zone. As the controller does, a terminating
// endpoint is written ready=false whatever `ready` says.
std::string endpoint_slice_json(const std::string& ns, const std::string& name,
                                const std::string& service,
                                const std::vector<SliceEndpointSpec>& endpoints,
                                const std::vector<SlicePortSpec>& ports);

struct SubsetSpec {
  std::string name;
  Labels labels;
};
// networking.istio.io/v1beta1 DestinationRule for `host` with subsets.
std::string destination_rule_json(const std::string& ns, const std::string& name,
                                  const std::string& host, const std::vector<SubsetSpec>& subsets);

// networking.istio.io/v1beta1 WorkloadEntry for a VM: address, labels,
// serviceAccount, network (optional), ports by name (optional).
std::string workload_entry_json(const std::string& ns, const std::string& name,
                                const std::string& address, const Labels& labels,
                                const std::string& network = "",
                                const std::map<std::string, uint32_t>& ports = {});

struct ServiceEntryPortSpec {
  uint32_t number = 0;
  std::string name;
  std::string protocol = "TLS";
  uint32_t target_port = 0;  // 0: absent
};
// networking.istio.io/v1beta1 ServiceEntry: hosts, addresses, ports,
// location MESH_INTERNAL, resolution STATIC, optional inline endpoints
// (addresses) and workloadSelector labels.
std::string service_entry_json(const std::string& ns, const std::string& name,
                               const std::vector<std::string>& hosts,
                               const std::vector<std::string>& addresses,
                               const std::vector<ServiceEntryPortSpec>& ports,
                               const std::vector<std::string>& endpoint_addresses = {},
                               const Labels& workload_selector = {});

struct GatewayServerSpec {
  uint32_t port = 15443;
  std::string tls_mode = "AUTO_PASSTHROUGH";
  std::vector<std::string> hosts{"*.local"};
};
// networking.istio.io/v1beta1 Gateway selecting pods by `selector`, as
// samples/multicluster/expose-services.yaml writes it (server port named
// "tls", protocol TLS).
std::string gateway_json(const std::string& ns, const std::string& name, const Labels& selector,
                         const std::vector<GatewayServerSpec>& servers = {GatewayServerSpec{}});

// `object_json` with the JSON value `value_json` set at `pointer` (RFC 6901,
// e.g. "/metadata/annotations"; parents are created), for the fields the
// functions above do not offer.
std::string with_field(const std::string& object_json, const std::string& pointer,
                       const std::string& value_json);

// The collections of the stand-in API server these belong to.
inline constexpr const char* kNamespaces = "/api/v1/namespaces";
inline constexpr const char* kServices = "/api/v1/services";
inline constexpr const char* kPods = "/api/v1/pods";
inline constexpr const char* kEndpointSlices = "/apis/discovery.k8s.io/v1/endpointslices";
inline constexpr const char* kDestinationRules =
    "/apis/networking.istio.io/v1beta1/destinationrules";
inline constexpr const char* kWorkloadEntries = "/apis/networking.istio.io/v1beta1/workloadentries";
inline constexpr const char* kServiceEntries = "/apis/networking.istio.io/v1beta1/serviceentries";
inline constexpr const char* kGateways = "/apis/networking.istio.io/v1beta1/gateways";

}  // namespace meshgate::testing::kube
