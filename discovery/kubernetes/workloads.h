// The endpoints of Services and ServiceEntries, as istiod builds them:
// - EndpointSlices (serviceregistry/kube/controller/endpointslice.go,
//   endpoint_builder.go): only ready endpoints (a nil ready reads as ready);
//   terminating or not-ready ones are never routed. The first address of
//   each, an IP literal. Ports by the slice's port names, which are the
//   Service's (the unnamed port "" too): an endpoint serves exactly those.
//   A targetRef to a Pod not seen yet skips the endpoint; without a
//   targetRef the pod is looked up by IP in the slice's namespace.
// - WorkloadEntries a Service's selector picks (kube/controller/controller.go,
//   util.go findServiceTargetPort): same namespace, labels spec then
//   metadata (metadata wins). A numeric targetPort is the port, unless the
//   entry's ports name the service port; a named targetPort must be in the
//   entry's ports, else the entry does not serve that port.
// - ServiceEntry endpoints (serviceentry/conversion.go): its own endpoints,
//   or with a workloadSelector the WorkloadEntries and running Pods of its
//   namespace it picks. A port is the entry's ports[port name], else the
//   targetPort, else the port number.
// Every endpoint's Istio mTLS (model.GetTLSModeFromEndpointLabels,
// getTLSModeFromWorkloadEntry): the label security.istio.io/tlsMode must be
// "istio"; a WorkloadEntry without the label counts as "istio" when it has a
// serviceAccount. Its network (kube/controller/network.go): a pod's label
// topology.istio.io/network, else that label on the system namespace; a
// WorkloadEntry's spec.network only. Its labels gain what istiod adds for
// subset matching (serviceregistry/util/label.AugmentLabels):
// topology.istio.io/cluster, topology.istio.io/network (when absent),
// kubernetes.io/hostname (the pod's node) and the locality labels from
// topology.istio.io/locality or istio-locality (region/zone/subzone). Node
// labels are not watched: a pod's locality comes from its own labels only.
// Addresses that are host names (DNS ServiceEntries) are never dialled.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "discovery/kubernetes/cluster_index.h"
#include "discovery/kubernetes/objects.h"
#include "discovery/model.h"

namespace meshgate::discovery::kube {

struct ClusterState;

struct WorkloadOptions {
  std::string cluster_id;        // topology.istio.io/cluster of every endpoint
  std::string system_namespace;  // its network label is the pods' default network
};

class Workloads {
 public:
  // `wanted`: false for objects to leave out (deleted, excluded namespace).
  // `index` is state's (cluster_index.h); both must outlive this object.
  Workloads(const ClusterState& state, const ClusterIndex& index, WorkloadOptions options,
            std::function<bool(const ObjectMeta&)> wanted);

  // A Service's endpoints; `ports` are the Service's ports meshgate routes.
  std::vector<discovery::Endpoint> of_service(const Service& service,
                                              const std::vector<ServicePort>& ports) const;
  // A ServiceEntry's endpoints for its `ports`.
  std::vector<discovery::Endpoint> of_service_entry(const ServiceEntry& entry,
                                                    const std::vector<IstioPort>& ports) const;

 private:
  void add_slice(const EndpointSlice& slice, std::vector<discovery::Endpoint>& out) const;
  std::optional<discovery::Endpoint> slice_endpoint(const EndpointSlice& slice,
                                                    const SliceEndpoint& ep,
                                                    const discovery::PortSet& ports) const;
  std::optional<discovery::Endpoint> selected_entry(const WorkloadEntry& entry,
                                                    const Service& service,
                                                    const std::vector<ServicePort>& ports) const;
  std::optional<discovery::Endpoint> entry_endpoint(const WorkloadEntrySpec& spec,
                                                    const Labels& labels,
                                                    const std::vector<IstioPort>& ports) const;
  std::optional<discovery::Endpoint> pod_endpoint(const Pod& pod,
                                                  const std::vector<IstioPort>& ports) const;
  const Pod* pod_of(const EndpointSlice& slice, const SliceEndpoint& ep, bool& skip) const;
  std::string pod_network(const Labels& labels) const;
  // Sets ep.labels: `labels` with what istiod adds (the class comment), interned.
  void augment(discovery::Endpoint& ep, Labels labels, const std::string& locality,
               const std::string& node) const;

  // The objects filed under `at` in `index` that `belongs` (the index may
  // return more: texts can share a hash), in key order.
  template <typename T, typename Belongs>
  std::vector<const T*> lookup(const KeyIndex& index, const std::string& at,
                               const ObjectMap<T>& objects, Belongs belongs) const;

  const ClusterState& state_;
  const ClusterIndex& index_;
  WorkloadOptions options_;
  std::function<bool(const ObjectMeta&)> wanted_;
  std::string system_network_;
  // Endpoints with equal labels or ports share one map: pods of a
  // Deployment, endpoints of a slice.
  mutable discovery::MapPool<Labels> labels_;
  mutable discovery::MapPool<discovery::PortMap> ports_;
};

// A WorkloadEntry's (or inline endpoint's) labels: spec's, then metadata's
// over them.
Labels entry_labels(const WorkloadEntrySpec& spec, const Labels& metadata);

// Istio mTLS for a WorkloadEntry: its tlsMode label, else "istio" when it
// has a service account.
bool entry_mtls(const WorkloadEntrySpec& spec, const Labels& labels);

}  // namespace meshgate::discovery::kube
