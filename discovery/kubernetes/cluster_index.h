// Lookups over a cluster's objects that translation needs and that would
// otherwise take a pass over every object: the slices of a Service, the pods
// of an IP, the pods and WorkloadEntries of a namespace, and which slices
// name a pod. The Store keeps one up to date object by object, so that a
// change does not rebuild it; index_of() builds one from scratch (tests, a
// one-shot translate()). Both give equal indexes for equal states.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>

#include "discovery/kubernetes/objects.h"

namespace meshgate::discovery::kube {

struct ClusterState;

using KeySet = std::set<std::string, std::less<>>;
using KeyIndex = std::map<std::string, KeySet, std::less<>>;

// Every set holds object keys ("<namespace>/<name>"), so iterating one goes
// in the order of the ClusterState maps.
struct ClusterIndex {
  KeyIndex slices_by_owner;  // "<ns>/<service>" (label kubernetes.io/service-name)
  KeyIndex slices_by_pod;    // pod key a slice endpoint's targetRef names
  KeyIndex slices_by_ip;     // "<slice ns>/<ip>": a slice endpoint's first address
  KeyIndex pods_by_ip;       // "<ns>/<ip>" of each of a pod's IPs
  KeyIndex pods_by_ns;
  KeyIndex entries_by_ns;  // WorkloadEntries
  bool operator==(const ClusterIndex&) const = default;
};

ClusterIndex index_of(const ClusterState& state);

// Adds or removes one object's entries; `key` is its key in ClusterState.
void index_add(ClusterIndex& index, const std::string& key, const EndpointSlice& slice);
void index_remove(ClusterIndex& index, const std::string& key, const EndpointSlice& slice);
void index_add(ClusterIndex& index, const std::string& key, const Pod& pod);
void index_remove(ClusterIndex& index, const std::string& key, const Pod& pod);
void index_add(ClusterIndex& index, const std::string& key, const WorkloadEntry& entry);
void index_remove(ClusterIndex& index, const std::string& key, const WorkloadEntry& entry);

// "<ns>/<service>" of the Service a slice belongs to.
std::string slice_owner(const EndpointSlice& slice);
// The pod key a slice endpoint's targetRef names; "" when it names no pod.
std::string target_pod(const EndpointSlice& slice, const SliceEndpoint& endpoint);

}  // namespace meshgate::discovery::kube
