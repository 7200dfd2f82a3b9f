// What a cluster's objects mean to the gateway: from the Services,
// EndpointSlices, Pods, Namespaces and Istio resources discovery has seen,
// the registry's model (discovery/model.h), as istiod would see the mesh.
// Pure: the same state gives the same result.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "discovery/kubernetes/objects.h"
#include "discovery/model.h"

namespace meshgate::discovery::kube {

struct TranslateOptions {
  std::string cluster_domain = "cluster.local";
  // Hosts this gateway exports, as Istio's expose-services.yaml: an exact
  // host or "*.<suffix>". A Service whose host matches none is left out.
  // Used while gateway_labels is empty.
  std::vector<std::string> export_hosts{"*.local"};
  // The gateway's pod labels. Not empty: the Gateway resources selecting
  // them decide the exported hosts instead (gateway_hosts.h), as istiod's do.
  Labels gateway_labels;
  uint16_t gateway_port = 15443;  // the Gateway servers that count name this port
  // Where the gateway runs: it sees what is exported to this namespace.
  std::string gateway_namespace = "istio-system";
  // istiod's namespace, the mesh's root namespace: its network label is the
  // pods' default network, its DestinationRules apply mesh-wide.
  std::string system_namespace = "istio-system";
  std::string cluster_id = "Kubernetes";        // istiod's CLUSTER_ID, its default
  std::vector<std::string> include_namespaces;  // empty: every namespace
  std::vector<std::string> exclude_namespaces;
};

// Everything discovery has seen, keyed by "<namespace>/<name>" (Namespaces
// by name).
struct ClusterState {
  ObjectMap<Service> services;
  ObjectMap<EndpointSlice> endpoint_slices;
  ObjectMap<Pod> pods;
  ObjectMap<Namespace> namespaces;
  ObjectMap<ServiceEntry> service_entries;
  ObjectMap<WorkloadEntry> workload_entries;
  ObjectMap<DestinationRule> destination_rules;
  ObjectMap<Gateway> gateways;
};

SourceState translate(const ClusterState& state, const TranslateOptions& options);

// True if `host` matches `pattern`: equal, pattern "*", or pattern
// "*.<suffix>" and host ends in ".<suffix>".
bool host_matches(std::string_view host, std::string_view pattern);

}  // namespace meshgate::discovery::kube
