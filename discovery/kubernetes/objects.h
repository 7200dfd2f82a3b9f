// The Kubernetes and Istio objects discovery reads, as plain structs: only
// the fields meshgate uses, named as the API names them. decode.h fills them
// from the API server's JSON; translate.h turns a set of them into the
// registry's model. No JSON type appears here.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace meshgate::discovery::kube {

// Objects of one kind by key ("<namespace>/<name>"), found by string_view too.
template <typename T>
using ObjectMap = std::map<std::string, T, std::less<>>;

using Labels = std::map<std::string, std::string, std::less<>>;

// metav1.ObjectMeta
struct ObjectMeta {
  std::string name;
  std::string ns;  // metadata.namespace; empty for cluster-scoped objects
  std::string resource_version;
  // metadata.creationTimestamp, RFC 3339 ("2026-12-07T03:00:00Z"): istiod
  // orders Istio resources by it, oldest first.
  std::string creation_timestamp;
  Labels labels;
  bool deleting = false;  // metadata.deletionTimestamp is set
  bool operator==(const ObjectMeta&) const = default;
};

// core/v1 ServicePort. targetPort is an int or a port name (IntOrString).
struct ServicePort {
  std::string name;
  std::string protocol = "TCP";
  uint16_t port = 0;
  uint16_t target_port = 0;      // when targetPort is a number (0: absent)
  std::string target_port_name;  // when targetPort is a name
  bool operator==(const ServicePort&) const = default;
};

// core/v1 Service
struct Service {
  ObjectMeta meta;
  std::string type = "ClusterIP";  // ClusterIP, NodePort, LoadBalancer, ExternalName
  std::string cluster_ip;          // "None" for a headless service
  std::vector<ServicePort> ports;
  Labels selector;
  // The annotation networking.istio.io/exportTo, as written ("", ".",
  // "*", "~", namespaces; comma-separated).
  std::string export_to;
  bool operator==(const Service&) const = default;
};

// discovery.k8s.io/v1 EndpointSlice
struct EndpointConditions {
  // The API's nil means: ready unknown, read as ready; serving as ready;
  // terminating as false.
  std::optional<bool> ready;
  std::optional<bool> serving;
  std::optional<bool> terminating;
  bool operator==(const EndpointConditions&) const = default;
};

struct ObjectReference {
  std::string kind;  // "Pod" for pod endpoints
  std::string name;
  std::string ns;
  bool operator==(const ObjectReference&) const = default;
};

struct SliceEndpoint {
  std::vector<std::string> addresses;  // 1..100; all one endpoint, the first is used
  EndpointConditions conditions;
  std::optional<ObjectReference> target_ref;
  bool operator==(const SliceEndpoint&) const = default;
};

struct SlicePort {
  std::string name;  // matches the Service port's name; may be empty
  std::string protocol = "TCP";
  std::optional<uint16_t> port;  // absent: all ports
  bool operator==(const SlicePort&) const = default;
};

struct EndpointSlice {
  ObjectMeta meta;           // labels["kubernetes.io/service-name"] names the Service
  std::string address_type;  // IPv4, IPv6 or FQDN
  std::vector<SliceEndpoint> endpoints;
  std::vector<SlicePort> ports;
  bool operator==(const EndpointSlice&) const = default;
};

// core/v1 Pod: labels for subsets, tlsMode and network.
struct Pod {
  ObjectMeta meta;
  std::vector<std::string> pod_ips;  // status.podIPs[].ip, else status.podIP
  std::string phase;                 // status.phase
  bool ready = false;                // status.conditions[Ready] is "True"
  std::string node_name;             // spec.nodeName
  // spec.containers[].ports[]: name -> containerPort, TCP ones with a name
  // (a ServiceEntry selecting the pod maps its ports by these names).
  std::map<std::string, uint32_t> named_ports;
  bool operator==(const Pod&) const = default;
};

// core/v1 Namespace: its topology.istio.io/network label is the default
// network of its pods.
struct Namespace {
  ObjectMeta meta;
  bool operator==(const Namespace&) const = default;
};

// networking.istio.io ServiceEntry (v1beta1 / v1)
struct IstioPort {
  uint32_t number = 0;
  std::string protocol;
  std::string name;
  uint32_t target_port = 0;  // 0: absent
  bool operator==(const IstioPort&) const = default;
};

// A WorkloadEntry's spec; also an inline ServiceEntry endpoint.
struct WorkloadEntrySpec {
  std::string address;
  std::map<std::string, uint32_t> ports;  // port name -> number
  Labels labels;
  std::string network;
  uint32_t weight = 0;  // 0: absent
  std::string service_account;
  std::string locality;  // region/zone/subzone
  bool operator==(const WorkloadEntrySpec&) const = default;
};

struct ServiceEntry {
  ObjectMeta meta;
  std::vector<std::string> hosts;
  std::vector<std::string> addresses;
  std::vector<IstioPort> ports;
  std::string location;    // MESH_EXTERNAL (default) or MESH_INTERNAL
  std::string resolution;  // NONE (default), STATIC, DNS, DNS_ROUND_ROBIN
  std::vector<WorkloadEntrySpec> endpoints;
  std::optional<Labels> workload_selector;  // selects WorkloadEntries (and pods)
  std::vector<std::string> export_to;
  bool operator==(const ServiceEntry&) const = default;
};

struct WorkloadEntry {
  ObjectMeta meta;
  WorkloadEntrySpec spec;
  bool operator==(const WorkloadEntry&) const = default;
};

// networking.istio.io DestinationRule: its subsets, and the TLS modes of
// its traffic policies (they decide whether istiod counts the endpoints as
// Istio mTLS).
struct PortTls {
  uint32_t port = 0;  // portLevelSettings[].port.number
  std::string mode;   // its tls.mode; "" : none set
  bool operator==(const PortTls&) const = default;
};

// trafficPolicy.tls.mode and portLevelSettings[].tls.mode.
struct TlsPolicy {
  bool set = false;  // the trafficPolicy is there (with or without tls)
  std::string mode;  // DISABLE, SIMPLE, MUTUAL, ISTIO_MUTUAL; "" : none set
  std::vector<PortTls> ports;
  bool operator==(const TlsPolicy&) const = default;
};

struct Subset {
  std::string name;
  Labels labels;
  TlsPolicy tls;  // the subset's own trafficPolicy
  bool operator==(const Subset&) const = default;
};

struct DestinationRule {
  ObjectMeta meta;
  std::string host;  // may be short ("reviews"), relative to the rule's namespace
  std::vector<Subset> subsets;
  std::vector<std::string> export_to;
  TlsPolicy tls;
  bool workload_selector = false;  // applies to selected workloads only
  bool operator==(const DestinationRule&) const = default;
};

// networking.istio.io Gateway: the servers of the gateways its selector
// picks (by their pod labels).
struct GatewayServer {
  uint32_t port = 0;  // port.number
  std::string port_name;
  std::string protocol;
  std::vector<std::string> hosts;  // "*.local", "ns/host", "./host", "*"
  std::string tls_mode;            // tls.mode: PASSTHROUGH, AUTO_PASSTHROUGH, ...
  bool operator==(const GatewayServer&) const = default;
};

struct Gateway {
  ObjectMeta meta;
  Labels selector;
  std::vector<GatewayServer> servers;
  bool operator==(const Gateway&) const = default;
};

}  // namespace meshgate::discovery::kube
