#include "discovery/kubernetes/cluster_index.h"

#include <algorithm>
#include <functional>

#include "discovery/kubernetes/translate.h"

namespace meshgate::discovery::kube {
namespace {

constexpr std::string_view kServiceNameLabel = "kubernetes.io/service-name";

uint64_t hash_of(std::string_view text) {
  return std::hash<std::string_view>{}(text);
}

// Calls `fn(index, at)` for every entry the slice has in the index.
template <typename Fn>
void each_slice_entry(ClusterIndex& index, const EndpointSlice& slice, Fn fn) {
  fn(index.slices_by_owner, slice_owner(slice));
  for (const SliceEndpoint& ep : slice.endpoints) {
    if (std::string pod = target_pod(slice, ep); !pod.empty()) fn(index.slices_by_pod, pod);
    if (!ep.addresses.empty()) fn(index.slices_by_ip, slice.meta.ns + "/" + ep.addresses.front());
  }
}

template <typename Fn>
void each_pod_entry(ClusterIndex& index, const Pod& pod, Fn fn) {
  fn(index.pods_by_ns, pod.meta.ns);
  for (const std::string& ip : pod.pod_ips)
    fn(index.pods_by_ip, pod.meta.ns + "/" + ip);
}

}  // namespace

void KeyIndex::add(std::string_view at, std::string_view key) {
  entries_.emplace(hash_of(at), key);
}

void KeyIndex::remove(std::string_view at, std::string_view key) {
  auto [first, last] = entries_.equal_range(hash_of(at));
  for (auto it = first; it != last; ++it) {
    if (it->second == key) {
      entries_.erase(it);
      return;
    }
  }
}

std::vector<std::string_view> KeyIndex::find(std::string_view at) const {
  std::vector<std::string_view> keys;
  auto [first, last] = entries_.equal_range(hash_of(at));
  for (auto it = first; it != last; ++it)
    keys.push_back(it->second);
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

std::string slice_owner(const EndpointSlice& slice) {
  auto it = slice.meta.labels.find(kServiceNameLabel);
  return slice.meta.ns + "/" + (it == slice.meta.labels.end() ? std::string() : it->second);
}

std::string target_pod(const EndpointSlice& slice, const SliceEndpoint& endpoint) {
  if (!endpoint.target_ref || endpoint.target_ref->kind != "Pod") return "";
  const std::string& ns = endpoint.target_ref->ns.empty() ? slice.meta.ns : endpoint.target_ref->ns;
  return ns + "/" + endpoint.target_ref->name;
}

void index_add(ClusterIndex& index, const std::string& key, const EndpointSlice& slice) {
  each_slice_entry(index, slice,
                   [&](KeyIndex& at, const std::string& where) { at.add(where, key); });
}

void index_remove(ClusterIndex& index, const std::string& key, const EndpointSlice& slice) {
  each_slice_entry(index, slice,
                   [&](KeyIndex& at, const std::string& where) { at.remove(where, key); });
}

void index_add(ClusterIndex& index, const std::string& key, const Pod& pod) {
  each_pod_entry(index, pod, [&](KeyIndex& at, const std::string& where) { at.add(where, key); });
}

void index_remove(ClusterIndex& index, const std::string& key, const Pod& pod) {
  each_pod_entry(index, pod,
                 [&](KeyIndex& at, const std::string& where) { at.remove(where, key); });
}

void index_add(ClusterIndex& index, const std::string& key, const WorkloadEntry& entry) {
  index.entries_by_ns.add(entry.meta.ns, key);
}

void index_remove(ClusterIndex& index, const std::string& key, const WorkloadEntry& entry) {
  index.entries_by_ns.remove(entry.meta.ns, key);
}

ClusterIndex index_of(const ClusterState& state) {
  ClusterIndex index;
  for (const auto& [key, slice] : state.endpoint_slices)
    index_add(index, key, slice);
  for (const auto& [key, pod] : state.pods)
    index_add(index, key, pod);
  for (const auto& [key, entry] : state.workload_entries)
    index_add(index, key, entry);
  return index;
}

}  // namespace meshgate::discovery::kube
