// Lookups over a cluster's objects that translation needs and that would
// otherwise take a pass over every object: the slices of a Service, the pods
// of an IP, the pods and WorkloadEntries of a namespace, and which slices
// name a pod. The Store keeps one up to date object by object, so that a
// change does not rebuild it; index_of() builds one from scratch (tests, a
// one-shot translate()). Both give equal indexes for equal states.
//
// It is kept small, since the store holds it for as long as the objects: an
// entry is a 64-bit hash of the text it is filed under and a view of the
// object's key in the ClusterState map (which never moves), about 40 bytes.
// Two texts may share a hash, so a lookup may return a key filed under
// another text: callers check what they get.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "discovery/kubernetes/objects.h"

namespace meshgate::discovery::kube {

struct ClusterState;

using KeySet = std::set<std::string, std::less<>>;

// Object keys filed under texts (a namespace, "<ns>/<ip>", a pod key).
class KeyIndex {
 public:
  // Files `key`, a view of a ClusterState map key, under `at`. A key filed
  // twice under one text is removed by two remove() calls.
  void add(std::string_view at, std::string_view key);
  void remove(std::string_view at, std::string_view key);
  // Every key filed under `at` (and perhaps under a text of the same hash),
  // sorted, each once.
  std::vector<std::string_view> find(std::string_view at) const;
  std::size_t size() const { return entries_.size(); }
  bool operator==(const KeyIndex&) const = default;

 private:
  std::unordered_multimap<uint64_t, std::string_view> entries_;
};

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

// Adds or removes one object's entries; `key` is its key in its ClusterState
// map, the map's own string (the index keeps a view of it).
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
