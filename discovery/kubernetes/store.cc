#include "discovery/kubernetes/store.h"

#include <map>
#include <string>
#include <type_traits>
#include <utility>

namespace meshgate::discovery::kube {
namespace {

// Which ClusterState map holds the objects of kind T.
template <typename T>
struct Slot;
template <>
struct Slot<Service> {
  static constexpr auto member = &ClusterState::services;
};
template <>
struct Slot<EndpointSlice> {
  static constexpr auto member = &ClusterState::endpoint_slices;
};
template <>
struct Slot<Pod> {
  static constexpr auto member = &ClusterState::pods;
};
template <>
struct Slot<Namespace> {
  static constexpr auto member = &ClusterState::namespaces;
};
template <>
struct Slot<ServiceEntry> {
  static constexpr auto member = &ClusterState::service_entries;
};
template <>
struct Slot<WorkloadEntry> {
  static constexpr auto member = &ClusterState::workload_entries;
};
template <>
struct Slot<DestinationRule> {
  static constexpr auto member = &ClusterState::destination_rules;
};
template <>
struct Slot<Gateway> {
  static constexpr auto member = &ClusterState::gateways;
};

template <typename T>
ObjectMap<T>& objects_of(ClusterState& state) {
  return state.*Slot<T>::member;
}

// "<namespace>/<name>"; Namespaces, cluster-scoped, by name alone.
template <typename T>
std::string key_of(const T& object) {
  if constexpr (std::is_same_v<T, Namespace>) {
    return object.meta.name;
  } else {
    return object.meta.ns + "/" + object.meta.name;
  }
}

// What a kind's change means to the index and to Changes: `before` is
// leaving (null: none), `after` is coming (null: none).
void track(Changes& changes, ClusterIndex&, const std::string& key, const Service*,
           const Service*) {
  changes.services.insert(key);
}

void track(Changes& changes, ClusterIndex& index, const std::string& key,
           const EndpointSlice* before, const EndpointSlice* after) {
  for (const EndpointSlice* slice : {before, after}) {
    if (slice != nullptr) changes.slice_owners.insert(slice_owner(*slice));
  }
  if (before != nullptr) index_remove(index, key, *before);
  if (after != nullptr) index_add(index, key, *after);
}

void track(Changes& changes, ClusterIndex& index, const std::string& key, const Pod* before,
           const Pod* after) {
  changes.pods.insert(key);
  for (const Pod* pod : {before, after}) {
    if (pod == nullptr) continue;
    changes.pod_namespaces.insert(pod->meta.ns);
    for (const std::string& ip : pod->pod_ips)
      changes.pod_ips.insert(pod->meta.ns + "/" + ip);
  }
  if (before != nullptr) index_remove(index, key, *before);
  if (after != nullptr) index_add(index, key, *after);
}

void track(Changes& changes, ClusterIndex& index, const std::string& key,
           const WorkloadEntry* before, const WorkloadEntry* after) {
  changes.everything = true;
  if (before != nullptr) index_remove(index, key, *before);
  if (after != nullptr) index_add(index, key, *after);
}

template <typename T>
void track(Changes& changes, ClusterIndex&, const std::string&, const T*, const T*) {
  changes.everything = true;
}

}  // namespace

Changes Store::take_changes() {
  return std::exchange(changes_, Changes{});
}

template <typename T>
bool Store::replace(std::vector<T> items) {
  ObjectMap<T> fresh;
  for (T& item : items) {
    item.meta.resource_version.clear();
    std::string key = key_of(item);
    fresh.insert_or_assign(std::move(key), std::move(item));
  }
  ObjectMap<T>& current = objects_of<T>(state_);
  // Unchanged: keep the objects the index points into.
  if (fresh == current) return false;
  current.swap(fresh);
  ++generation_;
  index_ = index_of(state_);
  changes_.everything = true;
  return true;
}

template <typename T>
bool Store::apply(const Event<T>& event) {
  if (!event.object.has_value()) {
    return false;
  }
  ObjectMap<T>& current = objects_of<T>(state_);
  std::string key = key_of(*event.object);
  bool changed = false;
  switch (event.type) {
    case EventType::kAdded:
    case EventType::kModified: {
      T object = *event.object;
      object.meta.resource_version.clear();
      // The index keeps views of the map's own key (it->first).
      auto it = current.find(key);
      if (it == current.end()) {
        it = current.emplace(std::move(key), std::move(object)).first;
        track(changes_, index_, it->first, static_cast<const T*>(nullptr), &it->second);
        changed = true;
      } else if (!(it->second == object)) {
        track(changes_, index_, it->first, &it->second, &object);
        it->second = std::move(object);
        changed = true;
      }
      break;
    }
    case EventType::kDeleted: {
      auto it = current.find(key);
      if (it == current.end()) break;
      track(changes_, index_, it->first, &it->second, static_cast<const T*>(nullptr));
      current.erase(it);
      changed = true;
      break;
    }
    case EventType::kBookmark:
    case EventType::kError:
      break;
  }
  if (changed) {
    ++generation_;
  }
  return changed;
}

template bool Store::replace<Service>(std::vector<Service>);
template bool Store::replace<EndpointSlice>(std::vector<EndpointSlice>);
template bool Store::replace<Pod>(std::vector<Pod>);
template bool Store::replace<Namespace>(std::vector<Namespace>);
template bool Store::replace<ServiceEntry>(std::vector<ServiceEntry>);
template bool Store::replace<WorkloadEntry>(std::vector<WorkloadEntry>);
template bool Store::replace<DestinationRule>(std::vector<DestinationRule>);
template bool Store::replace<Gateway>(std::vector<Gateway>);

template bool Store::apply<Service>(const Event<Service>&);
template bool Store::apply<EndpointSlice>(const Event<EndpointSlice>&);
template bool Store::apply<Pod>(const Event<Pod>&);
template bool Store::apply<Namespace>(const Event<Namespace>&);
template bool Store::apply<ServiceEntry>(const Event<ServiceEntry>&);
template bool Store::apply<Gateway>(const Event<Gateway>&);
template bool Store::apply<WorkloadEntry>(const Event<WorkloadEntry>&);
template bool Store::apply<DestinationRule>(const Event<DestinationRule>&);

}  // namespace meshgate::discovery::kube
