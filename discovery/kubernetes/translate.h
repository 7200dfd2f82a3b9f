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
  std::vector<std::string> export_hosts{"*.local"};
  std::vector<std::string> include_namespaces;  // empty: every namespace
  std::vector<std::string> exclude_namespaces;
};

// Everything discovery has seen, keyed by "<namespace>/<name>" (Namespaces
// by name).
struct ClusterState {
  std::map<std::string, Service> services;
  std::map<std::string, EndpointSlice> endpoint_slices;
  std::map<std::string, Pod> pods;
  std::map<std::string, Namespace> namespaces;
  std::map<std::string, ServiceEntry> service_entries;
  std::map<std::string, WorkloadEntry> workload_entries;
  std::map<std::string, DestinationRule> destination_rules;
};

SourceState translate(const ClusterState& state, const TranslateOptions& options);

// True if `host` matches `pattern`: equal, or pattern "*.<suffix>" and host
// ends in ".<suffix>".
bool host_matches(std::string_view host, std::string_view pattern);

}  // namespace meshgate::discovery::kube
